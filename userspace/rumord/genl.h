/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rumord's side of rumor.ko: the generic netlink family "rumor" of this
 * network namespace. One socket for requests (BROADCAST, GET, the member
 * dump), one subscribed to the "deliver" and "events" multicast groups
 * that the event loop reads.
 *
 * A notification the kernel could not queue because our socket was full
 * is gone: the next read fails with ENOBUFS. That is counted, logged by
 * the caller and reported through ops->lost, and the member list is read
 * again (neighbour events may have been lost too).
 */
#ifndef _RUMORD_GENL_H
#define _RUMORD_GENL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RUMORD_MAX_NEIGHBORS	64	/* the module's largest active view */

/* A member of the instance's active view. */
struct rumord_neighbor {
	uint64_t node_id;		/* the instance's id (not rumord's) */
	struct sockaddr_storage addr;	/* its rumor UDP address */
	socklen_t addr_len;
};

struct rumord_genl_stats {
	uint64_t delivered;	/* deliver notifications read */
	uint64_t lost;		/* ENOBUFS on the multicast socket */
	uint64_t malformed;	/* notifications missing attributes */
	uint64_t broadcasts;
	uint64_t broadcast_errors;
	uint64_t neighbor_up, neighbor_down;
	uint64_t stale_replies;	/* answers to earlier requests, skipped */
	uint64_t restarts;	/* the instance found restarted: view read again */
	uint64_t instance_up, instance_down;	/* the module's events */
};

struct rumord_genl_ops {
	void (*deliver)(void *arg, uint64_t origin, uint64_t seq,
			const struct sockaddr *from, socklen_t from_len,
			const void *payload, size_t len);
	void (*lost)(void *arg);
	void (*neighbor)(void *arg, const struct rumord_neighbor *n, bool up);
	/* rumorctl up or down here: the instance with node id @id. */
	void (*instance)(void *arg, uint64_t id, bool up);
};

struct rumord_genl;

/* The notification socket's buffer: deliveries come in bursts. */
#define RUMORD_GENL_RCVBUF	(8u << 20)

/*
 * Resolve the family, check that this namespace's instance is up, join
 * the groups (their socket buffer @rcvbuf bytes; 0: RUMORD_GENL_RCVBUF)
 * and read the active view. On failure -errno and a one-line reason in
 * @why ("rumor.ko is not loaded", ...).
 */
int rumord_genl_open(struct rumord_genl **out, const struct rumord_genl_ops *ops,
		     void *arg, size_t rcvbuf, char *why, size_t why_len);
void rumord_genl_close(struct rumord_genl *g);

/* The multicast socket, for epoll (non-blocking). */
int rumord_genl_fd(const struct rumord_genl *g);
/* Read every pending notification, calling ops. 0 or -errno. */
int rumord_genl_read(struct rumord_genl *g);

/* Broadcast @payload; 0 or -errno (-EMSGSIZE: over max-payload). */
int rumord_genl_broadcast(struct rumord_genl *g, const void *payload,
			  size_t len);
/*
 * The instance's max-payload as last read. rumord_genl_refresh reads the
 * instance again, and the active view too if it was restarted since (a
 * new id); a broadcast or a neighbour event from a restarted instance, or
 * ENOBUFS, does the same by itself.
 */
uint32_t rumord_genl_max_payload(const struct rumord_genl *g);
uint64_t rumord_genl_node_id(const struct rumord_genl *g);
int rumord_genl_refresh(struct rumord_genl *g);

const struct rumord_neighbor *rumord_genl_neighbors(const struct rumord_genl *g,
						    size_t *n);
const struct rumord_genl_stats *rumord_genl_stats(const struct rumord_genl *g);

#endif /* _RUMORD_GENL_H */
