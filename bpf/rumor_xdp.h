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

#include "window.h"

/* The program's name, as `bpftool prog show` and `ip link` print it. */
#define RUMOR_XDP_PROG_NAME	"rumor_xdp"

/*
 * Map names, which are also the file names of the pins under the node's
 * pin directory (see docs/xdp.md).
 */
#define RUMOR_XDP_STATS_MAP	"stats"
#define RUMOR_XDP_ORIGINS_MAP	"origins"
#define RUMOR_XDP_NOTICES_MAP	"notices"
#define RUMOR_XDP_PEERS_MAP	"peers"

/* Pins: /sys/fs/bpf/rumor for the initial network namespace, ... */
#define RUMOR_XDP_PIN_ROOT	"/sys/fs/bpf/rumor"
/* ... and RUMOR_XDP_PIN_ROOT/netns/NAME (or ino-INODE) for the others. */
#define RUMOR_XDP_PIN_NETNS	"netns"

/* IPv6 extension headers walked to find UDP; more than this pass untouched. */
#define RUMOR_XDP_MAX_IPV6_EXT	4
/* VLAN tags (802.1Q, 802.1ad) skipped; a packet with more passes untouched. */
#define RUMOR_XDP_MAX_VLAN	2

/*
 * The origin table is set-associative, like a CPU cache: an origin id
 * hashes to one set of RUMOR_XDP_ORIGIN_WAYS windows, and a new origin
 * takes the set's free or least recently used way. The loader sizes the
 * table (max-origins, rounded up to a power of two).
 */
#define RUMOR_XDP_ORIGIN_WAYS	4
#define RUMOR_XDP_MIN_ORIGINS	RUMOR_XDP_ORIGIN_WAYS
#define RUMOR_XDP_MAX_ORIGINS	(1U << 20)

/* Frames longer than this are not walked (IHAVE ids): a jumbo frame. */
#define RUMOR_XDP_MAX_FRAME	9216

/* Peers whose IHAVEs are counted apart (LRU, per CPU). */
#define RUMOR_XDP_MAX_PEERS	1024

/* Slots of the per-CPU duplicate notice table, by sender hash. */
#define RUMOR_XDP_NOTICE_SLOTS	256
/* At most one duplicate per sender (and CPU) passes as a notice this often. */
#define RUMOR_XDP_NOTICE_INTERVAL_NS	(200ULL * 1000 * 1000)
/* At most one all-seen IHAVE per peer (and CPU) passes as a sample this often. */
#define RUMOR_XDP_SAMPLE_INTERVAL_NS	(1000ULL * 1000 * 1000)
/* A window with no new message for this long may go to another origin. */
#define RUMOR_XDP_ORIGIN_IDLE_NS	(1000ULL * 1000 * 1000)
/* The kernel's HZ when the loader cannot read it (Debian's). */
#define RUMOR_XDP_DEFAULT_HZ		250

/* Addresses of the node whose datagrams XDP judges, per family. */
#define RUMOR_XDP_MAX_ADDRS	16

/* Set by the loader through the skeleton's rodata, before load. */
struct rumor_xdp_config {
	__u16 port;		/* UDP destination port of rumor, host order */
	__u8 nr_addr4;		/* addresses in addr4 */
	__u8 nr_addr6;		/* addresses in addr6 */
	__u32 origin_sets;	/* sets in the origin table, a power of two */
	__u32 hz;		/* jiffies per second of the running kernel */
	__u64 notice_interval_ns;
	__u64 sample_interval_ns;	/* 0: every all-seen IHAVE drops */
	__u64 origin_idle_ns;
	/*
	 * The node's own addresses, network order: datagrams to any other
	 * address are routed through this host, not sent to it, and pass
	 * untouched (transit_passed).
	 */
	__be32 addr4[RUMOR_XDP_MAX_ADDRS];
	__be32 addr6[RUMOR_XDP_MAX_ADDRS][4];
};

/*
 * A set of the origin table. Like a CPU cache it keeps its tags (origin
 * ids and window generations) together, so that a lookup reads one cache
 * line before the window it wants. id 0 is a free way. The generation
 * changes whenever a way passes to another origin, so that a CPU still
 * judging for the old one cannot touch the new one's bits.
 */
struct rumor_xdp_origin {
	__u64 used;		/* jiffies of its last new message: LRU order */
	struct rumor_window window;
};

/* A sender's last duplicate notice on one CPU. */
struct rumor_xdp_notice {
	__u64 sender;		/* node id; another sender's takes the slot over */
	__u64 notice_at;	/* jiffies before which no duplicate is a notice */
	__u64 noticed_ns;	/* when the last notice passed */
};

struct rumor_xdp_origin_set {
	__u64 claim;		/* 1 while a CPU hands a way to a new origin */
	__u64 id[RUMOR_XDP_ORIGIN_WAYS];
	__u8 gen[RUMOR_XDP_ORIGIN_WAYS];
	__u8 reserved[8 - RUMOR_XDP_ORIGIN_WAYS];
	struct rumor_xdp_origin way[RUMOR_XDP_ORIGIN_WAYS];
};

/*
 * The set of an origin: hash & (origin_sets - 1). Origin ids are random,
 * but ids from the wire are not to be trusted.
 */
static inline __u32 rumor_xdp_origin_hash(__u64 id)
{
	return (__u32)((id * 0x9e3779b97f4a7c15ULL) >> 32);
}

/* IHAVE counters of one peer (by sender node id), per CPU. */
struct rumor_xdp_peer {
	__u64 ihave_messages;	/* well-formed IHAVEs from this peer */
	__u64 ihave_ids;	/* ids they announced */
	__u64 ihave_redundant;	/* IHAVEs of ids all seen already: dropped */
	__u64 ihave_sampled;	/* ... of which passed as samples */
	__u64 sampled_ns;	/* when this CPU last passed a sample */
};

/*
 * Counters, one per-CPU copy, summed by the reader. Every rumor datagram
 * (UDP to the configured port and one of the node's addresses; other
 * destinations count in transit_passed) counts once in rumor_packets and then in
 * exactly one verdict: gossip_*, ihave_redundant, ihave_sampled,
 * ihave_passed, other_passed or malformed_*; those add up to
 * rumor_packets. ihave_messages and ihave_ids count every well-formed
 * IHAVE and the ids in it; origins_* and peers_inserted count what
 * happened to the tables on the way.
 */
struct rumor_xdp_stats {
	__u64 transit_passed;		/* to the rumor port of another host: passed */
	__u64 rumor_packets;		/* UDP datagrams to the rumor port, for us */
	__u64 gossip_passed;		/* GOSSIP seen for the first time: passed */
	__u64 gossip_duplicate;		/* GOSSIP seen before: dropped */
	__u64 gossip_dup_notice;	/* seen before, passed so Plumtree prunes its sender */
	__u64 gossip_grafted;		/* the answer to a GRAFT: always passed */
	__u64 gossip_too_old;		/* GOSSIP below its origin's window: dropped */
	__u64 gossip_busy;		/* window contended on every try: passed */
	__u64 gossip_no_window;		/* origin's set full of active origins: passed */
	__u64 ihave_messages;		/* well-formed IHAVEs */
	__u64 ihave_ids;		/* ids announced in them */
	__u64 ihave_redundant;		/* every id seen already: dropped */
	__u64 ihave_sampled;		/* every id seen, passed for tree optimisation */
	__u64 ihave_passed;		/* an id not seen here: passed */
	__u64 other_passed;		/* well-formed, a type XDP does not judge: passed */
	/* Malformed, dropped; one per enum rumor_wire_err reason, in its order. */
	__u64 malformed_truncated;	/* header or body beyond the packet, UDP length short */
	__u64 malformed_bad_magic;
	__u64 malformed_bad_version;
	__u64 malformed_bad_flags;
	__u64 malformed_bad_type;
	__u64 malformed_bad_length;	/* length field != UDP length - 8 */
	__u64 malformed_bad_body;	/* body invalid: origin or seq 0, IHAVE count */
	__u64 origins_inserted;		/* a free way given to a new origin */
	__u64 origins_evicted;		/* an idle origin's way given to a new one */
	__u64 peers_inserted;		/* peers counted apart; the LRU evicts silently */
};

/*
 * The counter names for loaders that print or compare them, in the order
 * of the struct: X(field) for every field. Userspace checks that the list
 * covers the struct (sizeof == 8 * entries).
 */
#define RUMOR_XDP_STATS_FIELDS(X)					\
	X(transit_passed)						\
	X(rumor_packets) X(gossip_passed) X(gossip_duplicate)		\
	X(gossip_dup_notice) X(gossip_grafted)				\
	X(gossip_too_old) X(gossip_busy) X(gossip_no_window)		\
	X(ihave_messages) X(ihave_ids) X(ihave_redundant)		\
	X(ihave_sampled) X(ihave_passed)				\
	X(other_passed) X(malformed_truncated) X(malformed_bad_magic)	\
	X(malformed_bad_version) X(malformed_bad_flags)			\
	X(malformed_bad_type) X(malformed_bad_length)			\
	X(malformed_bad_body) X(origins_inserted) X(origins_evicted)	\
	X(peers_inserted)

/* The per-peer counters, as above; sampled_ns is state, not a counter. */
#define RUMOR_XDP_PEER_FIELDS(X)					\
	X(ihave_messages) X(ihave_ids) X(ihave_redundant) X(ihave_sampled)

#endif /* _RUMOR_BPF_RUMOR_XDP_H */
