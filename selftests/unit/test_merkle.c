// SPDX-License-Identifier: GPL-2.0
/*
 * rumord's Merkle tree over the key-hash space: empty trees, one key, the
 * ranges nodes cover, incremental updates against trees rebuilt from
 * scratch, all keys different, concurrent writes to one key, tombstones,
 * 128-bit carries, and copies.
 */
#include <stdlib.h>

#include "../lib/ktap.h"
#include "memreplica.h"
#include "merkle.h"

#define LEVELS	(RUMORD_MERKLE_DEPTH + 1)

static const struct rumord_hash zero;

static uint64_t nodes_at(unsigned int level)
{
	return 1ULL << (4 * level);
}

static uint64_t index_at(uint64_t key_hash, unsigned int level)
{
	return level ? key_hash >> (64 - 4 * level) : 0;
}

/* Every node of every level equal: the slow, sure comparison. */
static bool trees_equal(const struct rumord_merkle *a, const struct rumord_merkle *b)
{
	for (unsigned int l = 0; l < LEVELS; l++)
		for (uint64_t i = 0; i < nodes_at(l); i++)
			if (!rumord_hash_eq(rumord_merkle_node(a, l, i),
					    rumord_merkle_node(b, l, i)))
				return false;
	return rumord_merkle_count(a) == rumord_merkle_count(b);
}

static uint64_t nonzero_nodes(const struct rumord_merkle *m, unsigned int level)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < nodes_at(level); i++)
		n += !rumord_hash_zero(rumord_merkle_node(m, level, i));
	return n;
}

static struct rumord_version ver(uint64_t hlc, uint64_t node, uint64_t counter,
				 bool tombstone)
{
	return (struct rumord_version){ hlc, { node, counter }, tombstone };
}

static void test_empty(void)
{
	struct rumord_merkle *a = rumord_merkle_new(), *b = rumord_merkle_new();

	ASSERT_TRUE(a && b);
	EXPECT_TRUE(rumord_hash_zero(rumord_merkle_node(a, 0, 0)));
	EXPECT_EQ(rumord_merkle_count(a), 0);
	for (unsigned int l = 0; l < LEVELS; l++)
		EXPECT_EQ(nonzero_nodes(a, l), 0);
	EXPECT_TRUE(trees_equal(a, b));
	/* Outside the tree: zero, not a crash. */
	EXPECT_TRUE(rumord_hash_zero(rumord_merkle_node(a, LEVELS, 0)));
	EXPECT_TRUE(rumord_hash_zero(rumord_merkle_node(a, 1, 16)));
	rumord_merkle_free(a);
	rumord_merkle_free(b);
}

/* XXH3 exactly, so that every node, whatever its build, hashes alike. */
static void test_hash_functions(void)
{
	struct rumord_version v = ver(1, 1, 1, false), w = v;
	struct rumord_hash h;

	EXPECT_EQ(rumord_key_hash("", 0), 0x2D06800538D394C2ULL);
	h = rumord_entry_hash("k", 1, &v);
	EXPECT_TRUE(!rumord_hash_zero(h));
	EXPECT_TRUE(rumord_hash_eq(h, rumord_entry_hash("k", 1, &v)));
	w.dot.counter = 2;
	EXPECT_TRUE(!rumord_hash_eq(h, rumord_entry_hash("k", 1, &w)));
	EXPECT_TRUE(!rumord_hash_eq(h, rumord_entry_hash("K", 1, &v)));
	w = v;
	w.tombstone = true;
	EXPECT_TRUE(!rumord_hash_eq(h, rumord_entry_hash("k", 1, &w)));
}

/* One key: its entry hash on every node of its path, nothing elsewhere. */
static void test_one_key(void)
{
	struct rumord_merkle *m = rumord_merkle_new();
	struct rumord_version v = ver(77, 3, 1, false);
	uint64_t kh = rumord_key_hash("only", 4);
	struct rumord_hash e = rumord_entry_hash("only", 4, &v);

	ASSERT_TRUE(m != NULL);
	rumord_merkle_update(m, kh, zero, e);
	EXPECT_EQ(rumord_merkle_count(m), 1);
	for (unsigned int l = 0; l < LEVELS; l++) {
		EXPECT_TRUE(rumord_hash_eq(rumord_merkle_node(m, l, index_at(kh, l)), e));
		EXPECT_EQ(nonzero_nodes(m, l), 1);
	}
	rumord_merkle_update(m, kh, e, zero);
	EXPECT_EQ(rumord_merkle_count(m), 0);
	for (unsigned int l = 0; l < LEVELS; l++)
		EXPECT_EQ(nonzero_nodes(m, l), 0);
	rumord_merkle_free(m);
}

/* The nodes of a level partition the hash space, in order. */
static void test_ranges(void)
{
	uint64_t lo, hi, prev_hi = 0;

	rumord_merkle_range(0, 0, &lo, &hi);
	EXPECT_EQ(lo, 0);
	EXPECT_TRUE(hi == UINT64_MAX);
	for (unsigned int l = 1; l < LEVELS; l++) {
		for (uint64_t i = 0; i < nodes_at(l); i += l < 3 ? 1 : 4093) {
			rumord_merkle_range(l, i, &lo, &hi);
			ASSERT_EQ(index_at(lo, l), i);
			ASSERT_EQ(index_at(hi, l), i);
			ASSERT_TRUE(hi - lo == UINT64_MAX >> (4 * l));
			if (i)
				ASSERT_TRUE(lo == prev_hi + 1 || l >= 3);
			prev_hi = hi;
		}
		rumord_merkle_range(l, nodes_at(l) - 1, &lo, &hi);
		EXPECT_TRUE(hi == UINT64_MAX);
	}
	/* A child's range lies inside its parent's. */
	rumord_merkle_range(2, 0x37, &lo, &hi);
	{
		uint64_t plo, phi;

		rumord_merkle_range(1, 0x3, &plo, &phi);
		EXPECT_TRUE(plo <= lo && hi <= phi);
	}
}

/* Sums wrap at 2^128 with the carry from the low word into the high. */
static void test_carry(void)
{
	struct rumord_merkle *m = rumord_merkle_new();
	struct rumord_hash big = { UINT64_MAX, 0 }, root;

	ASSERT_TRUE(m != NULL);
	rumord_merkle_update(m, 1, zero, big);
	rumord_merkle_update(m, 2, zero, big);
	root = rumord_merkle_node(m, 0, 0);
	EXPECT_TRUE(root.lo == UINT64_MAX - 1);
	EXPECT_EQ(root.hi, 1);
	rumord_merkle_update(m, 1, big, zero);
	rumord_merkle_update(m, 2, big, zero);
	EXPECT_TRUE(rumord_hash_zero(rumord_merkle_node(m, 0, 0)));
	rumord_merkle_free(m);
}

struct entry {
	uint64_t kh;
	struct rumord_hash h;
};

/*
 * Random inserts, overwrites and removals, applied incrementally to one
 * tree, against a tree built afterwards from the final entries in another
 * order: every node equal. The root alone is checked after each step
 * against a running sum.
 */
static void test_incremental_equals_rebuilt(void)
{
	enum { KEYS = 3000, STEPS = 20000 };
	static struct entry e[KEYS];
	struct rumord_merkle *m = rumord_merkle_new(), *r = rumord_merkle_new();
	unsigned __int128 sum = 0;
	unsigned int seed = 3;

	ASSERT_TRUE(m && r);
	for (int i = 0; i < KEYS; i++)
		e[i].kh = rumord_key_hash(&i, sizeof(i));
	for (int s = 0; s < STEPS; s++) {
		int i = rand_r(&seed) % KEYS;
		struct rumord_version v = ver((uint64_t)s, 1, (uint64_t)s + 1,
					      rand_r(&seed) % 5 == 0);
		struct rumord_hash nh = rand_r(&seed) % 7 == 0 ? zero :
					rumord_entry_hash(&i, sizeof(i), &v);

		rumord_merkle_update(m, e[i].kh, e[i].h, nh);
		sum -= (unsigned __int128)e[i].h.hi << 64 | e[i].h.lo;
		sum += (unsigned __int128)nh.hi << 64 | nh.lo;
		e[i].h = nh;
		ASSERT_TRUE(rumord_merkle_node(m, 0, 0).lo == (uint64_t)sum);
		ASSERT_TRUE(rumord_merkle_node(m, 0, 0).hi == (uint64_t)(sum >> 64));
	}
	for (int i = KEYS - 1; i >= 0; i--)
		if (!rumord_hash_zero(e[i].h))
			rumord_merkle_update(r, e[i].kh, zero, e[i].h);
	EXPECT_TRUE(trees_equal(m, r));
	EXPECT_TRUE(rumord_merkle_count(m) > 0);
	rumord_merkle_free(m);
	rumord_merkle_free(r);
}

/*
 * The same keys at different versions on two trees: every node holding a
 * key differs, every empty one agrees.
 */
static void test_all_keys_different(void)
{
	enum { KEYS = 500 };
	struct rumord_merkle *a = rumord_merkle_new(), *b = rumord_merkle_new();

	ASSERT_TRUE(a && b);
	for (int i = 0; i < KEYS; i++) {
		struct rumord_version va = ver(1, 1, (uint64_t)i + 1, false);
		struct rumord_version vb = ver(2, 2, (uint64_t)i + 1, false);
		uint64_t kh = rumord_key_hash(&i, sizeof(i));

		rumord_merkle_update(a, kh, zero, rumord_entry_hash(&i, sizeof(i), &va));
		rumord_merkle_update(b, kh, zero, rumord_entry_hash(&i, sizeof(i), &vb));
	}
	EXPECT_EQ(rumord_merkle_count(a), KEYS);
	EXPECT_EQ(rumord_merkle_count(b), KEYS);
	for (unsigned int l = 0; l < LEVELS; l++) {
		uint64_t differ = 0, used = nonzero_nodes(a, l);

		for (uint64_t i = 0; i < nodes_at(l); i++)
			differ += !rumord_hash_eq(rumord_merkle_node(a, l, i),
						  rumord_merkle_node(b, l, i));
		EXPECT_EQ(differ, used);
		EXPECT_EQ(used, nonzero_nodes(b, l));
	}
	rumord_merkle_free(a);
	rumord_merkle_free(b);
}

static struct rumord_hash root_of(struct rumord_memreplica *m)
{
	struct rumord_replica r;

	rumord_memreplica_replica(m, &r);
	return rumord_merkle_node(r.ops->merkle(r.r), 0, 0);
}

/*
 * Concurrent writes to one key reach two replicas in opposite orders: the
 * trees agree, and hold the winner's entry, whatever the order.
 */
static void test_concurrent_writes_one_key(void)
{
	struct rumord_memreplica *x = rumord_memreplica_new(9, 0);
	struct rumord_memreplica *y = rumord_memreplica_new(8, 0);
	struct rumord_record w1 = { "key", 3, "one", 3, ver(500, 1, 1, false) };
	struct rumord_record w2 = { "key", 3, "two", 3, ver(500, 2, 1, false) };
	struct rumord_replica rx, ry;
	struct rumord_merkle *expect = rumord_merkle_new();

	ASSERT_TRUE(x && y && expect);
	rumord_memreplica_replica(x, &rx);
	rumord_memreplica_replica(y, &ry);
	EXPECT_EQ(rx.ops->apply(rx.r, &w1), 1);
	EXPECT_EQ(rx.ops->apply(rx.r, &w2), 1);
	EXPECT_EQ(ry.ops->apply(ry.r, &w2), 1);
	EXPECT_EQ(ry.ops->apply(ry.r, &w1), 0);
	EXPECT_TRUE(rumord_hash_eq(root_of(x), root_of(y)));
	rumord_merkle_update(expect, rumord_key_hash("key", 3), zero,
			     rumord_entry_hash("key", 3, &w2.version));
	EXPECT_TRUE(trees_equal(rx.ops->merkle(rx.r), expect));
	EXPECT_TRUE(trees_equal(ry.ops->merkle(ry.r), expect));
	rumord_merkle_free(expect);
	rumord_memreplica_free(x);
	rumord_memreplica_free(y);
}

/*
 * A tombstone is an entry: a delete changes the root (so repair carries
 * it), replicas that both saw it agree, and its node is not empty.
 */
static void test_tombstones(void)
{
	struct rumord_memreplica *a = rumord_memreplica_new(1, 0), *b;
	struct rumord_hash before, after;
	struct rumord_replica r;

	ASSERT_TRUE(a != NULL);
	rumord_memreplica_replica(a, &r);
	ASSERT_EQ(rumord_memreplica_put(a, "x", 1, "v", 1, 100), 1);
	ASSERT_EQ(rumord_memreplica_put(a, "y", 1, "v", 1, 101), 1);
	b = rumord_memreplica_clone(a, 2);
	ASSERT_TRUE(b != NULL);
	before = root_of(a);
	ASSERT_EQ(rumord_memreplica_del(a, "x", 1, 102), 1);
	after = root_of(a);
	EXPECT_TRUE(!rumord_hash_eq(before, after));
	EXPECT_EQ(rumord_memreplica_count(a), 2);
	EXPECT_EQ(rumord_merkle_count(r.ops->merkle(r.r)), 2);
	EXPECT_TRUE(rumord_hash_eq(root_of(b), before));
	/* b deletes the same key itself, later: a different tombstone. */
	ASSERT_EQ(rumord_memreplica_del(b, "x", 1, 103), 1);
	EXPECT_TRUE(!rumord_hash_eq(root_of(b), after));
	/* Each takes the other's: the later tombstone wins on both. */
	{
		struct rumord_replica rb;
		struct rumord_record ta, tb;

		rumord_memreplica_replica(b, &rb);
		ASSERT_EQ(r.ops->get(r.r, "x", 1, &ta), 1);
		ASSERT_EQ(rb.ops->get(rb.r, "x", 1, &tb), 1);
		EXPECT_EQ(rb.ops->apply(rb.r, &ta), 0);
		ASSERT_EQ(rb.ops->get(rb.r, "x", 1, &tb), 1);
		EXPECT_EQ(r.ops->apply(r.r, &tb), 1);
	}
	EXPECT_TRUE(rumord_hash_eq(root_of(a), root_of(b)));
	EXPECT_EQ(rumord_memreplica_check(a), 0);
	EXPECT_EQ(rumord_memreplica_check(b), 0);
	rumord_memreplica_free(a);
	rumord_memreplica_free(b);
}

/* A copy is equal and independent. */
static void test_dup(void)
{
	struct rumord_merkle *m = rumord_merkle_new(), *c;
	struct rumord_hash h = { 5, 6 };

	ASSERT_TRUE(m != NULL);
	for (uint64_t k = 0; k < 100; k++)
		rumord_merkle_update(m, k * 0x9e3779b97f4a7c15ULL, zero, h);
	c = rumord_merkle_dup(m);
	ASSERT_TRUE(c != NULL);
	EXPECT_TRUE(trees_equal(m, c));
	rumord_merkle_update(c, 12345, zero, h);
	EXPECT_TRUE(!trees_equal(m, c));
	EXPECT_EQ(rumord_merkle_count(m), 100);
	EXPECT_EQ(rumord_merkle_count(c), 101);
	rumord_merkle_free(m);
	rumord_merkle_free(c);
}

static const struct ktap_case cases[] = {
	{ "merkle_empty", test_empty },
	{ "merkle_hash_functions", test_hash_functions },
	{ "merkle_one_key", test_one_key },
	{ "merkle_ranges", test_ranges },
	{ "merkle_carry", test_carry },
	{ "merkle_incremental_equals_rebuilt", test_incremental_equals_rebuilt },
	{ "merkle_all_keys_different", test_all_keys_different },
	{ "merkle_concurrent_writes_one_key", test_concurrent_writes_one_key },
	{ "merkle_tombstones", test_tombstones },
	{ "merkle_dup", test_dup },
};

KTAP_MAIN(cases)
