// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include "frame.h"

/* The header checksum, so that a stack behind XDP accepts the frame too. */
static uint16_t ipv4_checksum(const struct iphdr *iph, const uint8_t *opts,
			      size_t opts_len)
{
	const uint8_t *h = (const uint8_t *)iph;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < sizeof(*iph); i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	for (i = 0; i + 1 < opts_len; i += 2)
		sum += (uint32_t)(opts[i] << 8 | opts[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static void put(struct frame *p, const void *d, size_t n)
{
	if (p->len + n > sizeof(p->data))
		abort();
	memcpy(p->data + p->len, d, n);
	p->len += n;
}

static void put16(struct frame *p, uint16_t host)
{
	uint16_t be = htons(host);

	put(p, &be, 2);
}

/*
 * Ethernet, VLAN tags, IP, and a UDP header to @port (unless the shape says
 * otherwise) followed by @msg. For other
 * protocols (l4) the same bytes follow the IP header, ports where UDP has
 * them, so a parser that ignores the protocol would take them for rumor.
 */
void frame_build(struct frame *p, const struct frame_shape *s, uint16_t port,
		 const void *msg, size_t msg_len)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	size_t l4_len = sizeof(struct udphdr) + msg_len;
	uint8_t l4 = s->l4 ? s->l4 : IPPROTO_UDP;
	bool v6 = s->family == 6;
	struct udphdr udph = {
		.source = htons(s->sport ? s->sport : 40000),
		.dest = htons(s->dport ? s->dport : port),
		.len = htons(s->udp_len ? (uint16_t)s->udp_len : (uint16_t)l4_len),
	};
	uint8_t trailer[256];
	int i;

	memset(p, 0, sizeof(*p));
	put(p, macs, sizeof(macs));
	for (i = 0; i < s->vlans; i++) {
		put16(p, i == 0 && s->vlans > 1 ? ETH_P_8021AD : ETH_P_8021Q);
		put16(p, (uint16_t)(100 + i));	/* TCI: VLAN id */
	}
	put16(p, s->ethertype ? s->ethertype : v6 ? ETH_P_IPV6 : ETH_P_IP);

	if (!v6) {
		struct iphdr iph = {
			.version = 4,
			.ihl = (uint8_t)(5 + s->ip_opt_words),
			.ttl = 64,
			.protocol = l4,
			.frag_off = htons(s->frag_off),
			.saddr = htonl(0x0a000001),
			.daddr = htonl(s->transit ? 0x0a000063 : FRAME_DADDR4),
		};
		uint8_t nops[40];

		iph.tot_len = htons((uint16_t)(iph.ihl * 4 + l4_len));
		memset(nops, 1, sizeof(nops));	/* IPOPT_NOOP */
		iph.check = ipv4_checksum(&iph, nops, (size_t)s->ip_opt_words * 4);
		put(p, &iph, sizeof(iph));
		put(p, nops, (size_t)s->ip_opt_words * 4);
	} else {
		struct ipv6hdr ip6h = {
			.version = 6,
			.hop_limit = 64,
		};
		size_t ext_len = 0;
		uint8_t next = l4;

		for (i = 0; i < s->v6_ext; i++)
			ext_len += 8 * (size_t)(1 + i % 2);
		if (s->v6_frag)
			ext_len += 8;
		ip6h.payload_len = htons((uint16_t)(ext_len + l4_len));
		if (s->v6_frag)
			next = IPPROTO_FRAGMENT;
		ip6h.nexthdr = s->v6_ext ? IPPROTO_DSTOPTS : next;
		ip6h.saddr.s6_addr[0] = ip6h.daddr.s6_addr[0] = 0xfd;
		ip6h.saddr.s6_addr[15] = 1;
		ip6h.daddr.s6_addr[15] = s->transit ? 0x99 : 2;
		put(p, &ip6h, sizeof(ip6h));
		/* Destination options of 8 and 16 bytes in turn, PadN inside. */
		for (i = 0; i < s->v6_ext; i++) {
			uint8_t opt[16] = { 0 };
			size_t n = 8 * (size_t)(1 + i % 2);

			opt[0] = i + 1 < s->v6_ext ? IPPROTO_DSTOPTS : next;
			opt[1] = (uint8_t)(i % 2);
			opt[2] = 1;			/* PadN */
			opt[3] = (uint8_t)(n - 4);
			put(p, opt, n);
		}
		if (s->v6_frag) {
			/* First fragment, more to come. */
			uint8_t frag[8] = { l4, 0, 0, 1, 0, 0, 0x12, 0x34 };

			put(p, frag, sizeof(frag));
		}
	}
	put(p, &udph, sizeof(udph));
	put(p, msg, msg_len);
	memset(trailer, 0xee, sizeof(trailer));
	put(p, trailer, s->trailer);
}

