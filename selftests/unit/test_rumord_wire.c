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
#include "le.h"

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

/*
 * The frame of @in, bits flipped and cut short, @rounds times: whatever
 * still decodes is in range and was read within its bytes (ASan sees the
 * exact allocation). Returns how many decoded.
 */
static int client_mutate(const struct rumord_client_msg *in, int rounds)
{
	struct rumord_client_msg out;
	struct rumord_client_hdr h;
	uint8_t buf[512], *m;
	long n;
	int i, j, ok = 0;

	n = rumord_client_encode(in, buf, sizeof(buf));
	if (n <= 0)
		return -1;
	for (i = 0; i < rounds; i++) {
		size_t len = (size_t)n - (rnd() % 4 == 0 ? rnd() % (size_t)n : 0);

		m = malloc(len);
		if (!m)
			return -1;
		memcpy(m, buf, len);
		for (j = rnd() % 4; j >= 0; j--)
			m[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
		if (len >= RUMORD_CLIENT_HLEN && !rumord_client_parse_hdr(m, &h) &&
		    h.len == len - RUMORD_CLIENT_HLEN &&
		    !rumord_client_decode(&h, m + RUMORD_CLIENT_HLEN, &out)) {
			ok++;
			EXPECT_TRUE(strlen(out.peer.error) <= RUMORD_CLIENT_ERR_MAX &&
				    out.peer.result <= 0 &&
				    !(out.peer.flags & ~RUMORD_PF_ALL));
			EXPECT_TRUE(strlen(out.quorum.text) <= RUMORD_CLIENT_ERR_MAX &&
				    out.node.state <= RUMORD_NS_DOWN &&
				    !(out.node.flags & ~RUMORD_NF_ALL));
			EXPECT_TRUE(out.level <= RUMORD_CLIENT_MAX_LEVEL &&
				    (!(out.flags & RUMORD_CF_STRICT) || out.level));
			if (out.key)
				EXPECT_TRUE((const uint8_t *)out.key + out.key_len +
					    out.value_len <= m + len);
		}
		free(m);
	}
	return ok;
}

static void test_client_peer_mutations(void)
{
	struct rumord_client_msg in = { .op = RUMORD_OP_PEER };
	int ok;

	in.peer.flags = RUMORD_PF_ALL;
	in.peer.result = -EPROTO;
	strcpy(in.peer.error, "bad frame length");
	ok = client_mutate(&in, 100000);
	ASSERT_TRUE(ok >= 0);
	printf("# %d of 100000 mutated PEER frames still decoded\n", ok);
}

/*
 * Distinct values, none zero and each byte telling its place, in the u64
 * fields of *s (an X-macro list); then the same in *t.
 */
#define FILL(f)	s->f = 0x0102030405060708ull * (uint64_t)++seq;
#define SAME(f)	EXPECT_EQ(t->f, s->f);

static const uint8_t v4_mapped[16] = {
	[10] = 0xff, [11] = 0xff, [12] = 10, [15] = 2,
};

static void test_client_levels(void)
{
	static const uint8_t ops[] = {
		RUMORD_OP_PUT, RUMORD_OP_GET, RUMORD_OP_DEL, RUMORD_OP_WHERE,
	};
	struct rumord_client_msg in = { .key = "key", .key_len = 3 }, out;
	uint8_t buf[256];
	unsigned int i, level;
	size_t n;

	/* Every level on every op that has one; STRICT on the writes. */
	for (i = 0; i < sizeof(ops); i++) {
		for (level = 0; level <= RUMORD_CLIENT_MAX_LEVEL; level++) {
			bool writes = ops[i] == RUMORD_OP_PUT ||
				      ops[i] == RUMORD_OP_DEL;

			in.op = ops[i];
			in.level = (uint16_t)level;
			in.flags = writes && level ? RUMORD_CF_STRICT : 0;
			in.value = ops[i] == RUMORD_OP_PUT ? "value" : NULL;
			in.value_len = in.value ? 5 : 0;
			ASSERT_EQ(client_trip(&in, buf, sizeof(buf), &out), 0);
			EXPECT_TRUE(out.op == in.op && out.level == level &&
				    out.flags == in.flags && out.key_len == 3 &&
				    !memcmp(out.key, "key", 3) &&
				    out.value_len == in.value_len);
			EXPECT_EQ(rumord_get_le16(buf + RUMORD_CLIENT_HLEN + 2), level);
		}
	}

	/* What rumorctl must not send: encode refuses it. */
	in = (struct rumord_client_msg){ .op = RUMORD_OP_PUT, .key = "k",
					 .key_len = 1, .level = 17 };
	EXPECT_EQ(rumord_client_encode(&in, buf, sizeof(buf)), -EINVAL);
	in.level = 0;
	in.flags = RUMORD_CF_STRICT;
	EXPECT_EQ(rumord_client_encode(&in, buf, sizeof(buf)), -EINVAL);
	in.op = RUMORD_OP_GET;
	in.level = 2;
	EXPECT_EQ(rumord_client_encode(&in, buf, sizeof(buf)), -EINVAL);
	in.flags = 0;
	in.value = "v";
	in.value_len = 1;
	EXPECT_EQ(rumord_client_encode(&in, buf, sizeof(buf)), -EINVAL);
	in = (struct rumord_client_msg){ .op = RUMORD_OP_LIST, .level = 1 };
	EXPECT_EQ(rumord_client_encode(&in, buf, sizeof(buf)), -EINVAL);
	in = (struct rumord_client_msg){ .op = RUMORD_OP_WHERE };
	EXPECT_EQ(rumord_client_encode(&in, buf, sizeof(buf)), -EINVAL);
	in = (struct rumord_client_msg){ .op = RUMORD_OP_WHERE, .key = "k",
					 .key_len = 1, .flags = RUMORD_CF_TOMBSTONES };
	EXPECT_EQ(rumord_client_encode(&in, buf, sizeof(buf)), -EINVAL);

	/* A PUT with W 16 and STRICT: levels beyond, and STRICT without one. */
	in = (struct rumord_client_msg){
		.op = RUMORD_OP_PUT, .key = "k", .key_len = 1, .value = "v",
		.value_len = 1, .level = 16, .flags = RUMORD_CF_STRICT,
	};
	n = (size_t)rumord_client_encode(&in, buf, sizeof(buf));
	ASSERT_EQ(n, RUMORD_CLIENT_HLEN + 10);
	EXPECT_EQ(client_poke(buf, n, RUMORD_CLIENT_HLEN + 2, 17), -EPROTO);
	EXPECT_EQ(client_poke(buf, n, RUMORD_CLIENT_HLEN + 3, 1), -EPROTO);
	EXPECT_EQ(client_poke(buf, n, RUMORD_CLIENT_HLEN + 2, 0), -EPROTO);
	EXPECT_EQ(client_poke(buf, n, RUMORD_CLIENT_HLEN + 2, 1), 0);
	EXPECT_EQ(client_poke(buf, n, 12, 0x04), -EPROTO);	/* unknown flag */
	EXPECT_EQ(client_poke(buf, n, 12, 0), 0);
	/* The same as a DEL (no value): the same refusals. */
	buf[7] = RUMORD_OP_DEL;
	buf[0] = 5;
	n = RUMORD_CLIENT_HLEN + 5;
	memmove(buf + RUMORD_CLIENT_HLEN + 4, buf + RUMORD_CLIENT_HLEN + 8, 1);
	EXPECT_EQ(client_poke(buf, n, 0, 5), 0);
	EXPECT_EQ(client_poke(buf, n, RUMORD_CLIENT_HLEN + 2, 17), -EPROTO);
	EXPECT_EQ(client_poke(buf, n, RUMORD_CLIENT_HLEN + 2, 0), -EPROTO);
	/* GET: STRICT is refused, TOMBSTONES taken as before. */
	buf[7] = RUMORD_OP_GET;
	buf[12] = 0;
	EXPECT_EQ(client_poke(buf, n, 0, 5), 0);
	EXPECT_EQ(client_poke(buf, n, 12, RUMORD_CF_STRICT), -EPROTO);
	EXPECT_EQ(client_poke(buf, n, 12, RUMORD_CF_TOMBSTONES), 0);
	EXPECT_EQ(client_poke(buf, n, RUMORD_CLIENT_HLEN + 2, 17), -EPROTO);
	/* WHERE: no flag at all; n beyond 16; an empty or cut key. */
	buf[7] = RUMORD_OP_WHERE;
	EXPECT_EQ(client_poke(buf, n, 0, 5), 0);
	EXPECT_EQ(client_poke(buf, n, 12, RUMORD_CF_TOMBSTONES), -EPROTO);
	EXPECT_EQ(client_poke(buf, n, 12, RUMORD_CF_STRICT), -EPROTO);
	EXPECT_EQ(client_poke(buf, n, RUMORD_CLIENT_HLEN + 2, 17), -EPROTO);
	EXPECT_EQ(client_poke(buf, n - 1, 0, 4), -EPROTO);
	EXPECT_EQ(client_poke(buf, n - 2, 0, 3), -EPROTO);
	buf[RUMORD_CLIENT_HLEN] = 0;
	EXPECT_EQ(client_poke(buf, n - 1, 0, 4), -EPROTO);
}

/* HINTS and NODES: no body, no flag. */
static void check_empty_request(uint8_t op)
{
	struct rumord_client_msg in = { .op = op }, out;
	uint8_t buf[64];

	ASSERT_EQ(client_trip(&in, buf, sizeof(buf), &out), 0);
	EXPECT_EQ(out.op, op);
	buf[RUMORD_CLIENT_HLEN] = 0;
	EXPECT_EQ(client_poke(buf, RUMORD_CLIENT_HLEN + 1, 0, 1), -EPROTO);
	EXPECT_EQ(client_poke(buf, RUMORD_CLIENT_HLEN, 12, RUMORD_CF_TOMBSTONES), -EPROTO);
	EXPECT_EQ(client_poke(buf, RUMORD_CLIENT_HLEN, 8, 0xff), -EPROTO);
	in.level = 1;
	EXPECT_EQ(rumord_client_encode(&in, buf, sizeof(buf)), -EINVAL);
}

/* A fixed-length body of @len bytes in @buf: shorter or longer is refused. */
static void check_fixed_len(uint8_t *buf, size_t len)
{
	size_t n = RUMORD_CLIENT_HLEN + len;

	EXPECT_EQ(client_poke(buf, n, 0, (uint8_t)len), 0);
	EXPECT_EQ(client_poke(buf, n - 8, 0, (uint8_t)(len - 8)), -EPROTO);
	EXPECT_EQ(client_poke(buf, n - 1, 0, (uint8_t)(len - 1)), -EPROTO);
	EXPECT_EQ(client_poke(buf, RUMORD_CLIENT_HLEN, 0, 0), -EPROTO);
	memset(buf + n, 0, 8);
	EXPECT_EQ(client_poke(buf, n + 8, 0, (uint8_t)(len + 8)), -EPROTO);
	EXPECT_EQ(client_poke(buf, n, 12, RUMORD_CF_TOMBSTONES), -EPROTO);
	EXPECT_EQ(client_poke(buf, n, 8, 0xff), -EPROTO);
}

static void test_client_quorum(void)
{
	struct rumord_client_msg in = { .op = RUMORD_OP_QUORUM }, out;
	struct rumord_client_quorum *s = &in.quorum, *t = &out.quorum;
	const char *why = "2 of 3 acknowledged in time";
	uint8_t buf[512], *b = buf + RUMORD_CLIENT_HLEN;
	size_t n;
	int seq = 0;

	RUMORD_CLIENT_QUORUM_FIELDS(FILL)
	strcpy(s->text, why);
	ASSERT_EQ(client_trip(&in, buf, sizeof(buf), &out), 0);
	RUMORD_CLIENT_QUORUM_FIELDS(SAME)
	EXPECT_TRUE(!strcmp(t->text, why));
	/* Ten u64s in the header's order, then the text, nothing after. */
	n = RUMORD_CLIENT_HLEN + 80 + strlen(why);
	EXPECT_EQ(rumord_client_frame_size(&in), n);
	EXPECT_TRUE(rumord_get_le64(b) == s->level &&
		    rumord_get_le64(b + 72) == s->elapsed_us &&
		    !memcmp(b + 80, why, strlen(why)));
	EXPECT_EQ(client_poke(buf, n, n - 3, 0), -EPROTO);	/* a NUL */
	EXPECT_EQ(client_poke(buf, n, 12, RUMORD_CF_STRICT), -EPROTO);
	EXPECT_EQ(client_poke(buf, n, 8, 0xff), -EPROTO);	/* a status */
	EXPECT_EQ(client_poke(buf, RUMORD_CLIENT_HLEN + 79, 0, 79), -EPROTO);
	EXPECT_EQ(client_poke(buf, RUMORD_CLIENT_HLEN, 0, 0), -EPROTO);
	/* No text: the figures alone. */
	EXPECT_EQ(client_poke(buf, RUMORD_CLIENT_HLEN + 80, 0, 80), 0);
	s->text[0] = '\0';
	ASSERT_EQ(client_trip(&in, buf, sizeof(buf), &out), 0);
	EXPECT_TRUE(!*t->text && t->repaired == s->repaired);
	/* The longest text, and one byte more. */
	memset(s->text, 'q', RUMORD_CLIENT_ERR_MAX);
	s->text[RUMORD_CLIENT_ERR_MAX] = '\0';
	ASSERT_EQ(client_trip(&in, buf, sizeof(buf), &out), 0);
	EXPECT_EQ(strlen(t->text), RUMORD_CLIENT_ERR_MAX);
	n = RUMORD_CLIENT_HLEN + 80 + RUMORD_CLIENT_ERR_MAX;
	buf[n] = 'q';
	EXPECT_EQ(client_poke(buf, n + 1, 0, 80 + RUMORD_CLIENT_ERR_MAX + 1),
		  -EPROTO);
}

static void test_client_hint_frames(void)
{
	struct rumord_client_msg in = { .op = RUMORD_OP_HINT_TARGET }, out;
	uint8_t buf[512], *b = buf + RUMORD_CLIENT_HLEN;
	unsigned int off;
	int seq = 0;

	check_empty_request(RUMORD_OP_HINTS);
	{
		struct rumord_client_hint_target *s = &in.hint, *t = &out.hint;

		memcpy(s->addr, v4_mapped, 16);
		s->port = 7867;
		RUMORD_CLIENT_HINT_FIELDS(FILL)
		ASSERT_EQ(client_trip(&in, buf, sizeof(buf), &out), 0);
		EXPECT_TRUE(!memcmp(t->addr, v4_mapped, 16) && t->port == 7867);
		RUMORD_CLIENT_HINT_FIELDS(SAME)
		EXPECT_TRUE(rumord_get_le16(b + 16) == 7867 &&
			    rumord_get_le64(b + 24) == s->node &&
			    rumord_get_le64(b + 48) == s->oldest_at);
	}
	EXPECT_EQ(rumord_client_frame_size(&in), RUMORD_CLIENT_HLEN + 56);
	for (off = 18; off < 24; off++)		/* reserved */
		EXPECT_EQ(client_poke(buf, RUMORD_CLIENT_HLEN + 56,
				      RUMORD_CLIENT_HLEN + off, 1), -EPROTO);
	check_fixed_len(buf, 56);

	in = (struct rumord_client_msg){ .op = RUMORD_OP_HINTS_INFO };
	{
		struct rumord_client_hints_info *s = &in.hints, *t = &out.hints;

		RUMORD_CLIENT_HINTS_INFO_FIELDS(FILL)
		ASSERT_EQ(client_trip(&in, buf, sizeof(buf), &out), 0);
		RUMORD_CLIENT_HINTS_INFO_FIELDS(SAME)
		EXPECT_TRUE(rumord_get_le64(b) == s->quota &&
			    rumord_get_le64(b + 104) == s->replaying);
	}
	EXPECT_EQ(rumord_client_frame_size(&in), RUMORD_CLIENT_HLEN + 112);
	check_fixed_len(buf, 112);
}

static void test_client_node_frames(void)
{
	struct rumord_client_msg in = { .op = RUMORD_OP_NODE }, out;
	struct rumord_client_node *s = &in.node, *t = &out.node;
	uint8_t buf[512], *b = buf + RUMORD_CLIENT_HLEN;
	size_t n = RUMORD_CLIENT_HLEN + 88;
	unsigned int off;
	int seq = 0;

	check_empty_request(RUMORD_OP_NODES);
	s->addr[0] = 0x20;
	s->addr[1] = 0x01;
	s->addr[15] = 7;
	s->port = 7868;
	s->state = RUMORD_NS_DOWN;
	s->flags = RUMORD_NF_SELF | RUMORD_NF_STAND_IN;
	RUMORD_CLIENT_NODE_FIELDS(FILL)
	ASSERT_EQ(client_trip(&in, buf, sizeof(buf), &out), 0);
	EXPECT_TRUE(!memcmp(t->addr, s->addr, 16) && t->port == 7868 &&
		    t->state == RUMORD_NS_DOWN && t->flags == s->flags);
	RUMORD_CLIENT_NODE_FIELDS(SAME)
	EXPECT_EQ(rumord_client_frame_size(&in), n);
	EXPECT_TRUE(b[18] == RUMORD_NS_DOWN && b[19] == s->flags &&
		    rumord_get_le64(b + 24) == s->node &&
		    rumord_get_le64(b + 80) == s->restarts);
	/* State UP or DOWN, known flags, reserved zero. */
	EXPECT_EQ(client_poke(buf, n, RUMORD_CLIENT_HLEN + 18, RUMORD_NS_UP), 0);
	EXPECT_EQ(client_poke(buf, n, RUMORD_CLIENT_HLEN + 18, 2), -EPROTO);
	EXPECT_EQ(client_poke(buf, n, RUMORD_CLIENT_HLEN + 18, 0xff), -EPROTO);
	EXPECT_EQ(client_poke(buf, n, RUMORD_CLIENT_HLEN + 19, RUMORD_NF_ALL), 0);
	EXPECT_EQ(client_poke(buf, n, RUMORD_CLIENT_HLEN + 19, 0x08), -EPROTO);
	EXPECT_EQ(client_poke(buf, n, RUMORD_CLIENT_HLEN + 19, 0x80), -EPROTO);
	for (off = 20; off < 24; off++)
		EXPECT_EQ(client_poke(buf, n, RUMORD_CLIENT_HLEN + off, 1), -EPROTO);
	check_fixed_len(buf, 88);
	/* What rumord must not send. */
	s->state = 2;
	EXPECT_EQ(rumord_client_encode(&in, buf, sizeof(buf)), -EINVAL);
	s->state = RUMORD_NS_UP;
	s->flags = 0x08;
	EXPECT_EQ(rumord_client_encode(&in, buf, sizeof(buf)), -EINVAL);
}

static void test_client_new_mutations(void)
{
	struct rumord_client_msg in[5] = {
		{ .op = RUMORD_OP_QUORUM },
		{ .op = RUMORD_OP_NODE },
		{ .op = RUMORD_OP_HINT_TARGET },
		{ .op = RUMORD_OP_WHERE, .key = "where/key", .key_len = 9,
		  .level = 4 },
		{ .op = RUMORD_OP_PUT, .key = "k", .key_len = 1, .value = "vv",
		  .value_len = 2, .level = 2, .flags = RUMORD_CF_STRICT },
	};
	unsigned int i;
	int ok;

	in[0].quorum.acked = 2;
	strcpy(in[0].quorum.text, "1 of 3 replicas up");
	in[1].node.flags = RUMORD_NF_ALL;
	in[1].node.state = RUMORD_NS_DOWN;
	in[1].node.node = 42;
	in[2].hint.count = 7;
	for (i = 0; i < 5; i++) {
		ok = client_mutate(&in[i], 30000);
		ASSERT_TRUE(ok >= 0);
		printf("# op 0x%02x: %d of 30000 mutated frames still decoded\n",
		       in[i].op, ok);
	}
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
	{ "client_levels", test_client_levels },
	{ "client_quorum", test_client_quorum },
	{ "client_hint_frames", test_client_hint_frames },
	{ "client_node_frames", test_client_node_frames },
	{ "client_new_mutations", test_client_new_mutations },
};

KTAP_MAIN(cases)
