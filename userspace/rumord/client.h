/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The protocol between rumord and its local clients (rumorctl kv), over a
 * UNIX stream socket. Shared by both sides: client_proto.c is compiled
 * into rumord and into rumorctl.
 *
 * Every message is a frame: a 16-byte header, then @len bytes of body.
 * All numbers little endian.
 *
 *   0  u32 len        body bytes, at most RUMORD_CLIENT_MAX_BODY
 *   4  u16 magic      RUMORD_CLIENT_MAGIC
 *   6  u8  version    RUMORD_CLIENT_VERSION
 *   7  u8  op         enum rumord_client_op
 *   8  s32 status     DONE: 0 or -errno; 0 in every other frame
 *  12  u32 flags      requests: RUMORD_CF_*; 0 in replies
 *
 * Bodies (k: key bytes, v: value bytes, p: prefix bytes):
 *
 *   PUT     u16 key_len, u16 level, u32 value_len, k, v
 *   GET     u16 key_len, u16 level, k
 *   DEL     u16 key_len, u16 level, k
 *   LIST    u16 prefix_len, u16 0, u32 limit (0: no limit), p
 *   RECORD  u64 hlc, u64 node, u64 counter, u32 rflags, u16 key_len,
 *           u16 0, u32 value_len, u32 0, k, v
 *   DONE    empty, or after PUT and DEL the version written:
 *           u64 hlc, u64 node, u64 counter, u32 rflags, u32 0
 *   REPAIR_STATUS  empty
 *   REPAIR_NOW     u8[16] address (IPv6, or IPv4-mapped), u16 port (0: the
 *                  daemon's --peer-port), u16 0
 *   REPAIR_INFO    RUMORD_CLIENT_REPAIR_ALL, u64 each, in that order
 *   PEER    u8[16] address, u16 port (0: sessions the peer opened, from
 *           any port), u8 pflags, u8 method, s32 result (0 or -errno),
 *           u16 error_len, u16 0, RUMORD_CLIENT_PEER_FIELDS (u64 each),
 *           error (error_len bytes, no NUL, at most RUMORD_CLIENT_ERR_MAX)
 *   QUORUM  RUMORD_CLIENT_QUORUM_FIELDS (u64 each), then a text (the rest
 *           of the body, at most RUMORD_CLIENT_ERR_MAX, no NUL; may be
 *           empty): why the request failed
 *   HINTS, NODES   empty
 *   WHERE   u16 key_len, u16 n (0: the daemon's --replicas), k
 *   HINT_TARGET    u8[16] address, u16 port, u16 0, u32 0,
 *                  RUMORD_CLIENT_HINT_FIELDS (u64 each)
 *   HINTS_INFO     RUMORD_CLIENT_HINTS_INFO_FIELDS (u64 each)
 *   NODE    u8[16] address, u16 port, u8 state (RUMORD_NS_*), u8 nflags
 *           (RUMORD_NF_*), u32 0, RUMORD_CLIENT_NODE_FIELDS (u64 each)
 *
 * A client sends one request and reads its reply before the next: zero or
 * more RECORD frames, then one DONE. GET answers with the record and DONE
 * 0, or DONE -ENOENT (a deleted key too, unless RUMORD_CF_TOMBSTONES);
 * LIST with the matching records in key order. PUT answers after the write
 * is committed to disk. A PUT or DEL that would lose to the key's record,
 * stamped further ahead than the node's clock follows (hlc.h), is not made:
 * DONE -ESTALE with that record's version. A frame that does not parse
 * (bad magic, version, op, flags, lengths) gets DONE -EPROTO and the
 * connection is closed.
 *
 * Anti-entropy (docs/rumord.md): REPAIR_STATUS answers with REPAIR_INFO
 * (the scheduler's settings and counters), a PEER per peer known or heard
 * from, and DONE 0. REPAIR_NOW runs a session with the given peer at once
 * and answers when it is over, with the PEER figures of that session and
 * DONE 0, or DONE -errno (with a PEER frame first if the session began);
 * a client that closes or shuts down its side meanwhile gives up.
 *
 * Consistency levels (docs/rumord.md): PUT, DEL and GET with a non-zero
 * level (at most RUMORD_CLIENT_MAX_LEVEL) are coordinated over the key's
 * replicas: PUT and DEL answer once @level replicas acknowledged the write
 * durably (W), GET reads @level replicas (R: one full value, digests from
 * the others) and repairs those that are stale before it answers. Such a
 * request gets a QUORUM frame before its DONE, with what happened and, on
 * failure, why (DONE -EHOSTDOWN: fewer live replicas than asked; with
 * RUMORD_CF_STRICT a preferred replica is down; -ETIMEDOUT: too few
 * acknowledged in time). Level 0 is this node alone, as before.
 *
 * HINTS answers with a HINT_TARGET per node that hints are kept for, a
 * HINTS_INFO, and DONE 0. NODES answers with a NODE per cluster member
 * (this node first, RUMORD_NF_SELF) and DONE 0; WHERE with a NODE per
 * replica of the key, in preference order (the home replicas, and a
 * stand-in after each home that is down), and DONE 0.
 */
#ifndef _RUMORD_CLIENT_H
#define _RUMORD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "version.h"

#define RUMORD_CLIENT_MAGIC	0x6472	/* "rd" little endian */
#define RUMORD_CLIENT_VERSION	1
#define RUMORD_CLIENT_HLEN	16
#define RUMORD_CLIENT_REC_HLEN	40	/* a RECORD body before the key */
#define RUMORD_CLIENT_MAX_BODY	(RUMORD_CLIENT_REC_HLEN + RUMORD_MAX_KEY + \
				 RUMORD_MAX_VALUE)

/* Where rumord listens unless told otherwise: a socket per namespace. */
#define RUMORD_RUN_DIR		"/run/rumord"
#define RUMORD_STATE_DIR	"/var/lib/rumord"
#define RUMORD_DEFAULT_PORT	7867	/* TCP, anti-entropy sessions */

enum rumord_client_op {
	RUMORD_OP_PUT = 1,
	RUMORD_OP_GET = 2,
	RUMORD_OP_DEL = 3,
	RUMORD_OP_LIST = 4,
	RUMORD_OP_REPAIR_STATUS = 5,
	RUMORD_OP_REPAIR_NOW = 6,
	RUMORD_OP_HINTS = 7,
	RUMORD_OP_NODES = 8,
	RUMORD_OP_WHERE = 9,
	RUMORD_OP_RECORD = 0x81,
	RUMORD_OP_DONE = 0x82,
	RUMORD_OP_PEER = 0x83,
	RUMORD_OP_REPAIR_INFO = 0x84,
	RUMORD_OP_QUORUM = 0x85,
	RUMORD_OP_HINT_TARGET = 0x86,
	RUMORD_OP_HINTS_INFO = 0x87,
	RUMORD_OP_NODE = 0x88,
};

/* The largest consistency level (ring.h's RUMORD_RING_MAX_N). */
#define RUMORD_CLIENT_MAX_LEVEL	16

/* Request flags. */
#define RUMORD_CF_TOMBSTONES	0x1	/* GET, LIST: deleted keys too */
#define RUMORD_CF_STRICT	0x2	/* PUT, DEL with a level: no stand-ins */
#define RUMORD_CF_ALL		(RUMORD_CF_TOMBSTONES | RUMORD_CF_STRICT)

/* Record flags (rflags). */
#define RUMORD_RF_TOMBSTONE	0x1
#define RUMORD_RF_UNCHANGED	0x2	/* DONE of DEL: it was deleted already */

/*
 * What `rumorctl repair status` shows. The names double as the JSON keys
 * of rumorctl -j; times "_ms" are durations, "_at" wall-clock Unix
 * milliseconds (0: never).
 */
#define RUMORD_CLIENT_REPAIR_FIELDS(X)					\
	X(interval_ms)		/* periodic sessions; 0: no automatic ones */ \
	X(timeout_ms)		/* a session silent this long is closed */ \
	X(next_round_ms)	/* until the next periodic session */	\
	X(max_in)		/* sessions peers may open at once */	\
	X(max_out)		/* sessions of ours at once */		\
	X(active_in)							\
	X(active_out)							\
	X(started)		/* sessions we opened */		\
	X(accepted)		/* ... peers opened */			\
	X(ok)								\
	X(failed)		/* timed out included */		\
	X(timed_out)							\
	X(refused)		/* peers turned away: max_in reached */ \
	X(busy)			/* ours not started: max_out reached */ \
	X(repairs_pending)	/* RUMORD_REPAIR_BIT()s not yet served */ \
	X(repairs_taken)	/* times a session was started for them */ \
	X(refs_awaited)		/* values by reference not here yet */	\
	X(refs_fetched)		/* ... that came */			\
	X(refs_abandoned)	/* ... left to periodic sessions */	\
	X(refs_untracked)	/* ... not watched: the table was full */ \
	X(netlink_lost)		/* ENOBUFS: module notifications lost */ \
	X(known_peers)		/* --peer and the module's active view */ \
	X(gc_runs)		/* tombstone collections */		\
	X(gc_collected)		/* tombstones collected */		\
	X(gc_at)							\
	X(merkle_entries)	/* keys in the store, tombstones too */	\
	X(members_up)		/* cluster members heard (quorum.h) */	\
	X(members_down)							\
	X(quorum_writes)	/* writes with a level coordinated here */ \
	X(quorum_writes_failed)						\
	X(quorum_reads)							\
	X(quorum_reads_failed)						\
	X(digest_mismatches)	/* replicas a read found stale */	\
	X(read_repairs)		/* ... written back before answering */	\
	X(stand_ins)		/* writes given to a stand-in */	\
	X(hints_stored)		/* for replicas that missed a write */

/* The store's Merkle root: equal roots, equal stores (merkle.h). */
#define RUMORD_CLIENT_REPAIR_ROOT(X)					\
	X(merkle_root_hi)						\
	X(merkle_root_lo)

#define RUMORD_CLIENT_REPAIR_ALL(X)					\
	RUMORD_CLIENT_REPAIR_FIELDS(X)					\
	RUMORD_CLIENT_REPAIR_ROOT(X)

#define RUMORD_CLIENT_PEER_FIELDS(X)					\
	X(last_at)		/* when the last session ended */	\
	X(duration_ms)		/* the last session: */			\
	X(keys_sent)							\
	X(keys_received)						\
	X(keys_applied)		/* received and won here */		\
	X(bytes_sent)							\
	X(bytes_received)						\
	X(round_trips)							\
	X(sessions)		/* every session with this peer: */	\
	X(failures)							\
	X(total_keys_sent)						\
	X(total_keys_received)						\
	X(total_bytes_sent)						\
	X(total_bytes_received)						\
	X(vector_at)		/* its version vector last learned */

/*
 * What a request with a consistency level did (QUORUM). The names double
 * as JSON keys of rumorctl -j.
 */
#define RUMORD_CLIENT_QUORUM_FIELDS(X)					\
	X(level)		/* W or R asked for */			\
	X(replicas)		/* replicas asked: homes and stand-ins */ \
	X(acked)		/* writes: durable acknowledgements */	\
	X(stand_ins)		/* stand-ins used for homes down or slow */ \
	X(hints)		/* hints stored here for homes that missed it */ \
	X(timeouts)		/* replicas that did not answer in time */ \
	X(digests)		/* reads: digests compared */		\
	X(mismatches)		/* ... that differed from the newest */	\
	X(repaired)		/* stale replicas written back */	\
	X(elapsed_us)		/* from the request to the answer */

/* A node hints are kept for (HINT_TARGET), after its address and port. */
#define RUMORD_CLIENT_HINT_FIELDS(X)					\
	X(node)								\
	X(count)							\
	X(bytes)							\
	X(oldest_at)		/* wall-clock ms of its oldest hint */

/* The hint store's figures (HINTS_INFO), since rumord started. */
#define RUMORD_CLIENT_HINTS_INFO_FIELDS(X)				\
	X(quota)		/* bytes per target */			\
	X(window_ms)		/* hints older than this expire */	\
	X(targets)		/* nodes with hints now */		\
	X(added)		/* hints stored */			\
	X(replaced)		/* ... replacing an older one of the key */ \
	X(superseded)		/* not stored: one as new was there */	\
	X(dropped_quota)	/* not stored: the target's quota was full */ \
	X(dropped_targets)	/* not stored: too many targets */	\
	X(failed)		/* not stored: the store failed */	\
	X(replayed)		/* delivered to their target, deleted */ \
	X(replay_failed)	/* replays that failed (retried later) */ \
	X(expired)		/* older than the window, deleted */	\
	X(forgotten)		/* deleted with a forgotten node */	\
	X(replaying)		/* targets being replayed to now */

/* A cluster member (NODE), after its address, port, state and flags. */
#define RUMORD_CLIENT_NODE_FIELDS(X)					\
	X(node)								\
	X(home)			/* WHERE, a stand-in: the home it stands in for */ \
	X(incarnation)							\
	X(heard_ms)		/* since its last heartbeat; 0 for this node */ \
	X(since_ms)		/* in its state for */			\
	X(heartbeats)							\
	X(downs)		/* times it went DOWN */		\
	X(restarts)

/* NODE states and flags. */
#define RUMORD_NS_UP		0
#define RUMORD_NS_DOWN		1
#define RUMORD_NF_SELF		0x01	/* this rumord */
#define RUMORD_NF_HOME		0x02	/* WHERE: a preferred replica */
#define RUMORD_NF_STAND_IN	0x04	/* WHERE: stands in for @home */
#define RUMORD_NF_ALL		0x07

#define RUMORD_CLIENT_ERR_MAX	120	/* PEER: why the last session failed */
#define RUMORD_CLIENT_PEER_HLEN	28	/* a PEER body before its u64s */
#define RUMORD_CLIENT_NOW_LEN	20	/* a REPAIR_NOW body */

/* PEER flags (pflags). */
#define RUMORD_PF_KNOWN		0x01	/* --peer or in the active view */
#define RUMORD_PF_INCOMING	0x02	/* sessions it opened: port unknown */
#define RUMORD_PF_INITIATOR	0x04	/* we opened the last session */
#define RUMORD_PF_WALKED	0x08	/* ... it walked the Merkle tree */
#define RUMORD_PF_COVERED	0x10	/* ... it ended with the trees equal */
#define RUMORD_PF_RUNNING	0x20	/* a session of ours is in flight */
#define RUMORD_PF_VECTOR	0x40	/* its version vector is known */
#define RUMORD_PF_ALL		0x7f

struct rumord_client_repair {
#define RUMORD_CLIENT_X(f) uint64_t f;
	RUMORD_CLIENT_REPAIR_ALL(RUMORD_CLIENT_X)
#undef RUMORD_CLIENT_X
};

struct rumord_client_peer {
	uint8_t addr[16];	/* IPv6, or IPv4-mapped */
	uint16_t port;
	uint8_t flags;		/* RUMORD_PF_* */
	uint8_t method;		/* enum rumord_sync_method of the last session */
	int32_t result;		/* the last session: 0 or -errno */
#define RUMORD_CLIENT_X(f) uint64_t f;
	RUMORD_CLIENT_PEER_FIELDS(RUMORD_CLIENT_X)
#undef RUMORD_CLIENT_X
	char error[RUMORD_CLIENT_ERR_MAX + 1];	/* NUL-terminated; "" */
};

struct rumord_client_quorum {
#define RUMORD_CLIENT_X(f) uint64_t f;
	RUMORD_CLIENT_QUORUM_FIELDS(RUMORD_CLIENT_X)
#undef RUMORD_CLIENT_X
	char text[RUMORD_CLIENT_ERR_MAX + 1];	/* NUL-terminated; "" */
};

struct rumord_client_hint_target {
	uint8_t addr[16];
	uint16_t port;
#define RUMORD_CLIENT_X(f) uint64_t f;
	RUMORD_CLIENT_HINT_FIELDS(RUMORD_CLIENT_X)
#undef RUMORD_CLIENT_X
};

struct rumord_client_hints_info {
#define RUMORD_CLIENT_X(f) uint64_t f;
	RUMORD_CLIENT_HINTS_INFO_FIELDS(RUMORD_CLIENT_X)
#undef RUMORD_CLIENT_X
};

struct rumord_client_node {
	uint8_t addr[16];
	uint16_t port;
	uint8_t state;		/* RUMORD_NS_* */
	uint8_t flags;		/* RUMORD_NF_* */
#define RUMORD_CLIENT_X(f) uint64_t f;
	RUMORD_CLIENT_NODE_FIELDS(RUMORD_CLIENT_X)
#undef RUMORD_CLIENT_X
};

struct rumord_client_hdr {
	uint32_t len;
	uint8_t op;
	int32_t status;
	uint32_t flags;
};

/* A decoded message; key and value point into the frame's body. */
struct rumord_client_msg {
	uint8_t op;
	int32_t status;
	uint32_t flags;
	const void *key;		/* PUT, GET, DEL, RECORD, WHERE; LIST: prefix */
	size_t key_len;
	const void *value;		/* PUT, RECORD */
	size_t value_len;
	uint32_t limit;			/* LIST */
	uint16_t level;			/* PUT, DEL: W; GET: R; WHERE: n */
	bool has_version;		/* RECORD; DONE of PUT and DEL */
	struct rumord_version version;
	bool unchanged;			/* DONE of DEL */
	struct rumord_client_peer peer;	/* PEER; REPAIR_NOW: addr, port */
	struct rumord_client_repair repair;	/* REPAIR_INFO */
	struct rumord_client_quorum quorum;	/* QUORUM */
	struct rumord_client_hint_target hint;	/* HINT_TARGET */
	struct rumord_client_hints_info hints;	/* HINTS_INFO */
	struct rumord_client_node node;		/* NODE */
};

/* The whole frame's length for @m. */
size_t rumord_client_frame_size(const struct rumord_client_msg *m);

/* Encode @m as a frame into @buf: its length, or -EMSGSIZE, -EINVAL. */
long rumord_client_encode(const struct rumord_client_msg *m, void *buf,
			  size_t size);

/* Parse a header: 0, or -EPROTO (magic, version, op, length). */
int rumord_client_parse_hdr(const void *buf, struct rumord_client_hdr *h);

/* Decode a body that @h announced: 0, or -EPROTO. */
int rumord_client_decode(const struct rumord_client_hdr *h, const void *body,
			 struct rumord_client_msg *m);

/*
 * This network namespace's name, as `ip netns identify` finds it in
 * /run/netns; "default" for the initial namespace; "ns-INODE" for an
 * unnamed one. 0 or -errno.
 */
int rumord_netns_name(char *buf, size_t len);

/* RUMORD_RUN_DIR/NAME.sock for this namespace. 0 or -errno. */
int rumord_default_socket(char *buf, size_t len);

#endif /* _RUMORD_CLIENT_H */
