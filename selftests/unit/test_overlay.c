// SPDX-License-Identifier: GPL-2.0
/*
 * HyParView and Plumtree in the protocol core, on simnet's simulated
 * network: the views, delivery, the tree, failures, and every bound under
 * hostile input. Deterministic: each case fixes its seed.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/ktap.h"
#include "simnet.h"

#define MS	1000ULL
#define SEC	(1000 * MS)

/* ---- building overlays ---- */

static struct rumor_config config(void)
{
	struct rumor_config c;

	rumor_config_default(&c);
	return c;
}

/* @n nodes joining one every 10 ms through a random earlier node. */
static struct simnet *overlay(uint32_t n, uint64_t seed, struct rumor_config c,
			      uint64_t settle)
{
	struct simnet_config sc = {
		.nodes = n,
		.seed = seed,
		.latency_min_us = 1000,
		.latency_max_us = 10000,
		.node = c,
	};
	struct simnet *s = simnet_create(&sc);
	uint32_t i;

	if (!s)
		return NULL;
	for (i = 1; i < n; i++) {
		struct rumor_ep ep;

		simnet_ep((uint32_t)(simnet_random(s) % i), &ep);
		rumor_node_join(simnet_node(s, i), &ep);
		simnet_run_until(s, simnet_now(s) + 10 * MS);
	}
	simnet_run_until(s, simnet_now(s) + settle);
	return s;
}

static bool is_active(const struct rumor_node *n, uint64_t id)
{
	uint32_t k;

	for (k = 0; k < n->nactive; k++)
		if (n->active[k]->m.id == id)
			return true;
	return false;
}

static bool linked(struct simnet *s, uint32_t a, uint32_t b)
{
	struct rumor_node *n = simnet_node(s, a);
	uint32_t k;

	for (k = 0; k < n->nactive; k++)
		if (simnet_index(&n->active[k]->m.ep) == b)
			return true;
	return false;
}

/* Live nodes reachable from @from over active links. */
static uint32_t reachable(struct simnet *s, uint32_t from)
{
	uint32_t n = simnet_size(s), *queue = calloc(n, sizeof(*queue));
	bool *seen = calloc(n, sizeof(*seen));
	uint32_t head = 0, tail = 0, count = 0, k;

	queue[tail++] = from;
	seen[from] = true;
	while (head < tail) {
		struct rumor_node *node = simnet_node(s, queue[head++]);

		count++;
		for (k = 0; k < node->nactive; k++) {
			uint32_t j = simnet_index(&node->active[k]->m.ep);

			if (j < n && !seen[j] && simnet_alive(s, j)) {
				seen[j] = true;
				queue[tail++] = j;
			}
		}
	}
	free(queue);
	free(seen);
	return count;
}

static uint32_t alive_count(struct simnet *s)
{
	uint32_t i, c = 0;

	for (i = 0; i < simnet_size(s); i++)
		c += simnet_alive(s, i);
	return c;
}

static uint32_t random_alive(struct simnet *s)
{
	uint32_t i;

	do
		i = (uint32_t)(simnet_random(s) % simnet_size(s));
	while (!simnet_alive(s, i));
	return i;
}

/* ---- deliveries ---- */

#define MAX_NODES	512
#define MAX_MSGS	64

static struct deliveries {
	uint64_t origin[MAX_MSGS];
	uint64_t seq[MAX_MSGS];
	uint32_t nmsgs;
	uint8_t count[MAX_NODES][MAX_MSGS];
	uint64_t other;
} dl;

static void on_deliver(void *arg, uint32_t node, const struct rumor_msg *msg,
		       uint64_t now)
{
	uint32_t i;

	(void)arg;
	(void)now;
	for (i = 0; i < dl.nmsgs; i++) {
		if (dl.origin[i] == msg->gossip.origin &&
		    dl.seq[i] == msg->gossip.seq) {
			if (node < MAX_NODES)
				dl.count[node][i]++;
			return;
		}
	}
	dl.other++;
}

/* Broadcast from @from and remember the message; its index. */
static uint32_t broadcast(struct simnet *s, uint32_t from)
{
	struct rumor_node *n = simnet_node(s, from);
	__u64 seq;
	uint32_t i = dl.nmsgs++;

	if (rumor_node_broadcast(n, "payload", 7, &seq))
		abort();
	dl.origin[i] = n->id;
	dl.seq[i] = seq;
	return i;
}

/* Live nodes other than the origin that delivered message @m exactly once. */
static uint32_t delivered_once(struct simnet *s, uint32_t m, uint32_t origin,
			       uint32_t *twice)
{
	uint32_t i, once = 0;

	*twice = 0;
	for (i = 0; i < simnet_size(s); i++) {
		if (!simnet_alive(s, i) || i == origin)
			continue;
		once += dl.count[i][m] == 1;
		*twice += dl.count[i][m] > 1;
	}
	return once;
}

static uint64_t gossip_sent(struct simnet *s)
{
	return simnet_traffic(s)->msgs[RUMOR_WIRE_GOSSIP];
}

/* ---- cases ---- */

static void test_views_form(void)
{
	struct simnet *s = overlay(128, 1, config(), 20 * SEC);
	uint32_t i, k, total = 0;

	ASSERT_TRUE(s != NULL);
	for (i = 0; i < 128; i++) {
		struct rumor_node *n = simnet_node(s, i);

		EXPECT_TRUE(n->nactive >= 1 && n->nactive <= 5);
		total += n->nactive;
		for (k = 0; k < n->nactive; k++) {
			uint32_t j = simnet_index(&n->active[k]->m.ep);

			/* Symmetric: both ends think they are neighbours. */
			EXPECT_TRUE(linked(s, j, i));
			EXPECT_TRUE(n->active[k]->m.id != n->id);
		}
		for (k = 0; k < n->npassive; k++) {
			EXPECT_TRUE(n->passive[k].id != n->id);
			EXPECT_TRUE(!is_active(n, n->passive[k].id));
		}
	}
	printf("# mean active view %.2f\n", total / 128.0);
	EXPECT_TRUE(total >= 128 * 4);
	EXPECT_EQ(reachable(s, 0), 128);
	simnet_destroy(s);
}

static void test_exactly_once_and_tree(void)
{
	struct simnet *s = overlay(200, 2, config(), 20 * SEC);
	uint32_t b, once, twice, m, from;
	uint64_t before;
	double rmr = 0;

	ASSERT_TRUE(s != NULL);
	memset(&dl, 0, sizeof(dl));
	simnet_on_deliver(s, on_deliver, NULL);
	for (b = 0; b < 20; b++) {
		from = random_alive(s);
		before = gossip_sent(s);
		m = broadcast(s, from);
		simnet_run_until(s, simnet_now(s) + 2 * SEC);
		once = delivered_once(s, m, from, &twice);
		EXPECT_EQ(once, 199);
		EXPECT_EQ(twice, 0);
		EXPECT_EQ(dl.count[from][m], 0);
		rmr = (double)(gossip_sent(s) - before) / 199 - 1;
		if (b == 0)
			printf("# first broadcast RMR %.3f\n", rmr);
	}
	printf("# last broadcast RMR %.3f\n", rmr);
	/* The eager links have converged on a spanning tree. */
	EXPECT_TRUE(rmr <= 0.05);
	simnet_destroy(s);
}

static void test_flood_is_costly(void)
{
	struct rumor_config c = config();
	struct simnet *s;
	uint64_t before;
	double rmr;
	uint32_t from, m, twice;

	c.mode = RUMOR_MODE_FLOOD;
	s = overlay(200, 2, c, 20 * SEC);
	ASSERT_TRUE(s != NULL);
	memset(&dl, 0, sizeof(dl));
	simnet_on_deliver(s, on_deliver, NULL);
	simnet_run_until(s, simnet_now(s) + 2 * SEC);
	from = random_alive(s);
	before = gossip_sent(s);
	m = broadcast(s, from);
	simnet_run_until(s, simnet_now(s) + 2 * SEC);
	rmr = (double)(gossip_sent(s) - before) / 199 - 1;
	printf("# flood RMR %.3f\n", rmr);
	EXPECT_EQ(delivered_once(s, m, from, &twice), 199);
	EXPECT_TRUE(rmr > 2.0);
	simnet_destroy(s);
}

/* A quarter of the nodes die at once; the rest heal and still deliver. */
static void test_failures_heal(void)
{
	struct simnet *s = overlay(200, 3, config(), 20 * SEC);
	uint32_t i, k, killed = 0, from, m, twice, live;

	ASSERT_TRUE(s != NULL);
	memset(&dl, 0, sizeof(dl));
	simnet_on_deliver(s, on_deliver, NULL);
	while (killed < 50) {
		i = (uint32_t)(simnet_random(s) % 200);
		if (simnet_alive(s, i)) {
			simnet_kill(s, i);
			killed++;
		}
	}
	/* Past fail_timeout every dead neighbour is noticed and replaced. */
	simnet_run_until(s, simnet_now(s) + 10 * SEC);
	live = alive_count(s);
	for (i = 0; i < 200; i++) {
		struct rumor_node *n;

		if (!simnet_alive(s, i))
			continue;
		n = simnet_node(s, i);
		EXPECT_TRUE(n->nactive >= 1);
		for (k = 0; k < n->nactive; k++)
			EXPECT_TRUE(simnet_alive(s, simnet_index(&n->active[k]->m.ep)));
	}
	EXPECT_EQ(reachable(s, random_alive(s)), live);
	for (k = 0; k < 5; k++) {
		from = random_alive(s);
		m = broadcast(s, from);
		simnet_run_until(s, simnet_now(s) + 2 * SEC);
		EXPECT_EQ(delivered_once(s, m, from, &twice), live - 1);
		EXPECT_EQ(twice, 0);
	}
	simnet_destroy(s);
}

/* A restarted node (new id, same address) is taken back as itself. */
static void test_restart_new_incarnation(void)
{
	struct simnet *s = overlay(64, 4, config(), 10 * SEC);
	uint32_t victim = 7, from, m, twice;

	ASSERT_TRUE(s != NULL);
	memset(&dl, 0, sizeof(dl));
	simnet_on_deliver(s, on_deliver, NULL);
	simnet_restart(s, victim, 0);
	simnet_run_until(s, simnet_now(s) + 10 * SEC);
	EXPECT_TRUE(simnet_node(s, victim)->nactive >= 1);
	from = victim == 1 ? 2 : 1;
	m = broadcast(s, from);
	simnet_run_until(s, simnet_now(s) + 2 * SEC);
	EXPECT_EQ(delivered_once(s, m, from, &twice), 63);
	EXPECT_EQ(dl.count[victim][m], 1);
	simnet_destroy(s);
}

/* The tree optimisation swaps links only when enabled. */
static void test_optimisation(void)
{
	uint64_t swaps[2];
	int on;

	for (on = 0; on < 2; on++) {
		struct rumor_config c = config();
		struct simnet *s;
		uint32_t i, b;

		c.optimize_hops = on ? 1 : 0;
		s = overlay(200, 5, c, 10 * SEC);
		ASSERT_TRUE(s != NULL);
		for (b = 0; b < 30; b++) {
			__u64 seq;

			rumor_node_broadcast(simnet_node(s, random_alive(s)), "x", 1, &seq);
			simnet_run_until(s, simnet_now(s) + SEC);
		}
		swaps[on] = 0;
		for (i = 0; i < 200; i++)
			swaps[on] += simnet_node(s, i)->stats.tree_optimized;
		simnet_destroy(s);
	}
	printf("# tree optimisations: %llu off, %llu on\n",
	       (unsigned long long)swaps[0], (unsigned long long)swaps[1]);
	EXPECT_EQ(swaps[0], 0);
	EXPECT_TRUE(swaps[1] > 0);
}

/* ---- one node and a hostile neighbour ---- */

struct lone {
	struct simnet *s;
	struct rumor_node *n;		/* node 0 */
	struct rumor_ep peer_ep;	/* node 1's address, spoofed */
	uint64_t peer_id;
};

/* Two nodes linked; node 1 is then killed and impersonated. */
static int lone_setup(struct lone *l, struct rumor_config c)
{
	struct simnet_config sc = { .nodes = 2, .seed = 9, .latency_min_us = 100,
				    .latency_max_us = 100, .node = c };
	struct rumor_ep ep0;

	l->s = simnet_create(&sc);
	if (!l->s)
		return -1;
	simnet_ep(0, &ep0);
	rumor_node_join(simnet_node(l->s, 1), &ep0);
	simnet_run_until(l->s, 100 * MS);
	l->n = simnet_node(l->s, 0);
	l->peer_id = simnet_node(l->s, 1)->id;
	simnet_ep(1, &l->peer_ep);
	simnet_kill(l->s, 1);
	return l->n->nactive == 1 ? 0 : -1;
}

static void inject_ihave(struct lone *l, uint64_t sender, uint64_t first,
			 uint32_t count)
{
	uint8_t buf[RUMOR_WIRE_IHAVE_LEN(RUMOR_WIRE_IHAVE_MAX)];
	uint32_t i;
	int len = rumor_wire_put_ihave_hdr(buf, sizeof(buf), sender, count);

	if (len < 0)
		abort();
	for (i = 0; i < count; i++)
		rumor_wire_put_ihave_id(buf, i, 0xbad, first + i, 1);
	rumor_node_receive(l->n, &l->peer_ep, buf, (uint32_t)len);
}

static void test_ihave_flood_bounded(void)
{
	struct rumor_config c = config();
	struct lone l;
	uint64_t base, peak = 0, i;

	c.max_missing = 100;
	ASSERT_EQ(lone_setup(&l, c), 0);
	base = simnet_node_bytes(l.s, 0);
	/* 10,000 ids that will never arrive, from a neighbour. */
	for (i = 0; i < 10000; i += 50) {
		inject_ihave(&l, l.peer_id, 1 + i, 50);
		if (simnet_node_bytes(l.s, 0) > peak)
			peak = simnet_node_bytes(l.s, 0);
	}
	EXPECT_EQ(l.n->missing.count, 100);
	EXPECT_EQ(l.n->stats.missing_full, 9900);
	printf("# missing-ids table: %llu bytes at its bound of 100\n",
	       (unsigned long long)(peak - base));
	EXPECT_TRUE(peak - base < 100 * 256);
	/* The GRAFTs go unanswered: the entries are given up and freed. */
	simnet_run_until(l.s, simnet_now(l.s) + 5 * SEC);
	EXPECT_EQ(l.n->missing.count, 0);
	EXPECT_EQ(l.n->stats.graft_gave_up, 100);
	EXPECT_TRUE(simnet_node_bytes(l.s, 0) <= base);
	simnet_destroy(l.s);
}

static void test_strangers_ignored(void)
{
	struct lone l;
	uint8_t buf[RUMOR_WIRE_HLEN + sizeof(struct rumor_wire_id)];
	int len;

	ASSERT_EQ(lone_setup(&l, config()), 0);
	/* The same address but an id that is not a neighbour. */
	inject_ihave(&l, 0x5742, 1, 10);
	EXPECT_EQ(l.n->missing.count, 0);
	EXPECT_EQ(l.n->stats.rx_stranger, 1);
	len = rumor_wire_put_graft(buf, sizeof(buf), 0x5743, 1, 1, 0);
	ASSERT_TRUE(len > 0);
	rumor_node_receive(l.n, &l.peer_ep, buf, (uint32_t)len);
	EXPECT_EQ(l.n->stats.rx_stranger, 2);
	EXPECT_EQ(l.n->stats.rx_graft, 0);
	simnet_destroy(l.s);
}

static void test_graft_unknown(void)
{
	struct lone l;
	uint8_t buf[RUMOR_WIRE_HLEN + sizeof(struct rumor_wire_id)];
	uint64_t sent;
	int len, i;

	ASSERT_EQ(lone_setup(&l, config()), 0);
	sent = gossip_sent(l.s);
	for (i = 1; i <= 1000; i++) {
		len = rumor_wire_put_graft(buf, sizeof(buf), l.peer_id, 0xbad,
					   (uint64_t)i, 0);
		ASSERT_TRUE(len > 0);
		rumor_node_receive(l.n, &l.peer_ep, buf, (uint32_t)len);
	}
	EXPECT_EQ(l.n->stats.graft_unknown, 1000);
	EXPECT_EQ(gossip_sent(l.s), sent);
	simnet_destroy(l.s);
}

/* A GRAFT for a cached message is answered, flagged as such. */
static void test_graft_answered_from_cache(void)
{
	struct lone l;
	uint8_t buf[RUMOR_WIRE_HLEN + sizeof(struct rumor_wire_id)];
	uint64_t sent;
	__u64 seq;
	int len;

	ASSERT_EQ(lone_setup(&l, config()), 0);
	ASSERT_EQ(rumor_node_broadcast(l.n, "cached", 6, &seq), 0);
	sent = gossip_sent(l.s);
	len = rumor_wire_put_graft(buf, sizeof(buf), l.peer_id, l.n->id, seq, 0);
	rumor_node_receive(l.n, &l.peer_ep, buf, (uint32_t)len);
	EXPECT_EQ(gossip_sent(l.s), sent + 1);
	EXPECT_EQ(l.n->stats.graft_unknown, 0);
	simnet_destroy(l.s);
}

static void test_cache_bounds(void)
{
	struct rumor_config c = config();
	struct lone l;
	uint8_t payload[100] = { 0 };
	__u64 seq;
	int i;

	c.cache_bytes = 2000;
	c.cache_age_ms = 1000;
	ASSERT_EQ(lone_setup(&l, c), 0);
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(rumor_node_broadcast(l.n, payload, sizeof(payload), &seq), 0);
		EXPECT_TRUE(rumor_node_cache_bytes(l.n) <= 2000);
	}
	EXPECT_TRUE(l.n->stats.cache_evicted > 80);
	simnet_run_until(l.s, simnet_now(l.s) + 2 * SEC);
	EXPECT_EQ(rumor_node_cache_bytes(l.n), 0);
	EXPECT_TRUE(l.n->stats.cache_expired > 0);
	simnet_destroy(l.s);
}

/* Announcements for a lazy peer queue up to their bound, then drop. */
static void test_lazy_queue_bounded(void)
{
	struct rumor_config c = config();
	struct lone l;
	__u64 seq;
	int i;

	c.lazy_queue_len = 8;
	c.ihave_interval_ms = 10000;
	ASSERT_EQ(lone_setup(&l, c), 0);
	l.n->active[0]->eager = 0;
	for (i = 0; i < 20; i++)
		ASSERT_EQ(rumor_node_broadcast(l.n, "x", 1, &seq), 0);
	EXPECT_EQ(l.n->active[0]->lazy_len, 8);
	EXPECT_EQ(l.n->stats.lazy_dropped, 12);
	simnet_destroy(l.s);
}

/* Garbage and broken control messages are counted, never crash. */
static void test_garbage(void)
{
	struct lone l;
	uint8_t buf[512];
	unsigned int seed = 11;
	uint64_t malformed = 0;
	int i, r;

	ASSERT_EQ(lone_setup(&l, config()), 0);
	for (i = 0; i < 50000; i++) {
		uint32_t len = (uint32_t)(rand_r(&seed) % sizeof(buf));

		for (uint32_t k = 0; k < len; k++)
			buf[k] = (uint8_t)rand_r(&seed);
		if (len >= 16 && rand_r(&seed) % 2) {
			/* A plausible header, so bodies get parsed too. */
			buf[0] = 'R';
			buf[1] = 'M';
			buf[2] = 1;
			buf[3] = (uint8_t)(1 + rand_r(&seed) % 13);
			buf[4] = (uint8_t)(len >> 8);
			buf[5] = (uint8_t)len;
			buf[6] = 0;
		}
		rumor_node_receive(l.n, &l.peer_ep, buf, len);
	}
	for (r = 0; r < RUMOR_WIRE_NERR; r++)
		malformed += l.n->stats.rx_malformed[r];
	printf("# %llu of 50000 refused as malformed\n",
	       (unsigned long long)malformed);
	EXPECT_TRUE(malformed > 40000);
	simnet_destroy(l.s);
}

static void test_deterministic(void)
{
	uint64_t events[2], gossip[2];
	int k;

	for (k = 0; k < 2; k++) {
		struct simnet *s = overlay(100, 42, config(), 5 * SEC);
		__u64 seq;

		ASSERT_TRUE(s != NULL);
		rumor_node_broadcast(simnet_node(s, 3), "x", 1, &seq);
		simnet_run_until(s, simnet_now(s) + SEC);
		events[k] = simnet_events(s);
		gossip[k] = gossip_sent(s);
		simnet_destroy(s);
	}
	EXPECT_EQ(events[0], events[1]);
	EXPECT_EQ(gossip[0], gossip[1]);
}

static const struct ktap_case cases[] = {
	{ "overlay_views_form", test_views_form },
	{ "overlay_exactly_once_and_tree", test_exactly_once_and_tree },
	{ "overlay_flood_is_costly", test_flood_is_costly },
	{ "overlay_failures_heal", test_failures_heal },
	{ "overlay_restart_new_incarnation", test_restart_new_incarnation },
	{ "overlay_optimisation", test_optimisation },
	{ "bound_ihave_flood", test_ihave_flood_bounded },
	{ "strangers_ignored", test_strangers_ignored },
	{ "bound_graft_unknown", test_graft_unknown },
	{ "graft_answered_from_cache", test_graft_answered_from_cache },
	{ "bound_cache", test_cache_bounds },
	{ "bound_lazy_queue", test_lazy_queue_bounded },
	{ "garbage_counted", test_garbage },
	{ "deterministic", test_deterministic },
};

KTAP_MAIN(cases)
