/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The instance's kernel UDP socket: receive through the encap_rcv hook,
 * send with kernel_sendmsg from process context.
 */
#ifndef _RUMOR_SOCKET_H
#define _RUMOR_SOCKET_H

#include <linux/skbuff.h>
#include <linux/in6.h>
#include <linux/uio.h>

#include "wire.h"

struct rumor_instance;
struct netlink_ext_ack;

/* What encap_rcv learnt of a datagram, kept in skb->cb for the worker. */
struct rumor_skb_cb {
	struct rumor_ep src;
};

static inline struct rumor_skb_cb *rumor_skb_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct rumor_skb_cb) > sizeof(skb->cb));
	return (struct rumor_skb_cb *)skb->cb;
}

int rumor_socket_open(struct rumor_instance *inst,
		      struct netlink_ext_ack *extack);
void rumor_socket_close(struct socket *sock);
int rumor_socket_send(struct rumor_instance *inst, const struct rumor_ep *dst,
		      struct kvec *vec, size_t nvec, size_t len);
bool rumor_socket_can_reach(struct rumor_instance *inst,
			    const struct rumor_ep *dst);
/* Address conversions between the core's form and the kernel's. */
void rumor_ep_from_v4(struct rumor_ep *ep, __be32 addr, __be16 port);
void rumor_ep_from_v6(struct rumor_ep *ep, const struct in6_addr *addr,
		      __be16 port);

#endif /* _RUMOR_SOCKET_H */
