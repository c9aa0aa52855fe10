// SPDX-License-Identifier: GPL-2.0
/*
 * Hybrid logical clock in one 64-bit word: milliseconds in the high 48
 * bits, a counter in the low 16. Packed this way the paper's two rules
 * become "the wall clock if it is ahead, else one more than the latest".
 */
#include "hlc.h"

#define WALL_MASK	((1ULL << (64 - RUMORD_HLC_LOGICAL_BITS)) - 1)

static uint64_t physical(uint64_t wall_ms)
{
	return (wall_ms & WALL_MASK) << RUMORD_HLC_LOGICAL_BITS;
}

/*
 * The counter's overflow carries into the milliseconds: still monotonic,
 * and ahead of the wall clock only while more than 65,536 events happen in
 * one millisecond. At the very top the clock stops rather than wrap.
 */
static uint64_t next(uint64_t latest, uint64_t wall_ms)
{
	uint64_t pt = physical(wall_ms);

	if (pt > latest)
		return pt;
	return latest == UINT64_MAX ? latest : latest + 1;
}

uint64_t rumord_hlc_now(struct rumord_hlc *c, uint64_t wall_ms)
{
	c->last = next(c->last, wall_ms);
	return c->last;
}

void rumord_hlc_observe(struct rumord_hlc *c, uint64_t remote, uint64_t wall_ms)
{
	uint64_t limit = physical(wall_ms + RUMORD_HLC_MAX_DRIFT_MS);

	/* A clock far in the future is someone's mistake: do not follow it. */
	if (remote > limit && physical(wall_ms) < limit)
		remote = 0;
	c->last = next(remote > c->last ? remote : c->last, wall_ms);
}
