/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The rumor wire format: one UDP datagram carries exactly one message.
 *
 * This file is part of the protocol core. It is compiled into rumor.ko, into
 * the XDP program and into userspace, so it includes nothing but the uapi
 * type names that all three share, and everything here that the XDP program
 * uses is a static inline function of plain values.
 *
 *   0               1               2               3
 *   +-------------------------------+---------------+---------------+
 *   |         magic "RM"            |    version    |     type      |
 *   +-------------------------------+---------------+---------------+
 *   |     length (whole message)    |     flags     |     hops      |
 *   +-------------------------------+---------------+---------------+
 *   |                    sender node id (64 bits)                   |
 *   +---------------------------------------------------------------+
 *   GOSSIP body:
 *   |                  origin node id (64 bits)                     |
 *   |                 sequence number (64 bits)                     |
 *   |                 payload (length - 32 bytes)                   |
 *
 * All multi-byte fields are big endian. A message id is (origin, seq): the
 * origin is chosen at random each time an instance starts and seq counts from
 * one, so a restarted node never reuses an id.
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
	RUMOR_WIRE_GOSSIP = 1,
};

struct rumor_wire_hdr {
	__be16 magic;
	__u8 version;
	__u8 type;
	__be16 len;
	__u8 flags;	/* none defined in version 1: must be zero */
	__u8 hops;	/* overlay hops travelled; 0 when sent by the origin */
	__be64 sender;
};

struct rumor_wire_gossip {
	__be64 origin;
	__be64 seq;
};

#define RUMOR_WIRE_GOSSIP_HLEN \
	(sizeof(struct rumor_wire_hdr) + sizeof(struct rumor_wire_gossip))

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
#define rumor_ntoh64(x)	((__u64)__builtin_bswap64((__u64)(x)))
#else
#define rumor_ntoh16(x)	((__u16)(x))
#define rumor_ntoh64(x)	((__u64)(x))
#endif
#define rumor_hton16(x)	rumor_ntoh16(x)
#define rumor_hton64(x)	rumor_ntoh64(x)

/* The smallest valid length of a message of @type, or 0 for an unknown type. */
static inline __u32 rumor_wire_min_len(__u8 type)
{
	switch (type) {
	case RUMOR_WIRE_GOSSIP:
		return RUMOR_WIRE_GOSSIP_HLEN;
	}
	return 0;
}

/*
 * Validate the common header of a datagram of @dgram_len bytes. The caller
 * has made sure that a whole header is readable at @h (in XDP, against the
 * packet end). Type-specific bodies are checked by their own parsers.
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
	if (h->flags)
		return RUMOR_WIRE_EFLAGS;
	min = rumor_wire_min_len(h->type);
	if (!min)
		return RUMOR_WIRE_ETYPE;
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

/* A decoded message, pointing into the buffer it was parsed from. */
struct rumor_msg {
	__u8 type;
	__u8 hops;
	__u64 sender;
	__u64 origin;
	__u64 seq;
	const __u8 *payload;
	__u32 payload_len;
};

enum rumor_wire_err rumor_wire_parse(const void *buf, __u32 len,
				     struct rumor_msg *msg);
int rumor_wire_put_gossip_hdr(void *buf, __u32 size, __u64 sender,
			      __u8 hops, __u64 origin, __u64 seq,
			      __u32 payload_len);
const char *rumor_wire_err_name(enum rumor_wire_err err);

#endif /* _RUMOR_CORE_WIRE_H */
