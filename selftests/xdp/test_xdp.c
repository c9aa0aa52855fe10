// SPDX-License-Identifier: GPL-2.0
/*
 * The XDP program on the running kernel, through BPF_PROG_TEST_RUN: packets
 * crafted here, the verdict and every counter checked after each one.
 *
 * The skeleton is loaded once, without pinning, with a port other than the
 * default so that the rodata configuration is exercised; each case starts
 * from zeroed counters and an empty origin table. Needs root (skips
 * otherwise, exit 4) and a kernel with XDP (skips without).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/rumor.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../lib/ktap.h"
#include "../lib/frame.h"
#include "../../bpf/rumor_xdp.h"
#include "bpf/rumor_xdp.skel.h"
#include "wire.h"
#include "window.h"

/* Not the default port, so a packet to the default port must be ignored. */
#define TEST_PORT	17866

#define ORIGIN		0x0123456789abcdefULL
#define SENDER		0x5555aaaa5555aaaaULL
#define SENDER2		0x6666bbbb6666bbbbULL

/* Long enough that no interval passes by itself during a case. */
#define TEST_NOTICE_INTERVAL_NS	(10ULL * 1000 * 1000 * 1000)
#define TEST_SAMPLE_INTERVAL_NS	(10ULL * 1000 * 1000 * 1000)
#define TEST_ORIGIN_IDLE_NS	(10ULL * 1000 * 1000 * 1000)
/* A small origin table, so that sets fill in a few packets. */
#define TEST_SETS		64

static struct rumor_xdp *skel;
static const char *skip_reason;
static int nr_cpus;

/* ---- packets ---- */

static const struct frame_shape V4 = { .family = 4 };
static const struct frame_shape V6 = { .family = 6 };

static void build(struct frame *p, const struct frame_shape *s, const void *msg,
		  size_t msg_len)
{
	frame_build(p, s, TEST_PORT, msg, msg_len);
}

/* A GOSSIP message with an 8-byte payload; returns its length. */
static size_t gossip_from(uint8_t *msg, uint64_t sender, uint64_t origin,
			  uint64_t seq, uint8_t flags)
{
	int hlen = rumor_wire_put_gossip_hdr(msg, 64, sender, 3, flags, origin,
					     seq, 8);

	if (hlen < 0)
		abort();
	memcpy(msg + hlen, "payload!", 8);
	return (size_t)hlen + 8;
}

static size_t gossip(uint8_t *msg, uint64_t origin, uint64_t seq)
{
	return gossip_from(msg, SENDER, origin, seq, 0);
}

/* The program's verdict on @p, or -1 if the test run itself failed. */
static int run(const struct frame *p)
{
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = p->data,
		.data_size_in = (__u32)p->len,
		.repeat = 1,
	);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.rumor_xdp), &o);
	if (err) {
		KTAP_REPORT("BPF_PROG_TEST_RUN: %s", strerror(-err));
		return -1;
	}
	return (int)o.retval;
}

static int send_gossip(const struct frame_shape *s, uint64_t origin, uint64_t seq)
{
	uint8_t msg[64];
	struct frame p;

	build(&p, s, msg, gossip(msg, origin, seq));
	return run(&p);
}

static int send_from(uint64_t sender, uint64_t seq, uint8_t flags)
{
	uint8_t msg[64];
	struct frame p;

	build(&p, &V4, msg, gossip_from(msg, sender, ORIGIN, seq, flags));
	return run(&p);
}

/* bpf_ktime_get_ns() is CLOCK_MONOTONIC. */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- maps ---- */

static int read_stats(struct rumor_xdp_stats *sum)
{
	struct rumor_xdp_stats *percpu;
	__u32 key = 0;
	int cpu, err;

	percpu = calloc((size_t)nr_cpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	err = bpf_map__lookup_elem(skel->maps.stats, &key, sizeof(key), percpu,
				   (size_t)nr_cpus * sizeof(*percpu), 0);
	memset(sum, 0, sizeof(*sum));
	for (cpu = 0; !err && cpu < nr_cpus; cpu++) {
#define ADD(f) sum->f += percpu[cpu].f;
		RUMOR_XDP_STATS_FIELDS(ADD)
#undef ADD
	}
	free(percpu);
	return err;
}

static __u32 set_of(uint64_t origin)
{
	return rumor_xdp_origin_hash(origin) & (TEST_SETS - 1);
}

static int read_set(__u32 key, struct rumor_xdp_origin_set *set)
{
	return bpf_map__lookup_elem(skel->maps.origins, &key, sizeof(key), set,
				    sizeof(*set), 0);
}

static int write_set(__u32 key, const struct rumor_xdp_origin_set *set)
{
	return bpf_map__update_elem(skel->maps.origins, &key, sizeof(key), set,
				    sizeof(*set), BPF_ANY);
}

/* The way that holds @origin, or -1. */
static int way_of(const struct rumor_xdp_origin_set *set, uint64_t origin)
{
	for (int w = 0; w < RUMOR_XDP_ORIGIN_WAYS; w++)
		if (set->id[w] == origin)
			return w;
	return -1;
}

/* Windows in use in the whole table. */
static int count_origins(void)
{
	struct rumor_xdp_origin_set set;
	int n = 0;

	for (__u32 key = 0; key < TEST_SETS; key++) {
		if (read_set(key, &set))
			return -1;
		for (int w = 0; w < RUMOR_XDP_ORIGIN_WAYS; w++)
			n += set.id[w] != 0;
	}
	return n;
}

/* Make @origin's window look idle: no new message for ages. */
static int make_idle(uint64_t origin)
{
	struct rumor_xdp_origin_set set;
	__u32 key = set_of(origin);
	int w;

	if (read_set(key, &set))
		return -EIO;
	w = way_of(&set, origin);
	if (w < 0)
		return -ENOENT;
	set.way[w].used = 0;	/* jiffies start far above 0 */
	return write_set(key, &set);
}

/* Say @sender's last duplicate notice passed at @when, on every CPU. */
static int set_notice(uint64_t sender, uint64_t when)
{
	struct rumor_xdp_notice *percpu = calloc((size_t)nr_cpus, sizeof(*percpu));
	__u32 key = rumor_xdp_origin_hash(sender) & (RUMOR_XDP_NOTICE_SLOTS - 1);
	int err;

	if (!percpu)
		return -ENOMEM;
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		percpu[cpu].sender = sender;
		percpu[cpu].noticed_ns = when;
	}
	err = bpf_map__update_elem(skel->maps.notices, &key, sizeof(key), percpu,
				   (size_t)nr_cpus * sizeof(*percpu), BPF_ANY);
	free(percpu);
	return err;
}

/* Forget every sender's notice. */
static int clear_notices(void)
{
	struct rumor_xdp_notice *zero = calloc((size_t)nr_cpus, sizeof(*zero));
	int err = 0;

	if (!zero)
		return -ENOMEM;
	for (__u32 key = 0; key < RUMOR_XDP_NOTICE_SLOTS && !err; key++)
		err = bpf_map__update_elem(skel->maps.notices, &key, sizeof(key),
					   zero, (size_t)nr_cpus * sizeof(*zero),
					   BPF_ANY);
	free(zero);
	return err;
}

/* @n origin ids, from @from upwards, that all fall into one set. */
static void same_set_origins(uint64_t from, uint64_t *ids, int n)
{
	__u32 want = set_of(from);

	for (uint64_t id = from; n > 0; id++)
		if (set_of(id) == want) {
			*ids++ = id;
			n--;
		}
}

/* Zero the counters, empty the origin table and forget every peer. */
static int reset(void)
{
	struct rumor_xdp_origin_set empty = {};
	struct rumor_xdp_stats *zero;
	__u64 key;
	__u32 k0 = 0;
	int err;

	zero = calloc((size_t)nr_cpus, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	err = bpf_map__update_elem(skel->maps.stats, &k0, sizeof(k0), zero,
				   (size_t)nr_cpus * sizeof(*zero), BPF_ANY);
	free(zero);
	if (err)
		return err;
	for (__u32 set = 0; set < TEST_SETS; set++)
		if (write_set(set, &empty))
			return -EIO;
	while (!bpf_map__get_next_key(skel->maps.peers, NULL, &key, sizeof(key)))
		if (bpf_map__delete_elem(skel->maps.peers, &key, sizeof(key), 0))
			return -EIO;
	if (clear_notices())
		return -EIO;
	/* SENDER has just had its notice: its duplicates drop, as most cases expect. */
	return set_notice(SENDER, mono_ns());
}

/* Counters that differ from @want, each reported; 0 when all agree. */
static int stats_mismatches(const struct rumor_xdp_stats *want)
{
	struct rumor_xdp_stats got;
	int bad = 0;

	if (read_stats(&got)) {
		printf("# cannot read the stats map\n");
		return 1;
	}
#define CMP(f)								\
	if (got.f != want->f) {						\
		printf("#   " #f ": got %llu, want %llu\n",		\
		       (unsigned long long)got.f,			\
		       (unsigned long long)want->f);			\
		bad++;							\
	}
	RUMOR_XDP_STATS_FIELDS(CMP)
#undef CMP
	return bad;
}

#define EXPECT_STATS(...) do {						\
	struct rumor_xdp_stats _want = { __VA_ARGS__ };			\
	EXPECT_EQ(stats_mismatches(&_want), 0);				\
} while (0)

#define SETUP() do {							\
	if (skip_reason)						\
		KTAP_SKIP(skip_reason);					\
	ASSERT_TRUE(skel != NULL);					\
	ASSERT_EQ(reset(), 0);						\
} while (0)

/* ---- well-formed GOSSIP ---- */

static void test_ipv4_gossip_new_passes(void)
{
	SETUP();
	EXPECT_EQ(send_gossip(&V4, ORIGIN, 1), XDP_PASS);
	EXPECT_STATS(.rumor_packets = 1, .gossip_passed = 1,
		     .origins_inserted = 1);
	EXPECT_EQ(count_origins(), 1);
}

static void test_ipv4_gossip_duplicate_drops(void)
{
	SETUP();
	EXPECT_EQ(send_gossip(&V4, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&V4, ORIGIN, 1), XDP_DROP);
	EXPECT_EQ(send_gossip(&V4, ORIGIN, 2), XDP_PASS);
	EXPECT_EQ(send_gossip(&V4, ORIGIN, 1), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 4, .gossip_passed = 2,
		     .gossip_duplicate = 2, .origins_inserted = 1);
	EXPECT_EQ(count_origins(), 1);
}

/* ihl > 5: UDP starts after the options, not at 20 bytes. */
static void test_ipv4_options_honoured(void)
{
	struct frame_shape s = { .family = 4, .ip_opt_words = 3 };

	SETUP();
	EXPECT_EQ(send_gossip(&s, ORIGIN, 7), XDP_PASS);
	EXPECT_EQ(send_gossip(&s, ORIGIN, 7), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 2, .gossip_passed = 1,
		     .gossip_duplicate = 1, .origins_inserted = 1);
}

/* Ethernet padding after the datagram: the UDP length rules, not the frame. */
static void test_ipv4_trailer_ignored(void)
{
	struct frame_shape s = { .family = 4, .trailer = 18 };

	SETUP();
	EXPECT_EQ(send_gossip(&s, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&s, ORIGIN, 1), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 2, .gossip_passed = 1,
		     .gossip_duplicate = 1, .origins_inserted = 1);
}

static void test_ipv6_gossip_new_then_duplicate(void)
{
	SETUP();
	EXPECT_EQ(send_gossip(&V6, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&V6, ORIGIN, 1), XDP_DROP);
	/* One window per origin, whatever the address family. */
	EXPECT_EQ(send_gossip(&V4, ORIGIN, 1), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 3, .gossip_passed = 1,
		     .gossip_duplicate = 2, .origins_inserted = 1);
}

static void test_ipv6_extension_headers_walked(void)
{
	struct frame_shape s = { .family = 6, .v6_ext = 2 };

	SETUP();
	EXPECT_EQ(send_gossip(&s, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&s, ORIGIN, 1), XDP_DROP);
	s.v6_ext = RUMOR_XDP_MAX_IPV6_EXT;
	EXPECT_EQ(send_gossip(&s, ORIGIN, 1), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 3, .gossip_passed = 1,
		     .gossip_duplicate = 2, .origins_inserted = 1);
	/* Beyond the bound: not looked at. */
	s.v6_ext = RUMOR_XDP_MAX_IPV6_EXT + 1;
	EXPECT_EQ(send_gossip(&s, ORIGIN, 1), XDP_PASS);
	EXPECT_STATS(.rumor_packets = 3, .gossip_passed = 1,
		     .gossip_duplicate = 2, .origins_inserted = 1);
}

static void test_ipv6_fragment_passes_untouched(void)
{
	struct frame_shape s = { .family = 6, .v6_frag = true };

	SETUP();
	EXPECT_EQ(send_gossip(&s, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&s, ORIGIN, 1), XDP_PASS);
	EXPECT_STATS(.rumor_packets = 0);
	EXPECT_EQ(count_origins(), 0);
}

static void test_ipv4_fragment_passes_untouched(void)
{
	struct frame_shape first = { .family = 4, .frag_off = 0x2000 };	/* MF */
	struct frame_shape later = { .family = 4, .frag_off = 185 };	/* offset */
	struct frame_shape df = { .family = 4, .frag_off = 0x4000 };	/* DF only */

	SETUP();
	EXPECT_EQ(send_gossip(&first, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&first, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&later, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&later, ORIGIN, 1), XDP_PASS);
	EXPECT_STATS(.rumor_packets = 0);
	EXPECT_EQ(count_origins(), 0);
	/* Don't-fragment is not a fragment. */
	EXPECT_EQ(send_gossip(&df, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&df, ORIGIN, 1), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 2, .gossip_passed = 1,
		     .gossip_duplicate = 1, .origins_inserted = 1);
}

static void test_vlan_8021q(void)
{
	struct frame_shape s4 = { .family = 4, .vlans = 1 };
	struct frame_shape s6 = { .family = 6, .vlans = 1 };

	SETUP();
	EXPECT_EQ(send_gossip(&s4, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&s4, ORIGIN, 1), XDP_DROP);
	EXPECT_EQ(send_gossip(&s6, ORIGIN, 2), XDP_PASS);
	EXPECT_EQ(send_gossip(&s6, ORIGIN, 2), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 4, .gossip_passed = 2,
		     .gossip_duplicate = 2, .origins_inserted = 1);
}

static void test_vlan_qinq(void)
{
	struct frame_shape s = { .family = 4, .vlans = 2 };

	SETUP();
	EXPECT_EQ(send_gossip(&s, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&s, ORIGIN, 1), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 2, .gossip_passed = 1,
		     .gossip_duplicate = 1, .origins_inserted = 1);
}

static void test_vlan_three_tags_pass_untouched(void)
{
	struct frame_shape s = { .family = 4, .vlans = RUMOR_XDP_MAX_VLAN + 1 };

	SETUP();
	EXPECT_EQ(send_gossip(&s, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&s, ORIGIN, 1), XDP_PASS);
	EXPECT_STATS(.rumor_packets = 0);
}

/* ---- not rumor: passes, counts nothing ---- */

static void test_not_rumor_passes_untouched(void)
{
	const struct frame_shape shapes[] = {
		{ .family = 4, .dport = 53 },			/* other port */
		{ .family = 4, .sport = TEST_PORT, .dport = 40000 }, /* reply */
		{ .family = 6, .dport = 53 },
		{ .family = 4, .l4 = IPPROTO_TCP },		/* TCP, same port */
		{ .family = 4, .l4 = IPPROTO_ICMP },
		{ .family = 6, .l4 = IPPROTO_ICMPV6 },
		{ .family = 6, .l4 = IPPROTO_TCP },
		{ .family = 4, .ethertype = ETH_P_ARP },	/* IP-like bytes */
		{ .family = 4, .ethertype = 0x88b5 },		/* experimental */
	};
	size_t i;

	SETUP();
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		/* Twice: a duplicate of a rumor would be dropped. */
		EXPECT_EQ(send_gossip(&shapes[i], ORIGIN, 1), XDP_PASS);
		EXPECT_EQ(send_gossip(&shapes[i], ORIGIN, 1), XDP_PASS);
	}
	EXPECT_STATS(.rumor_packets = 0);
	EXPECT_EQ(count_origins(), 0);
}

/* Loaded with TEST_PORT: the default port is not rumor here. */
static void test_port_comes_from_rodata(void)
{
	struct frame_shape dflt = { .family = 4, .dport = RUMOR_DEFAULT_PORT };

	SETUP();
	EXPECT_EQ(skel->rodata->rumor_xdp_config.port, TEST_PORT);
	EXPECT_EQ(send_gossip(&dflt, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&dflt, ORIGIN, 1), XDP_PASS);
	EXPECT_STATS(.rumor_packets = 0);
}

/* ---- malformed: dropped, counted by reason, nothing marked ---- */

typedef void (*mutate_fn)(uint8_t *msg, size_t *len);

/*
 * A GOSSIP (ORIGIN, 5) spoiled by @mutate must be dropped and counted at
 * @field only; the origin table must stay empty, so the well-formed message
 * still passes afterwards.
 */
static void check_malformed(const struct frame_shape *s, mutate_fn mutate,
			    size_t field)
{
	struct rumor_xdp_stats want = { .rumor_packets = 1 };
	uint8_t msg[64];
	size_t len = gossip(msg, ORIGIN, 5);
	struct frame p;

	mutate(msg, &len);
	build(&p, s, msg, len);
	EXPECT_EQ(run(&p), XDP_DROP);
	*(__u64 *)((char *)&want + field) = 1;
	EXPECT_EQ(stats_mismatches(&want), 0);
	EXPECT_EQ(count_origins(), 0);
	EXPECT_EQ(send_gossip(s, ORIGIN, 5), XDP_PASS);
}

static void set_len(uint8_t *msg, size_t v)
{
	uint16_t be = htons((uint16_t)v);

	memcpy(msg + offsetof(struct rumor_wire_hdr, len), &be, 2);
}

#define MALFORMED(name, field, ...)					\
static void mutate_##name(uint8_t *msg, size_t *len)			\
{									\
	(void)msg;							\
	(void)len;							\
	__VA_ARGS__;							\
}									\
static void test_malformed_##name(void)					\
{									\
	SETUP();							\
	check_malformed(&V4, mutate_##name,				\
			offsetof(struct rumor_xdp_stats, field));	\
	ASSERT_EQ(reset(), 0);						\
	check_malformed(&V6, mutate_##name,				\
			offsetof(struct rumor_xdp_stats, field));	\
}

/* The datagram ends inside the common header (and so does the packet). */
MALFORMED(truncated_header, malformed_truncated, *len = 10)
MALFORMED(bad_magic, malformed_bad_magic, msg[0] = 'X')
MALFORMED(bad_version, malformed_bad_version,
	  msg[offsetof(struct rumor_wire_hdr, version)] = RUMOR_WIRE_VERSION + 1)
MALFORMED(bad_flags, malformed_bad_flags,
	  msg[offsetof(struct rumor_wire_hdr, flags)] = 0x80)
MALFORMED(bad_type, malformed_bad_type,
	  msg[offsetof(struct rumor_wire_hdr, type)] = 0x7f)
/* The length field claims more than the packet carries. */
MALFORMED(length_beyond_packet, malformed_bad_length, set_len(msg, *len + 10))
MALFORMED(length_short, malformed_bad_length, set_len(msg, *len - 1))
MALFORMED(seq_zero, malformed_bad_body,
	  memset(msg + sizeof(struct rumor_wire_hdr) +
		 offsetof(struct rumor_wire_gossip, seq), 0, 8))
MALFORMED(origin_zero, malformed_bad_body,
	  memset(msg + sizeof(struct rumor_wire_hdr) +
		 offsetof(struct rumor_wire_gossip, origin), 0, 8))
/* A consistent GOSSIP of header only: no room for origin and seq. */
MALFORMED(gossip_without_body, malformed_bad_body,
	  *len = sizeof(struct rumor_wire_hdr);
	  set_len(msg, *len))

/* The UDP length claims more than the packet holds. */
static void test_malformed_udp_length_beyond_packet(void)
{
	uint8_t msg[64];
	size_t len = gossip(msg, ORIGIN, 5);
	struct frame_shape s = { .family = 4, .udp_len = (int)(8 + len + 1) };
	struct frame p;

	SETUP();
	build(&p, &s, msg, len);
	EXPECT_EQ(run(&p), XDP_DROP);
	s.udp_len = 7;	/* shorter than the UDP header itself */
	build(&p, &s, msg, len);
	EXPECT_EQ(run(&p), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 2, .malformed_truncated = 2);
	EXPECT_EQ(count_origins(), 0);
}

/* Padding makes 16 bytes readable, but the datagram is 4 bytes long. */
static void test_malformed_short_datagram_padded(void)
{
	const uint8_t msg[4] = { 'R', 'M', RUMOR_WIRE_VERSION, RUMOR_WIRE_GOSSIP };
	struct frame_shape s = { .family = 4, .trailer = 40 };
	struct frame p;

	SETUP();
	build(&p, &s, msg, sizeof(msg));
	EXPECT_EQ(run(&p), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 1, .malformed_truncated = 1);
}

/* ---- the windows ---- */

/* Several origins, ids shuffled, every copy sent twice: one pass each. */
static void test_interleaved_origins_pass_once(void)
{
	static const uint64_t origins[] = {
		1, 0xdeadbeefcafef00dULL, 0xffffffffffffffffULL,
	};
	enum { NO = 3, NSEQ = 60, N = NO * NSEQ * 2 };
	struct { uint8_t o; uint8_t seq; } sends[N], t;
	bool seen[NO][NSEQ + 1] = { { false } };
	uint32_t rnd = 12345;
	int i, j, n = 0, passed = 0, dropped = 0;

	SETUP();
	for (i = 0; i < NO; i++)
		for (j = 1; j <= NSEQ; j++) {
			sends[n].o = (uint8_t)i;
			sends[n++].seq = (uint8_t)j;
			sends[n].o = (uint8_t)i;
			sends[n++].seq = (uint8_t)j;
		}
	for (i = N - 1; i > 0; i--) {		/* Fisher-Yates, fixed seed */
		rnd = rnd * 1103515245 + 12345;
		j = (int)((rnd >> 8) % (uint32_t)(i + 1));
		t = sends[i];
		sends[i] = sends[j];
		sends[j] = t;
	}
	for (i = 0; i < N; i++) {
		bool first = !seen[sends[i].o][sends[i].seq];
		int v = send_gossip(i % 2 ? &V6 : &V4, origins[sends[i].o],
				    sends[i].seq);

		if (v != (first ? XDP_PASS : XDP_DROP))
			KTAP_REPORT("send %d: origin %d seq %d: verdict %d",
				    i, sends[i].o, sends[i].seq, v);
		EXPECT_EQ(v, first ? XDP_PASS : XDP_DROP);
		seen[sends[i].o][sends[i].seq] = true;
		passed += v == XDP_PASS;
		dropped += v == XDP_DROP;
	}
	EXPECT_EQ(passed, NO * NSEQ);
	EXPECT_EQ(dropped, NO * NSEQ);
	EXPECT_STATS(.rumor_packets = N, .gossip_passed = NO * NSEQ,
		     .gossip_duplicate = NO * NSEQ, .origins_inserted = NO);
	EXPECT_EQ(count_origins(), NO);
}

/* The origin and seq are read in network order and the key is host order. */
static void test_window_state_in_map(void)
{
	const uint64_t origin = 0x0102030405060708ULL;
	const uint64_t seq = 0x1122334455667788ULL;
	struct rumor_xdp_origin_set set;
	struct rumor_xdp_origin *o;
	int w;

	SETUP();
	EXPECT_EQ(send_gossip(&V4, origin, seq), XDP_PASS);
	ASSERT_EQ(read_set(set_of(origin), &set), 0);
	w = way_of(&set, origin);
	ASSERT_TRUE(w >= 0);
	o = &set.way[w];
	EXPECT_EQ(rumor_window_test_gen(&o->window, seq, set.gen[w]),
		  RUMOR_WINDOW_DUP);
	EXPECT_EQ(rumor_window_test_gen(&o->window, seq + 1, set.gen[w]),
		  RUMOR_WINDOW_NEW);
	EXPECT_EQ(rumor_window_test_gen(&o->window, seq - 1, set.gen[w]),
		  RUMOR_WINDOW_NEW);
}

/* A seq a whole window below the newest: cannot be judged, dropped. */
static void test_too_old_drops(void)
{
	const uint64_t top = 5000;

	SETUP();
	EXPECT_EQ(send_gossip(&V4, ORIGIN, top), XDP_PASS);
	EXPECT_EQ(send_gossip(&V4, ORIGIN, top - RUMOR_WINDOW_SPAN), XDP_DROP);
	EXPECT_EQ(send_gossip(&V4, ORIGIN, top - 3 * RUMOR_WINDOW_SPAN), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 3, .gossip_passed = 1,
		     .gossip_too_old = 2, .origins_inserted = 1);
}

/*
 * The window promises the RUMOR_WINDOW_SPAN - 31 seqs below the newest:
 * newest - (SPAN - 32), seen before the newest arrived, is still a
 * duplicate afterwards; the seq 32 below it is not remembered.
 */
static void test_window_edge_remembered(void)
{
	const uint64_t top = 10017;
	const uint64_t edge = top - (RUMOR_WINDOW_SPAN - 32);

	SETUP();
	EXPECT_EQ(send_gossip(&V4, ORIGIN, edge), XDP_PASS);
	EXPECT_EQ(send_gossip(&V4, ORIGIN, top), XDP_PASS);
	EXPECT_EQ(send_gossip(&V4, ORIGIN, edge), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 3, .gossip_passed = 2,
		     .gossip_duplicate = 1, .origins_inserted = 1);
	EXPECT_EQ(send_gossip(&V4, ORIGIN, edge - 32), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 4, .gossip_passed = 2,
		     .gossip_duplicate = 1, .gossip_too_old = 1,
		     .origins_inserted = 1);
}

/* Same seq, different origins: separate windows. */
static void test_origins_independent(void)
{
	SETUP();
	EXPECT_EQ(send_gossip(&V4, 11, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&V4, 12, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&V4, 11, 1), XDP_DROP);
	EXPECT_EQ(send_gossip(&V4, 12, 1), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 4, .gossip_passed = 2,
		     .gossip_duplicate = 2, .origins_inserted = 2);
	EXPECT_EQ(count_origins(), 2);
}

/* ---- duplicate notices and GRAFT answers ---- */

/* The first duplicate from a sender passes so that Plumtree can prune it. */
static void test_dup_notice_once_per_sender(void)
{
	SETUP();
	ASSERT_EQ(clear_notices(), 0);
	EXPECT_EQ(send_from(SENDER, 1, 0), XDP_PASS);
	EXPECT_EQ(send_from(SENDER, 1, 0), XDP_PASS);	/* notice */
	EXPECT_EQ(send_from(SENDER, 1, 0), XDP_DROP);
	EXPECT_EQ(send_from(SENDER2, 1, 0), XDP_PASS);	/* its own notice */
	EXPECT_EQ(send_from(SENDER2, 1, 0), XDP_DROP);
	EXPECT_EQ(send_from(SENDER, 2, 0), XDP_PASS);	/* new */
	EXPECT_EQ(send_from(SENDER, 2, 0), XDP_DROP);	/* any origin, any seq */
	EXPECT_STATS(.rumor_packets = 7, .gossip_passed = 2,
		     .gossip_dup_notice = 2, .gossip_duplicate = 3,
		     .origins_inserted = 1);
}

/* A notice interval later, the next duplicate passes again. */
static void test_dup_notice_after_interval(void)
{
	SETUP();
	EXPECT_EQ(send_from(SENDER, 1, 0), XDP_PASS);
	EXPECT_EQ(send_from(SENDER, 1, 0), XDP_DROP);
	ASSERT_EQ(set_notice(SENDER, mono_ns() - TEST_NOTICE_INTERVAL_NS - 1000), 0);
	EXPECT_EQ(send_from(SENDER, 1, 0), XDP_PASS);
	EXPECT_EQ(send_from(SENDER, 1, 0), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 4, .gossip_passed = 1,
		     .gossip_dup_notice = 1, .gossip_duplicate = 2,
		     .origins_inserted = 1);
}

/* The answer to a GRAFT passes even when seen, and marks the id. */
static void test_grafted_always_passes(void)
{
	SETUP();
	EXPECT_EQ(send_from(SENDER, 1, RUMOR_WIRE_F_GRAFTED), XDP_PASS);
	EXPECT_EQ(send_from(SENDER, 1, 0), XDP_DROP);
	EXPECT_EQ(send_from(SENDER, 1, RUMOR_WIRE_F_GRAFTED), XDP_PASS);
	EXPECT_STATS(.rumor_packets = 3, .gossip_grafted = 2,
		     .gossip_duplicate = 1, .origins_inserted = 1);
}

/* ---- transit ---- */

/*
 * Rumor datagrams this host routes between two other nodes are not for
 * it: untouched, whatever they are, and nothing marked, so that the
 * node's own first copy of the same message still passes.
 */
static void test_transit_passes_untouched(void)
{
	struct frame_shape t4 = { .family = 4, .transit = true };
	struct frame_shape t6 = { .family = 6, .transit = true };
	uint8_t msg[64];
	struct frame p;

	SETUP();
	EXPECT_EQ(send_gossip(&t4, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&t4, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&t6, ORIGIN, 1), XDP_PASS);
	msg[0] = 0;	/* not even rumor */
	build(&p, &t4, msg, 20);
	EXPECT_EQ(run(&p), XDP_PASS);
	EXPECT_STATS(.transit_passed = 4);
	EXPECT_EQ(count_origins(), 0);
	EXPECT_EQ(send_gossip(&V4, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&V6, ORIGIN, 1), XDP_DROP);
	EXPECT_STATS(.transit_passed = 4, .rumor_packets = 2, .gossip_passed = 1,
		     .gossip_duplicate = 1, .origins_inserted = 1);
}

/* ---- the origin table's bounds ---- */

/*
 * A set full of origins that broadcast has no way for one more: its
 * messages pass unjudged (the module judges), counted, and nothing that
 * was there is lost.
 */
static void test_origin_set_full_passes_unjudged(void)
{
	uint64_t ids[RUMOR_XDP_ORIGIN_WAYS + 1];
	const int n = RUMOR_XDP_ORIGIN_WAYS;

	SETUP();
	same_set_origins(1000, ids, n + 1);
	for (int i = 0; i < n; i++)
		EXPECT_EQ(send_gossip(&V4, ids[i], 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&V4, ids[n], 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&V4, ids[n], 1), XDP_PASS);
	for (int i = 0; i < n; i++)
		EXPECT_EQ(send_gossip(&V4, ids[i], 1), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 2 * n + 2, .gossip_passed = n,
		     .gossip_no_window = 2, .gossip_duplicate = n,
		     .origins_inserted = n);
	EXPECT_EQ(count_origins(), n);
}

/*
 * The least recently used origin, once idle, gives its way to a new one;
 * its own copies then pass (the module judges them): never a false drop.
 */
static void test_idle_origin_evicted(void)
{
	uint64_t ids[RUMOR_XDP_ORIGIN_WAYS + 1];
	const int n = RUMOR_XDP_ORIGIN_WAYS;
	struct rumor_xdp_origin_set set;

	SETUP();
	same_set_origins(5000, ids, n + 1);
	for (int i = 0; i < n; i++)
		EXPECT_EQ(send_gossip(&V4, ids[i], 1), XDP_PASS);
	ASSERT_EQ(make_idle(ids[2]), 0);
	EXPECT_EQ(send_gossip(&V4, ids[n], 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&V4, ids[n], 1), XDP_DROP);
	ASSERT_EQ(read_set(set_of(ids[n]), &set), 0);
	EXPECT_EQ(way_of(&set, ids[2]), -1);
	EXPECT_TRUE(way_of(&set, ids[n]) >= 0);
	EXPECT_EQ(send_gossip(&V4, ids[2], 1), XDP_PASS);	/* set full now */
	EXPECT_STATS(.rumor_packets = n + 3, .gossip_passed = n + 1,
		     .gossip_duplicate = 1, .gossip_no_window = 1,
		     .origins_inserted = n, .origins_evicted = 1);
}

/*
 * A flood of new origins (a thousand times the table) never drops a
 * message, and cannot push out the windows of origins that are active.
 */
static void test_origin_flood_keeps_active_windows(void)
{
	const int flood = TEST_SETS * RUMOR_XDP_ORIGIN_WAYS * 1000 / 8;
	struct rumor_xdp_stats got;
	int dropped = 0;

	SETUP();
	EXPECT_EQ(send_gossip(&V4, ORIGIN, 1), XDP_PASS);
	for (int i = 0; i < flood; i++)
		dropped += send_gossip(&V4, 0x100000 + (uint64_t)i, 1) != XDP_PASS;
	EXPECT_EQ(dropped, 0);
	EXPECT_EQ(send_gossip(&V4, ORIGIN, 1), XDP_DROP);
	EXPECT_EQ(count_origins(), TEST_SETS * RUMOR_XDP_ORIGIN_WAYS);
	ASSERT_EQ(read_stats(&got), 0);
	EXPECT_EQ(got.origins_inserted, (__u64)TEST_SETS * RUMOR_XDP_ORIGIN_WAYS);
	EXPECT_EQ(got.origins_evicted, 0);
	EXPECT_EQ(got.gossip_passed + got.gossip_no_window, (__u64)flood + 1);
	EXPECT_EQ(got.gossip_duplicate, 1);
}

/* ---- IHAVE ---- */

/* An IHAVE from @sender announcing @n ids: ORIGIN's seqs from @first. */
static void build_ihave(struct frame *p, uint64_t sender, uint64_t first, int n)
{
	uint8_t msg[RUMOR_WIRE_IHAVE_LEN(RUMOR_WIRE_IHAVE_MAX)];
	int len = rumor_wire_put_ihave_hdr(msg, sizeof(msg), sender, (__u32)n);

	if (len < 0)
		abort();
	for (int i = 0; i < n; i++)
		rumor_wire_put_ihave_id(msg, (__u32)i, ORIGIN, first + (uint64_t)i, 2);
	build(p, &V4, msg, (size_t)len);
}

static int send_ihave(uint64_t sender, uint64_t first, int n)
{
	struct frame p;

	build_ihave(&p, sender, first, n);
	return run(&p);
}

/* Offset of the rumor message in a frame from build() with V4. */
#define MSG_OFF	(14 + 20 + 8)

static void test_ihave_all_seen_dropped(void)
{
	SETUP();
	for (int s = 1; s <= 3; s++)
		EXPECT_EQ(send_gossip(&V4, ORIGIN, (uint64_t)s), XDP_PASS);
	EXPECT_EQ(send_ihave(SENDER, 1, 3), XDP_DROP);
	EXPECT_EQ(send_ihave(SENDER, 2, 1), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 5, .gossip_passed = 3,
		     .origins_inserted = 1, .ihave_messages = 2, .ihave_ids = 4,
		     .ihave_redundant = 2, .peers_inserted = 1);
}

/* One id the node lacks is enough: the module must arm its GRAFT timer. */
static void test_ihave_unseen_id_passes(void)
{
	SETUP();
	for (int s = 1; s <= 3; s++)
		EXPECT_EQ(send_gossip(&V4, ORIGIN, (uint64_t)s), XDP_PASS);
	EXPECT_EQ(send_ihave(SENDER, 2, 3), XDP_PASS);		/* 4 unseen */
	EXPECT_EQ(send_ihave(SENDER2, 100, 1), XDP_PASS);	/* unseen */
	EXPECT_STATS(.rumor_packets = 5, .gossip_passed = 3,
		     .origins_inserted = 1, .ihave_messages = 2, .ihave_ids = 4,
		     .ihave_passed = 2, .peers_inserted = 2);
}

/* Announcing an id does not make XDP take it for seen. */
static void test_ihave_marks_nothing(void)
{
	SETUP();
	EXPECT_EQ(send_ihave(SENDER, 7, 1), XDP_PASS);
	EXPECT_EQ(send_ihave(SENDER, 7, 1), XDP_PASS);
	EXPECT_EQ(send_gossip(&V4, ORIGIN, 7), XDP_PASS);
	EXPECT_EQ(send_ihave(SENDER, 7, 1), XDP_DROP);
}

/* A full batch is walked to its last id, both ways. */
static void test_ihave_max_batch(void)
{
	const int n = RUMOR_WIRE_IHAVE_MAX;

	SETUP();
	for (int s = 1; s < n; s++)
		ASSERT_EQ(send_gossip(&V4, ORIGIN, (uint64_t)s), XDP_PASS);
	EXPECT_EQ(send_ihave(SENDER, 1, n), XDP_PASS);	/* seq 64 unseen */
	EXPECT_EQ(send_gossip(&V4, ORIGIN, (uint64_t)n), XDP_PASS);
	EXPECT_EQ(send_ihave(SENDER, 1, n), XDP_DROP);
	EXPECT_STATS(.rumor_packets = n + 2, .gossip_passed = n,
		     .origins_inserted = 1, .ihave_messages = 2,
		     .ihave_ids = 2 * n, .ihave_passed = 1,
		     .ihave_redundant = 1, .peers_inserted = 1);
}

/* Set the IHAVE count field of a frame from build_ihave(). */
static void set_ihave_count(struct frame *p, uint16_t count)
{
	p->data[MSG_OFF + RUMOR_WIRE_HLEN] = (uint8_t)(count >> 8);
	p->data[MSG_OFF + RUMOR_WIRE_HLEN + 1] = (uint8_t)count;
}

static void test_ihave_zero_ids_malformed(void)
{
	struct frame p;

	SETUP();
	build_ihave(&p, SENDER, 1, 1);
	set_ihave_count(&p, 0);
	EXPECT_EQ(run(&p), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 1, .malformed_bad_body = 1);
}

/* More ids than a batch may carry, even with the bytes for them. */
static void test_ihave_too_many_ids_malformed(void)
{
	uint8_t msg[RUMOR_WIRE_IHAVE_LEN(RUMOR_WIRE_IHAVE_MAX + 1)];
	const int n = RUMOR_WIRE_IHAVE_MAX + 1;
	struct frame p;

	SETUP();
	ASSERT_TRUE(rumor_wire_put_ihave_hdr(msg, sizeof(msg), SENDER,
					     RUMOR_WIRE_IHAVE_MAX) > 0);
	for (int i = 0; i < n; i++)
		rumor_wire_put_ihave_id(msg, (__u32)i, ORIGIN, 1 + (uint64_t)i, 2);
	msg[4] = (uint8_t)(sizeof(msg) >> 8);	/* header length */
	msg[5] = (uint8_t)sizeof(msg);
	build(&p, &V4, msg, sizeof(msg));
	set_ihave_count(&p, (uint16_t)n);
	EXPECT_EQ(run(&p), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 1, .malformed_bad_body = 1);
}

/* A count that promises more ids than the datagram holds. */
static void test_ihave_count_beyond_packet(void)
{
	struct frame p;

	SETUP();
	build_ihave(&p, SENDER, 1, 2);
	set_ihave_count(&p, 3);
	EXPECT_EQ(run(&p), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 1, .malformed_bad_body = 1);
	EXPECT_EQ(count_origins(), 0);
}

/* A bad id anywhere, even after ids the node lacks, drops the lot. */
static void test_ihave_bad_id_malformed(void)
{
	struct frame p;
	size_t id40 = MSG_OFF + RUMOR_WIRE_IHAVE_LEN(40);

	SETUP();
	build_ihave(&p, SENDER, 1, 50);
	memset(p.data + id40 + 8, 0, 8);	/* seq 0 */
	EXPECT_EQ(run(&p), XDP_DROP);
	build_ihave(&p, SENDER, 1, 50);
	p.data[id40 + 18] = 1;			/* reserved byte */
	EXPECT_EQ(run(&p), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 2, .malformed_bad_body = 2);
}

static int age_peer_sample(uint64_t sender, uint64_t ago_ns)
{
	struct rumor_xdp_peer *percpu = calloc((size_t)nr_cpus, sizeof(*percpu));
	int err;

	if (!percpu)
		return -ENOMEM;
	err = bpf_map__lookup_elem(skel->maps.peers, &sender, sizeof(sender),
				   percpu, (size_t)nr_cpus * sizeof(*percpu), 0);
	for (int cpu = 0; !err && cpu < nr_cpus; cpu++)
		percpu[cpu].sampled_ns = mono_ns() - ago_ns;
	if (!err)
		err = bpf_map__update_elem(skel->maps.peers, &sender, sizeof(sender),
					   percpu, (size_t)nr_cpus * sizeof(*percpu),
					   BPF_EXIST);
	free(percpu);
	return err;
}

/* Tree optimisation needs the hops of announcements: one sample passes. */
static void test_ihave_sample_after_interval(void)
{
	SETUP();
	EXPECT_EQ(send_gossip(&V4, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_ihave(SENDER, 1, 1), XDP_DROP);
	ASSERT_EQ(age_peer_sample(SENDER, TEST_SAMPLE_INTERVAL_NS + 1000), 0);
	EXPECT_EQ(send_ihave(SENDER2, 1, 1), XDP_DROP);	/* not its turn */
	EXPECT_EQ(send_ihave(SENDER, 1, 1), XDP_PASS);	/* the sample */
	EXPECT_EQ(send_ihave(SENDER, 1, 1), XDP_DROP);
	EXPECT_STATS(.rumor_packets = 5, .gossip_passed = 1,
		     .origins_inserted = 1, .ihave_messages = 4, .ihave_ids = 4,
		     .ihave_redundant = 3, .ihave_sampled = 1,
		     .peers_inserted = 2);
}

/* The per-peer counters, summed over CPUs, as rumorctl prints them. */
static int read_peer(uint64_t sender, struct rumor_xdp_peer *sum)
{
	struct rumor_xdp_peer *percpu = calloc((size_t)nr_cpus, sizeof(*percpu));
	int err;

	if (!percpu)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	err = bpf_map__lookup_elem(skel->maps.peers, &sender, sizeof(sender),
				   percpu, (size_t)nr_cpus * sizeof(*percpu), 0);
	for (int cpu = 0; !err && cpu < nr_cpus; cpu++) {
#define ADD(f) sum->f += percpu[cpu].f;
		RUMOR_XDP_PEER_FIELDS(ADD)
#undef ADD
	}
	free(percpu);
	return err;
}

static void test_ihave_counted_per_peer(void)
{
	struct rumor_xdp_peer a, b;

	SETUP();
	EXPECT_EQ(send_gossip(&V4, ORIGIN, 1), XDP_PASS);
	EXPECT_EQ(send_ihave(SENDER, 1, 1), XDP_DROP);
	EXPECT_EQ(send_ihave(SENDER, 1, 5), XDP_PASS);
	EXPECT_EQ(send_ihave(SENDER2, 1, 1), XDP_DROP);
	ASSERT_EQ(read_peer(SENDER, &a), 0);
	ASSERT_EQ(read_peer(SENDER2, &b), 0);
	EXPECT_EQ(a.ihave_messages, 2);
	EXPECT_EQ(a.ihave_ids, 6);
	EXPECT_EQ(a.ihave_redundant, 1);
	EXPECT_EQ(b.ihave_messages, 1);
	EXPECT_EQ(b.ihave_ids, 1);
	EXPECT_EQ(b.ihave_redundant, 1);
}

/* ---- two CPUs at once ---- */

/*
 * Both CPUs receive the same copies, in the same order, of messages from
 * origins that are new to them, as two NIC queues would. Every message
 * must pass at least once (never a false duplicate), and a second time only
 * when XDP said so (gossip_busy: it could not judge and passed it on).
 */
#define RACE_ORIGINS	40
#define RACE_SEQS	150

static uint8_t race_passes[RACE_ORIGINS][RACE_SEQS + 1];

static void *race_cpu(void *arg)
{
	int cpu = (int)(intptr_t)arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return (void *)1;
	for (int s = 1; s <= RACE_SEQS; s++)
		for (int o = 0; o < RACE_ORIGINS; o++) {
			int v = send_gossip(&V4, 0x7000 + (uint64_t)o, (uint64_t)s);

			if (v < 0)
				return (void *)1;
			if (v == XDP_PASS)
				__sync_fetch_and_add(&race_passes[o][s], 1);
		}
	return NULL;
}

static void test_two_cpus_first_copy_once(void)
{
	struct rumor_xdp_stats got;
	pthread_t t[2];
	void *ret[2];
	long never = 0, twice = 0;

	SETUP();
	if (nr_cpus < 2 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		KTAP_SKIP("needs two CPUs");
	memset(race_passes, 0, sizeof(race_passes));
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, race_cpu, (void *)(intptr_t)i), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], &ret[i]);
	ASSERT_TRUE(!ret[0] && !ret[1]);
	for (int o = 0; o < RACE_ORIGINS; o++)
		for (int s = 1; s <= RACE_SEQS; s++) {
			never += race_passes[o][s] == 0;
			twice += race_passes[o][s] > 1;
		}
	ASSERT_EQ(read_stats(&got), 0);
	printf("# %d messages on two CPUs: %llu passed, %llu duplicates, %llu unjudged (busy), %ld passed twice\n",
	       RACE_ORIGINS * RACE_SEQS, (unsigned long long)got.gossip_passed,
	       (unsigned long long)got.gossip_duplicate,
	       (unsigned long long)got.gossip_busy, twice);
	EXPECT_EQ(never, 0);
	EXPECT_TRUE((__u64)twice <= got.gossip_busy);
	/* Judged new by one CPU at most: never by both. */
	EXPECT_TRUE(got.gossip_passed <= (__u64)RACE_ORIGINS * RACE_SEQS);
	EXPECT_EQ(got.gossip_passed + got.gossip_duplicate + got.gossip_busy,
		  (__u64)2 * RACE_ORIGINS * RACE_SEQS);
	EXPECT_EQ(got.origins_inserted, RACE_ORIGINS);
}

static const struct ktap_case cases[] = {
	{ "ipv4_gossip_new_passes", test_ipv4_gossip_new_passes },
	{ "ipv4_gossip_duplicate_drops", test_ipv4_gossip_duplicate_drops },
	{ "ipv4_options_honoured", test_ipv4_options_honoured },
	{ "ipv4_trailer_ignored", test_ipv4_trailer_ignored },
	{ "ipv6_gossip_new_then_duplicate", test_ipv6_gossip_new_then_duplicate },
	{ "ipv6_extension_headers_walked", test_ipv6_extension_headers_walked },
	{ "ipv6_fragment_passes_untouched", test_ipv6_fragment_passes_untouched },
	{ "ipv4_fragment_passes_untouched", test_ipv4_fragment_passes_untouched },
	{ "vlan_8021q", test_vlan_8021q },
	{ "vlan_qinq", test_vlan_qinq },
	{ "vlan_three_tags_pass_untouched", test_vlan_three_tags_pass_untouched },
	{ "not_rumor_passes_untouched", test_not_rumor_passes_untouched },
	{ "port_comes_from_rodata", test_port_comes_from_rodata },
	{ "malformed_truncated_header", test_malformed_truncated_header },
	{ "malformed_udp_length_beyond_packet",
	  test_malformed_udp_length_beyond_packet },
	{ "malformed_short_datagram_padded", test_malformed_short_datagram_padded },
	{ "malformed_bad_magic", test_malformed_bad_magic },
	{ "malformed_bad_version", test_malformed_bad_version },
	{ "malformed_bad_flags", test_malformed_bad_flags },
	{ "malformed_bad_type", test_malformed_bad_type },
	{ "malformed_length_beyond_packet", test_malformed_length_beyond_packet },
	{ "malformed_length_short", test_malformed_length_short },
	{ "malformed_seq_zero", test_malformed_seq_zero },
	{ "malformed_origin_zero", test_malformed_origin_zero },
	{ "malformed_gossip_without_body", test_malformed_gossip_without_body },
	{ "interleaved_origins_pass_once", test_interleaved_origins_pass_once },
	{ "window_state_in_map", test_window_state_in_map },
	{ "too_old_drops", test_too_old_drops },
	{ "window_edge_remembered", test_window_edge_remembered },
	{ "origins_independent", test_origins_independent },
	{ "dup_notice_once_per_sender", test_dup_notice_once_per_sender },
	{ "dup_notice_after_interval", test_dup_notice_after_interval },
	{ "grafted_always_passes", test_grafted_always_passes },
	{ "transit_passes_untouched", test_transit_passes_untouched },
	{ "origin_set_full_passes_unjudged", test_origin_set_full_passes_unjudged },
	{ "idle_origin_evicted", test_idle_origin_evicted },
	{ "origin_flood_keeps_active_windows", test_origin_flood_keeps_active_windows },
	{ "ihave_all_seen_dropped", test_ihave_all_seen_dropped },
	{ "ihave_unseen_id_passes", test_ihave_unseen_id_passes },
	{ "ihave_marks_nothing", test_ihave_marks_nothing },
	{ "ihave_max_batch", test_ihave_max_batch },
	{ "ihave_zero_ids_malformed", test_ihave_zero_ids_malformed },
	{ "ihave_too_many_ids_malformed", test_ihave_too_many_ids_malformed },
	{ "ihave_count_beyond_packet", test_ihave_count_beyond_packet },
	{ "ihave_bad_id_malformed", test_ihave_bad_id_malformed },
	{ "ihave_sample_after_interval", test_ihave_sample_after_interval },
	{ "ihave_counted_per_peer", test_ihave_counted_per_peer },
	{ "two_cpus_first_copy_once", test_two_cpus_first_copy_once },
};

/* libbpf's warnings (a verifier log, say) as KTAP diagnostics. */
static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	char buf[1024], *line, *save = NULL;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		printf("# libbpf: %s\n", line);
	return 0;
}

static int load(void)
{
	struct bpf_map *map;
	int err;

	skel = rumor_xdp__open();
	if (!skel)
		return -errno;
	/* Tests keep their maps to themselves: nothing is pinned. */
	bpf_object__for_each_map(map, skel->obj) {
		err = bpf_map__set_pin_path(map, NULL);
		if (err)
			return err;
	}
	skel->rodata->rumor_xdp_config.port = TEST_PORT;
	skel->rodata->rumor_xdp_config.origin_sets = TEST_SETS;
	skel->rodata->rumor_xdp_config.notice_interval_ns = TEST_NOTICE_INTERVAL_NS;
	skel->rodata->rumor_xdp_config.sample_interval_ns = TEST_SAMPLE_INTERVAL_NS;
	skel->rodata->rumor_xdp_config.origin_idle_ns = TEST_ORIGIN_IDLE_NS;
	/* The node is 10.0.0.2 and fd00::2, and has a second IPv4 address. */
	skel->rodata->rumor_xdp_config.nr_addr4 = 2;
	skel->rodata->rumor_xdp_config.addr4[0] = htonl(0x0a0000fe);
	skel->rodata->rumor_xdp_config.addr4[1] = htonl(FRAME_DADDR4);
	skel->rodata->rumor_xdp_config.nr_addr6 = 1;
	memcpy(skel->rodata->rumor_xdp_config.addr6[0],
	       (uint8_t[16])FRAME_DADDR6, 16);
	err = bpf_map__set_max_entries(skel->maps.origins, TEST_SETS);
	if (err)
		return err;
	return rumor_xdp__load(skel);
}

int main(void)
{
	int rc, err = 0;

	libbpf_set_print(print_libbpf);
	if (geteuid() != 0) {
		skip_reason = "needs root";
	} else if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL) != 1) {
		skip_reason = "no XDP in this kernel";
	} else {
		nr_cpus = libbpf_num_possible_cpus();
		err = nr_cpus > 0 ? load() : nr_cpus;
		if (err) {
			/* The kernel has XDP: failing to load is a bug. */
			printf("# loading rumor_xdp failed: %s\n", strerror(-err));
			rumor_xdp__destroy(skel);
			skel = NULL;
		}
	}
	rc = ktap_run(cases, sizeof(cases) / sizeof(cases[0]));
	rumor_xdp__destroy(skel);
	return rc;
}
