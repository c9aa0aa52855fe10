/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hinted handoff in the daemon: the hint store (hints.h) in the state
 * directory, hints stored for replicas that missed a write, and their
 * replay, throttled, once membership says the replica is up again.
 */
#ifndef _RUMORD_HANDOFF_H
#define _RUMORD_HANDOFF_H

#include <stdint.h>

#include "client.h"
#include "members.h"
#include "version.h"

struct rumord;

/*
 * Replay: at most this many hints in flight to one target, this many
 * targets at once, and this many bytes a second to one target.
 */
#define RUMORD_HANDOFF_INFLIGHT		16
#define RUMORD_HANDOFF_PARALLEL		4
#define RUMORD_HANDOFF_RATE		(4u << 20)
/* A target UP with hints left is tried again this often. */
#define RUMORD_HANDOFF_RETRY_MS		10000
#define RUMORD_HANDOFF_EXPIRE_MS	60000	/* the window is looked at (at most) */

struct rumord_handoff_opts {
	uint64_t quota;		/* bytes per target; 0: RUMORD_HINTS_QUOTA */
	uint64_t window_ms;	/* 0: RUMORD_HINTS_WINDOW_MS */
	uint64_t timeout_ms;	/* a replayed write's ack */
};

/* Open the hints in @dir (created). 0, -errno (-EPROTO: not ours). */
int rumord_handoff_open(struct rumord *d, const char *dir,
			const struct rumord_handoff_opts *o);
void rumord_handoff_close(struct rumord *d);

/*
 * Keep @rec for @target, which missed it. 1 stored, 0 a newer hint of
 * the key is there, -EDQUOT over its quota (left to anti-entropy), -errno.
 */
int rumord_handoff_store(struct rumord *d, uint64_t target,
			 const struct rumord_node_addr *addr,
			 const struct rumord_record *rec);

/* Membership's event @ev about @node (cluster.c): replay, or forget. */
void rumord_handoff_member(struct rumord *d, uint64_t node,
			   enum rumord_member_event ev);

/* For rumorctl hints. */
void rumord_handoff_info(struct rumord *d, struct rumord_client_hints_info *out);
/* Each target's figures to @fn (non-zero stops); 0 or -errno. */
int rumord_handoff_foreach(struct rumord *d,
			   int (*fn)(void *arg,
				     const struct rumord_client_hint_target *t),
			   void *arg);

#endif /* _RUMORD_HANDOFF_H */
