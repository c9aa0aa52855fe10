// SPDX-License-Identifier: GPL-2.0
/*
 * The replica protocol's codec (rpc_proto.c): the layout rpc_proto.h
 * draws, round trips of every op at the edges of every bound, encode's and
 * decode's refusals field by field, the incremental reader fed a byte at a
 * time and in random pieces and given hostile lengths, the sniff against
 * real sync HELLOs, and a time-bounded fuzzer. Every frame decoded is a
 * copy of exactly its size, so that ASan catches a read past its end.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/ktap.h"
#include "le.h"
#include "memreplica.h"
#include "merkle.h"
#include "rpc_proto.h"
#include "sync.h"

#define FUZZ_BUDGET_S	2.0
#define MAX_SAMPLES	64

static uint8_t big_value[RUMORD_MAX_VALUE];
static uint8_t long_key[RUMORD_MAX_KEY + 1];
static uint8_t frame[RUMORD_RPC_MAX_FRAME + 64];

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fill_globals(void)
{
	for (size_t i = 0; i < sizeof(big_value); i++)
		big_value[i] = (uint8_t)(i * 131 + (i >> 9));
	for (size_t i = 0; i < sizeof(long_key); i++)
		long_key[i] = (uint8_t)('a' + i % 26);
}

static struct rumord_version ver(uint64_t hlc, uint64_t node, uint64_t counter,
				 bool tomb)
{
	return (struct rumord_version){
		.hlc = hlc, .dot = { node, counter }, .tombstone = tomb,
	};
}

static struct rumord_rpc_hint hint_v6(void)
{
	struct rumord_rpc_hint h = { .node = 0x0123456789abcdefull };

	/* 2001:db8::7 */
	h.addr.addr[0] = 0x20;
	h.addr.addr[1] = 0x01;
	h.addr.addr[2] = 0x0d;
	h.addr.addr[3] = 0xb8;
	h.addr.addr[15] = 7;
	h.addr.port = 7867;
	return h;
}

static struct rumord_rpc_hint hint_v4(uint8_t a, uint8_t b, uint8_t c,
				      uint8_t d)
{
	struct rumord_rpc_hint h = { .node = 99 };

	h.addr.addr[10] = 0xff;
	h.addr.addr[11] = 0xff;
	h.addr.addr[12] = a;
	h.addr.addr[13] = b;
	h.addr.addr[14] = c;
	h.addr.addr[15] = d;
	h.addr.port = 65535;
	return h;
}

static struct rumord_rpc_msg write_msg(uint64_t id, const void *k, size_t kl,
				       const void *v, size_t vl, bool tomb)
{
	struct rumord_rpc_msg m = { .op = RUMORD_RPC_WRITE, .id = id };

	m.rec.key = k;
	m.rec.key_len = kl;
	m.rec.value = v;
	m.rec.value_len = vl;
	m.rec.version = ver(0x0123456700010002ull, 0xfeedfacecafebeefull,
			    tomb ? 7 : 1, tomb);
	return m;
}

static struct rumord_rpc_msg ack_msg(uint64_t id, int32_t status,
				     struct rumord_version v, bool unchanged)
{
	struct rumord_rpc_msg m = { .op = RUMORD_RPC_WRITE_ACK, .id = id };

	m.status = status;
	m.rec.version = v;
	m.unchanged = unchanged;
	return m;
}

static struct rumord_rpc_msg read_msg(uint64_t id, const void *k, size_t kl,
				      bool digest_only)
{
	struct rumord_rpc_msg m = { .op = RUMORD_RPC_READ, .id = id };

	m.rec.key = k;
	m.rec.key_len = kl;
	m.digest_only = digest_only;
	return m;
}

/* A replica's answer for @key at @v: the digest is the real entry hash. */
static struct rumord_rpc_msg reply_msg(uint64_t id, const void *key,
				       size_t key_len, struct rumord_version v,
				       const void *val, size_t vl,
				       bool digest_only)
{
	struct rumord_rpc_msg m = { .op = RUMORD_RPC_READ_REPLY, .id = id };

	m.rec.version = v;
	m.rec.value = val;
	m.rec.value_len = vl;
	m.digest = rumord_entry_hash(key, key_len, &v);
	m.digest_only = digest_only;
	return m;
}

static struct rumord_rpc_msg enoent_msg(uint64_t id, bool digest_only)
{
	struct rumord_rpc_msg m = { .op = RUMORD_RPC_READ_REPLY, .id = id };

	m.status = -ENOENT;
	m.digest_only = digest_only;
	return m;
}

static struct rumord_rpc_msg error_msg(uint64_t id, int32_t status,
				       const char *text, size_t len)
{
	struct rumord_rpc_msg m = { .op = RUMORD_RPC_ERROR, .id = id };

	m.status = status;
	m.text = text;
	m.text_len = len;
	return m;
}

/* Every op, at the edges of every bound. */
static size_t samples(struct rumord_rpc_msg *s)
{
	static char text[RUMORD_RPC_TEXT_MAX];
	struct rumord_version live = ver(1ull << 40, 5, 9, false);
	struct rumord_version dead = ver(1ull << 41, 6, RUMORD_MAX_COUNTER, true);
	size_t n = 0;

	memset(text, 'e', sizeof(text));
	s[n++] = write_msg(1, "k", 1, "v", 1, false);
	s[n++] = write_msg(2, long_key, RUMORD_MAX_KEY, "", 0, false);
	s[n++] = write_msg(3, "empty", 5, NULL, 0, false);
	s[n++] = write_msg(4, "big", 3, big_value, RUMORD_MAX_VALUE, false);
	s[n++] = write_msg(5, "gone", 4, NULL, 0, true);
	s[n] = write_msg(6, "hinted", 6, "x", 1, false);
	s[n].has_hint = true;
	s[n++].hint = hint_v6();
	s[n] = write_msg(7, "hinted4", 7, NULL, 0, true);
	s[n].has_hint = true;
	s[n++].hint = hint_v4(10, 0, 0, 2);
	s[n] = write_msg(UINT64_MAX, long_key, RUMORD_MAX_KEY, big_value,
			 RUMORD_MAX_VALUE, false);
	s[n].has_hint = true;
	s[n++].hint = hint_v4(223, 255, 255, 254);
	s[n++] = ack_msg(1, 0, live, false);
	s[n++] = ack_msg(2, 0, dead, true);
	s[n++] = ack_msg(3, -EDQUOT, ver(0, 0, 0, false), false);
	s[n++] = ack_msg(4, -ENOSPC, live, false);
	s[n++] = ack_msg(5, -4095, dead, false);
	s[n++] = read_msg(8, "k", 1, false);
	s[n++] = read_msg(9, long_key, RUMORD_MAX_KEY, true);
	s[n++] = reply_msg(8, "k", 1, live, "v", 1, false);
	s[n++] = reply_msg(9, "k", 1, live, NULL, 0, false);
	s[n++] = reply_msg(10, "k", 1, live, NULL, 0, true);
	s[n++] = reply_msg(11, "k", 1, dead, NULL, 0, false);
	s[n++] = reply_msg(12, "big", 3, live, big_value, RUMORD_MAX_VALUE, false);
	s[n++] = enoent_msg(13, false);
	s[n++] = enoent_msg(14, true);
	s[n++] = (struct rumord_rpc_msg){ .op = RUMORD_RPC_PING, .id = 1 };
	s[n++] = (struct rumord_rpc_msg){ .op = RUMORD_RPC_PONG, .id = UINT64_MAX };
	s[n++] = error_msg(0, -EPROTO, "bad frame", 9);
	s[n++] = error_msg(3, -EIO, NULL, 0);
	s[n++] = error_msg(4, -4095, text, sizeof(text));
	return n;
}

static bool same_bytes(const void *a, size_t al, const void *b, size_t bl)
{
	return al == bl && (!al || !memcmp(a, b, al));
}

static bool msg_equal(const struct rumord_rpc_msg *a,
		      const struct rumord_rpc_msg *b)
{
	return a->op == b->op && a->id == b->id && a->status == b->status &&
	       same_bytes(a->rec.key, a->rec.key_len, b->rec.key, b->rec.key_len) &&
	       same_bytes(a->rec.value, a->rec.value_len, b->rec.value,
			  b->rec.value_len) &&
	       !memcmp(&a->rec.version.dot, &b->rec.version.dot,
		       sizeof(a->rec.version.dot)) &&
	       a->rec.version.hlc == b->rec.version.hlc &&
	       a->rec.version.tombstone == b->rec.version.tombstone &&
	       a->has_hint == b->has_hint &&
	       a->hint.node == b->hint.node &&
	       a->hint.addr.port == b->hint.addr.port &&
	       !memcmp(a->hint.addr.addr, b->hint.addr.addr, 16) &&
	       a->digest_only == b->digest_only && a->unchanged == b->unchanged &&
	       rumord_hash_eq(a->digest, b->digest) &&
	       same_bytes(a->text, a->text_len, b->text, b->text_len);
}

/* Decode from a copy of exactly @len bytes. */
static int decode_exact(const void *buf, size_t len, struct rumord_rpc_msg *m,
			uint8_t **keep)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	if (!copy)
		abort();
	if (len)
		memcpy(copy, buf, len);
	rc = rumord_rpc_decode(copy, len, m);
	if (keep)
		*keep = copy;
	else
		free(copy);
	return rc;
}

/*
 * What the reader makes of @len bytes fed in pieces of at most @piece:
 * 1 a frame (then *@m, valid while the reader lives), 0 waiting, < 0 its
 * error. *@took: bytes taken.
 */
static int reader_verdict(struct rumord_rpc_reader *r, const uint8_t *p,
			  size_t len, size_t piece, struct rumord_rpc_msg *m,
			  size_t *took)
{
	size_t off = 0;
	int rc = 0;

	while (off < len) {
		size_t n = len - off < piece ? len - off : piece;
		long k = rumord_rpc_reader_feed(r, p + off, n);

		if (k < 0)
			return (int)k;
		off += (size_t)k;
		rc = rumord_rpc_reader_next(r, m);
		if (rc)
			break;
		if (!k)
			break;
	}
	*took = off;
	return rc;
}

/* ---- layout ---- */

static void test_layout(void)
{
	struct rumord_rpc_msg m = write_msg(0x1122334455667788ull, "key", 3,
					    "value", 5, false);
	struct rumord_version v = ver(0x0102030405060708ull, 0x1112131415161718ull,
				      0x2122232425262728ull, false);
	uint8_t *f = frame;
	long n;

	m.has_hint = true;
	m.hint = hint_v6();
	n = rumord_rpc_encode(&m, f, sizeof(frame));
	ASSERT_EQ(n, 20 + 32 + 32 + 3 + 5);
	/* The header rpc_proto.h draws: the length counts what follows it. */
	EXPECT_EQ(rumord_get_le32(f), n - 4);
	EXPECT_TRUE(f[4] == 'r' && f[5] == 'p');
	EXPECT_EQ(rumord_get_le16(f + 4), RUMORD_RPC_MAGIC);
	EXPECT_EQ(f[6], 1);
	EXPECT_EQ(f[7], RUMORD_RPC_WRITE);
	EXPECT_EQ(rumord_get_le32(f + 8), RUMORD_RPC_F_HINT);
	EXPECT_TRUE(f[12] == 0x88 && f[19] == 0x11);
	/* WRITE: version, key_len, 0, value_len, hint, key, value. */
	EXPECT_TRUE(rumord_get_le64(f + 20) == m.rec.version.hlc);
	EXPECT_TRUE(rumord_get_le64(f + 28) == m.rec.version.dot.node);
	EXPECT_EQ(rumord_get_le64(f + 36), 1);
	EXPECT_EQ(rumord_get_le16(f + 44), 3);
	EXPECT_EQ(rumord_get_le16(f + 46), 0);
	EXPECT_EQ(rumord_get_le32(f + 48), 5);
	EXPECT_TRUE(rumord_get_le64(f + 52) == 0x0123456789abcdefull);
	EXPECT_TRUE(f[60] == 0x20 && f[61] == 0x01 && f[75] == 7);
	EXPECT_EQ(rumord_get_le16(f + 76), 7867);
	EXPECT_EQ(rumord_get_le16(f + 78) + rumord_get_le32(f + 80), 0);
	EXPECT_TRUE(!memcmp(f + 84, "keyvalue", 8));

	/* READ_REPLY: status, value_len, version, digest lo and hi, value. */
	m = reply_msg(42, "key", 3, v, "val", 3, false);
	v.tombstone = true;
	n = rumord_rpc_encode(&m, f, sizeof(frame));
	ASSERT_EQ(n, 20 + 48 + 3);
	EXPECT_EQ(f[7], RUMORD_RPC_READ_REPLY);
	EXPECT_EQ(rumord_get_le32(f + 8), 0);
	EXPECT_EQ(rumord_get_le64(f + 12), 42);
	EXPECT_EQ(rumord_get_le32(f + 20), 0);
	EXPECT_EQ(rumord_get_le32(f + 24), 3);
	EXPECT_TRUE(f[28] == 0x08 && f[36] == 0x18 && f[44] == 0x28);
	EXPECT_TRUE(rumord_get_le64(f + 52) == m.digest.lo);
	EXPECT_TRUE(rumord_get_le64(f + 60) == m.digest.hi);
	EXPECT_TRUE(!memcmp(f + 68, "val", 3));
	/* The digest is the Merkle tree's entry hash: it depends on all. */
	EXPECT_TRUE(!rumord_hash_zero(m.digest));
	EXPECT_TRUE(!rumord_hash_eq(m.digest, rumord_entry_hash("key", 3, &v)));
	EXPECT_TRUE(!rumord_hash_eq(m.digest, rumord_entry_hash("kez", 3, &m.rec.version)));

	/* WRITE_ACK, READ, ERROR, PING. */
	m = ack_msg(7, -EDQUOT, ver(0, 0, 0, false), false);
	ASSERT_EQ(rumord_rpc_encode(&m, f, sizeof(frame)), 20 + 32);
	EXPECT_EQ((int32_t)rumord_get_le32(f + 20), -EDQUOT);
	m = read_msg(7, "abc", 3, true);
	ASSERT_EQ(rumord_rpc_encode(&m, f, sizeof(frame)), 20 + 4 + 3);
	EXPECT_EQ(rumord_get_le32(f + 8), RUMORD_RPC_F_DIGEST_ONLY);
	EXPECT_EQ(rumord_get_le16(f + 20), 3);
	EXPECT_TRUE(!memcmp(f + 24, "abc", 3));
	m = error_msg(0, -EPROTO, "no", 2);
	ASSERT_EQ(rumord_rpc_encode(&m, f, sizeof(frame)), 20 + 8 + 2);
	EXPECT_EQ(rumord_get_le64(f + 12), 0);
	EXPECT_EQ(rumord_get_le16(f + 24), 2);
	m = (struct rumord_rpc_msg){ .op = RUMORD_RPC_PING, .id = 5 };
	ASSERT_EQ(rumord_rpc_encode(&m, f, sizeof(frame)), 20);
	EXPECT_EQ(rumord_get_le32(f), 16);

	EXPECT_EQ(RUMORD_RPC_MAX_FRAME, 20 + 32 + 32 + 512 + (1 << 20));
	EXPECT_TRUE(!strcmp(rumord_rpc_op_name(RUMORD_RPC_READ_REPLY), "READ_REPLY"));
	EXPECT_TRUE(!strcmp(rumord_rpc_op_name(0x42), "?"));
}

/* ---- round trips ---- */

static void test_round_trip(void)
{
	static struct rumord_rpc_msg s[MAX_SAMPLES];
	static uint8_t again[RUMORD_RPC_MAX_FRAME];
	size_t n = samples(s);

	for (size_t i = 0; i < n; i++) {
		size_t size = rumord_rpc_frame_size(&s[i]);
		struct rumord_rpc_msg d;
		uint8_t *copy;
		long len;

		len = rumord_rpc_encode(&s[i], frame, sizeof(frame));
		if (len != (long)size) {
			KTAP_REPORT("sample %zu (%s): encode gave %ld, not %zu",
				    i, rumord_rpc_op_name(s[i].op), len, size);
			ktap_case_failed = 1;
			continue;
		}
		/* Exactly the frame's size is enough, one byte less is not. */
		EXPECT_EQ(rumord_rpc_encode(&s[i], again, size), (long)size);
		EXPECT_EQ(rumord_rpc_encode(&s[i], again, size - 1), -EMSGSIZE);
		EXPECT_EQ(rumord_rpc_encode(&s[i], again, 0), -EMSGSIZE);
		EXPECT_TRUE(rumord_rpc_sniff(frame, (size_t)len));
		if (decode_exact(frame, (size_t)len, &d, &copy)) {
			KTAP_REPORT("sample %zu (%s) does not decode", i,
				    rumord_rpc_op_name(s[i].op));
			ktap_case_failed = 1;
			free(copy);
			continue;
		}
		if (!msg_equal(&s[i], &d)) {
			KTAP_REPORT("sample %zu (%s) decodes to another message",
				    i, rumord_rpc_op_name(s[i].op));
			ktap_case_failed = 1;
		}
		/* Decoded pointers point into the frame, not the sample. */
		EXPECT_TRUE(!d.rec.key_len ||
			    ((const uint8_t *)d.rec.key >= copy &&
			     (const uint8_t *)d.rec.key < copy + len));
		EXPECT_EQ(rumord_rpc_encode(&d, again, sizeof(again)), len);
		EXPECT_TRUE(!memcmp(frame, again, (size_t)len));
		free(copy);
	}
	printf("# %zu messages, every op\n", n);
}

/* ---- encode's refusals ---- */

static void refuse(const struct rumord_rpc_msg *m, const char *what, int line)
{
	long rc = rumord_rpc_encode(m, frame, sizeof(frame));

	if (rc != -EINVAL) {
		printf("# line %d: %s: encode gave %ld, not -EINVAL\n", line,
		       what, rc);
		ktap_case_failed = 1;
	}
}

#define REFUSE(m, what)	refuse(&(m), (what), __LINE__)

static void test_encode_refusals(void)
{
	struct rumord_version live = ver(1, 2, 3, false);
	struct rumord_rpc_msg m, base = write_msg(1, "k", 1, "v", 1, false);

	m = base; m.op = 0; REFUSE(m, "op 0");
	m = base; m.op = 4; REFUSE(m, "op 4");
	m = base; m.op = 0x84; REFUSE(m, "op 0x84");
	m = base; m.id = 0; REFUSE(m, "WRITE id 0");
	m = base; m.rec.key_len = 0; REFUSE(m, "empty key");
	m = base; m.rec.key = NULL; REFUSE(m, "no key");
	m = base; m.rec.key = long_key; m.rec.key_len = RUMORD_MAX_KEY + 1;
	REFUSE(m, "key of 513");
	m = base; m.rec.value = big_value; m.rec.value_len = RUMORD_MAX_VALUE + 1;
	REFUSE(m, "value over 1 MiB");
	m = base; m.rec.value = NULL; REFUSE(m, "value length, no value");
	m = base; m.rec.version.tombstone = true; REFUSE(m, "tombstone with a value");
	m = base; m.rec.version.dot.node = 0; REFUSE(m, "node 0");
	m = base; m.rec.version.dot.counter = 0; REFUSE(m, "counter 0");
	m = base; m.rec.version.dot.counter = RUMORD_MAX_COUNTER + 1;
	REFUSE(m, "counter over the bound");
	m = base; m.status = -EIO; REFUSE(m, "WRITE with a status");
	m = base; m.digest_only = true; REFUSE(m, "WRITE digest only");
	m = base; m.unchanged = true; REFUSE(m, "WRITE unchanged");
	m = base; m.digest.lo = 1; REFUSE(m, "WRITE with a digest");
	m = base; m.text = "x"; m.text_len = 1; REFUSE(m, "WRITE with text");
	m = base; m.hint = hint_v6(); REFUSE(m, "hint target without has_hint");
	m = base; m.has_hint = true; REFUSE(m, "has_hint without a target");
	m = base; m.has_hint = true; m.hint = hint_v6(); m.hint.node = 0;
	REFUSE(m, "hint node 0");
	m = base; m.has_hint = true; m.hint = hint_v6(); m.hint.addr.port = 0;
	REFUSE(m, "hint port 0");
	m = base; m.has_hint = true; m.hint = hint_v6();
	memset(m.hint.addr.addr, 0, 16); REFUSE(m, "hint to ::");
	m = base; m.has_hint = true; m.hint = hint_v6(); m.hint.addr.addr[0] = 0xff;
	REFUSE(m, "hint to multicast");
	m = base; m.has_hint = true; m.hint = hint_v4(0, 1, 2, 3);
	REFUSE(m, "hint to 0.1.2.3");
	m = base; m.has_hint = true; m.hint = hint_v4(224, 0, 0, 1);
	REFUSE(m, "hint to 224.0.0.1");

	m = ack_msg(1, 0, live, false);
	m.rec.key = "k"; m.rec.key_len = 1; REFUSE(m, "WRITE_ACK with a key");
	m = ack_msg(1, 0, ver(0, 0, 0, false), false); REFUSE(m, "ack 0, no version");
	m = ack_msg(1, 1, live, false); REFUSE(m, "status 1");
	m = ack_msg(1, -4096, live, false); REFUSE(m, "status -4096");
	m = ack_msg(1, INT32_MIN, live, false); REFUSE(m, "status INT32_MIN");
	m = ack_msg(1, -EIO, live, true); REFUSE(m, "unchanged and failed");
	m = ack_msg(1, -EIO, ver(5, 0, 0, false), false); REFUSE(m, "half a version");
	m = ack_msg(1, -EIO, ver(0, 0, 0, true), false); REFUSE(m, "tombstone, no version");
	m = ack_msg(0, 0, live, false); REFUSE(m, "WRITE_ACK id 0");

	m = read_msg(1, "k", 1, false); m.rec.version = live; REFUSE(m, "READ with a version");
	m = read_msg(1, "k", 1, false); m.rec.value = "v"; m.rec.value_len = 1;
	REFUSE(m, "READ with a value");
	m = read_msg(1, "", 0, false); REFUSE(m, "READ empty key");
	m = read_msg(1, long_key, RUMORD_MAX_KEY + 1, false); REFUSE(m, "READ key of 513");
	m = read_msg(1, "k", 1, false); m.unchanged = true; REFUSE(m, "READ unchanged");

	m = reply_msg(1, "k", 1, live, "v", 1, false); m.status = -EIO;
	REFUSE(m, "READ_REPLY -EIO");
	m = reply_msg(1, "k", 1, live, "v", 1, true); REFUSE(m, "digest only with a value");
	m = reply_msg(1, "k", 1, ver(1, 2, 3, true), "v", 1, false);
	REFUSE(m, "tombstone reply with a value");
	m = reply_msg(1, "k", 1, live, NULL, 0, false); m.digest = (struct rumord_hash){ 0, 0 };
	REFUSE(m, "reply with a zero digest");
	m = reply_msg(1, "k", 1, ver(1, 0, 3, false), NULL, 0, false);
	REFUSE(m, "reply node 0");
	m = enoent_msg(1, false); m.rec.version = live; REFUSE(m, "ENOENT with a version");
	m = enoent_msg(1, false); m.digest.hi = 1; REFUSE(m, "ENOENT with a digest");
	m = enoent_msg(1, false); m.rec.value = "v"; m.rec.value_len = 1;
	REFUSE(m, "ENOENT with a value");
	m = enoent_msg(1, false); m.rec.version.tombstone = true;
	REFUSE(m, "ENOENT tombstone");
	m = enoent_msg(1, false); m.rec.key = "k"; m.rec.key_len = 1;
	REFUSE(m, "READ_REPLY with a key");

	m = (struct rumord_rpc_msg){ .op = RUMORD_RPC_PING, .id = 0 }; REFUSE(m, "PING id 0");
	m = (struct rumord_rpc_msg){ .op = RUMORD_RPC_PING, .id = 1, .status = -1 };
	REFUSE(m, "PING with a status");
	m = (struct rumord_rpc_msg){ .op = RUMORD_RPC_PONG, .id = 1, .digest_only = true };
	REFUSE(m, "PONG digest only");

	m = error_msg(1, 0, "x", 1); REFUSE(m, "ERROR status 0");
	m = error_msg(1, 5, "x", 1); REFUSE(m, "ERROR status 5");
	m = error_msg(1, -EIO, "a\0b", 3); REFUSE(m, "ERROR text with a NUL");
	m = error_msg(1, -EIO, NULL, 3); REFUSE(m, "ERROR text length, no text");
	m = error_msg(1, -EIO, (const char *)long_key, RUMORD_RPC_TEXT_MAX + 1);
	REFUSE(m, "ERROR text of 121");
	m = error_msg(1, -EIO, "x", 1); m.rec.version = live; REFUSE(m, "ERROR with a version");
}

/* ---- decode's refusals ---- */

static void set16(uint8_t *f, size_t off, uint16_t v) { rumord_put_le16(f + off, v); }
static void set32(uint8_t *f, size_t off, uint32_t v) { rumord_put_le32(f + off, v); }
static void set64(uint8_t *f, size_t off, uint64_t v) { rumord_put_le64(f + off, v); }

/*
 * @len bytes at @f must be refused with @want, by decode and, when the
 * length field frames exactly these bytes or the header is what is
 * wrong, by the reader too.
 */
static void refused(const uint8_t *f, size_t len, int want, const char *what,
		    int line)
{
	struct rumord_rpc_reader r;
	struct rumord_rpc_msg m;
	struct rumord_rpc_hdr h;
	size_t took;
	int rc = decode_exact(f, len, &m, NULL);

	if (rc != want) {
		printf("# line %d: %s: decode gave %d, not %d\n", line, what,
		       rc, want);
		ktap_case_failed = 1;
		return;
	}
	if (!rc)
		return;
	/* A refused frame leaves nothing behind. */
	EXPECT_TRUE(m.op == 0 && m.rec.key == NULL && m.text == NULL);
	if (len < RUMORD_RPC_HLEN)
		return;
	if (rumord_rpc_parse_hdr(f, &h) == 0 && (size_t)h.len + 4 != len)
		return;
	rumord_rpc_reader_init(&r);
	rc = reader_verdict(&r, f, len, 1 + (size_t)line % 7, &m, &took);
	if (rc != want) {
		printf("# line %d: %s: the reader gave %d, not %d\n", line,
		       what, rc, want);
		ktap_case_failed = 1;
	}
	/* Sticky: nothing more is taken. */
	EXPECT_EQ(rumord_rpc_reader_feed(&r, f, len), want);
	EXPECT_EQ(rumord_rpc_reader_want(&r), 0);
	rumord_rpc_reader_release(&r);
}

#define REFUSED(len, want, what) refused(frame, (len), (want), (what), __LINE__)

/* Encode @m into frame; its length. */
static size_t enc(const struct rumord_rpc_msg *m)
{
	long n = rumord_rpc_encode(m, frame, sizeof(frame));

	if (n < 0) {
		printf("# a base message does not encode: %ld\n", n);
		ktap_case_failed = 1;
		return 0;
	}
	return (size_t)n;
}

static void test_decode_refusals(void)
{
	struct rumord_version live = ver(1, 2, 3, false);
	struct rumord_rpc_msg w = write_msg(1, "kk", 2, "vv", 2, false);
	struct rumord_rpc_msg wh = w, ping = { .op = RUMORD_RPC_PING, .id = 1 };
	struct rumord_rpc_msg big = write_msg(1, "kk", 2, big_value,
					      RUMORD_MAX_VALUE, false);
	struct rumord_rpc_msg ack = ack_msg(1, 0, live, false);
	struct rumord_rpc_msg rd = read_msg(1, "kk", 2, false);
	struct rumord_rpc_msg rep = reply_msg(1, "kk", 2, live, "vv", 2, false);
	struct rumord_rpc_msg err = error_msg(1, -EIO, "oops", 4);
	size_t n;

	wh.has_hint = true;
	wh.hint = hint_v6();

	/* Too short for a header, or one byte short of the frame. */
	n = enc(&ping);
	REFUSED(0, -EPROTO, "nothing");
	REFUSED(19, -EPROTO, "19 bytes");
	n = enc(&w);
	REFUSED(n - 1, -EPROTO, "one byte short");
	frame[n] = 0;
	REFUSED(n + 1, -EPROTO, "one byte over");

	/* The header, field by field. */
	n = enc(&w); frame[4] ^= 1; REFUSED(n, -EPROTO, "magic");
	n = enc(&w); frame[5] = 0; REFUSED(n, -EPROTO, "magic, second byte");
	n = enc(&w); frame[6] = 0; REFUSED(n, -EPROTONOSUPPORT, "version 0");
	n = enc(&w); frame[6] = 2; REFUSED(n, -EPROTONOSUPPORT, "version 2");
	n = enc(&w); frame[7] = 0; REFUSED(n, -EPROTO, "op 0");
	n = enc(&w); frame[7] = 4; REFUSED(n, -EPROTO, "op 4");
	n = enc(&w); frame[7] = 0x84; REFUSED(n, -EPROTO, "op 0x84");
	n = enc(&w); frame[7] = 0xff; REFUSED(n, -EPROTO, "op 0xff");
	n = enc(&w); set32(frame, 8, 0x10); REFUSED(n, -EPROTO, "unknown flag");
	n = enc(&w); set32(frame, 8, 0x80000000); REFUSED(n, -EPROTO, "top flag");
	n = enc(&w); set32(frame, 8, RUMORD_RPC_F_UNCHANGED); REFUSED(n, -EPROTO, "WRITE unchanged");
	n = enc(&w); set32(frame, 8, RUMORD_RPC_F_DIGEST_ONLY); REFUSED(n, -EPROTO, "WRITE digest only");
	n = enc(&rd); set32(frame, 8, RUMORD_RPC_F_TOMBSTONE); REFUSED(n, -EPROTO, "READ tombstone");
	n = enc(&rd); set32(frame, 8, RUMORD_RPC_F_HINT); REFUSED(n, -EPROTO, "READ hint");
	n = enc(&ping); set32(frame, 8, RUMORD_RPC_F_TOMBSTONE); REFUSED(n, -EPROTO, "PING flag");
	n = enc(&err); set32(frame, 8, RUMORD_RPC_F_TOMBSTONE); REFUSED(n, -EPROTO, "ERROR flag");
	n = enc(&w); set64(frame, 12, 0); REFUSED(n, -EPROTO, "WRITE id 0");
	n = enc(&ack); set64(frame, 12, 0); REFUSED(n, -EPROTO, "WRITE_ACK id 0");
	n = enc(&rd); set64(frame, 12, 0); REFUSED(n, -EPROTO, "READ id 0");
	n = enc(&rep); set64(frame, 12, 0); REFUSED(n, -EPROTO, "READ_REPLY id 0");
	n = enc(&ping); set64(frame, 12, 0); REFUSED(n, -EPROTO, "PING id 0");
	ping.op = RUMORD_RPC_PONG;
	n = enc(&ping); set64(frame, 12, 0); REFUSED(n, -EPROTO, "PONG id 0");
	n = enc(&w); set32(frame, 0, (uint32_t)n - 3); REFUSED(n, -EPROTO, "length + 1");
	n = enc(&w); set32(frame, 0, (uint32_t)n - 5); REFUSED(n, -EPROTO, "length - 1");
	n = enc(&ping); set32(frame, 0, 15); REFUSED(n, -EPROTO, "length under the header");
	n = enc(&ping); set32(frame, 0, 0); REFUSED(n, -EPROTO, "length 0");
	n = enc(&w); set32(frame, 0, UINT32_MAX); REFUSED(n, -EPROTO, "length 2^32 - 1");
	/* A body one byte longer than its fields, length to match. */
	n = enc(&ping); frame[n] = 0; set32(frame, 0, 17); REFUSED(n + 1, -EPROTO, "PING body");
	n = enc(&ack); frame[n] = 0; set32(frame, 0, (uint32_t)n - 3);
	REFUSED(n + 1, -EPROTO, "WRITE_ACK of 33");
	n = enc(&w); frame[n] = 0; set32(frame, 0, (uint32_t)n - 3);
	REFUSED(n + 1, -EPROTO, "WRITE one byte longer");
	n = enc(&rep); set32(frame, 0, (uint32_t)n - 5); REFUSED(n - 1, -EPROTO, "READ_REPLY one byte shorter");

	/* WRITE: lengths and reserved bytes (body at 20). */
	n = enc(&w); set16(frame, 44, 0); set32(frame, 48, 4); REFUSED(n, -EPROTO, "empty key");
	n = enc(&w); set16(frame, 44, 3); REFUSED(n, -EPROTO, "key_len + 1");
	n = enc(&w); set16(frame, 44, 1); REFUSED(n, -EPROTO, "key_len - 1");
	n = enc(&w); set32(frame, 48, 3); REFUSED(n, -EPROTO, "value_len + 1");
	n = enc(&w); set32(frame, 48, 1); REFUSED(n, -EPROTO, "value_len - 1");
	n = enc(&w); set32(frame, 48, UINT32_MAX); REFUSED(n, -EPROTO, "value_len 2^32 - 1");
	n = enc(&w); set16(frame, 44, UINT16_MAX); REFUSED(n, -EPROTO, "key_len 65535");
	n = enc(&w); set16(frame, 46, 1); REFUSED(n, -EPROTO, "reserved after key_len");
	n = enc(&w); set64(frame, 28, 0); REFUSED(n, -EPROTO, "node 0");
	n = enc(&w); set64(frame, 36, 0); REFUSED(n, -EPROTO, "counter 0");
	n = enc(&w); set64(frame, 36, RUMORD_MAX_COUNTER + 1); REFUSED(n, -EPROTO, "counter over");
	n = enc(&w); set64(frame, 36, UINT64_MAX); REFUSED(n, -EPROTO, "counter 2^64 - 1");
	n = enc(&w); set32(frame, 8, RUMORD_RPC_F_TOMBSTONE); REFUSED(n, -EPROTO, "tombstone with a value");
	n = enc(&w); set32(frame, 8, RUMORD_RPC_F_HINT); REFUSED(n, -EPROTO, "HINT without one");
	/* A key of 513 or a value over 1 MiB, the sum of lengths right. */
	w.rec.key = long_key;
	w.rec.key_len = RUMORD_MAX_KEY;
	n = enc(&w); set16(frame, 44, RUMORD_MAX_KEY + 1); set32(frame, 48, 1);
	REFUSED(n, -EPROTO, "key of 513");
	w.rec.key_len = 2;
	n = enc(&big); set16(frame, 44, 1); set32(frame, 48, RUMORD_MAX_VALUE + 1);
	REFUSED(n, -EPROTO, "value of 1 MiB + 1");
	/* The smallest body a WRITE can have is one byte over its fields. */
	n = enc(&ping); frame[7] = RUMORD_RPC_WRITE; memset(frame + 20, 0, 32);
	set32(frame, 0, 16 + 32); REFUSED(20 + 32, -EPROTO, "WRITE without a key");

	/* The hint target (at 52): node, address, port, reserved. */
	n = enc(&wh); set32(frame, 8, 0); REFUSED(n, -EPROTO, "hint without HINT");
	n = enc(&wh); set64(frame, 52, 0); REFUSED(n, -EPROTO, "hint node 0");
	n = enc(&wh); set16(frame, 76, 0); REFUSED(n, -EPROTO, "hint port 0");
	n = enc(&wh); memset(frame + 60, 0, 16); REFUSED(n, -EPROTO, "hint to ::");
	n = enc(&wh); frame[60] = 0xff; REFUSED(n, -EPROTO, "hint to multicast");
	wh.hint = hint_v4(10, 1, 2, 3);
	n = enc(&wh); frame[72] = 0; REFUSED(n, -EPROTO, "hint to 0.1.2.3");
	n = enc(&wh); frame[72] = 224; REFUSED(n, -EPROTO, "hint to 224.1.2.3");
	n = enc(&wh); memset(frame + 72, 255, 4); REFUSED(n, -EPROTO, "hint to 255.255.255.255");
	n = enc(&wh); set16(frame, 78, 1); REFUSED(n, -EPROTO, "hint reserved u16");
	n = enc(&wh); set32(frame, 80, 1u << 31); REFUSED(n, -EPROTO, "hint reserved u32");

	/* WRITE_ACK. */
	n = enc(&ack); set32(frame, 24, 1); REFUSED(n, -EPROTO, "ack reserved");
	n = enc(&ack); set32(frame, 20, 1); REFUSED(n, -EPROTO, "ack status 1");
	n = enc(&ack); set32(frame, 20, (uint32_t)-4096); REFUSED(n, -EPROTO, "ack status -4096");
	n = enc(&ack); set32(frame, 20, 0x80000000); REFUSED(n, -EPROTO, "ack status INT32_MIN");
	n = enc(&ack); set64(frame, 36, 0); REFUSED(n, -EPROTO, "ack 0, node 0");
	n = enc(&ack); set64(frame, 44, 0); REFUSED(n, -EPROTO, "ack 0, counter 0");
	n = enc(&ack); set32(frame, 20, (uint32_t)-EIO);
	set32(frame, 8, RUMORD_RPC_F_UNCHANGED); REFUSED(n, -EPROTO, "failed and unchanged");
	n = enc(&ack); set32(frame, 20, (uint32_t)-EIO); set64(frame, 36, 0);
	REFUSED(n, -EPROTO, "failed, half a version");
	ack = ack_msg(1, -EIO, ver(0, 0, 0, false), false);
	n = enc(&ack); set32(frame, 8, RUMORD_RPC_F_TOMBSTONE);
	REFUSED(n, -EPROTO, "failed, a tombstone of no version");

	/* READ (key_len at 20). */
	n = enc(&rd); set16(frame, 20, 3); REFUSED(n, -EPROTO, "READ key_len + 1");
	n = enc(&rd); set16(frame, 20, 1); REFUSED(n, -EPROTO, "READ key_len - 1");
	n = enc(&rd); set16(frame, 22, 1); REFUSED(n, -EPROTO, "READ reserved");
	n = enc(&rd); set16(frame, 20, 0); set32(frame, 0, 16 + 4); REFUSED(24, -EPROTO, "READ empty key");
	rd.rec.key = long_key;
	rd.rec.key_len = RUMORD_MAX_KEY;
	n = enc(&rd); frame[n] = 'x'; set16(frame, 20, RUMORD_MAX_KEY + 1);
	set32(frame, 0, (uint32_t)n - 3); REFUSED(n + 1, -EPROTO, "READ key of 513");

	/* READ_REPLY: status 20, value_len 24, version 28, digest 52. */
	n = enc(&rep); set32(frame, 20, (uint32_t)-EIO); REFUSED(n, -EPROTO, "reply -EIO");
	n = enc(&rep); set32(frame, 20, 1); REFUSED(n, -EPROTO, "reply status 1");
	n = enc(&rep); set32(frame, 24, 3); REFUSED(n, -EPROTO, "reply value_len + 1");
	n = enc(&rep); set32(frame, 24, 1); REFUSED(n, -EPROTO, "reply value_len - 1");
	n = enc(&rep); set64(frame, 52, 0); set64(frame, 60, 0); REFUSED(n, -EPROTO, "zero digest");
	n = enc(&rep); set64(frame, 36, 0); REFUSED(n, -EPROTO, "reply node 0");
	n = enc(&rep); set64(frame, 44, RUMORD_MAX_COUNTER + 1); REFUSED(n, -EPROTO, "reply counter over");
	n = enc(&rep); set32(frame, 8, RUMORD_RPC_F_DIGEST_ONLY); REFUSED(n, -EPROTO, "digest only, a value");
	n = enc(&rep); set32(frame, 8, RUMORD_RPC_F_TOMBSTONE); REFUSED(n, -EPROTO, "tombstone, a value");
	rep = enoent_msg(1, false);
	n = enc(&rep); set64(frame, 28, 1); REFUSED(n, -EPROTO, "ENOENT with an hlc");
	n = enc(&rep); set64(frame, 60, 1); REFUSED(n, -EPROTO, "ENOENT with a digest");
	n = enc(&rep); set32(frame, 8, RUMORD_RPC_F_TOMBSTONE); REFUSED(n, -EPROTO, "ENOENT tombstone");
	n = enc(&rep); frame[n] = 'v'; set32(frame, 24, 1); set32(frame, 0, (uint32_t)n - 3);
	REFUSED(n + 1, -EPROTO, "ENOENT with a value");

	/* ERROR: status 20, text_len 24, reserved 26, text 28. */
	n = enc(&err); set32(frame, 20, 0); REFUSED(n, -EPROTO, "ERROR status 0");
	n = enc(&err); set32(frame, 20, 7); REFUSED(n, -EPROTO, "ERROR status 7");
	n = enc(&err); set16(frame, 24, 5); REFUSED(n, -EPROTO, "text_len + 1");
	n = enc(&err); set16(frame, 24, 3); REFUSED(n, -EPROTO, "text_len - 1");
	n = enc(&err); set16(frame, 26, 1); REFUSED(n, -EPROTO, "ERROR reserved");
	n = enc(&err); frame[29] = 0; REFUSED(n, -EPROTO, "NUL in the text");
	err = error_msg(1, -EIO, (const char *)long_key, RUMORD_RPC_TEXT_MAX);
	n = enc(&err); frame[n] = 'x'; set16(frame, 24, RUMORD_RPC_TEXT_MAX + 1);
	set32(frame, 0, (uint32_t)n - 3); REFUSED(n + 1, -EPROTO, "text of 121");
}

/* ---- the reader ---- */

static size_t build_stream(uint8_t **out, struct rumord_rpc_msg *s, size_t *count)
{
	size_t n = samples(s), total = 0, off = 0;
	uint8_t *p;

	for (size_t i = 0; i < n; i++)
		total += rumord_rpc_frame_size(&s[i]);
	p = malloc(total);
	if (!p)
		abort();
	for (size_t i = 0; i < n; i++)
		off += (size_t)rumord_rpc_encode(&s[i], p + off, total - off);
	*out = p;
	*count = n;
	return off == total ? total : 0;
}

/*
 * The stream fed in pieces that @next_piece chooses: every frame comes
 * out whole and equal to its message, in order, and no feed takes a byte
 * beyond the end of the frame being read.
 */
static bool read_stream(const uint8_t *p, size_t len,
			const struct rumord_rpc_msg *s, size_t count,
			size_t (*next_piece)(unsigned int *), unsigned int seed)
{
	struct rumord_rpc_reader r;
	struct rumord_rpc_msg m;
	size_t off = 0, got = 0, max_cap = 0, end = rumord_rpc_frame_size(&s[0]);
	bool ok = true;

	rumord_rpc_reader_init(&r);
	EXPECT_EQ(rumord_rpc_reader_want(&r), RUMORD_RPC_HLEN);
	while (off < len && ok) {
		size_t piece = next_piece(&seed), want = rumord_rpc_reader_want(&r);
		long k;
		int rc;

		if (piece > len - off)
			piece = len - off;
		k = rumord_rpc_reader_feed(&r, p + off, piece);
		/* At least what it wanted, if given; never past the frame. */
		if (k < 0 || (size_t)k > piece ||
		    (size_t)k < (piece < want ? piece : want) ||
		    off + (size_t)k > end) {
			KTAP_REPORT("feed %ld of %zu (want %zu) at %zu", k,
				    piece, want, off);
			ok = false;
			break;
		}
		off += (size_t)k;
		if (r.cap > max_cap)
			max_cap = r.cap;
		rc = rumord_rpc_reader_next(&r, &m);
		if (rc < 0 || (rc == 0 && k == 0)) {
			KTAP_REPORT("reader stuck or failed (%d) at %zu", rc, off);
			ok = false;
		} else if (rc == 1) {
			if (got >= count || !msg_equal(&m, &s[got])) {
				KTAP_REPORT("frame %zu differs", got);
				ok = false;
			}
			/* Once a frame is in, the header is wanted next. */
			EXPECT_EQ(rumord_rpc_reader_want(&r), RUMORD_RPC_HLEN);
			EXPECT_EQ(rumord_rpc_reader_next(&r, &m), 0);
			EXPECT_EQ(off, end);
			if (++got < count)
				end += rumord_rpc_frame_size(&s[got]);
		}
	}
	EXPECT_EQ(got, count);
	/* A 1 MiB frame was read, but the buffer is not held for the next. */
	EXPECT_TRUE(max_cap <= RUMORD_RPC_MAX_FRAME);
	EXPECT_EQ(rumord_rpc_reader_feed(&r, p, 3), 3);
	EXPECT_TRUE(r.cap <= 64 << 10);
	rumord_rpc_reader_release(&r);
	return ok && got == count;
}

static size_t piece_one(unsigned int *seed)
{
	(void)seed;
	return 1;
}

static size_t piece_random(unsigned int *seed)
{
	switch (rand_r(seed) % 4) {
	case 0:
		return 1 + (size_t)rand_r(seed) % 8;
	case 1:
		return 1 + (size_t)rand_r(seed) % 100;
	case 2:
		return 1 + (size_t)rand_r(seed) % 70000;
	}
	return 1 + (size_t)rand_r(seed) % (3u << 20);
}

static void test_reader_bytewise(void)
{
	static struct rumord_rpc_msg s[MAX_SAMPLES];
	size_t count, len;
	uint8_t *p;

	len = build_stream(&p, s, &count);
	ASSERT_TRUE(len > 3 * RUMORD_MAX_VALUE);
	EXPECT_TRUE(read_stream(p, len, s, count, piece_one, 0));
	printf("# %zu frames, %zu bytes, one byte at a time\n", count, len);
	free(p);
}

static void test_reader_chunks(void)
{
	static struct rumord_rpc_msg s[MAX_SAMPLES];
	size_t count, len;
	uint8_t *p;

	len = build_stream(&p, s, &count);
	ASSERT_TRUE(len > 0);
	for (unsigned int seed = 1; seed <= 40; seed++)
		if (!read_stream(p, len, s, count, piece_random, seed)) {
			KTAP_REPORT("seed %u", seed);
			break;
		}
	free(p);
}

/*
 * Lengths no frame of the op may have are refused on the 20 header bytes,
 * before the reader waits for or makes room for a body; a body that does
 * not decode is refused once it is in; and the error stays.
 */
static void test_reader_hostile(void)
{
	static const struct {
		uint8_t op;
		uint32_t flags;
		uint32_t len;
	} bad[] = {
		{ RUMORD_RPC_PING, 0, UINT32_MAX },
		{ RUMORD_RPC_PING, 0, 16 + (1u << 20) },
		{ RUMORD_RPC_PONG, 0, 17 },
		{ RUMORD_RPC_WRITE, 0, UINT32_MAX },
		{ RUMORD_RPC_WRITE, 0, RUMORD_RPC_MAX_FRAME - 4 + 1 },
		{ RUMORD_RPC_WRITE, 0, 16 + 32 + 512 + (1u << 20) + 1 },
		{ RUMORD_RPC_WRITE, RUMORD_RPC_F_TOMBSTONE, 16 + 32 + 512 + 1 },
		{ RUMORD_RPC_READ, 0, 16 + 4 + 513 },
		{ RUMORD_RPC_READ, 0, 16 + (1u << 20) },
		{ RUMORD_RPC_READ_REPLY, RUMORD_RPC_F_DIGEST_ONLY, 16 + 49 },
		{ RUMORD_RPC_READ_REPLY, 0, 16 + 48 + (1u << 20) + 1 },
		{ RUMORD_RPC_WRITE_ACK, 0, 16 + 33 },
		{ RUMORD_RPC_ERROR, 0, 16 + 8 + 121 },
		{ RUMORD_RPC_ERROR, 0, 16 + 7 },
		{ RUMORD_RPC_WRITE, 0, 15 },
	};
	struct rumord_rpc_msg m, ping = { .op = RUMORD_RPC_PING, .id = 9 };
	struct rumord_rpc_reader r;
	uint8_t h[RUMORD_RPC_HLEN + 8];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(rumord_rpc_encode(&ping, h, sizeof(h)), RUMORD_RPC_HLEN);
		set32(h, 0, bad[i].len);
		h[7] = bad[i].op;
		set32(h, 8, bad[i].flags);
		memset(h + RUMORD_RPC_HLEN, 0, 8);
		rumord_rpc_reader_init(&r);
		for (size_t k = 0; k < RUMORD_RPC_HLEN - 1; k++)
			EXPECT_EQ(rumord_rpc_reader_feed(&r, h + k, 1), 1);
		EXPECT_EQ(rumord_rpc_reader_want(&r), 1);
		EXPECT_EQ(rumord_rpc_reader_feed(&r, h + RUMORD_RPC_HLEN - 1, 9), -EPROTO);
		if (r.cap > 4096) {
			KTAP_REPORT("case %zu: %zu bytes held for a refused header",
				    i, r.cap);
			ktap_case_failed = 1;
		}
		EXPECT_EQ(rumord_rpc_reader_want(&r), 0);
		EXPECT_EQ(rumord_rpc_reader_next(&r, &m), -EPROTO);
		EXPECT_EQ(rumord_rpc_reader_feed(&r, h, 1), -EPROTO);
		rumord_rpc_reader_release(&r);
	}

	/* Id 0 is for ERRORs about the connection: refused on the header. */
	{
		struct rumord_rpc_msg w = write_msg(5, "k", 1, "v", 1, false);
		struct rumord_rpc_hdr hd;
		size_t n = enc(&w);

		ASSERT_EQ(rumord_rpc_parse_hdr(frame, &hd), 0);
		EXPECT_TRUE(hd.len == n - 4 && hd.op == RUMORD_RPC_WRITE &&
			    hd.flags == 0 && hd.id == 5);
		set64(frame, 12, 0);
		EXPECT_EQ(rumord_rpc_parse_hdr(frame, &hd), -EPROTO);
		rumord_rpc_reader_init(&r);
		EXPECT_EQ(rumord_rpc_reader_feed(&r, frame, n), -EPROTO);
		rumord_rpc_reader_release(&r);
		frame[7] = RUMORD_RPC_ERROR;
		set32(frame, 0, 16 + 8);
		memset(frame + 20, 0, 8);
		set32(frame, 20, (uint32_t)-EPROTO);
		EXPECT_EQ(rumord_rpc_parse_hdr(frame, &hd), 0);
		EXPECT_EQ(rumord_rpc_decode(frame, 28, &m), 0);
		EXPECT_TRUE(m.op == RUMORD_RPC_ERROR && !m.id && !m.text);
	}

	/* Another version: its own error, so that the ERROR can say so. */
	ASSERT_EQ(rumord_rpc_encode(&ping, h, sizeof(h)), RUMORD_RPC_HLEN);
	h[6] = 2;
	rumord_rpc_reader_init(&r);
	EXPECT_EQ(rumord_rpc_reader_feed(&r, h, RUMORD_RPC_HLEN), -EPROTONOSUPPORT);
	rumord_rpc_reader_release(&r);

	/* A body that does not decode: refused at next(), with its id known. */
	{
		struct rumord_rpc_msg rd = read_msg(77, "abc", 3, false);
		size_t took, n = enc(&rd);

		set16(frame, 22, 1);
		rumord_rpc_reader_init(&r);
		EXPECT_EQ(rumord_rpc_reader_feed(&r, frame, n - 1), (long)n - 1);
		EXPECT_EQ(rumord_rpc_reader_id(&r), 77);
		EXPECT_EQ(rumord_rpc_reader_want(&r), 1);
		EXPECT_EQ(rumord_rpc_reader_next(&r, &m), 0);
		EXPECT_EQ(rumord_rpc_reader_feed(&r, frame + n - 1, 1), 1);
		EXPECT_EQ(rumord_rpc_reader_next(&r, &m), -EPROTO);
		EXPECT_EQ(rumord_rpc_reader_feed(&r, frame, n), -EPROTO);
		rumord_rpc_reader_release(&r);

		/* Two frames in one piece: the feed stops after the first. */
		n = enc(&rd);
		memcpy(frame + n, frame, n);
		rumord_rpc_reader_init(&r);
		EXPECT_EQ(reader_verdict(&r, frame, 2 * n, 2 * n, &m, &took), 1);
		EXPECT_EQ(took, n);
		EXPECT_TRUE(m.id == 77 && m.rec.key_len == 3);
		/* Not taken from the reader yet: nothing more goes in. */
		rumord_rpc_reader_release(&r);
		rumord_rpc_reader_init(&r);
		EXPECT_EQ(rumord_rpc_reader_feed(&r, frame, 2 * n), (long)n);
		EXPECT_EQ(rumord_rpc_reader_want(&r), 0);
		EXPECT_EQ(rumord_rpc_reader_feed(&r, frame + n, n), 0);
		EXPECT_EQ(rumord_rpc_reader_next(&r, &m), 1);
		EXPECT_EQ(rumord_rpc_reader_feed(&r, frame + n, n), (long)n);
		EXPECT_EQ(rumord_rpc_reader_next(&r, &m), 1);
		EXPECT_EQ(rumord_rpc_reader_feed(&r, NULL, 0), 0);
		EXPECT_EQ(rumord_rpc_reader_next(&r, &m), 0);
		rumord_rpc_reader_release(&r);
	}
}

/* ---- the sniff ---- */

static void test_sniff(void)
{
	static const enum rumord_sync_method methods[] = {
		RUMORD_SYNC_AUTO, RUMORD_SYNC_BVV, RUMORD_SYNC_MERKLE,
		RUMORD_SYNC_NAIVE,
	};
	static struct rumord_rpc_msg s[MAX_SAMPLES];
	struct rumord_memreplica *mr[2];
	struct rumord_replica rep;
	uint8_t b[RUMORD_RPC_SNIFF_LEN];
	size_t n = samples(s), hellos = 0;

	mr[0] = rumord_memreplica_new(1, 16);
	mr[1] = rumord_memreplica_new(2, 16);
	ASSERT_TRUE(mr[0] && mr[1]);
	for (int i = 0; i < 50; i++) {
		char k[16];

		snprintf(k, sizeof(k), "key%d", i);
		ASSERT_EQ(rumord_memreplica_put(mr[1], k, strlen(k), "v", 1,
						1000 + (uint64_t)i), 1);
	}

	/* Real first flights of a sync initiator, empty replica and not. */
	for (int e = 0; e < 2; e++) {
		rumord_memreplica_replica(mr[e], &rep);
		for (size_t i = 0; i < 4; i++) {
			struct rumord_sync *sy = rumord_sync_new(&rep, true, methods[i]);
			struct rumord_rpc_reader r;
			struct rumord_rpc_msg m;
			const void *out;
			long len;
			size_t took;
			int rc;

			ASSERT_TRUE(sy != NULL);
			len = rumord_sync_output(sy, &out);
			ASSERT_TRUE(len > 0);
			/* HELLO is first and whole: waiting for 6 bytes is safe. */
			EXPECT_EQ(((const uint8_t *)out)[4], RUMORD_SYNC_HELLO);
			EXPECT_TRUE(rumord_get_le32(out) + 4 >= 8);
			/* Its type says "not RPC" before the 6th byte. */
			EXPECT_TRUE(!rumord_rpc_may_be(out, 5));
			for (size_t k = 0; k <= (size_t)len; k++)
				if (rumord_rpc_sniff(out, k)) {
					KTAP_REPORT("method %d: sync bytes taken for RPC",
						    methods[i]);
					ktap_case_failed = 1;
					break;
				}
			/* Handed to the RPC reader anyway, they are refused. */
			rumord_rpc_reader_init(&r);
			rc = reader_verdict(&r, out, (size_t)len, 7, &m, &took);
			EXPECT_TRUE(rc == -EPROTO ||
				    (rc == 0 && (size_t)len < RUMORD_RPC_HLEN));
			rumord_rpc_reader_release(&r);
			rumord_sync_free(sy);
			hellos++;
		}
	}

	/* Every RPC frame's first bytes, and not fewer, are taken as RPC. */
	for (size_t i = 0; i < n; i++) {
		ASSERT_TRUE(rumord_rpc_encode(&s[i], frame, sizeof(frame)) > 0);
		EXPECT_TRUE(rumord_rpc_sniff(frame, RUMORD_RPC_SNIFF_LEN));
		EXPECT_TRUE(!rumord_rpc_sniff(frame, RUMORD_RPC_SNIFF_LEN - 1));
		for (size_t k = 0; k < RUMORD_RPC_SNIFF_LEN; k++)
			EXPECT_TRUE(rumord_rpc_may_be(frame, k));
	}
	/* Our magic with another version is still ours, to be refused. */
	frame[6] = 9;
	EXPECT_TRUE(rumord_rpc_sniff(frame, RUMORD_RPC_SNIFF_LEN));

	/* Whatever a sync frame's length and type, it is never RPC. */
	for (unsigned int t = 0; t <= RUMORD_SYNC_TYPE_MAX; t++)
		for (unsigned int x = 0; x < 256; x++) {
			set32(b, 0, x * 8191u % RUMORD_SYNC_MAX_FRAME + 1);
			b[4] = (uint8_t)t;
			b[5] = (uint8_t)x;
			EXPECT_TRUE(!rumord_rpc_sniff(b, sizeof(b)));
		}

	/* And a sync responder refuses an RPC frame as its first. */
	rumord_memreplica_replica(mr[0], &rep);
	for (size_t i = 0; i < n; i++) {
		struct rumord_sync *sy = rumord_sync_new(&rep, false, RUMORD_SYNC_ANY);
		long len = rumord_rpc_encode(&s[i], frame, sizeof(frame));

		ASSERT_TRUE(sy != NULL);
		EXPECT_TRUE(rumord_sync_input(sy, frame, (size_t)len) < 0);
		EXPECT_EQ(rumord_memreplica_stats(mr[0])->applied, 0);
		rumord_sync_free(sy);
	}
	printf("# %zu sync HELLOs told apart from %zu RPC frames\n", hellos, n);
	rumord_memreplica_free(mr[0]);
	rumord_memreplica_free(mr[1]);
}

/* ---- the fuzzer ---- */

enum fuzz_kind {
	F_FLIP,		/* 1-4 bits anywhere, the header included */
	F_BYTE,		/* bytes set at random */
	F_FIELD,	/* a 16/32/64-bit field set to an extreme */
	F_CUT,		/* cut short, the length field left or matched */
	F_EXTEND,	/* bytes added, the length field left or matched */
	F_SPLICE,	/* the head of one frame, the tail of another */
	F_RANDOM,	/* random bytes */
	F_HEADED,	/* a valid header, a random body of its length */
	F_COUNT,
};

static void fuzz_field(uint8_t *f, size_t len, unsigned int *seed)
{
	static const uint64_t extreme[] = {
		0, 1, 2, 3, 4, 16, 32, 0x7f, 0x80, 0xff, 0xffff, 0x10000,
		0x7fffffff, 0x80000000, 0xffffffff, (uint64_t)-ENOENT,
		(uint64_t)-4095, UINT64_MAX, RUMORD_MAX_COUNTER,
		RUMORD_MAX_COUNTER + 1, RUMORD_MAX_KEY, RUMORD_MAX_VALUE,
	};
	unsigned int width = 1u << (1 + rand_r(seed) % 3);
	uint64_t v = extreme[(size_t)rand_r(seed) % (sizeof(extreme) / sizeof(extreme[0]))];
	size_t at;

	if (len < width)
		return;
	/* Mostly the header and fixed fields, where the rules are. */
	at = (size_t)rand_r(seed) % ((len < 96 ? len : 96) - width + 1);
	for (unsigned int i = 0; i < width; i++)
		f[at + i] = (uint8_t)(v >> (8 * i));
}

static size_t mutate(uint8_t *f, size_t len, size_t cap, enum fuzz_kind kind,
		     const uint8_t *other, size_t olen, unsigned int *seed)
{
	bool match = rand_r(seed) % 2;
	size_t k;

	switch (kind) {
	case F_FLIP:
		for (int i = 0; i <= rand_r(seed) % 4; i++)
			f[(size_t)rand_r(seed) % len] ^= (uint8_t)(1u << (rand_r(seed) % 8));
		break;
	case F_BYTE:
		for (int i = 0; i <= rand_r(seed) % 3; i++)
			f[(size_t)rand_r(seed) % len] = (uint8_t)rand_r(seed);
		break;
	case F_FIELD:
		fuzz_field(f, len, seed);
		break;
	case F_CUT:
		len = (size_t)rand_r(seed) % len;
		if (match && len >= 4)
			set32(f, 0, (uint32_t)len - 4);
		break;
	case F_EXTEND:
		k = 1 + (size_t)rand_r(seed) % 16;
		if (len + k > cap)
			break;
		for (size_t i = 0; i < k; i++)
			f[len + i] = (uint8_t)(rand_r(seed) % 3 ? 0 : rand_r(seed));
		len += k;
		if (match)
			set32(f, 0, (uint32_t)len - 4);
		break;
	case F_SPLICE:
		k = (size_t)rand_r(seed) % len;
		if (olen > k && k + (olen - k) <= cap) {
			memcpy(f + k, other + k, olen - k);
			len = olen;
		}
		break;
	case F_RANDOM:
		len = (size_t)rand_r(seed) % 200;
		for (size_t i = 0; i < len; i++)
			f[i] = (uint8_t)rand_r(seed);
		break;
	case F_HEADED:
		len = RUMORD_RPC_HLEN + (size_t)rand_r(seed) % 200;
		for (size_t i = RUMORD_RPC_HLEN; i < len; i++)
			f[i] = (uint8_t)(rand_r(seed) % 4 ? 0 : rand_r(seed));
		set32(f, 0, (uint32_t)len - 4);
		break;
	default:
		break;
	}
	return len;
}

static void test_fuzz(void)
{
	static struct rumord_rpc_msg s[MAX_SAMPLES];
	static uint8_t *seeds[MAX_SAMPLES], again[RUMORD_RPC_MAX_FRAME];
	static size_t seed_len[MAX_SAMPLES];
	static uint8_t f[4096];
	uint64_t runs = 0, taken = 0, by_kind[F_COUNT] = { 0 }, reader_runs = 0;
	size_t n = samples(s), nsmall = 0, small[MAX_SAMPLES];
	double stop = now() + FUZZ_BUDGET_S, start = now();
	unsigned int seed = 12345;

	for (size_t i = 0; i < n; i++) {
		seed_len[i] = rumord_rpc_frame_size(&s[i]);
		seeds[i] = malloc(seed_len[i]);
		ASSERT_TRUE(seeds[i] != NULL);
		ASSERT_EQ(rumord_rpc_encode(&s[i], seeds[i], seed_len[i]),
			  (long)seed_len[i]);
		if (seed_len[i] + 16 <= sizeof(f))
			small[nsmall++] = i;
	}
	ASSERT_TRUE(nsmall > 10);

	while (now() < stop || runs < 20000) {
		enum fuzz_kind kind = (enum fuzz_kind)((size_t)rand_r(&seed) % F_COUNT);
		size_t i = small[(size_t)rand_r(&seed) % nsmall];
		size_t j = small[(size_t)rand_r(&seed) % nsmall];
		struct rumord_rpc_msg m;
		size_t len;
		uint8_t *copy;
		int rc;

		memcpy(f, seeds[i], seed_len[i]);
		len = mutate(f, seed_len[i], sizeof(f), kind, seeds[j],
			     seed_len[j], &seed);
		rc = decode_exact(f, len, &m, &copy);
		runs++;
		if (rc && rc != -EPROTO && rc != -EPROTONOSUPPORT) {
			KTAP_REPORT("decode gave %d", rc);
			ktap_case_failed = 1;
		}
		if (!rc) {
			long k = rumord_rpc_encode(&m, again, sizeof(again));

			taken++;
			by_kind[kind]++;
			if (k != (long)len || memcmp(again, f, len)) {
				KTAP_REPORT("kind %d: a frame of %zu decodes but "
					    "encodes to %ld other bytes", kind,
					    len, k);
				ktap_case_failed = 1;
			}
			if (k == (long)len &&
			    rumord_rpc_frame_size(&m) != len) {
				KTAP_REPORT("frame_size disagrees");
				ktap_case_failed = 1;
			}
		}
		/* The reader, in random pieces, agrees with decode. */
		if (len >= RUMORD_RPC_HLEN && runs % 4 == 0) {
			struct rumord_rpc_reader r;
			struct rumord_rpc_msg rm;
			struct rumord_rpc_hdr h;
			size_t took;
			int hrc = rumord_rpc_parse_hdr(f, &h), vr;

			rumord_rpc_reader_init(&r);
			vr = reader_verdict(&r, copy, len,
					    1 + (size_t)rand_r(&seed) % 64, &rm, &took);
			if (hrc) {
				EXPECT_EQ(vr, hrc);
			} else if ((size_t)h.len + 4 == len) {
				EXPECT_EQ(vr, rc ? rc : 1);
				if (!rc)
					EXPECT_TRUE(msg_equal(&m, &rm));
			} else if ((size_t)h.len + 4 > len) {
				EXPECT_EQ(vr, 0);	/* waits for the rest */
			}
			rumord_rpc_reader_release(&r);
			reader_runs++;
		}
		free(copy);
		if (ktap_case_failed)
			break;
	}
	/* Now and then a 1 MiB frame, mutated in its header or fields. */
	for (size_t i = 0; i < n && !ktap_case_failed; i++) {
		static uint8_t bigf[RUMORD_RPC_MAX_FRAME];
		struct rumord_rpc_msg m;
		int rc;

		if (seed_len[i] + 16 <= sizeof(f))
			continue;
		for (int t = 0; t < 4; t++) {
			memcpy(bigf, seeds[i], seed_len[i]);
			fuzz_field(bigf, seed_len[i], &seed);
			rc = rumord_rpc_decode(bigf, seed_len[i], &m);
			if (!rc && (rumord_rpc_encode(&m, again, sizeof(again)) !=
				    (long)seed_len[i] ||
				    memcmp(again, bigf, seed_len[i]))) {
				KTAP_REPORT("a big frame does not re-encode");
				ktap_case_failed = 1;
			}
			runs++;
		}
	}
	printf("# %llu inputs in %.2f s (%llu through the reader), %llu decoded "
	       "and re-encoded the same (flip %llu byte %llu field %llu cut %llu "
	       "extend %llu splice %llu random %llu headed %llu)\n",
	       (unsigned long long)runs, now() - start,
	       (unsigned long long)reader_runs, (unsigned long long)taken,
	       (unsigned long long)by_kind[F_FLIP], (unsigned long long)by_kind[F_BYTE],
	       (unsigned long long)by_kind[F_FIELD], (unsigned long long)by_kind[F_CUT],
	       (unsigned long long)by_kind[F_EXTEND], (unsigned long long)by_kind[F_SPLICE],
	       (unsigned long long)by_kind[F_RANDOM], (unsigned long long)by_kind[F_HEADED]);
	/* Mutations must both pass (values, ids) and fail (everything else). */
	EXPECT_TRUE(taken > 0 && taken < runs);
	for (size_t i = 0; i < n; i++)
		free(seeds[i]);
}

static void test_setup(void)
{
	fill_globals();
}

static const struct ktap_case cases[] = {
	{ "rpc_setup", test_setup },
	{ "rpc_layout", test_layout },
	{ "rpc_round_trip", test_round_trip },
	{ "rpc_encode_refusals", test_encode_refusals },
	{ "rpc_decode_refusals", test_decode_refusals },
	{ "rpc_reader_bytewise", test_reader_bytewise },
	{ "rpc_reader_chunks", test_reader_chunks },
	{ "rpc_reader_hostile", test_reader_hostile },
	{ "rpc_sniff", test_sniff },
	{ "rpc_fuzz", test_fuzz },
};

KTAP_MAIN(cases)
