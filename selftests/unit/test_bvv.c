// SPDX-License-Identifier: GPL-2.0
/*
 * rumord's bitmap version vectors against a model that is a plain bitmap
 * per node, their wire form and every refusal of it; the hybrid logical
 * clock; last-writer-wins; and version vectors doing their job between
 * two in-memory replicas: concurrent writes to one key and a delete.
 */
#include <errno.h>
#include <stdlib.h>

#include "../lib/ktap.h"
#include "bvv.h"
#include "hlc.h"
#include "memreplica.h"
#include "version.h"

#define NODES	4
#define DOTS	3000

static struct rumord_dot dot(uint64_t node, uint64_t counter)
{
	return (struct rumord_dot){ node, counter };
}

static void test_empty(void)
{
	struct rumord_bvv v, w;
	unsigned char buf[64];
	long used;

	rumord_bvv_init(&v);
	rumord_bvv_init(&w);
	EXPECT_TRUE(!rumord_bvv_contains(&v, dot(1, 1)));
	EXPECT_EQ(rumord_bvv_encode(&v, buf, sizeof(buf)), 4);
	used = rumord_bvv_decode(&w, buf, 4);
	EXPECT_EQ(used, 4);
	EXPECT_EQ(w.n, 0);
	EXPECT_EQ(rumord_bvv_merge(&v, &w), 0);
	EXPECT_EQ(v.n, 0);
	rumord_bvv_free(&v);
	rumord_bvv_free(&w);
}

/* Writes of an origin in order are a base and nothing else: 20 bytes. */
static void test_in_order_is_a_base(void)
{
	struct rumord_bvv v;

	rumord_bvv_init(&v);
	for (uint64_t c = 1; c <= 100000; c++)
		ASSERT_EQ(rumord_bvv_add(&v, dot(7, c)), 1);
	ASSERT_EQ(v.n, 1);
	EXPECT_EQ(v.e[0].base, 100000);
	EXPECT_EQ(v.e[0].nwords, 0);
	EXPECT_EQ(rumord_bvv_encode(&v, NULL, 0), 4 + 20);
	EXPECT_EQ(rumord_bvv_add(&v, dot(7, 5)), 0);
	rumord_bvv_free(&v);
}

/* A gap keeps a bitmap; filling it moves the base over everything. */
static void test_gap_then_fill(void)
{
	struct rumord_bvv v;

	rumord_bvv_init(&v);
	ASSERT_EQ(rumord_bvv_add(&v, dot(3, 1)), 1);
	for (uint64_t c = 3; c <= 200; c++)
		ASSERT_EQ(rumord_bvv_add(&v, dot(3, c)), 1);
	EXPECT_EQ(v.e[0].base, 1);
	EXPECT_EQ(v.e[0].nwords, 4);
	EXPECT_TRUE(!rumord_bvv_contains(&v, dot(3, 2)));
	EXPECT_TRUE(rumord_bvv_contains(&v, dot(3, 200)));
	EXPECT_TRUE(!rumord_bvv_contains(&v, dot(3, 201)));
	EXPECT_EQ(rumord_bvv_add(&v, dot(3, 2)), 1);
	EXPECT_EQ(v.e[0].base, 200);
	EXPECT_EQ(v.e[0].nwords, 0);
	EXPECT_TRUE(v.e[0].bits == NULL);
	rumord_bvv_free(&v);
}

static void test_refusals(void)
{
	struct rumord_bvv v;

	rumord_bvv_init(&v);
	EXPECT_EQ(rumord_bvv_add(&v, dot(0, 1)), -EINVAL);
	EXPECT_EQ(rumord_bvv_add(&v, dot(1, 0)), -EINVAL);
	EXPECT_EQ(rumord_bvv_add(&v, dot(1, RUMORD_MAX_COUNTER + 1)), -EINVAL);
	/* Just within the bitmap's reach, and just beyond it. */
	EXPECT_EQ(rumord_bvv_add(&v, dot(1, 64ULL * RUMORD_BVV_MAX_WORDS)), 1);
	EXPECT_EQ(rumord_bvv_add(&v, dot(1, 64ULL * RUMORD_BVV_MAX_WORDS + 1)),
		  -E2BIG);
	EXPECT_EQ(rumord_bvv_add(&v, dot(2, 64ULL * RUMORD_BVV_MAX_WORDS + 1)),
		  -E2BIG);
	/* A refused dot of a new node leaves no empty entry behind. */
	EXPECT_EQ(v.n, 1);
	EXPECT_TRUE(!rumord_bvv_contains(&v, dot(1, 1)));
	rumord_bvv_free(&v);
}

struct collect {
	struct rumord_dot d[NODES * DOTS];
	size_t n;
	size_t stop_at;
};

static int collect(struct rumord_dot d, void *arg)
{
	struct collect *c = arg;

	c->d[c->n++] = d;
	return c->stop_at && c->n == c->stop_at ? 42 : 0;
}

static void fill_random(struct rumord_bvv *v, uint8_t model[NODES + 1][DOTS + 1],
			unsigned int *seed, unsigned int per_mille)
{
	for (uint64_t node = 1; node <= NODES; node++) {
		/* Node 4 has dense early writes, then holes: a long base. */
		for (uint64_t c = 1; c <= DOTS; c++) {
			unsigned int p = node == 4 && c < 1000 ? 1000 : per_mille;

			if ((unsigned int)rand_r(seed) % 1000 < p) {
				model[node][c] = 1;
				ASSERT_TRUE(rumord_bvv_add(v, dot(node, c)) >= 0);
			}
		}
	}
}

/*
 * Random vectors against a bitmap model: contains, the exact missing
 * dots in order, merge as union, and a canonical wire form (the same dots
 * added in another order encode to the same bytes).
 */
static void test_against_model(void)
{
	static uint8_t ma[NODES + 1][DOTS + 1], mb[NODES + 1][DOTS + 1];
	static struct collect got;
	static unsigned char b1[1 << 16], b2[1 << 16];
	struct rumord_bvv a, b, c;
	unsigned int seed = 11;
	size_t k = 0, s1, s2;

	rumord_bvv_init(&a);
	rumord_bvv_init(&b);
	rumord_bvv_init(&c);
	fill_random(&a, ma, &seed, 700);
	fill_random(&b, mb, &seed, 300);
	for (uint64_t node = 1; node <= NODES; node++)
		for (uint64_t x = 1; x <= DOTS; x++)
			ASSERT_EQ(rumord_bvv_contains(&a, dot(node, x)), ma[node][x]);

	got.n = 0;
	ASSERT_EQ(rumord_bvv_missing(&a, &b, collect, &got), 0);
	for (uint64_t node = 1; node <= NODES; node++)
		for (uint64_t x = 1; x <= DOTS; x++)
			if (ma[node][x] && !mb[node][x]) {
				ASSERT_TRUE(k < got.n);
				ASSERT_EQ(got.d[k].node, node);
				ASSERT_EQ(got.d[k].counter, x);
				k++;
			}
	EXPECT_EQ(k, got.n);

	/* Stops at the callback's first non-zero answer, and returns it. */
	got.n = 0;
	got.stop_at = 5;
	EXPECT_EQ(rumord_bvv_missing(&a, &b, collect, &got), 42);
	EXPECT_EQ(got.n, 5);
	got.stop_at = 0;

	ASSERT_EQ(rumord_bvv_merge(&c, &b), 0);
	ASSERT_EQ(rumord_bvv_merge(&c, &a), 0);
	for (uint64_t node = 1; node <= NODES; node++)
		for (uint64_t x = 1; x <= DOTS; x++)
			ASSERT_EQ(rumord_bvv_contains(&c, dot(node, x)),
				  ma[node][x] | mb[node][x]);
	/* Node 4's dense start became a base. */
	EXPECT_TRUE(c.e[3].base >= 999);

	/* a | b built dot by dot, backwards: the same bytes. */
	rumord_bvv_free(&a);
	for (uint64_t node = NODES; node >= 1; node--)
		for (uint64_t x = DOTS; x >= 1; x--)
			if (ma[node][x] | mb[node][x])
				ASSERT_TRUE(rumord_bvv_add(&a, dot(node, x)) == 1);
	s1 = rumord_bvv_encode(&a, b1, sizeof(b1));
	s2 = rumord_bvv_encode(&c, b2, sizeof(b2));
	ASSERT_TRUE(s1 <= sizeof(b1));
	EXPECT_EQ(s1, s2);
	EXPECT_TRUE(!memcmp(b1, b2, s1));

	/* Round trip through the wire form. */
	rumord_bvv_free(&b);
	EXPECT_EQ(rumord_bvv_decode(&b, b1, s1), (long)s1);
	got.n = 0;
	EXPECT_EQ(rumord_bvv_missing(&b, &c, collect, &got), 0);
	EXPECT_EQ(got.n, 0);
	EXPECT_EQ(rumord_bvv_missing(&c, &b, collect, &got), 0);
	EXPECT_EQ(got.n, 0);
	rumord_bvv_free(&a);
	rumord_bvv_free(&b);
	rumord_bvv_free(&c);
}

static void le32(unsigned char *p, uint32_t x)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(x >> (8 * i));
}

static void le64(unsigned char *p, uint64_t x)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(x >> (8 * i));
}

/* One entry: node, base, nwords words (given), at @p; returns its size. */
static size_t entry(unsigned char *p, uint64_t node, uint64_t base,
		    uint32_t nwords, const uint64_t *words)
{
	le64(p, node);
	le64(p + 8, base);
	le32(p + 16, nwords);
	for (uint32_t i = 0; i < nwords; i++)
		le64(p + 20 + 8 * i, words[i]);
	return 20 + 8 * (size_t)nwords;
}

static long decode_one(uint64_t node, uint64_t base, uint32_t nwords,
		       const uint64_t *words, size_t declared)
{
	unsigned char buf[256];
	struct rumord_bvv v;
	size_t len = 4;
	long rc;

	le32(buf, 1);
	len += entry(buf + 4, node, base, nwords, words);
	rumord_bvv_init(&v);
	rc = rumord_bvv_decode(&v, buf, declared ? declared : len);
	rumord_bvv_free(&v);
	return rc;
}

/* Every inconsistency the decoder must refuse, and it leaves @v alone. */
static void test_decode_refusals(void)
{
	uint64_t ok[2] = { 0x6, 0x1 }, first_set[1] = { 0x7 }, zero_last[2] = { 0x6, 0 };
	uint64_t high[1] = { 1ULL << 20 };
	unsigned char buf[256];
	struct rumord_bvv v;
	size_t len;

	EXPECT_EQ(decode_one(1, 5, 2, ok, 0), 4 + 20 + 16);
	EXPECT_EQ(decode_one(0, 5, 0, NULL, 0), -EINVAL);	/* node 0 */
	EXPECT_EQ(decode_one(1, 0, 0, NULL, 0), -EINVAL);	/* empty entry */
	EXPECT_EQ(decode_one(1, 5, 1, first_set, 0), -EINVAL);
	EXPECT_EQ(decode_one(1, 5, 2, zero_last, 0), -EINVAL);
	EXPECT_EQ(decode_one(1, RUMORD_MAX_COUNTER + 1, 0, NULL, 0), -EINVAL);
	EXPECT_EQ(decode_one(1, RUMORD_MAX_COUNTER - 30, 1, high, 0), 4 + 20 + 8);
	EXPECT_EQ(decode_one(1, RUMORD_MAX_COUNTER - 10, 1, high, 0), -EINVAL);
	/* More words than a vector may have (the bytes are not even there). */
	le32(buf, 1);
	entry(buf + 4, 1, 5, 0, NULL);
	le32(buf + 4 + 16, RUMORD_BVV_MAX_WORDS + 1);
	rumord_bvv_init(&v);
	EXPECT_EQ(rumord_bvv_decode(&v, buf, 4 + 20), -EINVAL);
	/* Every truncation. */
	for (size_t cut = 0; cut < 4 + 20 + 16; cut++)
		EXPECT_EQ(decode_one(1, 5, 2, ok, cut ? cut : 1), -EINVAL);

	/* Unsorted and duplicate nodes; a count beyond the buffer. */
	le32(buf, 2);
	len = 4 + entry(buf + 4, 9, 1, 0, NULL);
	len += entry(buf + len, 3, 1, 0, NULL);
	rumord_bvv_init(&v);
	ASSERT_EQ(rumord_bvv_add(&v, dot(77, 1)), 1);
	EXPECT_EQ(rumord_bvv_decode(&v, buf, len), -EINVAL);
	entry(buf + 4 + 20, 9, 1, 0, NULL);
	EXPECT_EQ(rumord_bvv_decode(&v, buf, len), -EINVAL);
	le32(buf, 3);
	EXPECT_EQ(rumord_bvv_decode(&v, buf, len), -EINVAL);
	le32(buf, 0xffffffff);
	EXPECT_EQ(rumord_bvv_decode(&v, buf, len), -EINVAL);
	/* The vector it was handed is untouched by the failures. */
	EXPECT_EQ(v.n, 1);
	EXPECT_TRUE(rumord_bvv_contains(&v, dot(77, 1)));
	rumord_bvv_free(&v);
}

/* Mutated encodings: refused, or decoded to a vector that encodes back. */
static void test_decode_mutations(void)
{
	static unsigned char good[4096], bad[4096], again[4096];
	unsigned int seed = 5, accepted = 0;
	struct rumord_bvv v, w;
	size_t len;

	rumord_bvv_init(&v);
	for (uint64_t node = 1; node <= 5; node++)
		for (uint64_t c = 1; c < 600; c += 1 + node % 3)
			ASSERT_TRUE(rumord_bvv_add(&v, dot(node * 1000, c)) == 1);
	len = rumord_bvv_encode(&v, good, sizeof(good));
	ASSERT_TRUE(len <= sizeof(good));
	rumord_bvv_init(&w);
	for (int i = 0; i < 20000; i++) {
		size_t n = len;
		long used;

		memcpy(bad, good, len);
		for (int k = 0; k <= rand_r(&seed) % 3; k++) {
			size_t at = (size_t)rand_r(&seed) % len;

			bad[at] ^= (unsigned char)(1u << (rand_r(&seed) % 8));
		}
		if (rand_r(&seed) % 4 == 0)
			n = (size_t)rand_r(&seed) % len;
		used = rumord_bvv_decode(&w, bad, n);
		if (used < 0)
			continue;
		accepted++;
		ASSERT_TRUE((size_t)used <= n);
		ASSERT_EQ(rumord_bvv_encode(&w, again, sizeof(again)), used);
		ASSERT_TRUE(!memcmp(again, bad, (size_t)used));
	}
	printf("# %u of 20000 mutated encodings were still valid vectors\n",
	       accepted);
	rumord_bvv_free(&v);
	rumord_bvv_free(&w);
}

static void test_hlc(void)
{
	struct rumord_hlc c = { 0 };
	uint64_t t1, t2, t3, t4, r;

	t1 = rumord_hlc_now(&c, 1000);
	EXPECT_EQ(t1, 1000ULL << RUMORD_HLC_LOGICAL_BITS);
	/* The same millisecond: the counter moves. */
	t2 = rumord_hlc_now(&c, 1000);
	EXPECT_EQ(t2, t1 + 1);
	/* The wall clock steps back: the clock does not. */
	t3 = rumord_hlc_now(&c, 500);
	EXPECT_TRUE(t3 > t2);
	/* A remote clock ahead is followed, and the next write is after it. */
	r = (2000ULL << RUMORD_HLC_LOGICAL_BITS) + 7;
	rumord_hlc_observe(&c, r, 1001);
	t4 = rumord_hlc_now(&c, 1001);
	EXPECT_TRUE(t4 > r);
	EXPECT_EQ(t4 >> RUMORD_HLC_LOGICAL_BITS, 2000);
	/* One an hour ahead is not. */
	r = (1001ULL + 3600 * 1000) << RUMORD_HLC_LOGICAL_BITS;
	rumord_hlc_observe(&c, r, 1001);
	EXPECT_TRUE(rumord_hlc_now(&c, 1001) < r);
	/* The top of the range: no wrap to zero. */
	c.last = UINT64_MAX;
	EXPECT_EQ(rumord_hlc_now(&c, 5), UINT64_MAX);
}

static void test_lww(void)
{
	struct rumord_version a = { 10, { 1, 5 }, false };
	struct rumord_version b = { 10, { 2, 1 }, false };
	struct rumord_version c = { 11, { 1, 6 }, true };
	struct rumord_version d = a;

	EXPECT_TRUE(rumord_version_cmp(&a, &b) < 0);	/* node breaks the tie */
	EXPECT_TRUE(rumord_version_cmp(&b, &a) > 0);
	EXPECT_TRUE(rumord_version_cmp(&c, &b) > 0);	/* later, though a delete */
	EXPECT_EQ(rumord_version_cmp(&a, &d), 0);
	d.dot.counter = 4;
	EXPECT_TRUE(rumord_version_cmp(&a, &d) > 0);
	d = a;
	d.tombstone = true;
	EXPECT_TRUE(rumord_version_cmp(&a, &d) != 0);
	EXPECT_EQ(rumord_version_cmp(&a, &d), -rumord_version_cmp(&d, &a));
}

struct pair {
	struct rumord_replica from, to;
	int sent;
};

static int send_dot(struct rumord_dot d, void *arg)
{
	struct pair *p = arg;
	struct rumord_record rec;
	int rc = p->from.ops->by_dot(p->from.r, d, &rec);

	if (rc <= 0)
		return rc;
	p->sent++;
	return p->to.ops->apply(p->to.r, &rec) < 0 ? -EIO : 0;
}

/* Send @from's writes that @to lacks, by the vectors and the dot log. */
static int exchange(struct rumord_memreplica *from, struct rumord_memreplica *to)
{
	struct pair p = { .sent = 0 };

	rumord_memreplica_replica(from, &p.from);
	rumord_memreplica_replica(to, &p.to);
	if (rumord_bvv_missing(p.from.ops->bvv(p.from.r), p.to.ops->bvv(p.to.r),
			       send_dot, &p))
		return -1;
	return p.sent;
}

static bool same_vector(struct rumord_memreplica *a, struct rumord_memreplica *b)
{
	static unsigned char x[4096], y[4096];
	struct rumord_replica ra, rb;
	size_t n, m;

	rumord_memreplica_replica(a, &ra);
	rumord_memreplica_replica(b, &rb);
	n = rumord_bvv_encode(ra.ops->bvv(ra.r), x, sizeof(x));
	m = rumord_bvv_encode(rb.ops->bvv(rb.r), y, sizeof(y));
	return n == m && n <= sizeof(x) && !memcmp(x, y, n);
}

/*
 * Two nodes write one key at the same moment, then one deletes another
 * key: vectors name exactly the writes to send, both nodes keep the same
 * winner, and both vectors end up holding every dot, the loser's too.
 */
static void test_concurrent_writes_and_delete(void)
{
	struct rumord_memreplica *a = rumord_memreplica_new(1, 64);
	struct rumord_memreplica *b = rumord_memreplica_new(2, 64);
	struct rumord_record ra, rb;
	struct rumord_replica xa, xb;

	ASSERT_TRUE(a && b);
	rumord_memreplica_replica(a, &xa);
	rumord_memreplica_replica(b, &xb);
	ASSERT_EQ(rumord_memreplica_put(a, "k", 1, "from-a", 6, 5000), 1);
	ASSERT_EQ(rumord_memreplica_put(b, "k", 1, "from-b", 6, 5000), 1);
	ASSERT_EQ(rumord_memreplica_put(a, "gone", 4, "x", 1, 5001), 1);
	EXPECT_EQ(exchange(a, b), 2);
	ASSERT_EQ(rumord_memreplica_del(b, "gone", 4, 5002), 1);
	EXPECT_EQ(exchange(b, a), 2);	/* b's write to k, and the delete */
	EXPECT_EQ(exchange(a, b), 0);
	EXPECT_EQ(exchange(b, a), 0);

	/* Same timestamp: the higher node id wins, on both. */
	ASSERT_EQ(xa.ops->get(xa.r, "k", 1, &ra), 1);
	ASSERT_EQ(xb.ops->get(xb.r, "k", 1, &rb), 1);
	EXPECT_EQ(ra.version.dot.node, 2);
	EXPECT_EQ(rb.version.dot.node, 2);
	EXPECT_TRUE(ra.value_len == 6 && !memcmp(ra.value, "from-b", 6));
	/* The loser's dot is in both vectors: nobody will send it again. */
	EXPECT_TRUE(rumord_bvv_contains(xb.ops->bvv(xb.r), (struct rumord_dot){ 1, 1 }));
	EXPECT_TRUE(same_vector(a, b));
	/* The delete is a tombstone with its own dot, the same on both. */
	ASSERT_EQ(xa.ops->get(xa.r, "gone", 4, &ra), 1);
	EXPECT_TRUE(ra.version.tombstone && ra.value_len == 0);
	EXPECT_EQ(ra.version.dot.node, 2);
	EXPECT_TRUE(rumord_hash_eq(rumord_merkle_node(xa.ops->merkle(xa.r), 0, 0),
				   rumord_merkle_node(xb.ops->merkle(xb.r), 0, 0)));
	EXPECT_EQ(rumord_memreplica_check(a), 0);
	EXPECT_EQ(rumord_memreplica_check(b), 0);
	rumord_memreplica_free(a);
	rumord_memreplica_free(b);
}

/* Overwritten before it travelled: the dot log cannot give the old write. */
static void test_superseded_dot_is_not_served(void)
{
	struct rumord_memreplica *a = rumord_memreplica_new(1, 64);
	struct rumord_replica x;
	struct rumord_record rec;

	ASSERT_TRUE(a != NULL);
	rumord_memreplica_replica(a, &x);
	ASSERT_EQ(rumord_memreplica_put(a, "k", 1, "1", 1, 10), 1);
	ASSERT_EQ(rumord_memreplica_put(a, "k", 1, "2", 1, 11), 1);
	EXPECT_EQ(x.ops->by_dot(x.r, (struct rumord_dot){ 1, 1 }, &rec), 0);
	EXPECT_EQ(x.ops->by_dot(x.r, (struct rumord_dot){ 1, 2 }, &rec), 1);
	rumord_memreplica_truncate_log(a);
	EXPECT_EQ(x.ops->by_dot(x.r, (struct rumord_dot){ 1, 2 }, &rec), 0);
	rumord_memreplica_free(a);
}

static const struct ktap_case cases[] = {
	{ "bvv_empty", test_empty },
	{ "bvv_in_order_is_a_base", test_in_order_is_a_base },
	{ "bvv_gap_then_fill", test_gap_then_fill },
	{ "bvv_refusals", test_refusals },
	{ "bvv_against_model", test_against_model },
	{ "bvv_decode_refusals", test_decode_refusals },
	{ "bvv_decode_mutations", test_decode_mutations },
	{ "hlc", test_hlc },
	{ "lww_order", test_lww },
	{ "bvv_concurrent_writes_and_delete", test_concurrent_writes_and_delete },
	{ "bvv_superseded_dot_is_not_served", test_superseded_dot_is_not_served },
};

KTAP_MAIN(cases)
