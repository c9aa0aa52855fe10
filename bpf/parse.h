/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Packet parsing for the XDP program: a cursor walks the headers, and every
 * helper checks the bounds of the header it is about to read against the
 * packet end before reading it, then moves the cursor past it. Helpers
 * return the next protocol (host order), or -1 when the packet is too short
 * or is not something we parse; the caller then passes it untouched. Every
 * loop has a constant bound.
 */
#ifndef _RUMOR_BPF_PARSE_H
#define _RUMOR_BPF_PARSE_H

#include <linux/types.h>
#include <stdbool.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "rumor_xdp.h"

struct rumor_xdp_cursor {
	void *pos;	/* the next header */
	void *end;	/* one past the last byte of the packet */
	void *l3;	/* the IPv4 or IPv6 header, once parsed */
	bool ipv6;	/* which of the two l3 is */
};

/* An 802.1Q or 802.1ad tag; the uapi has no struct for it. */
struct rumor_xdp_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* IPv4 fragment bits of iphdr.frag_off (host order). */
#define RUMOR_XDP_IP_MF		0x2000
#define RUMOR_XDP_IP_OFFSET	0x1fff

#define CURSOR_HAS(c, ptr, type) ((void *)(ptr) + sizeof(type) <= (c)->end)

/* Ethernet and at most RUMOR_XDP_MAX_VLAN tags; returns the ethertype. */
static __always_inline int parse_ethhdr(struct rumor_xdp_cursor *c)
{
	struct ethhdr *eth = c->pos;
	__u16 proto;
	int i;

	if (!CURSOR_HAS(c, eth, struct ethhdr))
		return -1;
	c->pos = eth + 1;
	proto = bpf_ntohs(eth->h_proto);

#pragma unroll
	for (i = 0; i < RUMOR_XDP_MAX_VLAN; i++) {
		struct rumor_xdp_vlan_hdr *vlan = c->pos;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if (!CURSOR_HAS(c, vlan, struct rumor_xdp_vlan_hdr))
			return -1;
		c->pos = vlan + 1;
		proto = bpf_ntohs(vlan->encap_proto);
	}
	/* A third tag is left as the protocol: not IP, so it passes. */
	return proto;
}

/*
 * IPv4 with its options; returns the protocol. Fragments return -1: only
 * the first carries the UDP header, and the datagram is judged whole by
 * the kernel after reassembly.
 */
static __always_inline int parse_iphdr(struct rumor_xdp_cursor *c)
{
	struct iphdr *iph = c->pos;
	__u32 hlen;

	if (!CURSOR_HAS(c, iph, struct iphdr))
		return -1;
	c->l3 = iph;
	c->ipv6 = false;
	hlen = iph->ihl * 4;
	if (hlen < sizeof(*iph))
		return -1;
	if (c->pos + hlen > c->end)
		return -1;
	if (bpf_ntohs(iph->frag_off) & (RUMOR_XDP_IP_MF | RUMOR_XDP_IP_OFFSET))
		return -1;
	c->pos += hlen;
	return iph->protocol;
}

/*
 * IPv6 and up to RUMOR_XDP_MAX_IPV6_EXT hop-by-hop, routing and destination
 * options headers; returns the next header after them. A fragment header
 * (or any other) is returned as is, so fragments pass.
 */
static __always_inline int parse_ipv6hdr(struct rumor_xdp_cursor *c)
{
	struct ipv6hdr *ip6h = c->pos;
	int nexthdr, i;

	if (!CURSOR_HAS(c, ip6h, struct ipv6hdr))
		return -1;
	c->l3 = ip6h;
	c->ipv6 = true;
	c->pos = ip6h + 1;
	nexthdr = ip6h->nexthdr;

#pragma unroll
	for (i = 0; i < RUMOR_XDP_MAX_IPV6_EXT; i++) {
		struct ipv6_opt_hdr *opt = c->pos;

		if (nexthdr != IPPROTO_HOPOPTS && nexthdr != IPPROTO_ROUTING &&
		    nexthdr != IPPROTO_DSTOPTS)
			return nexthdr;
		if (!CURSOR_HAS(c, opt, struct ipv6_opt_hdr))
			return -1;
		/* hdrlen counts 8-octet units beyond the first eight. */
		if (c->pos + (opt->hdrlen + 1) * 8 > c->end)
			return -1;
		c->pos += (opt->hdrlen + 1) * 8;
		nexthdr = opt->nexthdr;
	}
	return nexthdr;
}

static __always_inline struct udphdr *parse_udphdr(struct rumor_xdp_cursor *c)
{
	struct udphdr *udph = c->pos;

	if (!CURSOR_HAS(c, udph, struct udphdr))
		return NULL;
	c->pos = udph + 1;
	return udph;
}

/* Ethernet to UDP, over IPv4 or IPv6; NULL for anything else. */
static __always_inline struct udphdr *parse_to_udp(struct rumor_xdp_cursor *c)
{
	int proto = parse_ethhdr(c);

	if (proto == ETH_P_IP)
		proto = parse_iphdr(c);
	else if (proto == ETH_P_IPV6)
		proto = parse_ipv6hdr(c);
	else
		return NULL;
	if (proto != IPPROTO_UDP)
		return NULL;
	return parse_udphdr(c);
}

#endif /* _RUMOR_BPF_PARSE_H */
