/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hinted handoff, as Cassandra does it: a write meant for a replica that
 * is down is kept here as a hint (the target node, its address, the
 * record) and replayed to it once it is back, oldest first, each hint
 * deleted when the target acknowledges it. A hint is an optimisation:
 * whatever is not hinted (over quota, too old, lost) anti-entropy repairs,
 * only later.
 *
 * The hints live in their own LMDB environment, in a directory of their
 * own (STATE/hints), apart from the store: losing or clearing it loses
 * nothing anti-entropy cannot bring back. Every change is one LMDB
 * transaction, committed synchronously before the call returns; per
 * target totals (count, bytes) are kept on disk in the same transactions,
 * so they survive a restart exactly.
 *
 * Bounds: bytes per target (the quota), targets, and age (the hint
 * window: hints older than it are dropped by rumord_hints_expire, as a
 * target down that long will have been repaired, or replaced, anyway).
 * For one (target, key) only the latest version is kept.
 *
 * Single-threaded, like the store. Records handed out point into LMDB's
 * map and stay valid until the next call on the hints.
 */
#ifndef _RUMORD_HINTS_H
#define _RUMORD_HINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring.h"
#include "version.h"

/* Bytes per target: four of the largest record (version.h), with room. */
#define RUMORD_HINTS_QUOTA	(4ull << 20)
#define RUMORD_HINTS_MAX_TARGETS 256
/* Three hours, Cassandra's max_hint_window default. */
#define RUMORD_HINTS_WINDOW_MS	(3ull * 3600 * 1000)
/*
 * Sparse: only what is used takes disk. Four times what the quotas allow
 * (1 GiB), so that B-tree pages half full and copy-on-write do not fill
 * it before the quotas do.
 */
#define RUMORD_HINTS_MAP_SIZE	(4ull << 30)

/*
 * What a hint costs against its target's quota: its record's key and value
 * and RUMORD_HINT_OVERHEAD, the bytes LMDB holds for it besides (the
 * hint's key and header, its entry in the key index).
 */
#define RUMORD_HINT_OVERHEAD	104

static inline uint64_t rumord_hint_size(size_t key_len, size_t value_len)
{
	return RUMORD_HINT_OVERHEAD + (uint64_t)key_len + value_len;
}

struct rumord_hints_opts {
	size_t map_size;	/* bytes; 0: RUMORD_HINTS_MAP_SIZE */
	uint64_t quota;		/* bytes per target; 0: RUMORD_HINTS_QUOTA */
	uint64_t window_ms;	/* 0: RUMORD_HINTS_WINDOW_MS */
	/* Wall-clock milliseconds for the stored time; NULL: CLOCK_REALTIME. */
	uint64_t (*wall_ms)(void);
};

/* Since open; what an operator wants to see. */
struct rumord_hints_stats {
	uint64_t added;		/* hints stored, replacements included */
	uint64_t replaced;	/* ... that replaced an older hint of the key */
	uint64_t superseded;	/* not stored: the key's hint was as new or newer */
	uint64_t dropped_quota;	/* not stored: over the target's quota */
	uint64_t dropped_targets; /* not stored: a new target beyond the bound */
	uint64_t failed;	/* not stored: LMDB failed (map full, I/O) */
	uint64_t replayed;	/* acknowledged by their target and deleted */
	uint64_t expired;	/* older than the window, deleted */
	uint64_t forgotten;	/* deleted with their target (rumord_hints_forget) */
};

/* A hint as replay hands it out; @rec points into the map. */
struct rumord_hint {
	uint64_t target;		/* the node it is for */
	struct rumord_node_addr addr;	/* the target's address when stored */
	uint64_t id;			/* per store, increasing: for ack */
	uint64_t stored_ms;		/* wall clock when stored */
	struct rumord_record rec;
};

/* A target's hints, for rumorctl hints. */
struct rumord_hint_target {
	uint64_t node;
	struct rumord_node_addr addr;	/* from its latest hint */
	uint64_t count;
	uint64_t bytes;			/* rumord_hint_size summed */
	uint64_t oldest_ms;		/* stored time of its oldest hint */
};

struct rumord_hints;

/*
 * Open (creating it if needed) the hints in directory @dir, which must
 * exist. -errno on failure; -EPROTO if @dir holds hints of another layout.
 */
int rumord_hints_open(struct rumord_hints **out, const char *dir,
		      const struct rumord_hints_opts *opts);
void rumord_hints_close(struct rumord_hints *h);
const struct rumord_hints_stats *rumord_hints_stats(const struct rumord_hints *h);

/*
 * Keep @rec for node @target (non-zero) at @addr, durably. The stored
 * time is the wall clock, but never below the last hint's: stored times
 * follow ids, so replay (by id) is oldest first even if the clock steps
 * back.
 *
 * 1: stored, replacing the key's older hint for @target if there was one.
 * 0: not stored, the key's hint for @target is as new or newer.
 * -EDQUOT: not stored, over @target's quota or, for a target without
 * hints, over RUMORD_HINTS_MAX_TARGETS; nothing changed (an older hint of
 * the key stays). The caller leaves that write to anti-entropy.
 * -EINVAL for a bad record or target; -ENOSPC when the map is full, -EIO:
 * nothing of the hint is on disk.
 */
int rumord_hints_add(struct rumord_hints *h, uint64_t target,
		     const struct rumord_node_addr *addr,
		     const struct rumord_record *rec);

/*
 * Replay: @target's hints with ids above @after (0: from the first), oldest
 * first, at most @max of them, each to @fn. @fn returns 0 to go on, 1 to
 * stop after this hint, or -errno to stop with that error; it must not
 * call the hints. Returns the number of hints given to @fn (0: none left),
 * or -errno. The next batch starts after the last id given.
 */
typedef int (*rumord_hint_fn)(const struct rumord_hint *hint, void *arg);
long rumord_hints_replay(struct rumord_hints *h, uint64_t target,
			 uint64_t after, size_t max, rumord_hint_fn fn,
			 void *arg);

/*
 * @target acknowledged hint @id: delete it. 1 deleted; 0 no such hint
 * (acknowledged before, expired, or replaced by a newer hint of its key,
 * which stays: the target has not got that one yet); -errno.
 */
int rumord_hints_ack(struct rumord_hints *h, uint64_t target, uint64_t id);

/*
 * Delete every hint stored the window or longer before @now_ms. Returns
 * how many, or -errno (the batches committed before a failure stay).
 */
long rumord_hints_expire(struct rumord_hints *h, uint64_t now_ms);

/* Delete every hint for @target (a node gone for good); how many, -errno. */
long rumord_hints_forget(struct rumord_hints *h, uint64_t target);

/*
 * Per target, in node id order, up to @max into @out. Returns the number
 * of targets (more than @max: only @max filled), or -errno.
 */
long rumord_hints_targets(struct rumord_hints *h, struct rumord_hint_target *out,
			  size_t max);
/* One target's figures: 1 and *out, 0 if it has no hints, -errno. */
int rumord_hints_target(struct rumord_hints *h, uint64_t node,
			struct rumord_hint_target *out);

#endif /* _RUMORD_HINTS_H */
