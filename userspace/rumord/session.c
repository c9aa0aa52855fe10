// SPDX-License-Identifier: GPL-2.0
/*
 * Anti-entropy sessions over TCP and their scheduler: see session.h.
 *
 * A session is a socket, a struct rumord_sync and two deadlines. The
 * event loop calls pump() whenever the socket is ready: it writes what
 * the session offers, reads what the peer sent and feeds it in, until the
 * socket would block, the session is over, or a budget of rounds is spent
 * (a fast peer must not starve the other clients of the loop). The sync
 * object checks every byte; whatever it refuses ends the session here,
 * and the records it applied before were each committed on their own.
 *
 * One timerfd serves every deadline: the next periodic round, a repair
 * request waiting to be served, and the sessions' deadlines.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include "genl.h"
#include "log.h"
#include "mdb.h"
#include "rumord.h"
#include "session.h"
#include "store.h"
#include "sync.h"

#define READ_CHUNK	(64u << 10)
#define PUMP_BUDGET	64	/* sends and reads per wakeup, then yield */
#define REPAIR_DELAY_MS	100	/* a repair request waits for company */
/*
 * Tombstone collection: a known peer's vector counts while younger than
 * the larger of these, and collection (a scan of every record) runs at
 * most every GC_GAP_ROUNDS periodic intervals, and only after some known
 * peer's vector grew.
 */
#define GC_FRESH_MIN_MS	60000
#define GC_FRESH_ROUNDS	30
#define GC_GAP_ROUNDS	3
#define GC_GAP_MIN_MS	1000

struct peer {
	bool used;
	struct in6_addr addr;
	uint16_t port;		/* 0: sessions it opened, from any port */
	bool known;		/* --peer, or in the active view */
	bool configured;	/* --peer: known for good */
	unsigned int running;	/* sessions of ours with it in flight */
	uint64_t touched_ms;	/* for eviction: the oldest unknown goes */
	struct rumord_bvv vec;	/* from its last good session */
	bool has_vec;
	uint64_t vec_ms;	/* monotonic, when learned */
	struct rumord_client_peer fig;
};

struct sess {
	struct rumord_watch w;
	struct rumord_sessions *ss;
	struct sess *next, **pprev;
	struct rumord_sync *sync;
	struct in6_addr addr;	/* the peer's */
	uint16_t port;		/* its listening port; 0 for a responder */
	bool initiator;
	bool connecting;
	uint64_t tx, rx;	/* bytes through the socket */
	uint64_t start_ms;
	uint64_t idle_at;	/* closed if nothing moves until then */
	uint64_t end_at;	/* closed then whatever moves */
	rumord_session_done_fn done;
	void *done_arg;
};

struct rumord_sessions {
	struct rumord *d;
	struct rumord_session_opts o;
	struct rumord_watch timer;
	uint64_t timer_at;	/* what the timer is armed for; 0: not */
	struct sess *list;
	/*
	 * Sessions the timer ended: epoll may hold an event for one in the
	 * batch being handled, so each stays (its socket closed) until the
	 * next timer event, which is in a later batch.
	 */
	struct sess *zombies;
	bool in_timer;
	unsigned int n_in, n_out;
	uint64_t next_round_ms;	/* 0: no periodic rounds */
	uint64_t repair_at_ms;	/* 0: no repair request waiting */
	uint64_t refs_at_ms;	/* 0: no value by reference awaited */
	uint64_t last_gc_ms;
	bool gc_dirty;		/* a known peer's vector grew since */
	struct rumord_client_repair st;	/* its counters */
	struct rumord_ratelimit rl_out, rl_in, rl_busy;
	struct peer peers[RUMORD_PEER_TABLE_MAX];
	uint8_t buf[READ_CHUNK];
};

static void pump(struct sess *s);

static uint64_t umax(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* A socket address as the 16 bytes we key peers by. */
static bool to_in6(const struct sockaddr *sa, socklen_t len,
		   struct in6_addr *out)
{
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		*out = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		return true;
	}
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		memset(out, 0, sizeof(*out));
		out->s6_addr[10] = 0xff;
		out->s6_addr[11] = 0xff;
		memcpy(&out->s6_addr[12],
		       &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	return false;
}

static const char *fmt_peer(const struct in6_addr *a, uint16_t port,
			    char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	bool v4 = IN6_IS_ADDR_V4MAPPED(a);

	if (v4)
		inet_ntop(AF_INET, &a->s6_addr[12], host, sizeof(host));
	else
		inet_ntop(AF_INET6, a, host, sizeof(host));
	if (!port)
		snprintf(buf, len, "%s", host);
	else if (v4)
		snprintf(buf, len, "%s:%u", host, port);
	else
		snprintf(buf, len, "[%s]:%u", host, port);
	return buf;
}

/* ---- the peer table ---- */

static struct peer *peer_find(struct rumord_sessions *ss,
			      const struct in6_addr *a, uint16_t port)
{
	size_t i;

	for (i = 0; i < RUMORD_PEER_TABLE_MAX; i++) {
		struct peer *p = &ss->peers[i];

		if (p->used && p->port == port &&
		    !memcmp(&p->addr, a, sizeof(*a)))
			return p;
	}
	return NULL;
}

static void peer_clear(struct peer *p)
{
	rumord_bvv_free(&p->vec);
	memset(p, 0, sizeof(*p));
}

/*
 * The peer's row, made if needed. When the table is full the row of the
 * peer least recently heard of goes, unless it is known or busy; NULL if
 * every row is.
 */
static struct peer *peer_get(struct rumord_sessions *ss,
			     const struct in6_addr *a, uint16_t port)
{
	struct peer *p = peer_find(ss, a, port), *victim = NULL;
	size_t i;

	if (p)
		return p;
	for (i = 0; i < RUMORD_PEER_TABLE_MAX; i++) {
		p = &ss->peers[i];
		if (!p->used) {
			victim = p;
			break;
		}
		if (p->known || p->running)
			continue;
		if (!victim || p->touched_ms < victim->touched_ms)
			victim = p;
	}
	if (!victim)
		return NULL;
	peer_clear(victim);
	victim->used = true;
	victim->addr = *a;
	victim->port = port;
	rumord_bvv_init(&victim->vec);
	memcpy(victim->fig.addr, a, 16);
	victim->fig.port = port;
	victim->touched_ms = rumord_now_ms();
	return victim;
}

/* Who counts as a peer now: --peer, and the module's active view. */
static void refresh_known(struct rumord_sessions *ss)
{
	const struct rumord_neighbor *nb;
	struct in6_addr a;
	struct peer *p;
	size_t i, n = 0;

	for (i = 0; i < RUMORD_PEER_TABLE_MAX; i++)
		ss->peers[i].known = ss->peers[i].configured;
	if (!ss->d->genl)
		return;
	nb = rumord_genl_neighbors(ss->d->genl, &n);
	for (i = 0; i < n; i++) {
		if (!to_in6((const struct sockaddr *)&nb[i].addr,
			    nb[i].addr_len, &a))
			continue;
		p = peer_get(ss, &a, ss->o.peer_port);
		if (p)
			p->known = true;
	}
}

/*
 * An incoming session comes from some port of the peer's: it belongs to
 * the known peer of that address if there is exactly one, else to a row
 * of its own (several rumords on one host, as in the tests).
 */
static struct peer *peer_incoming(struct rumord_sessions *ss,
				  const struct in6_addr *a)
{
	struct peer *match = NULL;
	size_t i;

	for (i = 0; i < RUMORD_PEER_TABLE_MAX; i++) {
		struct peer *p = &ss->peers[i];

		if (!p->used || !p->known || !p->port ||
		    memcmp(&p->addr, a, sizeof(*a)))
			continue;
		if (match)
			return peer_get(ss, a, 0);
		match = p;
	}
	return match ? match : peer_get(ss, a, 0);
}

static int any_dot(struct rumord_dot d, void *arg)
{
	(void)d;
	(void)arg;
	return 1;
}

/* The figures repair status shows for @p, with its state now. */
static void peer_fig(const struct peer *p, struct rumord_client_peer *f)
{
	*f = p->fig;
	f->flags &= RUMORD_PF_INITIATOR | RUMORD_PF_WALKED | RUMORD_PF_COVERED;
	f->flags |= (p->known ? RUMORD_PF_KNOWN : 0) |
		    (!p->port ? RUMORD_PF_INCOMING : 0) |
		    (p->running ? RUMORD_PF_RUNNING : 0) |
		    (p->has_vec ? RUMORD_PF_VECTOR : 0);
}

/*
 * Keep the vector @p sent in a good session of ours; note if it grew. Only
 * sessions we opened count: a session from the address of a known peer
 * could come from another rumord on that host, and collecting tombstones
 * on the word of the wrong node could bring deleted values back.
 */
static void learn_vector(struct rumord_sessions *ss, struct peer *p,
			 const struct rumord_bvv *v)
{
	bool grew = !p->has_vec || rumord_bvv_missing(v, &p->vec, any_dot, NULL);

	/* A copy, not a merge: a peer that lost its state has fewer dots. */
	rumord_bvv_free(&p->vec);
	rumord_bvv_init(&p->vec);
	p->has_vec = !rumord_bvv_merge(&p->vec, v);
	p->vec_ms = rumord_now_ms();
	p->fig.vector_at = rumord_realtime_ms();
	if (grew && p->known)
		ss->gc_dirty = true;
}

/* ---- tombstone collection ---- */

/*
 * Collect the tombstones every known peer's vector covers: each of them
 * has the delete or something newer, so none can bring the value back.
 * Only when every known peer sent its vector recently (one silent for a
 * while may be gone, or replaced), and not more often than every few
 * rounds, since it reads every record.
 */
static void maybe_gc(struct rumord_sessions *ss)
{
	const struct rumord_bvv *vecs[RUMORD_PEER_TABLE_MAX];
	uint64_t now = rumord_now_ms();
	uint64_t fresh = umax(GC_FRESH_MIN_MS, GC_FRESH_ROUNDS * ss->o.interval_ms);
	uint64_t gap = umax(GC_GAP_MIN_MS, GC_GAP_ROUNDS * ss->o.interval_ms);
	size_t i, n = 0;
	long got;

	if (!ss->gc_dirty || (ss->last_gc_ms && now - ss->last_gc_ms < gap))
		return;
	refresh_known(ss);
	for (i = 0; i < RUMORD_PEER_TABLE_MAX; i++) {
		struct peer *p = &ss->peers[i];

		if (!p->used || !p->known)
			continue;
		if (!p->has_vec || now - p->vec_ms > fresh)
			return;
		vecs[n++] = &p->vec;
	}
	if (!n)
		return;
	ss->gc_dirty = false;
	ss->last_gc_ms = now;
	got = rumord_store_gc(ss->d->store, vecs, n);
	ss->st.gc_runs++;
	ss->st.gc_at = rumord_realtime_ms();
	if (got < 0)
		rumord_err("tombstone collection: %s", strerror((int)-got));
	else if (got)
		rumord_info("collected %ld tombstones every peer has", got);
}

/* ---- the timer ---- */

static uint64_t sess_deadline(const struct sess *s)
{
	return s->idle_at < s->end_at ? s->idle_at : s->end_at;
}

static void arm(struct rumord_sessions *ss)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	uint64_t at = 0, t;
	struct sess *s;

	if (ss->next_round_ms)
		at = ss->next_round_ms;
	if (ss->repair_at_ms && (!at || ss->repair_at_ms < at))
		at = ss->repair_at_ms;
	if (ss->refs_at_ms && (!at || ss->refs_at_ms < at))
		at = ss->refs_at_ms;
	/* Zombies only need the timer to come at some point. */
	if (ss->zombies && !at)
		at = rumord_now_ms() + REPAIR_DELAY_MS;
	for (s = ss->list; s; s = s->next) {
		t = sess_deadline(s);
		if (!at || t < at)
			at = t;
	}
	if (at == ss->timer_at)
		return;
	/* Absolute, on the clock rumord_now_ms() reads; never 0 (disarm). */
	its.it_value.tv_sec = (time_t)(at / 1000);
	its.it_value.tv_nsec = (long)(at % 1000) * 1000000;
	if (at && !its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(ss->timer.fd, TFD_TIMER_ABSTIME, &its, NULL))
		rumord_err("timerfd: %s", strerror(errno));
	else
		ss->timer_at = at;
}

/* Values by reference: forget those that came, ask again for the rest. */
static void recheck_refs(struct rumord_sessions *ss)
{
	ss->refs_at_ms = rumord_repair_recheck(&ss->d->repair,
					       rumord_store_bvv(ss->d->store));
}

/* ---- one session ---- */

static void progress(struct sess *s)
{
	s->idle_at = rumord_now_ms() + s->ss->o.timeout_ms;
}

static void want(struct sess *s, uint32_t events)
{
	if (s->w.events == events)
		return;
	if (rumord_watch_mod(s->ss->d, &s->w, events)) {
		/* Cannot wait for the socket: let the timer end it. */
		s->idle_at = 1;
		arm(s->ss);
	}
}

/* The figures of the session ending, into the peer's row. */
static void note(struct sess *s, struct rumord_client_peer *f, int rc,
		 const char *why)
{
	const struct rumord_sync_stats *st = rumord_sync_stats(s->sync);

	f->result = rc < -4095 ? -EIO : rc;
	snprintf(f->error, sizeof(f->error), "%s", rc && why ? why : "");
	f->method = (uint8_t)rumord_sync_method(s->sync);
	f->flags = (s->initiator ? RUMORD_PF_INITIATOR : 0) |
		   (st->merkle_used ? RUMORD_PF_WALKED : 0) |
		   (st->covered ? RUMORD_PF_COVERED : 0);
	f->last_at = rumord_realtime_ms();
	f->duration_ms = rumord_now_ms() - s->start_ms;
	f->keys_sent = st->keys_sent;
	f->keys_received = st->keys_received;
	f->keys_applied = st->keys_applied;
	/* What went through the socket: a failed session's frames may not. */
	f->bytes_sent = s->tx;
	f->bytes_received = s->rx;
	f->round_trips = rumord_sync_round_trips(st);
	f->sessions++;
	if (rc)
		f->failures++;
	f->total_keys_sent += st->keys_sent;
	f->total_keys_received += st->keys_received;
	f->total_bytes_sent += s->tx;
	f->total_bytes_received += s->rx;
}

static void log_end(struct sess *s, const struct rumord_client_peer *f,
		    int rc, const char *name)
{
	struct rumord_ratelimit *rl = s->initiator ? &s->ss->rl_out : &s->ss->rl_in;
	uint64_t held;

	if (rc) {
		if (rumord_ratelimit(rl, &held))
			rumord_log(s->initiator ? LOG_WARNING : LOG_INFO,
				   "session %s %s failed: %s (%llu more held back)",
				   s->initiator ? "with" : "from", name, f->error,
				   (unsigned long long)held);
		return;
	}
	rumord_log(f->keys_received || f->keys_sent ? LOG_INFO : LOG_DEBUG,
		   "session %s %s: %llu keys received (%llu applied), %llu sent, "
		   "%llu bytes, %llu round trips%s",
		   s->initiator ? "with" : "from", name,
		   (unsigned long long)f->keys_received,
		   (unsigned long long)f->keys_applied,
		   (unsigned long long)f->keys_sent,
		   (unsigned long long)(f->bytes_sent + f->bytes_received),
		   (unsigned long long)f->round_trips,
		   f->flags & RUMORD_PF_WALKED ? ", Merkle walk" : "");
}

static void zombie_event(struct rumord *d, struct rumord_watch *w,
			 uint32_t events)
{
	(void)d;
	(void)w;
	(void)events;
}

static void free_zombies(struct rumord_sessions *ss)
{
	struct sess *s;

	while ((s = ss->zombies)) {
		ss->zombies = s->next;
		free(s);
	}
}

/*
 * The session is over: @rc 0 or -errno, @why what went wrong. Closes the
 * socket, notes the figures, keeps the peer's vector from a good session,
 * calls the waiting client, frees @s.
 */
static void sess_end(struct sess *s, int rc, const char *why)
{
	struct rumord_sessions *ss = s->ss;
	const struct rumord_bvv *v = rumord_sync_peer_bvv(s->sync);
	struct rumord_client_peer fig = { 0 };
	char name[INET6_ADDRSTRLEN + 8];
	struct peer *p;

	rumord_watch_del(ss->d, &s->w);
	close(s->w.fd);
	*s->pprev = s->next;
	if (s->next)
		s->next->pprev = s->pprev;
	if (s->initiator)
		ss->n_out--;
	else
		ss->n_in--;
	if (rc) {
		ss->st.failed++;
		if (rc == -ETIMEDOUT)
			ss->st.timed_out++;
	} else {
		ss->st.ok++;
	}

	p = s->initiator ? peer_find(ss, &s->addr, s->port) :
			   peer_incoming(ss, &s->addr);
	if (p) {
		if (s->initiator && p->running)
			p->running--;
		p->touched_ms = rumord_now_ms();
		note(s, &p->fig, rc, why);
		if (!rc && v && s->initiator)
			learn_vector(ss, p, v);
		peer_fig(p, &fig);
	} else {
		memcpy(fig.addr, &s->addr, 16);
		fig.port = s->port;
		note(s, &fig, rc, why);
	}
	log_end(s, &fig, rc, fmt_peer(&s->addr, s->port, name, sizeof(name)));
	if (s->done)
		s->done(s->done_arg, rc, &fig);
	rumord_sync_free(s->sync);
	s->sync = NULL;
	if (ss->in_timer) {
		s->w.fn = zombie_event;
		s->next = ss->zombies;
		ss->zombies = s;
	} else {
		free(s);
	}

	if (!rc)
		maybe_gc(ss);
	recheck_refs(ss);
	/* Requests that came while every peer was busy: serve them now. */
	if (ss->o.interval_ms && ss->d->repair.pending && !ss->repair_at_ms)
		ss->repair_at_ms = rumord_now_ms() + REPAIR_DELAY_MS;
	arm(ss);
}

static void sess_event(struct rumord *d, struct rumord_watch *w,
		       uint32_t events)
{
	struct sess *s = (struct sess *)((char *)w - offsetof(struct sess, w));
	socklen_t len = sizeof(int);
	int err = 0;

	(void)d;
	if (s->connecting) {
		if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
		if (err) {
			sess_end(s, -err, strerror(err));
			return;
		}
		if (!(events & EPOLLOUT)) {
			if (events & (EPOLLHUP | EPOLLERR))
				sess_end(s, -ECONNRESET, "connection failed");
			return;
		}
		s->connecting = false;
		progress(s);
	}
	pump(s);
}

/*
 * Move bytes both ways until the socket would block or the session is
 * over. Only one direction is waited for at a time: the protocol takes
 * turns, and a peer that talks out of turn fails the session anyway.
 */
static void pump(struct sess *s)
{
	struct rumord_sessions *ss = s->ss;
	const void *out;
	ssize_t k;
	long n;
	int budget, rc;

	for (budget = PUMP_BUDGET; budget > 0; budget--) {
		n = rumord_sync_output(s->sync, &out);
		if (n < 0)
			break;
		if (n > 0) {
			k = send(s->w.fd, out, (size_t)n, MSG_NOSIGNAL);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0 && errno == EAGAIN) {
				want(s, EPOLLOUT);
				return;
			}
			if (k < 0) {
				sess_end(s, -errno, strerror(errno));
				return;
			}
			rumord_sync_sent(s->sync, (size_t)k);
			s->tx += (uint64_t)k;
			progress(s);
			continue;
		}
		if (rumord_sync_status(s->sync))
			break;
		k = recv(s->w.fd, ss->buf, sizeof(ss->buf), 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			want(s, EPOLLIN);
			return;
		}
		if (k < 0) {
			sess_end(s, -errno, strerror(errno));
			return;
		}
		if (k == 0) {
			sess_end(s, -ECONNRESET, "the peer closed the connection");
			return;
		}
		s->rx += (uint64_t)k;
		progress(s);
		/* A refusal shows in the status below. */
		rumord_sync_input(s->sync, ss->buf, (size_t)k);
	}
	rc = rumord_sync_status(s->sync);
	if (rc == 1) {
		sess_end(s, 0, NULL);
		return;
	}
	if (rc < 0) {
		sess_end(s, rc, rumord_sync_error(s->sync));
		return;
	}
	/* Budget spent: come back by whichever way there is work. */
	n = rumord_sync_output(s->sync, &out);
	want(s, n > 0 ? EPOLLOUT : EPOLLIN);
}

static struct sess *sess_new(struct rumord_sessions *ss, int fd,
			     const struct in6_addr *a, uint16_t port,
			     bool initiator)
{
	struct rumord_replica rep;
	struct sess *s;
	int one = 1;

	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	rumord_store_replica(ss->d->store, &rep);
	s->sync = rumord_sync_new(&rep, initiator,
				  initiator ? RUMORD_SYNC_AUTO : RUMORD_SYNC_ANY);
	if (!s->sync) {
		free(s);
		return NULL;
	}
	/* Flights end with a small frame the peer waits for: no Nagle. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->ss = ss;
	s->w.fd = fd;
	s->w.fn = sess_event;
	s->addr = *a;
	s->port = port;
	s->initiator = initiator;
	s->connecting = initiator;
	s->start_ms = rumord_now_ms();
	s->end_at = s->start_ms + RUMORD_SESSION_MAX_MS;
	progress(s);
	if (rumord_watch_add(ss->d, &s->w, initiator ? EPOLLOUT : EPOLLIN)) {
		rumord_sync_free(s->sync);
		free(s);
		return NULL;
	}
	s->next = ss->list;
	if (s->next)
		s->next->pprev = &s->next;
	s->pprev = &ss->list;
	ss->list = s;
	if (initiator)
		ss->n_out++;
	else
		ss->n_in++;
	arm(ss);
	return s;
}

/* A session of ours with @a at @port: 0, or -errno (nothing to call back). */
static int start_session(struct rumord_sessions *ss, const struct in6_addr *a,
			 uint16_t port, rumord_session_done_fn fn, void *arg)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	char name[INET6_ADDRSTRLEN + 8];
	struct peer *p;
	struct sess *s;
	uint64_t held;
	int fd, zero = 0, err;

	if (ss->n_out >= RUMORD_SESSIONS_OUT_MAX) {
		ss->st.busy++;
		if (rumord_ratelimit(&ss->rl_busy, &held))
			rumord_info("%u sessions of ours running: not starting "
				    "another (%llu more held back)", ss->n_out,
				    (unsigned long long)held);
		return -EBUSY;
	}
	sa.sin6_addr = *a;
	sa.sin6_port = htons(port);
	fmt_peer(a, port, name, sizeof(name));
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* IPv4 peers as IPv4-mapped addresses, whatever the sysctl says. */
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    errno != EINPROGRESS) {
		err = errno;
		close(fd);
		ss->st.started++;
		ss->st.failed++;
		p = peer_get(ss, a, port);
		if (p) {
			struct rumord_client_peer *f = &p->fig;

			/* A session that never began: no figures but these. */
			f->result = -err;
			snprintf(f->error, sizeof(f->error), "%s", strerror(err));
			f->flags = RUMORD_PF_INITIATOR;
			f->method = RUMORD_SYNC_AUTO;
			f->last_at = rumord_realtime_ms();
			f->duration_ms = f->keys_sent = f->keys_received = 0;
			f->keys_applied = f->bytes_sent = f->bytes_received = 0;
			f->round_trips = 0;
			f->sessions++;
			f->failures++;
		}
		rumord_debug("session with %s: %s", name, strerror(err));
		return -err;
	}
	s = sess_new(ss, fd, a, port, true);
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->done = fn;
	s->done_arg = arg;
	ss->st.started++;
	p = peer_get(ss, a, port);
	if (p)
		p->running++;
	rumord_debug("session with %s: connecting", name);
	return 0;
}

/* ---- the scheduler ---- */

/* A known peer with no session of ours running, at random; NULL if none. */
static struct peer *pick_peer(struct rumord_sessions *ss)
{
	struct peer *pick = NULL;
	unsigned int seen = 0;
	size_t i;

	for (i = 0; i < RUMORD_PEER_TABLE_MAX; i++) {
		struct peer *p = &ss->peers[i];

		if (!p->used || !p->known || !p->port || p->running)
			continue;
		/* Reservoir sampling: each of the n kept with chance 1/n. */
		if (!(random() % ++seen))
			pick = p;
	}
	return pick;
}

/*
 * Serve the pending repair requests: a session with the hinted peer (its
 * rumor address at the peer port, or the known peer at that address), or
 * else with a random one. Left pending when no peer is free; a session's
 * end or the next request tries again.
 */
static void repair_round(struct rumord_sessions *ss)
{
	struct rumord_repair *r = &ss->d->repair;
	struct sockaddr_storage hint;
	struct peer *p = NULL;
	socklen_t hint_len;
	struct in6_addr a;
	size_t i;

	if (!r->pending || ss->n_out >= RUMORD_SESSIONS_OUT_MAX)
		return;
	refresh_known(ss);
	if (r->hint_len && to_in6((struct sockaddr *)&r->hint, r->hint_len, &a)) {
		for (i = 0; i < RUMORD_PEER_TABLE_MAX && !p; i++)
			if (ss->peers[i].used && ss->peers[i].known &&
			    ss->peers[i].port &&
			    !memcmp(&ss->peers[i].addr, &a, sizeof(a)))
				p = &ss->peers[i];
		/* Not a peer we know of, but a rumor node all the same. */
		if (!p)
			p = peer_get(ss, &a, ss->o.peer_port);
		if (p && p->running)
			p = NULL;
	}
	if (!p)
		p = pick_peer(ss);
	if (!p)
		return;
	rumord_repair_take(r, &hint, &hint_len);
	start_session(ss, &p->addr, p->port, NULL, NULL);
}

static uint64_t next_round(struct rumord_sessions *ss)
{
	uint64_t i = ss->o.interval_ms;

	/* 80% to 120% of the interval: peers drift apart instead of in step. */
	return rumord_now_ms() + i - i / 5 + (uint64_t)random() % (2 * (i / 5) + 1);
}

static void timer_event(struct rumord *d, struct rumord_watch *w,
			uint32_t events)
{
	struct rumord_sessions *ss = d->sessions;
	struct sess *s, *next;
	uint64_t now = rumord_now_ms(), expirations;
	struct peer *p;

	(void)events;
	if (read(w->fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		rumord_debug("timerfd: %s", strerror(errno));
	ss->timer_at = 0;
	free_zombies(ss);
	ss->in_timer = true;
	for (s = ss->list; s; s = next) {
		next = s->next;
		if (sess_deadline(s) > now)
			continue;
		sess_end(s, -ETIMEDOUT, s->connecting ? "connection timed out" :
			 s->idle_at <= now ? "timed out: the peer went silent" :
			 "timed out: the session ran too long");
	}
	if (ss->refs_at_ms && ss->refs_at_ms <= now)
		recheck_refs(ss);
	if (ss->repair_at_ms && ss->repair_at_ms <= now) {
		ss->repair_at_ms = 0;
		repair_round(ss);
	}
	if (ss->next_round_ms && ss->next_round_ms <= now) {
		ss->next_round_ms = next_round(ss);
		refresh_known(ss);
		p = pick_peer(ss);
		if (p)
			start_session(ss, &p->addr, p->port, NULL, NULL);
		maybe_gc(ss);
	}
	ss->in_timer = false;
	arm(ss);
}

/* repair.h's kick: a request came; serve it soon, with any that follow. */
static void kick(void *arg)
{
	struct rumord_sessions *ss = arg;

	if (!ss->o.interval_ms)
		return;
	/* An awaited value by reference: look for it after the first try. */
	if (ss->d->repair.awaiting && !ss->refs_at_ms)
		ss->refs_at_ms = rumord_now_ms() + RUMORD_REPAIR_REF_RETRY_MS;
	if (!ss->repair_at_ms)
		ss->repair_at_ms = rumord_now_ms() + REPAIR_DELAY_MS;
	arm(ss);
}

/* d->session_accept: a peer's connection, from the TCP listener. */
static int accept_session(struct rumord *d, int fd)
{
	struct rumord_sessions *ss = d->sessions;
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	struct in6_addr a;
	uint64_t held;

	if (ss->n_in >= ss->o.max_in) {
		if (rumord_ratelimit(&ss->rl_busy, &held))
			rumord_info("%u peer sessions running: turning one away "
				    "(%llu more held back)", ss->n_in,
				    (unsigned long long)held);
		return -EBUSY;
	}
	if (getpeername(fd, (struct sockaddr *)&sa, &len) ||
	    !to_in6((struct sockaddr *)&sa, len, &a))
		return -ENOTCONN;
	if (!sess_new(ss, fd, &a, 0, false))
		return -ENOMEM;
	ss->st.accepted++;
	return 0;
}

/* ---- the interface ---- */

int rumord_session_now(struct rumord *d, const uint8_t addr[16], uint16_t port,
		       rumord_session_done_fn fn, void *arg)
{
	struct rumord_sessions *ss = d->sessions;
	struct in6_addr a;

	if (!ss)
		return -ENOTCONN;
	memcpy(&a, addr, sizeof(a));
	if (IN6_IS_ADDR_UNSPECIFIED(&a) || IN6_IS_ADDR_MULTICAST(&a) ||
	    (IN6_IS_ADDR_V4MAPPED(&a) && (!a.s6_addr[12] || a.s6_addr[12] >= 224)))
		return -EINVAL;
	return start_session(ss, &a, port ? port : ss->o.peer_port, fn, arg);
}

void rumord_session_unwait(struct rumord *d, void *arg)
{
	struct sess *s;

	if (!d->sessions)
		return;
	for (s = d->sessions->list; s; s = s->next) {
		if (s->done_arg == arg) {
			s->done = NULL;
			s->done_arg = NULL;
		}
	}
}

void rumord_sessions_info(struct rumord *d, struct rumord_client_repair *out)
{
	struct rumord_sessions *ss = d->sessions;
	uint64_t now = rumord_now_ms();
	const struct rumord_merkle *m = rumord_store_merkle(d->store);
	struct rumord_hash root = rumord_merkle_node(m, 0, 0);
	size_t i;

	memset(out, 0, sizeof(*out));
	if (ss) {
		refresh_known(ss);
		*out = ss->st;
	}
	out->merkle_entries = rumord_merkle_count(m);
	out->merkle_root_hi = root.hi;
	out->merkle_root_lo = root.lo;
	if (d->genl)
		out->netlink_lost = rumord_genl_stats(d->genl)->lost;
	if (!ss)
		return;
	out->interval_ms = ss->o.interval_ms;
	out->timeout_ms = ss->o.timeout_ms;
	out->next_round_ms = ss->next_round_ms > now ? ss->next_round_ms - now : 0;
	out->max_in = ss->o.max_in;
	out->max_out = RUMORD_SESSIONS_OUT_MAX;
	out->active_in = ss->n_in;
	out->active_out = ss->n_out;
	out->refused = d->stats.sessions_refused;
	out->repairs_pending = d->repair.pending;
	out->repairs_taken = d->repair.taken;
	out->refs_awaited = d->repair.awaiting;
	out->refs_fetched = d->repair.refs_fetched;
	out->refs_abandoned = d->repair.refs_abandoned;
	out->refs_untracked = d->repair.refs_untracked;
	out->gc_collected = rumord_store_stats(d->store)->gc_collected;
	for (i = 0; i < RUMORD_PEER_TABLE_MAX; i++)
		out->known_peers += ss->peers[i].used && ss->peers[i].known;
}

int rumord_sessions_foreach(struct rumord *d,
			    int (*fn)(void *arg, const struct rumord_client_peer *p),
			    void *arg)
{
	struct rumord_sessions *ss = d->sessions;
	struct rumord_client_peer f;
	size_t i;
	int rc;

	if (!ss)
		return 0;
	refresh_known(ss);
	for (i = 0; i < RUMORD_PEER_TABLE_MAX; i++) {
		const struct peer *p = &ss->peers[i];

		if (!p->used)
			continue;
		peer_fig(p, &f);
		rc = fn(arg, &f);
		if (rc)
			return rc;
	}
	return 0;
}

void rumord_sessions_log_stats(struct rumord *d)
{
	struct rumord_client_repair r;

	if (!d->sessions)
		return;
	rumord_sessions_info(d, &r);
	rumord_info("sessions: started %llu accepted %llu ok %llu failed %llu "
		    "timed_out %llu refused %llu busy %llu active %llu/%llu "
		    "gc_runs %llu gc_collected %llu",
		    (unsigned long long)r.started, (unsigned long long)r.accepted,
		    (unsigned long long)r.ok, (unsigned long long)r.failed,
		    (unsigned long long)r.timed_out, (unsigned long long)r.refused,
		    (unsigned long long)r.busy, (unsigned long long)r.active_in,
		    (unsigned long long)r.active_out,
		    (unsigned long long)r.gc_runs,
		    (unsigned long long)r.gc_collected);
}

int rumord_sessions_open(struct rumord *d, const struct rumord_session_opts *o)
{
	struct rumord_sessions *ss;
	unsigned int seed;
	struct peer *p;
	size_t i;
	int rc;

	if (o->npeers > RUMORD_PEERS_MAX)
		return -E2BIG;
	ss = calloc(1, sizeof(*ss));
	if (!ss)
		return -ENOMEM;
	ss->d = d;
	ss->o = *o;
	ss->o.peers = NULL;
	ss->rl_out.interval_ms = 10000;
	ss->rl_in.interval_ms = 10000;
	ss->rl_busy.interval_ms = 10000;
	for (i = 0; i < o->npeers; i++) {
		p = peer_get(ss, &o->peers[i].sin6_addr,
			     ntohs(o->peers[i].sin6_port));
		if (p)
			p->configured = p->known = true;
	}
	ss->timer.fn = timer_event;
	ss->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	rc = ss->timer.fd < 0 ? -errno : rumord_watch_add(d, &ss->timer, EPOLLIN);
	if (rc) {
		if (ss->timer.fd >= 0)
			close(ss->timer.fd);
		for (i = 0; i < RUMORD_PEER_TABLE_MAX; i++)
			peer_clear(&ss->peers[i]);
		free(ss);
		return rc;
	}
	/* Peers must not pick each other in lockstep. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (unsigned int)(d->node_id ^ (uint64_t)getpid());
	srandom(seed);
	if (o->interval_ms)
		ss->next_round_ms = next_round(ss);
	d->sessions = ss;
	d->session_accept = accept_session;
	d->repair.kick = kick;
	d->repair.kick_arg = ss;
	if (d->repair.pending)
		kick(ss);
	arm(ss);
	return 0;
}

void rumord_sessions_close(struct rumord *d)
{
	struct rumord_sessions *ss = d->sessions;
	struct sess *s;
	size_t i;

	if (!ss)
		return;
	d->repair.kick = NULL;
	d->repair.kick_arg = NULL;
	d->session_accept = NULL;
	while ((s = ss->list)) {
		ss->list = s->next;
		rumord_watch_del(d, &s->w);
		close(s->w.fd);
		rumord_sync_free(s->sync);
		free(s);
	}
	free_zombies(ss);
	for (i = 0; i < RUMORD_PEER_TABLE_MAX; i++)
		peer_clear(&ss->peers[i]);
	rumord_watch_del(d, &ss->timer);
	close(ss->timer.fd);
	free(ss);
	d->sessions = NULL;
}
