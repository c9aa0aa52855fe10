/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hook between what notices that this node may lack writes and the
 * anti-entropy session scheduler that fetches them. Broadcast is best
 * effort: a notification lost on the netlink socket, a value too large to
 * broadcast, a broadcast that failed, a node that was down, a new
 * neighbour after a partition: each raises a reason here, and the
 * scheduler runs a session soon (with the hinted peer first, when there
 * is one) instead of waiting for its next periodic round.
 */
#ifndef _RUMORD_REPAIR_H
#define _RUMORD_REPAIR_H

#include <stdint.h>
#include <sys/socket.h>

#include "version.h"

struct rumord_bvv;

enum rumord_repair_reason {
	RUMORD_REPAIR_STARTUP,		/* writes made while we were down */
	RUMORD_REPAIR_LOST,		/* ENOBUFS: deliveries dropped */
	RUMORD_REPAIR_REF,		/* a value sent by reference */
	RUMORD_REPAIR_BROADCAST,	/* a local write not broadcast */
	RUMORD_REPAIR_NEIGHBOR,		/* a neighbour came up */
	RUMORD_REPAIR_UNREADABLE,	/* a delivery we could not apply */
	RUMORD_REPAIR_NR
};

#define RUMORD_REPAIR_BIT(r)	(1u << (r))

/*
 * Values announced by reference and not here yet. The node that passed
 * one on may not hold it either (the module forwards before its rumord has
 * fetched the value), so a session with it can end without the dot; the
 * request is raised again, with the same hint, after a growing delay,
 * until the dot is in our vector or RUMORD_REPAIR_REF_TRIES requests have
 * gone by. Then periodic sessions are left to bring it (abandoned).
 */
#define RUMORD_REPAIR_AWAIT_MAX	64
#define RUMORD_REPAIR_REF_TRIES	8
#define RUMORD_REPAIR_REF_RETRY_MS	250	/* doubling, at most ..._CAP_MS */
#define RUMORD_REPAIR_REF_RETRY_CAP_MS	4000

struct rumord_repair_await {
	struct rumord_dot dot;		/* node 0: a free slot */
	struct sockaddr_storage hint;
	socklen_t hint_len;
	uint32_t tries;			/* requests raised for it */
	uint64_t due_ms;		/* monotonic: look again then */
};

struct rumord_repair {
	uint32_t pending;	/* RUMORD_REPAIR_BIT()s not yet taken */
	uint64_t since_ms;	/* monotonic time the oldest pending one came */
	uint64_t requests[RUMORD_REPAIR_NR];	/* per reason, ever */
	uint64_t taken;		/* times the scheduler took the pending set */
	/*
	 * A peer known to hold what we lack: the node that passed on a value
	 * by reference, or a neighbour that just came up. Its rumor (UDP)
	 * address as the module reports it; its rumord listens on the same
	 * address at its TCP port. The latest hint wins.
	 */
	struct sockaddr_storage hint;
	socklen_t hint_len;	/* 0: no hint */
	struct rumord_repair_await await[RUMORD_REPAIR_AWAIT_MAX];
	uint32_t awaiting;		/* slots in use */
	uint64_t refs_fetched;		/* awaited dots that arrived */
	uint64_t refs_abandoned;	/* ... left to periodic sessions */
	uint64_t refs_untracked;	/* refs that found the table full */
	/* Called on every request, so a scheduler can wake at once. */
	void (*kick)(void *arg);
	void *kick_arg;
};

extern const char *const rumord_repair_names[RUMORD_REPAIR_NR];

void rumord_repair_request(struct rumord_repair *r,
			   enum rumord_repair_reason why,
			   const struct sockaddr *hint, socklen_t hint_len);

/*
 * For the session scheduler: the pending reasons (0: nothing to do) and
 * the hint if any (*hint_len 0 if none); both are cleared.
 */
uint32_t rumord_repair_take(struct rumord_repair *r,
			    struct sockaddr_storage *hint, socklen_t *hint_len);

/*
 * A value by reference with dot @dot came from @hint: raise
 * RUMORD_REPAIR_REF and keep watching for the dot (see above). A dot
 * already awaited keeps its tries; a full table only raises the request.
 */
void rumord_repair_await_ref(struct rumord_repair *r, struct rumord_dot dot,
			     const struct sockaddr *hint, socklen_t hint_len);

/*
 * Forget the awaited dots @have contains; raise the request again for
 * those due (or drop them after their last try). Returns when to look
 * again (monotonic ms), or 0 when nothing is awaited.
 */
uint64_t rumord_repair_recheck(struct rumord_repair *r,
			       const struct rumord_bvv *have);

#endif /* _RUMORD_REPAIR_H */
