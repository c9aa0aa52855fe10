/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's side of cluster membership (members.h) and of the hash
 * ring (ring.h): rumord's own heartbeat, sent through rumor.ko every
 * second with the addresses it advertises, the members heard, and the
 * ring over them that places every key on its replicas.
 */
#ifndef _RUMORD_CLUSTER_H
#define _RUMORD_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "members.h"
#include "ring.h"

struct rumord;

struct rumord_cluster_opts {
	uint16_t port;		/* where our peer listener is */
	/* --advertise: the addresses to send; none: the host's own. */
	uint8_t addrs[RUMORD_MEMBER_MAX_ADDRS][RUMORD_MEMBER_ADDR_LEN];
	uint8_t naddr;
};

/* Start membership: the table, the ring, the heartbeat timer. 0, -errno. */
int rumord_cluster_open(struct rumord *d, const struct rumord_cluster_opts *o);
/* Say we are leaving (a LEAVING heartbeat), then stop. */
void rumord_cluster_close(struct rumord *d);

/*
 * A delivery from the module: 1 if it was a heartbeat (taken or not),
 * 0 if it is something else, for the caller to decode.
 */
int rumord_cluster_deliver(struct rumord *d, const void *payload, size_t len);
/* The module's neighbour event for the rumor address @sa. */
void rumord_cluster_neighbor(struct rumord *d, const struct sockaddr *sa,
			     socklen_t len, bool up);
/* A request to @node failed: count it DOWN until it is heard again. */
void rumord_cluster_suspect(struct rumord *d, uint64_t node);

/* The members table, and the ring over them and us (rebuilt if stale). */
struct rumord_members *rumord_cluster_members(struct rumord *d);
const struct rumord_ring *rumord_cluster_ring(struct rumord *d);
/* Is ring member @node live now: us, or a member UP? */
bool rumord_cluster_live(struct rumord *d, uint64_t node);
/* Our heartbeat's incarnation, how many we sent, when we started. */
void rumord_cluster_self_info(struct rumord *d, uint64_t *incarnation,
			      uint64_t *sent, uint64_t *started_ms);
/* Our own entry as the ring has it (address, port). */
const struct rumord_ring_member *rumord_cluster_self(struct rumord *d);

#endif /* _RUMORD_CLUSTER_H */
