// SPDX-License-Identifier: GPL-2.0
/*
 * Hinted handoff (handoff.h). A hint is stored where a write was meant
 * for a replica that did not take it: by the coordinator after the
 * replica's timeout, or by a stand-in of a sloppy quorum (quorum.c). When
 * membership reports the target UP again (a heartbeat after silence, a
 * restart, the module's neighbour event), its hints are replayed oldest
 * first as ordinary replica writes, each deleted once acknowledged. The
 * replay is throttled: RUMORD_HANDOFF_INFLIGHT writes in flight to one
 * target, RUMORD_HANDOFF_PARALLEL targets at once, RUMORD_HANDOFF_RATE
 * bytes a second to each, so that a node coming back is not flooded.
 * A replay that fails stops; the target is tried again while it is UP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "handoff.h"
#include "hints.h"
#include "log.h"
#include "mdb.h"
#include "rpc.h"
#include "rumord.h"

struct replay;

struct inflight {
	struct replay *r;
	uint64_t hint_id;	/* 0: free */
};

struct replay {
	struct rumord_handoff *h;
	uint64_t target;	/* 0: a free slot */
	struct rumord_node_addr addr;
	uint64_t after;		/* the last hint id sent */
	uint64_t next_at;	/* the next batch, paced; 0: when the last is in */
	unsigned int inflight;
	bool failed;
	uint64_t sent, acked;
	uint64_t started_ms;
	struct inflight items[RUMORD_HANDOFF_INFLIGHT];
};

struct rumord_handoff {
	struct rumord *d;
	struct rumord_hints *hints;
	struct rumord_handoff_opts o;
	struct rumord_watch timer;
	struct replay replays[RUMORD_HANDOFF_PARALLEL];
	uint64_t wanted[RUMORD_HANDOFF_PARALLEL * 4];	/* targets to start */
	uint64_t retry_at, expire_at;
	uint64_t timer_at;		/* when the timer fires; 0: not set */
	uint64_t replay_failed;
	struct rumord_ratelimit rl;
};

/* Wake at @at, or sooner if due sooner already. */
static void arm(struct rumord_handoff *h, uint64_t at)
{
	if (h->timer_at && h->timer_at <= at)
		return;
	h->timer_at = at;
	rumord_timer_set(&h->timer, at);
}

/* A short window is looked at often enough to be kept to. */
static uint64_t expire_every(const struct rumord_handoff *h)
{
	uint64_t every = h->o.window_ms / 2;

	if (every > RUMORD_HANDOFF_EXPIRE_MS)
		every = RUMORD_HANDOFF_EXPIRE_MS;
	return every < 100 ? 100 : every;
}

static struct replay *replay_find(struct rumord_handoff *h, uint64_t target)
{
	for (size_t i = 0; i < RUMORD_HANDOFF_PARALLEL; i++)
		if (h->replays[i].target == target)
			return &h->replays[i];
	return NULL;
}

static void replay_end(struct replay *r)
{
	struct rumord_handoff *h = r->h;

	if (r->failed)
		rumord_warn("handoff to %016llx: %llu of %llu hints delivered, "
			    "then it failed; trying again while it is up",
			    (unsigned long long)r->target,
			    (unsigned long long)r->acked,
			    (unsigned long long)r->sent);
	else if (r->sent)
		rumord_info("handoff to %016llx: %llu hints delivered in %llu ms",
			    (unsigned long long)r->target,
			    (unsigned long long)r->acked,
			    (unsigned long long)(rumord_now_ms() - r->started_ms));
	memset(r, 0, sizeof(*r));
	r->h = h;
}

static void batch(struct replay *r);

static void on_ack(struct rumord *d, void *arg, int status,
		   const struct rumord_rpc_msg *reply)
{
	struct inflight *it = arg;
	struct replay *r = it->r;
	struct rumord_handoff *h = r->h;
	uint64_t held;
	int rc;

	if (!status && reply->op == RUMORD_RPC_WRITE_ACK && !reply->status) {
		rc = rumord_hints_ack(h->hints, r->target, it->hint_id);
		if (rc < 0 && rumord_ratelimit(&h->rl, &held))
			rumord_err("cannot delete a delivered hint: %s",
				   strerror(-rc));
		r->acked++;
	} else {
		if (!r->failed)
			h->replay_failed++;
		r->failed = true;
		if (!status)
			status = reply->status ? reply->status : -EPROTO;
		rumord_debug("handoff to %016llx: %s", (unsigned long long)r->target,
			     strerror(-status));
		if (status == -ETIMEDOUT || status == -ECONNREFUSED)
			rumord_cluster_suspect(d, r->target);
	}
	it->hint_id = 0;
	if (--r->inflight)
		return;
	if (r->failed) {
		replay_end(r);
		return;
	}
	if (r->next_at > rumord_now_ms()) {
		arm(h, r->next_at);
		return;
	}
	batch(r);
}

struct send_ctx {
	struct replay *r;
	size_t bytes;
	int err;
};

static int send_hint(const struct rumord_hint *hint, void *arg)
{
	struct send_ctx *sc = arg;
	struct replay *r = sc->r;
	struct rumord_rpc_msg m = { .op = RUMORD_RPC_WRITE, .rec = hint->rec };
	struct inflight *it = NULL;
	int rc;

	for (size_t i = 0; i < RUMORD_HANDOFF_INFLIGHT && !it; i++)
		if (!r->items[i].hint_id)
			it = &r->items[i];
	if (!it)
		return 1;
	it->r = r;
	rc = rumord_rpc_call(r->h->d, r->target, &r->addr, &m, r->h->o.timeout_ms,
			     on_ack, it);
	if (rc) {
		sc->err = rc;
		return rc;
	}
	it->hint_id = hint->id;
	r->inflight++;
	r->sent++;
	r->after = hint->id;
	sc->bytes += rumord_hint_size(hint->rec.key_len, hint->rec.value_len);
	return 0;
}

/* The next batch of @r's hints, or its end when none is left. */
static void batch(struct replay *r)
{
	struct rumord_handoff *h = r->h;
	struct send_ctx sc = { .r = r };
	long n;

	r->next_at = 0;
	if (!rumord_cluster_live(h->d, r->target)) {
		replay_end(r);
		return;
	}
	n = rumord_hints_replay(h->hints, r->target, r->after,
				RUMORD_HANDOFF_INFLIGHT - r->inflight, send_hint, &sc);
	if (n < 0 && !r->inflight) {
		if (!sc.err)
			rumord_err("handoff to %016llx: reading hints: %s",
				   (unsigned long long)r->target, strerror((int)-n));
		h->replay_failed++;
		r->failed = true;
		replay_end(r);
		return;
	}
	if (!r->inflight) {
		replay_end(r);	/* none left */
		return;
	}
	/* Paced: the next batch no sooner than its bytes allow. */
	r->next_at = rumord_now_ms() + sc.bytes * 1000 / RUMORD_HANDOFF_RATE;
}

/* Start replaying to @target if it is UP, has hints and a slot is free. */
static bool replay_start(struct rumord_handoff *h, uint64_t target)
{
	const struct rumord_member *m;
	struct rumord_hint_target t;
	struct replay *r;

	if (replay_find(h, target))
		return true;
	if (!rumord_cluster_live(h->d, target))
		return true;	/* nothing to do until it is */
	if (rumord_hints_target(h->hints, target, &t) != 1)
		return true;
	r = replay_find(h, 0);
	if (!r)
		return false;
	m = rumord_members_find(rumord_cluster_members(h->d), target);
	r->target = target;
	if (m)
		rumord_member_addr(m, &r->addr);
	else
		r->addr = t.addr;
	r->started_ms = rumord_now_ms();
	rumord_info("handoff to %016llx: replaying %llu hints (%llu bytes)",
		    (unsigned long long)target, (unsigned long long)t.count,
		    (unsigned long long)t.bytes);
	batch(r);
	return true;
}

static void want(struct rumord_handoff *h, uint64_t target)
{
	size_t i, free_slot = SIZE_MAX;

	for (i = 0; i < sizeof(h->wanted) / sizeof(h->wanted[0]); i++) {
		if (h->wanted[i] == target)
			return;
		if (!h->wanted[i] && free_slot == SIZE_MAX)
			free_slot = i;
	}
	/* Full: the periodic retry finds it. */
	if (free_slot != SIZE_MAX)
		h->wanted[free_slot] = target;
	arm(h, rumord_now_ms());
}

static void retry_all(struct rumord_handoff *h)
{
	struct rumord_hint_target t[64];
	long n = rumord_hints_targets(h->hints, t, 64);

	for (long i = 0; i < n && i < 64; i++)
		if (!replay_start(h, t[i].node))
			break;
}

static void timer_event(struct rumord *d, struct rumord_watch *w,
			uint32_t events)
{
	struct rumord_handoff *h = d->handoff;
	uint64_t now = rumord_now_ms(), next;
	long n;
	size_t i;

	(void)events;
	rumord_timer_ack(w);
	h->timer_at = 0;
	for (i = 0; i < RUMORD_HANDOFF_PARALLEL; i++) {
		struct replay *r = &h->replays[i];

		if (r->target && !r->inflight && r->next_at && r->next_at <= now)
			batch(r);
	}
	for (i = 0; i < sizeof(h->wanted) / sizeof(h->wanted[0]); i++)
		if (h->wanted[i] && replay_start(h, h->wanted[i]))
			h->wanted[i] = 0;
	if (now >= h->retry_at) {
		h->retry_at = now + RUMORD_HANDOFF_RETRY_MS;
		retry_all(h);
	}
	if (now >= h->expire_at) {
		h->expire_at = now + expire_every(h);
		n = rumord_hints_expire(h->hints, rumord_realtime_ms());
		if (n > 0)
			rumord_info("%ld hints expired (older than %llu s): left "
				    "to anti-entropy", n,
				    (unsigned long long)(h->o.window_ms / 1000));
	}
	next = h->retry_at < h->expire_at ? h->retry_at : h->expire_at;
	for (i = 0; i < RUMORD_HANDOFF_PARALLEL; i++) {
		struct replay *r = &h->replays[i];

		if (r->target && !r->inflight && r->next_at && r->next_at < next)
			next = r->next_at;
	}
	for (i = 0; i < sizeof(h->wanted) / sizeof(h->wanted[0]); i++)
		if (h->wanted[i] && now + 100 < next)
			next = now + 100;	/* a slot frees up */
	arm(h, next);
}

/* ---- the interface ---- */

int rumord_handoff_store(struct rumord *d, uint64_t target,
			 const struct rumord_node_addr *addr,
			 const struct rumord_record *rec)
{
	struct rumord_handoff *h = d->handoff;
	uint64_t held;
	int rc;

	if (!h)
		return -EOPNOTSUPP;
	rc = rumord_hints_add(h->hints, target, addr, rec);
	if (rc == -EDQUOT && rumord_ratelimit(&h->rl, &held))
		rumord_warn("hint for %016llx dropped: over its quota of %llu "
			    "bytes; anti-entropy will carry the write (%llu more "
			    "held back)", (unsigned long long)target,
			    (unsigned long long)h->o.quota,
			    (unsigned long long)held);
	else if (rc < 0 && rumord_ratelimit(&h->rl, &held))
		rumord_err("cannot store a hint for %016llx: %s",
			   (unsigned long long)target, strerror(-rc));
	/* It may be up already (a replica slow, not down): try soon. */
	if (rc > 0 && rumord_cluster_live(d, target))
		want(h, target);
	return rc;
}

void rumord_handoff_member(struct rumord *d, uint64_t node,
			   enum rumord_member_event ev)
{
	struct rumord_handoff *h = d->handoff;
	long n;

	if (!h)
		return;
	switch (ev) {
	case RUMORD_MEMBER_JOINED:
	case RUMORD_MEMBER_UPDATED:
	case RUMORD_MEMBER_RESTARTED:
	case RUMORD_MEMBER_EV_UP:
		want(h, node);
		break;
	case RUMORD_MEMBER_FORGOTTEN:
		n = rumord_hints_forget(h->hints, node);
		if (n > 0)
			rumord_info("member %016llx forgotten: %ld hints for it "
				    "dropped", (unsigned long long)node, n);
		break;
	default:
		break;
	}
}

void rumord_handoff_info(struct rumord *d, struct rumord_client_hints_info *out)
{
	struct rumord_handoff *h = d->handoff;
	const struct rumord_hints_stats *s;
	struct rumord_hint_target t[1];
	long n;

	memset(out, 0, sizeof(*out));
	if (!h)
		return;
	s = rumord_hints_stats(h->hints);
	n = rumord_hints_targets(h->hints, t, 0);
	out->quota = h->o.quota;
	out->window_ms = h->o.window_ms;
	out->targets = n > 0 ? (uint64_t)n : 0;
	out->added = s->added;
	out->replaced = s->replaced;
	out->superseded = s->superseded;
	out->dropped_quota = s->dropped_quota;
	out->dropped_targets = s->dropped_targets;
	out->failed = s->failed;
	out->replayed = s->replayed;
	out->replay_failed = h->replay_failed;
	out->expired = s->expired;
	out->forgotten = s->forgotten;
	for (size_t i = 0; i < RUMORD_HANDOFF_PARALLEL; i++)
		out->replaying += h->replays[i].target != 0;
}

int rumord_handoff_foreach(struct rumord *d,
			   int (*fn)(void *arg,
				     const struct rumord_client_hint_target *t),
			   void *arg)
{
	struct rumord_handoff *h = d->handoff;
	struct rumord_hint_target *t;
	struct rumord_client_hint_target c;
	long n;
	int rc = 0;

	if (!h)
		return -EOPNOTSUPP;
	t = calloc(RUMORD_HINTS_MAX_TARGETS, sizeof(*t));
	if (!t)
		return -ENOMEM;
	n = rumord_hints_targets(h->hints, t, RUMORD_HINTS_MAX_TARGETS);
	if (n < 0)
		rc = (int)n;
	for (long i = 0; i < n && i < RUMORD_HINTS_MAX_TARGETS && !rc; i++) {
		memset(&c, 0, sizeof(c));
		memcpy(c.addr, t[i].addr.addr, 16);
		c.port = t[i].addr.port;
		c.node = t[i].node;
		c.count = t[i].count;
		c.bytes = t[i].bytes;
		c.oldest_at = t[i].oldest_ms;
		rc = fn(arg, &c);
	}
	free(t);
	return rc;
}

int rumord_handoff_open(struct rumord *d, const char *dir,
			const struct rumord_handoff_opts *o)
{
	struct rumord_hints_opts ho = { .quota = o->quota,
					.window_ms = o->window_ms };
	struct rumord_handoff *h;
	int rc;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->d = d;
	h->o = *o;
	h->o.quota = o->quota ? o->quota : RUMORD_HINTS_QUOTA;
	h->o.window_ms = o->window_ms ? o->window_ms : RUMORD_HINTS_WINDOW_MS;
	h->rl.interval_ms = 10000;
	for (size_t i = 0; i < RUMORD_HANDOFF_PARALLEL; i++)
		h->replays[i].h = h;
	rc = rumord_hints_open(&h->hints, dir, &ho);
	if (rc) {
		free(h);
		return rc;
	}
	h->timer.fn = timer_event;
	rc = rumord_timer_open(d, &h->timer);
	if (rc) {
		rumord_hints_close(h->hints);
		free(h);
		return rc;
	}
	d->handoff = h;
	/* Expire what aged while we were down, then retry the UP soon. */
	h->expire_at = rumord_now_ms();
	h->retry_at = rumord_now_ms() + RUMORD_MEMBERS_TIMEOUT_MS;
	arm(h, h->expire_at);
	return 0;
}

void rumord_handoff_close(struct rumord *d)
{
	struct rumord_handoff *h = d->handoff;

	if (!h)
		return;
	rumord_timer_close(d, &h->timer);
	rumord_hints_close(h->hints);
	free(h);
	d->handoff = NULL;
}
