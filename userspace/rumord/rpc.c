// SPDX-License-Identifier: GPL-2.0
/*
 * The replica protocol on sockets (rpc.h). Incoming: the listener hands
 * over a connection once its first bytes are ours (main.c sniffs them);
 * each request is answered at once by the replica side, in order. Outgoing:
 * one connection per node, opened on the first call and kept while used;
 * calls are pipelined on it and matched to replies by id. A call ends
 * exactly once: its reply, an ERROR, the connection's failure or its
 * deadline. Replies are queued and sent from the event loop, never from
 * within a call, so that no callback runs inside its caller.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "log.h"
#include "rpc.h"
#include "rumord.h"

#define SWEEP_MS	10000	/* idle connections are looked for this often */

struct outq {
	uint8_t *p;
	size_t len, off, cap;
};

struct conn {
	struct rumord_watch w;		/* first: the watch is the conn */
	struct rumord_rpc *rpc;
	bool incoming;
	bool connecting;
	uint64_t node;			/* outgoing: whose */
	struct rumord_node_addr addr;
	struct rumord_rpc_reader reader;
	struct outq out;
	uint64_t active_ms;
	unsigned int calls;		/* outgoing: awaiting a reply */
};

struct call {
	uint64_t id;			/* 0: free */
	struct conn *c;
	uint64_t deadline;
	rumord_rpc_reply_fn fn;
	void *arg;
};

struct rumord_rpc {
	struct rumord *d;
	struct rumord_watch timer;
	struct conn *in[RUMORD_RPC_MAX_IN];
	struct conn *out[RUMORD_RPC_MAX_OUT];
	struct call calls[RUMORD_RPC_MAX_CALLS];
	uint64_t next_id;
	uint64_t timer_at;		/* when the timer fires */
	struct rumord_rpc_stats st;
	struct rumord_ratelimit rl;
};

static uint8_t rbuf[65536];

/* ---- the queue of bytes to send ---- */

static int outq_reserve(struct outq *q, size_t more)
{
	size_t need, cap;
	uint8_t *p;

	if (q->off && q->off == q->len)
		q->off = q->len = 0;
	need = q->len + more;
	if (need - q->off > RUMORD_RPC_OUT_MAX + RUMORD_RPC_MAX_FRAME)
		return -ENOBUFS;
	if (need <= q->cap)
		return 0;
	if (q->off) {
		memmove(q->p, q->p + q->off, q->len - q->off);
		q->len -= q->off;
		q->off = 0;
		need = q->len + more;
		if (need <= q->cap)
			return 0;
	}
	cap = q->cap ? q->cap : 4096;
	while (cap < need)
		cap *= 2;
	p = realloc(q->p, cap);
	if (!p)
		return -ENOMEM;
	q->p = p;
	q->cap = cap;
	return 0;
}

static int queue_msg(struct conn *c, const struct rumord_rpc_msg *m)
{
	size_t size = rumord_rpc_frame_size(m);
	long n;
	int rc;

	if (c->out.len - c->out.off > RUMORD_RPC_OUT_MAX)
		return -ENOBUFS;
	rc = outq_reserve(&c->out, size);
	if (rc)
		return rc;
	n = rumord_rpc_encode(m, c->out.p + c->out.len, c->out.cap - c->out.len);
	if (n < 0)
		return (int)n;
	c->out.len += (size_t)n;
	return 0;
}

static void want_events(struct conn *c)
{
	uint32_t ev = EPOLLIN;

	if (c->connecting || c->out.len > c->out.off)
		ev |= EPOLLOUT;
	if (ev != c->w.events)
		rumord_watch_mod(c->rpc->d, &c->w, ev);
}

/* 0, or -errno: the connection failed. */
static int flush(struct conn *c)
{
	ssize_t n;

	while (c->out.off < c->out.len) {
		n = send(c->w.fd, c->out.p + c->out.off, c->out.len - c->out.off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		c->out.off += (size_t)n;
	}
	want_events(c);
	return 0;
}

/* ---- connections ---- */

static void conn_free(struct rumord_rpc *rpc, struct conn *c)
{
	struct conn **table = c->incoming ? rpc->in : rpc->out;
	size_t n = c->incoming ? RUMORD_RPC_MAX_IN : RUMORD_RPC_MAX_OUT;

	for (size_t i = 0; i < n; i++)
		if (table[i] == c)
			table[i] = NULL;
	rumord_watch_del(rpc->d, &c->w);
	close(c->w.fd);
	rumord_rpc_reader_release(&c->reader);
	free(c->out.p);
	free(c);
}

static void call_end(struct rumord_rpc *rpc, struct call *k, int status,
		     const struct rumord_rpc_msg *reply)
{
	rumord_rpc_reply_fn fn = k->fn;
	void *arg = k->arg;

	if (k->c)
		k->c->calls--;
	memset(k, 0, sizeof(*k));
	if (status)
		reply = NULL;
	fn(rpc->d, arg, status, reply);
}

/*
 * An outgoing connection failed: close it, then end its calls. They end
 * last, as a callback may start new calls (to this node, even).
 */
static void conn_fail(struct rumord_rpc *rpc, struct conn *c, int err)
{
	size_t i;

	if (!c->incoming) {
		rpc->st.failed++;
		rumord_debug("rpc to %016llx: %s", (unsigned long long)c->node,
			     strerror(-err));
		for (i = 0; i < RUMORD_RPC_MAX_CALLS; i++)
			if (rpc->calls[i].id && rpc->calls[i].c == c)
				rpc->calls[i].c = NULL, rpc->calls[i].deadline = 0;
	}
	conn_free(rpc, c);
	if (c->incoming)
		return;
	/* deadline 0 marks the orphans: end them now, one by one. */
	for (i = 0; i < RUMORD_RPC_MAX_CALLS; i++) {
		struct call *k = &rpc->calls[i];

		if (k->id && !k->c && !k->deadline)
			call_end(rpc, k, err, NULL);
	}
}

/* An incoming connection that broke the protocol: say why, and close. */
static void conn_refuse(struct rumord_rpc *rpc, struct conn *c, int err,
			const char *why)
{
	struct rumord_rpc_msg m = { .op = RUMORD_RPC_ERROR, .status = err,
				    .text = why, .text_len = strlen(why) };

	rpc->st.bad_in++;
	if (!queue_msg(c, &m))
		flush(c);
	/*
	 * Unread input at close() resets the connection, and the peer may
	 * lose the ERROR with it: read what has come (a bounded amount).
	 */
	shutdown(c->w.fd, SHUT_WR);
	for (int i = 0; i < 16; i++)
		if (recv(c->w.fd, rbuf, sizeof(rbuf), MSG_DONTWAIT) <= 0)
			break;
	conn_free(rpc, c);
}

static struct call *call_find(struct rumord_rpc *rpc, uint64_t id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < RUMORD_RPC_MAX_CALLS; i++)
		if (rpc->calls[i].id == id)
			return &rpc->calls[i];
	return NULL;
}

/* A frame on a connection: 0, or -errno to close it. */
static int on_frame(struct rumord_rpc *rpc, struct conn *c,
		    const struct rumord_rpc_msg *m)
{
	struct rumord_rpc_msg reply;
	struct call *k;
	bool is_reply = m->op & RUMORD_RPC_REPLY_BIT;
	uint64_t held;
	int rc;

	if (c->incoming) {
		if (is_reply)
			return -EPROTO;
		memset(&reply, 0, sizeof(reply));
		rumord_quorum_serve(rpc->d, m, &reply);
		reply.id = m->id;
		rpc->st.served++;
		rc = queue_msg(c, &reply);
		if (rc != -EINVAL)
			return rc;
		/* Ours is wrong, not the peer: say so to this request only. */
		if (rumord_ratelimit(&rpc->rl, &held))
			rumord_err("cannot encode the %s to a %s (%llu more held back)",
				   rumord_rpc_op_name(reply.op),
				   rumord_rpc_op_name(m->op),
				   (unsigned long long)held);
		memset(&reply, 0, sizeof(reply));
		reply.op = RUMORD_RPC_ERROR;
		reply.id = m->id;
		reply.status = -EIO;
		return queue_msg(c, &reply);
	}
	if (!is_reply)
		return -EPROTO;
	if (m->op == RUMORD_RPC_ERROR && !m->id)
		return m->status ? m->status : -EPROTO;
	k = call_find(rpc, m->id);
	if (!k || k->c != c)
		return 0;	/* timed out meanwhile */
	rpc->st.replies++;
	if (m->op == RUMORD_RPC_ERROR)
		call_end(rpc, k, m->status ? m->status : -EIO, NULL);
	else
		call_end(rpc, k, 0, m);
	return 0;
}

/* Read what there is; 0, or -errno: the connection is to go. */
static int conn_read(struct rumord_rpc *rpc, struct conn *c)
{
	struct rumord_rpc_msg m;
	size_t want;
	ssize_t n;
	long fed;
	int rc;

	for (;;) {
		rc = rumord_rpc_reader_next(&c->reader, &m);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			c->active_ms = rumord_now_ms();
			rc = on_frame(rpc, c, &m);
			if (rc)
				return rc;
			/* The frame is released at the next feed. */
		}
		want = rumord_rpc_reader_want(&c->reader);
		if (!want && rc > 0)
			want = RUMORD_RPC_HLEN;
		n = recv(c->w.fd, rbuf, want < sizeof(rbuf) ? want : sizeof(rbuf),
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		fed = rumord_rpc_reader_feed(&c->reader, rbuf, (size_t)n);
		if (fed < 0)
			return (int)fed;
		if ((size_t)fed != (size_t)n)
			return -EPROTO;	/* never: we read no more than wanted */
	}
}

static void conn_event(struct rumord *d, struct rumord_watch *w,
		       uint32_t events)
{
	struct conn *c = (struct conn *)w;
	struct rumord_rpc *rpc = d->rpc;
	int rc = 0, err = 0;
	socklen_t len = sizeof(err);

	if (c->connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
			conn_fail(rpc, c, err ? -err : -errno);
			return;
		}
		c->connecting = false;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		rc = conn_read(rpc, c);
	if (!rc && !c->connecting)
		rc = flush(c);
	if (!rc)
		return;
	if (!c->incoming) {
		conn_fail(rpc, c, rc);
	} else if (rc == -EPROTO || rc == -EPROTONOSUPPORT) {
		conn_refuse(rpc, c, rc, rc == -EPROTO ?
			    "malformed frame" : "unsupported version");
	} else {
		conn_free(rpc, c);
	}
}

static struct conn *conn_new(struct rumord_rpc *rpc, int fd, bool incoming)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->rpc = rpc;
	c->incoming = incoming;
	c->w.fd = fd;
	c->w.fn = conn_event;
	c->active_ms = rumord_now_ms();
	rumord_rpc_reader_init(&c->reader);
	return c;
}

int rumord_rpc_accept(struct rumord *d, int fd)
{
	struct rumord_rpc *rpc = d->rpc;
	struct conn *c;
	size_t i;

	if (!rpc)
		return -ENOTCONN;
	for (i = 0; i < RUMORD_RPC_MAX_IN && rpc->in[i]; i++)
		;
	if (i == RUMORD_RPC_MAX_IN) {
		rpc->st.refused_in++;
		return -EBUSY;
	}
	c = conn_new(rpc, fd, true);
	if (!c)
		return -ENOMEM;
	if (rumord_watch_add(d, &c->w, EPOLLIN)) {
		rumord_rpc_reader_release(&c->reader);
		free(c);
		return -errno;
	}
	rpc->in[i] = c;
	rpc->st.accepted++;
	/* Its first frame is in already: the listener peeked at it. */
	conn_event(d, &c->w, EPOLLIN);
	return 0;
}

static struct conn *conn_to(struct rumord_rpc *rpc, uint64_t node,
			    const struct rumord_node_addr *addr, int *err)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	struct conn *c;
	size_t i, slot = RUMORD_RPC_MAX_OUT;
	int fd;

	for (i = 0; i < RUMORD_RPC_MAX_OUT; i++) {
		c = rpc->out[i];
		if (!c) {
			if (slot == RUMORD_RPC_MAX_OUT)
				slot = i;
			continue;
		}
		/* A node that moved gets a new one; the old one idles out. */
		if (c->node == node && !memcmp(&c->addr, addr, sizeof(*addr)))
			return c;
	}
	if (slot == RUMORD_RPC_MAX_OUT) {
		*err = -ENOSPC;
		return NULL;
	}
	memcpy(&sa.sin6_addr, addr->addr, 16);
	sa.sin6_port = htons(addr->port);
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	c = conn_new(rpc, fd, false);
	if (!c) {
		close(fd);
		*err = -ENOMEM;
		return NULL;
	}
	c->node = node;
	c->addr = *addr;
	c->connecting = true;
	if (rumord_watch_add(rpc->d, &c->w, EPOLLIN | EPOLLOUT)) {
		*err = -errno;
		close(fd);
		rumord_rpc_reader_release(&c->reader);
		free(c);
		return NULL;
	}
	rpc->out[slot] = c;
	rpc->st.connects++;
	return c;
}

/* ---- deadlines ---- */

/* The timer at the earliest deadline, or the next sweep (a full scan). */
static void arm(struct rumord_rpc *rpc)
{
	uint64_t at = rumord_now_ms() + SWEEP_MS;

	for (size_t i = 0; i < RUMORD_RPC_MAX_CALLS; i++)
		if (rpc->calls[i].id && rpc->calls[i].deadline < at)
			at = rpc->calls[i].deadline;
	rpc->timer_at = at;
	rumord_timer_set(&rpc->timer, at);
}

static void timer_event(struct rumord *d, struct rumord_watch *w,
			uint32_t events)
{
	struct rumord_rpc *rpc = d->rpc;
	uint64_t now = rumord_now_ms();
	size_t i;

	(void)events;
	rumord_timer_ack(w);
	for (i = 0; i < RUMORD_RPC_MAX_CALLS; i++) {
		struct call *k = &rpc->calls[i];

		if (k->id && k->deadline <= now) {
			rpc->st.timeouts++;
			call_end(rpc, k, -ETIMEDOUT, NULL);
		}
	}
	for (i = 0; i < RUMORD_RPC_MAX_OUT; i++) {
		struct conn *c = rpc->out[i];

		if (c && !c->calls && now - c->active_ms > RUMORD_RPC_IDLE_MS)
			conn_free(rpc, c);
	}
	for (i = 0; i < RUMORD_RPC_MAX_IN; i++) {
		struct conn *c = rpc->in[i];

		if (c && now - c->active_ms > 5 * RUMORD_RPC_IDLE_MS)
			conn_free(rpc, c);
	}
	arm(rpc);
}

/* ---- the interface ---- */

int rumord_rpc_call(struct rumord *d, uint64_t node,
		    const struct rumord_node_addr *addr,
		    const struct rumord_rpc_msg *req, uint64_t timeout_ms,
		    rumord_rpc_reply_fn fn, void *arg)
{
	struct rumord_rpc *rpc = d->rpc;
	struct rumord_rpc_msg m = *req;
	struct call *k = NULL;
	struct conn *c;
	int rc = 0;

	if (!rpc)
		return -ENOTCONN;
	if (!node || !addr->port)
		return -EINVAL;
	for (size_t i = 0; i < RUMORD_RPC_MAX_CALLS && !k; i++)
		if (!rpc->calls[i].id)
			k = &rpc->calls[i];
	if (!k) {
		rpc->st.busy++;
		return -ENOSPC;
	}
	c = conn_to(rpc, node, addr, &rc);
	if (!c) {
		if (rc == -ENOSPC)
			rpc->st.busy++;
		return rc;
	}
	m.id = ++rpc->next_id;
	rc = queue_msg(c, &m);
	if (rc) {
		if (rc == -ENOBUFS)
			rpc->st.busy++;
		return rc;
	}
	k->id = m.id;
	k->c = c;
	k->deadline = rumord_now_ms() + (timeout_ms ? timeout_ms : 1);
	k->fn = fn;
	k->arg = arg;
	c->calls++;
	rpc->st.calls++;
	if (!c->connecting)
		want_events(c);	/* sent from the loop: no callback in here */
	/* Calls end no sooner than those before them, mostly: no scan. */
	if (k->deadline < rpc->timer_at) {
		rpc->timer_at = k->deadline;
		rumord_timer_set(&rpc->timer, k->deadline);
	}
	return 0;
}

const struct rumord_rpc_stats *rumord_rpc_stats(struct rumord *d)
{
	return &d->rpc->st;
}

int rumord_rpc_open(struct rumord *d)
{
	struct rumord_rpc *rpc = calloc(1, sizeof(*rpc));
	int rc;

	if (!rpc)
		return -ENOMEM;
	rpc->d = d;
	rpc->rl.interval_ms = 10000;
	rpc->timer.fn = timer_event;
	rc = rumord_timer_open(d, &rpc->timer);
	if (rc) {
		free(rpc);
		return rc;
	}
	d->rpc = rpc;
	arm(rpc);
	return 0;
}

void rumord_rpc_close(struct rumord *d)
{
	struct rumord_rpc *rpc = d->rpc;
	size_t i;

	if (!rpc)
		return;
	memset(rpc->calls, 0, sizeof(rpc->calls));
	for (i = 0; i < RUMORD_RPC_MAX_IN; i++)
		if (rpc->in[i])
			conn_free(rpc, rpc->in[i]);
	for (i = 0; i < RUMORD_RPC_MAX_OUT; i++)
		if (rpc->out[i])
			conn_free(rpc, rpc->out[i]);
	rumord_timer_close(d, &rpc->timer);
	free(rpc);
	d->rpc = NULL;
}
