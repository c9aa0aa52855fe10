/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One rumor instance per network namespace: a protocol core node (core/),
 * the kernel UDP socket it talks through, and the work items that feed it
 * datagrams and timer ticks.
 */
#ifndef _RUMOR_INSTANCE_H
#define _RUMOR_INSTANCE_H

#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "node.h"

/* Datagrams waiting for the receive worker; more are dropped and counted. */
#define RUMOR_RXQ_MAX		4096

struct rumor_instance_config {
	u16 port;
	struct rumor_ep bind;		/* family 0: all addresses */
	struct rumor_config core;
};

/* What the host counts; the protocol's own counters are in node->stats. */
struct rumor_host_stats {
	u64 tx_packets;
	u64 tx_bytes;
	u64 tx_errors;
	u64 deliver_failed;
	u64 mem_bytes;			/* held by the core now */
};

struct rumor_instance {
	struct net *net;
	struct rumor_instance_config cfg;
	struct rumor_env env;		/* the core's view of this host */

	/*
	 * Taken by netlink requests (after rumor_net.lock) and by both
	 * workers: it serialises every call into the core. Guards everything
	 * below but the atomics and the queue.
	 */
	struct mutex lock;
	struct rumor_node *node;
	struct socket *sock;		/* NULL once teardown has begun */
	struct rumor_host_stats stats;

	/* The socket's encap_rcv hook runs in softirq: it only queues. */
	struct sk_buff_head rxq;
	struct work_struct rx_work;
	struct delayed_work timer_work;
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
		      const struct rumor_instance_config *cfg,
		      struct netlink_ext_ack *extack);
void rumor_instance_down(struct rumor_net *rn);

int rumor_instance_init(void);
void rumor_instance_uninit(void);

#endif /* _RUMOR_INSTANCE_H */
