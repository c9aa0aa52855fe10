/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * rumor: gossip dissemination for Linux clusters.
 *
 * Generic netlink family "rumor", version 1. Each network namespace has its
 * own instance: a node of a HyParView overlay that broadcasts with Plumtree.
 * Every command needs CAP_NET_ADMIN in the user namespace that owns the
 * network namespace; so does joining a multicast group. Errors carry an
 * extended ack message naming the attribute at fault.
 * docs/netlink/rumor.yaml specifies the same family.
 *
 * RUMOR_CMD_UP: start this namespace's instance.
 *    RUMOR_A_PORT: NLA_U16, UDP port, default RUMOR_DEFAULT_PORT
 *    RUMOR_A_BIND_ADDR: binary, 4 (IPv4) or 16 (IPv6) bytes; default: the
 *                       IPv6 wildcard, which also receives IPv4
 *    RUMOR_A_CONFIG: NLA_NESTED, any of RUMOR_CONFIG_A_*; each one left
 *                    out takes its default (the HyParView and Plumtree
 *                    papers' values where they give one)
 *
 * RUMOR_CMD_DOWN: stop the instance; views, windows and cache are dropped.
 *
 * RUMOR_CMD_JOIN: remember a contact node and send it a JOIN now. While the
 * active view is empty, the instance JOINs through its contacts again.
 *    RUMOR_A_PEER: NLA_NESTED
 *       RUMOR_PEER_A_ADDR: binary, 4 or 16 bytes
 *       RUMOR_PEER_A_PORT: NLA_U16, default RUMOR_DEFAULT_PORT
 * RUMOR_CMD_FORGET: forget a contact (RUMOR_A_PEER as for JOIN).
 *
 * RUMOR_CMD_BROADCAST: send a message to every node.
 *    RUMOR_A_PAYLOAD: binary, at most max_payload bytes
 *  reply (RUMOR_CMD_BROADCAST): the id given to the message
 *    RUMOR_A_ORIGIN: NLA_U64
 *    RUMOR_A_SEQ: NLA_U64
 *
 * RUMOR_CMD_GET (do): the instance. Its reply has RUMOR_A_STATE and, when
 * up, RUMOR_A_NODE_ID, RUMOR_A_PORT, RUMOR_A_BIND_ADDR (when bound to one
 * address), RUMOR_A_CONFIG (every RUMOR_CONFIG_A_*), RUMOR_A_NUM_ACTIVE,
 * RUMOR_A_NUM_PASSIVE, RUMOR_A_NUM_ORIGINS, RUMOR_A_CACHE_BYTES,
 * RUMOR_A_MEM_BYTES and
 *    RUMOR_A_STATS: NLA_NESTED, one NLA_U64 per RUMOR_STATS_A_* counter
 *
 * RUMOR_CMD_PEER_GET (dump): one message per member this node knows, each
 *    RUMOR_A_PEER: NLA_NESTED
 *       RUMOR_PEER_A_ADDR, RUMOR_PEER_A_PORT
 *       RUMOR_PEER_A_STATE: NLA_U8, enum rumor_peer_state
 *       RUMOR_PEER_A_NODE_ID: NLA_U64 (not for contacts)
 *       active members only:
 *       RUMOR_PEER_A_AGE_MS: NLA_U64, time in the active view
 *       RUMOR_PEER_A_IDLE_MS: NLA_U64, time since it was last heard
 *       RUMOR_PEER_A_STATS: NLA_NESTED, one NLA_U64 per RUMOR_PEER_STATS_A_*
 *  The dump is consistent: NLM_F_DUMP_INTR is set if the views changed
 *  while it ran.
 *
 * RUMOR_CMD_DELIVER: sent to multicast group RUMOR_MCGRP_DELIVER for every
 * message received for the first time.
 *    RUMOR_A_ORIGIN: NLA_U64
 *    RUMOR_A_SEQ: NLA_U64
 *    RUMOR_A_HOPS: NLA_U8, hops travelled
 *    RUMOR_A_PEER: NLA_NESTED, the node it came from (ADDR, PORT)
 *    RUMOR_A_PAYLOAD: binary
 *
 * RUMOR_CMD_NEIGHBOR_UP, RUMOR_CMD_NEIGHBOR_DOWN: sent to multicast group
 * RUMOR_MCGRP_EVENTS when a member enters or leaves the active view.
 *    RUMOR_A_PEER: NLA_NESTED (ADDR, PORT, NODE_ID)
 *
 * RUMOR_CMD_INSTANCE_UP, RUMOR_CMD_INSTANCE_DOWN: sent to multicast group
 * RUMOR_MCGRP_EVENTS when RUMOR_CMD_UP brings this namespace's instance up
 * or RUMOR_CMD_DOWN takes it down; the active view goes with it, without
 * a NEIGHBOR_DOWN per member. None is sent when the namespace or the
 * module goes away (the listeners or the family go with them).
 *    RUMOR_A_NODE_ID: NLA_U64, the instance's node id
 *    RUMOR_A_PORT: NLA_U16
 */
#ifndef _UAPI_LINUX_RUMOR_H
#define _UAPI_LINUX_RUMOR_H

#define RUMOR_GENL_NAME		"rumor"
#define RUMOR_GENL_VERSION	1

#define RUMOR_MCGRP_DELIVER	"deliver"
#define RUMOR_MCGRP_EVENTS	"events"

#define RUMOR_DEFAULT_PORT		7866	/* R-U-M-O on a phone keypad */
#define RUMOR_DEFAULT_MAX_PAYLOAD	1200
#define RUMOR_DEFAULT_MAX_ORIGINS	4096
#define RUMOR_MAX_ORIGINS_LIMIT		1048576

enum rumor_cmd {
	RUMOR_CMD_UNSPEC,
	RUMOR_CMD_UP,
	RUMOR_CMD_DOWN,
	RUMOR_CMD_JOIN,
	RUMOR_CMD_FORGET,
	RUMOR_CMD_BROADCAST,
	RUMOR_CMD_GET,
	RUMOR_CMD_PEER_GET,
	RUMOR_CMD_DELIVER,
	RUMOR_CMD_NEIGHBOR_UP,
	RUMOR_CMD_NEIGHBOR_DOWN,
	RUMOR_CMD_INSTANCE_UP,
	RUMOR_CMD_INSTANCE_DOWN,
	__RUMOR_CMD_MAX
};
#define RUMOR_CMD_MAX (__RUMOR_CMD_MAX - 1)

enum rumor_state {
	RUMOR_STATE_DOWN,
	RUMOR_STATE_UP,
};

enum rumor_peer_state {
	RUMOR_PEER_ACTIVE_EAGER,	/* active view, Plumtree eager push */
	RUMOR_PEER_ACTIVE_LAZY,		/* active view, Plumtree lazy push */
	RUMOR_PEER_PASSIVE,		/* passive view */
	RUMOR_PEER_CONTACT,		/* a contact node for joining */
};

enum rumor_attr {
	RUMOR_A_UNSPEC,
	RUMOR_A_PAD,
	RUMOR_A_STATE,		/* u8, enum rumor_state */
	RUMOR_A_NODE_ID,	/* u64 */
	RUMOR_A_PORT,		/* u16 */
	RUMOR_A_BIND_ADDR,	/* binary, 4 or 16 bytes */
	RUMOR_A_CONFIG,		/* nest, enum rumor_config_attr */
	RUMOR_A_NUM_ACTIVE,	/* u32 */
	RUMOR_A_NUM_PASSIVE,	/* u32 */
	RUMOR_A_NUM_ORIGINS,	/* u32 */
	RUMOR_A_CACHE_BYTES,	/* u32 */
	RUMOR_A_MEM_BYTES,	/* u64, all memory the protocol holds */
	RUMOR_A_PEER,		/* nest, enum rumor_peer_attr */
	RUMOR_A_PAYLOAD,	/* binary */
	RUMOR_A_ORIGIN,		/* u64 */
	RUMOR_A_SEQ,		/* u64 */
	RUMOR_A_HOPS,		/* u8 */
	RUMOR_A_STATS,		/* nest, enum rumor_stats_attr */
	__RUMOR_A_MAX
};
#define RUMOR_A_MAX (__RUMOR_A_MAX - 1)

/* Protocol parameters; all u32. Times are in milliseconds. */
enum rumor_config_attr {
	RUMOR_CONFIG_A_UNSPEC,
	RUMOR_CONFIG_A_ACTIVE_SIZE,	/* HyParView active view, 5 */
	RUMOR_CONFIG_A_PASSIVE_SIZE,	/* passive view, 30 */
	RUMOR_CONFIG_A_ARWL,		/* active random walk length, 6 */
	RUMOR_CONFIG_A_PRWL,		/* passive random walk length, 3 */
	RUMOR_CONFIG_A_SHUFFLE_ACTIVE,	/* active members per shuffle, 3 */
	RUMOR_CONFIG_A_SHUFFLE_PASSIVE,	/* passive members per shuffle, 4 */
	RUMOR_CONFIG_A_SHUFFLE_TTL,	/* random walk of a shuffle, 6 */
	RUMOR_CONFIG_A_SHUFFLE_INTERVAL,
	RUMOR_CONFIG_A_JOIN_INTERVAL,	/* JOIN again while alone */
	RUMOR_CONFIG_A_NEIGHBOR_TIMEOUT,
	RUMOR_CONFIG_A_PING_INTERVAL,	/* a quiet active link is pinged */
	RUMOR_CONFIG_A_FAIL_TIMEOUT,	/* a silent active link is dead */
	RUMOR_CONFIG_A_IHAVE_INTERVAL,	/* lazy push batching */
	RUMOR_CONFIG_A_GRAFT_TIMEOUT,	/* first GRAFT after an IHAVE */
	RUMOR_CONFIG_A_GRAFT_RETRY,	/* later GRAFTs */
	RUMOR_CONFIG_A_OPTIMIZE_HOPS,	/* tree optimisation threshold; 0: off */
	RUMOR_CONFIG_A_MAX_MISSING,	/* announced ids awaiting their message */
	RUMOR_CONFIG_A_LAZY_QUEUE,	/* ids queued per lazy peer */
	RUMOR_CONFIG_A_CACHE_BYTES,	/* payloads kept to answer GRAFTs */
	RUMOR_CONFIG_A_CACHE_AGE,
	RUMOR_CONFIG_A_MAX_ORIGINS,	/* dedup table: one window per origin */
	RUMOR_CONFIG_A_MAX_PAYLOAD,	/* largest payload broadcast accepts */
	__RUMOR_CONFIG_A_MAX
};
#define RUMOR_CONFIG_A_MAX (__RUMOR_CONFIG_A_MAX - 1)

enum rumor_peer_attr {
	RUMOR_PEER_A_UNSPEC,
	RUMOR_PEER_A_PAD,
	RUMOR_PEER_A_ADDR,	/* binary, 4 or 16 bytes */
	RUMOR_PEER_A_PORT,	/* u16 */
	RUMOR_PEER_A_STATE,	/* u8, enum rumor_peer_state */
	RUMOR_PEER_A_NODE_ID,	/* u64 */
	RUMOR_PEER_A_AGE_MS,	/* u64 */
	RUMOR_PEER_A_IDLE_MS,	/* u64 */
	RUMOR_PEER_A_STATS,	/* nest, enum rumor_peer_stats_attr */
	__RUMOR_PEER_A_MAX
};
#define RUMOR_PEER_A_MAX (__RUMOR_PEER_A_MAX - 1)

/* Instance counters, all u64 and monotonic while the instance is up. */
enum rumor_stats_attr {
	RUMOR_STATS_A_UNSPEC,
	RUMOR_STATS_A_PAD,
	/* The host: socket and netlink. */
	RUMOR_STATS_A_RX_PACKETS,	/* datagrams the socket received */
	RUMOR_STATS_A_RX_BYTES,
	RUMOR_STATS_A_RX_QUEUE_FULL,	/* dropped: receive queue at its bound */
	RUMOR_STATS_A_TX_PACKETS,
	RUMOR_STATS_A_TX_BYTES,
	RUMOR_STATS_A_TX_ERRORS,
	RUMOR_STATS_A_DELIVER_FAILED,	/* no memory for a notification */
	/* Malformed, by reason (dropped). */
	RUMOR_STATS_A_RX_TRUNCATED,
	RUMOR_STATS_A_RX_BAD_MAGIC,
	RUMOR_STATS_A_RX_BAD_VERSION,
	RUMOR_STATS_A_RX_BAD_FLAGS,
	RUMOR_STATS_A_RX_BAD_TYPE,
	RUMOR_STATS_A_RX_BAD_LENGTH,
	RUMOR_STATS_A_RX_BAD_BODY,
	/* Messages by kind. */
	RUMOR_STATS_A_RX_GOSSIP,
	RUMOR_STATS_A_RX_IHAVE,
	RUMOR_STATS_A_RX_IHAVE_IDS,
	RUMOR_STATS_A_RX_GRAFT,
	RUMOR_STATS_A_RX_PRUNE,
	RUMOR_STATS_A_RX_CONTROL,	/* HyParView, PING, PONG */
	RUMOR_STATS_A_RX_STRANGER,	/* ignored: from a non-neighbour */
	RUMOR_STATS_A_TX_GOSSIP,
	RUMOR_STATS_A_TX_IHAVE,
	RUMOR_STATS_A_TX_IHAVE_IDS,
	RUMOR_STATS_A_TX_GRAFT,
	RUMOR_STATS_A_TX_PRUNE,
	RUMOR_STATS_A_TX_CONTROL,
	/* Dissemination. */
	RUMOR_STATS_A_DELIVERED,	/* first copies handed to listeners */
	RUMOR_STATS_A_DUPLICATES,	/* copies already seen, own ones too */
	RUMOR_STATS_A_TOO_OLD,		/* below the origin's window */
	RUMOR_STATS_A_HOPS_EXCEEDED,	/* delivered but not forwarded */
	RUMOR_STATS_A_BROADCASTS,	/* messages this node originated */
	RUMOR_STATS_A_TREE_OPTIMIZED,
	RUMOR_STATS_A_GRAFT_UNKNOWN,	/* GRAFT for an id not in the cache */
	RUMOR_STATS_A_GRAFT_GAVE_UP,	/* announced, never received */
	/* Bounds hit. */
	RUMOR_STATS_A_NOMEM,
	RUMOR_STATS_A_ORIGINS_EVICTED,	/* max_origins */
	RUMOR_STATS_A_MISSING_FULL,	/* max_missing */
	RUMOR_STATS_A_LAZY_DROPPED,	/* lazy_queue */
	RUMOR_STATS_A_CACHE_EVICTED,	/* cache_bytes */
	RUMOR_STATS_A_CACHE_EXPIRED,	/* cache_age */
	/* Membership. */
	RUMOR_STATS_A_NEIGHBOR_UP,
	RUMOR_STATS_A_NEIGHBOR_DOWN,
	RUMOR_STATS_A_PEER_FAILED,	/* fail_timeout without a word */
	RUMOR_STATS_A_SHUFFLES,
	__RUMOR_STATS_A_MAX
};
#define RUMOR_STATS_A_MAX (__RUMOR_STATS_A_MAX - 1)

/* Per-peer counters, u64, for members of the active view. */
enum rumor_peer_stats_attr {
	RUMOR_PEER_STATS_A_UNSPEC,
	RUMOR_PEER_STATS_A_PAD,
	RUMOR_PEER_STATS_A_RX_GOSSIP,
	RUMOR_PEER_STATS_A_RX_DUPLICATES,
	RUMOR_PEER_STATS_A_RX_IHAVE_IDS,
	RUMOR_PEER_STATS_A_TX_GOSSIP,
	RUMOR_PEER_STATS_A_TX_IHAVE_IDS,
	RUMOR_PEER_STATS_A_GRAFTS_SENT,
	RUMOR_PEER_STATS_A_GRAFTS_RECEIVED,
	RUMOR_PEER_STATS_A_PRUNES_SENT,
	RUMOR_PEER_STATS_A_PRUNES_RECEIVED,
	RUMOR_PEER_STATS_A_LAZY_DROPPED,
	__RUMOR_PEER_STATS_A_MAX
};
#define RUMOR_PEER_STATS_A_MAX (__RUMOR_PEER_STATS_A_MAX - 1)

#endif /* _UAPI_LINUX_RUMOR_H */
