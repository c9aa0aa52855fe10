// SPDX-License-Identifier: GPL-2.0
/*
 * simnet: a discrete-event network for protocol cores. Events (a datagram
 * arriving, a node's timer) sit in a binary heap ordered by time and then
 * by the order they were made, which is what makes a run repeatable.
 */
#include <stdlib.h>
#include <string.h>

#include "simnet.h"

#define SIMNET_PORT	7866

enum {
	EV_DATAGRAM,
	EV_TIMER,
};

struct event {
	uint64_t time;
	uint64_t order;
	uint32_t node;
	uint32_t kind;
	uint32_t gen;		/* EV_TIMER: the arming it belongs to */
	uint32_t src;		/* EV_DATAGRAM: sending node */
	uint32_t len;
	uint8_t *data;
};

struct host {
	struct simnet *s;
	uint32_t index;
	struct rumor_env env;
	struct rumor_node *node;
	bool alive;
	uint32_t timer_gen;
	uint64_t rng;
	uint64_t bytes;
};

struct simnet {
	struct simnet_config cfg;
	struct host *hosts;
	struct event *heap;
	size_t nheap, capheap;
	uint64_t order;
	uint64_t now;
	uint64_t rng;
	uint64_t events;
	struct simnet_traffic traffic;
	simnet_deliver_fn deliver;
	void *deliver_arg;
};

/* splitmix64: small, fast, and good enough to drive a simulation. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double random_unit(uint64_t *state)
{
	return (double)(next_random(state) >> 11) / (double)(1ULL << 53);
}

/* ---- the event heap ---- */

static bool before(const struct event *a, const struct event *b)
{
	return a->time < b->time || (a->time == b->time && a->order < b->order);
}

static void push(struct simnet *s, struct event ev)
{
	size_t i;

	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? 2 * s->capheap : 1024;
		s->heap = realloc(s->heap, s->capheap * sizeof(*s->heap));
		if (!s->heap)
			abort();
	}
	ev.order = s->order++;
	i = s->nheap++;
	while (i && before(&ev, &s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = ev;
}

static struct event pop(struct simnet *s)
{
	struct event top = s->heap[0], last = s->heap[--s->nheap];
	size_t i = 0, child;

	while ((child = 2 * i + 1) < s->nheap) {
		if (child + 1 < s->nheap && before(&s->heap[child + 1], &s->heap[child]))
			child++;
		if (!before(&s->heap[child], &last))
			break;
		s->heap[i] = s->heap[child];
		i = child;
	}
	if (s->nheap)
		s->heap[i] = last;
	return top;
}

/* ---- addresses ---- */

void simnet_ep(uint32_t i, struct rumor_ep *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = 4;
	ep->port = SIMNET_PORT;
	ep->addr[0] = 10;
	ep->addr[1] = (uint8_t)(i >> 16);
	ep->addr[2] = (uint8_t)(i >> 8);
	ep->addr[3] = (uint8_t)i;
}

uint32_t simnet_index(const struct rumor_ep *ep)
{
	if (ep->family != 4 || ep->port != SIMNET_PORT || ep->addr[0] != 10)
		return UINT32_MAX;
	return (uint32_t)ep->addr[1] << 16 | (uint32_t)ep->addr[2] << 8 |
	       ep->addr[3];
}

/* ---- the env of each node ---- */

static void env_send(void *host, const struct rumor_ep *to, const void *head,
		     __u32 head_len, const void *tail, __u32 tail_len)
{
	struct host *h = host;
	struct simnet *s = h->s;
	uint32_t dst = simnet_index(to), len = head_len + tail_len;
	uint8_t type = head_len > 3 ? ((const uint8_t *)head)[3] : 0;
	struct event ev;

	if (type < __RUMOR_WIRE_TYPE_END) {
		s->traffic.msgs[type]++;
		s->traffic.bytes[type] += len;
	}
	if (dst >= s->cfg.nodes)
		return;
	if (s->cfg.loss > 0 && random_unit(&h->rng) < s->cfg.loss) {
		s->traffic.lost++;
		return;
	}
	if (!s->hosts[dst].alive) {
		s->traffic.to_dead++;
		return;
	}
	ev = (struct event){
		.time = s->now + s->cfg.latency_min_us +
			(s->cfg.latency_max_us > s->cfg.latency_min_us ?
			 next_random(&h->rng) %
			 (s->cfg.latency_max_us - s->cfg.latency_min_us + 1) : 0),
		.node = dst,
		.kind = EV_DATAGRAM,
		.src = h->index,
		.len = len,
		.data = malloc(len),
	};
	if (!ev.data)
		abort();
	memcpy(ev.data, head, head_len);
	if (tail_len)
		memcpy(ev.data + head_len, tail, tail_len);
	push(s, ev);
}

static __u64 env_now(void *host)
{
	return ((struct host *)host)->s->now;
}

static void env_arm(void *host, __u64 when)
{
	struct host *h = host;
	struct simnet *s = h->s;

	/* The later arming replaces the earlier: older events are ignored. */
	push(s, (struct event){
		.time = when > s->now ? when : s->now,
		.node = h->index,
		.kind = EV_TIMER,
		.gen = ++h->timer_gen,
	});
}

static __u64 env_random(void *host)
{
	return next_random(&((struct host *)host)->rng);
}

static void *env_alloc(void *host, __u32 size)
{
	void *p = calloc(1, size);

	if (p)
		((struct host *)host)->bytes += size;
	return p;
}

static void env_free(void *host, void *p, __u32 size)
{
	free(p);
	((struct host *)host)->bytes -= size;
}

static void env_deliver(void *host, const struct rumor_msg *msg,
			const struct rumor_ep *from)
{
	struct host *h = host;

	(void)from;
	if (h->s->deliver)
		h->s->deliver(h->s->deliver_arg, h->index, msg, h->s->now);
}

static void env_neighbor(void *host, const struct rumor_member *m, int up)
{
	(void)host;
	(void)m;
	(void)up;
}

static void start_node(struct simnet *s, uint32_t i)
{
	struct host *h = &s->hosts[i];
	uint64_t id;

	do {
		id = next_random(&s->rng);
	} while (!id);
	h->alive = true;
	h->node = rumor_node_create(&h->env, &s->cfg.node, id);
	if (!h->node)
		abort();
}

struct simnet *simnet_create(const struct simnet_config *cfg)
{
	struct simnet *s = calloc(1, sizeof(*s));
	uint32_t i;

	if (!s || rumor_config_check(&cfg->node))
		goto err;
	s->cfg = *cfg;
	s->rng = cfg->seed;
	s->hosts = calloc(cfg->nodes, sizeof(*s->hosts));
	if (!s->hosts)
		goto err;
	for (i = 0; i < cfg->nodes; i++) {
		struct host *h = &s->hosts[i];

		h->s = s;
		h->index = i;
		h->rng = cfg->seed ^ (0x5851f42d4c957f2dULL * (i + 1));
		h->env = (struct rumor_env){
			.host = h,
			.send = env_send,
			.now = env_now,
			.arm = env_arm,
			.random = env_random,
			.alloc = env_alloc,
			.free = env_free,
			.deliver = env_deliver,
			.neighbor = env_neighbor,
		};
		start_node(s, i);
	}
	return s;

err:
	if (s)
		free(s->hosts);
	free(s);
	return NULL;
}

void simnet_destroy(struct simnet *s)
{
	uint32_t i;

	if (!s)
		return;
	while (s->nheap)
		free(pop(s).data);
	for (i = 0; i < s->cfg.nodes; i++)
		rumor_node_destroy(s->hosts[i].node);
	free(s->heap);
	free(s->hosts);
	free(s);
}

struct rumor_node *simnet_node(struct simnet *s, uint32_t i)
{
	return s->hosts[i].node;
}

uint32_t simnet_size(const struct simnet *s)
{
	return s->cfg.nodes;
}

void simnet_on_deliver(struct simnet *s, simnet_deliver_fn fn, void *arg)
{
	s->deliver = fn;
	s->deliver_arg = arg;
}

uint64_t simnet_now(const struct simnet *s)
{
	return s->now;
}

void simnet_run_until(struct simnet *s, uint64_t t)
{
	while (s->nheap && s->heap[0].time <= t) {
		struct event ev = pop(s);
		struct host *h = &s->hosts[ev.node];

		s->now = ev.time;
		s->events++;
		if (ev.kind == EV_DATAGRAM) {
			struct rumor_ep from;

			simnet_ep(ev.src, &from);
			if (h->alive)
				rumor_node_receive(h->node, &from, ev.data, ev.len);
			free(ev.data);
		} else if (h->alive && ev.gen == h->timer_gen) {
			rumor_node_timer(h->node);
		}
	}
	if (t > s->now)
		s->now = t;
}

void simnet_kill(struct simnet *s, uint32_t i)
{
	struct host *h = &s->hosts[i];

	if (!h->alive)
		return;
	h->alive = false;
	rumor_node_destroy(h->node);
	h->node = NULL;
}

bool simnet_alive(const struct simnet *s, uint32_t i)
{
	return s->hosts[i].alive;
}

void simnet_restart(struct simnet *s, uint32_t i, uint32_t contact)
{
	struct rumor_ep ep;

	simnet_kill(s, i);
	start_node(s, i);
	simnet_ep(contact, &ep);
	rumor_node_join(s->hosts[i].node, &ep);
}

const struct simnet_traffic *simnet_traffic(const struct simnet *s)
{
	return &s->traffic;
}

uint64_t simnet_node_bytes(const struct simnet *s, uint32_t i)
{
	return s->hosts[i].bytes;
}

uint64_t simnet_events(const struct simnet *s)
{
	return s->events;
}

uint64_t simnet_random(struct simnet *s)
{
	return next_random(&s->rng);
}
