/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * rumor: gossip dissemination for Linux clusters.
 *
 * Generic netlink family "rumor", version 1. Each network namespace has its
 * own instance. Every command needs CAP_NET_ADMIN in the user namespace that
 * owns the network namespace; so does joining a multicast group. Errors carry
 * an extended ack message naming the attribute at fault.
 *
 * RUMOR_CMD_UP: start this namespace's instance.
 *    RUMOR_A_PORT: NLA_U16, UDP port, default RUMOR_DEFAULT_PORT
 *    RUMOR_A_BIND_ADDR: binary, 4 (IPv4) or 16 (IPv6) bytes; default: the
 *                       IPv6 wildcard, which also receives IPv4
 *    RUMOR_A_MAX_PAYLOAD: NLA_U32, largest payload broadcast accepts,
 *                         default RUMOR_DEFAULT_MAX_PAYLOAD
 *    RUMOR_A_MAX_ORIGINS: NLA_U32, bound of the dedup table (one window per
 *                         origin), default RUMOR_DEFAULT_MAX_ORIGINS
 *
 * RUMOR_CMD_DOWN: stop the instance; peers and dedup state are dropped.
 *
 * RUMOR_CMD_PEER_ADD, RUMOR_CMD_PEER_DEL: a static peer.
 *    RUMOR_A_PEER: NLA_NESTED
 *       RUMOR_PEER_A_ADDR: binary, 4 or 16 bytes
 *       RUMOR_PEER_A_PORT: NLA_U16, default RUMOR_DEFAULT_PORT
 *
 * RUMOR_CMD_BROADCAST: send a message to every node.
 *    RUMOR_A_PAYLOAD: binary, at most RUMOR_A_MAX_PAYLOAD bytes
 *  reply (RUMOR_CMD_BROADCAST): the id given to the message
 *    RUMOR_A_ORIGIN: NLA_U64
 *    RUMOR_A_SEQ: NLA_U64
 *
 * RUMOR_CMD_GET (do): the instance. Its reply has RUMOR_A_STATE and, when
 * up, RUMOR_A_NODE_ID, RUMOR_A_PORT, RUMOR_A_BIND_ADDR (when bound to one
 * address), RUMOR_A_MAX_PAYLOAD, RUMOR_A_MAX_ORIGINS, RUMOR_A_MAX_PEERS,
 * RUMOR_A_NUM_PEERS, RUMOR_A_NUM_ORIGINS and
 *    RUMOR_A_STATS: NLA_NESTED, one NLA_U64 per RUMOR_STATS_A_* counter
 *
 * RUMOR_CMD_PEER_GET (dump): one message per peer, each with
 *    RUMOR_A_PEER: NLA_NESTED
 *       RUMOR_PEER_A_ADDR, RUMOR_PEER_A_PORT
 *       RUMOR_PEER_A_STATS: NLA_NESTED, one NLA_U64 per RUMOR_PEER_STATS_A_*
 *  The dump is consistent: NLM_F_DUMP_INTR is set if the peers changed
 *  while it ran.
 *
 * RUMOR_CMD_DELIVER: sent to multicast group RUMOR_MCGRP_DELIVER for every
 * message received for the first time.
 *    RUMOR_A_ORIGIN: NLA_U64
 *    RUMOR_A_SEQ: NLA_U64
 *    RUMOR_A_HOPS: NLA_U8, hops travelled
 *    RUMOR_A_PEER: NLA_NESTED, the peer it came from (ADDR, PORT)
 *    RUMOR_A_PAYLOAD: binary
 */
#ifndef _UAPI_LINUX_RUMOR_H
#define _UAPI_LINUX_RUMOR_H

#define RUMOR_GENL_NAME		"rumor"
#define RUMOR_GENL_VERSION	1

#define RUMOR_MCGRP_DELIVER	"deliver"

#define RUMOR_DEFAULT_PORT		7866	/* R-U-M-O on a phone keypad */
#define RUMOR_DEFAULT_MAX_PAYLOAD	1200
#define RUMOR_DEFAULT_MAX_ORIGINS	4096
#define RUMOR_MAX_ORIGINS_LIMIT		1048576
#define RUMOR_MAX_PEERS			256

enum rumor_cmd {
	RUMOR_CMD_UNSPEC,
	RUMOR_CMD_UP,
	RUMOR_CMD_DOWN,
	RUMOR_CMD_PEER_ADD,
	RUMOR_CMD_PEER_DEL,
	RUMOR_CMD_BROADCAST,
	RUMOR_CMD_GET,
	RUMOR_CMD_PEER_GET,
	RUMOR_CMD_DELIVER,
	__RUMOR_CMD_MAX
};
#define RUMOR_CMD_MAX (__RUMOR_CMD_MAX - 1)

enum rumor_state {
	RUMOR_STATE_DOWN,
	RUMOR_STATE_UP,
};

enum rumor_attr {
	RUMOR_A_UNSPEC,
	RUMOR_A_PAD,
	RUMOR_A_STATE,		/* u8, enum rumor_state */
	RUMOR_A_NODE_ID,	/* u64 */
	RUMOR_A_PORT,		/* u16 */
	RUMOR_A_BIND_ADDR,	/* binary, 4 or 16 bytes */
	RUMOR_A_MAX_PAYLOAD,	/* u32 */
	RUMOR_A_MAX_ORIGINS,	/* u32 */
	RUMOR_A_MAX_PEERS,	/* u32 */
	RUMOR_A_NUM_PEERS,	/* u32 */
	RUMOR_A_NUM_ORIGINS,	/* u32 */
	RUMOR_A_PEER,		/* nest, enum rumor_peer_attr */
	RUMOR_A_PAYLOAD,	/* binary */
	RUMOR_A_ORIGIN,		/* u64 */
	RUMOR_A_SEQ,		/* u64 */
	RUMOR_A_HOPS,		/* u8 */
	RUMOR_A_STATS,		/* nest, enum rumor_stats_attr */
	__RUMOR_A_MAX
};
#define RUMOR_A_MAX (__RUMOR_A_MAX - 1)

enum rumor_peer_attr {
	RUMOR_PEER_A_UNSPEC,
	RUMOR_PEER_A_ADDR,	/* binary, 4 or 16 bytes */
	RUMOR_PEER_A_PORT,	/* u16 */
	RUMOR_PEER_A_STATS,	/* nest, enum rumor_peer_stats_attr */
	__RUMOR_PEER_A_MAX
};
#define RUMOR_PEER_A_MAX (__RUMOR_PEER_A_MAX - 1)

/* Instance counters, all u64 and monotonic while the instance is up. */
enum rumor_stats_attr {
	RUMOR_STATS_A_UNSPEC,
	RUMOR_STATS_A_PAD,
	RUMOR_STATS_A_RX_PACKETS,	/* datagrams the socket received */
	RUMOR_STATS_A_RX_BYTES,
	RUMOR_STATS_A_RX_QUEUE_FULL,	/* dropped: receive queue at its bound */
	RUMOR_STATS_A_RX_UNKNOWN_PEER,	/* dropped: sender is not a peer */
	RUMOR_STATS_A_RX_NOMEM,		/* dropped: no memory to process it */
	RUMOR_STATS_A_RX_TRUNCATED,	/* malformed, by reason: */
	RUMOR_STATS_A_RX_BAD_MAGIC,
	RUMOR_STATS_A_RX_BAD_VERSION,
	RUMOR_STATS_A_RX_BAD_FLAGS,
	RUMOR_STATS_A_RX_BAD_TYPE,
	RUMOR_STATS_A_RX_BAD_LENGTH,
	RUMOR_STATS_A_RX_BAD_BODY,
	RUMOR_STATS_A_DELIVERED,	/* first copies handed to listeners */
	RUMOR_STATS_A_DUPLICATES,	/* copies already seen, own ones too */
	RUMOR_STATS_A_TOO_OLD,		/* below the origin's window */
	RUMOR_STATS_A_ORIGINS_EVICTED,	/* dedup table at its bound */
	RUMOR_STATS_A_HOPS_EXCEEDED,	/* delivered but not forwarded */
	RUMOR_STATS_A_DELIVER_FAILED,	/* no memory for a notification */
	RUMOR_STATS_A_BROADCASTS,	/* messages this node originated */
	RUMOR_STATS_A_FORWARDED,	/* first copies passed on */
	RUMOR_STATS_A_TX_PACKETS,
	RUMOR_STATS_A_TX_BYTES,
	RUMOR_STATS_A_TX_ERRORS,
	RUMOR_STATS_A_PEERS_FULL,	/* peer add refused: table at its bound */
	__RUMOR_STATS_A_MAX
};
#define RUMOR_STATS_A_MAX (__RUMOR_STATS_A_MAX - 1)

/* Per-peer counters, u64. */
enum rumor_peer_stats_attr {
	RUMOR_PEER_STATS_A_UNSPEC,
	RUMOR_PEER_STATS_A_PAD,
	RUMOR_PEER_STATS_A_RX_MESSAGES,	/* well-formed messages received */
	RUMOR_PEER_STATS_A_RX_DUPLICATES,
	RUMOR_PEER_STATS_A_TX_MESSAGES,
	RUMOR_PEER_STATS_A_TX_ERRORS,
	__RUMOR_PEER_STATS_A_MAX
};
#define RUMOR_PEER_STATS_A_MAX (__RUMOR_PEER_STATS_A_MAX - 1)

#endif /* _UAPI_LINUX_RUMOR_H */
