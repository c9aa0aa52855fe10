/* SPDX-License-Identifier: GPL-2.0 */
/*
 * simnet: many protocol cores in one process, on a simulated network.
 *
 * Each node is an unchanged struct rumor_node whose env is this file: its
 * datagrams become events delivered after a random latency (or lost), its
 * timer is an event, time is simulated, and every random choice comes from
 * a generator seeded by the run's seed. One event runs at a time, so a run
 * is deterministic under its seed. The simulator (sim.c) and the overlay
 * unit tests both drive it.
 */
#ifndef RUMOR_SIMNET_H
#define RUMOR_SIMNET_H

#include <stdbool.h>
#include <stdint.h>

#include "node.h"

struct simnet;

struct simnet_config {
	uint32_t nodes;
	uint64_t seed;
	uint32_t latency_min_us;	/* one-way, uniform in [min, max] */
	uint32_t latency_max_us;
	double loss;			/* probability a datagram is lost */
	struct rumor_config node;	/* every node's core configuration */
};

/* Called for every first delivery, with the receiving node's index. */
typedef void (*simnet_deliver_fn)(void *arg, uint32_t node,
				  const struct rumor_msg *msg, uint64_t now);

/*
 * Called for every datagram sent, by a node's core or by simnet_inject(),
 * before the loss model decides its fate (so also for datagrams that will
 * be lost or that go to a dead node): @dgram is the whole datagram, @src and
 * @dst node indices (@dst UINT32_MAX for an address outside the network).
 */
typedef void (*simnet_send_fn)(void *arg, uint32_t src, uint32_t dst,
			       const uint8_t *dgram, uint32_t len,
			       uint64_t now);

/* Datagrams and bytes sent, by message type, over the whole run. */
struct simnet_traffic {
	uint64_t msgs[__RUMOR_WIRE_TYPE_END];
	uint64_t bytes[__RUMOR_WIRE_TYPE_END];
	uint64_t lost;			/* dropped by the loss model */
	uint64_t to_dead;		/* sent to a dead node */
};

struct simnet *simnet_create(const struct simnet_config *cfg);
void simnet_destroy(struct simnet *s);

/* Nodes are created alive but alone; give them contacts to join. */
struct rumor_node *simnet_node(struct simnet *s, uint32_t i);
uint32_t simnet_size(const struct simnet *s);
void simnet_ep(uint32_t i, struct rumor_ep *ep);
/* The node index of an endpoint, or UINT32_MAX. */
uint32_t simnet_index(const struct rumor_ep *ep);

void simnet_on_deliver(struct simnet *s, simnet_deliver_fn fn, void *arg);
void simnet_on_send(struct simnet *s, simnet_send_fn fn, void *arg);

/*
 * Send @len bytes from node @src's address to node @dst through the latency
 * and loss model, counted as traffic, exactly as if @src's core had sent
 * them: for a host that speaks for its node (the simulator's direct mode,
 * tests that forge datagrams). Nothing is sent when @src is dead.
 */
void simnet_inject(struct simnet *s, uint32_t src, uint32_t dst,
		   const void *dgram, uint32_t len);

uint64_t simnet_now(const struct simnet *s);
/* Run events up to @t (microseconds), then set the clock to @t. */
void simnet_run_until(struct simnet *s, uint64_t t);

/* Change the probability that a datagram is lost, from now on. */
void simnet_set_loss(struct simnet *s, double loss);

/* A node dies at once: it stops receiving, sending and keeping time. */
void simnet_kill(struct simnet *s, uint32_t i);
bool simnet_alive(const struct simnet *s, uint32_t i);
/*
 * A dead node comes back as a new incarnation (new id, empty views) and
 * joins through @contact.
 */
void simnet_restart(struct simnet *s, uint32_t i, uint32_t contact);

const struct simnet_traffic *simnet_traffic(const struct simnet *s);
/* Bytes the core of node @i holds right now. */
uint64_t simnet_node_bytes(const struct simnet *s, uint32_t i);
uint64_t simnet_events(const struct simnet *s);

/* The simulation's own generator (for choosing broadcasters and victims). */
uint64_t simnet_random(struct simnet *s);

#endif /* RUMOR_SIMNET_H */
