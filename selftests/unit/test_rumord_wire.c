// SPDX-License-Identifier: GPL-2.0
/*
 * What rumord reads from others: the broadcast form of a write (gossip.c,
 * from the network through rumor.ko) and the client protocol's frames
 * (client_proto.c, from local processes). Round trips, every refusal, and
 * mutated inputs that must never be read beyond their end (ASan watches).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/ktap.h"
#include "client.h"
#include "gossip.h"

static struct rumord_record rec_of(const char *k, const char *v, bool tomb)
{
	return (struct rumord_record){
		.key = k, .key_len = strlen(k),
		.value = v, .value_len = v ? strlen(v) : 0,
		.version = { .hlc = 0x1122334455667788ull,
			     .dot = { 0xabcdef, 42 }, .tombstone = tomb },
	};
}

static void test_gossip_round_trip(void)
{
	struct rumord_record r = rec_of("key", "value", false);
	struct rumord_gossip g;
	uint8_t buf[256];
	long n;

	n = rumord_gossip_encode(&r, false, buf, sizeof(buf));
	ASSERT_EQ(n, RUMORD_GOSSIP_HLEN + 3 + 5);
	EXPECT_EQ((long)rumord_gossip_size(&r, false), n);
	/* The layout docs/rumord.md and gossip.h give. */
	EXPECT_TRUE(buf[0] == 0x6b && buf[1] == 0x76 && buf[2] == 1 && buf[3] == 0);
	EXPECT_TRUE(buf[4] == 3 && buf[8] == 5 && buf[12] == 0x88 && buf[20] == 0xef);
	ASSERT_EQ(rumord_gossip_decode(buf, (size_t)n, &g), 0);
	EXPECT_TRUE(!g.ref && g.rec.key_len == 3 && !memcmp(g.rec.key, "key", 3));
	EXPECT_TRUE(g.rec.value_len == 5 && !memcmp(g.rec.value, "value", 5));
	EXPECT_TRUE(g.rec.version.hlc == r.version.hlc);
	EXPECT_TRUE(g.rec.version.dot.node == 0xabcdef);
	EXPECT_EQ(g.rec.version.dot.counter, 42);

	r = rec_of("gone", NULL, true);
	n = rumord_gossip_encode(&r, false, buf, sizeof(buf));
	ASSERT_EQ(rumord_gossip_decode(buf, (size_t)n, &g), 0);
	EXPECT_TRUE(g.rec.version.tombstone && !g.rec.value_len);
	/* A tombstone has no value to refer to. */
	EXPECT_EQ(rumord_gossip_encode(&r, true, buf, sizeof(buf)), -EINVAL);
	EXPECT_EQ(rumord_gossip_encode(&r, false, buf, 10), -EMSGSIZE);
}

static void test_gossip_reference(void)
{
	static char big[100000];
	struct rumord_record r = rec_of("big", NULL, false);
	struct rumord_gossip g, g2;
	uint8_t buf[256];
	long n;

	memset(big, 'b', sizeof(big));
	r.value = big;
	r.value_len = sizeof(big);
	n = rumord_gossip_encode(&r, true, buf, sizeof(buf));
	ASSERT_EQ(n, RUMORD_GOSSIP_HLEN + 3 + RUMORD_GOSSIP_REF_LEN);
	ASSERT_EQ(rumord_gossip_decode(buf, (size_t)n, &g), 0);
	EXPECT_TRUE(g.ref && !g.rec.value && g.value_len == sizeof(big));
	/* The hash follows the value. */
	big[500] = 'c';
	ASSERT_EQ(rumord_gossip_encode(&r, true, buf, sizeof(buf)), n);
	ASSERT_EQ(rumord_gossip_decode(buf, (size_t)n, &g2), 0);
	EXPECT_TRUE(g.hash_lo != g2.hash_lo || g.hash_hi != g2.hash_hi);
}

static void test_gossip_refusals(void)
{
	struct rumord_record r = rec_of("k", "v", false);
	struct rumord_gossip g;
	uint8_t buf[64], bad[64];
	long n;

	n = rumord_gossip_encode(&r, false, buf, sizeof(buf));
	ASSERT_TRUE(n > 0);
	/* Not ours: someone's rumorctl broadcast. */
	EXPECT_EQ(rumord_gossip_decode("hello", 5, &g), -ENOMSG);
	EXPECT_EQ(rumord_gossip_decode(buf, 1, &g), -ENOMSG);
	EXPECT_EQ(rumord_gossip_decode(buf, RUMORD_GOSSIP_HLEN - 1, &g), -EINVAL);
	EXPECT_EQ(rumord_gossip_decode(buf, (size_t)n - 1, &g), -EINVAL);
	memcpy(bad, buf, (size_t)n);
	bad[(size_t)n] = 0;
	EXPECT_EQ(rumord_gossip_decode(bad, (size_t)n + 1, &g), -EINVAL);
#define MUTATE(off, val, want) do {					\
		memcpy(bad, buf, (size_t)n);				\
		bad[off] = (val);					\
		EXPECT_EQ(rumord_gossip_decode(bad, (size_t)n, &g), want); \
	} while (0)
	MUTATE(2, 2, -EPROTONOSUPPORT);		/* version */
	MUTATE(3, 0x04, -EINVAL);		/* unknown flag */
	MUTATE(3, RUMORD_GOSSIP_F_TOMBSTONE, -EINVAL);	/* with a value */
	MUTATE(3, RUMORD_GOSSIP_F_REF, -EINVAL);	/* length not a ref's */
	MUTATE(4, 0, -EINVAL);			/* empty key */
	MUTATE(5, 3, -EINVAL);			/* key of 769 bytes */
	MUTATE(6, 1, -EINVAL);			/* reserved */
	MUTATE(10, 0x20, -EINVAL);		/* value of 2 MiB */
	MUTATE(8, 9, -EINVAL);			/* value beyond the end */
	memcpy(bad, buf, (size_t)n);
	memset(bad + 20, 0, 8);			/* node 0 */
	EXPECT_EQ(rumord_gossip_decode(bad, (size_t)n, &g), -EINVAL);
	memcpy(bad, buf, (size_t)n);
	memset(bad + 28, 0, 8);			/* counter 0 */
	EXPECT_EQ(rumord_gossip_decode(bad, (size_t)n, &g), -EINVAL);
	memcpy(bad, buf, (size_t)n);
	memset(bad + 28, 0xff, 8);		/* counter beyond 2^62 */
	EXPECT_EQ(rumord_gossip_decode(bad, (size_t)n, &g), -EINVAL);
	memcpy(bad, buf, (size_t)n);
	memset(bad + 28, 0, 8);			/* counter 2^62: the last */
	bad[35] = 0x40;
	EXPECT_EQ(rumord_gossip_decode(bad, (size_t)n, &g), 0);
	/* Nor does encode write what decode refuses. */
	r.version.dot.counter = RUMORD_MAX_COUNTER + 1;
	EXPECT_EQ(rumord_gossip_encode(&r, false, bad, sizeof(bad)), -EINVAL);
	r.version.dot.counter = 1;
	r.value_len = 0;
	EXPECT_EQ(rumord_gossip_encode(&r, true, bad, sizeof(bad)), -EINVAL);
	/* Good again, after all that. */
	EXPECT_EQ(rumord_gossip_decode(buf, (size_t)n, &g), 0);
}

static uint32_t rng = 12345;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Every decoded record lies inside the buffer it came from. */
static void test_gossip_mutations(void)
{
	struct rumord_record r = rec_of("mutate/key", "some value here", false);
	struct rumord_gossip g;
	uint8_t buf[128], *m;
	long n;
	int i, j, ok = 0;

	n = rumord_gossip_encode(&r, false, buf, sizeof(buf));
	ASSERT_TRUE(n > 0);
	for (i = 0; i < 200000; i++) {
		size_t len = (size_t)n - (rnd() % 4 == 0 ? rnd() % (size_t)n : 0);

		m = malloc(len ? len : 1);	/* exact size: ASan sees overreads */
		ASSERT_TRUE(m != NULL);
		memcpy(m, buf, len);
		for (j = rnd() % 4; j >= 0; j--)
			if (len)
				m[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
		if (!rumord_gossip_decode(m, len, &g)) {
			ok++;
			EXPECT_TRUE((const uint8_t *)g.rec.key >= m &&
				    (const uint8_t *)g.rec.key + g.rec.key_len <= m + len);
			if (!g.ref)
				EXPECT_TRUE((const uint8_t *)g.rec.value + g.rec.value_len <=
					    m + len);
		}
		free(m);
	}
	printf("# %d of 200000 mutated payloads still decoded\n", ok);
}

static void test_client_round_trip(void)
{
	struct rumord_client_msg in = {
		.op = RUMORD_OP_PUT, .key = "k1", .key_len = 2,
		.value = "v1", .value_len = 2,
	}, out;
	struct rumord_client_hdr h;
	uint8_t buf[256];
	long n;

	n = rumord_client_encode(&in, buf, sizeof(buf));
	ASSERT_EQ(n, RUMORD_CLIENT_HLEN + 8 + 4);
	ASSERT_EQ(rumord_client_parse_hdr(buf, &h), 0);
	EXPECT_EQ(h.len, 12);
	ASSERT_EQ(rumord_client_decode(&h, buf + RUMORD_CLIENT_HLEN, &out), 0);
	EXPECT_TRUE(out.op == RUMORD_OP_PUT && out.key_len == 2 &&
		    !memcmp(out.key, "k1", 2) && out.value_len == 2);

	in = (struct rumord_client_msg){
		.op = RUMORD_OP_RECORD, .key = "k", .key_len = 1, .value = "v",
		.value_len = 1, .has_version = true,
		.version = { .hlc = 7, .dot = { 8, 9 } },
	};
	n = rumord_client_encode(&in, buf, sizeof(buf));
	ASSERT_EQ(rumord_client_parse_hdr(buf, &h), 0);
	ASSERT_EQ(rumord_client_decode(&h, buf + RUMORD_CLIENT_HLEN, &out), 0);
	EXPECT_TRUE(out.version.hlc == 7 && out.version.dot.node == 8 &&
		    out.version.dot.counter == 9 && !out.version.tombstone);

	in = (struct rumord_client_msg){
		.op = RUMORD_OP_DONE, .status = -ESTALE, .has_version = true,
		.unchanged = true, .version = { .hlc = 1, .dot = { 2, 3 } },
	};
	n = rumord_client_encode(&in, buf, sizeof(buf));
	ASSERT_EQ(n, RUMORD_CLIENT_HLEN + 32);
	ASSERT_EQ(rumord_client_parse_hdr(buf, &h), 0);
	ASSERT_EQ(rumord_client_decode(&h, buf + RUMORD_CLIENT_HLEN, &out), 0);
	EXPECT_TRUE(out.status == -ESTALE && out.unchanged && out.has_version);

	in = (struct rumord_client_msg){ .op = RUMORD_OP_LIST, .limit = 5 };
	n = rumord_client_encode(&in, buf, sizeof(buf));
	ASSERT_EQ(rumord_client_parse_hdr(buf, &h), 0);
	ASSERT_EQ(rumord_client_decode(&h, buf + RUMORD_CLIENT_HLEN, &out), 0);
	EXPECT_TRUE(out.key_len == 0 && out.limit == 5);

	in = (struct rumord_client_msg){ .op = RUMORD_OP_GET };
	EXPECT_EQ(rumord_client_encode(&in, buf, sizeof(buf)), -EINVAL);
	in = (struct rumord_client_msg){ .op = RUMORD_OP_GET, .key = "k",
					 .key_len = RUMORD_MAX_KEY + 1 };
	EXPECT_EQ(rumord_client_encode(&in, buf, sizeof(buf)), -EINVAL);
}

static void test_client_mutations(void)
{
	struct rumord_client_msg in = {
		.op = RUMORD_OP_RECORD, .key = "some/key", .key_len = 8,
		.value = "a value", .value_len = 7, .has_version = true,
		.version = { .hlc = 1, .dot = { 2, 3 } },
	}, out;
	struct rumord_client_hdr h;
	uint8_t buf[128], *m;
	long n;
	int i, j;

	n = rumord_client_encode(&in, buf, sizeof(buf));
	ASSERT_TRUE(n > 0);
	for (i = 0; i < 200000; i++) {
		m = malloc((size_t)n);
		ASSERT_TRUE(m != NULL);
		memcpy(m, buf, (size_t)n);
		for (j = rnd() % 4; j >= 0; j--)
			m[rnd() % (size_t)n] ^= (uint8_t)(1u << (rnd() % 8));
		/* The daemon reads exactly h.len bytes of body: only then decodes. */
		if (!rumord_client_parse_hdr(m, &h) &&
		    h.len == (size_t)n - RUMORD_CLIENT_HLEN &&
		    !rumord_client_decode(&h, m + RUMORD_CLIENT_HLEN, &out)) {
			EXPECT_TRUE(out.key_len <= RUMORD_MAX_KEY);
			if (out.key)
				EXPECT_TRUE((const uint8_t *)out.key + out.key_len +
					    out.value_len <= m + n);
		}
		free(m);
	}
}

/* Encode @in, parse and decode it back: 0 or the first refusal. */
static int client_trip(const struct rumord_client_msg *in, uint8_t *buf,
		       size_t size, struct rumord_client_msg *out)
{
	struct rumord_client_hdr h;
	long n;
	int rc;

	n = rumord_client_encode(in, buf, size);
	if (n < 0)
		return (int)n;
	rc = rumord_client_parse_hdr(buf, &h);
	if (rc)
		return rc;
	if (h.len != (size_t)n - RUMORD_CLIENT_HLEN)
		return -EMSGSIZE;
	return rumord_client_decode(&h, buf + RUMORD_CLIENT_HLEN, out);
}

/* Decode a frame after changing the byte at @off to @v: 0 or -EPROTO. */
static int client_poke(const uint8_t *frame, size_t len, size_t off, uint8_t v)
{
	struct rumord_client_msg out;
	struct rumord_client_hdr h;
	uint8_t *m = malloc(len);
	int rc;

	memcpy(m, frame, len);
	m[off] = v;
	rc = rumord_client_parse_hdr(m, &h);
	if (!rc)
		rc = rumord_client_decode(&h, m + RUMORD_CLIENT_HLEN, &out);
	free(m);
	return rc;
}

static void test_client_repair_frames(void)
{
	struct rumord_client_msg in = { .op = RUMORD_OP_REPAIR_STATUS }, out;
	uint8_t buf[512];
	size_t plen;
	long n;

	ASSERT_EQ(client_trip(&in, buf, sizeof(buf), &out), 0);
	EXPECT_EQ(out.op, RUMORD_OP_REPAIR_STATUS);
	/* A body, or a flag, is refused. */
	buf[RUMORD_CLIENT_HLEN] = 0;
	EXPECT_EQ(client_poke(buf, RUMORD_CLIENT_HLEN + 1, 0, 1), -EPROTO);
	EXPECT_EQ(client_poke(buf, RUMORD_CLIENT_HLEN, 12, 1), -EPROTO);
	EXPECT_EQ(client_poke(buf, RUMORD_CLIENT_HLEN, 12, 0), 0);

	in = (struct rumord_client_msg){ .op = RUMORD_OP_REPAIR_NOW };
	in.peer.addr[10] = in.peer.addr[11] = 0xff;
	in.peer.addr[12] = 127;
	in.peer.addr[15] = 1;
	in.peer.port = 7867;
	ASSERT_EQ(client_trip(&in, buf, sizeof(buf), &out), 0);
	EXPECT_TRUE(!memcmp(out.peer.addr, in.peer.addr, 16) &&
		    out.peer.port == 7867);
	n = RUMORD_CLIENT_HLEN + RUMORD_CLIENT_NOW_LEN;
	EXPECT_EQ(client_poke(buf, (size_t)n, RUMORD_CLIENT_HLEN + 19, 1), -EPROTO);
	EXPECT_EQ(client_poke(buf, (size_t)n, 0, RUMORD_CLIENT_NOW_LEN - 1), -EPROTO);
	EXPECT_EQ(client_poke(buf, (size_t)n, 12, 1), -EPROTO);

	in = (struct rumord_client_msg){ .op = RUMORD_OP_REPAIR_INFO };
	in.repair.interval_ms = 10000;
	in.repair.gc_at = 0x0102030405060708ull;
	in.repair.repairs_pending = 5;
	ASSERT_EQ(client_trip(&in, buf, sizeof(buf), &out), 0);
	EXPECT_TRUE(out.repair.interval_ms == 10000 && out.repair.repairs_pending == 5 &&
		    out.repair.gc_at == 0x0102030405060708ull && !out.repair.ok);
	n = rumord_client_encode(&in, buf, sizeof(buf));
	EXPECT_EQ(client_poke(buf, (size_t)n - 8, 0, buf[0] - 8), -EPROTO);

	in = (struct rumord_client_msg){ .op = RUMORD_OP_PEER };
	in.peer.addr[15] = 1;
	in.peer.port = 9;
	in.peer.flags = RUMORD_PF_KNOWN | RUMORD_PF_WALKED;
	in.peer.method = 1;
	in.peer.result = -ETIMEDOUT;
	in.peer.keys_received = 77;
	in.peer.vector_at = 99;
	strcpy(in.peer.error, "timed out");
	ASSERT_EQ(client_trip(&in, buf, sizeof(buf), &out), 0);
	EXPECT_TRUE(out.peer.port == 9 && out.peer.flags == in.peer.flags &&
		    out.peer.method == 1 && out.peer.result == -ETIMEDOUT &&
		    out.peer.keys_received == 77 && out.peer.vector_at == 99 &&
		    !strcmp(out.peer.error, "timed out"));
	n = rumord_client_encode(&in, buf, sizeof(buf));
	plen = (size_t)n;
	/* Flags, result, error length, reserved, a NUL in the text. */
	EXPECT_EQ(client_poke(buf, plen, RUMORD_CLIENT_HLEN + 18, 0x80), -EPROTO);
	EXPECT_EQ(client_poke(buf, plen, RUMORD_CLIENT_HLEN + 23, 0), -EPROTO);
	EXPECT_EQ(client_poke(buf, plen, RUMORD_CLIENT_HLEN + 24, 10), -EPROTO);
	EXPECT_EQ(client_poke(buf, plen, RUMORD_CLIENT_HLEN + 24, 8), -EPROTO);
	EXPECT_EQ(client_poke(buf, plen, RUMORD_CLIENT_HLEN + 27, 1), -EPROTO);
	EXPECT_EQ(client_poke(buf, plen, plen - 3, 0), -EPROTO);
	/* An error text of the largest size, and one over it. */
	memset(in.peer.error, 'e', RUMORD_CLIENT_ERR_MAX);
	in.peer.error[RUMORD_CLIENT_ERR_MAX] = '\0';
	ASSERT_EQ(client_trip(&in, buf, sizeof(buf), &out), 0);
	EXPECT_EQ(strlen(out.peer.error), RUMORD_CLIENT_ERR_MAX);
	n = rumord_client_encode(&in, buf, sizeof(buf));
	EXPECT_EQ(client_poke(buf, (size_t)n, RUMORD_CLIENT_HLEN + 24,
			      RUMORD_CLIENT_ERR_MAX + 1), -EPROTO);
	/* What rumord never sends: a positive result, unknown flags. */
	in.peer.result = 1;
	EXPECT_EQ(rumord_client_encode(&in, buf, sizeof(buf)), -EINVAL);
	in.peer.result = 0;
	in.peer.flags = 0x80;
	EXPECT_EQ(rumord_client_encode(&in, buf, sizeof(buf)), -EINVAL);
}

static void test_client_peer_mutations(void)
{
	struct rumord_client_msg in = { .op = RUMORD_OP_PEER }, out;
	struct rumord_client_hdr h;
	uint8_t buf[512], *m;
	long n;
	int i, j, ok = 0;

	in.peer.flags = RUMORD_PF_ALL;
	in.peer.result = -EPROTO;
	strcpy(in.peer.error, "bad frame length");
	n = rumord_client_encode(&in, buf, sizeof(buf));
	ASSERT_TRUE(n > 0);
	for (i = 0; i < 100000; i++) {
		size_t len = (size_t)n - (rnd() % 4 == 0 ? rnd() % (size_t)n : 0);

		m = malloc(len);
		ASSERT_TRUE(m != NULL);
		memcpy(m, buf, len);
		for (j = rnd() % 4; j >= 0; j--)
			m[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
		if (len >= RUMORD_CLIENT_HLEN && !rumord_client_parse_hdr(m, &h) &&
		    h.len == len - RUMORD_CLIENT_HLEN &&
		    !rumord_client_decode(&h, m + RUMORD_CLIENT_HLEN, &out)) {
			ok++;
			if (out.op == RUMORD_OP_PEER)
				EXPECT_TRUE(strlen(out.peer.error) <= RUMORD_CLIENT_ERR_MAX &&
					    out.peer.result <= 0 &&
					    !(out.peer.flags & ~RUMORD_PF_ALL));
		}
		free(m);
	}
	printf("# %d of 100000 mutated PEER frames still decoded\n", ok);
}

static const struct ktap_case cases[] = {
	{ "gossip_round_trip", test_gossip_round_trip },
	{ "gossip_reference", test_gossip_reference },
	{ "gossip_refusals", test_gossip_refusals },
	{ "gossip_mutations", test_gossip_mutations },
	{ "client_round_trip", test_client_round_trip },
	{ "client_mutations", test_client_mutations },
	{ "client_repair_frames", test_client_repair_frames },
	{ "client_peer_mutations", test_client_peer_mutations },
};

KTAP_MAIN(cases)
