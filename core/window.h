/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The per-origin duplicate window: one algorithm for the XDP program, the
 * module and the simulator, hence static inline and free of any header but
 * the uapi types.
 *
 * It is the anti-replay window of RFC 6479 (IPsec, WireGuard) made lock-free
 * so that XDP on several CPUs can share one window without a spin lock (LRU
 * hash maps, which bound the origin table, cannot hold one). Sequence numbers
 * fall into blocks of 32; the window is a ring of RUMOR_WINDOW_SLOTS 64-bit
 * slots, each holding the number of the block it covers in the high half and
 * a bitmap of the seqs seen in that block in the low half. A slot only ever
 * moves forward to a newer block, with one compare-and-swap, so:
 *
 *   - slot holds the seq's block:  the bit says new or duplicate;
 *   - slot holds an older block:   no seq of this block was ever seen, so
 *                                  the seq is new and the slot moves on;
 *   - slot holds a newer block:    the seq is too old to judge.
 *
 * Of two CPUs racing on one seq exactly one wins the compare-and-swap. The
 * window remembers at least the RUMOR_WINDOW_SPAN - 31 seqs below the newest
 * one, and it is exact: a seq it has not seen is never called a duplicate.
 * This is also one entry of a bitmap version vector, the form anti-entropy
 * uses.
 */
#ifndef _RUMOR_CORE_WINDOW_H
#define _RUMOR_CORE_WINDOW_H

#include <linux/types.h>

#define RUMOR_WINDOW_SLOTS	32	/* a power of two */
#define RUMOR_WINDOW_SPAN	(RUMOR_WINDOW_SLOTS * 32)

/*
 * Compare-and-swap attempts before giving up on a slot that other CPUs keep
 * changing. Only the XDP program can lose them all; it then passes the
 * packet on and the module, which is serialised, decides.
 */
#define RUMOR_WINDOW_TRIES	4

struct rumor_window {
	__u64 slot[RUMOR_WINDOW_SLOTS];
};

enum rumor_window_verdict {
	RUMOR_WINDOW_NEW,	/* first sight: now marked */
	RUMOR_WINDOW_DUP,	/* seen before */
	RUMOR_WINDOW_OLD,	/* below the window: cannot tell */
	RUMOR_WINDOW_BUSY,	/* lost every race for the slot */
};

static inline enum rumor_window_verdict
rumor_window_test_and_set(struct rumor_window *w, __u64 seq)
{
	__u32 block = (__u32)(seq >> 5);
	__u64 bit = 1ULL << (seq & 31);
	__u64 *slot = &w->slot[block & (RUMOR_WINDOW_SLOTS - 1)];
	int try;

	for (try = 0; try < RUMOR_WINDOW_TRIES; try++) {
		__u64 old = *(volatile __u64 *)slot;
		/* Serial number arithmetic: block numbers may wrap. */
		__s32 ahead = (__s32)(block - (__u32)(old >> 32));
		__u64 want;

		if (ahead < 0)
			return RUMOR_WINDOW_OLD;
		if (ahead == 0) {
			if (old & bit)
				return RUMOR_WINDOW_DUP;
			want = old | bit;
		} else {
			want = ((__u64)block << 32) | bit;
		}
		if (__sync_val_compare_and_swap(slot, old, want) == old)
			return RUMOR_WINDOW_NEW;
	}
	return RUMOR_WINDOW_BUSY;
}

/* Has @seq been seen? Read-only; OLD when the window has moved past it. */
static inline enum rumor_window_verdict
rumor_window_test(const struct rumor_window *w, __u64 seq)
{
	__u32 block = (__u32)(seq >> 5);
	__u64 old = w->slot[block & (RUMOR_WINDOW_SLOTS - 1)];
	__s32 ahead = (__s32)(block - (__u32)(old >> 32));

	if (ahead < 0)
		return RUMOR_WINDOW_OLD;
	if (ahead == 0 && (old & (1ULL << (seq & 31))))
		return RUMOR_WINDOW_DUP;
	return RUMOR_WINDOW_NEW;
}

#endif /* _RUMOR_CORE_WINDOW_H */
