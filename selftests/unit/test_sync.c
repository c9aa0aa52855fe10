// SPDX-License-Identifier: GPL-2.0
/*
 * The anti-entropy session between in-memory replicas: every method makes
 * diverged replicas equal (same Merkle root, same records, same vectors);
 * three replicas with concurrent writes to one key and deletes converge by
 * anti-entropy alone; truncated dot logs force the Merkle walk; a new
 * empty node catches up; the walk moves exactly the differing keys within
 * its round-trip bound; the session does not care how its bytes are cut.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "../lib/ktap.h"
#include "memreplica.h"
#include "sync.h"

#define KEYLEN	12

#define KEYBUF	24

static void key_of(char k[KEYBUF], int i)
{
	snprintf(k, KEYBUF, "key:%08u", (unsigned int)i % 100000000u);
}

static int put(struct rumord_memreplica *m, int i, const char *value,
	       uint64_t wall)
{
	char k[KEYBUF];

	key_of(k, i);
	return rumord_memreplica_put(m, k, KEYLEN, value, strlen(value), wall);
}

static int del(struct rumord_memreplica *m, int i, uint64_t wall)
{
	char k[KEYBUF];

	key_of(k, i);
	return rumord_memreplica_del(m, k, KEYLEN, wall);
}

static struct rumord_memreplica *base(uint64_t node, int n, size_t log)
{
	struct rumord_memreplica *m = rumord_memreplica_new(node, log);
	char v[16];

	if (!m)
		return NULL;
	for (int i = 0; i < n; i++) {
		snprintf(v, sizeof(v), "v%d", i);
		if (put(m, i, v, 1000 + (uint64_t)i / 100) != 1) {
			rumord_memreplica_free(m);
			return NULL;
		}
	}
	return m;
}

static struct rumord_replica R(struct rumord_memreplica *m)
{
	struct rumord_replica r;

	rumord_memreplica_replica(m, &r);
	return r;
}

static struct rumord_hash root(struct rumord_memreplica *m)
{
	struct rumord_replica r = R(m);

	return rumord_merkle_node(r.ops->merkle(r.r), 0, 0);
}

struct match {
	struct rumord_replica other;
	uint64_t seen, bad;
};

static int match_one(const struct rumord_record *rec, void *arg)
{
	struct match *m = arg;
	struct rumord_record o;

	m->seen++;
	if (m->other.ops->get(m->other.r, rec->key, rec->key_len, &o) != 1 ||
	    o.value_len != rec->value_len ||
	    (o.value_len && memcmp(o.value, rec->value, o.value_len)) ||
	    rumord_version_cmp(&o.version, &rec->version))
		m->bad++;
	return 0;
}

/* Same records, versions and values, both ways round. */
static bool same_contents(struct rumord_memreplica *a, struct rumord_memreplica *b)
{
	struct rumord_replica ra = R(a);
	struct match m = { R(b), 0, 0 };

	if (ra.ops->range(ra.r, 0, UINT64_MAX, match_one, &m))
		return false;
	return !m.bad && m.seen == rumord_memreplica_count(b) &&
	       m.seen == rumord_memreplica_count(a);
}

static bool same_vectors(struct rumord_memreplica *a, struct rumord_memreplica *b)
{
	static unsigned char x[1 << 16], y[1 << 16];
	struct rumord_replica ra = R(a), rb = R(b);
	size_t n = rumord_bvv_encode(ra.ops->bvv(ra.r), x, sizeof(x));
	size_t m = rumord_bvv_encode(rb.ops->bvv(rb.r), y, sizeof(y));

	return n == m && n <= sizeof(x) && !memcmp(x, y, n);
}

/* Equal in every way anti-entropy promises, and each sound inside. */
static bool converged(struct rumord_memreplica *a, struct rumord_memreplica *b)
{
	return rumord_hash_eq(root(a), root(b)) && same_contents(a, b) &&
	       !rumord_memreplica_check(a) && !rumord_memreplica_check(b);
}

static int sync2(struct rumord_memreplica *a, struct rumord_memreplica *b,
		 enum rumord_sync_method method, struct rumord_sync_stats *sa,
		 struct rumord_sync_stats *sb)
{
	struct rumord_replica ra = R(a), rb = R(b);

	return rumord_sync_pair(&ra, &rb, method, sa, sb);
}

static uint64_t moved(const struct rumord_sync_stats *sa,
		      const struct rumord_sync_stats *sb)
{
	return sa->keys_sent + sb->keys_sent;
}

static const enum rumord_sync_method methods[] = {
	RUMORD_SYNC_AUTO, RUMORD_SYNC_BVV, RUMORD_SYNC_MERKLE, RUMORD_SYNC_NAIVE,
};
static const char *const method_names[] = {
	"any", "auto", "bvv", "merkle", "naive",
};

/* Equal replicas: nothing moves, and the walk does not start. */
static void test_identical(void)
{
	struct rumord_memreplica *a = base(1, 1000, 4096), *b;
	struct rumord_sync_stats sa, sb;

	ASSERT_TRUE(a != NULL);
	b = rumord_memreplica_clone(a, 2);
	ASSERT_TRUE(b != NULL);
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		ASSERT_EQ(sync2(a, b, methods[i], &sa, &sb), 0);
		EXPECT_EQ(moved(&sa, &sb), 0);
		EXPECT_TRUE(!sa.merkle_used && !sb.merkle_used);
		/* The version-vector method always takes its three flights. */
		EXPECT_EQ(rumord_sync_round_trips(&sa),
			  methods[i] == RUMORD_SYNC_BVV ? 2 : 1);
		/* Two HELLOs and 16 hashes: the root, which is their sum. */
		if (methods[i] == RUMORD_SYNC_MERKLE)
			EXPECT_TRUE(sa.bytes_sent + sb.bytes_sent < 400);
	}
	EXPECT_TRUE(converged(a, b));
	rumord_memreplica_free(a);
	rumord_memreplica_free(b);
}

/*
 * Both sides write: 10 overwrites each, 3 new keys on one, 2 deletes on
 * the other, one key written on both at once: 26 keys differ.
 */
static void diverge(struct rumord_memreplica *a, struct rumord_memreplica *b)
{
	for (int i = 0; i < 10; i++) {
		put(a, i * 37, "a-new", 5000 + (uint64_t)i);
		put(b, 1 + i * 41, "b-new", 5000 + (uint64_t)i);
	}
	for (int i = 0; i < 3; i++)
		put(a, 100000 + i, "a-fresh", 5100);
	del(b, 500, 5200);
	del(b, 501, 5200);
	put(a, 999, "a-hot", 6000);
	put(b, 999, "b-hot", 6000);
}

static void test_each_method_converges(void)
{
	struct rumord_memreplica *a0 = base(1, 2000, 4096), *b0;
	struct rumord_sync_stats sa, sb;

	ASSERT_TRUE(a0 != NULL);
	b0 = rumord_memreplica_clone(a0, 2);
	ASSERT_TRUE(b0 != NULL);
	diverge(a0, b0);
	ASSERT_TRUE(!rumord_hash_eq(root(a0), root(b0)));
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		struct rumord_memreplica *a = rumord_memreplica_clone(a0, 0);
		struct rumord_memreplica *b = rumord_memreplica_clone(b0, 0);
		struct rumord_record hot;
		struct rumord_replica ra;

		ASSERT_TRUE(a && b);
		ASSERT_EQ(sync2(a, b, methods[i], &sa, &sb), 0);
		printf("# %s: %llu bytes, %llu round trips, %llu keys\n",
		       method_names[methods[i]],
		       (unsigned long long)(sa.bytes_sent + sb.bytes_sent),
		       (unsigned long long)rumord_sync_round_trips(&sa),
		       (unsigned long long)moved(&sa, &sb));
		EXPECT_TRUE(converged(a, b));
		/*
		 * Each differing key moves once. Of the key both wrote only
		 * the winner moves, by version vectors too: the initiator
		 * takes the responder's records before it looks its own up,
		 * and its write, overwritten by then, is not sent.
		 */
		EXPECT_EQ(moved(&sa, &sb), 26);
		EXPECT_EQ(sa.keys_sent, sb.keys_received);
		EXPECT_EQ(sb.keys_sent, sa.keys_received);
		EXPECT_EQ(sa.bytes_sent, sb.bytes_received);
		EXPECT_EQ(sa.flights_sent, sb.flights_received);
		/* Same timestamp, so the higher node wins: b's. */
		ra = R(a);
		ASSERT_EQ(ra.ops->get(ra.r, "key:00000999", KEYLEN, &hot), 1);
		EXPECT_TRUE(hot.value_len == 5 && !memcmp(hot.value, "b-hot", 5));
		rumord_memreplica_free(a);
		rumord_memreplica_free(b);
	}
	rumord_memreplica_free(a0);
	rumord_memreplica_free(b0);
}

/*
 * Three replicas, each writing its own keys, all three writing one key at
 * the same moment, deletes and a delete racing an overwrite; pairwise
 * sessions of the default method, and nothing else, make them equal, with
 * equal vectors; then a second round has nothing to do.
 */
static void test_three_replicas_converge(void)
{
	struct rumord_memreplica *a = base(1, 1500, 4096), *b, *c;
	struct rumord_memreplica *r[3];
	struct rumord_sync_stats sa, sb;
	struct rumord_record rec;
	struct rumord_replica x;

	ASSERT_TRUE(a != NULL);
	b = rumord_memreplica_clone(a, 2);
	c = rumord_memreplica_clone(a, 3);
	ASSERT_TRUE(b && c);
	r[0] = a;
	r[1] = b;
	r[2] = c;
	for (int i = 0; i < 3; i++) {
		char v[8];

		snprintf(v, sizeof(v), "hot-%d", i);
		ASSERT_EQ(put(r[i], 42, v, 9000), 1);
		for (int k = 0; k < 50; k++)
			ASSERT_EQ(put(r[i], 2000 + 100 * i + k, "own", 9001), 1);
	}
	ASSERT_EQ(del(a, 5, 9100), 1);
	ASSERT_EQ(put(b, 7, "b-late", 9100), 1);
	ASSERT_EQ(del(c, 7, 9200), 1);		/* later than b's write */
	ASSERT_EQ(del(c, 8, 9200), 1);
	ASSERT_EQ(put(a, 8, "a-later", 9300), 1);	/* later than c's delete */

	ASSERT_EQ(sync2(a, b, RUMORD_SYNC_AUTO, &sa, &sb), 0);
	ASSERT_EQ(sync2(b, c, RUMORD_SYNC_AUTO, &sa, &sb), 0);
	ASSERT_EQ(sync2(c, a, RUMORD_SYNC_AUTO, &sa, &sb), 0);
	EXPECT_TRUE(converged(a, b));
	EXPECT_TRUE(converged(b, c));
	EXPECT_TRUE(same_vectors(a, b));
	EXPECT_TRUE(same_vectors(b, c));
	EXPECT_EQ(rumord_memreplica_count(a), 1500 + 150);

	for (int i = 0; i < 3; i++) {
		x = R(r[i]);
		ASSERT_EQ(x.ops->get(x.r, "key:00000042", KEYLEN, &rec), 1);
		EXPECT_TRUE(rec.value_len == 5 && !memcmp(rec.value, "hot-2", 5));
		ASSERT_EQ(x.ops->get(x.r, "key:00000005", KEYLEN, &rec), 1);
		EXPECT_TRUE(rec.version.tombstone && rec.version.dot.node == 1);
		ASSERT_EQ(x.ops->get(x.r, "key:00000007", KEYLEN, &rec), 1);
		EXPECT_TRUE(rec.version.tombstone && rec.version.dot.node == 3);
		ASSERT_EQ(x.ops->get(x.r, "key:00000008", KEYLEN, &rec), 1);
		EXPECT_TRUE(!rec.version.tombstone && rec.value_len == 7);
	}

	/* Nothing left to do, and the vectors say so without a walk. */
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(sync2(r[i], r[(i + 1) % 3], RUMORD_SYNC_AUTO, &sa, &sb), 0);
		EXPECT_EQ(moved(&sa, &sb), 0);
		EXPECT_EQ(sa.dots_missing + sb.dots_missing, 0);
		EXPECT_EQ(rumord_sync_round_trips(&sa), 1);
	}
	rumord_memreplica_free(a);
	rumord_memreplica_free(b);
	rumord_memreplica_free(c);
}

/*
 * With the dot logs gone the vectors know what is missing but cannot
 * send it: version vectors alone leave the replicas apart, and the
 * default method walks the tree and moves exactly what differs.
 */
static void test_truncated_logs_use_merkle(void)
{
	struct rumord_memreplica *a0 = base(1, 3000, 4096), *b0, *a, *b;
	struct rumord_sync_stats sa, sb;

	ASSERT_TRUE(a0 != NULL);
	b0 = rumord_memreplica_clone(a0, 2);
	ASSERT_TRUE(b0 != NULL);
	diverge(a0, b0);
	rumord_memreplica_truncate_log(a0);
	rumord_memreplica_truncate_log(b0);

	a = rumord_memreplica_clone(a0, 0);
	b = rumord_memreplica_clone(b0, 0);
	ASSERT_TRUE(a && b);
	ASSERT_EQ(sync2(a, b, RUMORD_SYNC_BVV, &sa, &sb), 0);
	EXPECT_EQ(moved(&sa, &sb), 0);
	EXPECT_EQ(sa.dots_unserved + sb.dots_unserved, 27);
	EXPECT_TRUE(!rumord_hash_eq(root(a), root(b)));
	rumord_memreplica_free(a);
	rumord_memreplica_free(b);

	a = rumord_memreplica_clone(a0, 0);
	b = rumord_memreplica_clone(b0, 0);
	ASSERT_TRUE(a && b);
	ASSERT_EQ(sync2(a, b, RUMORD_SYNC_AUTO, &sa, &sb), 0);
	EXPECT_TRUE(sa.merkle_used && sb.merkle_used);
	EXPECT_EQ(sa.dots_unserved + sb.dots_unserved, 27);
	EXPECT_EQ(moved(&sa, &sb), 26);
	EXPECT_TRUE(sa.covered && sb.covered);
	EXPECT_TRUE(converged(a, b));
	EXPECT_TRUE(same_vectors(a, b));
	rumord_memreplica_free(a);
	rumord_memreplica_free(b);
	rumord_memreplica_free(a0);
	rumord_memreplica_free(b0);
}

/*
 * A new, empty node catches up, initiating or answering. Its peer's log
 * holds only the last 1000 writes: those go by dot, the rest by the walk,
 * and no key goes twice.
 */
static void test_new_node_catches_up(void)
{
	struct rumord_memreplica *a = base(1, 3000, 1000), *d;
	struct rumord_sync_stats sa, sd;

	ASSERT_TRUE(a != NULL);
	for (int i = 0; i < 3000; i += 97)
		ASSERT_EQ(del(a, i, 8000), 1);
	for (int turn = 0; turn < 2; turn++) {
		d = rumord_memreplica_new(4 + (uint64_t)turn, 64);
		ASSERT_TRUE(d != NULL);
		if (turn)
			ASSERT_EQ(sync2(a, d, RUMORD_SYNC_AUTO, &sa, &sd), 0);
		else
			ASSERT_EQ(sync2(d, a, RUMORD_SYNC_AUTO, &sd, &sa), 0);
		EXPECT_TRUE(converged(a, d));
		EXPECT_TRUE(same_vectors(a, d));
		EXPECT_EQ(sa.keys_sent, 3000);
		EXPECT_EQ(sd.keys_sent, 0);
		EXPECT_TRUE(sa.merkle_used);
		EXPECT_TRUE(sa.dots_unserved > 0);
		rumord_memreplica_free(d);
	}
	rumord_memreplica_free(a);
}

/*
 * The walk stops at level ceil(log16 n), takes at most that many round
 * trips plus one, and moves exactly the keys that differ.
 */
static void test_merkle_bounds(void)
{
	static const int sizes[] = { 2, 17, 300, 5000, 70000 };

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		int n = sizes[s];
		struct rumord_memreplica *a = base(1, n, 0), *b;
		struct rumord_sync_stats sa, sb;
		unsigned int leaf = rumord_sync_leaf_level((uint64_t)n);

		ASSERT_TRUE(a != NULL);
		b = rumord_memreplica_clone(a, 2);
		ASSERT_TRUE(b != NULL);
		put(a, 0, "changed", 7000);
		put(b, n - 1, "changed", 7000);
		ASSERT_EQ(sync2(a, b, RUMORD_SYNC_MERKLE, &sa, &sb), 0);
		printf("# n %d: leaf level %u, %llu round trips, %llu bytes\n", n,
		       leaf, (unsigned long long)rumord_sync_round_trips(&sa),
		       (unsigned long long)(sa.bytes_sent + sb.bytes_sent));
		EXPECT_EQ(sa.leaf_level, leaf);
		EXPECT_TRUE(rumord_sync_round_trips(&sa) <= leaf + 1);
		EXPECT_EQ(moved(&sa, &sb), n > 1 ? 2 : 1);
		EXPECT_TRUE(converged(a, b));
		rumord_memreplica_free(a);
		rumord_memreplica_free(b);
	}
	EXPECT_EQ(rumord_sync_leaf_level(0), 0);
	EXPECT_EQ(rumord_sync_leaf_level(1), 0);
	EXPECT_EQ(rumord_sync_leaf_level(16), 1);
	EXPECT_EQ(rumord_sync_leaf_level(4097), 4);
	EXPECT_EQ(rumord_sync_leaf_level(1ULL << 40), RUMORD_MERKLE_DEPTH);
}

/*
 * Every key different, and more of them than fit a frame: KEYS, WANT and
 * RECORDS run over several frames, values over 64 KiB take a frame each.
 */
static void test_many_differences_and_big_values(void)
{
	static char big[700 * 1024];
	struct rumord_memreplica *a0 = base(1, 6000, 0), *b0;
	struct rumord_sync_stats sa, sb;

	ASSERT_TRUE(a0 != NULL);
	b0 = rumord_memreplica_clone(a0, 2);
	ASSERT_TRUE(b0 != NULL);
	memset(big, 'z', sizeof(big));
	for (int i = 0; i < 6000; i++)
		ASSERT_EQ(put(i % 2 ? a0 : b0, i, "new", 9000), 1);
	for (int i = 0; i < 3; i++) {
		char k[KEYBUF];

		key_of(k, 20000 + i);
		ASSERT_EQ(rumord_memreplica_put(i % 2 ? a0 : b0, k, KEYLEN, big,
						sizeof(big) - (size_t)i, 9001), 1);
	}
	for (int m = RUMORD_SYNC_MERKLE; m <= RUMORD_SYNC_NAIVE; m++) {
		struct rumord_memreplica *a = rumord_memreplica_clone(a0, 0);
		struct rumord_memreplica *b = rumord_memreplica_clone(b0, 0);

		ASSERT_TRUE(a && b);
		ASSERT_EQ(sync2(a, b, m, &sa, &sb), 0);
		EXPECT_EQ(moved(&sa, &sb), 6003);
		printf("# %s: %llu frames\n", method_names[m],
		       (unsigned long long)(sa.frames_sent + sb.frames_sent));
		EXPECT_TRUE(sa.frames_sent + sb.frames_sent >= 15);
		EXPECT_TRUE(converged(a, b));
		rumord_memreplica_free(a);
		rumord_memreplica_free(b);
	}
	rumord_memreplica_free(a0);
	rumord_memreplica_free(b0);
}

/*
 * The session does not care how the transport cuts its bytes, nor how
 * much of what it offers goes out at once.
 */
static int run_chunked(struct rumord_memreplica *a, struct rumord_memreplica *b,
		       enum rumord_sync_method method, unsigned int *seed,
		       struct rumord_sync_stats *st)
{
	struct rumord_replica ra = R(a), rb = R(b);
	struct rumord_sync *s[2] = {
		rumord_sync_new(&ra, true, method),
		rumord_sync_new(&rb, false, RUMORD_SYNC_ANY),
	};
	int rc = 0, idle = 0;

	if (!s[0] || !s[1])
		rc = -ENOMEM;
	while (!rc && idle < 4) {
		for (int i = 0; i < 2 && !rc; i++) {
			const void *p;
			long n = rumord_sync_output(s[i], &p);
			size_t cut;

			if (n < 0) {
				rc = (int)n;
				break;
			}
			cut = n ? 1 + (size_t)rand_r(seed) % (size_t)(rand_r(seed) % 2 ? 7 : n) : 0;
			if (cut > (size_t)n)
				cut = (size_t)n;
			idle = cut ? 0 : idle + 1;
			if (cut)
				rc = rumord_sync_input(s[!i], p, cut);
			rumord_sync_sent(s[i], cut);
		}
		if (rumord_sync_status(s[0]) == 1 && rumord_sync_status(s[1]) == 1)
			break;
	}
	if (!rc && (rumord_sync_status(s[0]) != 1 || rumord_sync_status(s[1]) != 1))
		rc = -EPROTO;
	if (s[0])
		*st = *rumord_sync_stats(s[0]);
	rumord_sync_free(s[0]);
	rumord_sync_free(s[1]);
	return rc;
}

static void test_any_split(void)
{
	struct rumord_memreplica *a0 = base(1, 800, 100), *b0;
	unsigned int seed = 9;

	ASSERT_TRUE(a0 != NULL);
	b0 = rumord_memreplica_clone(a0, 2);
	ASSERT_TRUE(b0 != NULL);
	diverge(a0, b0);
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		struct rumord_memreplica *a = rumord_memreplica_clone(a0, 0);
		struct rumord_memreplica *b = rumord_memreplica_clone(b0, 0);
		struct rumord_sync_stats whole, cut, other;

		ASSERT_TRUE(a && b);
		ASSERT_EQ(run_chunked(a, b, methods[i], &seed, &cut), 0);
		EXPECT_TRUE(converged(a, b));
		rumord_memreplica_free(a);
		rumord_memreplica_free(b);
		a = rumord_memreplica_clone(a0, 0);
		b = rumord_memreplica_clone(b0, 0);
		ASSERT_TRUE(a && b);
		ASSERT_EQ(sync2(a, b, methods[i], &whole, &other), 0);
		EXPECT_EQ(cut.bytes_sent, whole.bytes_sent);
		EXPECT_EQ(cut.bytes_received, whole.bytes_received);
		EXPECT_EQ(cut.keys_received, whole.keys_received);
		rumord_memreplica_free(a);
		rumord_memreplica_free(b);
	}
	rumord_memreplica_free(a0);
	rumord_memreplica_free(b0);
}

/* A responder that takes one method only refuses the others, writing nothing. */
static void test_method_refused(void)
{
	struct rumord_memreplica *a = base(1, 10, 16), *b = base(2, 10, 16);
	struct rumord_replica ra = R(a), rb = R(b);
	struct rumord_sync *x, *y;
	const void *p;
	long n;

	ASSERT_TRUE(a && b);
	x = rumord_sync_new(&ra, true, RUMORD_SYNC_BVV);
	y = rumord_sync_new(&rb, false, RUMORD_SYNC_MERKLE);
	ASSERT_TRUE(x && y);
	n = rumord_sync_output(x, &p);
	ASSERT_TRUE(n > 0);
	EXPECT_EQ(rumord_sync_input(y, p, (size_t)n), -EPROTO);
	EXPECT_EQ(rumord_sync_status(y), -EPROTO);
	EXPECT_TRUE(!strcmp(rumord_sync_error(y), "method refused"));
	EXPECT_EQ(rumord_memreplica_stats(b)->applied, 0);
	/* An initiator must name a method. */
	EXPECT_TRUE(rumord_sync_new(&ra, true, RUMORD_SYNC_ANY) == NULL);
	rumord_sync_free(x);
	rumord_sync_free(y);
	rumord_memreplica_free(a);
	rumord_memreplica_free(b);
}

/*
 * A write overwritten before it travelled leaves a hole in the other
 * vector that version vectors alone never close; the default method's
 * walk shows the replicas equal and merges the vector, so the next
 * session finds nothing missing.
 */
static void test_superseded_hole_closed(void)
{
	struct rumord_memreplica *a = base(1, 100, 256), *b;
	struct rumord_sync_stats sa, sb;
	struct rumord_dot first;

	ASSERT_TRUE(a != NULL);
	b = rumord_memreplica_clone(a, 2);
	ASSERT_TRUE(b != NULL);
	ASSERT_EQ(put(a, 3, "one", 7000), 1);
	ASSERT_EQ(put(a, 3, "two", 7001), 1);
	first = (struct rumord_dot){ 1, 101 };

	ASSERT_EQ(sync2(a, b, RUMORD_SYNC_BVV, &sa, &sb), 0);
	EXPECT_EQ(moved(&sa, &sb), 1);
	EXPECT_TRUE(converged(a, b));
	EXPECT_TRUE(!rumord_bvv_contains(R(b).ops->bvv(b), first));
	EXPECT_TRUE(!sb.covered);
	ASSERT_EQ(sync2(a, b, RUMORD_SYNC_BVV, &sa, &sb), 0);
	EXPECT_EQ(sa.dots_missing, 1);
	EXPECT_EQ(sa.dots_unserved, 1);

	ASSERT_EQ(sync2(a, b, RUMORD_SYNC_AUTO, &sa, &sb), 0);
	EXPECT_TRUE(sb.covered);
	EXPECT_TRUE(rumord_bvv_contains(R(b).ops->bvv(b), first));
	EXPECT_TRUE(same_vectors(a, b));
	ASSERT_EQ(sync2(a, b, RUMORD_SYNC_AUTO, &sa, &sb), 0);
	EXPECT_EQ(sa.dots_missing + sb.dots_missing, 0);
	rumord_memreplica_free(a);
	rumord_memreplica_free(b);
}

static const struct ktap_case cases[] = {
	{ "sync_identical", test_identical },
	{ "sync_each_method_converges", test_each_method_converges },
	{ "sync_three_replicas_converge", test_three_replicas_converge },
	{ "sync_truncated_logs_use_merkle", test_truncated_logs_use_merkle },
	{ "sync_new_node_catches_up", test_new_node_catches_up },
	{ "sync_merkle_bounds", test_merkle_bounds },
	{ "sync_many_differences_and_big_values", test_many_differences_and_big_values },
	{ "sync_any_split", test_any_split },
	{ "sync_method_refused", test_method_refused },
	{ "sync_superseded_hole_closed", test_superseded_hole_closed },
};

KTAP_MAIN(cases)
