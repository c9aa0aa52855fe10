// SPDX-License-Identifier: GPL-2.0
/*
 * Consistency levels: the coordinator of writes and reads with a level,
 * and the replica side that answers other coordinators (quorum.h).
 *
 * A key's replicas are its preference list on the ring (ring.h): the
 * first N members clockwise from the key's hash, N = max(level,
 * --replicas). Every write is still committed here first and broadcast
 * to every node; the level decides when the client hears back and which
 * nodes must hold it durably.
 *
 * Write, level W: the coordinator commits, broadcasts, and sends the
 * record to each of the N homes; a home that is DOWN gets a stand-in (the
 * next live member clockwise) that stores the write and a hint for it.
 * A home that fails or does not answer in time is suspected DOWN; while
 * the write still needs acknowledgements the next live member stands in
 * for it, and once it does not, the coordinator keeps the hint itself
 * (Cassandra's way). The client hears back at the W-th acknowledgement
 * (this node counts when it is a home), or with -ETIMEDOUT once every
 * replica answered or timed out. --strict counts homes only: with fewer
 * than W of them UP the write is refused before anything is written.
 *
 * Read, level R: the first R live replicas (homes, stand-ins for those
 * DOWN); one sends its value (this node when it is one of them), the
 * others a digest of their version. All equal: that is the answer.
 * Otherwise the newest version wins, its value is fetched if needed, and
 * it is written back to every stale replica before the client hears it
 * (blocking read repair, counted).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "handoff.h"
#include "log.h"
#include "members.h"
#include "merkle.h"
#include "quorum.h"
#include "rpc.h"
#include "rumord.h"
#include "store.h"

/* Homes, plus a stand-in for each. */
#define MAX_TARGETS	(2 * RUMORD_RING_MAX_N)

enum tstate { T_PENDING, T_OK, T_FAILED };
enum phase { P_WRITE, P_READ, P_FETCH, P_REPAIR };

struct qop;

struct target {
	struct qop *op;
	uint64_t node;
	struct rumord_node_addr addr;
	uint64_t home;		/* whom it holds the copy for (itself, or not) */
	bool self;
	bool stand_in;
	bool fetch;		/* reads: asked for the value */
	bool repair;		/* a read repair write */
	bool resolved_read;	/* reads: its answer is in */
	enum tstate state;
	bool has;		/* reads: it holds the key (a tombstone too) */
	struct rumord_version ver;
	struct rumord_hash digest;
};

struct qop {
	struct rumord *d;
	struct qop *next;
	enum phase phase;
	bool answered;
	bool strict, del;
	unsigned int level, n;
	uint64_t key_hash;
	uint8_t *key;
	size_t key_len;
	uint8_t *value;		/* writes: the value; reads: the newest's */
	size_t value_len;
	bool has_value;		/* reads: @value is the newest's */
	struct rumord_version ver;	/* the write's, or the newest read */
	bool has_newest;
	struct target t[MAX_TARGETS];
	size_t nt;
	unsigned int acked;
	struct rumord_client_quorum q;
	uint64_t start_us;
	rumord_quorum_done_fn fn;
	void *arg;
};

struct rumord_quorum {
	struct rumord_quorum_opts o;
	struct qop *ops;
	unsigned int nops;
	struct rumord_quorum_stats st;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static bool live(const struct rumord_ring_member *m, void *arg)
{
	return rumord_cluster_live(arg, m->node);
}

static void say(struct qop *op, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct qop *op, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(op->q.text, sizeof(op->q.text), fmt, ap);
	va_end(ap);
}

static struct rumord_record op_record(const struct qop *op)
{
	struct rumord_record rec = {
		.key = op->key, .key_len = op->key_len,
		.value = op->value, .value_len = op->value_len,
		.version = op->ver,
	};

	if (op->ver.tombstone)
		rec.value_len = 0;
	return rec;
}

static void op_free(struct qop *op)
{
	struct rumord_quorum *qr = op->d->quorum;
	struct qop **pp;

	for (pp = &qr->ops; *pp; pp = &(*pp)->next)
		if (*pp == op) {
			*pp = op->next;
			break;
		}
	qr->nops--;
	free(op->key);
	free(op->value);
	free(op);
}

/* Tell the client (once); @status 0 or -errno. */
static void answer(struct qop *op, int status)
{
	struct rumord_quorum *qr = op->d->quorum;
	struct rumord_record rec = op_record(op);
	bool write = op->phase == P_WRITE;

	if (op->answered)
		return;
	op->answered = true;
	op->q.elapsed_us = now_us() - op->start_us;
	if (status && write)
		qr->st.writes_failed++;
	else if (status && status != -ENOENT)
		qr->st.reads_failed++;
	if (op->fn)
		op->fn(op->arg, status, &op->q,
		       write || op->has_newest ? &rec : NULL);
}

static bool pending(const struct qop *op)
{
	for (size_t i = 0; i < op->nt; i++)
		if (op->t[i].state == T_PENDING)
			return true;
	return false;
}

static bool asked(const struct qop *op, uint64_t node)
{
	for (size_t i = 0; i < op->nt; i++)
		if (op->t[i].node == node || op->t[i].home == node)
			return true;
	return false;
}

/* The next live member clockwise not asked yet, or NULL. */
static const struct rumord_ring_member *next_live(struct qop *op)
{
	const struct rumord_ring *ring = rumord_cluster_ring(op->d);
	const struct rumord_ring_member *m;
	struct rumord_ring_walk w;

	rumord_ring_walk_start(&w, ring, op->key_hash);
	while ((m = rumord_ring_walk_next(&w)))
		if (!asked(op, m->node) && rumord_cluster_live(op->d, m->node))
			return m;
	return NULL;
}

static struct target *target_add(struct qop *op,
				 const struct rumord_ring_member *m,
				 uint64_t home)
{
	struct target *t;

	if (op->nt == MAX_TARGETS)
		return NULL;
	t = &op->t[op->nt++];
	memset(t, 0, sizeof(*t));
	t->op = op;
	t->node = m->node;
	t->addr = m->addr;
	t->home = home;
	t->stand_in = home != m->node;
	t->self = m->node == op->d->node_id;
	t->state = T_PENDING;
	return t;
}

static void on_reply(struct rumord *d, void *arg, int status,
		     const struct rumord_rpc_msg *reply);

static int call(struct target *t, const struct rumord_rpc_msg *m)
{
	struct rumord *d = t->op->d;

	return rumord_rpc_call(d, t->node, &t->addr, m, d->quorum->o.timeout_ms,
			       on_reply, t);
}

/* ---- writes ---- */

static void write_check(struct qop *op);
static void write_failed(struct target *t, int err);

/* The coordinator keeps @home's hint itself: counted, never fatal. */
static void keep_hint(struct qop *op, uint64_t home,
		      const struct rumord_node_addr *addr)
{
	struct rumord_record rec = op_record(op);

	if (home == op->d->node_id)
		return;
	if (rumord_handoff_store(op->d, home, addr, &rec) >= 0) {
		op->q.hints++;
		op->d->quorum->st.hints_stored++;
	}
}

static void write_send(struct target *t)
{
	struct qop *op = t->op;
	struct rumord_rpc_msg m = { .op = RUMORD_RPC_WRITE, .rec = op_record(op) };
	const struct rumord_ring_member *home;
	int rc;

	if (t->stand_in) {
		op->q.stand_ins++;
		op->d->quorum->st.stand_ins++;
	}
	if (t->self) {
		/* Committed already; standing in, we keep the hint too. */
		if (t->stand_in) {
			home = rumord_ring_find(rumord_cluster_ring(op->d), t->home);
			rc = rumord_handoff_store(op->d, t->home,
						  home ? &home->addr : &t->addr,
						  &m.rec);
			if (rc < 0) {
				write_failed(t, rc);
				return;
			}
			op->q.hints++;
			op->d->quorum->st.hints_stored++;
		}
		t->state = T_OK;
		op->acked++;
		op->q.acked++;
		return;
	}
	if (t->stand_in) {
		home = rumord_ring_find(rumord_cluster_ring(op->d), t->home);
		m.has_hint = true;
		m.hint.node = t->home;
		if (home)
			m.hint.addr = home->addr;
	}
	rc = call(t, &m);
	if (rc)
		write_failed(t, rc);
}

/*
 * @t did not take the write. While the write needs acknowledgements and
 * is not strict, the next live member stands in; otherwise the
 * coordinator keeps the hint for the home itself.
 */
static void write_failed(struct target *t, int err)
{
	struct qop *op = t->op;
	const struct rumord_ring_member *m, *home;
	struct target *s;

	t->state = T_FAILED;
	if (err == -ETIMEDOUT)
		op->q.timeouts++;
	if (err == -ETIMEDOUT || err == -ECONNREFUSED || err == -EHOSTUNREACH ||
	    err == -ECONNRESET)
		rumord_cluster_suspect(op->d, t->node);
	home = rumord_ring_find(rumord_cluster_ring(op->d), t->home);
	if (!op->answered && !op->strict && op->acked < op->level) {
		m = next_live(op);
		if (m) {
			s = target_add(op, m, t->home);
			if (s) {
				write_send(s);
				return;
			}
		}
	}
	keep_hint(op, t->home, home ? &home->addr : &t->addr);
}

static void write_check(struct qop *op)
{
	if (!op->answered && op->acked >= op->level)
		answer(op, 0);
	if (pending(op))
		return;
	if (!op->answered) {
		say(op, "only %u of %u replicas acknowledged the write within "
		    "%llu ms; it is stored here and spreads by broadcast and "
		    "anti-entropy", op->acked, op->level,
		    (unsigned long long)op->d->quorum->o.timeout_ms);
		answer(op, -ETIMEDOUT);
	}
	op_free(op);
}

static void write_reply(struct target *t, int status,
			const struct rumord_rpc_msg *r)
{
	struct qop *op = t->op;

	if (!status && r->op == RUMORD_RPC_WRITE_ACK && !r->status) {
		t->state = T_OK;
		if (!t->repair) {
			op->acked++;
			op->q.acked++;
		}
		return;
	}
	if (!status)
		status = r->op == RUMORD_RPC_WRITE_ACK || r->op == RUMORD_RPC_ERROR ?
			 (r->status ? r->status : -EPROTO) : -EPROTO;
	if (t->repair) {
		t->state = T_FAILED;
		return;
	}
	write_failed(t, status);
}

static void start_write(struct qop *op)
{
	struct rumord *d = op->d;
	const struct rumord_ring *ring = rumord_cluster_ring(d);
	struct rumord_ring_target out[RUMORD_RING_MAX_N];
	size_t count = 0, homes_up = 0, members = 0, i;
	struct rumord_version v;
	int rc;

	d->quorum->st.writes++;
	rumord_ring_sloppy(ring, op->key_hash, op->n, live, d, out, &count);
	for (i = 0; i < count; i++) {
		homes_up += out[i].member == out[i].home;
		members += out[i].member != NULL;
	}
	if (op->strict && homes_up < op->level) {
		say(op, "only %zu of the key's %u preferred replicas are up and "
		    "--strict needs %u: nothing written", homes_up, op->n,
		    op->level);
		answer(op, -EHOSTDOWN);
		op_free(op);
		return;
	}
	if (members < op->level) {
		say(op, "%u copies asked and %zu live node%s can hold the key: "
		    "nothing written", op->level, members, members == 1 ? "" : "s");
		answer(op, -EHOSTDOWN);
		op_free(op);
		return;
	}
	if (op->del)
		rc = rumord_store_del(d->store, op->key, op->key_len, &v);
	else
		rc = rumord_store_put(d->store, op->key, op->key_len, op->value,
				      op->value_len, &v);
	op->ver = v;
	/* 0 and a tombstone: deleted already, which still goes out. */
	if (rc < 0 || (rc == 0 && !v.tombstone)) {
		if (rc == 0) {
			rc = -ESTALE;
			say(op, "a newer write of the key is here already");
		} else {
			say(op, "cannot store the write: %s", strerror(-rc));
		}
		answer(op, rc);
		op_free(op);
		return;
	}
	if (rc > 0) {
		struct rumord_record rec = op_record(op);

		rumord_publish(d, &rec);
	}
	op->q.replicas = count;
	for (i = 0; i < count; i++) {
		struct target *t;

		if (!out[i].member || (op->strict && out[i].member != out[i].home)) {
			/* Down and no stand-in, or strict: its hint is ours. */
			keep_hint(op, out[i].home->node, &out[i].home->addr);
			continue;
		}
		t = target_add(op, out[i].member, out[i].home->node);
		if (t)
			write_send(t);
	}
	write_check(op);
}

/* ---- reads ---- */

static void read_check(struct qop *op);

static void read_record(struct target *t, const struct rumord_record *rec,
			const struct rumord_hash *digest)
{
	struct qop *op = t->op;
	int cmp;

	t->has = rec != NULL;
	if (!rec)
		return;
	t->ver = rec->version;
	t->digest = digest ? *digest :
		    rumord_entry_hash(rec->key, rec->key_len, &rec->version);
	cmp = op->has_newest ? rumord_version_cmp(&rec->version, &op->ver) : 1;
	if (cmp < 0)
		return;
	if (cmp > 0) {
		op->has_newest = true;
		op->ver = rec->version;
		op->has_value = false;
	}
	if (!t->fetch || op->has_value)
		return;
	free(op->value);
	op->value = NULL;
	op->value_len = 0;
	if (rec->value_len) {
		op->value = malloc(rec->value_len);
		if (!op->value)
			return;	/* not had: the read fails */
		memcpy(op->value, rec->value, rec->value_len);
		op->value_len = rec->value_len;
	}
	op->has_value = true;
}

static void read_local(struct target *t)
{
	struct qop *op = t->op;
	struct rumord_record rec;

	if (rumord_store_get(op->d->store, op->key, op->key_len, &rec) == 1)
		read_record(t, &rec, NULL);
	else
		read_record(t, NULL, NULL);
	t->state = T_OK;
	t->resolved_read = true;
}

static void read_send(struct target *t)
{
	struct qop *op = t->op;
	struct rumord_rpc_msg m = {
		.op = RUMORD_RPC_READ,
		.rec = { .key = op->key, .key_len = op->key_len },
		.digest_only = !t->fetch,
	};
	const struct rumord_ring_member *s;
	struct target *n;

	if (t->self) {
		read_local(t);
		return;
	}
	if (!call(t, &m))
		return;
	t->state = T_FAILED;
	t->resolved_read = true;
	s = next_live(op);
	n = s ? target_add(op, s, s->node) : NULL;
	if (n) {
		n->fetch = true;
		read_send(n);
	}
}

/* The newest version's value, from a replica that holds it. */
static void fetch_newest(struct qop *op)
{
	for (size_t i = 0; i < op->nt; i++) {
		struct target *t = &op->t[i];
		struct rumord_rpc_msg m = {
			.op = RUMORD_RPC_READ,
			.rec = { .key = op->key, .key_len = op->key_len },
		};

		if (t->state != T_OK || !t->has ||
		    rumord_version_cmp(&t->ver, &op->ver))
			continue;
		t->fetch = true;
		if (t->self) {
			read_local(t);
			if (op->has_value)
				return;
			continue;
		}
		t->state = T_PENDING;
		if (!call(t, &m))
			return;
		t->state = T_FAILED;
	}
}

static void repair_stale(struct qop *op)
{
	struct rumord_record rec = op_record(op);
	struct rumord_hash newest = rumord_entry_hash(op->key, op->key_len, &op->ver);
	struct rumord_quorum *qr = op->d->quorum;
	size_t n = op->nt;
	int rc;

	for (size_t i = 0; i < n; i++) {
		struct target *t = &op->t[i];
		struct rumord_rpc_msg m = { .op = RUMORD_RPC_WRITE, .rec = rec };

		if (t->state != T_OK || (t->has && rumord_hash_eq(t->digest, newest)))
			continue;
		op->q.mismatches++;
		qr->st.digest_mismatches++;
		if (t->self) {
			rc = rumord_store_apply(op->d->store, &rec);
			if (rc >= 0) {
				op->q.repaired++;
				qr->st.read_repairs++;
			}
			continue;
		}
		t->repair = true;
		t->state = T_PENDING;
		if (call(t, &m))
			t->state = T_FAILED;
	}
}

static void read_check(struct qop *op)
{
	size_t ok = 0;

	if (pending(op))
		return;
	if (op->phase == P_READ) {
		for (size_t i = 0; i < op->nt; i++)
			ok += op->t[i].state == T_OK;
		if (ok < op->level) {
			say(op, "only %zu of %u replicas answered within %llu ms",
			    ok, op->level,
			    (unsigned long long)op->d->quorum->o.timeout_ms);
			answer(op, -ETIMEDOUT);
			op_free(op);
			return;
		}
		op->q.digests = ok - 1;
		if (op->has_newest && !op->has_value) {
			op->phase = P_FETCH;
			fetch_newest(op);
			if (pending(op))
				return;
		}
		op->phase = P_FETCH;
	}
	if (op->phase == P_FETCH) {
		if (op->has_newest && !op->has_value) {
			say(op, "no replica sent the newest value in time");
			answer(op, -ETIMEDOUT);
			op_free(op);
			return;
		}
		op->phase = P_REPAIR;
		if (op->has_newest)
			repair_stale(op);
		if (pending(op))
			return;
	}
	answer(op, op->has_newest && !op->ver.tombstone ? 0 : -ENOENT);
	op_free(op);
}

static void read_reply(struct target *t, int status,
		       const struct rumord_rpc_msg *r)
{
	struct qop *op = t->op;
	const struct rumord_ring_member *s;
	struct target *n;

	if (t->repair) {
		write_reply(t, status, r);
		if (t->state == T_OK) {
			op->q.repaired++;
			op->d->quorum->st.read_repairs++;
		}
		return;
	}
	if (!status && r->op == RUMORD_RPC_READ_REPLY &&
	    (!r->status || r->status == -ENOENT)) {
		t->state = T_OK;
		t->resolved_read = true;
		read_record(t, r->status ? NULL : &r->rec, &r->digest);
		return;
	}
	if (!status)
		status = r->status ? r->status : -EPROTO;
	t->state = T_FAILED;
	if (status == -ETIMEDOUT || status == -ECONNREFUSED ||
	    status == -ECONNRESET)
		rumord_cluster_suspect(op->d, t->node);
	if (status == -ETIMEDOUT)
		op->q.timeouts++;
	if (op->phase != P_READ || t->resolved_read)
		return;
	t->resolved_read = true;
	s = next_live(op);
	n = s ? target_add(op, s, s->node) : NULL;
	if (n) {
		n->fetch = true;
		op->q.replicas++;
		read_send(n);
	}
}

static void start_read(struct qop *op)
{
	struct rumord *d = op->d;
	struct rumord_ring_target out[RUMORD_RING_MAX_N];
	size_t count = 0, members = 0, i;
	struct target *full = NULL;

	d->quorum->st.reads++;
	rumord_ring_sloppy(rumord_cluster_ring(d), op->key_hash, op->n, live, d,
			   out, &count);
	for (i = 0; i < count; i++)
		members += out[i].member != NULL;
	if (members < op->level) {
		say(op, "%u replicas asked and %zu live node%s can hold the key",
		    op->level, members, members == 1 ? "" : "s");
		answer(op, -EHOSTDOWN);
		op_free(op);
		return;
	}
	/* The first R live replicas: homes, or their stand-ins. */
	for (i = 0; i < count && op->nt < op->level; i++)
		if (out[i].member)
			target_add(op, out[i].member, out[i].home->node);
	for (i = 0; i < op->nt; i++)
		if (op->t[i].self)
			full = &op->t[i];
	if (!full)
		full = &op->t[0];
	full->fetch = true;
	op->q.replicas = op->nt;
	for (i = 0; i < op->nt; i++)
		read_send(&op->t[i]);
	read_check(op);
}

static void on_reply(struct rumord *d, void *arg, int status,
		     const struct rumord_rpc_msg *reply)
{
	struct target *t = arg;
	struct qop *op = t->op;

	(void)d;
	if (op->phase == P_WRITE) {
		write_reply(t, status, reply);
		write_check(op);
	} else {
		read_reply(t, status, reply);
		read_check(op);
	}
}

/* ---- the interface ---- */

static struct qop *op_new(struct rumord *d, const void *key, size_t key_len,
			  unsigned int level, rumord_quorum_done_fn fn, void *arg)
{
	struct rumord_quorum *qr = d->quorum;
	struct rumord_client_quorum q = { .level = level };
	struct qop *op;

	if (!qr || !d->cluster) {
		snprintf(q.text, sizeof(q.text),
			 "consistency levels need rumord's membership");
		fn(arg, -EOPNOTSUPP, &q, NULL);
		return NULL;
	}
	if (qr->nops >= RUMORD_QUORUM_MAX_OPS) {
		qr->st.busy++;
		snprintf(q.text, sizeof(q.text),
			 "%d requests are being coordinated already; try again",
			 RUMORD_QUORUM_MAX_OPS);
		fn(arg, -EBUSY, &q, NULL);
		return NULL;
	}
	op = calloc(1, sizeof(*op));
	if (op)
		op->key = malloc(key_len);
	if (!op || !op->key) {
		free(op);
		fn(arg, -ENOMEM, &q, NULL);
		return NULL;
	}
	memcpy(op->key, key, key_len);
	op->key_len = key_len;
	op->key_hash = rumord_key_hash(key, key_len);
	op->d = d;
	op->level = level;
	op->n = level > qr->o.replicas ? level : qr->o.replicas;
	if (op->n > RUMORD_RING_MAX_N)
		op->n = RUMORD_RING_MAX_N;
	op->q.level = level;
	op->start_us = now_us();
	op->fn = fn;
	op->arg = arg;
	op->next = qr->ops;
	qr->ops = op;
	qr->nops++;
	return op;
}

void rumord_quorum_write(struct rumord *d, const void *key, size_t key_len,
			 const void *value, size_t value_len, bool del,
			 unsigned int level, bool strict,
			 rumord_quorum_done_fn fn, void *arg)
{
	struct qop *op = op_new(d, key, key_len, level, fn, arg);

	if (!op)
		return;
	op->phase = P_WRITE;
	op->del = del;
	op->strict = strict;
	if (!del && value_len) {
		op->value = malloc(value_len);
		if (!op->value) {
			answer(op, -ENOMEM);
			op_free(op);
			return;
		}
		memcpy(op->value, value, value_len);
	}
	op->value_len = del ? 0 : value_len;
	start_write(op);
}

void rumord_quorum_read(struct rumord *d, const void *key, size_t key_len,
			unsigned int level, rumord_quorum_done_fn fn, void *arg)
{
	struct qop *op = op_new(d, key, key_len, level, fn, arg);

	if (!op)
		return;
	op->phase = P_READ;
	start_read(op);
}

void rumord_quorum_unwait(struct rumord *d, void *arg)
{
	if (!d->quorum)
		return;
	for (struct qop *op = d->quorum->ops; op; op = op->next)
		if (op->arg == arg)
			op->fn = NULL;
}

/* ---- the replica side ---- */

void rumord_quorum_serve(struct rumord *d, const struct rumord_rpc_msg *req,
			 struct rumord_rpc_msg *reply)
{
	struct rumord_quorum *qr = d->quorum;
	struct rumord_record cur;
	int rc;

	switch (req->op) {
	case RUMORD_RPC_PING:
		reply->op = RUMORD_RPC_PONG;
		return;
	case RUMORD_RPC_READ:
		qr->st.served_reads++;
		reply->op = RUMORD_RPC_READ_REPLY;
		reply->digest_only = req->digest_only;
		if (rumord_store_get(d->store, req->rec.key, req->rec.key_len,
				     &cur) != 1) {
			reply->status = -ENOENT;
			return;
		}
		/* A reply carries no key: the request had it. */
		reply->rec.version = cur.version;
		reply->digest = rumord_entry_hash(cur.key, cur.key_len, &cur.version);
		if (!req->digest_only) {
			reply->rec.value = cur.value;
			reply->rec.value_len = cur.value_len;
		}
		return;
	case RUMORD_RPC_WRITE:
		reply->op = RUMORD_RPC_WRITE_ACK;
		if (req->rec.version.dot.node == d->node_id) {
			/*
			 * Our own write, back from a read repair or a hint: we
			 * hold it or a newer one. One we never made is refused,
			 * as on_deliver refuses it: it could move our counter.
			 */
			if (rumord_store_get(d->store, req->rec.key,
					     req->rec.key_len, &cur) != 1 ||
			    rumord_version_cmp(&cur.version, &req->rec.version) < 0) {
				reply->status = -ESTALE;
				return;
			}
			reply->unchanged = true;
			reply->rec.version = cur.version;
			return;
		}
		/* Stand-in or not, the write is ours too: every node has all. */
		rc = rumord_store_apply(d->store, &req->rec);
		if (rc < 0) {
			reply->status = rc;
			return;
		}
		if (req->has_hint && req->hint.node != d->node_id) {
			qr->st.served_hints++;
			rc = rumord_handoff_store(d, req->hint.node,
						  &req->hint.addr, &req->rec);
			if (rc < 0) {
				reply->status = rc;
				return;
			}
		} else {
			qr->st.served_writes++;
		}
		reply->unchanged = rc == 0;
		if (rumord_store_get(d->store, req->rec.key, req->rec.key_len,
				     &cur) == 1)
			reply->rec.version = cur.version;
		return;
	default:
		reply->op = RUMORD_RPC_ERROR;
		reply->status = -EOPNOTSUPP;
		reply->text = "not a request";
		reply->text_len = strlen(reply->text);
	}
}

/* ---- listings ---- */

static void node_fill(struct rumord *d, uint64_t node,
		      const struct rumord_node_addr *addr,
		      struct rumord_client_node *out)
{
	const struct rumord_member *m;
	uint64_t now = rumord_now_ms();

	memset(out, 0, sizeof(*out));
	out->node = node;
	memcpy(out->addr, addr->addr, 16);
	out->port = addr->port;
	if (node == d->node_id) {
		/* Heartbeats: those it sent; in its state: since it started. */
		uint64_t started;

		out->flags |= RUMORD_NF_SELF;
		rumord_cluster_self_info(d, &out->incarnation, &out->heartbeats,
					 &started);
		out->since_ms = now - started;
		return;
	}
	m = rumord_members_find(rumord_cluster_members(d), node);
	if (!m) {
		out->state = RUMORD_NS_DOWN;
		return;
	}
	out->state = m->state == RUMORD_MEMBER_UP ? RUMORD_NS_UP : RUMORD_NS_DOWN;
	out->incarnation = m->incarnation;
	out->heard_ms = now - m->last_heard_ms;
	out->since_ms = now - m->since_ms;
	out->heartbeats = m->heartbeats;
	out->downs = m->downs;
	out->restarts = m->restarts;
}

int rumord_quorum_where(struct rumord *d, const void *key, size_t key_len,
			unsigned int n,
			int (*fn)(void *arg, const struct rumord_client_node *m),
			void *arg)
{
	struct rumord_ring_target out[RUMORD_RING_MAX_N];
	struct rumord_client_node node;
	size_t count = 0;
	int rc = 0;

	if (!d->cluster || !d->quorum)
		return -EOPNOTSUPP;
	if (!n)
		n = d->quorum->o.replicas;
	rumord_ring_sloppy(rumord_cluster_ring(d), rumord_key_hash(key, key_len),
			   n, live, d, out, &count);
	for (size_t i = 0; i < count && !rc; i++) {
		node_fill(d, out[i].home->node, &out[i].home->addr, &node);
		node.flags |= RUMORD_NF_HOME;
		rc = fn(arg, &node);
		if (rc || !out[i].member || out[i].member == out[i].home)
			continue;
		node_fill(d, out[i].member->node, &out[i].member->addr, &node);
		node.flags |= RUMORD_NF_STAND_IN;
		node.home = out[i].home->node;
		rc = fn(arg, &node);
	}
	return rc;
}

int rumord_quorum_nodes(struct rumord *d,
			int (*fn)(void *arg, const struct rumord_client_node *m),
			void *arg)
{
	struct rumord_members *t;
	struct rumord_client_node node;
	struct rumord_node_addr a;
	int rc;

	if (!d->cluster)
		return -EOPNOTSUPP;
	t = rumord_cluster_members(d);
	node_fill(d, d->node_id, &rumord_cluster_self(d)->addr, &node);
	rc = fn(arg, &node);
	for (size_t i = 0; i < rumord_members_count(t) && !rc; i++) {
		const struct rumord_member *m = rumord_members_at(t, i);

		rumord_member_addr(m, &a);
		node_fill(d, m->node, &a, &node);
		rc = fn(arg, &node);
	}
	return rc;
}

const struct rumord_quorum_stats *rumord_quorum_stats(struct rumord *d)
{
	static const struct rumord_quorum_stats none;

	return d->quorum ? &d->quorum->st : &none;
}

int rumord_quorum_open(struct rumord *d, const struct rumord_quorum_opts *o)
{
	struct rumord_quorum *qr = calloc(1, sizeof(*qr));

	if (!qr)
		return -ENOMEM;
	qr->o = *o;
	if (!qr->o.replicas)
		qr->o.replicas = RUMORD_QUORUM_REPLICAS;
	if (!qr->o.timeout_ms)
		qr->o.timeout_ms = RUMORD_QUORUM_TIMEOUT_MS;
	d->quorum = qr;
	return 0;
}

void rumord_quorum_close(struct rumord *d)
{
	struct rumord_quorum *qr = d->quorum;

	if (!qr)
		return;
	while (qr->ops) {
		qr->ops->fn = NULL;
		op_free(qr->ops);
	}
	free(qr);
	d->quorum = NULL;
}
