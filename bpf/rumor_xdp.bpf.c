// SPDX-License-Identifier: GPL-2.0
/*
 * rumor_xdp: drop duplicate GOSSIP and malformed rumor datagrams before the
 * kernel allocates an skb for them.
 *
 * Ethernet, up to two VLAN tags, IPv4 (not fragments) or IPv6 (with a few
 * extension headers), UDP to the configured port: that is a rumor datagram.
 * Anything else passes untouched and is not counted. A rumor datagram is
 * checked with the protocol core's own header checks (core/wire.h), so XDP,
 * the module and userspace refuse exactly the same datagrams; malformed
 * ones are dropped and counted by reason. A GOSSIP is then looked up in
 * its origin's duplicate window (core/window.h): the first copy passes on
 * to the module, which keeps its own authoritative windows; copies seen
 * before are dropped here.
 *
 * XDP is only an accelerator: whenever it cannot judge (no window for the
 * origin, a window slot fought over by other CPUs) it passes the datagram
 * and lets the module decide.
 */
#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <linux/rumor.h>

#include "parse.h"
#include "rumor_xdp.h"
#include "wire.h"
#include "window.h"

/* Written by the loader before load; the verifier sees it as constant. */
const volatile struct rumor_xdp_config rumor_xdp_config = {
	.port = RUMOR_DEFAULT_PORT,
	.notice_interval_ns = RUMOR_XDP_NOTICE_INTERVAL_NS,
};

/* Counters of this node, one struct rumor_xdp_stats per CPU, key 0. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rumor_xdp_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stats SEC(".maps");

/* Duplicate window per GOSSIP origin (host-order origin id), LRU-bounded. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RUMOR_DEFAULT_MAX_ORIGINS);	/* loader may change */
	__type(key, __u64);
	__type(value, struct rumor_window);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} origins SEC(".maps");

/*
 * When each sender last had a duplicate let through as a notice (bpf_ktime
 * nanoseconds), by sender node id. Bounded; an evicted sender only gets
 * its next notice early.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RUMOR_XDP_MAX_SENDERS);
	__type(key, __u64);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} notices SEC(".maps");

/* A new reason in enum rumor_wire_err needs its malformed_* counter here. */
_Static_assert(RUMOR_WIRE_NERR == 8, "one malformed_* counter per reason");

static __always_inline int drop_malformed(struct rumor_xdp_stats *s,
					  enum rumor_wire_err err)
{
	switch (err) {
	case RUMOR_WIRE_OK:
	case RUMOR_WIRE_NERR:
	case RUMOR_WIRE_ETRUNC:
		s->malformed_truncated++;
		break;
	case RUMOR_WIRE_EMAGIC:
		s->malformed_bad_magic++;
		break;
	case RUMOR_WIRE_EVERSION:
		s->malformed_bad_version++;
		break;
	case RUMOR_WIRE_EFLAGS:
		s->malformed_bad_flags++;
		break;
	case RUMOR_WIRE_ETYPE:
		s->malformed_bad_type++;
		break;
	case RUMOR_WIRE_ELEN:
		s->malformed_bad_length++;
		break;
	case RUMOR_WIRE_EBODY:
		s->malformed_bad_body++;
		break;
	}
	return XDP_DROP;
}

/*
 * The origin's window, created empty on first sight. Creation races with
 * other CPUs that see the same new origin: BPF_NOEXIST makes exactly one of
 * them insert, and the losers (-EEXIST) look the winner's window up.
 */
static __always_inline struct rumor_window *
origin_window(struct rumor_xdp_stats *s, __u64 origin)
{
	struct rumor_window *w, empty;
	long err;

	w = bpf_map_lookup_elem(&origins, &origin);
	if (w)
		return w;
	/* Zeroed here, not at the top: only new origins pay for it. */
	__builtin_memset(&empty, 0, sizeof(empty));
	err = bpf_map_update_elem(&origins, &origin, &empty, BPF_NOEXIST);
	if (!err)
		s->origins_inserted++;
	else if (err != -EEXIST) {
		s->origin_insert_failed++;
		return NULL;
	}
	/* NULL only if evicted again at once by a flood of new origins. */
	return bpf_map_lookup_elem(&origins, &origin);
}

/*
 * Plumtree prunes an eager peer that sends it a copy it already has; if XDP
 * dropped every duplicate the module would never know. So a duplicate from
 * a sender passes as a notice at most once per notice interval: one is all
 * the module needs to send its PRUNE, and in a stable tree there are none.
 */
static __always_inline int duplicate(struct rumor_xdp_stats *s, __u64 sender)
{
	__u64 now = bpf_ktime_get_ns(), *last;

	last = bpf_map_lookup_elem(&notices, &sender);
	if (last) {
		__u64 prev = *last;

		if (now - prev < rumor_xdp_config.notice_interval_ns ||
		    __sync_val_compare_and_swap(last, prev, now) != prev) {
			s->gossip_duplicate++;
			return XDP_DROP;
		}
	} else if (bpf_map_update_elem(&notices, &sender, &now, BPF_NOEXIST)) {
		/* Another CPU just let this sender's notice through. */
		s->gossip_duplicate++;
		return XDP_DROP;
	}
	s->gossip_dup_notice++;
	return XDP_PASS;
}

static __always_inline int judge_gossip(struct rumor_xdp_stats *s,
					const struct rumor_wire_hdr *h,
					const struct rumor_wire_gossip *g)
{
	struct rumor_window *w;
	enum rumor_window_verdict v;

	w = origin_window(s, rumor_ntoh64(g->origin));
	if (!w) {
		s->gossip_no_window++;
		return XDP_PASS;
	}
	v = rumor_window_test_and_set(w, rumor_ntoh64(g->seq));
	/*
	 * The answer to a GRAFT always passes: the module asked for it, so it
	 * lacks the message even if XDP let a copy through before (and the
	 * module then lost it, say to a full queue).
	 */
	if (h->flags & RUMOR_WIRE_F_GRAFTED) {
		s->gossip_grafted++;
		return XDP_PASS;
	}
	switch (v) {
	case RUMOR_WINDOW_NEW:
		s->gossip_passed++;
		return XDP_PASS;
	case RUMOR_WINDOW_DUP:
		return duplicate(s, rumor_ntoh64(h->sender));
	case RUMOR_WINDOW_OLD:
		s->gossip_too_old++;
		return XDP_DROP;
	case RUMOR_WINDOW_BUSY:
		break;
	}
	s->gossip_busy++;
	return XDP_PASS;
}

/* @udph is within the packet; the datagram after it may not be. */
static __always_inline int judge_datagram(struct rumor_xdp_cursor *c,
					  struct udphdr *udph)
{
	struct rumor_xdp_stats *s;
	struct rumor_wire_hdr *h = c->pos;
	struct rumor_wire_gossip *g;
	enum rumor_wire_err err;
	__u32 key = 0, udp_len;

	s = bpf_map_lookup_elem(&stats, &key);
	if (!s)
		return XDP_PASS;	/* cannot happen: a one-entry array */
	s->rumor_packets++;

	/*
	 * The 6.12 verifier forgets the bounds of a byte-swapped value, so
	 * mask it again; the empty asm keeps clang from dropping the mask as
	 * redundant. Without it the packet arithmetic below is refused.
	 */
	udp_len = bpf_ntohs(udph->len);
	asm volatile("" : "+r"(udp_len));
	udp_len &= 0xffff;
	if (udp_len < sizeof(*udph) || (void *)udph + udp_len > c->end)
		return drop_malformed(s, RUMOR_WIRE_ETRUNC);
	if (!CURSOR_HAS(c, h, struct rumor_wire_hdr))
		return drop_malformed(s, RUMOR_WIRE_ETRUNC);
	err = rumor_wire_check_hdr(h, udp_len - sizeof(*udph));
	if (err)
		return drop_malformed(s, err);
	if (h->type != RUMOR_WIRE_GOSSIP) {
		s->other_passed++;
		return XDP_PASS;
	}

	/* The datagram is within the packet and long enough for a body, but
	 * the verifier knows only what it sees compared with the end. */
	g = (void *)(h + 1);
	if (!CURSOR_HAS(c, g, struct rumor_wire_gossip))
		return drop_malformed(s, RUMOR_WIRE_ETRUNC);
	err = rumor_wire_check_gossip(g);
	if (err)
		return drop_malformed(s, err);
	return judge_gossip(s, h, g);
}

SEC("xdp")
int rumor_xdp(struct xdp_md *ctx)
{
	struct rumor_xdp_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	struct udphdr *udph;
	int proto;

	proto = parse_ethhdr(&c);
	if (proto == ETH_P_IP)
		proto = parse_iphdr(&c);
	else if (proto == ETH_P_IPV6)
		proto = parse_ipv6hdr(&c);
	else
		return XDP_PASS;
	if (proto != IPPROTO_UDP)
		return XDP_PASS;
	udph = parse_udphdr(&c);
	if (!udph || udph->dest != bpf_htons(rumor_xdp_config.port))
		return XDP_PASS;
	return judge_datagram(&c, udph);
}

char LICENSE[] SEC("license") = "GPL";
