// SPDX-License-Identifier: GPL-2.0
/*
 * Cluster membership (userspace/rumord/members.c) on a timeline the test
 * writes: the heartbeat payload (round trips, every refusal, every byte
 * of a heartbeat set to every value, random mutations never read beyond
 * their end under ASan), and the table's events in order: joins, silence,
 * updates, returns, clean leaves, forgetting; a restart winning over the
 * old incarnation; the bound; our own heartbeats; the module's neighbour
 * evidence; suspicion lifted only by a newer heartbeat; the export to a
 * real ring with the table as its liveness predicate.
 *
 * No clock: every call is given its time, so the timeline is exact.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/ktap.h"
#include "members.h"
#include "ring.h"

#define TIMEOUT		5000
#define FORGET		60000
#define PORT		7867

/* ---- helpers ---- */

/* 2001:db8::N, the documentation prefix. */
static void addr6(uint8_t *a, uint16_t n)
{
	memset(a, 0, RUMORD_MEMBER_ADDR_LEN);
	a[0] = 0x20;
	a[1] = 0x01;
	a[2] = 0x0d;
	a[3] = 0xb8;
	a[14] = n >> 8;
	a[15] = n & 0xff;
}

/* ::ffff:A.B.C.D */
static void addr4(uint8_t *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	memset(a, 0, RUMORD_MEMBER_ADDR_LEN);
	a[10] = a[11] = 0xff;
	a[12] = b0;
	a[13] = b1;
	a[14] = b2;
	a[15] = b3;
}

/* A heartbeat of @node from 2001:db8::@node. */
static struct rumord_member_heartbeat hb_of(uint64_t node, uint64_t inc,
					    uint64_t seq)
{
	struct rumord_member_heartbeat hb;

	memset(&hb, 0, sizeof(hb));
	hb.node = node;
	hb.incarnation = inc;
	hb.seq = seq;
	hb.port = PORT;
	hb.naddr = 1;
	addr6(hb.addrs[0], (uint16_t)node);
	return hb;
}

static bool hb_equal(const struct rumord_member_heartbeat *a,
		     const struct rumord_member_heartbeat *b)
{
	return a->node == b->node && a->incarnation == b->incarnation &&
	       a->seq == b->seq && a->port == b->port &&
	       a->leaving == b->leaving && a->naddr == b->naddr &&
	       !memcmp(a->addrs, b->addrs,
		       (size_t)a->naddr * RUMORD_MEMBER_ADDR_LEN);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* ---- events, recorded in order ---- */

struct recorded {
	uint64_t node;
	enum rumord_member_event ev;
	uint64_t now;
};

static struct recorded evs[64];
static size_t nevs;
static struct rumord_members *watched;

static void record(void *arg, const struct rumord_member *m,
		   enum rumord_member_event ev, uint64_t now)
{
	(void)arg;
	/* The callback may read the table, and sees the member in it. */
	EXPECT_TRUE(rumord_members_find(watched, m->node) == m);
	/* The member is already in the state the event announces. */
	if (ev == RUMORD_MEMBER_JOINED || ev == RUMORD_MEMBER_EV_UP)
		EXPECT_TRUE(m->state == RUMORD_MEMBER_UP && m->since_ms == now);
	if (ev == RUMORD_MEMBER_EV_DOWN || ev == RUMORD_MEMBER_LEFT)
		EXPECT_TRUE(m->state == RUMORD_MEMBER_DOWN && m->since_ms == now);
	if (nevs < sizeof(evs) / sizeof(evs[0]))
		evs[nevs] = (struct recorded){ m->node, ev, now };
	nevs++;
}

/*
 * The table and the ring under test live here, not on a test's stack, so
 * that an ASSERT leaving a test early leaks nothing: LeakSanitizer would
 * end the run before KTAP's last lines are out.
 */
static struct rumord_members table;
static struct rumord_ring ring;

static void free_all(void)
{
	rumord_members_free(&table);
	rumord_ring_free(&ring);
}

static struct rumord_members *table_init(uint64_t local)
{
	static bool registered;
	struct rumord_members_opts o = {
		.local_node = local, .timeout_ms = TIMEOUT, .forget_ms = FORGET,
		.event = record,
	};

	if (!registered)
		registered = !atexit(free_all);
	free_all();
	nevs = 0;
	watched = &table;
	if (rumord_members_init(&table, &o))
		abort();
	return &table;
}

/* The events since the last check are exactly @want (node, event, now). */
#define EXPECT_EVENTS(...) do {						\
	const struct recorded _w[] = { __VA_ARGS__ };			\
	size_t _i, _n = sizeof(_w) / sizeof(_w[0]);			\
	EXPECT_EQ(nevs, _n);						\
	for (_i = 0; _i < _n && _i < nevs; _i++) {			\
		if (evs[_i].node != _w[_i].node || evs[_i].ev != _w[_i].ev || \
		    evs[_i].now != _w[_i].now) {			\
			KTAP_REPORT("event %zu: got %llx %s at %llu, want %llx %s at %llu", \
				    _i, (unsigned long long)evs[_i].node, \
				    rumord_member_event_name(evs[_i].ev), \
				    (unsigned long long)evs[_i].now,	\
				    (unsigned long long)_w[_i].node,	\
				    rumord_member_event_name(_w[_i].ev), \
				    (unsigned long long)_w[_i].now);	\
			ktap_case_failed = 1;				\
		}							\
	}								\
	nevs = 0;							\
} while (0)

#define EXPECT_NO_EVENTS() do { EXPECT_EQ(nevs, 0); nevs = 0; } while (0)

#define EV(node, ev, now)	{ (node), RUMORD_MEMBER_##ev, (now) }

static int state_of(const struct rumord_members *t, uint64_t node)
{
	const struct rumord_member *m = rumord_members_find(t, node);

	return m ? (int)m->state : -1;
}

/* ---- the heartbeat ---- */

static struct rumord_member_heartbeat sample(void)
{
	struct rumord_member_heartbeat hb = hb_of(0x1122334455667788ull,
						  0x0102030405060708ull, 9);

	hb.naddr = 2;
	addr6(hb.addrs[0], 1);
	addr4(hb.addrs[1], 10, 0, 0, 2);
	return hb;
}

static void test_heartbeat_round_trip(void)
{
	struct rumord_member_heartbeat hb = sample(), out;
	uint8_t buf[RUMORD_MEMBER_MAX_LEN];
	long n;
	int i;

	n = rumord_member_heartbeat_encode(&hb, buf, sizeof(buf));
	ASSERT_EQ(n, RUMORD_MEMBER_HLEN + 2 * 16);
	EXPECT_EQ(rumord_member_heartbeat_size(&hb), n);
	/* The layout members.h gives, little endian. */
	EXPECT_TRUE(buf[0] == 0x6b && buf[1] == 0x6d && buf[2] == 1 && buf[3] == 0);
	EXPECT_TRUE(buf[4] == 0xbb && buf[5] == 0x1e && buf[6] == 2 && buf[7] == 0);
	EXPECT_TRUE(buf[8] == 0x88 && buf[15] == 0x11);
	EXPECT_TRUE(buf[16] == 0x08 && buf[23] == 0x01);
	EXPECT_TRUE(buf[24] == 9 && buf[31] == 0);
	EXPECT_TRUE(buf[32] == 0x20 && buf[47] == 1);
	EXPECT_TRUE(buf[58] == 0xff && buf[59] == 0xff && buf[60] == 10 &&
		    buf[63] == 2);
	ASSERT_EQ(rumord_member_heartbeat_decode(buf, (size_t)n, &out), 0);
	EXPECT_TRUE(hb_equal(&hb, &out));

	/* LEAVING, four addresses (the largest), any incarnation and seq. */
	hb.leaving = true;
	hb.naddr = RUMORD_MEMBER_MAX_ADDRS;
	for (i = 2; i < RUMORD_MEMBER_MAX_ADDRS; i++)
		addr6(hb.addrs[i], (uint16_t)(100 + i));
	hb.incarnation = 0;
	hb.seq = UINT64_MAX;
	n = rumord_member_heartbeat_encode(&hb, buf, sizeof(buf));
	ASSERT_EQ(n, RUMORD_MEMBER_MAX_LEN);
	EXPECT_EQ(buf[3], RUMORD_MEMBER_F_LEAVING);
	ASSERT_EQ(rumord_member_heartbeat_decode(buf, (size_t)n, &out), 0);
	EXPECT_TRUE(hb_equal(&hb, &out) && out.leaving);
	EXPECT_EQ(rumord_member_heartbeat_encode(&hb, buf, RUMORD_MEMBER_MAX_LEN - 1),
		  -EMSGSIZE);
}

static void test_heartbeat_encode_refusals(void)
{
	struct rumord_member_heartbeat good = sample(), hb;
	uint8_t buf[RUMORD_MEMBER_MAX_LEN];

#define ENC_REFUSED(stmt) do {						\
		hb = good;						\
		stmt;							\
		EXPECT_EQ(rumord_member_heartbeat_encode(&hb, buf, sizeof(buf)), \
			  -EINVAL);					\
		EXPECT_EQ(rumord_members_heard(watched, &hb, 0), -EINVAL); \
	} while (0)
	struct rumord_members *t;

	t = table_init(0);
	ENC_REFUSED(hb.node = 0);
	ENC_REFUSED(hb.port = 0);
	ENC_REFUSED(hb.naddr = 0);
	ENC_REFUSED(hb.naddr = RUMORD_MEMBER_MAX_ADDRS + 1);
	ENC_REFUSED(memset(hb.addrs[0], 0, 16));		/* :: */
	ENC_REFUSED(hb.addrs[1][0] = 0xff);			/* multicast */
	ENC_REFUSED(addr4(hb.addrs[1], 0, 1, 2, 3));		/* 0.0.0.0/8 */
	ENC_REFUSED(addr4(hb.addrs[1], 224, 0, 0, 1));		/* multicast */
	ENC_REFUSED(addr4(hb.addrs[1], 255, 255, 255, 255));
	ENC_REFUSED(memcpy(hb.addrs[1], hb.addrs[0], 16));	/* twice */
	EXPECT_EQ(rumord_member_heartbeat_encode(&good, buf, 63), -EMSGSIZE);
	EXPECT_EQ(rumord_member_heartbeat_encode(&good, buf, 64), 64);
	/* Loopback is an address like any other (tests run on it). */
	hb = good;
	hb.addrs[0][15] = 1;
	memset(hb.addrs[0], 0, 15);
	EXPECT_EQ(rumord_member_heartbeat_encode(&hb, buf, sizeof(buf)), 64);
	EXPECT_EQ(rumord_members_count(t), 0);
	EXPECT_NO_EVENTS();
	rumord_members_free(t);
}

/* Decode @len bytes of @src in a buffer of exactly that size. */
static int decode_exact(const uint8_t *src, size_t len,
			struct rumord_member_heartbeat *out)
{
	uint8_t *m = malloc(len ? len : 1);
	int rc;

	if (!m)
		abort();
	memcpy(m, src, len);
	rc = rumord_member_heartbeat_decode(m, len, out);
	free(m);
	return rc;
}

static void test_heartbeat_decode_refusals(void)
{
	struct rumord_member_heartbeat hb = sample(), out;
	uint8_t buf[RUMORD_MEMBER_MAX_LEN + 32], bad[sizeof(buf)];
	static const uint8_t kv[40] = { 0x6b, 0x76, 1 };	/* a write */
	size_t n, len;
	int bit;

	n = (size_t)rumord_member_heartbeat_encode(&hb, buf, sizeof(buf));
	ASSERT_EQ(n, 64);
	/* Not ours. */
	EXPECT_EQ(decode_exact(buf, 0, &out), -ENOMSG);
	EXPECT_EQ(decode_exact(buf, 1, &out), -ENOMSG);
	EXPECT_EQ(decode_exact((const uint8_t *)"hello", 5, &out), -ENOMSG);
	EXPECT_EQ(decode_exact(kv, sizeof(kv), &out), -ENOMSG);
	/* Every truncation, the magic kept: malformed, or a later version. */
	for (len = 2; len < n; len++)
		EXPECT_EQ(decode_exact(buf, len, &out), -EINVAL);
	memcpy(bad, buf, n);
	bad[2] = 2;
	EXPECT_EQ(decode_exact(bad, 3, &out), -EPROTO);
	EXPECT_EQ(decode_exact(bad, n, &out), -EPROTO);
	bad[2] = 0;
	EXPECT_EQ(decode_exact(bad, n, &out), -EPROTO);
	/* Longer than its addresses, by a byte or by an address. */
	memcpy(bad, buf, n);
	memset(bad + n, 0x11, 32);
	EXPECT_EQ(decode_exact(bad, n + 1, &out), -EINVAL);
	EXPECT_EQ(decode_exact(bad, n + 16, &out), -EINVAL);

#define DEC_POKE(off, val, want) do {					\
		memcpy(bad, buf, n);					\
		bad[off] = (val);					\
		EXPECT_EQ(decode_exact(bad, n, &out), want);		\
	} while (0)
	for (bit = 1; bit < 8; bit++)
		DEC_POKE(3, 1u << bit, -EINVAL);	/* unknown flags */
	DEC_POKE(3, RUMORD_MEMBER_F_LEAVING, 0);
	for (bit = 0; bit < 8; bit++)
		DEC_POKE(7, 1u << bit, -EINVAL);	/* reserved */
	DEC_POKE(6, 0, -EINVAL);			/* no address */
	DEC_POKE(6, 1, -EINVAL);			/* length: 2 addresses */
	DEC_POKE(6, 3, -EINVAL);
	DEC_POKE(6, 5, -EINVAL);
	DEC_POKE(6, 255, -EINVAL);
	/* Five addresses, and the length to match: still one too many. */
	memcpy(bad, buf, n);
	bad[6] = RUMORD_MEMBER_MAX_ADDRS + 1;
	for (len = 2; len < 5; len++)
		addr6(bad + 32 + 16 * len, (uint16_t)(200 + len));
	EXPECT_EQ(decode_exact(bad, 32 + 5 * 16, &out), -EINVAL);
	bad[6] = RUMORD_MEMBER_MAX_ADDRS;
	EXPECT_EQ(decode_exact(bad, 32 + 4 * 16, &out), 0);
	memcpy(bad, buf, n);
	bad[4] = bad[5] = 0;				/* port 0 */
	EXPECT_EQ(decode_exact(bad, n, &out), -EINVAL);
	memcpy(bad, buf, n);
	memset(bad + 8, 0, 8);				/* node 0 */
	EXPECT_EQ(decode_exact(bad, n, &out), -EINVAL);
	memcpy(bad, buf, n);
	memset(bad + 16, 0, 16);			/* incarnation, seq 0: fine */
	EXPECT_EQ(decode_exact(bad, n, &out), 0);
	memcpy(bad, buf, n);
	memset(bad + 32, 0, 16);			/* :: */
	EXPECT_EQ(decode_exact(bad, n, &out), -EINVAL);
	DEC_POKE(48, 0xff, -EINVAL);			/* multicast */
	DEC_POKE(60, 0, -EINVAL);			/* ::ffff:0.0.0.2 */
	DEC_POKE(60, 224, -EINVAL);			/* ::ffff:224.0.0.2 */
	DEC_POKE(60, 223, 0);
	memcpy(bad, buf, n);
	memcpy(bad + 48, bad + 32, 16);			/* the same twice */
	EXPECT_EQ(decode_exact(bad, n, &out), -EINVAL);
	/* Good again, after all that. */
	EXPECT_EQ(decode_exact(buf, n, &out), 0);
}

/*
 * Every byte of a heartbeat set to every value: never a crash or a read
 * beyond the end, only the codes promised, and whatever decodes encodes
 * back to the same bytes (one heartbeat, one form).
 */
static void test_heartbeat_every_byte(void)
{
	struct rumord_member_heartbeat hb = sample(), out;
	uint8_t buf[RUMORD_MEMBER_MAX_LEN], *m, again[RUMORD_MEMBER_MAX_LEN];
	unsigned int counts[4] = { 0 };
	size_t n, off;
	unsigned int v;
	int rc;

	hb.naddr = RUMORD_MEMBER_MAX_ADDRS;
	addr6(hb.addrs[2], 77);
	addr4(hb.addrs[3], 192, 0, 2, 9);
	n = (size_t)rumord_member_heartbeat_encode(&hb, buf, sizeof(buf));
	ASSERT_EQ(n, RUMORD_MEMBER_MAX_LEN);
	for (off = 0; off < n; off++) {
		for (v = 0; v < 256; v++) {
			m = malloc(n);
			ASSERT_TRUE(m != NULL);
			memcpy(m, buf, n);
			m[off] = (uint8_t)v;
			rc = rumord_member_heartbeat_decode(m, n, &out);
			if (!rc) {
				counts[0]++;
				EXPECT_EQ(rumord_member_heartbeat_encode(&out, again,
									 sizeof(again)),
					  (long)n);
				EXPECT_TRUE(!memcmp(again, m, n));
			} else if (rc == -ENOMSG) {
				counts[1]++;
				EXPECT_TRUE(off < 2);
			} else if (rc == -EPROTO) {
				counts[2]++;
				EXPECT_TRUE(off == 2);
			} else {
				counts[3]++;
				EXPECT_EQ(rc, -EINVAL);
			}
			/* Incarnation and seq: any value at all. */
			if (off >= 16 && off < 32)
				EXPECT_EQ(rc, 0);
			free(m);
		}
	}
	/* The magic's and the version's other values, exactly. */
	EXPECT_EQ(counts[1], 2 * 255);
	EXPECT_EQ(counts[2], 255);
	printf("# %zu x 256 payloads: %u decoded, %u foreign, %u later version, %u malformed\n",
	       n, counts[0], counts[1], counts[2], counts[3]);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A valid heartbeat with random fields. */
static struct rumord_member_heartbeat random_heartbeat(void)
{
	struct rumord_member_heartbeat hb;
	unsigned int i;

	memset(&hb, 0, sizeof(hb));
	hb.node = rnd() % 64 + 1;	/* few nodes: the table sees repeats */
	hb.incarnation = rnd() % 4;
	hb.seq = rnd() % 16;
	hb.port = (uint16_t)(rnd() % 65535 + 1);
	hb.leaving = rnd() % 8 == 0;
	hb.naddr = (uint8_t)(rnd() % RUMORD_MEMBER_MAX_ADDRS + 1);
	for (i = 0; i < hb.naddr; i++) {
		if (rnd() % 2)
			addr6(hb.addrs[i], (uint16_t)(i * 1000 + rnd() % 1000 + 1));
		else
			addr4(hb.addrs[i], 10, (uint8_t)i, (uint8_t)rnd(),
			      (uint8_t)(rnd() % 254 + 1));
	}
	return hb;
}

#define MUTATIONS	100000
#define MUTATION_BUDGET_MS 60000

/*
 * Random heartbeats, mutated: bits flipped, bytes set, cut short or grown.
 * Each decoded in a buffer of its exact size (ASan sees any overread);
 * those that decode go to a table, which must stay sorted and bounded.
 */
static void test_heartbeat_mutations(void)
{
	struct rumord_member_heartbeat hb, out;
	uint8_t buf[RUMORD_MEMBER_MAX_LEN + 32], again[RUMORD_MEMBER_MAX_LEN];
	uint64_t start = mono_ms(), now = 0;
	unsigned int done, decoded = 0, taken = 0;
	struct rumord_members *t;
	size_t len, i;
	uint8_t *m;
	int j, rc;

	t = table_init(5);
	for (done = 0; done < MUTATIONS; done++) {
		if (!(done % 1024) && mono_ms() - start > MUTATION_BUDGET_MS)
			break;
		hb = random_heartbeat();
		len = (size_t)rumord_member_heartbeat_encode(&hb, buf, sizeof(buf));
		switch (rnd() % 4) {
		case 0:
			len = rnd() % len;			/* cut short */
			break;
		case 1:
			for (i = 0; i < 32; i++)
				buf[len + i] = (uint8_t)rnd();	/* grown */
			len += rnd() % 32 + 1;
			break;
		}
		for (j = (int)(rnd() % 4); j >= 0; j--) {
			if (!len)
				break;
			if (rnd() % 2)
				buf[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
			else
				buf[rnd() % len] = (uint8_t)rnd();
		}
		m = malloc(len ? len : 1);
		ASSERT_TRUE(m != NULL);
		memcpy(m, buf, len);
		rc = rumord_member_heartbeat_decode(m, len, &out);
		free(m);
		if (rc) {
			EXPECT_TRUE(rc == -ENOMSG || rc == -EINVAL || rc == -EPROTO);
			continue;
		}
		decoded++;
		EXPECT_TRUE(out.node && out.port && out.naddr >= 1 &&
			    out.naddr <= RUMORD_MEMBER_MAX_ADDRS);
		EXPECT_EQ(rumord_member_heartbeat_encode(&out, again, sizeof(again)),
			  (long)len);
		now += rnd() % 3000;
		rc = rumord_members_heard(t, &out, now);
		EXPECT_TRUE(rc == 0 || rc == 1 || rc == -ENOSPC);
		taken += rc == 1;
		if (!(done % 64))
			rumord_members_tick(t, now);
		if (!(done % 256) && rnd() % 2)
			rumord_members_suspect(t, rnd() % 64 + 1, now);
	}
	EXPECT_TRUE(rumord_members_count(t) <= RUMORD_MEMBERS_MAX);
	for (i = 1; i < rumord_members_count(t); i++)
		EXPECT_TRUE(rumord_members_at(t, i - 1)->node <
			    rumord_members_at(t, i)->node);
	EXPECT_TRUE(rumord_members_find(t, 5) == NULL);	/* ours */
	printf("# %u mutated heartbeats in %llu ms: %u decoded, %u taken, %zu members\n",
	       done, (unsigned long long)(mono_ms() - start), decoded, taken,
	       rumord_members_count(t));
	/* The budget is a guard against a slow machine, not the rule. */
	if (done < MUTATIONS)
		printf("# stopped at the time budget (%d ms)\n", MUTATION_BUDGET_MS);
	nevs = 0;
	rumord_members_free(t);
}

/* ---- the table ---- */

static void test_defaults(void)
{
	struct rumord_members t;
	struct rumord_member_heartbeat hb = hb_of(3, 1, 1);

	ASSERT_EQ(rumord_members_init(&t, NULL), 0);
	EXPECT_EQ(t.timeout_ms, RUMORD_MEMBERS_TIMEOUT_MS);
	EXPECT_EQ(t.forget_ms, RUMORD_MEMBERS_FORGET_MS);
	/* No callback: events are counted all the same. */
	EXPECT_EQ(rumord_members_heard(&t, &hb, 100), 1);
	EXPECT_EQ(rumord_members_tick(&t, 100), 100 + RUMORD_MEMBERS_TIMEOUT_MS);
	EXPECT_EQ(rumord_members_tick(&t, 100 + RUMORD_MEMBERS_TIMEOUT_MS),
		  100 + RUMORD_MEMBERS_TIMEOUT_MS + RUMORD_MEMBERS_FORGET_MS);
	EXPECT_EQ(t.stats.events[RUMORD_MEMBER_JOINED], 1);
	EXPECT_EQ(t.stats.events[RUMORD_MEMBER_EV_DOWN], 1);
	EXPECT_EQ(rumord_members_tick(&t, 100 + RUMORD_MEMBERS_TIMEOUT_MS +
					  RUMORD_MEMBERS_FORGET_MS), 0);
	EXPECT_EQ(rumord_members_count(&t), 0);
	EXPECT_TRUE(!strcmp(rumord_member_event_name(RUMORD_MEMBER_FORGOTTEN),
			    "forgotten"));
	EXPECT_TRUE(!strcmp(rumord_member_event_name(RUMORD_MEMBER_NR_EVENTS), "?"));
	rumord_members_free(&t);
}

/*
 * Two members, A and B, through every event on one timeline:
 *
 *   1000  A, B join                       3000  A again
 *   6000  B silent for the timeout: DOWN
 *   7000  A on a new port: UPDATED; B heard again: UP
 *   7500  A leaving: LEFT (a copy and an older one after it: stale)
 *  12000  B silent again: DOWN
 *  67500  A DOWN for forget_ms: FORGOTTEN   72000  B too
 */
static void test_timeline(void)
{
	const uint64_t A = 0xa, B = 0xb;
	struct rumord_member_heartbeat hb;
	const struct rumord_member *m;
	struct rumord_members *t;
	size_t up, down;

	t = table_init(0);
	hb = hb_of(A, 1, 1);
	EXPECT_EQ(rumord_members_heard(t, &hb, 1000), 1);
	hb = hb_of(B, 1, 1);
	EXPECT_EQ(rumord_members_heard(t, &hb, 1000), 1);
	EXPECT_EVENTS(EV(A, JOINED, 1000), EV(B, JOINED, 1000));
	EXPECT_EQ(rumord_members_tick(t, 1000), 6000);

	hb = hb_of(A, 1, 2);
	EXPECT_EQ(rumord_members_heard(t, &hb, 3000), 1);
	EXPECT_EQ(rumord_members_tick(t, 3000), 6000);
	EXPECT_EQ(rumord_members_tick(t, 5999), 6000);
	EXPECT_NO_EVENTS();
	EXPECT_EQ(rumord_members_find(t, A)->last_heard_ms, 3000);

	/* B: silent this long is DOWN; A is due at 8000. */
	EXPECT_EQ(rumord_members_tick(t, 6000), 8000);
	EXPECT_EVENTS(EV(B, EV_DOWN, 6000));
	m = rumord_members_find(t, B);
	EXPECT_TRUE(m->state == RUMORD_MEMBER_DOWN &&
		    m->down_why == RUMORD_MEMBER_SILENT && m->downs == 1);
	rumord_members_counts(t, &up, &down);
	EXPECT_TRUE(up == 1 && down == 1);

	hb = hb_of(A, 1, 3);
	hb.port = PORT + 1;
	EXPECT_EQ(rumord_members_heard(t, &hb, 7000), 1);
	hb = hb_of(B, 1, 2);
	EXPECT_EQ(rumord_members_heard(t, &hb, 7000), 1);
	EXPECT_EVENTS(EV(A, UPDATED, 7000), EV(B, EV_UP, 7000));
	EXPECT_EQ(rumord_members_find(t, A)->port, PORT + 1);

	hb = hb_of(A, 1, 4);
	hb.port = PORT + 1;
	hb.leaving = true;
	EXPECT_EQ(rumord_members_heard(t, &hb, 7500), 1);
	EXPECT_EVENTS(EV(A, LEFT, 7500));
	/* The same heartbeat again, and one from before it: no return. */
	EXPECT_EQ(rumord_members_heard(t, &hb, 7600), 0);
	hb = hb_of(A, 1, 3);
	EXPECT_EQ(rumord_members_heard(t, &hb, 7600), 0);
	EXPECT_NO_EVENTS();
	m = rumord_members_find(t, A);
	EXPECT_TRUE(m->state == RUMORD_MEMBER_DOWN &&
		    m->down_why == RUMORD_MEMBER_LEAVING && m->stale == 2 &&
		    m->seq == 4 && m->port == PORT + 1);
	EXPECT_EQ(t->stats.stale, 2);

	/* A is forgotten at 7500 + FORGET, B goes DOWN at 12000. */
	EXPECT_EQ(rumord_members_tick(t, 11999), 12000);
	EXPECT_EQ(rumord_members_tick(t, 12000), 7500 + FORGET);
	EXPECT_EVENTS(EV(B, EV_DOWN, 12000));
	EXPECT_EQ(rumord_members_tick(t, 7500 + FORGET), 12000 + FORGET);
	EXPECT_EVENTS(EV(A, FORGOTTEN, 7500 + FORGET));
	EXPECT_TRUE(rumord_members_find(t, A) == NULL);
	EXPECT_EQ(rumord_members_count(t), 1);
	EXPECT_EQ(rumord_members_find(t, B)->downs, 2);
	EXPECT_EQ(rumord_members_tick(t, 12000 + FORGET), 0);
	EXPECT_EVENTS(EV(B, FORGOTTEN, 12000 + FORGET));
	EXPECT_EQ(rumord_members_count(t), 0);

	/* A forgotten member that comes back is new again. */
	hb = hb_of(A, 1, 1);
	EXPECT_EQ(rumord_members_heard(t, &hb, 80000), 1);
	EXPECT_EVENTS(EV(A, JOINED, 80000));
	EXPECT_EQ(t->stats.events[RUMORD_MEMBER_JOINED], 3);
	EXPECT_EQ(t->stats.events[RUMORD_MEMBER_FORGOTTEN], 2);
	EXPECT_EQ(t->stats.heartbeats, 7);
	rumord_members_free(t);
}

/*
 * A restart: a new incarnation wins, whatever the seq, over all the old
 * one's heartbeats, late or not.
 */
static void test_restart(void)
{
	const uint64_t A = 0x77;
	struct rumord_member_heartbeat hb;
	const struct rumord_member *m;
	struct rumord_members *t;

	t = table_init(0);
	hb = hb_of(A, 100, 50);
	EXPECT_EQ(rumord_members_heard(t, &hb, 0), 1);
	EXPECT_EVENTS(EV(A, JOINED, 0));

	/* Crashed and back within the timeout: unnoticed but for this. */
	hb = hb_of(A, 200, 1);
	EXPECT_EQ(rumord_members_heard(t, &hb, 100), 1);
	EXPECT_EVENTS(EV(A, RESTARTED, 100));
	/* The old life's heartbeats, still in flight, and a duplicate. */
	hb = hb_of(A, 100, 51);
	EXPECT_EQ(rumord_members_heard(t, &hb, 150), 0);
	hb = hb_of(A, 100, UINT64_MAX);
	EXPECT_EQ(rumord_members_heard(t, &hb, 150), 0);
	hb = hb_of(A, 200, 1);
	EXPECT_EQ(rumord_members_heard(t, &hb, 150), 0);
	hb = hb_of(A, 200, 2);
	EXPECT_EQ(rumord_members_heard(t, &hb, 200), 1);
	EXPECT_NO_EVENTS();
	m = rumord_members_find(t, A);
	EXPECT_TRUE(m->incarnation == 200 && m->seq == 2 && m->restarts == 1 &&
		    m->stale == 3 && m->heartbeats == 3);

	/* A clean restart: leaving, then the new life on a new address. */
	hb = hb_of(A, 200, 3);
	hb.leaving = true;
	EXPECT_EQ(rumord_members_heard(t, &hb, 300), 1);
	hb = hb_of(A, 300, 1);
	addr4(hb.addrs[0], 10, 0, 0, 7);
	EXPECT_EQ(rumord_members_heard(t, &hb, 900), 1);
	EXPECT_EVENTS(EV(A, LEFT, 300), EV(A, UPDATED, 900), EV(A, EV_UP, 900));
	m = rumord_members_find(t, A);
	EXPECT_TRUE(m->state == RUMORD_MEMBER_UP && m->restarts == 2 &&
		    m->addrs[0][12] == 10 && m->since_ms == 900);

	/* A crash noticed: silent, DOWN, back as a new incarnation: UP. */
	rumord_members_tick(t, 900 + TIMEOUT);
	hb = hb_of(A, 400, 1);
	addr4(hb.addrs[0], 10, 0, 0, 7);
	EXPECT_EQ(rumord_members_heard(t, &hb, 9000), 1);
	EXPECT_EVENTS(EV(A, EV_DOWN, 900 + TIMEOUT), EV(A, EV_UP, 9000));

	/* Leaving while DOWN already: no event, but no return either. */
	rumord_members_tick(t, 9000 + TIMEOUT);
	hb = hb_of(A, 400, 2);
	addr4(hb.addrs[0], 10, 0, 0, 7);
	hb.leaving = true;
	EXPECT_EQ(rumord_members_heard(t, &hb, 15000), 1);
	EXPECT_EVENTS(EV(A, EV_DOWN, 9000 + TIMEOUT));
	EXPECT_EQ(rumord_members_find(t, A)->down_why, RUMORD_MEMBER_LEAVING);
	EXPECT_EQ(rumord_members_neighbor(t, hb.addrs[0], true, 15001), 0);
	EXPECT_NO_EVENTS();

	/*
	 * Restarted with its clock behind: an older incarnation. Stale while
	 * the member is UP, and for twice the timeout of silence (an old
	 * life's heartbeat could still be on its way); then a restart.
	 */
	hb = hb_of(A, 350, 1);
	addr4(hb.addrs[0], 10, 0, 0, 7);
	EXPECT_EQ(rumord_members_heard(t, &hb, 15000 + 2 * TIMEOUT - 1), 0);
	EXPECT_EQ(t->stats.regressed, 0);
	EXPECT_EQ(rumord_members_heard(t, &hb, 15000 + 2 * TIMEOUT), 1);
	EXPECT_EVENTS(EV(A, EV_UP, 15000 + 2 * TIMEOUT));
	m = rumord_members_find(t, A);
	EXPECT_TRUE(m->incarnation == 350 && m->seq == 1 && m->restarts == 4);
	EXPECT_EQ(t->stats.regressed, 1);
	/* UP: the older incarnation is stale again, however long it takes. */
	hb = hb_of(A, 349, 1);
	addr4(hb.addrs[0], 10, 0, 0, 7);
	EXPECT_EQ(rumord_members_heard(t, &hb, 100000), 0);
	/* Within an incarnation a seq never goes back, silence or not. */
	rumord_members_tick(t, 100000);
	EXPECT_EVENTS(EV(A, EV_DOWN, 100000));
	hb = hb_of(A, 350, 1);
	addr4(hb.addrs[0], 10, 0, 0, 7);
	EXPECT_EQ(rumord_members_heard(t, &hb, 200000), 0);

	/* Leaving, from a member never known: not worth a place. */
	hb = hb_of(0x78, 1, 1);
	hb.leaving = true;
	EXPECT_EQ(rumord_members_heard(t, &hb, 15000), 0);
	EXPECT_TRUE(rumord_members_find(t, 0x78) == NULL);
	EXPECT_EQ(t->stats.unknown_leaving, 1);
	EXPECT_NO_EVENTS();
	rumord_members_free(t);
}

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* 1024 members in random order; the 1025th is refused until one is forgotten. */
static void test_bound(void)
{
	struct rumord_member_heartbeat hb;
	static uint64_t ids[RUMORD_MEMBERS_MAX + 1];
	struct rumord_members *t;
	uint64_t seed = 1;
	size_t i;

	t = table_init(0);
	for (i = 0; i <= RUMORD_MEMBERS_MAX; i++) {
		do
			ids[i] = splitmix64(&seed);
		while (!ids[i]);
	}
	for (i = 0; i < RUMORD_MEMBERS_MAX; i++) {
		hb = hb_of(ids[i], 1, 1);
		ASSERT_EQ(rumord_members_heard(t, &hb, 10), 1);
	}
	EXPECT_EQ(rumord_members_count(t), RUMORD_MEMBERS_MAX);
	EXPECT_EQ(t->stats.events[RUMORD_MEMBER_JOINED], RUMORD_MEMBERS_MAX);
	for (i = 1; i < RUMORD_MEMBERS_MAX; i++)
		EXPECT_TRUE(rumord_members_at(t, i - 1)->node <
			    rumord_members_at(t, i)->node);
	EXPECT_TRUE(rumord_members_at(t, RUMORD_MEMBERS_MAX) == NULL);
	for (i = 0; i < RUMORD_MEMBERS_MAX; i++)
		EXPECT_TRUE(rumord_members_find(t, ids[i]) != NULL);

	/* The 1025th: refused and counted, every time it is heard. */
	hb = hb_of(ids[RUMORD_MEMBERS_MAX], 1, 1);
	EXPECT_EQ(rumord_members_heard(t, &hb, 20), -ENOSPC);
	hb.seq = 2;
	EXPECT_EQ(rumord_members_heard(t, &hb, 21), -ENOSPC);
	EXPECT_EQ(t->stats.refused, 2);
	EXPECT_TRUE(rumord_members_find(t, ids[RUMORD_MEMBERS_MAX]) == NULL);
	EXPECT_EQ(rumord_members_count(t), RUMORD_MEMBERS_MAX);
	/* The members already in are heard as ever. */
	hb = hb_of(ids[17], 1, 2);
	EXPECT_EQ(rumord_members_heard(t, &hb, 30), 1);

	/* One suspected, then forgotten: room for the newcomer. */
	nevs = 0;
	EXPECT_EQ(rumord_members_suspect(t, ids[3], 40), 1);
	for (i = 0; i < RUMORD_MEMBERS_MAX; i++) {
		/* The others stay UP, heard all along. */
		hb = hb_of(ids[i], 1, 3);
		if (i != 3)
			rumord_members_heard(t, &hb, 40 + FORGET);
	}
	rumord_members_tick(t, 40 + FORGET);
	EXPECT_EQ(t->stats.events[RUMORD_MEMBER_FORGOTTEN], 1);
	EXPECT_EQ(t->stats.events[RUMORD_MEMBER_EV_DOWN], 1);
	EXPECT_EQ(rumord_members_count(t), RUMORD_MEMBERS_MAX - 1);
	hb = hb_of(ids[RUMORD_MEMBERS_MAX], 1, 3);
	EXPECT_EQ(rumord_members_heard(t, &hb, 50 + FORGET), 1);
	EXPECT_EQ(rumord_members_count(t), RUMORD_MEMBERS_MAX);
	EXPECT_TRUE(rumord_members_find(t, ids[3]) == NULL);
	nevs = 0;
	rumord_members_free(t);
}

/* Our own heartbeats come back through the overlay: never a member. */
static void test_own_node(void)
{
	const uint64_t self = 0x5e1f;
	struct rumord_member_heartbeat hb = hb_of(self, 1, 1);
	struct rumord_ring_member rm = { .node = self };
	struct rumord_members *t;

	t = table_init(self);
	EXPECT_EQ(rumord_members_heard(t, &hb, 0), 0);
	hb.seq = 2;
	hb.leaving = true;
	EXPECT_EQ(rumord_members_heard(t, &hb, 1), 0);
	EXPECT_EQ(t->stats.own, 2);
	EXPECT_EQ(rumord_members_count(t), 0);
	EXPECT_TRUE(rumord_members_find(t, self) == NULL);
	EXPECT_EQ(rumord_members_suspect(t, self, 2), -ENOENT);
	EXPECT_EQ(rumord_members_neighbor(t, hb.addrs[0], true, 3), 0);
	EXPECT_EQ(rumord_members_ring(t, false, NULL, 0), 0);
	EXPECT_EQ(rumord_members_tick(t, 4), 0);
	/* But the ring's predicate counts it live: the daemon adds itself. */
	EXPECT_TRUE(rumord_members_ring_live(&rm, t));
	rm.node = 0x5e20;
	EXPECT_TRUE(!rumord_members_ring_live(&rm, t));
	EXPECT_NO_EVENTS();
	rumord_members_free(t);
}

/*
 * NEIGHBOR_UP ends a silence (any of a member's addresses will do) but
 * not a LEAVING or a suspicion; NEIGHBOR_DOWN does nothing.
 */
static void test_neighbor(void)
{
	const uint64_t A = 1, B = 2, C = 3, D = 4;
	struct rumord_member_heartbeat hb;
	const struct rumord_member *m;
	struct rumord_members *t;
	uint8_t x[16], y[16], z[16], w[16], other[16];

	t = table_init(0);
	addr6(x, 0x100);
	addr4(y, 10, 0, 0, 2);
	addr4(z, 10, 0, 0, 3);
	addr6(w, 0x400);
	addr4(other, 10, 0, 0, 99);
	hb = hb_of(A, 10, 5);
	hb.naddr = 2;
	memcpy(hb.addrs[0], x, 16);
	memcpy(hb.addrs[1], y, 16);
	rumord_members_heard(t, &hb, 0);
	hb = hb_of(B, 10, 5);
	memcpy(hb.addrs[0], z, 16);
	rumord_members_heard(t, &hb, 0);
	hb = hb_of(C, 10, 5);
	memcpy(hb.addrs[0], w, 16);
	rumord_members_heard(t, &hb, 0);
	/* D shares A's second address: another rumord behind it. */
	hb = hb_of(D, 10, 5);
	memcpy(hb.addrs[0], y, 16);
	hb.port = PORT + 1;
	rumord_members_heard(t, &hb, 0);
	hb = hb_of(C, 10, 6);
	memcpy(hb.addrs[0], w, 16);
	hb.leaving = true;
	rumord_members_heard(t, &hb, 100);
	nevs = 0;

	/* A NEIGHBOR_DOWN of an UP member: nothing. */
	EXPECT_EQ(rumord_members_neighbor(t, x, false, 200), 0);
	EXPECT_EQ(state_of(t, A), RUMORD_MEMBER_UP);
	EXPECT_EQ(rumord_members_tick(t, TIMEOUT), 100 + FORGET);
	EXPECT_EVENTS(EV(A, EV_DOWN, TIMEOUT), EV(B, EV_DOWN, TIMEOUT),
		      EV(D, EV_DOWN, TIMEOUT));
	EXPECT_EQ(rumord_members_suspect(t, B, TIMEOUT + 1), 0);
	EXPECT_EQ(rumord_members_find(t, B)->down_why, RUMORD_MEMBER_SUSPECTED);

	/* A's second address: A and D back, as heard; no heartbeat taken. */
	EXPECT_EQ(rumord_members_neighbor(t, y, true, 6000), 2);
	EXPECT_EVENTS(EV(A, EV_UP, 6000), EV(D, EV_UP, 6000));
	m = rumord_members_find(t, A);
	EXPECT_TRUE(m->state == RUMORD_MEMBER_UP && m->last_heard_ms == 6000 &&
		    m->incarnation == 10 && m->seq == 5 && m->heartbeats == 1);
	/* UP already: nothing more. */
	EXPECT_EQ(rumord_members_neighbor(t, x, true, 6500), 0);
	EXPECT_EQ(rumord_members_find(t, A)->last_heard_ms, 6000);
	/* Suspected, left, unknown: the instance's presence is not enough. */
	EXPECT_EQ(rumord_members_neighbor(t, z, true, 6500), 0);
	EXPECT_EQ(rumord_members_neighbor(t, w, true, 6500), 0);
	EXPECT_EQ(rumord_members_neighbor(t, other, true, 6500), 0);
	EXPECT_NO_EVENTS();
	EXPECT_EQ(state_of(t, B), RUMORD_MEMBER_DOWN);
	EXPECT_EQ(state_of(t, C), RUMORD_MEMBER_DOWN);
	/* A NEIGHBOR_DOWN does not take A down ... */
	EXPECT_EQ(rumord_members_neighbor(t, x, false, 7000), 0);
	EXPECT_EQ(state_of(t, A), RUMORD_MEMBER_UP);
	EXPECT_EQ(t->stats.neighbor_up, 5);
	EXPECT_EQ(t->stats.neighbor_down, 2);
	/* ... silence does, a timeout after the evidence. */
	EXPECT_EQ(rumord_members_tick(t, 6000 + TIMEOUT - 1), 6000 + TIMEOUT);
	EXPECT_NO_EVENTS();
	rumord_members_tick(t, 6000 + TIMEOUT);
	EXPECT_EVENTS(EV(A, EV_DOWN, 6000 + TIMEOUT), EV(D, EV_DOWN, 6000 + TIMEOUT));
	/* The old heartbeat again is still stale: the seq did not move. */
	hb = hb_of(A, 10, 5);
	hb.naddr = 2;
	memcpy(hb.addrs[0], x, 16);
	memcpy(hb.addrs[1], y, 16);
	EXPECT_EQ(rumord_members_heard(t, &hb, 12000), 0);
	rumord_members_free(t);
}

/* A failed request: DOWN at once, UP again by a newer heartbeat only. */
static void test_suspect(void)
{
	const uint64_t A = 0x51;
	struct rumord_member_heartbeat hb = hb_of(A, 7, 3);
	struct rumord_members *t;

	t = table_init(0);
	rumord_members_heard(t, &hb, 1000);
	nevs = 0;
	EXPECT_EQ(rumord_members_suspect(t, A, 1500), 1);
	EXPECT_EVENTS(EV(A, EV_DOWN, 1500));
	EXPECT_EQ(rumord_members_find(t, A)->down_why, RUMORD_MEMBER_SUSPECTED);
	EXPECT_EQ(rumord_members_suspect(t, A, 1600), 0);
	EXPECT_EQ(rumord_members_suspect(t, 0x52, 1600), -ENOENT);
	EXPECT_EQ(t->stats.suspected, 2);
	/* The heartbeat seen before, again (a duplicate, late): not enough. */
	EXPECT_EQ(rumord_members_heard(t, &hb, 1700), 0);
	EXPECT_EQ(rumord_members_neighbor(t, hb.addrs[0], true, 1700), 0);
	EXPECT_EQ(state_of(t, A), RUMORD_MEMBER_DOWN);
	/* Nor does the tick bring it back or count it down twice. */
	EXPECT_EQ(rumord_members_tick(t, 1000 + TIMEOUT), 1500 + FORGET);
	EXPECT_NO_EVENTS();
	hb.seq = 4;
	EXPECT_EQ(rumord_members_heard(t, &hb, 8000), 1);
	EXPECT_EVENTS(EV(A, EV_UP, 8000));
	EXPECT_EQ(rumord_members_find(t, A)->downs, 1);
	EXPECT_EQ(rumord_members_tick(t, 8000), 8000 + TIMEOUT);
	rumord_members_free(t);
}

/* The table as a ring: every member a home, the DOWN ones stood in for. */
static void test_ring_export(void)
{
	const uint64_t self = 0x1000, A = 0x2000, B = 0x3000, C = 0x4000;
	struct rumord_ring_member out[RUMORD_MEMBERS_MAX + 1];
	struct rumord_ring_target tg[3];
	struct rumord_member_heartbeat hb;
	struct rumord_members *t;
	struct rumord_ring *r = &ring;
	size_t n, cnt, i, homes_b = 0;
	uint64_t s = 42;
	int k;

	t = table_init(self);
	hb = hb_of(A, 1, 1);
	hb.naddr = 2;
	memcpy(hb.addrs[1], hb.addrs[0], 16);
	addr4(hb.addrs[0], 10, 0, 0, 2);
	ASSERT_EQ(rumord_members_heard(t, &hb, 0), 1);
	hb = hb_of(B, 1, 1);
	ASSERT_EQ(rumord_members_heard(t, &hb, 0), 1);
	hb = hb_of(C, 1, 1);
	hb.port = 9000;
	ASSERT_EQ(rumord_members_heard(t, &hb, 0), 1);
	EXPECT_EQ(rumord_members_suspect(t, B, 10), 1);

	n = rumord_members_ring(t, false, out, RUMORD_MEMBERS_MAX);
	ASSERT_EQ(n, 3);
	EXPECT_TRUE(out[0].node == A && !out[0].down && out[0].addr.port == PORT &&
		    out[0].addr.addr[12] == 10 && out[0].addr.addr[15] == 2);
	EXPECT_TRUE(out[1].node == B && out[1].down);
	EXPECT_TRUE(out[2].node == C && !out[2].down && out[2].addr.port == 9000);
	EXPECT_EQ(rumord_members_ring(t, true, out, RUMORD_MEMBERS_MAX), 2);
	EXPECT_TRUE(out[0].node == A && out[1].node == C);
	/* Too small an array: the first ones, and how many there are. */
	memset(out, 0, sizeof(out));
	EXPECT_EQ(rumord_members_ring(t, false, out, 1), 3);
	EXPECT_TRUE(out[0].node == A && out[1].node == 0);

	/* The daemon adds itself, and asks the table who is live. */
	n = rumord_members_ring(t, false, out, RUMORD_MEMBERS_MAX);
	out[n++] = (struct rumord_ring_member){ .node = self };
	ASSERT_EQ(rumord_ring_init(r, 0), 0);
	ASSERT_EQ(rumord_ring_set_members(r, out, n, NULL), 0);
	for (k = 0; k < 2000; k++) {
		ASSERT_EQ(rumord_ring_sloppy(r, splitmix64(&s), 3,
					     rumord_members_ring_live, t, tg,
					     &cnt), 0);
		ASSERT_EQ(cnt, 3);
		for (i = 0; i < cnt; i++) {
			EXPECT_TRUE(tg[i].member && tg[i].member->node != B);
			homes_b += tg[i].home->node == B;
		}
	}
	EXPECT_TRUE(homes_b > 0);
	/* B back: its own copies again, no rebuild needed. */
	hb = hb_of(B, 1, 2);
	EXPECT_EQ(rumord_members_heard(t, &hb, 20), 1);
	for (k = 0; k < 200; k++) {
		ASSERT_EQ(rumord_ring_sloppy(r, splitmix64(&s), 3,
					     rumord_members_ring_live, t, tg,
					     &cnt), 0);
		for (i = 0; i < cnt; i++)
			EXPECT_TRUE(tg[i].member == tg[i].home);
	}
	rumord_ring_free(r);
	nevs = 0;
	rumord_members_free(t);
}

static const struct ktap_case cases[] = {
	{ "heartbeat_round_trip", test_heartbeat_round_trip },
	{ "heartbeat_encode_refusals", test_heartbeat_encode_refusals },
	{ "heartbeat_decode_refusals", test_heartbeat_decode_refusals },
	{ "heartbeat_every_byte", test_heartbeat_every_byte },
	{ "heartbeat_mutations", test_heartbeat_mutations },
	{ "defaults", test_defaults },
	{ "timeline", test_timeline },
	{ "restart", test_restart },
	{ "bound", test_bound },
	{ "own_node", test_own_node },
	{ "neighbor", test_neighbor },
	{ "suspect", test_suspect },
	{ "ring_export", test_ring_export },
};

KTAP_MAIN(cases)
