// SPDX-License-Identifier: GPL-2.0
/*
 * rumord's LMDB store alone, without the daemon or the module: local
 * writes, deletes and tombstones, last-writer-wins between concurrent
 * versions in any order, everything surviving a close and reopen with the
 * same durable node id, the dot log's bound, tombstone collection, keys of
 * 511 and 512 bytes, a full map leaving no partial write, the replica
 * interface agreeing with the in-memory replica's Merkle tree, and
 * anti-entropy sessions (sync.c) between stores converging.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/ktap.h"
#include "../lib/scratch.h"
#include "hlc.h"
#include "memreplica.h"
#include "store.h"
#include "sync.h"

#define WALL0	1700000000000ull	/* a November 2023 morning, in ms */

static uint64_t fake_wall = WALL0;

static uint64_t wall(void)
{
	return fake_wall;
}

struct fx {
	char dir[64];
	struct rumord_store *s;
	struct rumord_store_opts opts;
};

static int fx_open(struct fx *f)
{
	f->opts.wall_ms = wall;
	return rumord_store_open(&f->s, f->dir, &f->opts);
}

/* A fresh store in a new directory; dot log and map size from @opts. */
static int fx_new(struct fx *f, uint32_t dot_log, size_t map_size)
{
	memset(f, 0, sizeof(*f));
	fake_wall = WALL0;
	strcpy(f->dir, "/tmp/rumor-test-store.XXXXXX");
	if (!mkdtemp(f->dir))
		return -errno;
	f->opts.dot_log_max = dot_log;
	f->opts.map_size = map_size;
	return fx_open(f);
}

static int fx_reopen(struct fx *f)
{
	rumord_store_close(f->s);
	f->s = NULL;
	return fx_open(f);
}

static void fx_done(struct fx *f)
{
	rumord_store_close(f->s);
	f->s = NULL;
	rm_rf(f->dir);
}

static int put(struct fx *f, const char *k, const char *v,
	       struct rumord_version *out)
{
	struct rumord_version dummy;

	return rumord_store_put(f->s, k, strlen(k), v, strlen(v),
				out ? out : &dummy);
}

/* The key's live value as a string in @buf; "" for none or a tombstone. */
static const char *get(struct fx *f, const char *k, char *buf, size_t len)
{
	struct rumord_record rec;

	buf[0] = '\0';
	if (rumord_store_get(f->s, k, strlen(k), &rec) == 1 &&
	    !rec.version.tombstone && rec.value_len < len) {
		memcpy(buf, rec.value, rec.value_len);
		buf[rec.value_len] = '\0';
	}
	return buf;
}

static struct rumord_record remote(const char *k, const char *v, uint64_t hlc,
				   uint64_t node, uint64_t counter)
{
	return (struct rumord_record){
		.key = k, .key_len = strlen(k),
		.value = v, .value_len = v ? strlen(v) : 0,
		.version = { .hlc = hlc, .dot = { node, counter },
			     .tombstone = v == NULL },
	};
}

static struct rumord_hash root(struct fx *f)
{
	return rumord_merkle_node(rumord_store_merkle(f->s), 0, 0);
}

static bool hash_eq(struct rumord_hash a, struct rumord_hash b)
{
	return a.lo == b.lo && a.hi == b.hi;
}

/* ---- cases ---- */

static void test_node_id_durable(void)
{
	struct fx a, b;
	uint64_t id;

	ASSERT_EQ(fx_new(&a, 0, 0), 0);
	id = rumord_store_node_id(a.s);
	EXPECT_TRUE(id != 0);
	ASSERT_EQ(fx_reopen(&a), 0);
	EXPECT_TRUE(rumord_store_node_id(a.s) == id);
	ASSERT_EQ(fx_new(&b, 0, 0), 0);
	EXPECT_TRUE(rumord_store_node_id(b.s) != id);
	fx_done(&a);
	fx_done(&b);
}

static void test_put_get(void)
{
	struct rumord_version v1, v2;
	struct rumord_record rec;
	struct fx f;
	char buf[64];

	ASSERT_EQ(fx_new(&f, 0, 0), 0);
	EXPECT_EQ(rumord_store_get(f.s, "k", 1, &rec), 0);
	EXPECT_EQ(put(&f, "k", "one", &v1), 1);
	EXPECT_TRUE(v1.dot.node == rumord_store_node_id(f.s));
	EXPECT_EQ(v1.dot.counter, 1);
	EXPECT_TRUE(v1.hlc >> RUMORD_HLC_LOGICAL_BITS == WALL0);
	EXPECT_TRUE(!strcmp(get(&f, "k", buf, sizeof(buf)), "one"));
	/* Same millisecond: the logical half moves the clock on. */
	EXPECT_EQ(put(&f, "k", "two", &v2), 1);
	EXPECT_EQ(v2.dot.counter, 2);
	EXPECT_TRUE(v2.hlc > v1.hlc);
	EXPECT_TRUE(!strcmp(get(&f, "k", buf, sizeof(buf)), "two"));
	EXPECT_EQ(rumord_store_put(f.s, "e", 1, NULL, 0, &v2), 1);
	ASSERT_EQ(rumord_store_get(f.s, "e", 1, &rec), 1);
	EXPECT_EQ(rec.value_len, 0);
	EXPECT_TRUE(!rec.version.tombstone);
	EXPECT_EQ(rumord_store_stats(f.s)->local_writes, 3);
	fx_done(&f);
}

static int count_cb(const struct rumord_record *rec, void *arg)
{
	(void)rec;
	(*(int *)arg)++;
	return 0;
}

static void test_delete_tombstone(void)
{
	struct rumord_version v;
	struct rumord_record rec;
	struct fx f;
	int n = 0;

	ASSERT_EQ(fx_new(&f, 0, 0), 0);
	ASSERT_EQ(put(&f, "k", "v", NULL), 1);
	EXPECT_EQ(rumord_store_del(f.s, "k", 1, &v), 1);
	EXPECT_TRUE(v.tombstone);
	EXPECT_EQ(v.dot.counter, 2);
	ASSERT_EQ(rumord_store_get(f.s, "k", 1, &rec), 1);
	EXPECT_TRUE(rec.version.tombstone);
	EXPECT_EQ(rec.value_len, 0);
	/* Deleting again writes nothing. */
	EXPECT_EQ(rumord_store_del(f.s, "k", 1, &v), 0);
	EXPECT_TRUE(v.tombstone);
	EXPECT_EQ(v.dot.counter, 2);
	/* A key never seen gets a tombstone all the same. */
	EXPECT_EQ(rumord_store_del(f.s, "never", 5, &v), 1);
	EXPECT_EQ(v.dot.counter, 3);
	EXPECT_EQ(rumord_store_list(f.s, NULL, 0, NULL, 0, false, count_cb, &n), 0);
	EXPECT_EQ(n, 0);
	n = 0;
	EXPECT_EQ(rumord_store_list(f.s, NULL, 0, NULL, 0, true, count_cb, &n), 0);
	EXPECT_EQ(n, 2);
	/* A put brings the key back. */
	EXPECT_EQ(put(&f, "k", "again", &v), 1);
	ASSERT_EQ(rumord_store_get(f.s, "k", 1, &rec), 1);
	EXPECT_TRUE(!rec.version.tombstone);
	fx_done(&f);
}

struct keys {
	char got[16][16];
	int n, stop_at;
};

static int keys_cb(const struct rumord_record *rec, void *arg)
{
	struct keys *k = arg;

	if (k->n == k->stop_at)
		return 7;
	if (k->n < 16 && rec->key_len < 16) {
		memcpy(k->got[k->n], rec->key, rec->key_len);
		k->got[k->n][rec->key_len] = '\0';
	}
	k->n++;
	return 0;
}

static void test_list(void)
{
	static const char *const in[] = { "b2", "a", "b1", "c", "b", "ba" };
	struct keys k = { .stop_at = -1 };
	struct fx f;
	size_t i;

	ASSERT_EQ(fx_new(&f, 0, 0), 0);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		ASSERT_EQ(put(&f, in[i], "v", NULL), 1);
	EXPECT_EQ(rumord_store_list(f.s, NULL, 0, NULL, 0, false, keys_cb, &k), 0);
	ASSERT_EQ(k.n, 6);
	EXPECT_TRUE(!strcmp(k.got[0], "a") && !strcmp(k.got[1], "b") &&
		    !strcmp(k.got[2], "b1") && !strcmp(k.got[3], "b2") &&
		    !strcmp(k.got[4], "ba") && !strcmp(k.got[5], "c"));
	k = (struct keys){ .stop_at = -1 };
	EXPECT_EQ(rumord_store_list(f.s, "b", 1, NULL, 0, false, keys_cb, &k), 0);
	EXPECT_EQ(k.n, 4);
	/* Going on after a key, as a streamed LIST does. */
	k = (struct keys){ .stop_at = -1 };
	EXPECT_EQ(rumord_store_list(f.s, "b", 1, "b1", 2, false, keys_cb, &k), 0);
	ASSERT_EQ(k.n, 2);
	EXPECT_TRUE(!strcmp(k.got[0], "b2") && !strcmp(k.got[1], "ba"));
	/* After a key before the prefix: the prefix still bounds it. */
	k = (struct keys){ .stop_at = -1 };
	EXPECT_EQ(rumord_store_list(f.s, "b", 1, "a", 1, false, keys_cb, &k), 0);
	EXPECT_EQ(k.n, 4);
	k = (struct keys){ .stop_at = -1 };
	EXPECT_EQ(rumord_store_list(f.s, "bz", 2, NULL, 0, false, keys_cb, &k), 0);
	EXPECT_EQ(k.n, 0);
	/* The callback's non-zero result stops the walk and comes back. */
	k = (struct keys){ .stop_at = 2 };
	EXPECT_EQ(rumord_store_list(f.s, NULL, 0, NULL, 0, false, keys_cb, &k), 7);
	fx_done(&f);
}

/* Two concurrent writes of one key, applied in both orders. */
static void test_lww_concurrent(void)
{
	struct rumord_record r1 = remote("k", "from-1", 1000, 11, 1);
	struct rumord_record r2 = remote("k", "from-2", 1000, 22, 1);
	struct rumord_record r3 = remote("k", "later", 1001, 11, 2);
	struct fx a, b;
	char buf[64];

	ASSERT_EQ(fx_new(&a, 0, 0), 0);
	ASSERT_EQ(fx_new(&b, 0, 0), 0);
	EXPECT_EQ(rumord_store_apply(a.s, &r1), 1);
	EXPECT_EQ(rumord_store_apply(a.s, &r2), 1);
	EXPECT_EQ(rumord_store_apply(b.s, &r2), 1);
	EXPECT_EQ(rumord_store_apply(b.s, &r1), 0);
	/* Equal timestamps: the larger node id wins, on both. */
	EXPECT_TRUE(!strcmp(get(&a, "k", buf, sizeof(buf)), "from-2"));
	EXPECT_TRUE(!strcmp(get(&b, "k", buf, sizeof(buf)), "from-2"));
	EXPECT_TRUE(hash_eq(root(&a), root(&b)));
	/* The loser's dot is had all the same. */
	EXPECT_TRUE(rumord_bvv_contains(rumord_store_bvv(b.s), r1.version.dot));
	EXPECT_TRUE(rumord_bvv_contains(rumord_store_bvv(a.s), r2.version.dot));
	/* Seen again: nothing happens. */
	EXPECT_EQ(rumord_store_apply(a.s, &r1), 0);
	EXPECT_EQ(rumord_store_stats(a.s)->apply_seen, 1);
	EXPECT_EQ(rumord_store_stats(b.s)->apply_lost, 1);
	/* A later timestamp beats a larger node id. */
	EXPECT_EQ(rumord_store_apply(a.s, &r3), 1);
	EXPECT_EQ(rumord_store_apply(b.s, &r3), 1);
	EXPECT_TRUE(!strcmp(get(&b, "k", buf, sizeof(buf)), "later"));
	EXPECT_TRUE(hash_eq(root(&a), root(&b)));
	fx_done(&a);
	fx_done(&b);
}

static void test_lww_tombstones(void)
{
	struct rumord_record put10 = remote("k", "v", 10 << 16, 5, 1);
	struct rumord_record del20 = remote("k", NULL, 20 << 16, 6, 1);
	struct rumord_record put15 = remote("k", "late", 15 << 16, 7, 1);
	struct rumord_record rec;
	struct fx f;

	ASSERT_EQ(fx_new(&f, 0, 0), 0);
	EXPECT_EQ(rumord_store_apply(f.s, &put10), 1);
	EXPECT_EQ(rumord_store_apply(f.s, &del20), 1);
	/* An older write that arrives late does not bring the key back. */
	EXPECT_EQ(rumord_store_apply(f.s, &put15), 0);
	ASSERT_EQ(rumord_store_get(f.s, "k", 1, &rec), 1);
	EXPECT_TRUE(rec.version.tombstone);
	EXPECT_EQ(rec.version.dot.node, 6);
	/* A local write after them all wins: the clock took theirs in. */
	EXPECT_EQ(put(&f, "k", "mine", NULL), 1);
	ASSERT_EQ(rumord_store_get(f.s, "k", 1, &rec), 1);
	EXPECT_TRUE(!rec.version.tombstone);
	fx_done(&f);
}

static void test_reopen_keeps_everything(void)
{
	struct rumord_record r = remote("remote", "x", (WALL0 + 5) << 16, 99, 7);
	struct rumord_version v, last;
	struct rumord_hash before;
	uint8_t bvv1[512], bvv2[512];
	size_t n1, n2;
	char key[16], buf[64];
	struct fx f;
	uint64_t id;
	int i;

	ASSERT_EQ(fx_new(&f, 0, 0), 0);
	id = rumord_store_node_id(f.s);
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "key%02d", i);
		ASSERT_EQ(put(&f, key, key, &last), 1);
	}
	ASSERT_EQ(rumord_store_del(f.s, "key07", 5, &last), 1);
	ASSERT_EQ(rumord_store_apply(f.s, &r), 1);
	before = root(&f);
	n1 = rumord_bvv_encode(rumord_store_bvv(f.s), bvv1, sizeof(bvv1));
	ASSERT_TRUE(n1 <= sizeof(bvv1));

	/* The wall clock went back an hour while we were down. */
	fake_wall = WALL0 - 3600 * 1000;
	ASSERT_EQ(fx_reopen(&f), 0);
	EXPECT_TRUE(rumord_store_node_id(f.s) == id);
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "key%02d", i);
		EXPECT_TRUE(!strcmp(get(&f, key, buf, sizeof(buf)),
				    i == 7 ? "" : key));
	}
	EXPECT_TRUE(!strcmp(get(&f, "remote", buf, sizeof(buf)), "x"));
	EXPECT_TRUE(hash_eq(root(&f), before));
	n2 = rumord_bvv_encode(rumord_store_bvv(f.s), bvv2, sizeof(bvv2));
	EXPECT_TRUE(n1 == n2 && !memcmp(bvv1, bvv2, n1));
	/* The counter goes on; the clock does not run backwards. */
	ASSERT_EQ(put(&f, "new", "n", &v), 1);
	EXPECT_EQ(v.dot.counter, last.dot.counter + 1);
	EXPECT_TRUE(v.hlc > r.version.hlc);
	fx_done(&f);
}

struct order {
	uint64_t prev;
	int n;
	bool sorted;
};

static int order_cb(const struct rumord_record *rec, void *arg)
{
	struct order *o = arg;
	uint64_t h = rumord_key_hash(rec->key, rec->key_len);

	if (o->n && h < o->prev)
		o->sorted = false;
	o->prev = h;
	o->n++;
	return 0;
}

static int stop_cb(const struct rumord_record *rec, void *arg)
{
	(void)rec;
	return --*(int *)arg ? 0 : 5;
}

static void test_range_and_by_dot(void)
{
	struct order o = { .sorted = true }, lo_half = { .sorted = true };
	struct rumord_version v[100], nv;
	struct rumord_record rec;
	char key[16];
	struct fx f;
	int i, stop = 3, expect_lo = 0;

	ASSERT_EQ(fx_new(&f, 0, 0), 0);
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "r%d", i);
		ASSERT_EQ(put(&f, key, key, &v[i]), 1);
		if (rumord_key_hash(key, strlen(key)) <= UINT64_MAX / 2)
			expect_lo++;
	}
	EXPECT_EQ(rumord_store_range(f.s, 0, UINT64_MAX, order_cb, &o), 0);
	EXPECT_EQ(o.n, 100);
	EXPECT_TRUE(o.sorted);
	EXPECT_EQ(rumord_store_range(f.s, 0, UINT64_MAX / 2, order_cb, &lo_half), 0);
	EXPECT_EQ(lo_half.n, expect_lo);
	EXPECT_EQ(rumord_store_range(f.s, 0, UINT64_MAX, stop_cb, &stop), 5);
	for (i = 0; i < 100; i++) {
		EXPECT_EQ(rumord_store_by_dot(f.s, v[i].dot, &rec), 1);
		EXPECT_TRUE(rec.version.dot.counter == v[i].dot.counter);
	}
	/* Overwritten: the old dot no longer gives a record. */
	ASSERT_EQ(put(&f, "r5", "new", &nv), 1);
	EXPECT_EQ(rumord_store_by_dot(f.s, v[5].dot, &rec), 0);
	EXPECT_EQ(rumord_store_by_dot(f.s, nv.dot, &rec), 1);
	EXPECT_EQ(rumord_store_by_dot(f.s, (struct rumord_dot){ 1, 1 }, &rec), 0);
	fx_done(&f);
}

static void test_dot_log_bounded(void)
{
	struct rumord_record rec, r;
	struct rumord_dot d;
	char key[16];
	struct fx f;
	int i;

	ASSERT_EQ(fx_new(&f, 8, 0), 0);
	for (i = 1; i <= 20; i++) {
		snprintf(key, sizeof(key), "d%d", i);
		ASSERT_EQ(put(&f, key, "v", NULL), 1);
	}
	d.node = rumord_store_node_id(f.s);
	for (i = 1; i <= 20; i++) {
		d.counter = (uint64_t)i;
		EXPECT_EQ(rumord_store_by_dot(f.s, d, &rec), i > 12);
	}
	/* Another origin's dot far below its newest is applied, not logged. */
	r = remote("x100", "v", 1 << 16, 77, 100);
	ASSERT_EQ(rumord_store_apply(f.s, &r), 1);
	r = remote("x50", "v", 1 << 16, 77, 50);
	ASSERT_EQ(rumord_store_apply(f.s, &r), 1);
	EXPECT_EQ(rumord_store_by_dot(f.s, (struct rumord_dot){ 77, 50 }, &rec), 0);
	EXPECT_EQ(rumord_store_by_dot(f.s, (struct rumord_dot){ 77, 100 }, &rec), 1);
	EXPECT_EQ(rumord_store_get(f.s, "x50", 3, &rec), 1);
	fx_done(&f);
}

static void test_gc(void)
{
	struct rumord_bvv covers, lacks;
	const struct rumord_bvv *peers[2];
	struct rumord_version tomb;
	struct rumord_record rec, again;
	struct rumord_hash live;
	struct fx f;

	ASSERT_EQ(fx_new(&f, 0, 0), 0);
	ASSERT_EQ(put(&f, "live", "v", NULL), 1);
	live = root(&f);
	ASSERT_EQ(put(&f, "gone", "v", NULL), 1);
	ASSERT_EQ(rumord_store_del(f.s, "gone", 4, &tomb), 1);
	EXPECT_TRUE(!hash_eq(root(&f), live));

	rumord_bvv_init(&covers);
	rumord_bvv_init(&lacks);
	ASSERT_EQ(rumord_bvv_merge(&covers, rumord_store_bvv(f.s)), 0);
	ASSERT_EQ(rumord_bvv_add(&lacks, (struct rumord_dot){ tomb.dot.node, 1 }), 1);
	peers[0] = &covers;
	peers[1] = &lacks;
	/* Nobody known, or somebody lacking the delete: it stays. */
	EXPECT_EQ(rumord_store_gc(f.s, peers, 0), 0);
	EXPECT_EQ(rumord_store_gc(f.s, peers, 2), 0);
	ASSERT_EQ(rumord_store_get(f.s, "gone", 4, &rec), 1);
	/* Everybody has it: collected. */
	EXPECT_EQ(rumord_store_gc(f.s, peers, 1), 1);
	EXPECT_EQ(rumord_store_get(f.s, "gone", 4, &rec), 0);
	EXPECT_EQ(rumord_store_by_dot(f.s, tomb.dot, &rec), 0);
	EXPECT_TRUE(hash_eq(root(&f), live));
	/* The tombstone from a peer that has not collected it yet: no effect. */
	again = (struct rumord_record){ .key = "gone", .key_len = 4,
					.version = tomb };
	EXPECT_EQ(rumord_store_apply(f.s, &again), 0);
	EXPECT_EQ(rumord_store_get(f.s, "gone", 4, &rec), 0);
	ASSERT_EQ(fx_reopen(&f), 0);
	EXPECT_EQ(rumord_store_get(f.s, "gone", 4, &rec), 0);
	EXPECT_TRUE(hash_eq(root(&f), live));
	rumord_bvv_free(&covers);
	rumord_bvv_free(&lacks);
	fx_done(&f);
}

/* More tombstones than one GC transaction takes. */
static void test_gc_batches(void)
{
	const struct rumord_bvv *peers[1];
	struct rumord_bvv all;
	uint64_t records;
	char key[16];
	struct fx f;
	int i;

	ASSERT_EQ(fx_new(&f, 0, 0), 0);
	for (i = 0; i < 700; i++) {
		snprintf(key, sizeof(key), "t%d", i);
		ASSERT_EQ(put(&f, key, "v", NULL), 1);
		if (i % 7)
			ASSERT_EQ(rumord_store_del(f.s, key, strlen(key), NULL), 1);
	}
	rumord_bvv_init(&all);
	ASSERT_EQ(rumord_bvv_merge(&all, rumord_store_bvv(f.s)), 0);
	peers[0] = &all;
	EXPECT_EQ(rumord_store_gc(f.s, peers, 1), 600);
	ASSERT_EQ(rumord_store_count(f.s, &records), 0);
	EXPECT_EQ(records, 100);
	EXPECT_EQ(rumord_merkle_count(rumord_store_merkle(f.s)), 100);
	EXPECT_EQ(rumord_store_gc(f.s, peers, 1), 0);
	rumord_bvv_free(&all);
	fx_done(&f);
}

static void test_long_keys(void)
{
	char k510[511], k511[512], k512[513], pfx[506];
	struct rumord_record rec;
	struct rumord_hash before;
	struct keys k = { .stop_at = -1 };
	struct fx f;

	memset(k510, 'p', sizeof(k510));
	memset(k511, 'p', sizeof(k511));
	memset(k512, 'p', sizeof(k512));
	k510[510] = k511[511] = k512[512] = '\0';
	k511[505] = 'x';
	k512[505] = 'y';
	ASSERT_EQ(fx_new(&f, 0, 0), 0);
	ASSERT_EQ(put(&f, k510, "510", NULL), 1);
	ASSERT_EQ(put(&f, k511, "511", NULL), 1);
	ASSERT_EQ(put(&f, k512, "512", NULL), 1);
	ASSERT_EQ(rumord_store_get(f.s, k511, 511, &rec), 1);
	EXPECT_TRUE(rec.key_len == 511 && !memcmp(rec.value, "511", 3));
	ASSERT_EQ(rumord_store_get(f.s, k512, 512, &rec), 1);
	EXPECT_TRUE(rec.key_len == 512 && !memcmp(rec.value, "512", 3));
	k512[511] = 'q';	/* same 503 bytes, another key */
	EXPECT_EQ(rumord_store_get(f.s, k512, 512, &rec), 0);
	k512[511] = 'p';
	EXPECT_EQ(rumord_store_list(f.s, k510, 503, NULL, 0, false, keys_cb, &k), 0);
	EXPECT_EQ(k.n, 3);
	/* A prefix longer than the LMDB key keeps: only the 511-byte key. */
	memcpy(pfx, k511, 506);
	k = (struct keys){ .stop_at = -1 };
	EXPECT_EQ(rumord_store_list(f.s, pfx, 506, NULL, 0, false, keys_cb, &k), 0);
	EXPECT_EQ(k.n, 1);
	EXPECT_EQ(rumord_store_put(f.s, k512, 513, "v", 1, NULL), -EINVAL);
	before = root(&f);
	ASSERT_EQ(fx_reopen(&f), 0);
	EXPECT_TRUE(hash_eq(root(&f), before));
	EXPECT_EQ(rumord_store_get(f.s, k512, 512, &rec), 1);
	fx_done(&f);
}

static void test_bad_input(void)
{
	static char big[RUMORD_MAX_VALUE + 1];
	struct rumord_record r;
	struct rumord_version v;
	struct fx f;

	ASSERT_EQ(fx_new(&f, 0, 0), 0);
	EXPECT_EQ(rumord_store_put(f.s, "", 0, "v", 1, &v), -EINVAL);
	EXPECT_EQ(rumord_store_put(f.s, "k", 1, big, sizeof(big), &v), -EINVAL);
	EXPECT_EQ(rumord_store_put(f.s, "k", 1, big, sizeof(big) - 1, &v), 1);
	r = remote("k", "v", 1, 0, 1);
	EXPECT_EQ(rumord_store_apply(f.s, &r), -EINVAL);
	r = remote("k", "v", 1, 3, 0);
	EXPECT_EQ(rumord_store_apply(f.s, &r), -EINVAL);
	r = remote("k", "v", 1, 3, 1);
	r.version.tombstone = true;
	EXPECT_EQ(rumord_store_apply(f.s, &r), -EINVAL);
	EXPECT_EQ(rumord_store_list(f.s, NULL, 0, "", 0, false, count_cb, NULL),
		  -EINVAL);
	fx_done(&f);
}

/* Filling the map: every write before it failed is whole, the one after none. */
static void test_map_full(void)
{
	static char value[60000];
	struct rumord_version v;
	struct rumord_record rec;
	char key[16];
	struct fx f;
	int i, rc = 0, ok = 0;

	memset(value, 'm', sizeof(value));
	ASSERT_EQ(fx_new(&f, 0, 1 << 20), 0);
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "m%d", i);
		rc = rumord_store_put(f.s, key, strlen(key), value,
				      sizeof(value), &v);
		if (rc != 1)
			break;
		ok++;
	}
	EXPECT_EQ(rc, -ENOSPC);
	EXPECT_TRUE(ok > 2);
	ASSERT_EQ(fx_reopen(&f), 0);
	for (i = 0; i <= ok; i++) {
		snprintf(key, sizeof(key), "m%d", i);
		rc = rumord_store_get(f.s, key, strlen(key), &rec);
		EXPECT_EQ(rc, i < ok);
		if (rc == 1)
			EXPECT_TRUE(rec.value_len == sizeof(value) &&
				    !memcmp(rec.value, value, sizeof(value)));
	}
	/* No dot was spent on the failed write. */
	EXPECT_EQ(rumord_store_del(f.s, "m0", 2, &v), 1);
	EXPECT_EQ(v.dot.counter, (uint64_t)ok + 1);
	fx_done(&f);
}

/* A restored backup must not hand out dots it used before. */
static void test_own_dot_from_the_future(void)
{
	struct rumord_version v;
	struct rumord_record r;
	struct fx f;

	ASSERT_EQ(fx_new(&f, 0, 0), 0);
	r = remote("old", "v", 1 << 16, rumord_store_node_id(f.s), 50);
	EXPECT_EQ(rumord_store_apply(f.s, &r), 1);
	ASSERT_EQ(put(&f, "next", "v", &v), 1);
	EXPECT_EQ(v.dot.counter, 51);
	ASSERT_EQ(fx_reopen(&f), 0);
	ASSERT_EQ(put(&f, "after", "v", &v), 1);
	EXPECT_EQ(v.dot.counter, 52);
	fx_done(&f);
}

/* A write stamped a day ahead keeps its key; the clock does not follow. */
static void test_far_future_write(void)
{
	uint64_t day = (WALL0 + 86400 * 1000ull) << RUMORD_HLC_LOGICAL_BITS;
	struct rumord_record r = remote("k", "future", day, 3, 1);
	struct rumord_version v;
	struct fx f;
	char buf[64];

	ASSERT_EQ(fx_new(&f, 0, 0), 0);
	ASSERT_EQ(rumord_store_apply(f.s, &r), 1);
	EXPECT_EQ(put(&f, "k", "now", &v), 0);
	EXPECT_TRUE(v.hlc == day && v.dot.node == 3);
	EXPECT_EQ(rumord_store_del(f.s, "k", 1, &v), 0);
	EXPECT_TRUE(!v.tombstone);
	EXPECT_TRUE(!strcmp(get(&f, "k", buf, sizeof(buf)), "future"));
	ASSERT_EQ(put(&f, "other", "now", &v), 1);
	EXPECT_TRUE(v.hlc >> RUMORD_HLC_LOGICAL_BITS == WALL0);
	EXPECT_EQ(v.dot.counter, 1);
	fx_done(&f);
}

static void test_unusable_dir(void)
{
	struct rumord_store *s = NULL;
	char path[] = "/tmp/rumor-test-store-file.XXXXXX";
	int fd;

	EXPECT_TRUE(rumord_store_open(&s, "/nonexistent/rumor/store", NULL) < 0);
	fd = mkstemp(path);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	EXPECT_TRUE(rumord_store_open(&s, path, NULL) < 0);
	unlink(path);
}

/*
 * The store and the in-memory replica hold the same records: the same
 * Merkle tree, through the replica interface sync.c uses.
 */
static void test_replica_matches_memreplica(void)
{
	struct rumord_memreplica *m;
	struct rumord_replica rs, rm;
	struct rumord_record r, got;
	struct rumord_bvv seen;
	char key[16], val[16];
	struct fx f;
	int i;

	ASSERT_EQ(fx_new(&f, 0, 0), 0);
	m = rumord_memreplica_new(12345, 64);
	ASSERT_TRUE(m != NULL);
	rumord_store_replica(f.s, &rs);
	rumord_memreplica_replica(m, &rm);
	for (i = 1; i <= 300; i++) {
		snprintf(key, sizeof(key), "m%d", i % 200);
		snprintf(val, sizeof(val), "v%d", i);
		r = remote(key, i % 9 ? val : NULL, (uint64_t)(i * 3 % 250 + 1) << 16,
			   (uint64_t)(i % 5 + 1), (uint64_t)i);
		EXPECT_EQ(rs.ops->apply(rs.r, &r), rm.ops->apply(rm.r, &r));
	}
	EXPECT_TRUE(hash_eq(rumord_merkle_node(rs.ops->merkle(rs.r), 0, 0),
			    rumord_merkle_node(rm.ops->merkle(rm.r), 0, 0)));
	EXPECT_EQ(rumord_merkle_count(rs.ops->merkle(rs.r)),
		  rumord_merkle_count(rm.ops->merkle(rm.r)));
	EXPECT_EQ(rs.ops->get(rs.r, "m7", 2, &got), 1);
	/* cover(): dots without records, kept across a reopen. */
	rumord_bvv_init(&seen);
	for (i = 1; i <= 5; i++)
		ASSERT_EQ(rumord_bvv_add(&seen, (struct rumord_dot){ 999, (uint64_t)i }), 1);
	ASSERT_TRUE(rs.ops->cover != NULL);
	EXPECT_EQ(rs.ops->cover(rs.r, &seen), 0);
	EXPECT_TRUE(rumord_bvv_contains(rs.ops->bvv(rs.r), (struct rumord_dot){ 999, 5 }));
	ASSERT_EQ(fx_reopen(&f), 0);
	rumord_store_replica(f.s, &rs);
	EXPECT_TRUE(rumord_bvv_contains(rs.ops->bvv(rs.r), (struct rumord_dot){ 999, 3 }));
	/* Dot 298 came from node 298 % 5 + 1 in the loop above. */
	EXPECT_TRUE(rumord_bvv_contains(rs.ops->bvv(rs.r),
					(struct rumord_dot){ 4, 298 }));
	rumord_bvv_free(&seen);
	rumord_memreplica_free(m);
	fx_done(&f);
}

static int fill(struct fx *f, int from, int to, const char *tag)
{
	char key[16], val[16];
	int i;

	for (i = from; i < to; i++) {
		snprintf(key, sizeof(key), "s%d", i);
		snprintf(val, sizeof(val), "%s%d", tag, i);
		if (put(f, key, val, NULL) != 1)
			return -1;
	}
	return 0;
}

/*
 * Two stores that took different writes, and a third, in-memory replica:
 * every session method leaves them with equal trees, and a tombstone
 * reaches the other side.
 */
static void test_sync_converges(void)
{
	static const enum rumord_sync_method methods[] = {
		RUMORD_SYNC_AUTO, RUMORD_SYNC_BVV, RUMORD_SYNC_MERKLE,
		RUMORD_SYNC_NAIVE,
	};
	struct rumord_memreplica *m;
	struct rumord_replica ra, rb, rm;
	struct rumord_record rec;
	struct fx a, b;
	size_t i;

	ASSERT_EQ(fx_new(&a, 0, 0), 0);
	ASSERT_EQ(fx_new(&b, 0, 0), 0);
	ASSERT_EQ(fill(&a, 0, 300, "a"), 0);
	fake_wall++;
	ASSERT_EQ(fill(&b, 200, 500, "b"), 0);
	ASSERT_EQ(rumord_store_del(a.s, "s7", 2, NULL), 1);
	rumord_store_replica(a.s, &ra);
	rumord_store_replica(b.s, &rb);
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		fake_wall++;
		ASSERT_EQ(fill(&a, 1000 + 10 * (int)i, 1005 + 10 * (int)i, "late"), 0);
		EXPECT_EQ(rumord_sync_pair(&ra, &rb, methods[i], NULL, NULL), 0);
		EXPECT_TRUE(hash_eq(root(&a), root(&b)));
	}
	ASSERT_EQ(rumord_store_get(b.s, "s7", 2, &rec), 1);
	EXPECT_TRUE(rec.version.tombstone);
	ASSERT_EQ(rumord_store_get(a.s, "s250", 4, &rec), 1);
	EXPECT_TRUE(rec.value_len == 4 && !memcmp(rec.value, "b250", 4));

	m = rumord_memreplica_new(4242, 1024);
	ASSERT_TRUE(m != NULL);
	rumord_memreplica_replica(m, &rm);
	EXPECT_EQ(rumord_memreplica_put(m, "mem", 3, "x", 1, WALL0 + 100), 1);
	EXPECT_EQ(rumord_sync_pair(&rm, &ra, RUMORD_SYNC_AUTO, NULL, NULL), 0);
	EXPECT_TRUE(hash_eq(root(&a),
			    rumord_merkle_node(rm.ops->merkle(rm.r), 0, 0)));
	EXPECT_EQ(rumord_store_get(a.s, "mem", 3, &rec), 1);
	rumord_memreplica_free(m);
	fx_done(&a);
	fx_done(&b);
}

static const struct ktap_case cases[] = {
	{ "store_node_id_durable", test_node_id_durable },
	{ "store_put_get", test_put_get },
	{ "store_delete_tombstone", test_delete_tombstone },
	{ "store_list_prefix_and_resume", test_list },
	{ "store_lww_concurrent_any_order", test_lww_concurrent },
	{ "store_lww_tombstones", test_lww_tombstones },
	{ "store_reopen_keeps_everything", test_reopen_keeps_everything },
	{ "store_range_and_by_dot", test_range_and_by_dot },
	{ "store_dot_log_bounded", test_dot_log_bounded },
	{ "store_gc_tombstones", test_gc },
	{ "store_gc_batches", test_gc_batches },
	{ "store_long_keys", test_long_keys },
	{ "store_bad_input", test_bad_input },
	{ "store_map_full_no_partial_write", test_map_full },
	{ "store_own_dot_from_the_future", test_own_dot_from_the_future },
	{ "store_far_future_write_holds", test_far_future_write },
	{ "store_unusable_dir", test_unusable_dir },
	{ "store_replica_matches_memreplica", test_replica_matches_memreplica },
	{ "store_sync_converges", test_sync_converges },
};

KTAP_MAIN(cases)
