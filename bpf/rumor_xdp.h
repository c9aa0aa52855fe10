/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What the XDP program and its loaders (rumorctl xdp, the XDP selftests)
 * share: the configuration the loader writes into the program's read-only
 * data before load, the counters, and the names under which the maps are
 * pinned. Plain uapi types only: this header is compiled for BPF and for
 * userspace alike.
 */
#ifndef _RUMOR_BPF_RUMOR_XDP_H
#define _RUMOR_BPF_RUMOR_XDP_H

#include <linux/types.h>

/* The program's name, as `bpftool prog show` and `ip link` print it. */
#define RUMOR_XDP_PROG_NAME	"rumor_xdp"

/*
 * Map names, which are also the file names of the pins under the node's
 * pin directory (see docs/xdp.md).
 */
#define RUMOR_XDP_STATS_MAP	"stats"
#define RUMOR_XDP_ORIGINS_MAP	"origins"
#define RUMOR_XDP_NOTICES_MAP	"notices"

/* Pins: /sys/fs/bpf/rumor for the initial network namespace, ... */
#define RUMOR_XDP_PIN_ROOT	"/sys/fs/bpf/rumor"
/* ... and RUMOR_XDP_PIN_ROOT/netns/NAME (or ino-INODE) for the others. */
#define RUMOR_XDP_PIN_NETNS	"netns"

/* IPv6 extension headers walked to find UDP; more than this pass untouched. */
#define RUMOR_XDP_MAX_IPV6_EXT	4
/* VLAN tags (802.1Q, 802.1ad) skipped; a packet with more passes untouched. */
#define RUMOR_XDP_MAX_VLAN	2

/* Senders whose duplicate notices are rate limited (LRU). */
#define RUMOR_XDP_MAX_SENDERS	1024
/* At most one duplicate per sender passes as a notice this often. */
#define RUMOR_XDP_NOTICE_INTERVAL_NS	(200ULL * 1000 * 1000)

/* Set by the loader through the skeleton's rodata, before load. */
struct rumor_xdp_config {
	__u16 port;	/* UDP destination port of rumor, host order */
	__u64 notice_interval_ns;
};

/*
 * Counters, one per-CPU copy, summed by the reader. Every rumor datagram
 * (UDP to the configured port) counts once in rumor_packets and then in
 * exactly one of gossip_*, malformed_* or other_passed, so those add up to
 * rumor_packets. origins_* count what happened to the origin table on the
 * way to a gossip_* verdict.
 */
struct rumor_xdp_stats {
	__u64 rumor_packets;		/* UDP datagrams to the rumor port */
	__u64 gossip_passed;		/* GOSSIP seen for the first time: passed */
	__u64 gossip_duplicate;		/* GOSSIP seen before: dropped */
	__u64 gossip_dup_notice;	/* seen before, passed so Plumtree prunes */
	__u64 gossip_grafted;		/* the answer to a GRAFT: always passed */
	__u64 gossip_too_old;		/* GOSSIP below its origin's window: dropped */
	__u64 gossip_busy;		/* window slot contended on every try: passed */
	__u64 gossip_no_window;		/* origin table refused an entry: passed */
	__u64 other_passed;		/* well-formed, a type XDP does not judge: passed */
	/* Malformed, dropped; one per enum rumor_wire_err reason, in its order. */
	__u64 malformed_truncated;	/* header or body beyond the packet, UDP length short */
	__u64 malformed_bad_magic;
	__u64 malformed_bad_version;
	__u64 malformed_bad_flags;
	__u64 malformed_bad_type;
	__u64 malformed_bad_length;	/* length field != UDP length - 8 */
	__u64 malformed_bad_body;	/* body too short, origin 0 or seq 0 */
	__u64 origins_inserted;		/* windows created; the LRU evicts silently */
	__u64 origin_insert_failed;	/* window creation failed (not a lost race) */
};

/*
 * The counter names for loaders that print or compare them, in the order
 * of the struct: X(field) for every field. Userspace checks that the list
 * covers the struct (sizeof == 8 * entries).
 */
#define RUMOR_XDP_STATS_FIELDS(X)					\
	X(rumor_packets) X(gossip_passed) X(gossip_duplicate)		\
	X(gossip_dup_notice) X(gossip_grafted)				\
	X(gossip_too_old) X(gossip_busy) X(gossip_no_window)		\
	X(other_passed) X(malformed_truncated) X(malformed_bad_magic)	\
	X(malformed_bad_version) X(malformed_bad_flags)			\
	X(malformed_bad_type) X(malformed_bad_length)			\
	X(malformed_bad_body) X(origins_inserted) X(origin_insert_failed)

#endif /* _RUMOR_BPF_RUMOR_XDP_H */
