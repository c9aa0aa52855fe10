/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The rumor wire format: one UDP datagram carries exactly one message.
 *
 * This file is part of the protocol core. It is compiled into rumor.ko, into
 * the XDP program and into userspace, so it includes nothing but the uapi
 * type names that all three share, and everything here that the XDP program
 * uses is a static inline function of plain values. docs/wire.md draws
 * every message.
 *
 *   0               1               2               3
 *   +-------------------------------+---------------+---------------+
 *   |         magic "RM"            |    version    |     type      |
 *   +-------------------------------+---------------+---------------+
 *   |     length (whole message)    |     flags     |     hops      |
 *   +-------------------------------+---------------+---------------+
 *   |                    sender node id (64 bits)                   |
 *   +---------------------------------------------------------------+
 *   |                    body, by type (below)                      |
 *
 * All multi-byte fields are big endian. A message id is (origin, seq): the
 * origin is chosen at random each time an instance starts and seq counts from
 * one, so a restarted node never reuses an id. A node id also names the node
 * in the overlay; its address is the UDP source of what it sends.
 */
#ifndef _RUMOR_CORE_WIRE_H
#define _RUMOR_CORE_WIRE_H

#include <linux/types.h>

#define RUMOR_WIRE_MAGIC	0x524d	/* "RM" */
#define RUMOR_WIRE_VERSION	1

/* The largest UDP payload over IPv4; nothing longer can arrive. */
#define RUMOR_WIRE_MAX_LEN	65507

/* A message that has travelled this far is delivered but not forwarded. */
#define RUMOR_WIRE_MAX_HOPS	255

enum rumor_wire_type {
	RUMOR_WIRE_GOSSIP = 1,		/* Plumtree: a message, eager push */
	RUMOR_WIRE_IHAVE,		/* Plumtree: ids, lazy push */
	RUMOR_WIRE_GRAFT,		/* Plumtree: send me that, be my eager peer */
	RUMOR_WIRE_PRUNE,		/* Plumtree: be my lazy peer */
	RUMOR_WIRE_JOIN,		/* HyParView: take me in, via a contact */
	RUMOR_WIRE_FORWARD_JOIN,	/* HyParView: random walk of a joiner */
	RUMOR_WIRE_NEIGHBOR,		/* HyParView: be my active neighbour */
	RUMOR_WIRE_NEIGHBOR_REPLY,	/* HyParView: yes or no */
	RUMOR_WIRE_DISCONNECT,		/* HyParView: you are out of my active view */
	RUMOR_WIRE_SHUFFLE,		/* HyParView: passive view exchange */
	RUMOR_WIRE_SHUFFLE_REPLY,
	RUMOR_WIRE_PING,		/* failure detection on active links */
	RUMOR_WIRE_PONG,
	__RUMOR_WIRE_TYPE_END
};

/* Flags. Any other bit makes a message malformed. */
#define RUMOR_WIRE_F_GRAFTED	0x01	/* GOSSIP only: the answer to a GRAFT */

struct rumor_wire_hdr {
	__be16 magic;
	__u8 version;
	__u8 type;
	__be16 len;
	__u8 flags;
	__u8 hops;	/* overlay hops of a GOSSIP; 0 when sent by the origin */
	__be64 sender;
};

/* GOSSIP: the payload follows, len - 32 bytes. */
struct rumor_wire_gossip {
	__be64 origin;
	__be64 seq;
};

/*
 * Wire structs whose natural alignment would pad them are packed to their
 * wire size and aligned to 4, the alignment they have in a datagram.
 *
 * One announced id: an IHAVE carries 1 to RUMOR_WIRE_IHAVE_MAX of them, a
 * GRAFT exactly one (origin 0 and seq 0: no message, only "be eager").
 */
struct rumor_wire_id {
	__be64 origin;
	__be64 seq;
	__u8 hops;
	__u8 reserved[3];
} __attribute__((packed, aligned(4)));

#define RUMOR_WIRE_IHAVE_MAX	64

struct rumor_wire_ihave {
	__be16 count;
	__be16 reserved;
	/* struct rumor_wire_id ids[count]; */
};

/* A member of the overlay: its node id and UDP endpoint. */
struct rumor_wire_member {
	__be64 id;
	__u8 family;		/* 4, 6, or 0: "the sender of this datagram" */
	__u8 reserved;
	__be16 port;
	__u8 addr[16];		/* IPv4 in the first four bytes */
} __attribute__((packed, aligned(4)));

struct rumor_wire_forward_join {
	__u8 ttl;
	__u8 reserved[3];
	struct rumor_wire_member joiner;
} __attribute__((packed, aligned(4)));

/* NEIGHBOR (priority: 1 high, 0 low) and NEIGHBOR_REPLY (1 accepted). */
struct rumor_wire_neighbor {
	__u8 value;
	__u8 reserved[3];
};

#define RUMOR_WIRE_SHUFFLE_MAX	32

/* SHUFFLE and SHUFFLE_REPLY (whose ttl is 0 and origin unused). */
struct rumor_wire_shuffle {
	__u8 ttl;
	__u8 count;
	__be16 reserved;
	__be32 nonce;		/* echoed by the reply */
	struct rumor_wire_member origin;
	/* struct rumor_wire_member members[count]; */
} __attribute__((packed, aligned(4)));

#define RUMOR_WIRE_HLEN		sizeof(struct rumor_wire_hdr)
#define RUMOR_WIRE_GOSSIP_HLEN	(RUMOR_WIRE_HLEN + sizeof(struct rumor_wire_gossip))
#define RUMOR_WIRE_IHAVE_LEN(n) \
	(RUMOR_WIRE_HLEN + sizeof(struct rumor_wire_ihave) + \
	 (n) * sizeof(struct rumor_wire_id))
#define RUMOR_WIRE_SHUFFLE_LEN(n) \
	(RUMOR_WIRE_HLEN + sizeof(struct rumor_wire_shuffle) + \
	 (n) * sizeof(struct rumor_wire_member))

/*
 * Why a datagram was refused. The XDP program and the module count each
 * reason apart, so the order here is part of the counter interface.
 */
enum rumor_wire_err {
	RUMOR_WIRE_OK = 0,
	RUMOR_WIRE_ETRUNC,	/* shorter than the common header */
	RUMOR_WIRE_EMAGIC,	/* not a rumor message */
	RUMOR_WIRE_EVERSION,	/* a version we do not speak */
	RUMOR_WIRE_EFLAGS,	/* flag bits we do not know */
	RUMOR_WIRE_ETYPE,	/* unknown message type */
	RUMOR_WIRE_ELEN,	/* length field disagrees with the datagram */
	RUMOR_WIRE_EBODY,	/* body too short or invalid for its type */
	RUMOR_WIRE_NERR
};

/* Byte order without libc or kernel headers: the compiler knows the host. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define rumor_ntoh16(x)	((__u16)__builtin_bswap16((__u16)(x)))
#define rumor_ntoh32(x)	((__u32)__builtin_bswap32((__u32)(x)))
#define rumor_ntoh64(x)	((__u64)__builtin_bswap64((__u64)(x)))
#else
#define rumor_ntoh16(x)	((__u16)(x))
#define rumor_ntoh32(x)	((__u32)(x))
#define rumor_ntoh64(x)	((__u64)(x))
#endif
#define rumor_hton16(x)	rumor_ntoh16(x)
#define rumor_hton32(x)	rumor_ntoh32(x)
#define rumor_hton64(x)	rumor_ntoh64(x)

/* The smallest valid length of a message of @type, or 0 for an unknown type. */
static inline __u32 rumor_wire_min_len(__u8 type)
{
	switch (type) {
	case RUMOR_WIRE_GOSSIP:
		return RUMOR_WIRE_GOSSIP_HLEN;
	case RUMOR_WIRE_IHAVE:
		return RUMOR_WIRE_IHAVE_LEN(1);
	case RUMOR_WIRE_GRAFT:
		return RUMOR_WIRE_HLEN + sizeof(struct rumor_wire_id);
	case RUMOR_WIRE_PRUNE:
	case RUMOR_WIRE_JOIN:
	case RUMOR_WIRE_DISCONNECT:
	case RUMOR_WIRE_PING:
	case RUMOR_WIRE_PONG:
		return RUMOR_WIRE_HLEN;
	case RUMOR_WIRE_FORWARD_JOIN:
		return RUMOR_WIRE_HLEN + sizeof(struct rumor_wire_forward_join);
	case RUMOR_WIRE_NEIGHBOR:
	case RUMOR_WIRE_NEIGHBOR_REPLY:
		return RUMOR_WIRE_HLEN + sizeof(struct rumor_wire_neighbor);
	case RUMOR_WIRE_SHUFFLE:
	case RUMOR_WIRE_SHUFFLE_REPLY:
		return RUMOR_WIRE_SHUFFLE_LEN(0);
	}
	return 0;
}

/*
 * Validate the common header of a datagram of @dgram_len bytes. The caller
 * has made sure that a whole header is readable at @h (in XDP, against the
 * packet end). Bodies are checked by rumor_wire_parse() or, in XDP, by the
 * type's own inline check.
 */
static inline enum rumor_wire_err
rumor_wire_check_hdr(const struct rumor_wire_hdr *h, __u32 dgram_len)
{
	__u32 min;

	if (dgram_len < sizeof(*h))
		return RUMOR_WIRE_ETRUNC;
	if (h->magic != rumor_hton16(RUMOR_WIRE_MAGIC))
		return RUMOR_WIRE_EMAGIC;
	if (h->version != RUMOR_WIRE_VERSION)
		return RUMOR_WIRE_EVERSION;
	min = rumor_wire_min_len(h->type);
	if (!min)
		return RUMOR_WIRE_ETYPE;
	if (h->flags & ~(h->type == RUMOR_WIRE_GOSSIP ? RUMOR_WIRE_F_GRAFTED : 0))
		return RUMOR_WIRE_EFLAGS;
	if (rumor_ntoh16(h->len) != dgram_len)
		return RUMOR_WIRE_ELEN;
	if (dgram_len < min)
		return RUMOR_WIRE_EBODY;
	return RUMOR_WIRE_OK;
}

/* A GOSSIP body after rumor_wire_check_hdr() accepted its header. */
static inline enum rumor_wire_err
rumor_wire_check_gossip(const struct rumor_wire_gossip *g)
{
	/* Origin 0 is nobody, and sequence numbers count from one. */
	if (!g->origin || !g->seq)
		return RUMOR_WIRE_EBODY;
	return RUMOR_WIRE_OK;
}

/*
 * An IHAVE body of @body_len bytes after rumor_wire_check_hdr() accepted its
 * header: 1 to RUMOR_WIRE_IHAVE_MAX ids and exactly as many bytes as they
 * take. Returns the count, or 0 when the body is invalid.
 */
static inline __u32 rumor_wire_ihave_count(const struct rumor_wire_ihave *ih,
					   __u32 body_len)
{
	__u32 count = rumor_ntoh16(ih->count);

	if (ih->reserved || !count || count > RUMOR_WIRE_IHAVE_MAX ||
	    body_len != RUMOR_WIRE_IHAVE_LEN(count) - RUMOR_WIRE_HLEN)
		return 0;
	return count;
}

/* One announced id: a message exists (origin, seq not 0), reserved zero. */
static inline enum rumor_wire_err
rumor_wire_check_ihave_id(const struct rumor_wire_id *id)
{
	if (!id->origin || !id->seq || id->reserved[0] || id->reserved[1] ||
	    id->reserved[2])
		return RUMOR_WIRE_EBODY;
	return RUMOR_WIRE_OK;
}

/* An endpoint as the core sees it: what a member's address decodes to. */
struct rumor_ep {
	__u8 family;		/* 0 (none), 4 or 6 */
	__u8 reserved;
	__u16 port;		/* host order */
	__u8 addr[16];		/* IPv4 in the first four bytes, rest zero */
};

struct rumor_member {
	__u64 id;
	struct rumor_ep ep;
};

/* A decoded message, pointing into the buffer it was parsed from. */
struct rumor_msg {
	__u8 type;
	__u8 flags;
	__u8 hops;
	__u64 sender;
	union {
		struct {			/* GOSSIP */
			__u64 origin;
			__u64 seq;
			const __u8 *payload;
			__u32 payload_len;
		} gossip;
		struct {			/* IHAVE: read with rumor_wire_ihave_id() */
			const __u8 *ids;
			__u32 count;
		} ihave;
		struct {			/* GRAFT */
			__u64 origin;
			__u64 seq;
			__u8 hops;
		} graft;
		struct {			/* FORWARD_JOIN */
			__u8 ttl;
			struct rumor_member joiner;
		} forward_join;
		__u8 value;			/* NEIGHBOR, NEIGHBOR_REPLY */
		struct {			/* SHUFFLE, SHUFFLE_REPLY */
			__u8 ttl;
			__u32 nonce;
			struct rumor_member origin;
			const __u8 *members;	/* rumor_wire_shuffle_member() */
			__u32 count;
		} shuffle;
	};
};

enum rumor_wire_err rumor_wire_parse(const void *buf, __u32 len,
				     struct rumor_msg *msg);
void rumor_wire_ihave_id(const struct rumor_msg *msg, __u32 i, __u64 *origin,
			 __u64 *seq, __u8 *hops);
void rumor_wire_shuffle_member(const struct rumor_msg *msg, __u32 i,
			       struct rumor_member *m);
const char *rumor_wire_err_name(enum rumor_wire_err err);
const char *rumor_wire_type_name(__u8 type);

/*
 * Encoders write into @buf of @size bytes and return the length written,
 * or -1 if it does not fit or the arguments are not valid on the wire.
 */
int rumor_wire_put_gossip_hdr(void *buf, __u32 size, __u64 sender,
			      __u8 hops, __u8 flags, __u64 origin, __u64 seq,
			      __u32 payload_len);
int rumor_wire_put_empty(void *buf, __u32 size, __u8 type, __u64 sender);
int rumor_wire_put_ihave_hdr(void *buf, __u32 size, __u64 sender,
			     __u32 count);
void rumor_wire_put_ihave_id(void *buf, __u32 i, __u64 origin, __u64 seq,
			     __u8 hops);
int rumor_wire_put_graft(void *buf, __u32 size, __u64 sender, __u64 origin,
			 __u64 seq, __u8 hops);
int rumor_wire_put_forward_join(void *buf, __u32 size, __u64 sender, __u8 ttl,
				const struct rumor_member *joiner);
int rumor_wire_put_neighbor(void *buf, __u32 size, __u8 type, __u64 sender,
			    __u8 value);
int rumor_wire_put_shuffle(void *buf, __u32 size, __u8 type, __u64 sender,
			   __u8 ttl, __u32 nonce,
			   const struct rumor_member *origin,
			   const struct rumor_member *members, __u32 count);

#endif /* _RUMOR_CORE_WIRE_H */
