// SPDX-License-Identifier: GPL-2.0
/*
 * Encoding of a write for broadcast (see gossip.h). Every field of a
 * payload that claims to be rumord's is checked before use: it came from
 * the network.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <xxhash.h>

#include "gossip.h"
#include "le.h"

#define OFF_MAGIC	0
#define OFF_VERSION	2
#define OFF_FLAGS	3
#define OFF_KEY_LEN	4
#define OFF_RESERVED	6
#define OFF_VALUE_LEN	8
#define OFF_HLC		12
#define OFF_NODE	20
#define OFF_COUNTER	28

size_t rumord_gossip_size(const struct rumord_record *rec, bool ref)
{
	return RUMORD_GOSSIP_HLEN + rec->key_len +
	       (ref ? RUMORD_GOSSIP_REF_LEN : rec->value_len);
}

long rumord_gossip_encode(const struct rumord_record *rec, bool ref,
			  void *buf, size_t size)
{
	uint8_t *p = buf;
	size_t len;

	/* What decode would refuse is not sent: every receiver would count it bad. */
	if (!rec->key_len || rec->key_len > RUMORD_MAX_KEY ||
	    rec->value_len > RUMORD_MAX_VALUE ||
	    (rec->version.tombstone && (rec->value_len || ref)) ||
	    (ref && !rec->value_len) || !rec->version.dot.node ||
	    !rec->version.dot.counter ||
	    rec->version.dot.counter > RUMORD_MAX_COUNTER)
		return -EINVAL;
	len = rumord_gossip_size(rec, ref);
	if (len > size)
		return -EMSGSIZE;
	rumord_put_le16(p + OFF_MAGIC, RUMORD_GOSSIP_MAGIC);
	p[OFF_VERSION] = RUMORD_GOSSIP_VERSION;
	p[OFF_FLAGS] = (rec->version.tombstone ? RUMORD_GOSSIP_F_TOMBSTONE : 0) |
		       (ref ? RUMORD_GOSSIP_F_REF : 0);
	rumord_put_le16(p + OFF_KEY_LEN, (uint16_t)rec->key_len);
	rumord_put_le16(p + OFF_RESERVED, 0);
	rumord_put_le32(p + OFF_VALUE_LEN, (uint32_t)rec->value_len);
	rumord_put_le64(p + OFF_HLC, rec->version.hlc);
	rumord_put_le64(p + OFF_NODE, rec->version.dot.node);
	rumord_put_le64(p + OFF_COUNTER, rec->version.dot.counter);
	memcpy(p + RUMORD_GOSSIP_HLEN, rec->key, rec->key_len);
	p += RUMORD_GOSSIP_HLEN + rec->key_len;
	if (ref) {
		XXH128_hash_t h = XXH3_128bits(rec->value, rec->value_len);

		rumord_put_le64(p, h.low64);
		rumord_put_le64(p + 8, h.high64);
	} else if (rec->value_len) {
		memcpy(p, rec->value, rec->value_len);
	}
	return (long)len;
}

int rumord_gossip_decode(const void *buf, size_t len, struct rumord_gossip *out)
{
	const uint8_t *p = buf;
	size_t key_len, value_len, body;
	uint8_t flags;

	if (len < 2 || rumord_get_le16(p + OFF_MAGIC) != RUMORD_GOSSIP_MAGIC)
		return -ENOMSG;
	if (len < RUMORD_GOSSIP_HLEN)
		return -EINVAL;
	if (p[OFF_VERSION] != RUMORD_GOSSIP_VERSION)
		return -EPROTONOSUPPORT;
	flags = p[OFF_FLAGS];
	key_len = rumord_get_le16(p + OFF_KEY_LEN);
	value_len = rumord_get_le32(p + OFF_VALUE_LEN);
	if (flags & ~(RUMORD_GOSSIP_F_TOMBSTONE | RUMORD_GOSSIP_F_REF) ||
	    rumord_get_le16(p + OFF_RESERVED) || !key_len || key_len > RUMORD_MAX_KEY ||
	    value_len > RUMORD_MAX_VALUE)
		return -EINVAL;

	memset(out, 0, sizeof(*out));
	out->ref = flags & RUMORD_GOSSIP_F_REF;
	out->rec.version.tombstone = flags & RUMORD_GOSSIP_F_TOMBSTONE;
	out->rec.version.hlc = rumord_get_le64(p + OFF_HLC);
	out->rec.version.dot.node = rumord_get_le64(p + OFF_NODE);
	out->rec.version.dot.counter = rumord_get_le64(p + OFF_COUNTER);
	/*
	 * No node counts beyond 2^62 (version.h): such a dot is corrupt or
	 * hostile. The store would refuse it as well, but as a failure to
	 * apply (an error logged, "failed"), not as the bad payload it is.
	 */
	if (!out->rec.version.dot.node || !out->rec.version.dot.counter ||
	    out->rec.version.dot.counter > RUMORD_MAX_COUNTER)
		return -EINVAL;
	if (out->rec.version.tombstone && (out->ref || value_len))
		return -EINVAL;
	/* A reference is only for what would not fit: never empty. */
	if (out->ref && !value_len)
		return -EINVAL;

	body = out->ref ? RUMORD_GOSSIP_REF_LEN : value_len;
	if (len != RUMORD_GOSSIP_HLEN + key_len + body)
		return -EINVAL;
	out->rec.key = p + RUMORD_GOSSIP_HLEN;
	out->rec.key_len = key_len;
	p += RUMORD_GOSSIP_HLEN + key_len;
	out->value_len = value_len;
	if (out->ref) {
		out->hash_lo = rumord_get_le64(p);
		out->hash_hi = rumord_get_le64(p + 8);
	} else {
		out->rec.value = p;
		out->rec.value_len = value_len;
	}
	return 0;
}
