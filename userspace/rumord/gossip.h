/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A write as rumord broadcasts it through rumor.ko: the payload of a genl
 * BROADCAST, delivered to every other node's rumord on the "deliver"
 * group. Little endian:
 *
 *   0  u16 magic        RUMORD_GOSSIP_MAGIC ("kv")
 *   2  u8  version      1
 *   3  u8  flags        TOMBSTONE, REF
 *   4  u16 key_len      1 .. RUMORD_MAX_KEY
 *   6  u16 reserved     0
 *   8  u32 value_len    the value's length, carried or not
 *  12  u64 hlc
 *  20  u64 node         the dot
 *  28  u64 counter
 *  36  key
 *      then the value (inline), or with REF its 128-bit XXH3 hash
 *      (lo, hi: u64 each) instead
 *
 * A value that does not fit one datagram (the instance's max-payload) goes
 * by reference: the key, the version and the value's length and hash. The
 * receiver does not apply it (it has no value); it asks for an
 * anti-entropy session with the node that passed it on, which sends the
 * write because its dot is in that node's version vector and not in ours.
 * The hash lets a direct fetch verify what it got.
 *
 * Payloads without the magic are not rumord's (rumorctl broadcast shares
 * the module) and are ignored; anything else is checked field by field.
 */
#ifndef _RUMORD_GOSSIP_H
#define _RUMORD_GOSSIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "version.h"

#define RUMORD_GOSSIP_MAGIC	0x766b	/* "kv" little endian */
#define RUMORD_GOSSIP_VERSION	1
#define RUMORD_GOSSIP_F_TOMBSTONE	0x01
#define RUMORD_GOSSIP_F_REF		0x02
#define RUMORD_GOSSIP_HLEN	36
#define RUMORD_GOSSIP_REF_LEN	16

struct rumord_gossip {
	struct rumord_record rec;	/* value NULL for a reference */
	bool ref;
	uint64_t value_len;		/* for a reference: the value's */
	uint64_t hash_lo, hash_hi;	/* for a reference: XXH3-128 */
};

/* Bytes a record takes inline, or by reference. */
size_t rumord_gossip_size(const struct rumord_record *rec, bool ref);

/*
 * Encode @rec into @buf (@size bytes), inline or by reference. Returns the
 * length, or -EMSGSIZE if it does not fit, -EINVAL for a bad record.
 */
long rumord_gossip_encode(const struct rumord_record *rec, bool ref,
			  void *buf, size_t size);

/*
 * Decode: 0 and *out (pointing into @buf), -ENOMSG for a payload that is
 * not rumord's, -EINVAL for a malformed one, -EPROTONOSUPPORT for a later
 * version.
 */
int rumord_gossip_decode(const void *buf, size_t len, struct rumord_gossip *out);

#endif /* _RUMORD_GOSSIP_H */
