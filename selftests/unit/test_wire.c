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
	int hlen = rumor_wire_put_gossip_hdr(buf, sizeof(buf), SENDER, hops,
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
	EXPECT_EQ(msg.origin, ORIGIN);
	EXPECT_EQ(msg.seq, 42);
	EXPECT_EQ(msg.hops, 3);
	EXPECT_EQ(msg.payload_len, 100);
	EXPECT_TRUE(msg.payload == buf + RUMOR_WIRE_GOSSIP_HLEN);
	EXPECT_EQ(msg.payload[99], (uint8_t)(99 * 7 + 1));
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
	EXPECT_EQ(RUMOR_WIRE_GOSSIP_HLEN, 32);
}

static void test_empty_and_largest_payload(void)
{
	struct rumor_msg msg;
	uint32_t max = RUMOR_WIRE_MAX_LEN - RUMOR_WIRE_GOSSIP_HLEN;

	ASSERT_EQ(rumor_wire_parse(buf, make_gossip(1, 0, 0), &msg), RUMOR_WIRE_OK);
	EXPECT_EQ(msg.payload_len, 0);
	ASSERT_EQ(rumor_wire_parse(buf, make_gossip(1, 0, max), &msg), RUMOR_WIRE_OK);
	EXPECT_EQ(msg.payload_len, max);
}

static void test_encode_refuses(void)
{
	uint8_t small[RUMOR_WIRE_GOSSIP_HLEN - 1];
	uint32_t max = RUMOR_WIRE_MAX_LEN - RUMOR_WIRE_GOSSIP_HLEN;

	EXPECT_EQ(rumor_wire_put_gossip_hdr(small, sizeof(small), 1, 0, 1, 1, 0), -1);
	EXPECT_EQ(rumor_wire_put_gossip_hdr(buf, sizeof(buf), 1, 0, 1, 1, max + 1), -1);
	EXPECT_EQ(rumor_wire_put_gossip_hdr(buf, sizeof(buf), 1, 0, 0, 1, 0), -1);
	EXPECT_EQ(rumor_wire_put_gossip_hdr(buf, sizeof(buf), 1, 0, 1, 0, 0), -1);
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
	buf[3] = 200;
	EXPECT_EQ(rumor_wire_parse(buf, len, &msg), RUMOR_WIRE_ETYPE);
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
			ASSERT_TRUE(msg.payload + msg.payload_len <= buf + len);
			ASSERT_TRUE(msg.origin && msg.seq);
		}
	}
	/* Flips in the payload leave valid messages: both outcomes occur. */
	EXPECT_TRUE(ok > 0);
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
	{ "wire_err_names", test_err_names },
};

KTAP_MAIN(cases)
