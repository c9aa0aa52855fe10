// SPDX-License-Identifier: GPL-2.0
/*
 * The consistent hash ring (userspace/rumord/ring.c): preference lists of
 * distinct members, the same whatever order the members were given in,
 * keys spread evenly over 16 members, a join or a leave moving only the
 * keys it must, stand-ins for down members, too few members, and the bound
 * on members.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/ktap.h"
#include "merkle.h"
#include "ring.h"

#define NKEYS		100000

/*
 * Balance bounds, for 16 members of 64 points each. A member's arc is the
 * sum of 64 gaps between random points, so its share varies by about
 * 1/sqrt(64) = 12.5% around the mean. Measured over eight member sets
 * (the diagnostics print it): largest share over smallest 1.38 to 1.87,
 * shares 0.72 to 1.36 of the mean. A single point per member gives a
 * ratio of 26, a broken hash worse.
 */
#define BALANCE_MAX_RATIO	2.25
#define BALANCE_MIN_SHARE	0.6	/* of the mean */
#define BALANCE_MAX_SHARE	1.5

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The hash of the i-th random key of a run: 16 random bytes each. */
static uint64_t key_hash(uint64_t seed, size_t i)
{
	uint64_t s = seed * 1000003 + i, k[2];

	k[0] = splitmix64(&s);
	k[1] = splitmix64(&s);
	return rumord_key_hash(k, sizeof(k));
}

/* @n members with random non-zero node ids and distinct addresses. */
static void make_members(struct rumord_ring_member *m, size_t n, uint64_t seed)
{
	size_t i;

	memset(m, 0, n * sizeof(*m));
	for (i = 0; i < n; i++) {
		do
			m[i].node = splitmix64(&seed);
		while (!m[i].node);
		m[i].addr.addr[10] = 0xff;
		m[i].addr.addr[11] = 0xff;
		m[i].addr.addr[12] = 10;
		m[i].addr.addr[14] = (uint8_t)(i >> 8);
		m[i].addr.addr[15] = (uint8_t)i;
		m[i].addr.port = 7867;
	}
}

static void shuffle(struct rumord_ring_member *m, size_t n, uint64_t seed)
{
	struct rumord_ring_member t;
	size_t i, j;

	for (i = n - 1; i > 0; i--) {
		j = splitmix64(&seed) % (i + 1);
		t = m[i];
		m[i] = m[j];
		m[j] = t;
	}
}

static int build(struct rumord_ring *r, unsigned int vnodes,
		 const struct rumord_ring_member *m, size_t n)
{
	int rc = rumord_ring_init(r, vnodes);

	return rc ? rc : rumord_ring_set_members(r, m, n, NULL);
}

static uint64_t primary(const struct rumord_ring *r, uint64_t h)
{
	const struct rumord_ring_member *out[1];
	size_t count;

	if (rumord_ring_preference(r, h, 1, out, &count))
		return 0;
	return out[0]->node;
}

/* The index of @node in @m, or n. */
static size_t index_of(const struct rumord_ring_member *m, size_t n,
		       uint64_t node)
{
	size_t i;

	for (i = 0; i < n && m[i].node != node; i++)
		;
	return i;
}

/* ---- cases ---- */

/* The circle's form is part of the protocol: a change splits a cluster. */
static void test_point_known_answer(void)
{
	EXPECT_TRUE(rumord_ring_point_pos(1, 0) == 0x1ae5c64125880f18ull);
	EXPECT_TRUE(rumord_ring_point_pos(0x0123456789abcdefull, 63) ==
		    0xbdb409ddf1b86982ull);
	EXPECT_TRUE(rumord_ring_point_pos(1, 0) != rumord_ring_point_pos(1, 1));
	EXPECT_TRUE(rumord_ring_point_pos(1, 0) != rumord_ring_point_pos(2, 0));
}

static void test_distinct_members(void)
{
	const struct rumord_ring_member *out[RUMORD_RING_MAX_N];
	struct rumord_ring_member m[16];
	struct rumord_ring r;
	unsigned int n;
	size_t i, a, b, count;

	make_members(m, 16, 1);
	ASSERT_EQ(build(&r, 0, m, 16), 0);
	EXPECT_EQ(r.npoints, 16 * RUMORD_RING_VNODES);
	for (n = 1; n <= 16; n++) {
		for (i = 0; i < 2000; i++) {
			ASSERT_EQ(rumord_ring_preference(&r, key_hash(n, i), n,
							 out, &count), 0);
			ASSERT_EQ(count, n);
			for (a = 0; a < count; a++)
				for (b = a + 1; b < count; b++)
					ASSERT_TRUE(out[a] != out[b] &&
						    out[a]->node != out[b]->node);
		}
	}
	/* A key exactly on a point belongs to that point's member. */
	ASSERT_EQ(rumord_ring_preference(&r, r.points[5].pos, 1, out, &count), 0);
	EXPECT_TRUE(out[0] == &r.members[r.points[5].member]);
	/* Past the last point the walk wraps to the first. */
	ASSERT_EQ(rumord_ring_preference(&r, r.points[r.npoints - 1].pos + 1, 1,
					 out, &count), 0);
	if (r.points[r.npoints - 1].pos != UINT64_MAX)
		EXPECT_TRUE(out[0] == &r.members[r.points[0].member]);
	rumord_ring_free(&r);
}

static void test_insertion_order(void)
{
	const struct rumord_ring_member *oa[3], *ob[3];
	struct rumord_ring_member m[40];
	struct rumord_ring a, b;
	size_t i, k, ca, cb;
	uint64_t seed;

	make_members(m, 40, 2);
	ASSERT_EQ(build(&a, 0, m, 40), 0);
	for (seed = 1; seed <= 5; seed++) {
		shuffle(m, 40, seed);
		ASSERT_EQ(build(&b, 0, m, 40), 0);
		ASSERT_EQ(b.npoints, a.npoints);
		for (i = 0; i < a.npoints; i++) {
			EXPECT_TRUE(a.points[i].pos == b.points[i].pos);
			EXPECT_TRUE(a.members[a.points[i].member].node ==
				    b.members[b.points[i].member].node);
		}
		for (i = 0; i < 10000; i++) {
			uint64_t h = key_hash(77, i);

			ASSERT_EQ(rumord_ring_preference(&a, h, 3, oa, &ca), 0);
			ASSERT_EQ(rumord_ring_preference(&b, h, 3, ob, &cb), 0);
			for (k = 0; k < 3; k++)
				ASSERT_TRUE(oa[k]->node == ob[k]->node &&
					    !memcmp(&oa[k]->addr, &ob[k]->addr,
						    sizeof(oa[k]->addr)));
		}
		rumord_ring_free(&b);
	}
	rumord_ring_free(&a);
}

/* The largest share over the smallest, of NKEYS keys over @n members. */
static double key_share_ratio(const struct rumord_ring *r, size_t n,
			      uint64_t seed, double *max_frac, double *min_frac)
{
	size_t hits[64] = { 0 }, i, max = 0, min = SIZE_MAX, k;

	for (i = 0; i < NKEYS; i++) {
		k = index_of(r->members, r->nmembers, primary(r, key_hash(seed, i)));
		if (k < n)
			hits[k]++;
	}
	for (i = 0; i < n; i++) {
		if (hits[i] > max)
			max = hits[i];
		if (hits[i] < min)
			min = hits[i];
	}
	*max_frac = (double)max * n / NKEYS;
	*min_frac = (double)min * n / NKEYS;
	return min ? (double)max / (double)min : 1e9;
}

/* The largest arc a member owns over the smallest: exact, not sampled. */
static double arc_share_ratio(const struct rumord_ring *r)
{
	long double arc[RUMORD_RING_MAX_MEMBERS] = { 0 }, max = 0, min = 1e30L;
	size_t i, prev;

	for (i = 0; i < r->npoints; i++) {
		prev = i ? i - 1 : r->npoints - 1;
		/* A point owns the arc from the point before it, exclusive. */
		arc[r->points[i].member] +=
			(long double)(uint64_t)(r->points[i].pos - r->points[prev].pos);
	}
	for (i = 0; i < r->nmembers; i++) {
		if (arc[i] > max)
			max = arc[i];
		if (arc[i] < min)
			min = arc[i];
	}
	return (double)(max / min);
}

static void test_balance(void)
{
	struct rumord_ring_member m[16];
	double ratio, worst = 0, worst_arc = 0, arc, maxf, minf, hi = 0, lo = 9;
	struct rumord_ring r;
	uint64_t set;

	for (set = 1; set <= 8; set++) {
		make_members(m, 16, 100 + set);
		ASSERT_EQ(build(&r, 64, m, 16), 0);
		ratio = key_share_ratio(&r, 16, set, &maxf, &minf);
		arc = arc_share_ratio(&r);
		printf("# balance: set %llu: keys max/min %.3f (max %.3f, min %.3f of the mean), arcs max/min %.3f\n",
		       (unsigned long long)set, ratio, maxf, minf, arc);
		EXPECT_TRUE(ratio < BALANCE_MAX_RATIO);
		EXPECT_TRUE(minf > BALANCE_MIN_SHARE && maxf < BALANCE_MAX_SHARE);
		if (ratio > worst)
			worst = ratio;
		if (arc > worst_arc)
			worst_arc = arc;
		if (maxf > hi)
			hi = maxf;
		if (minf < lo)
			lo = minf;
		rumord_ring_free(&r);
	}
	printf("# balance: 16 members x 64 points, %d keys, 8 sets: worst keys max/min %.3f, arcs %.3f; shares %.3f to %.3f of the mean\n",
	       NKEYS, worst, worst_arc, lo, hi);

	/* The bound tells a good placement from a poor one. */
	make_members(m, 16, 101);
	ASSERT_EQ(build(&r, 1, m, 16), 0);
	ratio = key_share_ratio(&r, 16, 1, &maxf, &minf);
	printf("# balance: 1 point per member: keys max/min %.3f\n", ratio);
	EXPECT_TRUE(ratio > BALANCE_MAX_RATIO);
	rumord_ring_free(&r);
}

/*
 * A 17th member: only keys whose primary becomes the new member move, about
 * 1/17 of them; and every key's list keeps its old members in their order.
 */
static void test_join_moves_few(void)
{
	const struct rumord_ring_member *oa[3], *ob[3];
	struct rumord_ring_member m[17];
	struct rumord_ring a, b;
	size_t i, k, j, ca, cb, moved = 0, wrong = 0, disordered = 0;
	uint64_t pa, pb, newcomer;

	make_members(m, 17, 3);
	newcomer = m[16].node;
	ASSERT_EQ(build(&a, 0, m, 16), 0);
	ASSERT_EQ(build(&b, 0, m, 17), 0);
	for (i = 0; i < NKEYS; i++) {
		uint64_t h = key_hash(5, i);

		pa = primary(&a, h);
		pb = primary(&b, h);
		if (pa != pb) {
			moved++;
			if (pb != newcomer)
				wrong++;
		}
		ASSERT_EQ(rumord_ring_preference(&a, h, 3, oa, &ca), 0);
		ASSERT_EQ(rumord_ring_preference(&b, h, 3, ob, &cb), 0);
		/* The new list without the newcomer is the old list's prefix. */
		for (k = 0, j = 0; k < 3; k++) {
			if (ob[k]->node == newcomer)
				continue;
			if (ob[k]->node != oa[j++]->node)
				disordered++;
		}
	}
	printf("# join: 16 -> 17 members: %zu of %d primaries moved (%.4f; 1/17 = %.4f)\n",
	       moved, NKEYS, (double)moved / NKEYS, 1.0 / 17);
	EXPECT_EQ(wrong, 0);
	EXPECT_EQ(disordered, 0);
	EXPECT_TRUE(moved > 0);
	EXPECT_TRUE(moved * 17 < 2 * (size_t)NKEYS);
	rumord_ring_free(&a);
	rumord_ring_free(&b);
}

/* A member leaves: its keys move, and no other key does. */
static void test_leave_moves_its_keys(void)
{
	struct rumord_ring_member m[16];
	struct rumord_ring a, b;
	size_t i, moved = 0, owned = 0, wrong = 0;
	uint64_t gone, pa, pb;

	make_members(m, 16, 4);
	gone = m[7].node;
	ASSERT_EQ(build(&a, 0, m, 16), 0);
	m[7] = m[15];
	ASSERT_EQ(build(&b, 0, m, 15), 0);
	for (i = 0; i < NKEYS; i++) {
		uint64_t h = key_hash(6, i);

		pa = primary(&a, h);
		pb = primary(&b, h);
		if (pa == gone)
			owned++;
		if (pa != pb) {
			moved++;
			if (pa != gone)
				wrong++;
		}
		EXPECT_TRUE(pb != gone);
	}
	printf("# leave: 16 -> 15 members: %zu of %d primaries moved, all the leaver's\n",
	       moved, NKEYS);
	EXPECT_EQ(wrong, 0);
	EXPECT_EQ(moved, owned);
	EXPECT_TRUE(moved * 16 < 2 * (size_t)NKEYS);
	rumord_ring_free(&a);
	rumord_ring_free(&b);
}

struct downset {
	uint64_t nodes[8];
	size_t n;
};

static bool live_fn(const struct rumord_ring_member *m, void *arg)
{
	const struct downset *d = arg;
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->nodes[i] == m->node)
			return false;
	return true;
}

/* Check one sloppy quorum against the walk it must follow. */
static int check_sloppy(const struct rumord_ring *r, uint64_t h, unsigned int n,
			const struct downset *d,
			const struct rumord_ring_target *t, size_t count)
{
	const struct rumord_ring_member *pref[RUMORD_RING_MAX_N], *m;
	struct rumord_ring_walk w;
	size_t i, j, pc;

	if (count != n || rumord_ring_preference(r, h, n, pref, &pc) || pc != n)
		return -1;
	rumord_ring_walk_start(&w, r, h);
	for (i = 0; i < n; i++)
		rumord_ring_walk_next(&w);
	for (i = 0; i < n; i++) {
		if (t[i].home != pref[i])
			return -2;
		if (live_fn(pref[i], (void *)d)) {
			if (t[i].member != pref[i])
				return -3;
			continue;
		}
		/* A down home's stand-in: the next live member of the walk. */
		while ((m = rumord_ring_walk_next(&w)) && !live_fn(m, (void *)d))
			;
		if (t[i].member != m)
			return -4;
		if (!m)
			continue;
		for (j = 0; j < n; j++)
			if (m == pref[j])
				return -5;	/* a preferred member twice */
		for (j = 0; j < i; j++)
			if (t[j].member == m)
				return -6;
	}
	return 0;
}

static void test_stand_ins(void)
{
	struct rumord_ring_target t[RUMORD_RING_MAX_N], tf[RUMORD_RING_MAX_N];
	struct rumord_ring_member m[16];
	struct downset d = { .n = 3 };
	struct rumord_ring r;
	size_t i, k, count, cf, standins = 0;
	int rc;

	make_members(m, 16, 5);
	ASSERT_EQ(build(&r, 0, m, 16), 0);
	d.nodes[0] = m[2].node;
	d.nodes[1] = m[9].node;
	d.nodes[2] = m[13].node;
	for (k = 0; k < d.n; k++)
		ASSERT_EQ(rumord_ring_set_down(&r, d.nodes[k], true), 0);
	for (i = 0; i < 20000; i++) {
		uint64_t h = key_hash(9, i);

		ASSERT_EQ(rumord_ring_sloppy(&r, h, 3, live_fn, &d, t, &count), 0);
		ASSERT_EQ(check_sloppy(&r, h, 3, &d, t, count), 0);
		for (k = 0; k < 3; k++) {
			ASSERT_TRUE(t[k].member && live_fn(t[k].member, &d));
			standins += t[k].member != t[k].home;
		}
		/* The flags give what the predicate gives. */
		ASSERT_EQ(rumord_ring_sloppy(&r, h, 3, NULL, NULL, tf, &cf), 0);
		ASSERT_TRUE(cf == count && !memcmp(t, tf, count * sizeof(t[0])));
	}
	printf("# stand-ins: 3 of 16 down, n 3: %zu stand-ins over 20000 keys\n",
	       standins);
	EXPECT_TRUE(standins > 0);

	/* Two live members left: -EHOSTDOWN, and the stand-ins that exist. */
	for (k = 0; k < 16; k++)
		ASSERT_EQ(rumord_ring_set_down(&r, m[k].node, k >= 2), 0);
	for (i = 0; i < 2000; i++) {
		size_t with = 0, j;

		rc = rumord_ring_sloppy(&r, key_hash(10, i), 5, NULL, NULL, t,
					&count);
		ASSERT_EQ(rc, -EHOSTDOWN);
		ASSERT_EQ(count, 5);
		for (k = 0; k < 5; k++) {
			if (!t[k].member)
				continue;
			with++;
			ASSERT_TRUE(!t[k].member->down);
			for (j = 0; j < k; j++)
				ASSERT_TRUE(t[j].member != t[k].member);
		}
		/* Every live member takes a copy, once. */
		ASSERT_EQ(with, 2);
	}
	EXPECT_EQ(rumord_ring_set_down(&r, 12345, true), -ENOENT);
	rumord_ring_free(&r);
}

static void test_too_few_members(void)
{
	const struct rumord_ring_member *out[RUMORD_RING_MAX_N];
	struct rumord_ring_target t[RUMORD_RING_MAX_N];
	struct rumord_ring_member m[2];
	struct rumord_ring r;
	size_t count = 99;

	ASSERT_EQ(rumord_ring_init(&r, 0), 0);
	EXPECT_EQ(rumord_ring_preference(&r, 42, 1, out, &count), -ENOENT);
	EXPECT_EQ(count, 0);
	EXPECT_EQ(rumord_ring_sloppy(&r, 42, 1, NULL, NULL, t, &count), -ENOENT);
	EXPECT_EQ(count, 0);

	make_members(m, 2, 6);
	ASSERT_EQ(rumord_ring_set_members(&r, m, 2, NULL), 0);
	EXPECT_EQ(rumord_ring_preference(&r, 42, 3, out, &count), -ENOENT);
	ASSERT_EQ(count, 2);
	EXPECT_TRUE(out[0] != out[1]);
	EXPECT_EQ(rumord_ring_preference(&r, 42, 2, out, &count), 0);
	EXPECT_EQ(rumord_ring_preference(&r, 42, 0, out, &count), -EINVAL);
	EXPECT_EQ(rumord_ring_preference(&r, 42, RUMORD_RING_MAX_N + 1, out,
					 &count), -EINVAL);
	ASSERT_EQ(rumord_ring_set_down(&r, m[0].node, true), 0);
	EXPECT_EQ(rumord_ring_sloppy(&r, 42, 3, NULL, NULL, t, &count), -ENOENT);
	ASSERT_EQ(count, 2);
	EXPECT_TRUE(t[0].home != t[1].home);
	EXPECT_TRUE(!!t[0].member + !!t[1].member == 1);
	rumord_ring_free(&r);
}

static void test_member_bound(void)
{
	const size_t n = RUMORD_RING_MAX_MEMBERS + 6;
	const struct rumord_ring_member *out[3];
	struct rumord_ring_member *m;
	struct rumord_ring r;
	uint64_t lowest_refused = UINT64_MAX, highest_kept = 0;
	size_t refused = 0, count, i;

	m = calloc(n, sizeof(*m));
	ASSERT_TRUE(m != NULL);
	make_members(m, n, 7);
	ASSERT_EQ(rumord_ring_init(&r, 4), 0);
	ASSERT_EQ(rumord_ring_set_members(&r, m, n, &refused), 0);
	EXPECT_EQ(refused, 6);
	EXPECT_EQ(r.stats.refused, 6);
	EXPECT_EQ(r.nmembers, RUMORD_RING_MAX_MEMBERS);
	EXPECT_EQ(r.npoints, RUMORD_RING_MAX_MEMBERS * 4);
	/* The lowest node ids are kept, whatever the order given. */
	for (i = 0; i < r.nmembers; i++)
		if (r.members[i].node > highest_kept)
			highest_kept = r.members[i].node;
	for (i = 0; i < n; i++)
		if (!rumord_ring_find(&r, m[i].node) && m[i].node < lowest_refused)
			lowest_refused = m[i].node;
	EXPECT_TRUE(highest_kept < lowest_refused);
	shuffle(m, n, 8);
	ASSERT_EQ(rumord_ring_set_members(&r, m, n, NULL), 0);
	EXPECT_EQ(r.stats.refused, 6);
	EXPECT_EQ(r.stats.refused_total, 12);
	EXPECT_EQ(r.stats.rebuilds, 2);
	for (i = 0; i < r.nmembers; i++)
		EXPECT_TRUE(r.members[i].node <= highest_kept);
	/* Every member of the bound is reachable: n = 3 at every point. */
	for (i = 0; i < r.npoints; i += 97)
		EXPECT_EQ(rumord_ring_preference(&r, r.points[i].pos, 3, out,
						 &count), 0);
	/* Within the bound nothing is refused. */
	ASSERT_EQ(rumord_ring_set_members(&r, m, 10, &refused), 0);
	EXPECT_EQ(refused, 0);
	EXPECT_EQ(r.stats.refused, 0);
	EXPECT_EQ(r.stats.refused_total, 12);
	rumord_ring_free(&r);
	free(m);
}

static void test_bad_input(void)
{
	struct rumord_ring_member m[4];
	struct rumord_ring r;
	size_t i;

	EXPECT_EQ(rumord_ring_init(&r, RUMORD_RING_MAX_VNODES + 1), -EINVAL);
	ASSERT_EQ(rumord_ring_init(&r, 8), 0);
	make_members(m, 4, 11);
	ASSERT_EQ(rumord_ring_set_members(&r, m, 3, NULL), 0);
	/* A failed rebuild leaves the ring as it was. */
	m[1].node = 0;
	EXPECT_EQ(rumord_ring_set_members(&r, m, 4, NULL), -EINVAL);
	m[1].node = m[3].node;
	EXPECT_EQ(rumord_ring_set_members(&r, m, 4, NULL), -EINVAL);
	EXPECT_EQ(rumord_ring_set_members(&r, NULL, 2, NULL), -EINVAL);
	EXPECT_EQ(r.nmembers, 3);
	EXPECT_EQ(r.npoints, 24);
	EXPECT_EQ(r.stats.rebuilds, 1);
	for (i = 1; i < r.npoints; i++)
		EXPECT_TRUE(r.points[i - 1].pos <= r.points[i].pos);
	/* An empty member set is a ring too. */
	ASSERT_EQ(rumord_ring_set_members(&r, NULL, 0, NULL), 0);
	EXPECT_EQ(r.nmembers, 0);
	EXPECT_TRUE(rumord_ring_find(&r, m[0].node) == NULL);
	rumord_ring_free(&r);
}

static const struct ktap_case cases[] = {
	{ "ring_point_known_answer", test_point_known_answer },
	{ "ring_distinct_members", test_distinct_members },
	{ "ring_insertion_order", test_insertion_order },
	{ "ring_balance", test_balance },
	{ "ring_join_moves_few", test_join_moves_few },
	{ "ring_leave_moves_its_keys", test_leave_moves_its_keys },
	{ "ring_stand_ins", test_stand_ins },
	{ "ring_too_few_members", test_too_few_members },
	{ "ring_member_bound", test_member_bound },
	{ "ring_bad_input", test_bad_input },
};

KTAP_MAIN(cases)
