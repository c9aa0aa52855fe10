// SPDX-License-Identifier: GPL-2.0
/*
 * The experiments: build a HyParView overlay on simnet, broadcast, kill
 * nodes, and measure every broadcast by its message id.
 *
 * A message is followed from the moment it is sent until settle_ms later,
 * when it is measured and closed: which nodes delivered it (a bitmap per
 * message, filled by simnet's deliver hook), how many GOSSIP datagrams
 * carried it and how many IHAVE ids and GRAFTs named it (simnet's send
 * hook, which sees every datagram before the loss model does), and the
 * largest hop count of a delivery. Deliveries of one message go on after
 * the next one is sent, so nothing here is measured per time window except
 * the control traffic, which carries no message id.
 *
 * Every random choice of the experiment (join contacts, origins, victims,
 * churn) comes from generators seeded by --seed and the phase, never from
 * the order in which things ran, so two modes see the same overlay, the
 * same origins and the same victims, and one failure level gives the same
 * figures whichever other levels are run with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

#define US_PER_MS	1000ULL
#define US_PER_S	1000000ULL

struct msg {
	uint64_t origin_id, seq;
	uint32_t origin;
	uint64_t sent, deadline;
	bool closed;
	uint8_t *bits;			/* nodes that delivered it in time */
	uint32_t receivers, max_hops;
	uint64_t last_at;
	uint64_t gossip, ihave_ids, grafts;
	uint32_t rec;			/* its record in res->b */
};

struct sim_world {
	const struct sim_opts *o;
	uint8_t mode;
	struct simnet *s;
	uint32_t n;
	uint64_t *since;		/* when each incarnation started */
	struct churned {
		uint32_t node;
		uint64_t at;
	} *churned;			/* churn's victims, oldest first */
	uint32_t churn_head, nchurned;
	uint64_t rng;			/* the phase's choices */
	struct msg *msgs;		/* this phase's, in the order sent */
	uint32_t nmsgs, capmsgs, first_open;
	uint32_t *slots;		/* hash of (origin, seq): msgs index + 1 */
	uint32_t nslots;
	bool churn;
	uint64_t next_churn;
	uint32_t restarts;
	struct sim_result *res;
	uint8_t *payload;
	uint8_t *dgram;			/* direct mode: the origin's GOSSIP */
};

const char *sim_mode_name(uint8_t mode)
{
	switch (mode) {
	case RUMOR_MODE_PLUMTREE:
		return "plumtree";
	case RUMOR_MODE_FLOOD:
		return "flood";
	case RUMOR_MODE_DIRECT:
		return "direct";
	}
	return "?";
}

double sim_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "rumor-sim: out of memory\n");
		exit(1);
	}
	return p;
}

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p) {
		fprintf(stderr, "rumor-sim: out of memory\n");
		exit(1);
	}
	return p;
}

/* splitmix64, as simnet's, on generators of our own. */
static uint64_t rnd(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd_below(uint64_t *state, uint32_t bound)
{
	return (uint32_t)(((rnd(state) >> 32) * bound) >> 32);
}

/* The generator of one phase: a function of the seed and the phase only. */
static uint64_t phase_seed(uint64_t seed, uint64_t tag, double pct)
{
	uint64_t st = seed ^ (tag * 0xd6e8feb86659fd93ULL) ^
		      ((uint64_t)(pct * 1000 + 0.5) * 0xa0761d6478bd642fULL);

	return rnd(&st);
}

static uint32_t random_live(struct sim_world *w)
{
	uint32_t i;

	do
		i = rnd_below(&w->rng, w->n);
	while (!simnet_alive(w->s, i));
	return i;
}

static uint32_t live_count(const struct sim_world *w)
{
	uint32_t i, c = 0;

	for (i = 0; i < w->n; i++)
		c += simnet_alive(w->s, i);
	return c;
}

static uint32_t peer_index(const struct rumor_peer *p)
{
	return simnet_index(&p->m.ep);
}

/* ---- messages, by id ---- */

static uint32_t slot_of(const struct sim_world *w, uint64_t origin,
			uint64_t seq)
{
	uint64_t h = (origin ^ (seq * 0x9e3779b97f4a7c15ULL)) *
		     0x9e3779b97f4a7c15ULL;

	return (uint32_t)(h >> 32) & (w->nslots - 1);
}

static struct msg *msg_find(struct sim_world *w, uint64_t origin, uint64_t seq)
{
	uint32_t i, k;

	if (!w->nslots)
		return NULL;
	for (i = slot_of(w, origin, seq); (k = w->slots[i]); i = (i + 1) & (w->nslots - 1)) {
		struct msg *m = &w->msgs[k - 1];

		if (m->origin_id == origin && m->seq == seq)
			return m;
	}
	return NULL;
}

static void slots_insert(struct sim_world *w, uint32_t k)
{
	uint32_t i = slot_of(w, w->msgs[k].origin_id, w->msgs[k].seq);

	while (w->slots[i])
		i = (i + 1) & (w->nslots - 1);
	w->slots[i] = k + 1;
}

static struct msg *msg_add(struct sim_world *w, uint64_t origin, uint64_t seq)
{
	struct msg *m;
	uint32_t k;

	if (w->nmsgs == w->capmsgs) {
		w->capmsgs = w->capmsgs ? 2 * w->capmsgs : 64;
		w->msgs = xrealloc(w->msgs, w->capmsgs * sizeof(*w->msgs));
	}
	if (2 * (w->nmsgs + 1) > w->nslots) {
		free(w->slots);
		w->nslots = w->nslots ? 2 * w->nslots : 256;
		w->slots = xcalloc(w->nslots, sizeof(*w->slots));
		for (k = 0; k < w->nmsgs; k++)
			slots_insert(w, k);
	}
	m = &w->msgs[w->nmsgs];
	memset(m, 0, sizeof(*m));
	m->origin_id = origin;
	m->seq = seq;
	m->bits = xcalloc((w->n + 7) / 8, 1);
	slots_insert(w, w->nmsgs++);
	return m;
}

static void msgs_reset(struct sim_world *w)
{
	uint32_t k;

	for (k = 0; k < w->nmsgs; k++)
		free(w->msgs[k].bits);
	w->nmsgs = 0;
	w->first_open = 0;
	if (w->slots)
		memset(w->slots, 0, w->nslots * sizeof(*w->slots));
}

static void on_deliver(void *arg, uint32_t node, const struct rumor_msg *rm,
		       uint64_t now)
{
	struct sim_world *w = arg;
	struct msg *m = msg_find(w, rm->gossip.origin, rm->gossip.seq);
	uint8_t bit = (uint8_t)(1u << (node & 7));

	/* A new incarnation may deliver an id again: count a node once. */
	if (!m || m->closed || m->bits[node / 8] & bit)
		return;
	m->bits[node / 8] |= bit;
	m->receivers++;
	/* The origin's own push carries hops 0 and is one hop long. */
	if ((uint32_t)rm->hops + 1 > m->max_hops)
		m->max_hops = (uint32_t)rm->hops + 1;
	m->last_at = now;
}

static void on_send(void *arg, uint32_t src, uint32_t dst, const uint8_t *d,
		    uint32_t len, uint64_t now)
{
	struct sim_world *w = arg;
	struct rumor_msg rm;
	struct msg *m;
	__u64 origin, seq;
	uint32_t i;
	__u8 hops;

	(void)src;
	(void)dst;
	(void)now;
	if (len < RUMOR_WIRE_HLEN || !w->nmsgs)
		return;
	switch (d[3]) {
	case RUMOR_WIRE_GOSSIP:
	case RUMOR_WIRE_IHAVE:
	case RUMOR_WIRE_GRAFT:
		break;
	default:
		return;
	}
	if (rumor_wire_parse(d, len, &rm))
		return;
	switch (rm.type) {
	case RUMOR_WIRE_GOSSIP:
		m = msg_find(w, rm.gossip.origin, rm.gossip.seq);
		if (m && !m->closed)
			m->gossip++;
		break;
	case RUMOR_WIRE_IHAVE:
		for (i = 0; i < rm.ihave.count; i++) {
			rumor_wire_ihave_id(&rm, i, &origin, &seq, &hops);
			m = msg_find(w, origin, seq);
			if (m && !m->closed)
				m->ihave_ids++;
		}
		break;
	case RUMOR_WIRE_GRAFT:
		m = msg_find(w, rm.graft.origin, rm.graft.seq);
		if (m && !m->closed)
			m->grafts++;
		break;
	}
}

/* settle_ms after it was sent: who of the nodes live all along has it? */
static void msg_close(struct sim_world *w, struct msg *m)
{
	struct sim_bcast *b = &w->res->b[m->rec];
	uint32_t i;

	for (i = 0; i < w->n; i++) {
		if (i == m->origin || !simnet_alive(w->s, i) || w->since[i] > m->sent)
			continue;
		b->eligible++;
		b->delivered += !!(m->bits[i / 8] & (1u << (i & 7)));
	}
	b->reliability = b->eligible ? (double)b->delivered / b->eligible : 1.0;
	b->receivers = m->receivers;
	b->gossip = m->gossip;
	/* The papers' n - 1: the nodes that received it, the origin aside. */
	b->rmr = m->receivers ? (double)m->gossip / m->receivers - 1 : 0;
	b->ldh = m->max_hops;
	b->last_ms = m->receivers ? (double)(m->last_at - m->sent) / US_PER_MS : 0;
	b->ihave_ids = m->ihave_ids;
	b->grafts = m->grafts;
	m->closed = true;
}

/* ---- churn ---- */

/*
 * One churn event: a random live node dies (it stays down downtime_ms),
 * and the oldest churned node whose downtime is over comes back as a new
 * incarnation, joining through a random live node. The victims of a
 * simultaneous failure stay dead.
 */
static void churn_once(struct sim_world *w)
{
	uint64_t now = simnet_now(w->s);
	uint32_t victim, back, contact;

	if (w->nchurned && w->churned[w->churn_head].at +
	    w->o->downtime_ms * US_PER_MS <= now) {
		back = w->churned[w->churn_head].node;
		w->churn_head = (w->churn_head + 1) % w->n;
		w->nchurned--;
		contact = random_live(w);
		simnet_restart(w->s, back, contact);
		w->since[back] = now;
		w->restarts++;
	}
	if (live_count(w) <= 2)
		return;
	victim = random_live(w);
	simnet_kill(w->s, victim);
	w->churned[(w->churn_head + w->nchurned) % w->n] =
		(struct churned){ .node = victim, .at = now };
	w->nchurned++;
}

/* Run the network to @until, closing messages and churning on the way. */
static void advance(struct sim_world *w, uint64_t until)
{
	for (;;) {
		uint64_t t = until;

		if (w->churn && w->next_churn < t)
			t = w->next_churn;
		if (w->first_open < w->nmsgs && w->msgs[w->first_open].deadline < t)
			t = w->msgs[w->first_open].deadline;
		simnet_run_until(w->s, t);
		while (w->first_open < w->nmsgs &&
		       w->msgs[w->first_open].deadline <= t)
			msg_close(w, &w->msgs[w->first_open++]);
		while (w->churn && w->next_churn <= t) {
			churn_once(w);
			w->next_churn += (uint64_t)(US_PER_S / w->o->churn);
		}
		if (t >= until)
			return;
	}
}

/* ---- broadcasting ---- */

static struct sim_bcast *bcast_add(struct sim_result *res)
{
	if (res->nb == res->capb) {
		res->capb = res->capb ? 2 * res->capb : 64;
		res->b = xrealloc(res->b, res->capb * sizeof(*res->b));
	}
	memset(&res->b[res->nb], 0, sizeof(res->b[0]));
	return &res->b[res->nb++];
}

static uint32_t broadcast(struct sim_world *w, double pct, uint32_t index)
{
	uint32_t origin = random_live(w), j, len = w->o->payload;
	struct rumor_node *node = simnet_node(w->s, origin);
	struct sim_bcast *b;
	struct msg *m;
	__u64 seq;
	int hlen;

	memcpy(w->payload, &index, len < sizeof(index) ? len : sizeof(index));
	b = bcast_add(w->res);
	b->mode = w->mode;
	b->failed_pct = pct;
	b->index = index;
	b->origin = origin;
	b->sent_us = simnet_now(w->s);
	b->live = live_count(w);
	for (j = 0; j < node->nactive; j++)
		b->origin_links += simnet_alive(w->s, peer_index(node->active[j]));
	/*
	 * Follow the id before the core sends its first copies: the next seq
	 * of an origin is last_seq + 1 (checked below).
	 */
	m = msg_add(w, node->id, node->last_seq + 1);
	m->origin = origin;
	m->sent = simnet_now(w->s);
	m->deadline = m->sent + w->o->settle_ms * US_PER_MS;
	m->rec = w->res->nb - 1;
	if (rumor_node_broadcast(node, w->payload, len, &seq)) {
		fprintf(stderr, "rumor-sim: a payload of %u bytes is too large\n", len);
		exit(1);
	}
	if (seq != m->seq) {
		fprintf(stderr, "rumor-sim: the core numbered a broadcast %llu, not %llu\n",
			(unsigned long long)seq, (unsigned long long)m->seq);
		exit(1);
	}

	if (w->mode != RUMOR_MODE_DIRECT)
		return m->rec;
	/* The core delivers only; the origin's host sends to everyone alive. */
	hlen = rumor_wire_put_gossip_hdr(w->dgram, RUMOR_WIRE_GOSSIP_HLEN, node->id,
					 0, 0, node->id, seq, len);
	if (hlen < 0)
		abort();
	memcpy(w->dgram + hlen, w->payload, len);
	for (j = 0; j < w->n; j++)
		if (j != origin && simnet_alive(w->s, j))
			simnet_inject(w->s, origin, j, w->dgram, (uint32_t)hlen + len);
	return m->rec;
}

static uint64_t sum(const struct simnet_traffic *a, const struct simnet_traffic *b,
		    int t1, int t2)
{
	uint64_t c = 0;
	int t;

	for (t = t1; t <= t2; t++)
		c += a->msgs[t] - b->msgs[t];
	return c;
}

/* @count broadcasts @interval_ms apart, each measured settle_ms after it. */
static void phase(struct sim_world *w, double pct, uint32_t count,
		  uint32_t interval_ms)
{
	uint64_t last = 0;
	uint32_t k, rec;

	for (k = 1; k <= count; k++) {
		struct simnet_traffic before = *simnet_traffic(w->s), after;
		struct sim_bcast *b;

		last = simnet_now(w->s);
		rec = broadcast(w, pct, k);
		advance(w, last + interval_ms * US_PER_MS);
		after = *simnet_traffic(w->s);
		b = &w->res->b[rec];
		b->ctl_ihave = sum(&after, &before, RUMOR_WIRE_IHAVE, RUMOR_WIRE_IHAVE);
		b->ctl_graft = sum(&after, &before, RUMOR_WIRE_GRAFT, RUMOR_WIRE_GRAFT);
		b->ctl_prune = sum(&after, &before, RUMOR_WIRE_PRUNE, RUMOR_WIRE_PRUNE);
		b->ctl_membership = sum(&after, &before, RUMOR_WIRE_JOIN,
					RUMOR_WIRE_SHUFFLE_REPLY);
		b->ctl_ping = sum(&after, &before, RUMOR_WIRE_PING, RUMOR_WIRE_PONG);
	}
	if (count)
		advance(w, last + w->o->settle_ms * US_PER_MS);
	msgs_reset(w);
}

/* ---- the overlay ---- */

static uint64_t overlay_hash(struct sim_world *w)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t i, k;

	for (i = 0; i < w->n; i++) {
		const struct rumor_node *n = simnet_node(w->s, i);
		uint64_t set = 0;

		if (!n)
			continue;
		/* Order-free within a view: sum the mixed neighbour indices. */
		for (k = 0; k < n->nactive; k++) {
			uint64_t st = peer_index(n->active[k]);

			set += rnd(&st);
		}
		h = (h ^ i ^ set) * 0x100000001b3ULL;
	}
	return h;
}

static bool has_peer(const struct rumor_node *n, uint32_t j)
{
	uint32_t k;

	for (k = 0; k < n->nactive; k++)
		if (peer_index(n->active[k]) == j)
			return true;
	return false;
}

/* Views, links, reachability and memory, into @r. */
static void overlay_stats(struct sim_world *w, struct sim_run *r)
{
	uint32_t *queue = xcalloc(w->n, sizeof(*queue));
	uint8_t *seen = xcalloc(w->n, 1);
	uint32_t i, k, head = 0, tail = 0, live = 0;
	uint64_t total = 0, bytes = 0, cache = 0;

	r->asymmetric = 0;
	r->bytes_max = 0;
	memset(&r->core, 0, sizeof(r->core));
	for (i = 0; i < w->n; i++) {
		const struct rumor_node *n = simnet_node(w->s, i);
		uint64_t b;

		if (!simnet_alive(w->s, i))
			continue;
		live++;
		total += n->nactive;
		for (k = 0; k < n->nactive; k++) {
			uint32_t j = peer_index(n->active[k]);

			if (j >= w->n || !simnet_alive(w->s, j) ||
			    !has_peer(simnet_node(w->s, j), i))
				r->asymmetric++;
		}
		b = simnet_node_bytes(w->s, i);
		bytes += b;
		cache += rumor_node_cache_bytes(n);
		r->core.tree_optimized += n->stats.tree_optimized;
		r->core.graft_gave_up += n->stats.graft_gave_up;
		r->core.peer_failed += n->stats.peer_failed;
		r->core.neighbor_up += n->stats.neighbor_up;
		r->core.missing_full += n->stats.missing_full;
		r->core.lazy_dropped += n->stats.lazy_dropped;
		r->core.cache_evicted += n->stats.cache_evicted;
		r->core.origins_evicted += n->stats.origins_evicted;
		r->core.nomem += n->stats.nomem;
		if (b > r->bytes_max)
			r->bytes_max = b;
		if (!tail) {
			queue[tail++] = i;
			seen[i] = 1;
		}
	}
	while (head < tail) {
		const struct rumor_node *n = simnet_node(w->s, queue[head++]);

		for (k = 0; k < n->nactive; k++) {
			uint32_t j = peer_index(n->active[k]);

			if (j < w->n && !seen[j] && simnet_alive(w->s, j)) {
				seen[j] = 1;
				queue[tail++] = j;
			}
		}
	}
	r->live = live;
	r->reachable = tail;
	r->active_mean = live ? (double)total / live : 0;
	r->bytes_per_node = live ? (double)bytes / live : 0;
	r->cache_per_node = live ? (double)cache / live : 0;
	free(queue);
	free(seen);
}

struct sim_world *sim_world_create(const struct sim_opts *o, uint8_t mode,
				   struct sim_result *res)
{
	struct sim_world *w = xcalloc(1, sizeof(*w));
	struct simnet_config sc = {
		.nodes = o->nodes,
		.seed = o->seed,
		.latency_min_us = o->lat_min_us,
		.latency_max_us = o->lat_max_us,
		.loss = o->build_loss,
		.node = o->core,
	};
	double start = sim_wall();
	struct rumor_ep ep;
	uint32_t i, t;

	sc.node.mode = mode;
	w->o = o;
	w->mode = mode;
	w->n = o->nodes;
	w->res = res;
	w->s = simnet_create(&sc);
	if (!w->s) {
		fprintf(stderr, "rumor-sim: cannot create the network\n");
		exit(1);
	}
	w->since = xcalloc(w->n, sizeof(*w->since));
	w->churned = xcalloc(w->n, sizeof(*w->churned));
	w->payload = xcalloc(o->payload, 1);
	w->dgram = xcalloc(RUMOR_WIRE_GOSSIP_HLEN + o->payload, 1);
	simnet_on_deliver(w->s, on_deliver, w);
	simnet_on_send(w->s, on_send, w);

	/*
	 * Direct mode needs no overlay: the origin's host knows everyone.
	 * The others join one by one through a random earlier node that is
	 * in the overlay already: one whose own JOIN was lost would take the
	 * newcomer into an island of its own (docs/simulator.md). --join-any
	 * drops that rule, to study exactly those islands.
	 */
	w->rng = phase_seed(o->seed, 1, 0);
	if (mode != RUMOR_MODE_DIRECT) {
		for (i = 1; i < w->n; i++) {
			uint32_t contact, tries = 0;

			do
				contact = rnd_below(&w->rng, i);
			while (!o->join_any && contact &&
			       !simnet_node(w->s, contact)->nactive && ++tries < 64);
			if (!o->join_any && !simnet_node(w->s, contact)->nactive)
				contact = 0;
			simnet_ep(contact, &ep);
			rumor_node_join(simnet_node(w->s, i), &ep);
			simnet_run_until(w->s, simnet_now(w->s) + o->join_us);
		}
		simnet_run_until(w->s, simnet_now(w->s) + o->stabilise_ms * US_PER_MS);
	}
	memset(&res->run, 0, sizeof(res->run));
	res->run.build_s = sim_wall() - start;
	res->run.overlay_hash = mode == RUMOR_MODE_DIRECT ? 0 : overlay_hash(w);

	simnet_set_loss(w->s, o->loss);
	w->rng = phase_seed(o->seed, 2, 0);
	w->churn = o->churn > 0;
	w->next_churn = simnet_now(w->s) + (uint64_t)(US_PER_S / (w->churn ? o->churn : 1));
	phase(w, 0, o->broadcasts, o->interval_ms);

	res->run.mode = mode;
	res->run.nodes = w->n;
	res->run.wall_s = sim_wall() - start;
	res->run.sim_s = (double)simnet_now(w->s) / US_PER_S;
	res->run.events = simnet_events(w->s);
	res->run.restarts = w->restarts;
	for (t = 0; t < __RUMOR_WIRE_TYPE_END; t++)
		res->run.traffic[t] = simnet_traffic(w->s)->msgs[t];
	overlay_stats(w, &res->run);
	return w;
}

void sim_world_fail(struct sim_world *w, double pct, struct sim_result *res)
{
	double start = sim_wall();
	uint64_t t0 = simnet_now(w->s), ev0 = simnet_events(w->s);
	struct simnet_traffic tr0 = *simnet_traffic(w->s);
	uint32_t live = live_count(w), kill, i, k, isolated = 0, t;

	memset(&res->run, 0, sizeof(res->run));
	w->res = res;
	w->restarts = 0;
	w->rng = phase_seed(w->o->seed, 3, pct);
	kill = (uint32_t)(pct / 100 * live + 0.5);
	if (kill + 2 > live)
		kill = live > 2 ? live - 2 : 0;
	for (i = 0; i < kill; i++)
		simnet_kill(w->s, random_live(w));
	for (i = 0; i < w->n; i++) {
		const struct rumor_node *n = simnet_node(w->s, i);
		uint32_t up = 0;

		if (!simnet_alive(w->s, i) || !n->nactive)
			continue;
		for (k = 0; k < n->nactive; k++)
			up += simnet_alive(w->s, peer_index(n->active[k]));
		isolated += !up;
	}
	w->next_churn = t0 + (uint64_t)(US_PER_S / (w->churn ? w->o->churn : 1));
	phase(w, pct, w->o->after, w->o->fail_interval_ms);

	res->run.mode = w->mode;
	res->run.failed_pct = pct;
	res->run.nodes = w->n;
	res->run.killed = kill;
	res->run.isolated = isolated;
	res->run.wall_s = sim_wall() - start;
	res->run.sim_s = (double)(simnet_now(w->s) - t0) / US_PER_S;
	res->run.events = simnet_events(w->s) - ev0;
	res->run.restarts = w->restarts;
	for (t = 0; t < __RUMOR_WIRE_TYPE_END; t++)
		res->run.traffic[t] = simnet_traffic(w->s)->msgs[t] - tr0.msgs[t];
	overlay_stats(w, &res->run);
}

void sim_world_destroy(struct sim_world *w)
{
	if (!w)
		return;
	msgs_reset(w);
	simnet_destroy(w->s);
	free(w->msgs);
	free(w->slots);
	free(w->since);
	free(w->churned);
	free(w->payload);
	free(w->dgram);
	free(w);
}
