/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The replica protocol: what a coordinating rumord and the replicas of a
 * key say to each other for consistency levels (sloppy quorums, digest
 * reads, read repair, hinted handoff). It runs over TCP on the port of
 * the anti-entropy sessions (sync.h); the first frame of a connection
 * tells the listener which of the two it speaks (rumord_rpc_sniff).
 * rpc_proto.c is the codec alone, no sockets: the daemon, the tests and
 * any tool share it.
 *
 * Every message is a frame of a 20-byte header and a body, all numbers
 * little endian:
 *
 *   0  u32 len     bytes after this field: 16 + the body, so that the
 *                  length prefix frames the stream as sync.c's does
 *   4  u16 magic   RUMORD_RPC_MAGIC, "rp"
 *   6  u8  version RUMORD_RPC_VERSION
 *   7  u8  op      enum rumord_rpc_op
 *   8  u32 flags   RUMORD_RPC_F_*, only those the op knows
 *  12  u64 id      the request's id, which its reply repeats; never 0,
 *                  but in an ERROR about the connection as a whole
 *
 * Bodies (ver: u64 hlc, u64 node, u64 counter, the write's version;
 * k: key bytes, v: value bytes, t: text):
 *
 *   WRITE       ver, u16 key_len, u16 0, u32 value_len,
 *               [F_HINT: u64 node, u8[16] addr, u16 port, u16 0, u32 0],
 *               k, v
 *   WRITE_ACK   s32 status, u32 0, ver
 *   READ        u16 key_len, u16 0, k
 *   READ_REPLY  s32 status, u32 value_len, ver, u64 digest lo, u64 hi, v
 *   PING, PONG  empty
 *   ERROR       s32 status, u16 text_len, u16 0, t
 *
 * Flags, per op:
 *
 *   F_TOMBSTONE    WRITE, WRITE_ACK, READ_REPLY: the version is a delete
 *                  (no value then)
 *   F_HINT         WRITE: the receiver is a stand-in of a sloppy quorum;
 *                  it keeps the record as a hint for the node named, which
 *                  is down (hints.h), not as its own copy
 *   F_DIGEST_ONLY  READ: answer without the value; READ_REPLY: so it was
 *   F_UNCHANGED    WRITE_ACK: nothing was written, the replica (or its
 *                  hints) held this write or a newer one already
 *
 * Requests are WRITE, READ and PING; each answer is the request's op with
 * the top bit set (WRITE_ACK, READ_REPLY, PONG) or an ERROR, with the
 * request's id. A coordinator may pipeline requests on a connection;
 * replies may come in any order.
 *
 *   WRITE_ACK   status 0: the replica holds this write or a newer one,
 *               durably; ver is the version it now holds. Or -errno
 *               (-EDQUOT: the hint was over its target's quota, -ENOSPC,
 *               -EIO, ...), with a zero version or the one held.
 *   READ_REPLY  status 0 and the key's record, a tombstone included (read
 *               repair must see deletes): ver, its digest (merkle.h's
 *               rumord_entry_hash of the key at ver, never zero) and, but
 *               for F_DIGEST_ONLY, the value. Or -ENOENT, the replica has
 *               nothing of the key: ver and digest zero, no value.
 *   PONG        to PING: the connection and the peer's loop are alive.
 *   ERROR       status -errno and a short text for the log: the request
 *               failed (id), or the connection is refused (id 0, then
 *               closed), e.g. -EPROTO for a frame that does not decode,
 *               -EPROTONOSUPPORT for another version.
 *
 * Bounds: keys of 1 to RUMORD_MAX_KEY bytes, values of at most
 * RUMORD_MAX_VALUE (the client protocol's), counters of 1 to
 * RUMORD_MAX_COUNTER, node ids non-zero, statuses -4095 to 0, texts of at
 * most RUMORD_RPC_TEXT_MAX bytes without a NUL, reserved fields zero; a
 * frame whose lengths do not add up exactly is refused whole.
 */
#ifndef _RUMORD_RPC_PROTO_H
#define _RUMORD_RPC_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "merkle.h"
#include "ring.h"
#include "version.h"

/*
 * "rp" little endian. Its first byte, the fifth of the connection, is
 * where a sync session's first frame has its type, HELLO (1): no sync
 * frame type comes near 'r' (0x72), so neither protocol's first frame
 * can pass for the other's (rpc_proto.c checks this at compile time).
 */
#define RUMORD_RPC_MAGIC	0x7072
#define RUMORD_RPC_VERSION	1
#define RUMORD_RPC_HLEN		20
/* The bytes rumord_rpc_sniff() needs: the length and the magic. */
#define RUMORD_RPC_SNIFF_LEN	6

#define RUMORD_RPC_VER_LEN	24	/* hlc, node, counter */
#define RUMORD_RPC_WRITE_FIXED	32	/* a WRITE body before its hint */
#define RUMORD_RPC_HINT_LEN	32
#define RUMORD_RPC_ACK_LEN	32	/* a WRITE_ACK body */
#define RUMORD_RPC_READ_FIXED	4
#define RUMORD_RPC_REPLY_FIXED	48	/* a READ_REPLY body before the value */
#define RUMORD_RPC_ERROR_FIXED	8
#define RUMORD_RPC_TEXT_MAX	120

/* The largest frame: a hinted WRITE of the largest key and value. */
#define RUMORD_RPC_MAX_FRAME	(RUMORD_RPC_HLEN + RUMORD_RPC_WRITE_FIXED + \
				 RUMORD_RPC_HINT_LEN + RUMORD_MAX_KEY + \
				 RUMORD_MAX_VALUE)

enum rumord_rpc_op {
	RUMORD_RPC_WRITE = 1,
	RUMORD_RPC_READ = 2,
	RUMORD_RPC_PING = 3,
	RUMORD_RPC_ERROR = 0x80,	/* the reply bit alone: to any request */
	RUMORD_RPC_WRITE_ACK = 0x81,
	RUMORD_RPC_READ_REPLY = 0x82,
	RUMORD_RPC_PONG = 0x83,
};

#define RUMORD_RPC_REPLY_BIT	0x80

#define RUMORD_RPC_F_TOMBSTONE		0x1
#define RUMORD_RPC_F_HINT		0x2
#define RUMORD_RPC_F_DIGEST_ONLY	0x4
#define RUMORD_RPC_F_UNCHANGED		0x8

/* Who a hinted WRITE is for: a node that is down, and where it listens. */
struct rumord_rpc_hint {
	uint64_t node;			/* rumord's durable node id, never 0 */
	struct rumord_node_addr addr;	/* unicast, port non-zero */
};

/*
 * A message, decoded or to encode. A field the op does not carry must be
 * zero (encode refuses it otherwise, decode leaves it so), and the flags
 * are not here: encode derives them from the fields, so a frame that
 * decodes encodes again to the same bytes. Decoded pointers point into
 * the frame.
 */
struct rumord_rpc_msg {
	uint8_t op;			/* enum rumord_rpc_op */
	uint64_t id;
	int32_t status;			/* WRITE_ACK, READ_REPLY, ERROR */
	/*
	 * WRITE: all of it. READ: the key. WRITE_ACK: the version.
	 * READ_REPLY: the value and the version.
	 */
	struct rumord_record rec;
	bool has_hint;			/* WRITE */
	struct rumord_rpc_hint hint;
	bool digest_only;		/* READ, READ_REPLY */
	bool unchanged;			/* WRITE_ACK */
	struct rumord_hash digest;	/* READ_REPLY */
	const char *text;		/* ERROR: no NUL needed, none allowed */
	size_t text_len;
};

struct rumord_rpc_hdr {
	uint32_t len;		/* the length field: the frame is 4 + len */
	uint8_t op;
	uint32_t flags;
	uint64_t id;
};

/*
 * Whether the first bytes of a connection are this protocol's: false for
 * an anti-entropy session, and for fewer than RUMORD_RPC_SNIFF_LEN bytes,
 * which the listener should wait for (a sync HELLO is at least 8 bytes,
 * sent at once, so waiting for 6 never stalls a session). Only the magic
 * counts: a frame of another version still belongs here, to be answered
 * with an ERROR.
 */
bool rumord_rpc_sniff(const void *buf, size_t len);
/*
 * Whether @len bytes, fewer than RUMORD_RPC_SNIFF_LEN, may still begin a
 * frame of this protocol: false once the length field is below a header's
 * or the magic's first byte is wrong, so that the listener need not wait
 * for bytes a peer sending garbage may never send.
 */
bool rumord_rpc_may_be(const void *buf, size_t len);

/* "WRITE", ...; "?" for an unknown op. */
const char *rumord_rpc_op_name(uint8_t op);

/* The whole frame's length for @m (checked or not). */
size_t rumord_rpc_frame_size(const struct rumord_rpc_msg *m);

/*
 * Encode @m as a frame into @buf: its length; -EINVAL if @m is not a
 * message decode would take (whatever the size, so not worth retrying),
 * -EMSGSIZE if it is but @size is too small.
 */
long rumord_rpc_encode(const struct rumord_rpc_msg *m, void *buf, size_t size);

/*
 * Check the RUMORD_RPC_HLEN bytes at @buf, all that is needed to know how
 * much to read and whether it may be read at all: magic, version, op,
 * flags the op knows, id, and a length within the op's bounds (with those
 * flags). 0, -EPROTONOSUPPORT (our magic, another version) or -EPROTO.
 */
int rumord_rpc_parse_hdr(const void *buf, struct rumord_rpc_hdr *h);

/*
 * Decode the frame of exactly @len bytes at @buf into @m; it reads
 * nothing beyond. 0, or what parse_hdr returns, or -EPROTO for any field
 * out of place (a frame longer or shorter than @len included).
 */
int rumord_rpc_decode(const void *buf, size_t len, struct rumord_rpc_msg *m);

/*
 * Frames out of a byte stream, for a non-blocking socket: feed it what
 * arrives, split anyhow; take each frame with rumord_rpc_reader_next()
 * before feeding more. The header is checked when its 20 bytes are in,
 * before any of the body is awaited or room made for it, so a hostile
 * length costs at most the op's bound. Errors are sticky: the connection
 * is then answered with an ERROR and closed.
 */
struct rumord_rpc_reader {
	unsigned char *buf;	/* the frame being read, header first */
	size_t cap;
	size_t have;		/* its bytes in @buf */
	size_t size;		/* its length once the header passed; else 0 */
	bool taken;		/* handed out: dropped at the next feed */
	int err;
	struct rumord_rpc_hdr hdr;	/* the header, once it passed */
};

void rumord_rpc_reader_init(struct rumord_rpc_reader *r);
void rumord_rpc_reader_release(struct rumord_rpc_reader *r);

/*
 * Bytes the reader still needs before it can say more: the rest of the
 * header, or of the frame. 0 when a frame waits to be taken, or after an
 * error. Reading no more than this from the socket keeps the bytes of the
 * next frame in the socket.
 */
size_t rumord_rpc_reader_want(const struct rumord_rpc_reader *r);

/*
 * Take up to @len bytes, never beyond the end of the current frame: how
 * many were taken (0 while a whole frame waits to be taken), or the
 * error: -EPROTO, -EPROTONOSUPPORT (the header), -ENOMEM.
 */
long rumord_rpc_reader_feed(struct rumord_rpc_reader *r, const void *buf,
			    size_t len);

/*
 * The frame read, decoded into *@m: 1 (pointers into the reader, valid
 * until the next feed or release), 0 when it is not whole yet, < 0 the
 * error (-EPROTO if its body does not decode).
 */
int rumord_rpc_reader_next(struct rumord_rpc_reader *r,
			   struct rumord_rpc_msg *m);

/* The id of the frame being read once its header passed, else 0. */
static inline uint64_t rumord_rpc_reader_id(const struct rumord_rpc_reader *r)
{
	return r->size ? r->hdr.id : 0;
}

#endif /* _RUMORD_RPC_PROTO_H */
