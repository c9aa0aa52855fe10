/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One rumor instance per network namespace: its configuration, socket,
 * peers, dedup windows and counters.
 */
#ifndef _RUMOR_INSTANCE_H
#define _RUMOR_INSTANCE_H

#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "wire.h"
#include "peer.h"
#include "dedup.h"

/* Datagrams waiting for the receive worker; more are dropped and counted. */
#define RUMOR_RXQ_MAX		4096

struct rumor_config {
	u16 port;
	struct rumor_endpoint bind;	/* family AF_UNSPEC: all addresses */
	u32 max_payload;
	u32 max_origins;
};

/* Counters protected by rumor_instance.lock. */
struct rumor_stats {
	u64 rx_malformed[RUMOR_WIRE_NERR];
	u64 rx_unknown_peer;
	u64 rx_nomem;
	u64 delivered;
	u64 duplicates;
	u64 too_old;
	u64 hops_exceeded;
	u64 deliver_failed;
	u64 broadcasts;
	u64 forwarded;
	u64 tx_packets;
	u64 tx_bytes;
	u64 tx_errors;
	u64 peers_full;
};

struct rumor_instance {
	struct net *net;
	struct rumor_config cfg;
	u64 node_id;		/* this run's origin id, random and non-zero */

	/*
	 * Taken by netlink requests (after rumor_net.lock) and by the receive
	 * worker; guards everything below but the atomics and the queue.
	 */
	struct mutex lock;
	struct socket *sock;	/* NULL once teardown has begun */
	u64 last_seq;
	struct rumor_peers peers;
	struct rumor_dedup dedup;
	struct rumor_stats stats;

	/* The socket's encap_rcv hook runs in softirq: it only queues. */
	struct sk_buff_head rxq;
	struct work_struct rx_work;
	atomic64_t rx_packets;
	atomic64_t rx_bytes;
	atomic64_t rx_queue_full;
};

/* Per network namespace state, reached through net_generic(). */
struct rumor_net {
	/* Serialises configuration requests; guards inst and generation. */
	struct mutex lock;
	struct rumor_instance *inst;
	/* Bumped on every change that a dump may see, for consistency. */
	u32 generation;
};

struct rumor_net *rumor_net(struct net *net);
int rumor_instance_up(struct rumor_net *rn, struct net *net,
		      const struct rumor_config *cfg,
		      struct netlink_ext_ack *extack);
void rumor_instance_down(struct rumor_net *rn);

int rumor_instance_init(void);
void rumor_instance_uninit(void);

#endif /* _RUMOR_INSTANCE_H */
