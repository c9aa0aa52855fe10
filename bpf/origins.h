/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The origin table: one duplicate window per origin, in a set-associative
 * array (struct rumor_xdp_origin_set, bpf/rumor_xdp.h).
 *
 * An array rather than an LRU hash map because the verifier inlines array
 * lookups: the duplicate path, which runs for every copy a node receives
 * twice, costs an index computation and four compares instead of a hash
 * walk (docs/xdp.md has the figures). Within a set the least recently used
 * origin gives way to a new one, but only once it has been idle for
 * origin_idle_ns: a flood of new origins cannot push out the windows of
 * origins that are broadcasting, and finds its set full instead (counted,
 * passed to the module, which judges alone).
 *
 * Readers never lock. A way changes owner under the set's claim word, and
 * gets a new window generation (core/window.h) before the new id appears,
 * so a CPU still judging for the old owner finds its generation gone.
 * Readers load the generation before the id: whoever sees an id sees at
 * most its generation (x86 keeps loads in order).
 */
#ifndef _RUMOR_BPF_ORIGINS_H
#define _RUMOR_BPF_ORIGINS_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#include "rumor_xdp.h"
#include "window.h"

#define READ_ONCE_U64(x)	(*(const volatile __u64 *)&(x))

/* The program's configuration (rumor_xdp.bpf.c). */
extern const volatile struct rumor_xdp_config rumor_xdp_config;

/* A CPU that finds a set being claimed looks again this often. */
#define RUMOR_XDP_CLAIM_WAIT	32

/*
 * Nanoseconds to jiffies, rounded down: a deadline never comes late. A
 * division, so kept off the paths every packet takes.
 */
static __always_inline __u64 ns_to_jiffies(__u64 ns)
{
	return ns / (1000000000ULL / rumor_xdp_config.hz);
}

enum rumor_xdp_claim {
	RUMOR_XDP_CLAIMED,	/* the origin has a way */
	RUMOR_XDP_CLAIM_BUSY,	/* another CPU is claiming in this set */
	RUMOR_XDP_CLAIM_FULL,	/* every way holds an active origin */
};

/* The way of @set that holds @id, with the generation it had, or -1. */
static __always_inline int origin_find(struct rumor_xdp_origin_set *set,
				       __u64 id, __u8 *gen)
{
	/* All generations in one load, before any id. */
	__u32 gens = *(volatile __u32 *)set->gen;
	int i;

	_Static_assert(sizeof(gens) == sizeof(set->gen), "one load for every way");
#pragma unroll
	for (i = 0; i < RUMOR_XDP_ORIGIN_WAYS; i++) {
		if (READ_ONCE_U64(set->id[i]) == id) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			*gen = (__u8)(gens >> (8 * i));
#else
			*gen = (__u8)(gens >> (8 * (RUMOR_XDP_ORIGIN_WAYS - 1 - i)));
#endif
			return i;
		}
	}
	return -1;
}

/*
 * Give @id a way of @set: a free one, or the least recently used if it has
 * been idle long enough. Under the set's claim word, so that two CPUs that
 * see the same new origin give it one way, not two.
 */
static __always_inline enum rumor_xdp_claim
origin_claim(struct rumor_xdp_stats *s, struct rumor_xdp_origin_set *set,
	     __u64 id, __u64 now_j)
{
	enum rumor_xdp_claim ret = RUMOR_XDP_CLAIMED;
	struct rumor_xdp_origin *o;
	int i, victim = 0;
	__u8 gen;

	if (__sync_val_compare_and_swap(&set->claim, 0, 1))
		return RUMOR_XDP_CLAIM_BUSY;
	if (origin_find(set, id, &gen) >= 0)
		goto unlock;	/* another CPU claimed it a moment ago */

#pragma unroll
	for (i = 1; i < RUMOR_XDP_ORIGIN_WAYS; i++) {
		if (!set->id[victim])
			break;
		if (!set->id[i] ||
		    (__s64)(set->way[i].used - set->way[victim].used) < 0)
			victim = i;
	}
	o = &set->way[victim];
	if (set->id[victim]) {
		if (now_j - o->used < ns_to_jiffies(rumor_xdp_config.origin_idle_ns)) {
			ret = RUMOR_XDP_CLAIM_FULL;
			goto unlock;
		}
		s->origins_evicted++;
	} else {
		s->origins_inserted++;
	}

	/* Retire the old owner first, then its bits; publish last. */
	__sync_lock_test_and_set(&set->id[victim], 0);
	gen = set->gen[victim] + 1;
	set->gen[victim] = gen;
	rumor_window_reset(&o->window, gen);
	o->used = now_j;
	__sync_lock_test_and_set(&set->id[victim], id);
unlock:
	__sync_lock_test_and_set(&set->claim, 0);
	return ret;
}

/*
 * The way that holds @id, claimed for it if it has none, or -1 with the
 * reason in @why. A CPU that finds the set being claimed looks a few more
 * times: the claimer may be giving a way to this very origin, and then both
 * CPUs must use it for a first copy to pass only once.
 */
static __always_inline int
origin_get(struct rumor_xdp_stats *s, struct rumor_xdp_origin_set *set,
	   __u64 id, __u8 *gen, __u64 now_j, enum rumor_xdp_claim *why)
{
	int i, way;

	for (i = 0; i < RUMOR_XDP_CLAIM_WAIT; i++) {
		way = origin_find(set, id, gen);
		if (way >= 0)
			return way;
		*why = origin_claim(s, set, id, now_j);
		if (*why == RUMOR_XDP_CLAIM_FULL)
			return -1;
	}
	return -1;
}

#endif /* _RUMOR_BPF_ORIGINS_H */
