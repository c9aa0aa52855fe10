// SPDX-License-Identifier: GPL-2.0
/*
 * The wire format of the protocol core: encode, decode, and every reason a
 * datagram is refused.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../lib/ktap.h"
#include "wire.h"

#define ORIGIN	0x0123456789abcdefULL
#define SENDER	0xfedcba9876543210ULL

static uint8_t buf[RUMOR_WIRE_MAX_LEN + 16];

/* A valid GOSSIP of @plen payload bytes in buf; returns its length. */
static uint32_t make_gossip(uint64_t seq, uint8_t hops, uint32_t plen)
{
	int hlen = rumor_wire_put_gossip_hdr(buf, sizeof(buf), SENDER, hops, 0,
					     ORIGIN, seq, plen);

	for (uint32_t i = 0; i < plen; i++)
		buf[hlen + i] = (uint8_t)(i * 7 + 1);
	return (uint32_t)hlen + plen;
}

static void test_roundtrip(void)
{
	uint32_t len = make_gossip(42, 3, 100);
	struct rumor_msg msg;

	ASSERT_EQ(rumor_wire_parse(buf, len, &msg), RUMOR_WIRE_OK);
	EXPECT_EQ(msg.type, RUMOR_WIRE_GOSSIP);
	EXPECT_EQ(msg.sender, SENDER);
	EXPECT_EQ(msg.gossip.origin, ORIGIN);
	EXPECT_EQ(msg.gossip.seq, 42);
	EXPECT_EQ(msg.hops, 3);
	EXPECT_EQ(msg.gossip.payload_len, 100);
	EXPECT_TRUE(msg.gossip.payload == buf + RUMOR_WIRE_GOSSIP_HLEN);
	EXPECT_EQ(msg.gossip.payload[99], (uint8_t)(99 * 7 + 1));
}

/* Fields are big endian at fixed offsets: other hosts depend on it. */
static void test_layout(void)
{
	make_gossip(0x0102030405060708ULL, 9, 0);
	EXPECT_EQ(buf[0], 'R');
	EXPECT_EQ(buf[1], 'M');
	EXPECT_EQ(buf[2], RUMOR_WIRE_VERSION);
	EXPECT_EQ(buf[3], RUMOR_WIRE_GOSSIP);
	EXPECT_EQ(buf[4], 0);
	EXPECT_EQ(buf[5], 32);
	EXPECT_EQ(buf[6], 0);
	EXPECT_EQ(buf[7], 9);
	EXPECT_EQ(buf[8], 0xfe);
	EXPECT_EQ(buf[16], 0x01);
	EXPECT_EQ(buf[23], 0xef);
	EXPECT_EQ(buf[24], 0x01);
	EXPECT_EQ(buf[31], 0x08);
	EXPECT_EQ(sizeof(struct rumor_wire_hdr), 16);
	EXPECT_EQ(sizeof(struct rumor_wire_id), 20);
	EXPECT_EQ(sizeof(struct rumor_wire_member), 28);
	EXPECT_EQ(RUMOR_WIRE_GOSSIP_HLEN, 32);
}

static void test_empty_and_largest_payload(void)
{
	struct rumor_msg msg;
	uint32_t max = RUMOR_WIRE_MAX_LEN - RUMOR_WIRE_GOSSIP_HLEN;

	ASSERT_EQ(rumor_wire_parse(buf, make_gossip(1, 0, 0), &msg), RUMOR_WIRE_OK);
	EXPECT_EQ(msg.gossip.payload_len, 0);
	ASSERT_EQ(rumor_wire_parse(buf, make_gossip(1, 0, max), &msg), RUMOR_WIRE_OK);
	EXPECT_EQ(msg.gossip.payload_len, max);
}

static void test_encode_refuses(void)
{
	uint8_t small[RUMOR_WIRE_GOSSIP_HLEN - 1];
	uint32_t max = RUMOR_WIRE_MAX_LEN - RUMOR_WIRE_GOSSIP_HLEN;

	EXPECT_EQ(rumor_wire_put_gossip_hdr(small, sizeof(small), 1, 0, 0, 1, 1, 0), -1);
	EXPECT_EQ(rumor_wire_put_gossip_hdr(buf, sizeof(buf), 1, 0, 0, 1, 1, max + 1), -1);
	EXPECT_EQ(rumor_wire_put_gossip_hdr(buf, sizeof(buf), 1, 0, 0, 0, 1, 0), -1);
	EXPECT_EQ(rumor_wire_put_gossip_hdr(buf, sizeof(buf), 1, 0, 0, 1, 0, 0), -1);
	/* Sender 0 is nobody; GOSSIP knows one flag only. */
	EXPECT_EQ(rumor_wire_put_gossip_hdr(buf, sizeof(buf), 0, 0, 0, 1, 1, 0), -1);
	EXPECT_EQ(rumor_wire_put_gossip_hdr(buf, sizeof(buf), 1, 0, 0x02, 1, 1, 0), -1);
}

static void test_truncated(void)
{
	uint32_t len = make_gossip(1, 0, 10);
	struct rumor_msg msg;

	EXPECT_EQ(rumor_wire_parse(buf, 0, &msg), RUMOR_WIRE_ETRUNC);
	EXPECT_EQ(rumor_wire_parse(buf, 15, &msg), RUMOR_WIRE_ETRUNC);
	/* A whole header but a cut body: the length field disagrees. */
	EXPECT_EQ(rumor_wire_parse(buf, len - 1, &msg), RUMOR_WIRE_ELEN);
}

static void test_bad_fields(void)
{
	struct rumor_msg msg;
	uint32_t len;

	len = make_gossip(1, 0, 4);
	buf[0] = 'X';
	EXPECT_EQ(rumor_wire_parse(buf, len, &msg), RUMOR_WIRE_EMAGIC);

	len = make_gossip(1, 0, 4);
	buf[2] = RUMOR_WIRE_VERSION + 1;
	EXPECT_EQ(rumor_wire_parse(buf, len, &msg), RUMOR_WIRE_EVERSION);

	len = make_gossip(1, 0, 4);
	buf[6] = 0x80;
	EXPECT_EQ(rumor_wire_parse(buf, len, &msg), RUMOR_WIRE_EFLAGS);

	len = make_gossip(1, 0, 4);
	buf[3] = 0;
	EXPECT_EQ(rumor_wire_parse(buf, len, &msg), RUMOR_WIRE_ETYPE);
	buf[3] = __RUMOR_WIRE_TYPE_END;
	EXPECT_EQ(rumor_wire_parse(buf, len, &msg), RUMOR_WIRE_ETYPE);

	/* GRAFTED is a GOSSIP flag, and only that. */
	len = make_gossip(1, 0, 4);
	buf[6] = RUMOR_WIRE_F_GRAFTED;
	ASSERT_EQ(rumor_wire_parse(buf, len, &msg), RUMOR_WIRE_OK);
	EXPECT_EQ(msg.flags, RUMOR_WIRE_F_GRAFTED);
	len = (uint32_t)rumor_wire_put_empty(buf, sizeof(buf), RUMOR_WIRE_PRUNE, SENDER);
	buf[6] = RUMOR_WIRE_F_GRAFTED;
	EXPECT_EQ(rumor_wire_parse(buf, len, &msg), RUMOR_WIRE_EFLAGS);
}

static void test_length_field(void)
{
	struct rumor_msg msg;
	uint32_t len = make_gossip(1, 0, 4);

	/* Claims more than the datagram holds. */
	buf[5] = (uint8_t)(len + 1);
	EXPECT_EQ(rumor_wire_parse(buf, len, &msg), RUMOR_WIRE_ELEN);
	/* Claims less: trailing bytes are not silently ignored. */
	buf[5] = (uint8_t)(len - 1);
	EXPECT_EQ(rumor_wire_parse(buf, len, &msg), RUMOR_WIRE_ELEN);
	/* Consistent, but shorter than a GOSSIP header. */
	buf[5] = 20;
	EXPECT_EQ(rumor_wire_parse(buf, 20, &msg), RUMOR_WIRE_EBODY);
}

static void test_bad_body(void)
{
	struct rumor_msg msg;
	uint32_t len;

	len = make_gossip(1, 0, 4);
	memset(buf + 24, 0, 8);		/* seq 0 */
	EXPECT_EQ(rumor_wire_parse(buf, len, &msg), RUMOR_WIRE_EBODY);
	len = make_gossip(1, 0, 4);
	memset(buf + 16, 0, 8);		/* origin 0 */
	EXPECT_EQ(rumor_wire_parse(buf, len, &msg), RUMOR_WIRE_EBODY);
}

/* Random garbage never parses as anything but a refusal or a valid message. */
static void test_fuzz(void)
{
	struct rumor_msg msg;
	unsigned int seed = 1;
	int ok = 0;

	for (int round = 0; round < 200000; round++) {
		uint32_t len = make_gossip(1 + (uint32_t)rand_r(&seed) % 1000, 0,
					   (uint32_t)rand_r(&seed) % 64);
		int flips = 1 + rand_r(&seed) % 3;

		for (int f = 0; f < flips; f++)
			buf[rand_r(&seed) % len] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
		if (rand_r(&seed) % 4 == 0)
			len = (uint32_t)rand_r(&seed) % (len + 1);
		enum rumor_wire_err err = rumor_wire_parse(buf, len, &msg);

		ASSERT_TRUE(err < RUMOR_WIRE_NERR);
		if (err == RUMOR_WIRE_OK) {
			ok++;
			ASSERT_TRUE(msg.gossip.payload + msg.gossip.payload_len <= buf + len);
			ASSERT_TRUE(msg.gossip.origin && msg.gossip.seq);
		}
	}
	/* Flips in the payload leave valid messages: both outcomes occur. */
	EXPECT_TRUE(ok > 0);
}

static struct rumor_member member(uint64_t id, int family, uint16_t port)
{
	struct rumor_member m = { .id = id };

	m.ep.family = (uint8_t)family;
	m.ep.port = port;
	for (int i = 0; i < (family == 4 ? 4 : family == 6 ? 16 : 0); i++)
		m.ep.addr[i] = (uint8_t)(i + 1);
	return m;
}

static int member_eq(const struct rumor_member *a, const struct rumor_member *b)
{
	return a->id == b->id && a->ep.family == b->ep.family &&
	       a->ep.port == b->ep.port && !memcmp(a->ep.addr, b->ep.addr, 16);
}

static void test_control_roundtrips(void)
{
	struct rumor_member j = member(77, 6, 7866), m[3], got;
	struct rumor_msg msg;
	__u64 origin, seq;
	__u8 hops;
	int len;

	for (uint8_t t = RUMOR_WIRE_PRUNE; t <= RUMOR_WIRE_PONG; t++) {
		if (rumor_wire_min_len(t) != RUMOR_WIRE_HLEN)
			continue;
		len = rumor_wire_put_empty(buf, sizeof(buf), t, SENDER);
		ASSERT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_OK);
		EXPECT_EQ(msg.type, t);
		EXPECT_EQ(msg.sender, SENDER);
	}

	len = rumor_wire_put_ihave_hdr(buf, sizeof(buf), SENDER, 3);
	for (uint32_t i = 0; i < 3; i++)
		rumor_wire_put_ihave_id(buf, i, ORIGIN + i, 10 + i, (uint8_t)i);
	ASSERT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_OK);
	EXPECT_EQ(msg.ihave.count, 3);
	rumor_wire_ihave_id(&msg, 2, &origin, &seq, &hops);
	EXPECT_EQ(origin, ORIGIN + 2);
	EXPECT_EQ(seq, 12);
	EXPECT_EQ(hops, 2);

	len = rumor_wire_put_graft(buf, sizeof(buf), SENDER, ORIGIN, 5, 4);
	ASSERT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_OK);
	EXPECT_EQ(msg.graft.origin, ORIGIN);
	EXPECT_EQ(msg.graft.seq, 5);
	EXPECT_EQ(msg.graft.hops, 4);
	len = rumor_wire_put_graft(buf, sizeof(buf), SENDER, 0, 0, 0);
	EXPECT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_OK);

	len = rumor_wire_put_forward_join(buf, sizeof(buf), SENDER, 6, &j);
	ASSERT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_OK);
	EXPECT_EQ(msg.forward_join.ttl, 6);
	EXPECT_TRUE(member_eq(&msg.forward_join.joiner, &j));

	len = rumor_wire_put_neighbor(buf, sizeof(buf), RUMOR_WIRE_NEIGHBOR, SENDER, 1);
	ASSERT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_OK);
	EXPECT_EQ(msg.value, 1);

	m[0] = member(1, 4, 1000);
	m[1] = member(2, 6, 2000);
	m[2] = member(3, 4, 3000);
	j = member(99, 0, 0);		/* "the sender of this datagram" */
	len = rumor_wire_put_shuffle(buf, sizeof(buf), RUMOR_WIRE_SHUFFLE, SENDER,
				     4, 0xabcdef, &j, m, 3);
	ASSERT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_OK);
	EXPECT_EQ(msg.shuffle.ttl, 4);
	EXPECT_EQ(msg.shuffle.nonce, 0xabcdef);
	EXPECT_EQ(msg.shuffle.count, 3);
	EXPECT_TRUE(member_eq(&msg.shuffle.origin, &j));
	rumor_wire_shuffle_member(&msg, 1, &got);
	EXPECT_TRUE(member_eq(&got, &m[1]));
	len = rumor_wire_put_shuffle(buf, sizeof(buf), RUMOR_WIRE_SHUFFLE_REPLY,
				     SENDER, 0, 7, NULL, m, 2);
	ASSERT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_OK);
	EXPECT_EQ(msg.shuffle.count, 2);
}

static void test_control_refusals(void)
{
	struct rumor_member j = member(77, 4, 7866), m = member(5, 4, 1);
	struct rumor_msg msg;
	int len;

	/* IHAVE: count zero, count beyond the datagram, beyond the maximum. */
	len = rumor_wire_put_ihave_hdr(buf, sizeof(buf), SENDER, 1);
	rumor_wire_put_ihave_id(buf, 0, ORIGIN, 1, 0);
	buf[RUMOR_WIRE_HLEN + 1] = 0;
	EXPECT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_EBODY);
	buf[RUMOR_WIRE_HLEN + 1] = 2;
	EXPECT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_EBODY);
	EXPECT_EQ(rumor_wire_put_ihave_hdr(buf, sizeof(buf), SENDER,
					   RUMOR_WIRE_IHAVE_MAX + 1), -1);
	len = rumor_wire_put_ihave_hdr(buf, sizeof(buf), SENDER, 1);
	rumor_wire_put_ihave_id(buf, 0, ORIGIN, 0, 0);		/* seq 0 */
	EXPECT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_EBODY);

	/* GRAFT with only half an id. */
	len = rumor_wire_put_graft(buf, sizeof(buf), SENDER, ORIGIN, 1, 0);
	memset(buf + RUMOR_WIRE_HLEN + 8, 0, 8);
	EXPECT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_EBODY);

	/* Members: unknown family, no port, IPv4 with junk after it, id 0. */
	len = rumor_wire_put_forward_join(buf, sizeof(buf), SENDER, 1, &j);
	buf[RUMOR_WIRE_HLEN + 4 + 8] = 5;
	EXPECT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_EBODY);
	j.ep.port = 0;
	len = rumor_wire_put_forward_join(buf, sizeof(buf), SENDER, 1, &j);
	EXPECT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_EBODY);
	j.ep.port = 1;
	j.ep.addr[9] = 1;
	len = rumor_wire_put_forward_join(buf, sizeof(buf), SENDER, 1, &j);
	EXPECT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_EBODY);
	j.ep.addr[9] = 0;
	j.id = 0;
	len = rumor_wire_put_forward_join(buf, sizeof(buf), SENDER, 1, &j);
	EXPECT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_EBODY);

	/* A joiner must have an address; only a shuffle origin may omit it. */
	j = member(77, 0, 0);
	len = rumor_wire_put_forward_join(buf, sizeof(buf), SENDER, 1, &j);
	EXPECT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_EBODY);
	len = rumor_wire_put_shuffle(buf, sizeof(buf), RUMOR_WIRE_SHUFFLE, SENDER,
				     1, 1, &m, &j, 1);
	EXPECT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_EBODY);

	/* NEIGHBOR values are 0 or 1; fixed bodies have exact lengths. */
	len = rumor_wire_put_neighbor(buf, sizeof(buf), RUMOR_WIRE_NEIGHBOR, SENDER, 1);
	buf[RUMOR_WIRE_HLEN] = 2;
	EXPECT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_EBODY);
	len = rumor_wire_put_empty(buf, sizeof(buf), RUMOR_WIRE_PING, SENDER);
	buf[5] = (uint8_t)(len + 4);
	EXPECT_EQ(rumor_wire_parse(buf, (uint32_t)len + 4, &msg), RUMOR_WIRE_EBODY);

	/* SHUFFLE: count beyond the maximum or the datagram. */
	len = rumor_wire_put_shuffle(buf, sizeof(buf), RUMOR_WIRE_SHUFFLE, SENDER,
				     1, 1, &m, &m, 1);
	buf[RUMOR_WIRE_HLEN + 1] = 2;
	EXPECT_EQ(rumor_wire_parse(buf, (uint32_t)len, &msg), RUMOR_WIRE_EBODY);
	EXPECT_EQ(rumor_wire_put_shuffle(buf, sizeof(buf), RUMOR_WIRE_SHUFFLE, SENDER,
					 1, 1, &m, &m, RUMOR_WIRE_SHUFFLE_MAX + 1), -1);
}

static void test_err_names(void)
{
	for (int a = 0; a < RUMOR_WIRE_NERR; a++) {
		EXPECT_TRUE(strcmp(rumor_wire_err_name(a), "unknown") != 0);
		for (int b = a + 1; b < RUMOR_WIRE_NERR; b++)
			EXPECT_TRUE(strcmp(rumor_wire_err_name(a),
					   rumor_wire_err_name(b)) != 0);
	}
	EXPECT_TRUE(strcmp(rumor_wire_err_name(RUMOR_WIRE_NERR), "unknown") == 0);
}

static const struct ktap_case cases[] = {
	{ "wire_roundtrip", test_roundtrip },
	{ "wire_layout_big_endian", test_layout },
	{ "wire_empty_and_largest_payload", test_empty_and_largest_payload },
	{ "wire_encode_refuses_bad_input", test_encode_refuses },
	{ "wire_truncated", test_truncated },
	{ "wire_bad_magic_version_flags_type", test_bad_fields },
	{ "wire_length_field", test_length_field },
	{ "wire_bad_body", test_bad_body },
	{ "wire_fuzz_never_overreads", test_fuzz },
	{ "wire_control_roundtrips", test_control_roundtrips },
	{ "wire_control_refusals", test_control_refusals },
	{ "wire_err_names", test_err_names },
};

KTAP_MAIN(cases)
