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
 *   PUT     u16 key_len, u16 0, u32 value_len, k, v
 *   GET     u16 key_len, u16 0, k
 *   DEL     u16 key_len, u16 0, k
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
	RUMORD_OP_RECORD = 0x81,
	RUMORD_OP_DONE = 0x82,
	RUMORD_OP_PEER = 0x83,
	RUMORD_OP_REPAIR_INFO = 0x84,
};

/* Request flags. */
#define RUMORD_CF_TOMBSTONES	0x1	/* GET, LIST: deleted keys too */
#define RUMORD_CF_ALL		RUMORD_CF_TOMBSTONES

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
	X(merkle_entries)	/* keys in the store, tombstones too */

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
	const void *key;		/* PUT, GET, DEL, RECORD; LIST: prefix */
	size_t key_len;
	const void *value;		/* PUT, RECORD */
	size_t value_len;
	uint32_t limit;			/* LIST */
	bool has_version;		/* RECORD; DONE of PUT and DEL */
	struct rumord_version version;
	bool unchanged;			/* DONE of DEL */
	struct rumord_client_peer peer;	/* PEER; REPAIR_NOW: addr, port */
	struct rumord_client_repair repair;	/* REPAIR_INFO */
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
