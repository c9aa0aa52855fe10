/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ethernet frames around a rumor message, in every shape the XDP program
 * must judge: IPv4 or IPv6, VLAN tags, options and extension headers,
 * fragments, other protocols, lying lengths. Used by the XDP selftests and
 * the benchmarks.
 */
#ifndef _RUMOR_SELFTESTS_FRAME_H
#define _RUMOR_SELFTESTS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct frame {
	uint8_t data[2048];
	size_t len;
};

/* How to wrap a rumor message; zeroes give IPv4/UDP to the given port. */
struct frame_shape {
	int family;		/* 4 or 6; 0 means 4 */
	int vlans;		/* tags: the outer one 802.1ad when two or more */
	uint16_t ethertype;	/* overrides the IP ethertype (e.g. ARP) */
	int ip_opt_words;	/* IPv4 options, 32-bit words */
	uint16_t frag_off;	/* IPv4 frag_off, host order */
	int v6_ext;		/* IPv6 destination options headers */
	bool v6_frag;		/* an IPv6 fragment header before UDP */
	uint8_t l4;		/* IP protocol; 0 means UDP */
	uint16_t sport, dport;	/* 0: 40000, and the port frame_build() is given */
	int udp_len;		/* overrides the UDP length field when not 0 */
	size_t trailer;		/* bytes after the IP packet, as padding */
	bool transit;		/* to another host than FRAME_DADDR4/6 */
};

/* Frames go from 10.0.0.1 or fd00::1 to these, unless in transit (.99). */
#define FRAME_DADDR4	0x0a000002	/* 10.0.0.2, host order */
#define FRAME_DADDR6	{ 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 }

void frame_build(struct frame *f, const struct frame_shape *s, uint16_t port,
		 const void *msg, size_t msg_len);

#endif /* _RUMOR_SELFTESTS_FRAME_H */
