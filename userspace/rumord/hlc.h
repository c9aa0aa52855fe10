/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hybrid logical clock (Kulkarni, Demirbas et al., 2014): a 64-bit
 * timestamp, 48 bits of wall-clock milliseconds and 16 bits of a logical
 * counter, that never runs backwards and stays close to real time, so that
 * last-writer-wins picks the write a person would call the last one.
 */
#ifndef _RUMORD_HLC_H
#define _RUMORD_HLC_H

#include <stdint.h>

#define RUMORD_HLC_LOGICAL_BITS	16
#define RUMORD_HLC_MAX_DRIFT_MS	60000

struct rumord_hlc {
	uint64_t last;		/* the latest timestamp issued or seen */
};

/* A timestamp for a local write at wall-clock time @wall_ms. */
uint64_t rumord_hlc_now(struct rumord_hlc *c, uint64_t wall_ms);

/*
 * Take in a timestamp @remote received from another node. One further than
 * RUMORD_HLC_MAX_DRIFT_MS ahead of @wall_ms is not followed, so that one
 * node with a wrong clock (or a hostile peer) cannot drag every clock into
 * the future; the write it came with is still judged by its timestamp.
 */
void rumord_hlc_observe(struct rumord_hlc *c, uint64_t remote, uint64_t wall_ms);

#endif /* _RUMORD_HLC_H */
