// SPDX-License-Identifier: GPL-2.0
/*
 * simnet: a discrete-event network for protocol cores. Events (a datagram
 * arriving, a node's timer) sit in a heap ordered by time and then by the
 * order they were made, which is what makes a run repeatable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simnet.h"

#define SIMNET_PORT	7866
#define SIMNET_CLASSES	3

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
	simnet_send_fn on_send;
	void *send_arg;
	uint8_t *pool[SIMNET_CLASSES];	/* free buffers, linked through themselves */
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

/*
 * ---- the event heap ----
 *
 * Four-ary: half the levels of a binary heap, and the four children of a
 * node sit side by side in memory. Keys are unique (order is), so the
 * sequence of events is the same whatever the shape of the heap.
 */

#define HEAP_D	4

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
	while (i && before(&ev, &s->heap[(i - 1) / HEAP_D])) {
		s->heap[i] = s->heap[(i - 1) / HEAP_D];
		i = (i - 1) / HEAP_D;
	}
	s->heap[i] = ev;
}

static struct event pop(struct simnet *s)
{
	struct event top = s->heap[0], last = s->heap[--s->nheap];
	size_t i = 0, child, c, end;

	while ((child = HEAP_D * i + 1) < s->nheap) {
		end = child + HEAP_D < s->nheap ? child + HEAP_D : s->nheap;
		for (c = child + 1; c < end; c++)
			if (before(&s->heap[c], &s->heap[child]))
				child = c;
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

/* ---- datagram buffers ---- */

/*
 * Almost every datagram is one of a few sizes, and one lives for a few
 * milliseconds of simulated time: recycle buffers by size class instead of
 * asking malloc for each (a 10,000-node run sends tens of millions).
 */
static const uint32_t class_size[SIMNET_CLASSES] = { 64, 256, 2048 };

static int buf_class(uint32_t len)
{
#ifdef __SANITIZE_ADDRESS__
	/* Under ASan every datagram gets its own buffer, so reads past one show. */
	(void)len;
	return -1;
#else
	int c;

	for (c = 0; c < SIMNET_CLASSES; c++)
		if (len <= class_size[c])
			return c;
	return -1;
#endif
}

static uint8_t *buf_get(struct simnet *s, uint32_t len)
{
	int c = buf_class(len);
	uint8_t *b;

	if (c >= 0 && s->pool[c]) {
		b = s->pool[c];
		memcpy(&s->pool[c], b, sizeof(b));
		return b;
	}
	b = malloc(c >= 0 ? class_size[c] : len);
	if (!b)
		abort();
	return b;
}

static void buf_put(struct simnet *s, uint8_t *b, uint32_t len)
{
	int c = buf_class(len);

	if (c < 0) {
		free(b);
		return;
	}
	memcpy(b, &s->pool[c], sizeof(b));
	s->pool[c] = b;
}

static void pool_free(struct simnet *s)
{
	int c;

	for (c = 0; c < SIMNET_CLASSES; c++) {
		while (s->pool[c]) {
			uint8_t *b = s->pool[c];

			memcpy(&s->pool[c], b, sizeof(b));
			free(b);
		}
	}
}

/* ---- the env of each node ---- */

/* A datagram from host @h's address: counted, seen by the hook, then sent. */
static void transmit(struct host *h, uint32_t dst, const void *head,
		     uint32_t head_len, const void *tail, uint32_t tail_len)
{
	struct simnet *s = h->s;
	uint32_t len = head_len + tail_len;
	uint8_t type = head_len > 3 ? ((const uint8_t *)head)[3] : 0;
	uint8_t *data;
	uint64_t delay;

	if (type < __RUMOR_WIRE_TYPE_END) {
		s->traffic.msgs[type]++;
		s->traffic.bytes[type] += len;
	}
	data = buf_get(s, len);
	memcpy(data, head, head_len);
	if (tail_len)
		memcpy(data + head_len, tail, tail_len);
	if (s->on_send)
		s->on_send(s->send_arg, h->index,
			   dst < s->cfg.nodes ? dst : UINT32_MAX, data, len,
			   s->now);
	if (dst >= s->cfg.nodes)
		goto drop;
	if (s->cfg.loss > 0 && random_unit(&h->rng) < s->cfg.loss) {
		s->traffic.lost++;
		goto drop;
	}
	if (!s->hosts[dst].alive) {
		s->traffic.to_dead++;
		goto drop;
	}
	delay = s->cfg.latency_min_us;
	if (s->cfg.latency_max_us > s->cfg.latency_min_us)
		delay += next_random(&h->rng) %
			 (s->cfg.latency_max_us - s->cfg.latency_min_us + 1);
	push(s, (struct event){
		.time = s->now + delay,
		.node = dst,
		.kind = EV_DATAGRAM,
		.src = h->index,
		.len = len,
		.data = data,
	});
	return;
drop:
	buf_put(s, data, len);
}

static void env_send(void *host, const struct rumor_ep *to, const void *head,
		     __u32 head_len, const void *tail, __u32 tail_len)
{
	transmit(host, simnet_index(to), head, head_len, tail, tail_len);
}

void simnet_inject(struct simnet *s, uint32_t src, uint32_t dst,
		   const void *dgram, uint32_t len)
{
	if (src < s->cfg.nodes && s->hosts[src].alive)
		transmit(&s->hosts[src], dst, dgram, len, NULL, 0);
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
	while (s->nheap) {
		struct event ev = pop(s);

		if (ev.data)
			buf_put(s, ev.data, ev.len);
	}
	for (i = 0; i < s->cfg.nodes; i++)
		rumor_node_destroy(s->hosts[i].node);
	pool_free(s);
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

void simnet_on_send(struct simnet *s, simnet_send_fn fn, void *arg)
{
	s->on_send = fn;
	s->send_arg = arg;
}

uint64_t simnet_now(const struct simnet *s)
{
	return s->now;
}

/*
 * Events at one instant, beyond which a run is taken to be stuck: a core
 * that keeps asking for its timer in the past, or two nodes answering each
 * other with no latency, would otherwise spin here for ever.
 */
#define SIMNET_LIVELOCK	20000000ULL

void simnet_run_until(struct simnet *s, uint64_t t)
{
	uint64_t same = 0;

	while (s->nheap && s->heap[0].time <= t) {
		struct event ev = pop(s);
		struct host *h = &s->hosts[ev.node];

		same = ev.time == s->now ? same + 1 : 0;
		if (same > SIMNET_LIVELOCK) {
			fprintf(stderr, "simnet: livelock: %llu events at %llu us without "
				"time moving on (the last for node %u, a %s)\n",
				(unsigned long long)same, (unsigned long long)ev.time, ev.node,
				ev.kind == EV_TIMER ? "timer" : "datagram");
			abort();
		}
		s->now = ev.time;
		s->events++;
		if (ev.kind == EV_DATAGRAM) {
			struct rumor_ep from;

			simnet_ep(ev.src, &from);
			if (h->alive)
				rumor_node_receive(h->node, &from, ev.data, ev.len);
			buf_put(s, ev.data, ev.len);
		} else if (h->alive && ev.gen == h->timer_gen) {
			rumor_node_timer(h->node);
		}
	}
	if (t > s->now)
		s->now = t;
}

void simnet_set_loss(struct simnet *s, double loss)
{
	s->cfg.loss = loss;
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
