/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The replica protocol (rpc_proto.h) on sockets: the connections peers
 * open to our listener, whose requests the replica side (quorum.c)
 * answers, and ours to them, one per node, carrying pipelined requests
 * that each end in exactly one reply, error or timeout.
 */
#ifndef _RUMORD_RPC_H
#define _RUMORD_RPC_H

#include <stdbool.h>
#include <stdint.h>

#include "ring.h"
#include "rpc_proto.h"

struct rumord;

/* Bounds: every table here is one. */
#define RUMORD_RPC_MAX_IN	256	/* peers' connections at once */
#define RUMORD_RPC_MAX_OUT	64	/* ours, one per node */
#define RUMORD_RPC_MAX_CALLS	1024	/* requests awaiting a reply */
#define RUMORD_RPC_OUT_MAX	(4u << 20)	/* bytes queued per connection */
#define RUMORD_RPC_IDLE_MS	60000	/* an idle connection is closed */

struct rumord_rpc_stats {
	uint64_t accepted, refused_in;	/* peers' connections */
	uint64_t served, bad_in;	/* their requests; unreadable frames */
	uint64_t calls, replies;	/* ours */
	uint64_t timeouts, failed;	/* ... no reply in time; conn errors */
	uint64_t busy;			/* ... refused: a table was full */
	uint64_t connects;
};

/*
 * The reply to a call: status 0 and @reply (valid during the call only),
 * or -errno and NULL (-ETIMEDOUT, -ECONNREFUSED, ..., or an ERROR's
 * status).
 */
typedef void (*rumord_rpc_reply_fn)(struct rumord *d, void *arg, int status,
				    const struct rumord_rpc_msg *reply);

int rumord_rpc_open(struct rumord *d);
/* Close every connection; pending calls are dropped without a reply. */
void rumord_rpc_close(struct rumord *d);

/* A peer's connection whose first bytes are this protocol's. 0, -errno. */
int rumord_rpc_accept(struct rumord *d, int fd);

/*
 * Send request @req (its id is set here) to @node at @addr. 0: @fn will
 * be called once, never from within this call; or -errno (-ENOSPC,
 * -ENOBUFS: a table or queue is full; -EINVAL), and @fn is never called.
 */
int rumord_rpc_call(struct rumord *d, uint64_t node,
		    const struct rumord_node_addr *addr,
		    const struct rumord_rpc_msg *req, uint64_t timeout_ms,
		    rumord_rpc_reply_fn fn, void *arg);

const struct rumord_rpc_stats *rumord_rpc_stats(struct rumord *d);

/*
 * The replica side, quorum.c: answer @req into @reply (op, status and
 * what the op carries; pointers valid until the next store call).
 */
void rumord_quorum_serve(struct rumord *d, const struct rumord_rpc_msg *req,
			 struct rumord_rpc_msg *reply);

#endif /* _RUMORD_RPC_H */
