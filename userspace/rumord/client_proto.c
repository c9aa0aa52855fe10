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
	case RUMORD_OP_RECORD:
	case RUMORD_OP_DONE:
	case RUMORD_OP_PEER:
	case RUMORD_OP_REPAIR_INFO:
		return true;
	}
	return false;
}

#define COUNT_FIELD(f)	+ 1
#define REPAIR_INFO_LEN	(8 * (0 RUMORD_CLIENT_REPAIR_ALL(COUNT_FIELD)))
#define PEER_FIXED_LEN	(RUMORD_CLIENT_PEER_HLEN + \
			 8 * (0 RUMORD_CLIENT_PEER_FIELDS(COUNT_FIELD)))

static size_t peer_error_len(const struct rumord_client_peer *p)
{
	return strnlen(p->error, RUMORD_CLIENT_ERR_MAX);
}

static size_t body_size(const struct rumord_client_msg *m)
{
	switch (m->op) {
	case RUMORD_OP_PUT:
		return 8 + m->key_len + m->value_len;
	case RUMORD_OP_GET:
	case RUMORD_OP_DEL:
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
		return PEER_FIXED_LEN + peer_error_len(&m->peer);
	case RUMORD_OP_REPAIR_INFO:
		return REPAIR_INFO_LEN;
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
	       op == RUMORD_OP_RECORD;
}

static int check_lengths(const struct rumord_client_msg *m)
{
	bool keyed = has_key(m->op) && m->op != RUMORD_OP_LIST;

	if (!has_key(m->op))
		return op_known(m->op) && !m->key_len && !m->value_len &&
		       !(m->peer.flags & ~RUMORD_PF_ALL) && m->peer.result <= 0 &&
		       m->peer.result >= -4095 ? 0 : -EINVAL;
	if (m->key_len > RUMORD_MAX_KEY ||
	    (keyed && !m->key_len) || m->value_len > RUMORD_MAX_VALUE ||
	    (m->key_len && !m->key) || (m->value_len && !m->value))
		return -EINVAL;
	return 0;
}

static void put_peer(uint8_t *b, const struct rumord_client_peer *p)
{
	size_t elen = peer_error_len(p);

	memcpy(b, p->addr, 16);
	rumord_put_le16(b + 16, p->port);
	b[18] = p->flags;
	b[19] = p->method;
	rumord_put_le32(b + 20, (uint32_t)p->result);
	rumord_put_le16(b + 24, (uint16_t)elen);
	b += RUMORD_CLIENT_PEER_HLEN;
#define PUT_FIELD(f)	rumord_put_le64(b, p->f); b += 8;
	RUMORD_CLIENT_PEER_FIELDS(PUT_FIELD)
#undef PUT_FIELD
	memcpy(b, p->error, elen);
}

static void put_repair(uint8_t *b, const struct rumord_client_repair *r)
{
#define PUT_FIELD(f)	rumord_put_le64(b, r->f); b += 8;
	RUMORD_CLIENT_REPAIR_ALL(PUT_FIELD)
#undef PUT_FIELD
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
		rumord_put_le32(b + 4, (uint32_t)v);
		b += 8;
		break;
	case RUMORD_OP_GET:
	case RUMORD_OP_DEL:
		rumord_put_le16(b, (uint16_t)k);
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
		return (long)(RUMORD_CLIENT_HLEN + len);
	case RUMORD_OP_REPAIR_STATUS:
		return RUMORD_CLIENT_HLEN;
	case RUMORD_OP_REPAIR_NOW:
		memcpy(b, m->peer.addr, 16);
		rumord_put_le16(b + 16, m->peer.port);
		return (long)(RUMORD_CLIENT_HLEN + len);
	case RUMORD_OP_PEER:
		put_peer(b, &m->peer);
		return (long)(RUMORD_CLIENT_HLEN + len);
	case RUMORD_OP_REPAIR_INFO:
		put_repair(b, &m->repair);
		return (long)(RUMORD_CLIENT_HLEN + len);
	}
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
	    h->len > RUMORD_CLIENT_MAX_BODY || (h->flags & ~RUMORD_CF_ALL))
		return -EPROTO;
	/* The repair requests have no flags. */
	if (h->flags && (h->op == RUMORD_OP_REPAIR_STATUS ||
			 h->op == RUMORD_OP_REPAIR_NOW))
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

/* A PEER body: every field in range, the error text without a NUL. */
static int get_peer(const uint8_t *b, uint32_t len, struct rumord_client_peer *p)
{
	size_t elen;

	if (len < PEER_FIXED_LEN)
		return -EPROTO;
	memcpy(p->addr, b, 16);
	p->port = rumord_get_le16(b + 16);
	p->flags = b[18];
	p->method = b[19];
	p->result = (int32_t)rumord_get_le32(b + 20);
	elen = rumord_get_le16(b + 24);
	if (rumord_get_le16(b + 26) || (p->flags & ~RUMORD_PF_ALL) ||
	    p->result > 0 || p->result < -4095 || elen > RUMORD_CLIENT_ERR_MAX ||
	    len != PEER_FIXED_LEN + elen)
		return -EPROTO;
	b += RUMORD_CLIENT_PEER_HLEN;
#define GET_FIELD(f)	p->f = rumord_get_le64(b); b += 8;
	RUMORD_CLIENT_PEER_FIELDS(GET_FIELD)
#undef GET_FIELD
	if (memchr(b, '\0', elen))
		return -EPROTO;
	memcpy(p->error, b, elen);
	p->error[elen] = '\0';
	return 0;
}

static void get_repair(const uint8_t *b, struct rumord_client_repair *r)
{
#define GET_FIELD(f)	r->f = rumord_get_le64(b); b += 8;
	RUMORD_CLIENT_REPAIR_ALL(GET_FIELD)
#undef GET_FIELD
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
		if (h->len < 8 || rumord_get_le16(b + 2))
			return -EPROTO;
		k = rumord_get_le16(b);
		v = rumord_get_le32(b + 4);
		rc = take(m, b, h->len, 8, k, v);
		break;
	case RUMORD_OP_GET:
	case RUMORD_OP_DEL:
		if (h->len < 4 || rumord_get_le16(b + 2))
			return -EPROTO;
		k = rumord_get_le16(b);
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
		return h->len ? -EPROTO : 0;
	case RUMORD_OP_REPAIR_NOW:
		if (h->len != RUMORD_CLIENT_NOW_LEN || rumord_get_le16(b + 18))
			return -EPROTO;
		memcpy(m->peer.addr, b, 16);
		m->peer.port = rumord_get_le16(b + 16);
		return 0;
	case RUMORD_OP_PEER:
		return get_peer(b, h->len, &m->peer);
	case RUMORD_OP_REPAIR_INFO:
		if (h->len != REPAIR_INFO_LEN)
			return -EPROTO;
		get_repair(b, &m->repair);
		return 0;
	default:
		return -EPROTO;
	}
	if (rc)
		return rc;
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
