// SPDX-License-Identifier: GPL-2.0
/*
 * The replica protocol's frames (rpc_proto.h). Replicas run the decoder
 * on whatever a TCP peer sends, so every length is checked against the
 * frame before it is used, and one set of rules (msg_check) decides both
 * what encode will write and what decode will take: a frame that decodes
 * is exactly the one its message encodes to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_proto.h"
#include "le.h"
#include "sync.h"

/*
 * The listener tells the protocols apart by the fifth byte of a
 * connection: sync.c refuses any first frame but HELLO, and no sync
 * frame type at all may ever look like the magic's first byte.
 */
_Static_assert((RUMORD_RPC_MAGIC & 0xff) > RUMORD_SYNC_TYPE_MAX &&
	       RUMORD_SYNC_HELLO <= RUMORD_SYNC_TYPE_MAX,
	       "an RPC frame could pass for a sync session's first frame");

#define MAX_STATUS	4095	/* errno values, as the kernel bounds them */

/* After a frame bigger than this the reader gives its buffer back. */
#define READER_KEEP	(64u << 10)
#define READER_MIN	4096u

/* The fields of struct rumord_rpc_msg an op carries. */
#define C_KEY		0x001
#define C_VALUE		0x002
#define C_VERSION	0x004
#define C_STATUS	0x008
#define C_HINT		0x010
#define C_DIGEST_ONLY	0x020
#define C_UNCHANGED	0x040
#define C_DIGEST	0x080
#define C_TEXT		0x100

struct op_info {
	uint8_t op;
	uint32_t flags;		/* the flags it knows */
	unsigned int carries;
};

static const struct op_info ops[] = {
	{ RUMORD_RPC_WRITE, RUMORD_RPC_F_TOMBSTONE | RUMORD_RPC_F_HINT,
	  C_KEY | C_VALUE | C_VERSION | C_HINT },
	{ RUMORD_RPC_WRITE_ACK, RUMORD_RPC_F_TOMBSTONE | RUMORD_RPC_F_UNCHANGED,
	  C_VERSION | C_STATUS | C_UNCHANGED },
	{ RUMORD_RPC_READ, RUMORD_RPC_F_DIGEST_ONLY, C_KEY | C_DIGEST_ONLY },
	{ RUMORD_RPC_READ_REPLY, RUMORD_RPC_F_TOMBSTONE | RUMORD_RPC_F_DIGEST_ONLY,
	  C_VALUE | C_VERSION | C_STATUS | C_DIGEST_ONLY | C_DIGEST },
	{ RUMORD_RPC_PING, 0, 0 },
	{ RUMORD_RPC_PONG, 0, 0 },
	{ RUMORD_RPC_ERROR, 0, C_STATUS | C_TEXT },
};

static const struct op_info *op_info(uint8_t op)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].op == op)
			return &ops[i];
	return NULL;
}

const char *rumord_rpc_op_name(uint8_t op)
{
	switch (op) {
	case RUMORD_RPC_WRITE:		return "WRITE";
	case RUMORD_RPC_WRITE_ACK:	return "WRITE_ACK";
	case RUMORD_RPC_READ:		return "READ";
	case RUMORD_RPC_READ_REPLY:	return "READ_REPLY";
	case RUMORD_RPC_PING:		return "PING";
	case RUMORD_RPC_PONG:		return "PONG";
	case RUMORD_RPC_ERROR:		return "ERROR";
	}
	return "?";
}

bool rumord_rpc_sniff(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	return len >= RUMORD_RPC_SNIFF_LEN &&
	       rumord_get_le16(p + 4) == RUMORD_RPC_MAGIC;
}

bool rumord_rpc_may_be(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (len >= 4 && rumord_get_le32(p) < RUMORD_RPC_HLEN - 4)
		return false;
	return len < 5 || p[4] == (RUMORD_RPC_MAGIC & 0xff);
}

/* ---- the rules, shared by encode and decode ---- */

static bool version_none(const struct rumord_version *v)
{
	return !v->hlc && !v->dot.node && !v->dot.counter && !v->tombstone;
}

/* What any replica takes (version.h), the counter's bound included. */
static bool version_ok(const struct rumord_version *v)
{
	return v->dot.node && v->dot.counter &&
	       v->dot.counter <= RUMORD_MAX_COUNTER;
}

static bool key_ok(const struct rumord_record *rec)
{
	return rec->key && rec->key_len >= 1 && rec->key_len <= RUMORD_MAX_KEY;
}

static bool value_ok(const struct rumord_record *rec)
{
	return rec->value_len <= RUMORD_MAX_VALUE &&
	       (!rec->value_len || rec->value) &&
	       !(rec->version.tombstone && rec->value_len);
}

/*
 * A node that can be reached: a unicast address, IPv6 or IPv4-mapped (as
 * rumord_session_now() wants it), and a port.
 */
static bool hint_ok(const struct rumord_rpc_hint *h)
{
	static const uint8_t v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	};
	static const uint8_t any[16];
	const uint8_t *a = h->addr.addr;

	if (!h->node || !h->addr.port || !memcmp(a, any, 16) || a[0] == 0xff)
		return false;
	if (!memcmp(a, v4mapped, 12) && (!a[12] || a[12] >= 224))
		return false;
	return true;
}

/* Field by field: the struct has padding, which callers need not clear. */
static bool hint_zero(const struct rumord_rpc_hint *h)
{
	static const uint8_t any[16];

	return !h->node && !h->addr.port && !memcmp(h->addr.addr, any, 16);
}

/*
 * Fields the op does not carry are zero: a caller that fills one is
 * mistaken about what goes out (a hint target without has_hint would
 * make a stand-in's write an ordinary copy), and decode leaves them so.
 */
static bool stray(const struct rumord_rpc_msg *m, unsigned int carries)
{
	return (!(carries & C_KEY) && (m->rec.key_len || m->rec.key)) ||
	       (!(carries & C_VALUE) && (m->rec.value_len || m->rec.value)) ||
	       (!(carries & C_VERSION) && !version_none(&m->rec.version)) ||
	       (!(carries & C_STATUS) && m->status) ||
	       (!(carries & C_HINT) && m->has_hint) ||
	       (!m->has_hint && !hint_zero(&m->hint)) ||
	       (!(carries & C_DIGEST_ONLY) && m->digest_only) ||
	       (!(carries & C_UNCHANGED) && m->unchanged) ||
	       (!(carries & C_DIGEST) && !rumord_hash_zero(m->digest)) ||
	       (!(carries & C_TEXT) && (m->text_len || m->text));
}

/* Whether @m is a message of the protocol: 0 or -EINVAL. */
static int msg_check(const struct rumord_rpc_msg *m)
{
	const struct op_info *info = op_info(m->op);
	const struct rumord_record *rec = &m->rec;
	const struct rumord_version *v = &rec->version;

	if (!info || (!m->id && m->op != RUMORD_RPC_ERROR) ||
	    stray(m, info->carries) || m->status > 0 || m->status < -MAX_STATUS)
		return -EINVAL;
	switch (m->op) {
	case RUMORD_RPC_WRITE:
		if (!key_ok(rec) || !value_ok(rec) || !version_ok(v) ||
		    (m->has_hint && !hint_ok(&m->hint)))
			return -EINVAL;
		break;
	case RUMORD_RPC_WRITE_ACK:
		/* A failed write may not know the version held. */
		if (m->status ? (m->unchanged ||
				 (!version_none(v) && !version_ok(v))) :
				!version_ok(v))
			return -EINVAL;
		break;
	case RUMORD_RPC_READ:
		if (!key_ok(rec))
			return -EINVAL;
		break;
	case RUMORD_RPC_READ_REPLY:
		if (m->status == -ENOENT) {
			if (!version_none(v) || !rumord_hash_zero(m->digest) ||
			    rec->value_len)
				return -EINVAL;
		} else if (m->status || !version_ok(v) ||
			   rumord_hash_zero(m->digest) || !value_ok(rec) ||
			   (m->digest_only && rec->value_len)) {
			return -EINVAL;
		}
		break;
	case RUMORD_RPC_ERROR:
		if (!m->status || m->text_len > RUMORD_RPC_TEXT_MAX ||
		    (m->text_len && (!m->text ||
				     memchr(m->text, '\0', m->text_len))))
			return -EINVAL;
		break;
	}
	return 0;
}

/*
 * The bounds of an op's body with @flags: what the header alone can
 * tell, so that the reader refuses a hostile length before awaiting it.
 */
static void body_bounds(uint8_t op, uint32_t flags, size_t *min, size_t *max)
{
	size_t fixed;
	bool no_value = flags & (RUMORD_RPC_F_TOMBSTONE |
				 RUMORD_RPC_F_DIGEST_ONLY);

	switch (op) {
	case RUMORD_RPC_WRITE:
		fixed = RUMORD_RPC_WRITE_FIXED +
			(flags & RUMORD_RPC_F_HINT ? RUMORD_RPC_HINT_LEN : 0);
		*min = fixed + 1;
		*max = fixed + RUMORD_MAX_KEY + (no_value ? 0 : RUMORD_MAX_VALUE);
		return;
	case RUMORD_RPC_WRITE_ACK:
		*min = *max = RUMORD_RPC_ACK_LEN;
		return;
	case RUMORD_RPC_READ:
		*min = RUMORD_RPC_READ_FIXED + 1;
		*max = RUMORD_RPC_READ_FIXED + RUMORD_MAX_KEY;
		return;
	case RUMORD_RPC_READ_REPLY:
		*min = RUMORD_RPC_REPLY_FIXED;
		*max = RUMORD_RPC_REPLY_FIXED + (no_value ? 0 : RUMORD_MAX_VALUE);
		return;
	case RUMORD_RPC_ERROR:
		*min = RUMORD_RPC_ERROR_FIXED;
		*max = RUMORD_RPC_ERROR_FIXED + RUMORD_RPC_TEXT_MAX;
		return;
	}
	*min = *max = 0;	/* PING, PONG */
}

/* ---- encoding ---- */

static size_t body_size(const struct rumord_rpc_msg *m)
{
	switch (m->op) {
	case RUMORD_RPC_WRITE:
		return RUMORD_RPC_WRITE_FIXED +
		       (m->has_hint ? RUMORD_RPC_HINT_LEN : 0) +
		       m->rec.key_len + m->rec.value_len;
	case RUMORD_RPC_WRITE_ACK:
		return RUMORD_RPC_ACK_LEN;
	case RUMORD_RPC_READ:
		return RUMORD_RPC_READ_FIXED + m->rec.key_len;
	case RUMORD_RPC_READ_REPLY:
		return RUMORD_RPC_REPLY_FIXED + m->rec.value_len;
	case RUMORD_RPC_ERROR:
		return RUMORD_RPC_ERROR_FIXED + m->text_len;
	}
	return 0;
}

size_t rumord_rpc_frame_size(const struct rumord_rpc_msg *m)
{
	return RUMORD_RPC_HLEN + body_size(m);
}

static uint32_t flags_of(const struct rumord_rpc_msg *m)
{
	return (m->rec.version.tombstone ? RUMORD_RPC_F_TOMBSTONE : 0) |
	       (m->has_hint ? RUMORD_RPC_F_HINT : 0) |
	       (m->digest_only ? RUMORD_RPC_F_DIGEST_ONLY : 0) |
	       (m->unchanged ? RUMORD_RPC_F_UNCHANGED : 0);
}

static void put_version(uint8_t *p, const struct rumord_version *v)
{
	rumord_put_le64(p, v->hlc);
	rumord_put_le64(p + 8, v->dot.node);
	rumord_put_le64(p + 16, v->dot.counter);
}

static void put_bytes(uint8_t *p, const void *src, size_t n)
{
	if (n)
		memcpy(p, src, n);
}

long rumord_rpc_encode(const struct rumord_rpc_msg *m, void *buf, size_t size)
{
	const struct rumord_record *rec = &m->rec;
	uint8_t *p = buf, *b = p + RUMORD_RPC_HLEN;
	size_t len;

	if (msg_check(m))
		return -EINVAL;
	len = rumord_rpc_frame_size(m);
	if (len > size)
		return -EMSGSIZE;
	rumord_put_le32(p, (uint32_t)(len - 4));
	rumord_put_le16(p + 4, RUMORD_RPC_MAGIC);
	p[6] = RUMORD_RPC_VERSION;
	p[7] = m->op;
	rumord_put_le32(p + 8, flags_of(m));
	rumord_put_le64(p + 12, m->id);

	switch (m->op) {
	case RUMORD_RPC_WRITE:
		put_version(b, &rec->version);
		rumord_put_le16(b + 24, (uint16_t)rec->key_len);
		rumord_put_le16(b + 26, 0);
		rumord_put_le32(b + 28, (uint32_t)rec->value_len);
		b += RUMORD_RPC_WRITE_FIXED;
		if (m->has_hint) {
			rumord_put_le64(b, m->hint.node);
			memcpy(b + 8, m->hint.addr.addr, 16);
			rumord_put_le16(b + 24, m->hint.addr.port);
			rumord_put_le16(b + 26, 0);
			rumord_put_le32(b + 28, 0);
			b += RUMORD_RPC_HINT_LEN;
		}
		put_bytes(b, rec->key, rec->key_len);
		put_bytes(b + rec->key_len, rec->value, rec->value_len);
		break;
	case RUMORD_RPC_WRITE_ACK:
		rumord_put_le32(b, (uint32_t)m->status);
		rumord_put_le32(b + 4, 0);
		put_version(b + 8, &rec->version);
		break;
	case RUMORD_RPC_READ:
		rumord_put_le16(b, (uint16_t)rec->key_len);
		rumord_put_le16(b + 2, 0);
		put_bytes(b + RUMORD_RPC_READ_FIXED, rec->key, rec->key_len);
		break;
	case RUMORD_RPC_READ_REPLY:
		rumord_put_le32(b, (uint32_t)m->status);
		rumord_put_le32(b + 4, (uint32_t)rec->value_len);
		put_version(b + 8, &rec->version);
		rumord_put_le64(b + 32, m->digest.lo);
		rumord_put_le64(b + 40, m->digest.hi);
		put_bytes(b + RUMORD_RPC_REPLY_FIXED, rec->value, rec->value_len);
		break;
	case RUMORD_RPC_ERROR:
		rumord_put_le32(b, (uint32_t)m->status);
		rumord_put_le16(b + 4, (uint16_t)m->text_len);
		rumord_put_le16(b + 6, 0);
		put_bytes(b + RUMORD_RPC_ERROR_FIXED, m->text, m->text_len);
		break;
	}
	return (long)len;
}

/* ---- decoding ---- */

int rumord_rpc_parse_hdr(const void *buf, struct rumord_rpc_hdr *h)
{
	const uint8_t *p = buf;
	const struct op_info *info;
	size_t body, min, max;

	h->len = rumord_get_le32(p);
	h->op = p[7];
	h->flags = rumord_get_le32(p + 8);
	h->id = rumord_get_le64(p + 12);
	if (rumord_get_le16(p + 4) != RUMORD_RPC_MAGIC)
		return -EPROTO;
	/* The rest of a frame of another version means nothing to us. */
	if (p[6] != RUMORD_RPC_VERSION)
		return -EPROTONOSUPPORT;
	info = op_info(h->op);
	if (!info || (h->flags & ~info->flags) ||
	    (!h->id && h->op != RUMORD_RPC_ERROR) ||
	    h->len < RUMORD_RPC_HLEN - 4)
		return -EPROTO;
	body = h->len - (RUMORD_RPC_HLEN - 4);
	body_bounds(h->op, h->flags, &min, &max);
	return body < min || body > max ? -EPROTO : 0;
}

static void get_version(const uint8_t *p, uint32_t flags,
			struct rumord_version *v)
{
	v->hlc = rumord_get_le64(p);
	v->dot.node = rumord_get_le64(p + 8);
	v->dot.counter = rumord_get_le64(p + 16);
	v->tombstone = flags & RUMORD_RPC_F_TOMBSTONE;
}

/*
 * The body's variable part, @k then @v bytes from @at, must end it
 * exactly. 64-bit sums: a length field is never trusted to stay small.
 */
static int take(struct rumord_record *rec, const uint8_t *b, size_t n,
		size_t at, uint64_t k, uint64_t v)
{
	if ((uint64_t)at + k + v != n)
		return -EPROTO;
	rec->key = k ? b + at : NULL;
	rec->key_len = (size_t)k;
	rec->value = v ? b + at + k : NULL;
	rec->value_len = (size_t)v;
	return 0;
}

static int decode_body(const struct rumord_rpc_hdr *h, const uint8_t *b,
		       size_t n, struct rumord_rpc_msg *m)
{
	struct rumord_record *rec = &m->rec;
	size_t at;

	switch (h->op) {
	case RUMORD_RPC_WRITE:
		if (n < RUMORD_RPC_WRITE_FIXED || rumord_get_le16(b + 26))
			return -EPROTO;
		get_version(b, h->flags, &rec->version);
		at = RUMORD_RPC_WRITE_FIXED;
		if (h->flags & RUMORD_RPC_F_HINT) {
			const uint8_t *x = b + at;

			if (n < at + RUMORD_RPC_HINT_LEN ||
			    rumord_get_le16(x + 26) || rumord_get_le32(x + 28))
				return -EPROTO;
			m->has_hint = true;
			m->hint.node = rumord_get_le64(x);
			memcpy(m->hint.addr.addr, x + 8, 16);
			m->hint.addr.port = rumord_get_le16(x + 24);
			at += RUMORD_RPC_HINT_LEN;
		}
		return take(rec, b, n, at, rumord_get_le16(b + 24),
			    rumord_get_le32(b + 28));
	case RUMORD_RPC_WRITE_ACK:
		if (n != RUMORD_RPC_ACK_LEN || rumord_get_le32(b + 4))
			return -EPROTO;
		m->status = (int32_t)rumord_get_le32(b);
		get_version(b + 8, h->flags, &rec->version);
		m->unchanged = h->flags & RUMORD_RPC_F_UNCHANGED;
		return 0;
	case RUMORD_RPC_READ:
		if (n < RUMORD_RPC_READ_FIXED || rumord_get_le16(b + 2))
			return -EPROTO;
		m->digest_only = h->flags & RUMORD_RPC_F_DIGEST_ONLY;
		return take(rec, b, n, RUMORD_RPC_READ_FIXED,
			    rumord_get_le16(b), 0);
	case RUMORD_RPC_READ_REPLY:
		if (n < RUMORD_RPC_REPLY_FIXED)
			return -EPROTO;
		m->status = (int32_t)rumord_get_le32(b);
		get_version(b + 8, h->flags, &rec->version);
		m->digest.lo = rumord_get_le64(b + 32);
		m->digest.hi = rumord_get_le64(b + 40);
		m->digest_only = h->flags & RUMORD_RPC_F_DIGEST_ONLY;
		return take(rec, b, n, RUMORD_RPC_REPLY_FIXED, 0,
			    rumord_get_le32(b + 4));
	case RUMORD_RPC_PING:
	case RUMORD_RPC_PONG:
		return n ? -EPROTO : 0;
	case RUMORD_RPC_ERROR: {
		uint16_t tl;

		if (n < RUMORD_RPC_ERROR_FIXED || rumord_get_le16(b + 6))
			return -EPROTO;
		m->status = (int32_t)rumord_get_le32(b);
		tl = rumord_get_le16(b + 4);
		if ((size_t)RUMORD_RPC_ERROR_FIXED + tl != n)
			return -EPROTO;
		m->text = tl ? (const char *)b + RUMORD_RPC_ERROR_FIXED : NULL;
		m->text_len = tl;
		return 0;
	}
	}
	return -EPROTO;
}

int rumord_rpc_decode(const void *buf, size_t len, struct rumord_rpc_msg *m)
{
	const uint8_t *p = buf;
	struct rumord_rpc_hdr h;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len < RUMORD_RPC_HLEN)
		return -EPROTO;
	rc = rumord_rpc_parse_hdr(p, &h);
	if (rc)
		return rc;
	if ((uint64_t)h.len + 4 != len)
		return -EPROTO;
	m->op = h.op;
	m->id = h.id;
	rc = decode_body(&h, p + RUMORD_RPC_HLEN, len - RUMORD_RPC_HLEN, m);
	/* Then the rules encode follows: nothing else decodes. */
	if (!rc && msg_check(m))
		rc = -EPROTO;
	if (rc)
		memset(m, 0, sizeof(*m));
	return rc;
}

/* ---- the incremental reader ---- */

void rumord_rpc_reader_init(struct rumord_rpc_reader *r)
{
	memset(r, 0, sizeof(*r));
}

void rumord_rpc_reader_release(struct rumord_rpc_reader *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

size_t rumord_rpc_reader_want(const struct rumord_rpc_reader *r)
{
	if (r->err || r->taken)
		return r->err ? 0 : RUMORD_RPC_HLEN;
	return (r->size ? r->size : RUMORD_RPC_HLEN) - r->have;
}

static int reserve(struct rumord_rpc_reader *r, size_t need)
{
	unsigned char *p;

	if (need <= r->cap)
		return 0;
	if (need < READER_MIN)
		need = READER_MIN;
	p = realloc(r->buf, need);
	if (!p)
		return -ENOMEM;
	r->buf = p;
	r->cap = need;
	return 0;
}

/* Forget the frame handed out; a big buffer goes, idle peers keep little. */
static void drop_frame(struct rumord_rpc_reader *r)
{
	r->have = 0;
	r->size = 0;
	r->taken = false;
	memset(&r->hdr, 0, sizeof(r->hdr));
	if (r->cap > READER_KEEP) {
		free(r->buf);
		r->buf = NULL;
		r->cap = 0;
	}
}

static size_t copy_in(struct rumord_rpc_reader *r, const uint8_t *p,
		      size_t len, size_t upto)
{
	size_t n = upto - r->have < len ? upto - r->have : len;

	if (n)
		memcpy(r->buf + r->have, p, n);
	r->have += n;
	return n;
}

long rumord_rpc_reader_feed(struct rumord_rpc_reader *r, const void *buf,
			    size_t len)
{
	const uint8_t *p = buf;
	size_t n = 0;
	int rc;

	if (r->err)
		return r->err;
	if (r->taken)
		drop_frame(r);
	if (!r->size) {
		if (reserve(r, RUMORD_RPC_HLEN))
			return r->err = -ENOMEM;
		n = copy_in(r, p, len, RUMORD_RPC_HLEN);
		if (r->have < RUMORD_RPC_HLEN)
			return (long)n;
		rc = rumord_rpc_parse_hdr(r->buf, &r->hdr);
		if (rc)
			return r->err = rc;
		/* Only now, within the op's bound, is room made for the body. */
		if (reserve(r, (size_t)r->hdr.len + 4))
			return r->err = -ENOMEM;
		r->size = (size_t)r->hdr.len + 4;
	}
	if (len > n)
		n += copy_in(r, p + n, len - n, r->size);
	return (long)n;
}

int rumord_rpc_reader_next(struct rumord_rpc_reader *r,
			   struct rumord_rpc_msg *m)
{
	int rc;

	if (r->err)
		return r->err;
	if (!r->size || r->have < r->size || r->taken)
		return 0;
	rc = rumord_rpc_decode(r->buf, r->size, m);
	if (rc)
		return r->err = rc;
	r->taken = true;
	return 1;
}
