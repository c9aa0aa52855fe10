// SPDX-License-Identifier: GPL-2.0
/*
 * rumor_xdp: drop duplicate GOSSIP, redundant IHAVE and malformed rumor
 * datagrams before the kernel allocates an skb for them.
 *
 * Ethernet, up to two VLAN tags, IPv4 (not fragments) or IPv6 (with a few
 * extension headers), UDP to the configured port: that is a rumor datagram.
 * Anything else passes untouched and is not counted. A rumor datagram is
 * checked with the protocol core's own header checks (core/wire.h), so XDP,
 * the module and userspace refuse exactly the same datagrams; malformed
 * ones are dropped and counted by reason.
 *
 * A GOSSIP is looked up in its origin's duplicate window (core/window.h,
 * bpf/origins.h): the first copy passes on to the module, which keeps its
 * own authoritative windows; copies seen before are dropped here, but for
 * a rate-limited notice per sender that lets Plumtree prune a redundant
 * eager link.
 * An IHAVE whose ids have all been seen is dropped, but for a rate-limited
 * sample that keeps Plumtree's tree optimisation informed.
 *
 * XDP is only an accelerator: whenever it cannot judge (no window for the
 * origin, a window fought over by other CPUs) it passes the datagram and
 * lets the module decide.
 */
#include <linux/bpf.h>
#include <linux/errno.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <linux/rumor.h>

#include "parse.h"
#include "origins.h"
#include "rumor_xdp.h"
#include "wire.h"
#include "window.h"

/* Written by the loader before load; the verifier sees it as constant. */
const volatile struct rumor_xdp_config rumor_xdp_config = {
	.port = RUMOR_DEFAULT_PORT,
	.origin_sets = RUMOR_DEFAULT_MAX_ORIGINS / RUMOR_XDP_ORIGIN_WAYS,
	.hz = RUMOR_XDP_DEFAULT_HZ,
	.notice_interval_ns = RUMOR_XDP_NOTICE_INTERVAL_NS,
	.sample_interval_ns = RUMOR_XDP_SAMPLE_INTERVAL_NS,
	.origin_idle_ns = RUMOR_XDP_ORIGIN_IDLE_NS,
};

/* Counters of this node, one struct rumor_xdp_stats per CPU, key 0. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rumor_xdp_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stats SEC(".maps");

/* Duplicate windows by origin: sets of RUMOR_XDP_ORIGIN_WAYS (bpf/origins.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RUMOR_DEFAULT_MAX_ORIGINS / RUMOR_XDP_ORIGIN_WAYS);
	__type(key, __u32);
	__type(value, struct rumor_xdp_origin_set);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} origins SEC(".maps");

/*
 * When senders last had a duplicate pass as a notice, per CPU, in slots
 * indexed by a hash of the sender: bounded, and a sender that collides
 * with another only gets its next notice early.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RUMOR_XDP_NOTICE_SLOTS);
	__type(key, __u32);
	__type(value, struct rumor_xdp_notice);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} notices SEC(".maps");

/* IHAVE counters per peer (sender node id), per CPU, LRU-bounded. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, RUMOR_XDP_MAX_PEERS);
	__type(key, __u64);
	__type(value, struct rumor_xdp_peer);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} peers SEC(".maps");

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

static __always_inline struct rumor_xdp_origin_set *origin_set(__u64 id)
{
	__u32 key = rumor_xdp_origin_hash(id) & (rumor_xdp_config.origin_sets - 1);

	return bpf_map_lookup_elem(&origins, &key);
}

/*
 * Plumtree prunes an eager peer that sends it a copy it already has; if XDP
 * dropped every duplicate the module would never know. So a sender's
 * duplicate passes as a notice when that sender has had none for a notice
 * interval: one is all the module needs to prune it, and in a stable tree
 * there are none. Per CPU, so no atomics: a sender gets at most one notice
 * per CPU and interval. The clock is read only when the jiffies gate opens.
 */
static __always_inline int duplicate(struct rumor_xdp_stats *s, __u64 sender,
				     __u64 now_j)
{
	__u32 key = rumor_xdp_origin_hash(sender) & (RUMOR_XDP_NOTICE_SLOTS - 1);
	struct rumor_xdp_notice *n = bpf_map_lookup_elem(&notices, &key);
	__u64 now;

	if (!n)
		goto drop;	/* cannot happen: the key is masked */
	if (n->sender == sender) {
		if ((__s64)(now_j - n->notice_at) < 0)
			goto drop;
		now = bpf_ktime_get_ns();
		if (now - n->noticed_ns < rumor_xdp_config.notice_interval_ns) {
			n->notice_at = now_j + ns_to_jiffies(rumor_xdp_config.notice_interval_ns -
							     (now - n->noticed_ns));
			goto drop;
		}
	} else {
		/* A sender new to the slot: its first duplicate is a notice. */
		n->sender = sender;
		now = bpf_ktime_get_ns();
	}
	n->noticed_ns = now;
	n->notice_at = now_j + ns_to_jiffies(rumor_xdp_config.notice_interval_ns);
	s->gossip_dup_notice++;
	return XDP_PASS;
drop:
	s->gossip_duplicate++;
	return XDP_DROP;
}

static __always_inline int judge_gossip(struct rumor_xdp_stats *s,
					const struct rumor_wire_hdr *h,
					const struct rumor_wire_gossip *g)
{
	__u64 id = rumor_ntoh64(g->origin), now_j = bpf_jiffies64();
	struct rumor_xdp_origin_set *set = origin_set(id);
	enum rumor_xdp_claim why = RUMOR_XDP_CLAIM_BUSY;
	enum rumor_window_verdict v;
	struct rumor_xdp_origin *o;
	__u8 gen;
	int way;

	if (!set) {
		s->gossip_no_window++;	/* cannot happen: the key is masked */
		return XDP_PASS;
	}
	way = origin_get(s, set, id, &gen, now_j, &why);
	if (way < 0) {
		if (why == RUMOR_XDP_CLAIM_FULL)
			s->gossip_no_window++;
		else
			s->gossip_busy++;
		return XDP_PASS;
	}
	o = &set->way[way & (RUMOR_XDP_ORIGIN_WAYS - 1)];
	v = rumor_window_test_and_set_gen(&o->window, rumor_ntoh64(g->seq), gen);
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
		if (READ_ONCE_U64(o->used) != now_j)
			o->used = now_j;
		s->gossip_passed++;
		return XDP_PASS;
	case RUMOR_WINDOW_DUP:
		return duplicate(s, rumor_ntoh64(h->sender), now_j);
	case RUMOR_WINDOW_OLD:
		s->gossip_too_old++;
		return XDP_DROP;
	case RUMOR_WINDOW_BUSY:
	case RUMOR_WINDOW_STALE:
		break;
	}
	s->gossip_busy++;
	return XDP_PASS;
}

/* Has the message @id been seen here? Read-only: IHAVE marks nothing. */
static __always_inline bool seen(const struct rumor_wire_id *id)
{
	__u64 origin = rumor_ntoh64(id->origin);
	struct rumor_xdp_origin_set *set = origin_set(origin);
	struct rumor_xdp_origin *o;
	__u8 gen;
	int way;

	if (!set)
		return false;
	way = origin_find(set, origin, &gen);
	if (way < 0)
		return false;
	o = &set->way[way & (RUMOR_XDP_ORIGIN_WAYS - 1)];
	/* Too old to judge counts as seen, as in the module: nothing to fetch. */
	switch (rumor_window_test_gen(&o->window, rumor_ntoh64(id->seq), gen)) {
	case RUMOR_WINDOW_DUP:
	case RUMOR_WINDOW_OLD:
		return true;
	default:
		return false;
	}
}

/* This peer's counters on this CPU, created zeroed on first sight. */
static __always_inline struct rumor_xdp_peer *peer_get(struct rumor_xdp_stats *s,
						       __u64 sender)
{
	struct rumor_xdp_peer *p, zero = {};

	p = bpf_map_lookup_elem(&peers, &sender);
	if (p)
		return p;
	/* As for notices: the first sample comes an interval after the peer. */
	zero.sampled_ns = bpf_ktime_get_ns();
	if (!bpf_map_update_elem(&peers, &sender, &zero, BPF_NOEXIST))
		s->peers_inserted++;
	return bpf_map_lookup_elem(&peers, &sender);
}

/* What walking an IHAVE's ids with bpf_loop() found. */
struct ihave_walk {
	struct xdp_md *xdp;
	__u32 ids;		/* offset of the first id in the packet */
	enum rumor_wire_err err;
	bool all_seen;
};

/*
 * One id of the batch. A callback, so the verifier checks it once rather
 * than once per id of the largest batch; it finds the packet again from the
 * context, as packet pointers do not survive the trip through memory.
 */
static long ihave_check_id(__u64 i, void *arg)
{
	struct ihave_walk *w = arg;
	void *data = (void *)(long)w->xdp->data;
	void *end = (void *)(long)w->xdp->data_end;
	__u32 off = w->ids + (__u32)i * sizeof(struct rumor_wire_id);
	struct rumor_wire_id *id;

	if (off > RUMOR_XDP_MAX_FRAME) {
		w->err = RUMOR_WIRE_ETRUNC;
		return 1;
	}
	id = data + off;
	if ((void *)(id + 1) > end) {
		w->err = RUMOR_WIRE_ETRUNC;
		return 1;
	}
	if (rumor_wire_check_ihave_id(id)) {
		w->err = RUMOR_WIRE_EBODY;
		return 1;
	}
	/* Keep checking the rest: a bad id anywhere drops the lot. */
	if (w->all_seen && !seen(id))
		w->all_seen = false;
	return 0;
}

/*
 * An IHAVE is only worth the module's time if it announces something the
 * node lacks: then the module arms a GRAFT timer. One whose ids are all
 * seen is redundant and dropped, except one sample per peer and interval:
 * the module also compares the hops of announcements of messages it has,
 * to move the tree onto shorter paths (Plumtree's optimisation).
 */
static __always_inline int judge_ihave(struct rumor_xdp_cursor *c,
				       struct xdp_md *xdp,
				       struct rumor_xdp_stats *s,
				       const struct rumor_wire_hdr *h,
				       __u32 body_len)
{
	struct rumor_wire_ihave *ih = (void *)(h + 1);
	struct ihave_walk walk = {
		.xdp = xdp,
		.all_seen = true,
	};
	struct rumor_xdp_peer *p;
	__u32 count;
	__u64 now;

	if (!CURSOR_HAS(c, ih, struct rumor_wire_ihave))
		return drop_malformed(s, RUMOR_WIRE_ETRUNC);
	count = rumor_wire_ihave_count(ih, body_len);
	if (!count)
		return drop_malformed(s, RUMOR_WIRE_EBODY);
	walk.ids = (__u32)((void *)(ih + 1) - (void *)(long)xdp->data);
	bpf_loop(count, ihave_check_id, &walk, 0);
	if (walk.err)
		return drop_malformed(s, walk.err);

	s->ihave_messages++;
	s->ihave_ids += count;
	p = peer_get(s, rumor_ntoh64(h->sender));
	if (p) {
		p->ihave_messages++;
		p->ihave_ids += count;
	}
	if (!walk.all_seen) {
		s->ihave_passed++;
		return XDP_PASS;
	}
	if (p && rumor_xdp_config.sample_interval_ns) {
		now = bpf_ktime_get_ns();
		if (now - p->sampled_ns >= rumor_xdp_config.sample_interval_ns) {
			p->sampled_ns = now;
			p->ihave_sampled++;
			s->ihave_sampled++;
			return XDP_PASS;
		}
	}
	if (p)
		p->ihave_redundant++;
	s->ihave_redundant++;
	return XDP_DROP;
}

/* @udph is within the packet; the datagram after it may not be. */
static __always_inline int judge_datagram(struct rumor_xdp_cursor *c,
					  struct xdp_md *xdp,
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
	if (h->type == RUMOR_WIRE_IHAVE)
		return judge_ihave(c, xdp, s, h, udp_len - sizeof(*udph) - sizeof(*h));
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

/*
 * Is the datagram addressed to this node? A host may also route rumor
 * traffic between other nodes; judging that here would drop or mark what
 * is not ours (and then drop our own first copy as a duplicate).
 */
static __always_inline bool for_us(const struct rumor_xdp_cursor *c)
{
	const struct iphdr *iph = c->l3;
	const struct ipv6hdr *ip6h = c->l3;
	int i;

	if (!c->ipv6) {
#pragma unroll
		for (i = 0; i < RUMOR_XDP_MAX_ADDRS; i++) {
			if (i >= rumor_xdp_config.nr_addr4)
				break;
			if (iph->daddr == rumor_xdp_config.addr4[i])
				return true;
		}
		return false;
	}
#pragma unroll
	for (i = 0; i < RUMOR_XDP_MAX_ADDRS; i++) {
		const volatile __be32 *a = rumor_xdp_config.addr6[i];

		if (i >= rumor_xdp_config.nr_addr6)
			break;
		if (ip6h->daddr.in6_u.u6_addr32[0] == a[0] &&
		    ip6h->daddr.in6_u.u6_addr32[1] == a[1] &&
		    ip6h->daddr.in6_u.u6_addr32[2] == a[2] &&
		    ip6h->daddr.in6_u.u6_addr32[3] == a[3])
			return true;
	}
	return false;
}

/* The whole judgement, apart from its section so that benchmarks can wrap it. */
static __always_inline int rumor_xdp_judge(struct xdp_md *ctx)
{
	struct rumor_xdp_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	struct udphdr *udph = parse_to_udp(&c);

	if (!udph || udph->dest != bpf_htons(rumor_xdp_config.port))
		return XDP_PASS;
	if (!for_us(&c)) {
		struct rumor_xdp_stats *s;
		__u32 key = 0;

		s = bpf_map_lookup_elem(&stats, &key);
		if (s)
			s->transit_passed++;
		return XDP_PASS;
	}
	return judge_datagram(&c, ctx, udph);
}

SEC("xdp")
int rumor_xdp(struct xdp_md *ctx)
{
	return rumor_xdp_judge(ctx);
}

char LICENSE[] SEC("license") = "GPL";
