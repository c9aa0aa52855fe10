// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Encoding and decoding of rumor messages. Shared by rumor.ko and userspace;
 * the XDP program uses the inline checks of wire.h on the packet itself.
 *
 * Parsing copies fixed-size parts out of the buffer before reading them: a
 * datagram may sit at any alignment, and not every architecture forgives
 * that. Every body has an exact length, so a message is either all valid or
 * refused.
 */
#include "wire.h"

_Static_assert(sizeof(struct rumor_wire_hdr) == 16, "wire header");
_Static_assert(sizeof(struct rumor_wire_gossip) == 16, "wire gossip");
_Static_assert(sizeof(struct rumor_wire_id) == 20, "wire id");
_Static_assert(sizeof(struct rumor_wire_ihave) == 4, "wire ihave");
_Static_assert(sizeof(struct rumor_wire_member) == 28, "wire member");
_Static_assert(sizeof(struct rumor_wire_forward_join) == 32, "wire fwd join");
_Static_assert(sizeof(struct rumor_wire_neighbor) == 4, "wire neighbor");
_Static_assert(sizeof(struct rumor_wire_shuffle) == 36, "wire shuffle");
_Static_assert(RUMOR_WIRE_IHAVE_LEN(RUMOR_WIRE_IHAVE_MAX) <= 1400,
	       "a full IHAVE fits an Ethernet frame");

/*
 * A member as carried on the wire. Family 0 ("whoever sent this datagram")
 * is only valid where @may_be_sender says so; addresses are canonical, so
 * one member has one encoding.
 */
static int get_member(const __u8 *p, struct rumor_member *m, int may_be_sender)
{
	struct rumor_wire_member w;
	int i;

	__builtin_memcpy(&w, p, sizeof(w));
	m->id = rumor_ntoh64(w.id);
	m->ep.family = w.family;
	m->ep.reserved = 0;
	m->ep.port = rumor_ntoh16(w.port);
	__builtin_memcpy(m->ep.addr, w.addr, sizeof(w.addr));
	if (!m->id || w.reserved)
		return -1;
	switch (w.family) {
	case 0:
		if (!may_be_sender || m->ep.port)
			return -1;
		for (i = 0; i < 16; i++)
			if (w.addr[i])
				return -1;
		return 0;
	case 4:
		for (i = 4; i < 16; i++)
			if (w.addr[i])
				return -1;
		break;
	case 6:
		break;
	default:
		return -1;
	}
	return m->ep.port ? 0 : -1;
}

static void put_member(__u8 *p, const struct rumor_member *m)
{
	struct rumor_wire_member w = {
		.id = rumor_hton64(m->id),
		.family = m->ep.family,
		.port = rumor_hton16(m->ep.port),
	};

	__builtin_memcpy(w.addr, m->ep.addr, sizeof(w.addr));
	__builtin_memcpy(p, &w, sizeof(w));
}

static int all_zero(const __u8 *p, __u32 n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

static enum rumor_wire_err parse_gossip(const __u8 *p, __u32 len,
					struct rumor_msg *msg)
{
	struct rumor_wire_gossip g;

	__builtin_memcpy(&g, p, sizeof(g));
	if (rumor_wire_check_gossip(&g))
		return RUMOR_WIRE_EBODY;
	msg->gossip.origin = rumor_ntoh64(g.origin);
	msg->gossip.seq = rumor_ntoh64(g.seq);
	msg->gossip.payload = p + sizeof(g);
	msg->gossip.payload_len = len - sizeof(g);
	return RUMOR_WIRE_OK;
}

static enum rumor_wire_err parse_ihave(const __u8 *p, __u32 len,
				       struct rumor_msg *msg)
{
	struct rumor_wire_ihave ih;
	struct rumor_wire_id id;
	__u32 count, i;

	__builtin_memcpy(&ih, p, sizeof(ih));
	count = rumor_wire_ihave_count(&ih, len);
	if (!count)
		return RUMOR_WIRE_EBODY;
	msg->ihave.ids = p + sizeof(ih);
	msg->ihave.count = count;
	for (i = 0; i < count; i++) {
		__builtin_memcpy(&id, msg->ihave.ids + i * sizeof(id), sizeof(id));
		if (rumor_wire_check_ihave_id(&id))
			return RUMOR_WIRE_EBODY;
	}
	return RUMOR_WIRE_OK;
}

static enum rumor_wire_err parse_graft(const __u8 *p, __u32 len,
				       struct rumor_msg *msg)
{
	struct rumor_wire_id id;

	if (len != sizeof(id))
		return RUMOR_WIRE_EBODY;
	__builtin_memcpy(&id, p, sizeof(id));
	msg->graft.origin = rumor_ntoh64(id.origin);
	msg->graft.seq = rumor_ntoh64(id.seq);
	msg->graft.hops = id.hops;
	/* Both zero is a GRAFT for no message; one alone is nonsense. */
	if (!msg->graft.origin != !msg->graft.seq || !all_zero(id.reserved, 3))
		return RUMOR_WIRE_EBODY;
	return RUMOR_WIRE_OK;
}

static enum rumor_wire_err parse_forward_join(const __u8 *p, __u32 len,
					      struct rumor_msg *msg)
{
	struct rumor_wire_forward_join fj;

	if (len != sizeof(fj))
		return RUMOR_WIRE_EBODY;
	__builtin_memcpy(&fj, p, sizeof(fj));
	if (!all_zero(fj.reserved, 3) ||
	    get_member(p + 4, &msg->forward_join.joiner, 0))
		return RUMOR_WIRE_EBODY;
	msg->forward_join.ttl = fj.ttl;
	return RUMOR_WIRE_OK;
}

static enum rumor_wire_err parse_neighbor(const __u8 *p, __u32 len,
					  struct rumor_msg *msg)
{
	struct rumor_wire_neighbor n;

	if (len != sizeof(n))
		return RUMOR_WIRE_EBODY;
	__builtin_memcpy(&n, p, sizeof(n));
	if (n.value > 1 || !all_zero(n.reserved, 3))
		return RUMOR_WIRE_EBODY;
	msg->value = n.value;
	return RUMOR_WIRE_OK;
}

static enum rumor_wire_err parse_shuffle(const __u8 *p, __u32 len,
					 struct rumor_msg *msg)
{
	struct rumor_wire_shuffle sh;
	struct rumor_member m;
	__u32 i;

	if (len < sizeof(sh))
		return RUMOR_WIRE_EBODY;
	__builtin_memcpy(&sh, p, sizeof(sh));
	if (sh.reserved || sh.count > RUMOR_WIRE_SHUFFLE_MAX ||
	    len != RUMOR_WIRE_SHUFFLE_LEN(sh.count) - RUMOR_WIRE_HLEN)
		return RUMOR_WIRE_EBODY;
	msg->shuffle.ttl = sh.ttl;
	msg->shuffle.nonce = rumor_ntoh32(sh.nonce);
	msg->shuffle.members = p + sizeof(sh);
	msg->shuffle.count = sh.count;
	if (msg->type == RUMOR_WIRE_SHUFFLE) {
		if (get_member(p + 8, &msg->shuffle.origin, 1))
			return RUMOR_WIRE_EBODY;
	} else if (sh.ttl || !all_zero(p + 8, sizeof(struct rumor_wire_member))) {
		return RUMOR_WIRE_EBODY;
	}
	for (i = 0; i < sh.count; i++)
		if (get_member(msg->shuffle.members +
			       i * sizeof(struct rumor_wire_member), &m, 0))
			return RUMOR_WIRE_EBODY;
	return RUMOR_WIRE_OK;
}

enum rumor_wire_err rumor_wire_parse(const void *buf, __u32 len,
				     struct rumor_msg *msg)
{
	const __u8 *p = buf;
	struct rumor_wire_hdr h;
	enum rumor_wire_err err;
	__u32 body;

	if (len < sizeof(h))
		return RUMOR_WIRE_ETRUNC;
	__builtin_memcpy(&h, p, sizeof(h));
	err = rumor_wire_check_hdr(&h, len);
	if (err)
		return err;

	msg->type = h.type;
	msg->flags = h.flags;
	msg->hops = h.hops;
	msg->sender = rumor_ntoh64(h.sender);
	if (!msg->sender)
		return RUMOR_WIRE_EBODY;
	p += sizeof(h);
	body = len - sizeof(h);

	switch (h.type) {
	case RUMOR_WIRE_GOSSIP:
		return parse_gossip(p, body, msg);
	case RUMOR_WIRE_IHAVE:
		return parse_ihave(p, body, msg);
	case RUMOR_WIRE_GRAFT:
		return parse_graft(p, body, msg);
	case RUMOR_WIRE_PRUNE:
	case RUMOR_WIRE_JOIN:
	case RUMOR_WIRE_DISCONNECT:
	case RUMOR_WIRE_PING:
	case RUMOR_WIRE_PONG:
		return body ? RUMOR_WIRE_EBODY : RUMOR_WIRE_OK;
	case RUMOR_WIRE_FORWARD_JOIN:
		return parse_forward_join(p, body, msg);
	case RUMOR_WIRE_NEIGHBOR:
	case RUMOR_WIRE_NEIGHBOR_REPLY:
		return parse_neighbor(p, body, msg);
	case RUMOR_WIRE_SHUFFLE:
	case RUMOR_WIRE_SHUFFLE_REPLY:
		return parse_shuffle(p, body, msg);
	}
	/* rumor_wire_check_hdr() knows every type this switch knows. */
	return RUMOR_WIRE_ETYPE;
}

void rumor_wire_ihave_id(const struct rumor_msg *msg, __u32 i, __u64 *origin,
			 __u64 *seq, __u8 *hops)
{
	struct rumor_wire_id id;

	__builtin_memcpy(&id, msg->ihave.ids + i * sizeof(id), sizeof(id));
	*origin = rumor_ntoh64(id.origin);
	*seq = rumor_ntoh64(id.seq);
	*hops = id.hops;
}

void rumor_wire_shuffle_member(const struct rumor_msg *msg, __u32 i,
			       struct rumor_member *m)
{
	get_member(msg->shuffle.members + i * sizeof(struct rumor_wire_member),
		   m, 0);
}

static int put_hdr(void *buf, __u32 size, __u8 type, __u8 flags, __u8 hops,
		   __u64 sender, __u32 len)
{
	struct rumor_wire_hdr h = {
		.magic = rumor_hton16(RUMOR_WIRE_MAGIC),
		.version = RUMOR_WIRE_VERSION,
		.type = type,
		.len = rumor_hton16((__u16)len),
		.flags = flags,
		.hops = hops,
		.sender = rumor_hton64(sender),
	};

	if (len > size || len > RUMOR_WIRE_MAX_LEN || !sender)
		return -1;
	__builtin_memcpy(buf, &h, sizeof(h));
	return (int)sizeof(h);
}

/*
 * The payload is not copied: the module sends it from a second iovec. The
 * length returned is that of the headers only.
 */
int rumor_wire_put_gossip_hdr(void *buf, __u32 size, __u64 sender,
			      __u8 hops, __u8 flags, __u64 origin, __u64 seq,
			      __u32 payload_len)
{
	struct rumor_wire_gossip g = {
		.origin = rumor_hton64(origin),
		.seq = rumor_hton64(seq),
	};
	__u8 *p = buf;

	if (size < RUMOR_WIRE_GOSSIP_HLEN || !origin || !seq ||
	    flags & ~RUMOR_WIRE_F_GRAFTED ||
	    payload_len > RUMOR_WIRE_MAX_LEN - RUMOR_WIRE_GOSSIP_HLEN)
		return -1;
	if (put_hdr(buf, RUMOR_WIRE_MAX_LEN, RUMOR_WIRE_GOSSIP, flags, hops,
		    sender, RUMOR_WIRE_GOSSIP_HLEN + payload_len) < 0)
		return -1;
	__builtin_memcpy(p + RUMOR_WIRE_HLEN, &g, sizeof(g));
	return RUMOR_WIRE_GOSSIP_HLEN;
}

int rumor_wire_put_empty(void *buf, __u32 size, __u8 type, __u64 sender)
{
	if (rumor_wire_min_len(type) != RUMOR_WIRE_HLEN)
		return -1;
	return put_hdr(buf, size, type, 0, 0, sender, RUMOR_WIRE_HLEN);
}

/* The ids follow with rumor_wire_put_ihave_id(), 0 to @count - 1. */
int rumor_wire_put_ihave_hdr(void *buf, __u32 size, __u64 sender, __u32 count)
{
	struct rumor_wire_ihave ih = { .count = rumor_hton16((__u16)count) };
	__u8 *p = buf;

	if (!count || count > RUMOR_WIRE_IHAVE_MAX ||
	    put_hdr(buf, size, RUMOR_WIRE_IHAVE, 0, 0, sender,
		    RUMOR_WIRE_IHAVE_LEN(count)) < 0)
		return -1;
	__builtin_memcpy(p + RUMOR_WIRE_HLEN, &ih, sizeof(ih));
	return (int)RUMOR_WIRE_IHAVE_LEN(count);
}

static void put_id(__u8 *p, __u64 origin, __u64 seq, __u8 hops)
{
	struct rumor_wire_id id = {
		.origin = rumor_hton64(origin),
		.seq = rumor_hton64(seq),
		.hops = hops,
	};

	__builtin_memcpy(p, &id, sizeof(id));
}

void rumor_wire_put_ihave_id(void *buf, __u32 i, __u64 origin, __u64 seq,
			     __u8 hops)
{
	put_id((__u8 *)buf + RUMOR_WIRE_IHAVE_LEN(i), origin, seq, hops);
}

int rumor_wire_put_graft(void *buf, __u32 size, __u64 sender, __u64 origin,
			 __u64 seq, __u8 hops)
{
	__u32 len = RUMOR_WIRE_HLEN + sizeof(struct rumor_wire_id);

	if (!origin != !seq ||
	    put_hdr(buf, size, RUMOR_WIRE_GRAFT, 0, 0, sender, len) < 0)
		return -1;
	put_id((__u8 *)buf + RUMOR_WIRE_HLEN, origin, seq, hops);
	return (int)len;
}

int rumor_wire_put_forward_join(void *buf, __u32 size, __u64 sender, __u8 ttl,
				const struct rumor_member *joiner)
{
	__u32 len = RUMOR_WIRE_HLEN + sizeof(struct rumor_wire_forward_join);
	__u8 *p = buf;

	if (put_hdr(buf, size, RUMOR_WIRE_FORWARD_JOIN, 0, 0, sender, len) < 0)
		return -1;
	p[RUMOR_WIRE_HLEN] = ttl;
	p[RUMOR_WIRE_HLEN + 1] = 0;
	p[RUMOR_WIRE_HLEN + 2] = 0;
	p[RUMOR_WIRE_HLEN + 3] = 0;
	put_member(p + RUMOR_WIRE_HLEN + 4, joiner);
	return (int)len;
}

int rumor_wire_put_neighbor(void *buf, __u32 size, __u8 type, __u64 sender,
			    __u8 value)
{
	struct rumor_wire_neighbor n = { .value = value };
	__u32 len = RUMOR_WIRE_HLEN + sizeof(n);

	if ((type != RUMOR_WIRE_NEIGHBOR && type != RUMOR_WIRE_NEIGHBOR_REPLY) ||
	    value > 1 || put_hdr(buf, size, type, 0, 0, sender, len) < 0)
		return -1;
	__builtin_memcpy((__u8 *)buf + RUMOR_WIRE_HLEN, &n, sizeof(n));
	return (int)len;
}

/* For SHUFFLE_REPLY pass @origin NULL and @ttl 0. */
int rumor_wire_put_shuffle(void *buf, __u32 size, __u8 type, __u64 sender,
			   __u8 ttl, __u32 nonce,
			   const struct rumor_member *origin,
			   const struct rumor_member *members, __u32 count)
{
	struct rumor_wire_shuffle sh = {
		.ttl = ttl,
		.count = (__u8)count,
		.nonce = rumor_hton32(nonce),
	};
	__u8 *p = buf;
	__u32 i;

	if ((type != RUMOR_WIRE_SHUFFLE && type != RUMOR_WIRE_SHUFFLE_REPLY) ||
	    count > RUMOR_WIRE_SHUFFLE_MAX ||
	    put_hdr(buf, size, type, 0, 0, sender,
		    RUMOR_WIRE_SHUFFLE_LEN(count)) < 0)
		return -1;
	__builtin_memcpy(p + RUMOR_WIRE_HLEN, &sh, sizeof(sh));
	if (origin)
		put_member(p + RUMOR_WIRE_HLEN + 8, origin);
	for (i = 0; i < count; i++)
		put_member(p + RUMOR_WIRE_SHUFFLE_LEN(i), &members[i]);
	return (int)RUMOR_WIRE_SHUFFLE_LEN(count);
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

const char *rumor_wire_type_name(__u8 type)
{
	static const char *const names[__RUMOR_WIRE_TYPE_END] = {
		[RUMOR_WIRE_GOSSIP] = "gossip",
		[RUMOR_WIRE_IHAVE] = "ihave",
		[RUMOR_WIRE_GRAFT] = "graft",
		[RUMOR_WIRE_PRUNE] = "prune",
		[RUMOR_WIRE_JOIN] = "join",
		[RUMOR_WIRE_FORWARD_JOIN] = "forward_join",
		[RUMOR_WIRE_NEIGHBOR] = "neighbor",
		[RUMOR_WIRE_NEIGHBOR_REPLY] = "neighbor_reply",
		[RUMOR_WIRE_DISCONNECT] = "disconnect",
		[RUMOR_WIRE_SHUFFLE] = "shuffle",
		[RUMOR_WIRE_SHUFFLE_REPLY] = "shuffle_reply",
		[RUMOR_WIRE_PING] = "ping",
		[RUMOR_WIRE_PONG] = "pong",
	};

	if (type >= __RUMOR_WIRE_TYPE_END || !names[type])
		return "unknown";
	return names[type];
}
