/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Static peers: the nodes a GOSSIP message is flooded to.
 */
#ifndef _RUMOR_PEER_H
#define _RUMOR_PEER_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/list.h>
#include <linux/socket.h>

/*
 * An IPv4 or IPv6 UDP endpoint. IPv4-mapped IPv6 addresses are stored as
 * IPv4, so that one peer has one form whichever socket family saw it.
 */
struct rumor_endpoint {
	sa_family_t family;	/* AF_INET, AF_INET6, or AF_UNSPEC for none */
	__be16 port;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

struct rumor_peer_stats {
	u64 rx_messages;
	u64 rx_duplicates;
	u64 tx_messages;
	u64 tx_errors;
};

struct rumor_peer {
	struct list_head node;
	struct rumor_endpoint ep;
	struct rumor_peer_stats stats;
};

/* Guarded by the owning instance's lock. */
struct rumor_peers {
	struct list_head list;
	u32 count;
};

void rumor_endpoint_normalize(struct rumor_endpoint *ep);
bool rumor_endpoint_equal(const struct rumor_endpoint *a,
			  const struct rumor_endpoint *b);

void rumor_peers_init(struct rumor_peers *peers);
void rumor_peers_free(struct rumor_peers *peers);
struct rumor_peer *rumor_peer_find(struct rumor_peers *peers,
				   const struct rumor_endpoint *ep);
int rumor_peer_add(struct rumor_peers *peers, const struct rumor_endpoint *ep);
int rumor_peer_del(struct rumor_peers *peers, const struct rumor_endpoint *ep);

#endif /* _RUMOR_PEER_H */
