/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The per-origin duplicate window: one algorithm for the XDP program, the
 * module and the simulator, hence static inline and free of any header but
 * the uapi types.
 *
 * It is the anti-replay window of RFC 6479 (IPsec, WireGuard) made lock-free
 * so that XDP on several CPUs can share one window without a spin lock.
 * Sequence numbers fall into blocks of 32; the window is a ring of
 * RUMOR_WINDOW_SLOTS 64-bit slots, each holding the number of the block it
 * covers (24 bits, serial arithmetic), a generation (8 bits) and a bitmap
 * of the seqs seen in that block (32 bits). A slot only ever moves forward
 * to a newer block, with one compare-and-swap, so:
 *
 *   - slot holds the seq's block:  the bit says new or duplicate;
 *   - slot is empty (no bit set),
 *     or holds an older block:     no seq of this block was ever seen, so
 *                                  the seq is new and the slot moves on;
 *   - slot holds a newer block:    the seq is too old to judge.
 *
 * Of two CPUs racing on one seq exactly one wins the compare-and-swap. The
 * window remembers at least the RUMOR_WINDOW_SPAN - 31 seqs below the newest
 * one, and it is exact: a seq it has not seen is never called a duplicate.
 * This is also one entry of a bitmap version vector, the form anti-entropy
 * uses.
 *
 * The generation lets XDP hand a window over to another origin while other
 * CPUs may still be using it: the new owner's slots carry a new generation,
 * so a CPU still working for the old owner finds its generation gone
 * (RUMOR_WINDOW_STALE) and can neither read nor change the new owner's
 * bits. The module and the simulator own their windows and use generation 0.
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
	RUMOR_WINDOW_STALE,	/* the window has another owner now */
};

#define RUMOR_WINDOW_BLOCK_BITS	24
#define RUMOR_WINDOW_BLOCK_MASK	((1U << RUMOR_WINDOW_BLOCK_BITS) - 1)

static inline __u64 rumor_window_slot(__u32 block, __u8 gen, __u32 bits)
{
	return (__u64)(block & RUMOR_WINDOW_BLOCK_MASK) << 40 |
	       (__u64)gen << 32 | bits;
}

/*
 * How many blocks @block is ahead of the block in @slot: serial number
 * arithmetic on 24 bits, so an origin may run 2^23 blocks (268 million
 * seqs) ahead of a slot before it would be mistaken for an old one.
 */
static inline __s32 rumor_window_ahead(__u32 block, __u64 slot)
{
	__u32 diff = block - (__u32)(slot >> 40);

	return (__s32)(diff << (32 - RUMOR_WINDOW_BLOCK_BITS)) >>
	       (32 - RUMOR_WINDOW_BLOCK_BITS);
}

/* Empty every slot and give the window generation @gen. */
static inline void rumor_window_reset(struct rumor_window *w, __u8 gen)
{
	int i;

	for (i = 0; i < RUMOR_WINDOW_SLOTS; i++)
		*(volatile __u64 *)&w->slot[i] = rumor_window_slot(0, gen, 0);
}

/* Mark @seq seen in a window of generation @gen, and say if it was new. */
static inline enum rumor_window_verdict
rumor_window_test_and_set_gen(struct rumor_window *w, __u64 seq, __u8 gen)
{
	__u32 block = (__u32)(seq >> 5);
	__u32 bit = 1U << (seq & 31);
	__u64 *slot = &w->slot[block & (RUMOR_WINDOW_SLOTS - 1)];
	int try;

	for (try = 0; try < RUMOR_WINDOW_TRIES; try++) {
		__u64 old = *(volatile __u64 *)slot;
		__s32 ahead = rumor_window_ahead(block, old);
		__u64 want;

		if ((__u8)(old >> 32) != gen)
			return RUMOR_WINDOW_STALE;
		if (!(__u32)old || ahead > 0) {
			want = rumor_window_slot(block, gen, bit);
		} else if (ahead < 0) {
			return RUMOR_WINDOW_OLD;
		} else {
			if ((__u32)old & bit)
				return RUMOR_WINDOW_DUP;
			want = old | bit;
		}
		if (__sync_val_compare_and_swap(slot, old, want) == old)
			return RUMOR_WINDOW_NEW;
	}
	return RUMOR_WINDOW_BUSY;
}

/* Has @seq been seen? Read-only; OLD when the window has moved past it. */
static inline enum rumor_window_verdict
rumor_window_test_gen(const struct rumor_window *w, __u64 seq, __u8 gen)
{
	__u32 block = (__u32)(seq >> 5);
	__u64 old = *(const volatile __u64 *)&w->slot[block & (RUMOR_WINDOW_SLOTS - 1)];
	__s32 ahead = rumor_window_ahead(block, old);

	if ((__u8)(old >> 32) != gen)
		return RUMOR_WINDOW_STALE;
	if (!(__u32)old || ahead > 0)
		return RUMOR_WINDOW_NEW;
	if (ahead < 0)
		return RUMOR_WINDOW_OLD;
	return (__u32)old & (1U << (seq & 31)) ? RUMOR_WINDOW_DUP : RUMOR_WINDOW_NEW;
}

/* The module and the simulator: windows of their own, generation 0. */
static inline enum rumor_window_verdict
rumor_window_test_and_set(struct rumor_window *w, __u64 seq)
{
	return rumor_window_test_and_set_gen(w, seq, 0);
}

static inline enum rumor_window_verdict
rumor_window_test(const struct rumor_window *w, __u64 seq)
{
	return rumor_window_test_gen(w, seq, 0);
}

#endif /* _RUMOR_CORE_WINDOW_H */
