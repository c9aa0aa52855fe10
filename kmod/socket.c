// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel UDP socket of an instance. Receiving happens in the socket's
 * encap_rcv hook, in softirq, before the datagram would be queued to a
 * socket; all it does is note the sender and hand the skb to the worker.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/ipv6.h>
#include <net/netlink.h>
#include <net/udp_tunnel.h>

#include "instance.h"
#include "rx.h"
#include "socket.h"

/* Room for bursts of forwarded copies without -EAGAIN. */
#define RUMOR_SNDBUF	(4 << 20)

void rumor_ep_from_v4(struct rumor_ep *ep, __be32 addr, __be16 port)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = 4;
	ep->port = ntohs(port);
	memcpy(ep->addr, &addr, 4);
}

/* IPv4-mapped addresses become IPv4: one member, one form. */
void rumor_ep_from_v6(struct rumor_ep *ep, const struct in6_addr *addr,
		      __be16 port)
{
	if (ipv6_addr_v4mapped(addr)) {
		rumor_ep_from_v4(ep, addr->s6_addr32[3], port);
		return;
	}
	memset(ep, 0, sizeof(*ep));
	ep->family = 6;
	ep->port = ntohs(port);
	memcpy(ep->addr, addr, 16);
}

static int rumor_socket_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct rumor_instance *inst = rcu_dereference_sk_user_data(sk);
	struct rumor_skb_cb *cb = rumor_skb_cb(skb);
	unsigned int offset, len;
	struct udphdr *uh;

	if (unlikely(!inst))
		goto drop;

	/* udp_rcv() has checked the UDP length and checksum already. */
	uh = udp_hdr(skb);
	offset = (u8 *)uh + sizeof(*uh) - skb->data;
	len = ntohs(uh->len);
	if (unlikely(len < sizeof(*uh) || offset + len - sizeof(*uh) > skb->len))
		goto drop;
	len -= sizeof(*uh);
	if (unlikely(pskb_trim(skb, offset + len)))
		goto drop;

	if (skb->protocol == htons(ETH_P_IP))
		rumor_ep_from_v4(&cb->src, ip_hdr(skb)->saddr, uh->source);
	else
		rumor_ep_from_v6(&cb->src, &ipv6_hdr(skb)->saddr, uh->source);
	__skb_pull(skb, offset);

	atomic64_inc(&inst->rx_packets);
	atomic64_add(len, &inst->rx_bytes);
	if (skb_queue_len_lockless(&inst->rxq) >= RUMOR_RXQ_MAX) {
		atomic64_inc(&inst->rx_queue_full);
		goto drop;
	}
	skb_dst_drop(skb);
	skb_queue_tail(&inst->rxq, skb);
	rumor_rx_kick(inst);
	return 0;

drop:
	kfree_skb(skb);
	return 0;
}

static int create(struct net *net, const struct rumor_instance_config *cfg,
		  struct socket **sock)
{
	struct udp_port_cfg port_cfg = {
		.local_udp_port = htons(cfg->port),
	};
	int err;

	switch (cfg->bind.family) {
	case 4:
		port_cfg.family = AF_INET;
		memcpy(&port_cfg.local_ip, cfg->bind.addr, 4);
		return udp_sock_create(net, &port_cfg, sock);
	case 6:
		port_cfg.family = AF_INET6;
		memcpy(&port_cfg.local_ip6, cfg->bind.addr, 16);
		port_cfg.ipv6_v6only = 1;
		return udp_sock_create(net, &port_cfg, sock);
	}

	/* No address given: one dual-stack socket, or IPv4 where v6 is off. */
	port_cfg.family = AF_INET6;
	err = udp_sock_create(net, &port_cfg, sock);
	if (err != -EAFNOSUPPORT)
		return err;
	port_cfg.family = AF_INET;
	return udp_sock_create(net, &port_cfg, sock);
}

int rumor_socket_open(struct rumor_instance *inst,
		      struct netlink_ext_ack *extack)
{
	struct udp_tunnel_sock_cfg tunnel_cfg = {
		.sk_user_data = inst,
		.encap_type = 1,
		.encap_rcv = rumor_socket_rcv,
	};
	struct socket *sock;
	int err;

	err = create(inst->net, &inst->cfg, &sock);
	if (err == -EADDRINUSE) {
		NL_SET_ERR_MSG_FMT(extack, "UDP port %u is already in use",
				   inst->cfg.port);
		return err;
	}
	if (err == -EADDRNOTAVAIL) {
		NL_SET_ERR_MSG(extack, "bind address is not a local address");
		return err;
	}
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot create the UDP socket");
		return err;
	}

	sock->sk->sk_sndbuf = RUMOR_SNDBUF;
	sock->sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
	setup_udp_tunnel_sock(inst->net, sock, &tunnel_cfg);
	inst->sock = sock;
	return 0;
}

void rumor_socket_close(struct socket *sock)
{
	/* Clears sk_user_data first, so encap_rcv stops seeing the instance. */
	udp_tunnel_sock_release(sock);
}

bool rumor_socket_can_reach(struct rumor_instance *inst,
			    const struct rumor_ep *dst)
{
	struct sock *sk = inst->sock->sk;

	if (sk->sk_family == AF_INET)
		return dst->family == 4;
	/* An IPv6 socket reaches IPv4 through mapped addresses unless v6only. */
	return dst->family == 6 || (dst->family == 4 && !ipv6_only_sock(sk));
}

int rumor_socket_send(struct rumor_instance *inst, const struct rumor_ep *dst,
		      struct kvec *vec, size_t nvec, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct socket *sock = inst->sock;

	lockdep_assert_held(&inst->lock);
	if (!sock)
		return -ENOTCONN;

	if (sock->sk->sk_family == AF_INET) {
		if (dst->family != 4)
			return -EAFNOSUPPORT;
		memcpy(&sin.sin_addr, dst->addr, 4);
		sin.sin_port = htons(dst->port);
		msg.msg_name = &sin;
		msg.msg_namelen = sizeof(sin);
	} else {
		if (dst->family == 4) {
			__be32 v4;

			memcpy(&v4, dst->addr, 4);
			ipv6_addr_set_v4mapped(v4, &sin6.sin6_addr);
		} else if (dst->family == 6) {
			memcpy(&sin6.sin6_addr, dst->addr, 16);
		} else {
			return -EAFNOSUPPORT;
		}
		sin6.sin6_port = htons(dst->port);
		msg.msg_name = &sin6;
		msg.msg_namelen = sizeof(sin6);
	}
	return kernel_sendmsg(sock, &msg, vec, nvec, len);
}
