// SPDX-License-Identifier: GPL-2.0
/*
 * xdp-bench: the cost of rumor_xdp per packet, case by case, against a
 * baseline program that only parses to the UDP port, measured side by
 * side in one run with BPF_PROG_TEST_RUN on the running kernel.
 *
 * Every round runs every case once (REPEAT packets each), each right after
 * a run of the baseline, and the figures printed are medians over ROUNDS
 * rounds: ns_per_pkt of the case's runs, ratio_to_baseline of its ratios to
 * the baseline run just before it. So a noisy neighbour on a shared machine
 * moves a case and its baseline alike. One JSON line per case:
 * {"case", "ns_per_pkt", "ratio_to_baseline", ...}. Needs root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/rumor.h>

#include "../selftests/lib/frame.h"
#include "../bpf/rumor_xdp.h"
#include "bench/xdp_bench.skel.h"
#include "wire.h"

#define BENCH_PORT	7946
#define REPEAT		200000
#define ROUNDS		21
#define ORIGIN		0x0123456789abcdefULL
#define SENDER		0x5555aaaa5555aaaaULL
/* Where rumor's message starts in an IPv4 frame from frame_build(). */
#define MSG_OFF		(14 + 20 + 8)
#define ORIGIN_OFF	(MSG_OFF + RUMOR_WIRE_HLEN)
#define SEQ_OFF		(ORIGIN_OFF + 8)

struct bench_case {
	const char *name;
	const char *note;	/* what the case measures, for the reader */
	int prog_fd;
	struct frame pkt;
	int want;		/* the verdict every packet must get */
	__u32 bump_off;		/* the field bench_fresh bumps, 0 if none */
	__u32 repeat;		/* packets a round, REPEAT if 0 */
	struct xdp_bench *empty_before;	/* emptied before every round */
	double ns[ROUNDS];
	double ratio[ROUNDS];	/* to the baseline run just before */
};

static struct xdp_bench *fixed, *fresh_seq, *fresh_origin, *fresh_full;

static void die(const char *what, int err)
{
	fprintf(stderr, "xdp-bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void gossip_frame(struct frame *f, uint64_t origin, uint64_t seq)
{
	uint8_t msg[64];
	int len = rumor_wire_put_gossip_hdr(msg, sizeof(msg), SENDER, 3, 0,
					    origin, seq, 8);

	if (len < 0)
		die("gossip", EINVAL);
	memcpy(msg + len, "payload!", 8);
	frame_build(f, &(struct frame_shape){ .family = 4 }, BENCH_PORT, msg,
		    (size_t)len + 8);
}

/* An IHAVE of @n ids: ORIGIN's seqs 1..n. */
static void ihave_frame(struct frame *f, int n)
{
	uint8_t msg[RUMOR_WIRE_IHAVE_LEN(RUMOR_WIRE_IHAVE_MAX)];
	int len = rumor_wire_put_ihave_hdr(msg, sizeof(msg), SENDER, (__u32)n);

	if (len < 0)
		die("ihave", EINVAL);
	for (int i = 0; i < n; i++)
		rumor_wire_put_ihave_id(msg, (__u32)i, ORIGIN, 1 + (uint64_t)i, 2);
	frame_build(f, &(struct frame_shape){ .family = 4 }, BENCH_PORT, msg,
		    (size_t)len);
}

/* Run @c's packet @repeat times; returns ns per packet. */
static double run(struct bench_case *c, __u32 repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = c->pkt.data,
		.data_size_in = (__u32)c->pkt.len,
		.repeat = repeat,
	);
	int err = bpf_prog_test_run_opts(c->prog_fd, &o);

	if (err)
		die(c->name, err);
	/* Each run starts from our copy: carry the bumps over to the next. */
	if (c->bump_off) {
		__u64 v;

		memcpy(&v, c->pkt.data + c->bump_off, sizeof(v));
		v = rumor_hton64(rumor_ntoh64(v) + repeat);
		memcpy(c->pkt.data + c->bump_off, &v, sizeof(v));
	}
	if ((int)o.retval != c->want) {
		fprintf(stderr, "xdp-bench: %s: verdict %u, want %d\n", c->name,
			o.retval, c->want);
		exit(1);
	}
	return (double)o.duration;
}

static struct xdp_bench *load(__u32 bump_off, __u32 sets, __u64 idle_ns)
{
	struct xdp_bench *skel = xdp_bench__open();
	struct bpf_map *map;
	int err;

	if (!skel)
		die("open", errno);
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	skel->rodata->rumor_xdp_config.port = BENCH_PORT;
	skel->rodata->rumor_xdp_config.origin_sets = sets;
	skel->rodata->rumor_xdp_config.origin_idle_ns = idle_ns;
	/* One notice or sample a second would only be noise here. */
	skel->rodata->rumor_xdp_config.notice_interval_ns = ~0ULL / 2;
	skel->rodata->rumor_xdp_config.sample_interval_ns = 0;
	skel->rodata->bump_off = bump_off;
	/* A node with a few addresses, the frames' one last. */
	skel->rodata->rumor_xdp_config.nr_addr4 = 4;
	for (int i = 0; i < 4; i++)
		skel->rodata->rumor_xdp_config.addr4[i] = htonl(FRAME_DADDR4 + 3 - i);
	err = bpf_map__set_max_entries(skel->maps.origins, sets);
	if (!err)
		err = xdp_bench__load(skel);
	if (err)
		die("load (LIBBPF_LOG for the verifier's log)", err);
	return skel;
}

/*
 * Fill every way of every set with an origin last used at @used (jiffies),
 * but leave @keep_free ways of @origin's set free for it: the table as full
 * as it can be while @origin still gets a window, and scanned to its end.
 * @keep_free -1 empties the table.
 */
static void fill_origins(struct xdp_bench *skel, __u32 sets, uint64_t origin,
			 int keep_free, __u64 used)
{
	__u32 own = rumor_xdp_origin_hash(origin) & (sets - 1);
	struct rumor_xdp_origin_set set;
	uint64_t id = 0x10000;

	for (__u32 key = 0; key < sets; key++) {
		memset(&set, 0, sizeof(set));
		for (int w = 0; w < RUMOR_XDP_ORIGIN_WAYS && keep_free >= 0; w++) {
			if (key == own && w >= RUMOR_XDP_ORIGIN_WAYS - keep_free)
				break;
			while ((rumor_xdp_origin_hash(id) & (sets - 1)) != key)
				id++;
			set.id[w] = id++;
			set.way[w].used = used;
		}
		if (bpf_map__update_elem(skel->maps.origins, &key, sizeof(key),
					 &set, sizeof(set), BPF_ANY))
			die("fill origins", errno);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v)
{
	double s[ROUNDS];

	memcpy(s, v, sizeof(s));
	qsort(s, ROUNDS, sizeof(s[0]), cmp_double);
	return s[ROUNDS / 2];
}

/* A jiffies value no later than now: the kernel's start value is far above. */
#define LONG_AGO	1

int main(void)
{
	const __u32 sets = RUMOR_DEFAULT_MAX_ORIGINS / RUMOR_XDP_ORIGIN_WAYS;
	const __u64 idle = RUMOR_XDP_ORIGIN_IDLE_NS;
	static struct bench_case cases[] = {
		{ .name = "baseline", .note = "parse to the UDP port, pass" },
		{ .name = "duplicate", .note = "GOSSIP seen before: drop" },
		{ .name = "duplicate_table_full", .note = "GOSSIP seen before, every window in use, its own the last of its set: drop" },
		{ .name = "new", .note = "GOSSIP with a new seq: mark, pass" },
		{ .name = "new_origin", .note = "GOSSIP of a new origin, free windows left: take one, pass" },
		{ .name = "new_origin_evicting", .note = "GOSSIP of a new origin, table full of idle origins: take a window, pass" },
		{ .name = "new_origin_table_full", .note = "GOSSIP of a new origin, table full of active origins: pass unjudged" },
		{ .name = "ihave_1_seen", .note = "IHAVE of 1 id seen: drop" },
		{ .name = "ihave_16_seen", .note = "IHAVE of 16 ids seen: drop" },
		{ .name = "ihave_64_seen", .note = "IHAVE of 64 ids seen: drop" },
		{ .name = "malformed", .note = "bad magic: drop" },
	};
	enum { BASE, DUP, DUP_FULL, NEW, NEW_ORIGIN, EVICT, FULL, IH1, IH16, IH64,
	       BAD, NCASES };
	struct xdp_bench *full, *fresh_free;
	cpu_set_t cpu;
	double base;
	int i, r;

	if (geteuid() != 0) {
		fprintf(stderr, "xdp-bench: needs root (BPF_PROG_TEST_RUN)\n");
		return 1;
	}
	/* One CPU for every case: per-CPU state and caches alike. */
	CPU_ZERO(&cpu);
	CPU_SET(0, &cpu);
	sched_setaffinity(0, sizeof(cpu), &cpu);
	if (!getenv("LIBBPF_LOG"))
		libbpf_set_print(NULL);

	fixed = load(0, sets, idle);
	fresh_seq = load(SEQ_OFF, sets, idle);
	fresh_origin = load(ORIGIN_OFF, sets, 0);
	fresh_full = load(ORIGIN_OFF, sets, ~0ULL / 2);
	fresh_free = load(ORIGIN_OFF, sets, ~0ULL / 2);
	full = load(0, sets, idle);

	for (i = 0; i < NCASES; i++)
		cases[i].prog_fd = bpf_program__fd(fixed->progs.rumor_xdp);
	cases[BASE].prog_fd = bpf_program__fd(fixed->progs.bench_baseline);
	cases[NEW].prog_fd = bpf_program__fd(fresh_seq->progs.bench_fresh);
	cases[EVICT].prog_fd = bpf_program__fd(fresh_origin->progs.bench_fresh);
	cases[NEW_ORIGIN].prog_fd = bpf_program__fd(fresh_free->progs.bench_fresh);
	/* Half the table a round, from empty: ids spread over the sets. */
	cases[NEW_ORIGIN].repeat = sets * RUMOR_XDP_ORIGIN_WAYS / 2;
	cases[NEW_ORIGIN].empty_before = fresh_free;
	cases[FULL].prog_fd = bpf_program__fd(fresh_full->progs.bench_fresh);
	cases[DUP_FULL].prog_fd = bpf_program__fd(full->progs.rumor_xdp);
	cases[NEW].bump_off = SEQ_OFF;
	cases[EVICT].bump_off = cases[FULL].bump_off = ORIGIN_OFF;
	cases[NEW_ORIGIN].bump_off = ORIGIN_OFF;

	gossip_frame(&cases[BASE].pkt, ORIGIN, 1);
	gossip_frame(&cases[DUP].pkt, ORIGIN, 1);
	gossip_frame(&cases[DUP_FULL].pkt, ORIGIN, 1);
	gossip_frame(&cases[NEW].pkt, ORIGIN, 1);
	gossip_frame(&cases[EVICT].pkt, 1ULL << 40, 1);
	gossip_frame(&cases[NEW_ORIGIN].pkt, 1ULL << 42, 1);
	gossip_frame(&cases[FULL].pkt, 1ULL << 41, 1);
	ihave_frame(&cases[IH1].pkt, 1);
	ihave_frame(&cases[IH16].pkt, 16);
	ihave_frame(&cases[IH64].pkt, 64);
	gossip_frame(&cases[BAD].pkt, ORIGIN, 1);
	cases[BAD].pkt.data[MSG_OFF] ^= 0xff;
	for (i = 0; i < NCASES; i++)
		cases[i].want = XDP_DROP;
	cases[BASE].want = cases[NEW].want = XDP_PASS;
	cases[EVICT].want = cases[FULL].want = XDP_PASS;
	cases[NEW_ORIGIN].want = XDP_PASS;

	/* The first copies, and ORIGIN's seqs 1..64 for the IHAVEs to find. */
	fill_origins(full, sets, ORIGIN, 1, ~0ULL);
	fill_origins(fresh_origin, sets, 0, 0, LONG_AGO);
	fill_origins(fresh_full, sets, 0, 0, ~0ULL);
	for (i = 1; i <= RUMOR_WIRE_IHAVE_MAX; i++) {
		struct bench_case seed = { .name = "seed", .want = XDP_PASS,
					   .prog_fd = cases[DUP].prog_fd };

		gossip_frame(&seed.pkt, ORIGIN, (uint64_t)i);
		run(&seed, 1);
	}
	{
		struct bench_case seed = { .name = "seed full", .want = XDP_PASS,
					   .prog_fd = cases[DUP_FULL].prog_fd };

		gossip_frame(&seed.pkt, ORIGIN, 1);
		run(&seed, 1);
	}

	for (r = 0; r < ROUNDS; r++)
		for (i = 0; i < NCASES; i++) {
			if (cases[i].empty_before)
				fill_origins(cases[i].empty_before, sets, 0, -1, 0);
			base = run(&cases[BASE], REPEAT);
			cases[i].ns[r] = run(&cases[i], cases[i].repeat ?: REPEAT);
			cases[i].ratio[r] = cases[i].ns[r] / base;
		}

	for (i = 0; i < NCASES; i++) {
		double ns = median(cases[i].ns);

		printf("{\"case\": \"%s\", \"ns_per_pkt\": %.1f, \"ratio_to_baseline\": %.2f, "
		       "\"packets\": %u, \"rounds\": %d, \"what\": \"%s\"}\n",
		       cases[i].name, ns, median(cases[i].ratio),
		       cases[i].repeat ?: REPEAT, ROUNDS, cases[i].note);
	}
	xdp_bench__destroy(fixed);
	xdp_bench__destroy(fresh_seq);
	xdp_bench__destroy(fresh_origin);
	xdp_bench__destroy(fresh_full);
	xdp_bench__destroy(fresh_free);
	xdp_bench__destroy(full);
	return 0;
}
