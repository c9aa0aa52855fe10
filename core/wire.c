// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Encoding and decoding of rumor messages. Shared by rumor.ko and userspace;
 * the XDP program uses the inline checks of wire.h on the packet itself.
 */
#include "wire.h"

/*
 * Copy fixed-size parts out of the buffer before reading them: a datagram
 * may sit at any alignment, and not every architecture forgives that.
 */
enum rumor_wire_err rumor_wire_parse(const void *buf, __u32 len,
				     struct rumor_msg *msg)
{
	const __u8 *p = buf;
	struct rumor_wire_hdr h;
	struct rumor_wire_gossip g;
	enum rumor_wire_err err;

	if (len < sizeof(h))
		return RUMOR_WIRE_ETRUNC;
	__builtin_memcpy(&h, p, sizeof(h));
	err = rumor_wire_check_hdr(&h, len);
	if (err)
		return err;

	msg->type = h.type;
	msg->hops = h.hops;
	msg->sender = rumor_ntoh64(h.sender);

	switch (h.type) {
	case RUMOR_WIRE_GOSSIP:
		__builtin_memcpy(&g, p + sizeof(h), sizeof(g));
		err = rumor_wire_check_gossip(&g);
		if (err)
			return err;
		msg->origin = rumor_ntoh64(g.origin);
		msg->seq = rumor_ntoh64(g.seq);
		msg->payload = p + RUMOR_WIRE_GOSSIP_HLEN;
		msg->payload_len = len - RUMOR_WIRE_GOSSIP_HLEN;
		return RUMOR_WIRE_OK;
	}
	/* rumor_wire_check_hdr() knows every type this switch knows. */
	return RUMOR_WIRE_ETYPE;
}

/*
 * Write the headers of a GOSSIP message whose payload the caller appends
 * (the module sends it from a second iovec, so it is never copied here).
 * Returns the header length, or -1 if @size is too small or the message
 * would not fit in one datagram.
 */
int rumor_wire_put_gossip_hdr(void *buf, __u32 size, __u64 sender,
			      __u8 hops, __u64 origin, __u64 seq,
			      __u32 payload_len)
{
	struct rumor_wire_hdr h = {
		.magic = rumor_hton16(RUMOR_WIRE_MAGIC),
		.version = RUMOR_WIRE_VERSION,
		.type = RUMOR_WIRE_GOSSIP,
		.hops = hops,
		.sender = rumor_hton64(sender),
	};
	struct rumor_wire_gossip g = {
		.origin = rumor_hton64(origin),
		.seq = rumor_hton64(seq),
	};
	__u8 *p = buf;

	if (size < RUMOR_WIRE_GOSSIP_HLEN || !origin || !seq ||
	    payload_len > RUMOR_WIRE_MAX_LEN - RUMOR_WIRE_GOSSIP_HLEN)
		return -1;
	h.len = rumor_hton16(RUMOR_WIRE_GOSSIP_HLEN + payload_len);
	__builtin_memcpy(p, &h, sizeof(h));
	__builtin_memcpy(p + sizeof(h), &g, sizeof(g));
	return RUMOR_WIRE_GOSSIP_HLEN;
}

const char *rumor_wire_err_name(enum rumor_wire_err err)
{
	static const char *const names[RUMOR_WIRE_NERR] = {
		[RUMOR_WIRE_OK] = "ok",
		[RUMOR_WIRE_ETRUNC] = "truncated",
		[RUMOR_WIRE_EMAGIC] = "bad_magic",
		[RUMOR_WIRE_EVERSION] = "bad_version",
		[RUMOR_WIRE_EFLAGS] = "bad_flags",
		[RUMOR_WIRE_ETYPE] = "bad_type",
		[RUMOR_WIRE_ELEN] = "bad_length",
		[RUMOR_WIRE_EBODY] = "bad_body",
	};

	if ((unsigned int)err >= RUMOR_WIRE_NERR)
		return "unknown";
	return names[err];
}
