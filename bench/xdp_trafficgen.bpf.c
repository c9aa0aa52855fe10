// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_trafficgen: the sender of the veth benchmark (bench/veth_bench.c).
 *
 * BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES runs this program over
 * and over on copies of one frame, and carries out its verdict for real:
 * each copy is redirected out of the interface the loader names, which for
 * a veth is ndo_xdp_xmit, straight into the peer's receive ring. No skb, no
 * qdisc, no socket: about the cheapest way to put a frame on a wire.
 *
 * The loader also attaches the program to that interface, only so that it
 * stays in the kernel's XDP dispatcher (see veth_bench.c). Test runs come
 * in on the loopback device; what really arrives on the interface (the
 * peer's neighbour discovery, say) passes.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Set by the loader before load: the interface the frames leave through. */
const volatile __u32 target_ifindex;

SEC("xdp")
int xdp_trafficgen(struct xdp_md *ctx)
{
	if (ctx->ingress_ifindex == target_ifindex)
		return XDP_PASS;
	return bpf_redirect(target_ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
