// SPDX-License-Identifier: GPL-2.0
/*
 * The client protocol's frames (client.h), for rumord and rumorctl alike.
 * Decoding checks every length against the body before use: the daemon
 * runs it on whatever a local process sends.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "client.h"
#include "le.h"

static bool op_known(uint8_t op)
{
	switch (op) {
	case RUMORD_OP_PUT:
	case RUMORD_OP_GET:
	case RUMORD_OP_DEL:
	case RUMORD_OP_LIST:
	case RUMORD_OP_REPAIR_STATUS:
	case RUMORD_OP_REPAIR_NOW:
	case RUMORD_OP_HINTS:
	case RUMORD_OP_NODES:
	case RUMORD_OP_WHERE:
	case RUMORD_OP_RECORD:
	case RUMORD_OP_DONE:
	case RUMORD_OP_PEER:
	case RUMORD_OP_REPAIR_INFO:
	case RUMORD_OP_QUORUM:
	case RUMORD_OP_HINT_TARGET:
	case RUMORD_OP_HINTS_INFO:
	case RUMORD_OP_NODE:
		return true;
	}
	return false;
}

/*
 * The flags an op may carry. Only GET and LIST read TOMBSTONES, but the
 * other ops that came before STRICT never refused it and still take it,
 * so that no client that worked stops working. STRICT is for PUT and DEL
 * with a level (level_ok()); the ops that came with it take no flag.
 */
static bool flags_ok(uint8_t op, uint32_t flags)
{
	if (flags & ~RUMORD_CF_ALL)
		return false;
	switch (op) {
	case RUMORD_OP_PUT:
	case RUMORD_OP_DEL:
		return true;
	case RUMORD_OP_GET:
	case RUMORD_OP_LIST:
	case RUMORD_OP_RECORD:
	case RUMORD_OP_DONE:
	case RUMORD_OP_PEER:
	case RUMORD_OP_REPAIR_INFO:
		return !(flags & RUMORD_CF_STRICT);
	}
	return !flags;
}

/* The ops with a level (WHERE: n), a u16 after the key's length. */
static bool has_level(uint8_t op)
{
	return op == RUMORD_OP_PUT || op == RUMORD_OP_GET ||
	       op == RUMORD_OP_DEL || op == RUMORD_OP_WHERE;
}

static bool level_ok(uint8_t op, uint16_t level, uint32_t flags)
{
	if (level > (has_level(op) ? RUMORD_CLIENT_MAX_LEVEL : 0))
		return false;
	/* Stand-ins are a matter for a coordinated write only. */
	return !(flags & RUMORD_CF_STRICT) || level;
}

/* The bytes of a list of u64 fields (RUMORD_CLIENT_*_FIELDS). */
#define COUNT_FIELD(f)	+ 1
#define U64S_LEN(list)	(8 * (0 list(COUNT_FIELD)))

#define REPAIR_INFO_LEN	U64S_LEN(RUMORD_CLIENT_REPAIR_ALL)
#define PEER_FIXED_LEN	(RUMORD_CLIENT_PEER_HLEN + \
			 U64S_LEN(RUMORD_CLIENT_PEER_FIELDS))
#define QUORUM_FIXED_LEN U64S_LEN(RUMORD_CLIENT_QUORUM_FIELDS)
#define ADDR_HLEN	24	/* a HINT_TARGET or NODE body before its u64s */
#define HINT_TARGET_LEN	(ADDR_HLEN + U64S_LEN(RUMORD_CLIENT_HINT_FIELDS))
#define HINTS_INFO_LEN	U64S_LEN(RUMORD_CLIENT_HINTS_INFO_FIELDS)
#define NODE_LEN	(ADDR_HLEN + U64S_LEN(RUMORD_CLIENT_NODE_FIELDS))

/*
 * The u64 fields of a struct, for its X-macro list: from *s to the bytes
 * at b and back, b moving on.
 */
#define PUT_FIELD(f)	rumord_put_le64(b, s->f); b += 8;
#define GET_FIELD(f)	s->f = rumord_get_le64(b); b += 8;

/* PEER's error, QUORUM's text: at most RUMORD_CLIENT_ERR_MAX bytes. */
static size_t text_len(const char *t)
{
	return strnlen(t, RUMORD_CLIENT_ERR_MAX);
}

static size_t body_size(const struct rumord_client_msg *m)
{
	switch (m->op) {
	case RUMORD_OP_PUT:
		return 8 + m->key_len + m->value_len;
	case RUMORD_OP_GET:
	case RUMORD_OP_DEL:
	case RUMORD_OP_WHERE:
		return 4 + m->key_len;
	case RUMORD_OP_LIST:
		return 8 + m->key_len;
	case RUMORD_OP_RECORD:
		return RUMORD_CLIENT_REC_HLEN + m->key_len + m->value_len;
	case RUMORD_OP_DONE:
		return m->has_version ? 32 : 0;
	case RUMORD_OP_REPAIR_NOW:
		return RUMORD_CLIENT_NOW_LEN;
	case RUMORD_OP_PEER:
		return PEER_FIXED_LEN + text_len(m->peer.error);
	case RUMORD_OP_REPAIR_INFO:
		return REPAIR_INFO_LEN;
	case RUMORD_OP_QUORUM:
		return QUORUM_FIXED_LEN + text_len(m->quorum.text);
	case RUMORD_OP_HINT_TARGET:
		return HINT_TARGET_LEN;
	case RUMORD_OP_HINTS_INFO:
		return HINTS_INFO_LEN;
	case RUMORD_OP_NODE:
		return NODE_LEN;
	}
	return 0;
}

size_t rumord_client_frame_size(const struct rumord_client_msg *m)
{
	return RUMORD_CLIENT_HLEN + body_size(m);
}

static uint32_t rflags(const struct rumord_client_msg *m)
{
	return (m->version.tombstone ? RUMORD_RF_TOMBSTONE : 0) |
	       (m->unchanged ? RUMORD_RF_UNCHANGED : 0);
}

static void put_version(uint8_t *p, const struct rumord_client_msg *m)
{
	rumord_put_le64(p, m->version.hlc);
	rumord_put_le64(p + 8, m->version.dot.node);
	rumord_put_le64(p + 16, m->version.dot.counter);
	rumord_put_le32(p + 24, rflags(m));
}

/* The ops whose body has a key (or, for LIST, a prefix) and a value. */
static bool has_key(uint8_t op)
{
	return op == RUMORD_OP_PUT || op == RUMORD_OP_GET ||
	       op == RUMORD_OP_DEL || op == RUMORD_OP_LIST ||
	       op == RUMORD_OP_RECORD || op == RUMORD_OP_WHERE;
}

/* The fields of replies that decode checks the range of. */
static bool ranges_ok(const struct rumord_client_msg *m)
{
	return !(m->peer.flags & ~RUMORD_PF_ALL) && m->peer.result <= 0 &&
	       m->peer.result >= -4095 && m->node.state <= RUMORD_NS_DOWN &&
	       !(m->node.flags & ~RUMORD_NF_ALL);
}

/* Lengths, flags, levels and ranges that decode would refuse. */
static int check_lengths(const struct rumord_client_msg *m)
{
	bool keyed = has_key(m->op) && m->op != RUMORD_OP_LIST;
	bool valued = m->op == RUMORD_OP_PUT || m->op == RUMORD_OP_RECORD;

	if (!op_known(m->op) || !flags_ok(m->op, m->flags) ||
	    !level_ok(m->op, m->level, m->flags))
		return -EINVAL;
	if (!has_key(m->op))
		return !m->key_len && !m->value_len && ranges_ok(m) ? 0 : -EINVAL;
	if (m->key_len > RUMORD_MAX_KEY ||
	    (keyed && !m->key_len) || m->value_len > RUMORD_MAX_VALUE ||
	    (m->value_len && !valued) ||
	    (m->key_len && !m->key) || (m->value_len && !m->value))
		return -EINVAL;
	return 0;
}

/* REPAIR_NOW, PEER, HINT_TARGET and NODE begin with an address and port. */
static void put_addr(uint8_t *b, const uint8_t *addr, uint16_t port)
{
	memcpy(b, addr, 16);
	rumord_put_le16(b + 16, port);
}

static void get_addr(const uint8_t *b, uint8_t *addr, uint16_t *port)
{
	memcpy(addr, b, 16);
	*port = rumord_get_le16(b + 16);
}

static void put_peer(uint8_t *b, const struct rumord_client_peer *s)
{
	size_t elen = text_len(s->error);

	put_addr(b, s->addr, s->port);
	b[18] = s->flags;
	b[19] = s->method;
	rumord_put_le32(b + 20, (uint32_t)s->result);
	rumord_put_le16(b + 24, (uint16_t)elen);
	b += RUMORD_CLIENT_PEER_HLEN;
	RUMORD_CLIENT_PEER_FIELDS(PUT_FIELD)
	memcpy(b, s->error, elen);
}

static void put_repair(uint8_t *b, const struct rumord_client_repair *s)
{
	RUMORD_CLIENT_REPAIR_ALL(PUT_FIELD)
}

static void put_quorum(uint8_t *b, const struct rumord_client_quorum *s)
{
	RUMORD_CLIENT_QUORUM_FIELDS(PUT_FIELD)
	memcpy(b, s->text, text_len(s->text));
}

static void put_hint(uint8_t *b, const struct rumord_client_hint_target *s)
{
	put_addr(b, s->addr, s->port);
	b += ADDR_HLEN;
	RUMORD_CLIENT_HINT_FIELDS(PUT_FIELD)
}

static void put_hints_info(uint8_t *b, const struct rumord_client_hints_info *s)
{
	RUMORD_CLIENT_HINTS_INFO_FIELDS(PUT_FIELD)
}

static void put_node(uint8_t *b, const struct rumord_client_node *s)
{
	put_addr(b, s->addr, s->port);
	b[18] = s->state;
	b[19] = s->flags;
	b += ADDR_HLEN;
	RUMORD_CLIENT_NODE_FIELDS(PUT_FIELD)
}

long rumord_client_encode(const struct rumord_client_msg *m, void *buf,
			  size_t size)
{
	uint8_t *p = buf, *b = p + RUMORD_CLIENT_HLEN;
	size_t len, k = m->key_len, v = m->value_len;

	if (check_lengths(m))
		return -EINVAL;
	len = body_size(m);
	if (RUMORD_CLIENT_HLEN + len > size)
		return -EMSGSIZE;
	memset(p, 0, RUMORD_CLIENT_HLEN + len - k - v);
	rumord_put_le32(p, (uint32_t)len);
	rumord_put_le16(p + 4, RUMORD_CLIENT_MAGIC);
	p[6] = RUMORD_CLIENT_VERSION;
	p[7] = m->op;
	rumord_put_le32(p + 8, (uint32_t)m->status);
	rumord_put_le32(p + 12, m->flags);
	switch (m->op) {
	case RUMORD_OP_PUT:
		rumord_put_le16(b, (uint16_t)k);
		rumord_put_le16(b + 2, m->level);
		rumord_put_le32(b + 4, (uint32_t)v);
		b += 8;
		break;
	case RUMORD_OP_GET:
	case RUMORD_OP_DEL:
	case RUMORD_OP_WHERE:
		rumord_put_le16(b, (uint16_t)k);
		rumord_put_le16(b + 2, m->level);
		b += 4;
		break;
	case RUMORD_OP_LIST:
		rumord_put_le16(b, (uint16_t)k);
		rumord_put_le32(b + 4, m->limit);
		b += 8;
		break;
	case RUMORD_OP_RECORD:
		put_version(b, m);
		rumord_put_le16(b + 28, (uint16_t)k);
		rumord_put_le32(b + 32, (uint32_t)v);
		b += RUMORD_CLIENT_REC_HLEN;
		break;
	case RUMORD_OP_DONE:
		if (m->has_version)
			put_version(b, m);
		break;
	case RUMORD_OP_REPAIR_NOW:
		put_addr(b, m->peer.addr, m->peer.port);
		break;
	case RUMORD_OP_PEER:
		put_peer(b, &m->peer);
		break;
	case RUMORD_OP_REPAIR_INFO:
		put_repair(b, &m->repair);
		break;
	case RUMORD_OP_QUORUM:
		put_quorum(b, &m->quorum);
		break;
	case RUMORD_OP_HINT_TARGET:
		put_hint(b, &m->hint);
		break;
	case RUMORD_OP_HINTS_INFO:
		put_hints_info(b, &m->hints);
		break;
	case RUMORD_OP_NODE:
		put_node(b, &m->node);
		break;
	}
	/* Only the keyed ops have a k or v (check_lengths()). */
	if (k)
		memcpy(b, m->key, k);
	if (v)
		memcpy(b + k, m->value, v);
	return (long)(RUMORD_CLIENT_HLEN + len);
}

int rumord_client_parse_hdr(const void *buf, struct rumord_client_hdr *h)
{
	const uint8_t *p = buf;

	h->len = rumord_get_le32(p);
	h->op = p[7];
	h->status = (int32_t)rumord_get_le32(p + 8);
	h->flags = rumord_get_le32(p + 12);
	if (rumord_get_le16(p + 4) != RUMORD_CLIENT_MAGIC ||
	    p[6] != RUMORD_CLIENT_VERSION || !op_known(h->op) ||
	    h->len > RUMORD_CLIENT_MAX_BODY || !flags_ok(h->op, h->flags))
		return -EPROTO;
	return 0;
}

static void get_version(const uint8_t *p, struct rumord_client_msg *m)
{
	uint32_t f = rumord_get_le32(p + 24);

	m->has_version = true;
	m->version.hlc = rumord_get_le64(p);
	m->version.dot.node = rumord_get_le64(p + 8);
	m->version.dot.counter = rumord_get_le64(p + 16);
	m->version.tombstone = f & RUMORD_RF_TOMBSTONE;
	m->unchanged = f & RUMORD_RF_UNCHANGED;
}

/* The fixed part of a body is @fixed bytes; then @k + @v bytes exactly. */
static int take(struct rumord_client_msg *m, const uint8_t *b, uint32_t len,
		size_t fixed, size_t k, size_t v)
{
	if (len != fixed + k + v)
		return -EPROTO;
	m->key = k ? b + fixed : NULL;
	m->key_len = k;
	m->value = v ? b + fixed + k : NULL;
	m->value_len = v;
	return 0;
}

/* @len bytes of text at @b, inside the body: without NUL, not too long. */
static int get_text(char *t, const uint8_t *b, size_t len)
{
	if (len > RUMORD_CLIENT_ERR_MAX || memchr(b, '\0', len))
		return -EPROTO;
	memcpy(t, b, len);
	t[len] = '\0';
	return 0;
}

/* A PEER body: every field in range, the error text without a NUL. */
static int get_peer(const uint8_t *b, uint32_t len,
		    struct rumord_client_peer *s)
{
	size_t elen;

	if (len < PEER_FIXED_LEN)
		return -EPROTO;
	get_addr(b, s->addr, &s->port);
	s->flags = b[18];
	s->method = b[19];
	s->result = (int32_t)rumord_get_le32(b + 20);
	elen = rumord_get_le16(b + 24);
	if (rumord_get_le16(b + 26) || (s->flags & ~RUMORD_PF_ALL) ||
	    s->result > 0 || s->result < -4095 || len != PEER_FIXED_LEN + elen)
		return -EPROTO;
	b += RUMORD_CLIENT_PEER_HLEN;
	RUMORD_CLIENT_PEER_FIELDS(GET_FIELD)
	return get_text(s->error, b, elen);
}

static int get_repair(const uint8_t *b, uint32_t len,
		      struct rumord_client_repair *s)
{
	if (len != REPAIR_INFO_LEN)
		return -EPROTO;
	RUMORD_CLIENT_REPAIR_ALL(GET_FIELD)
	return 0;
}

/* A QUORUM body: its figures, then the rest of the body is the text. */
static int get_quorum(const uint8_t *b, uint32_t len,
		      struct rumord_client_quorum *s)
{
	if (len < QUORUM_FIXED_LEN)
		return -EPROTO;
	RUMORD_CLIENT_QUORUM_FIELDS(GET_FIELD)
	return get_text(s->text, b, len - QUORUM_FIXED_LEN);
}

static int get_hint(const uint8_t *b, uint32_t len,
		    struct rumord_client_hint_target *s)
{
	if (len != HINT_TARGET_LEN || rumord_get_le16(b + 18) ||
	    rumord_get_le32(b + 20))
		return -EPROTO;
	get_addr(b, s->addr, &s->port);
	b += ADDR_HLEN;
	RUMORD_CLIENT_HINT_FIELDS(GET_FIELD)
	return 0;
}

static int get_hints_info(const uint8_t *b, uint32_t len,
			  struct rumord_client_hints_info *s)
{
	if (len != HINTS_INFO_LEN)
		return -EPROTO;
	RUMORD_CLIENT_HINTS_INFO_FIELDS(GET_FIELD)
	return 0;
}

static int get_node(const uint8_t *b, uint32_t len,
		    struct rumord_client_node *s)
{
	if (len != NODE_LEN || b[18] > RUMORD_NS_DOWN ||
	    (b[19] & ~RUMORD_NF_ALL) || rumord_get_le32(b + 20))
		return -EPROTO;
	get_addr(b, s->addr, &s->port);
	s->state = b[18];
	s->flags = b[19];
	b += ADDR_HLEN;
	RUMORD_CLIENT_NODE_FIELDS(GET_FIELD)
	return 0;
}

int rumord_client_decode(const struct rumord_client_hdr *h, const void *body,
			 struct rumord_client_msg *m)
{
	const uint8_t *b = body;
	size_t k = 0, v = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	m->op = h->op;
	m->status = h->status;
	m->flags = h->flags;
	/* Only DONE carries a status; errors are negative errnos. */
	if ((h->op != RUMORD_OP_DONE && h->status) || h->status > 0 ||
	    h->status < -4095)
		return -EPROTO;
	switch (h->op) {
	case RUMORD_OP_PUT:
		if (h->len < 8)
			return -EPROTO;
		k = rumord_get_le16(b);
		m->level = rumord_get_le16(b + 2);
		v = rumord_get_le32(b + 4);
		rc = take(m, b, h->len, 8, k, v);
		break;
	case RUMORD_OP_GET:
	case RUMORD_OP_DEL:
	case RUMORD_OP_WHERE:
		if (h->len < 4)
			return -EPROTO;
		k = rumord_get_le16(b);
		m->level = rumord_get_le16(b + 2);
		rc = take(m, b, h->len, 4, k, 0);
		break;
	case RUMORD_OP_LIST:
		if (h->len < 8 || rumord_get_le16(b + 2))
			return -EPROTO;
		k = rumord_get_le16(b);
		m->limit = rumord_get_le32(b + 4);
		rc = take(m, b, h->len, 8, k, 0);
		break;
	case RUMORD_OP_RECORD:
		if (h->len < RUMORD_CLIENT_REC_HLEN || rumord_get_le16(b + 30) ||
		    rumord_get_le32(b + 36))
			return -EPROTO;
		get_version(b, m);
		k = rumord_get_le16(b + 28);
		v = rumord_get_le32(b + 32);
		rc = take(m, b, h->len, RUMORD_CLIENT_REC_HLEN, k, v);
		break;
	case RUMORD_OP_DONE:
		if (h->len == 32 && !rumord_get_le32(b + 28))
			get_version(b, m);
		else if (h->len)
			return -EPROTO;
		return 0;
	case RUMORD_OP_REPAIR_STATUS:
	case RUMORD_OP_HINTS:
	case RUMORD_OP_NODES:
		return h->len ? -EPROTO : 0;
	case RUMORD_OP_REPAIR_NOW:
		if (h->len != RUMORD_CLIENT_NOW_LEN || rumord_get_le16(b + 18))
			return -EPROTO;
		get_addr(b, m->peer.addr, &m->peer.port);
		return 0;
	case RUMORD_OP_PEER:
		return get_peer(b, h->len, &m->peer);
	case RUMORD_OP_REPAIR_INFO:
		return get_repair(b, h->len, &m->repair);
	case RUMORD_OP_QUORUM:
		return get_quorum(b, h->len, &m->quorum);
	case RUMORD_OP_HINT_TARGET:
		return get_hint(b, h->len, &m->hint);
	case RUMORD_OP_HINTS_INFO:
		return get_hints_info(b, h->len, &m->hints);
	case RUMORD_OP_NODE:
		return get_node(b, h->len, &m->node);
	default:
		return -EPROTO;
	}
	if (rc)
		return rc;
	if (!level_ok(h->op, m->level, h->flags))
		return -EPROTO;
	if (h->op != RUMORD_OP_LIST && (!k || k > RUMORD_MAX_KEY))
		return -EPROTO;
	if (k > RUMORD_MAX_KEY || v > RUMORD_MAX_VALUE)
		return -EPROTO;
	if (h->op == RUMORD_OP_RECORD && m->version.tombstone && v)
		return -EPROTO;
	return 0;
}

static int same_file(const char *path, const struct stat *self)
{
	struct stat st;

	return !stat(path, &st) && st.st_dev == self->st_dev &&
	       st.st_ino == self->st_ino;
}

int rumord_netns_name(char *buf, size_t len)
{
	struct dirent *de;
	struct stat self, init;
	char path[512];
	DIR *d;
	int n;

	if (stat("/proc/self/ns/net", &self))
		return -errno;
	d = opendir("/run/netns");
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
			if (!same_file(path, &self))
				continue;
			n = snprintf(buf, len, "%s", de->d_name);
			closedir(d);
			return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
		}
		closedir(d);
	}
	/*
	 * Unnamed: the initial namespace, as far as we can tell (init's, or
	 * init is out of sight), or another one, named by its inode.
	 */
	if (stat("/proc/1/ns/net", &init) || (init.st_dev == self.st_dev &&
					       init.st_ino == self.st_ino))
		n = snprintf(buf, len, "default");
	else
		n = snprintf(buf, len, "ns-%llu", (unsigned long long)self.st_ino);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int rumord_default_socket(char *buf, size_t len)
{
	char name[256];
	int n, rc;

	rc = rumord_netns_name(name, sizeof(name));
	if (rc)
		return rc;
	n = snprintf(buf, len, "%s/%s.sock", RUMORD_RUN_DIR, name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
