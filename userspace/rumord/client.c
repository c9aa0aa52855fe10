// SPDX-License-Identifier: GPL-2.0
/*
 * The local client socket: rumorctl kv talks to rumord here (the protocol
 * is in client.h). Non-blocking, in the event loop. A connection has one
 * request in flight: its reply is written out before the next request is
 * read, so a client that does not read its replies only stalls itself.
 * A LIST is streamed in chunks, each from a fresh read of the store that
 * goes on after the last key sent. A REPAIR_NOW waits for its session:
 * the connection is watched only for the client going away meanwhile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "client.h"
#include "cluster.h"
#include "handoff.h"
#include "log.h"
#include "quorum.h"
#include "rumord.h"
#include "session.h"
#include "store.h"

#define CLIENTS_MAX	64
#define LIST_CHUNK	(256 << 10)	/* bytes of RECORDs per store read */
#define OUT_KEEP	(2 << 20)	/* larger output buffers are freed */
#define DRAIN_MAX	(4 << 20)	/* what a refused client may still send */

struct conn {
	struct rumord_watch w;
	struct rumord_clients *srv;
	struct conn *next, **pprev;

	/* The request being read. */
	uint8_t hdr[RUMORD_CLIENT_HLEN];
	size_t hdr_got;
	struct rumord_client_hdr h;
	uint8_t *body;
	size_t body_cap, body_got;

	/* Replies not yet written. */
	uint8_t *out;
	size_t out_cap, out_len, out_off;
	bool closing;		/* write out, then close */
	bool draining;		/* written out: reading to the client's end */
	size_t drained;
	bool waiting;		/* for a REPAIR_NOW's session, or a level's replicas */
	uint8_t quorum_op;	/* a request with a consistency level */
	uint32_t quorum_flags;	/* ... and flags */

	/* A LIST being streamed. */
	bool listing;
	uint32_t list_flags, list_limit;
	uint64_t list_sent;
	size_t prefix_len, last_len;
	bool has_last;
	uint8_t prefix[RUMORD_MAX_KEY], last[RUMORD_MAX_KEY];
};

struct rumord_clients {
	struct rumord *d;
	struct rumord_watch w;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct conn *conns;
	unsigned int nconns;
};

/* ---- output ---- */

static int out_reserve(struct conn *c, size_t more)
{
	size_t need = c->out_len + more, cap = c->out_cap ? c->out_cap : 4096;
	uint8_t *p;

	if (need <= c->out_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	p = realloc(c->out, cap);
	if (!p)
		return -ENOMEM;
	c->out = p;
	c->out_cap = cap;
	return 0;
}

static int out_msg(struct conn *c, const struct rumord_client_msg *m)
{
	size_t size = rumord_client_frame_size(m);
	long n;

	if (out_reserve(c, size))
		return -ENOMEM;
	n = rumord_client_encode(m, c->out + c->out_len, size);
	if (n < 0)
		return (int)n;
	c->out_len += (size_t)n;
	return 0;
}

/* The end of a reply. If even that cannot be queued, give up on the client. */
static void out_done(struct conn *c, int status,
		     const struct rumord_version *v, bool unchanged)
{
	struct rumord_client_msg m = {
		.op = RUMORD_OP_DONE,
		.status = status,
		.has_version = v != NULL,
		.unchanged = unchanged,
	};

	if (v)
		m.version = *v;
	if (out_msg(c, &m))
		c->closing = true;
}

static int out_record(struct conn *c, const struct rumord_record *rec)
{
	struct rumord_client_msg m = {
		.op = RUMORD_OP_RECORD,
		.key = rec->key,
		.key_len = rec->key_len,
		.value = rec->value,
		.value_len = rec->value_len,
		.has_version = true,
		.version = rec->version,
	};

	return out_msg(c, &m);
}

/* ---- requests ---- */

static void conn_want(struct conn *c, uint32_t events);

/* A request with a level is over: what happened, then as without one. */
static void quorum_done(void *arg, int status,
			const struct rumord_client_quorum *q,
			const struct rumord_record *rec)
{
	struct conn *c = arg;
	struct rumord_client_msg m = { .op = RUMORD_OP_QUORUM, .quorum = *q };
	bool write = c->quorum_op != RUMORD_OP_GET;

	c->waiting = false;
	if (out_msg(c, &m))
		c->closing = true;
	if (write) {
		out_done(c, status, rec && status != -EHOSTDOWN ? &rec->version : NULL,
			 status == -ESTALE);
	} else {
		if (status == -ENOENT && rec && (c->quorum_flags & RUMORD_CF_TOMBSTONES))
			status = 0;
		if (!status && rec)
			status = out_record(c, rec);
		out_done(c, status, NULL, false);
	}
	conn_want(c, EPOLLOUT);
}

static void do_quorum(struct conn *c, const struct rumord_client_msg *m)
{
	c->waiting = true;
	c->quorum_op = m->op;
	c->quorum_flags = m->flags;
	if (m->op == RUMORD_OP_GET)
		rumord_quorum_read(c->srv->d, m->key, m->key_len, m->level,
				   quorum_done, c);
	else
		rumord_quorum_write(c->srv->d, m->key, m->key_len, m->value,
				    m->value_len, m->op == RUMORD_OP_DEL, m->level,
				    m->flags & RUMORD_CF_STRICT, quorum_done, c);
}

static void do_put(struct conn *c, const struct rumord_client_msg *m)
{
	struct rumord *d = c->srv->d;
	struct rumord_record rec = {
		.key = m->key, .key_len = m->key_len,
		.value = m->value, .value_len = m->value_len,
	};
	int rc;

	rc = rumord_store_put(d->store, m->key, m->key_len, m->value,
			      m->value_len, &rec.version);
	if (rc < 0) {
		rumord_warn("put of a %zu-byte value failed: %s", m->value_len,
			    strerror(-rc));
		out_done(c, rc, NULL, false);
		return;
	}
	if (!rc) {
		/* A write stamped ahead of our clock holds the key. */
		out_done(c, -ESTALE, &rec.version, true);
		return;
	}
	rumord_publish(d, &rec);
	out_done(c, 0, &rec.version, false);
}

static void do_del(struct conn *c, const struct rumord_client_msg *m)
{
	struct rumord *d = c->srv->d;
	struct rumord_record rec = { .key = m->key, .key_len = m->key_len };
	int rc;

	rc = rumord_store_del(d->store, m->key, m->key_len, &rec.version);
	if (rc < 0) {
		rumord_warn("delete failed: %s", strerror(-rc));
		out_done(c, rc, NULL, false);
		return;
	}
	if (!rc && !rec.version.tombstone) {
		out_done(c, -ESTALE, &rec.version, true);
		return;
	}
	if (rc)
		rumord_publish(d, &rec);
	out_done(c, 0, &rec.version, rc == 0);
}

static void do_get(struct conn *c, const struct rumord_client_msg *m)
{
	struct rumord_record rec;
	int rc;

	rc = rumord_store_get(c->srv->d->store, m->key, m->key_len, &rec);
	if (rc == 1 && rec.version.tombstone &&
	    !(m->flags & RUMORD_CF_TOMBSTONES))
		rc = 0;
	if (rc == 0)
		rc = -ENOENT;
	else if (rc == 1)
		rc = out_record(c, &rec);
	out_done(c, rc, NULL, false);
}

static int list_cb(const struct rumord_record *rec, void *arg)
{
	struct conn *c = arg;

	/* A full chunk: stop here, go on after the last key once written. */
	if (c->out_len >= LIST_CHUNK)
		return 1;
	if (out_record(c, rec))
		return -ENOMEM;
	memcpy(c->last, rec->key, rec->key_len);
	c->last_len = rec->key_len;
	c->has_last = true;
	c->list_sent++;
	return c->list_limit && c->list_sent >= c->list_limit ? 2 : 0;
}

/* The next chunk of a LIST, and its end when there is no more. */
static void list_more(struct conn *c)
{
	int rc;

	rc = rumord_store_list(c->srv->d->store, c->prefix, c->prefix_len,
			       c->has_last ? c->last : NULL, c->last_len,
			       c->list_flags & RUMORD_CF_TOMBSTONES, list_cb, c);
	if (rc == 1)
		return;
	c->listing = false;
	out_done(c, rc < 0 ? rc : 0, NULL, false);
}

static void do_list(struct conn *c, const struct rumord_client_msg *m)
{
	if (m->key_len)
		memcpy(c->prefix, m->key, m->key_len);
	c->prefix_len = m->key_len;
	c->has_last = false;
	c->last_len = 0;
	c->list_flags = m->flags;
	c->list_limit = m->limit;
	c->list_sent = 0;
	c->listing = true;
	list_more(c);
}

static int out_peer(void *arg, const struct rumord_client_peer *p)
{
	struct rumord_client_msg m = { .op = RUMORD_OP_PEER, .peer = *p };

	return out_msg(arg, &m);
}

static void quorum_info(struct rumord *d, struct rumord_client_repair *r)
{
	const struct rumord_quorum_stats *q = rumord_quorum_stats(d);
	size_t up = 0, down = 0;

	if (d->cluster)
		rumord_members_counts(rumord_cluster_members(d), &up, &down);
	r->members_up = up;
	r->members_down = down;
	r->quorum_writes = q->writes;
	r->quorum_writes_failed = q->writes_failed;
	r->quorum_reads = q->reads;
	r->quorum_reads_failed = q->reads_failed;
	r->digest_mismatches = q->digest_mismatches;
	r->read_repairs = q->read_repairs;
	r->stand_ins = q->stand_ins;
	r->hints_stored = q->hints_stored;
}

static void do_repair_status(struct conn *c)
{
	struct rumord_client_msg m = { .op = RUMORD_OP_REPAIR_INFO };
	int rc;

	rumord_sessions_info(c->srv->d, &m.repair);
	quorum_info(c->srv->d, &m.repair);
	rc = out_msg(c, &m);
	if (!rc)
		rc = rumord_sessions_foreach(c->srv->d, out_peer, c);
	out_done(c, rc, NULL, false);
}

static int out_node(void *arg, const struct rumord_client_node *n)
{
	struct rumord_client_msg m = { .op = RUMORD_OP_NODE, .node = *n };

	return out_msg(arg, &m);
}

static int out_hint_target(void *arg, const struct rumord_client_hint_target *t)
{
	struct rumord_client_msg m = { .op = RUMORD_OP_HINT_TARGET, .hint = *t };

	return out_msg(arg, &m);
}

static void do_hints(struct conn *c)
{
	struct rumord_client_msg m = { .op = RUMORD_OP_HINTS_INFO };
	int rc;

	rc = rumord_handoff_foreach(c->srv->d, out_hint_target, c);
	if (!rc) {
		rumord_handoff_info(c->srv->d, &m.hints);
		rc = out_msg(c, &m);
	}
	out_done(c, rc, NULL, false);
}

static void do_nodes(struct conn *c, const struct rumord_client_msg *m)
{
	int rc;

	if (m->op == RUMORD_OP_WHERE)
		rc = rumord_quorum_where(c->srv->d, m->key, m->key_len, m->level,
					 out_node, c);
	else
		rc = rumord_quorum_nodes(c->srv->d, out_node, c);
	out_done(c, rc, NULL, false);
}

/* The session of a REPAIR_NOW is over: its figures, then the reply's end. */
static void repair_now_done(void *arg, int status,
			    const struct rumord_client_peer *fig)
{
	struct conn *c = arg;

	c->waiting = false;
	if (out_peer(c, fig))
		c->closing = true;
	out_done(c, status, NULL, false);
	/* The loop writes it out, then reads the next request. */
	conn_want(c, EPOLLOUT);
}

static void do_repair_now(struct conn *c, const struct rumord_client_msg *m)
{
	int rc;

	rc = rumord_session_now(c->srv->d, m->peer.addr, m->peer.port,
				repair_now_done, c);
	if (rc) {
		out_done(c, rc, NULL, false);
		return;
	}
	c->waiting = true;
}

static void handle(struct conn *c)
{
	struct rumord_client_msg m;

	if (rumord_client_decode(&c->h, c->body, &m)) {
		rumord_debug("client sent a malformed request; closing it");
		out_done(c, -EPROTO, NULL, false);
		c->closing = true;
		return;
	}
	if (m.level && (m.op == RUMORD_OP_PUT || m.op == RUMORD_OP_GET ||
			m.op == RUMORD_OP_DEL)) {
		do_quorum(c, &m);
		return;
	}
	switch (m.op) {
	case RUMORD_OP_HINTS:
		do_hints(c);
		break;
	case RUMORD_OP_NODES:
	case RUMORD_OP_WHERE:
		do_nodes(c, &m);
		break;
	case RUMORD_OP_PUT:
		do_put(c, &m);
		break;
	case RUMORD_OP_GET:
		do_get(c, &m);
		break;
	case RUMORD_OP_DEL:
		do_del(c, &m);
		break;
	case RUMORD_OP_LIST:
		do_list(c, &m);
		break;
	case RUMORD_OP_REPAIR_STATUS:
		do_repair_status(c);
		break;
	case RUMORD_OP_REPAIR_NOW:
		do_repair_now(c, &m);
		break;
	default:
		/* Replies are ours to send. */
		out_done(c, -EPROTO, NULL, false);
		c->closing = true;
	}
}

/* ---- one connection ---- */

static void conn_close(struct conn *c)
{
	if (c->waiting) {
		rumord_session_unwait(c->srv->d, c);
		rumord_quorum_unwait(c->srv->d, c);
	}
	rumord_watch_del(c->srv->d, &c->w);
	close(c->w.fd);
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	c->srv->nconns--;
	free(c->body);
	free(c->out);
	free(c);
}

/*
 * Read toward one whole request: 1 when it is there, 0 when more must
 * come, -1 at the end of the stream, on an error or a bad header.
 */
static int conn_read(struct conn *c)
{
	ssize_t n;

	while (c->hdr_got < RUMORD_CLIENT_HLEN) {
		n = read(c->w.fd, c->hdr + c->hdr_got,
			 RUMORD_CLIENT_HLEN - c->hdr_got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		c->hdr_got += (size_t)n;
		if (c->hdr_got < RUMORD_CLIENT_HLEN)
			continue;
		if (rumord_client_parse_hdr(c->hdr, &c->h)) {
			out_done(c, -EPROTO, NULL, false);
			c->closing = true;
			return 0;
		}
		if (c->h.len > c->body_cap) {
			uint8_t *p = realloc(c->body, c->h.len);

			if (!p)
				return -1;
			c->body = p;
			c->body_cap = c->h.len;
		}
		c->body_got = 0;
	}
	while (c->body_got < c->h.len) {
		n = read(c->w.fd, c->body + c->body_got, c->h.len - c->body_got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		c->body_got += (size_t)n;
	}
	c->hdr_got = 0;
	return 1;
}

/* Write what is queued: 1 when all of it went, 0 when the socket is full. */
static int conn_flush(struct conn *c)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = send(c->w.fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return -1;
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	if (c->out_cap > OUT_KEEP) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
	return 1;
}

/*
 * A refused client gets its DONE -EPROTO, but closing at once with its
 * request still unread would reset the connection and lose that reply:
 * shut our side, then read (and drop) until the client closes its own.
 * 1 when the client is done, 0 to wait for more.
 */
static int conn_drain(struct conn *c)
{
	uint8_t buf[4096];
	ssize_t n;

	if (!c->draining) {
		shutdown(c->w.fd, SHUT_WR);
		c->draining = true;
	}
	for (;;) {
		n = read(c->w.fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return 1;
		c->drained += (size_t)n;
		if (c->drained > DRAIN_MAX)
			return 1;
	}
}

static void conn_want(struct conn *c, uint32_t events)
{
	if (c->w.events != events && rumord_watch_mod(c->srv->d, &c->w, events))
		c->closing = true;
}

static void conn_event(struct rumord *d, struct rumord_watch *w, uint32_t events)
{
	struct conn *c = (struct conn *)((char *)w - offsetof(struct conn, w));
	int rc;

	(void)d;
	if (events & EPOLLERR) {
		conn_close(c);
		return;
	}
	if (c->waiting) {
		/* Only a hangup wakes a waiting connection: it gives up. */
		if (events & (EPOLLHUP | EPOLLRDHUP))
			conn_close(c);
		return;
	}
	for (;;) {
		rc = conn_flush(c);
		if (rc < 0)
			break;
		if (!rc) {
			conn_want(c, EPOLLOUT);
			return;
		}
		if (c->listing) {
			list_more(c);
			continue;
		}
		if (c->closing) {
			if (conn_drain(c))
				break;
			conn_want(c, EPOLLIN);
			return;
		}
		rc = conn_read(c);
		if (rc < 0)
			break;
		if (rc == 0 && !c->out_len) {
			conn_want(c, EPOLLIN);
			return;
		}
		if (rc == 1)
			handle(c);
		if (c->waiting) {
			conn_want(c, EPOLLRDHUP);
			return;
		}
	}
	conn_close(c);
}

/* ---- the listening socket ---- */

static void accept_event(struct rumord *d, struct rumord_watch *w,
			 uint32_t events)
{
	struct rumord_clients *srv =
		(struct rumord_clients *)((char *)w - offsetof(struct rumord_clients, w));
	struct conn *c;
	int fd;

	(void)events;
	for (;;) {
		fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				rumord_warn("accept on %s: %s", srv->path,
					    strerror(errno));
			return;
		}
		if (srv->nconns >= CLIENTS_MAX ||
		    !(c = calloc(1, sizeof(*c)))) {
			rumord_warn("too many clients (%u); turning one away",
				    srv->nconns);
			close(fd);
			continue;
		}
		c->srv = srv;
		c->w.fd = fd;
		c->w.fn = conn_event;
		if (rumord_watch_add(d, &c->w, EPOLLIN)) {
			close(fd);
			free(c);
			continue;
		}
		c->next = srv->conns;
		if (c->next)
			c->next->pprev = &c->next;
		c->pprev = &srv->conns;
		srv->conns = c;
		srv->nconns++;
	}
}

/*
 * A socket file left by a rumord that died is taken over; one that
 * answers belongs to a rumord still running.
 */
static int take_path(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(sun.sun_path, path);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (!rc)
		return -EADDRINUSE;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(sun.sun_path)];
	int fd, rc;

	strcpy(dir, path);
	/* The default's directory, /run/rumord, may not exist yet. */
	if (mkdir(dirname(dir), 0755) && errno != EEXIST)
		return -errno;
	rc = take_path(path);
	if (rc)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(sun.sun_path, path);
	/* Owner only, set before listen() so no one connects in between. */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    chmod(path, 0600) || listen(fd, 64)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int rumord_clients_open(struct rumord *d, const char *path,
			struct rumord_clients **out)
{
	struct rumord_clients *srv;
	int fd, rc;

	if (strlen(path) >= sizeof(srv->path))
		return -ENAMETOOLONG;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->d = d;
	strcpy(srv->path, path);
	fd = listen_unix(path);
	if (fd < 0) {
		free(srv);
		return fd;
	}
	srv->w.fd = fd;
	srv->w.fn = accept_event;
	rc = rumord_watch_add(d, &srv->w, EPOLLIN);
	if (rc) {
		close(fd);
		unlink(path);
		free(srv);
		return rc;
	}
	*out = srv;
	return 0;
}

void rumord_clients_close(struct rumord_clients *srv)
{
	if (!srv)
		return;
	while (srv->conns)
		conn_close(srv->conns);
	rumord_watch_del(srv->d, &srv->w);
	close(srv->w.fd);
	unlink(srv->path);
	free(srv);
}
