// SPDX-License-Identifier: GPL-2.0
/*
 * The static peer table. It is small (RUMOR_MAX_PEERS) and read once per
 * received datagram, so a list scanned under the instance lock is enough.
 */
#include <linux/slab.h>
#include <net/ipv6.h>
#include <uapi/linux/rumor.h>

#include "peer.h"

void rumor_endpoint_normalize(struct rumor_endpoint *ep)
{
	if (ep->family == AF_INET6 && ipv6_addr_v4mapped(&ep->v6)) {
		__be32 v4 = ep->v6.s6_addr32[3];

		memset(&ep->v6, 0, sizeof(ep->v6));
		ep->v4.s_addr = v4;
		ep->family = AF_INET;
	}
}

bool rumor_endpoint_equal(const struct rumor_endpoint *a,
			  const struct rumor_endpoint *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	return ipv6_addr_equal(&a->v6, &b->v6);
}

void rumor_peers_init(struct rumor_peers *peers)
{
	INIT_LIST_HEAD(&peers->list);
	peers->count = 0;
}

void rumor_peers_free(struct rumor_peers *peers)
{
	struct rumor_peer *peer, *tmp;

	list_for_each_entry_safe(peer, tmp, &peers->list, node) {
		list_del(&peer->node);
		kfree(peer);
	}
	peers->count = 0;
}

struct rumor_peer *rumor_peer_find(struct rumor_peers *peers,
				   const struct rumor_endpoint *ep)
{
	struct rumor_peer *peer;

	list_for_each_entry(peer, &peers->list, node)
		if (rumor_endpoint_equal(&peer->ep, ep))
			return peer;
	return NULL;
}

int rumor_peer_add(struct rumor_peers *peers, const struct rumor_endpoint *ep)
{
	struct rumor_peer *peer;

	if (rumor_peer_find(peers, ep))
		return -EEXIST;
	if (peers->count >= RUMOR_MAX_PEERS)
		return -ENOSPC;
	peer = kzalloc(sizeof(*peer), GFP_KERNEL);
	if (!peer)
		return -ENOMEM;
	peer->ep = *ep;
	list_add_tail(&peer->node, &peers->list);
	peers->count++;
	return 0;
}

int rumor_peer_del(struct rumor_peers *peers, const struct rumor_endpoint *ep)
{
	struct rumor_peer *peer = rumor_peer_find(peers, ep);

	if (!peer)
		return -ENOENT;
	list_del(&peer->node);
	peers->count--;
	kfree(peer);
	return 0;
}
