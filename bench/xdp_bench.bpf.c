// SPDX-License-Identifier: GPL-2.0
/*
 * Programs for `make bench-xdp` (bench/xdp_bench.c), next to the product
 * program they include:
 *
 * - bench_baseline parses to the UDP port as rumor_xdp does, and passes:
 *   the floor every other case is measured against;
 * - bench_fresh adds one to a big-endian 64-bit field of the packet (a seq
 *   or an origin id, at rodata bump_off) and then judges it as rumor_xdp
 *   does, so that a BPF_PROG_TEST_RUN repeat sees a new message each time.
 *   Test runs without live frames reuse one packet buffer, so the bump
 *   carries over from run to run.
 */
#include "../bpf/rumor_xdp.bpf.c"

const volatile __u32 bump_off;

SEC("xdp")
int bench_baseline(struct xdp_md *ctx)
{
	struct rumor_xdp_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	struct udphdr *udph = parse_to_udp(&c);
	int verdict = XDP_PASS;

	/* Both ways pass; the empty asm keeps clang from folding the test. */
	if (!udph || udph->dest != bpf_htons(rumor_xdp_config.port))
		asm volatile("" : "+r"(verdict));
	return verdict;
}

SEC("xdp")
int bench_fresh(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 *field;

	if (bump_off > 256)
		return XDP_ABORTED;
	field = data + bump_off;
	if ((void *)(field + 1) > end)
		return XDP_ABORTED;
	*field = rumor_hton64(rumor_ntoh64(*field) + 1);
	return rumor_xdp_judge(ctx);
}
