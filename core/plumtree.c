// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Plumtree: epidemic broadcast trees over the HyParView active view.
 *
 * Every active peer starts eager. A message's first copy is pushed whole
 * (GOSSIP) to the eager peers and announced (IHAVE, batched) to the lazy
 * ones; a peer that sends a copy we already have is pruned to lazy, so the
 * eager links converge on a spanning tree. An announced id that does not
 * arrive by graft_timeout is fetched with a GRAFT, which also makes the
 * announcer eager: the tree repairs itself where links or nodes failed.
 * When a message arrives over a path optimize_hops longer than one it was
 * announced on, the two links swap roles (the paper's optimisation).
 *
 * Flood mode pushes every first copy to `fanout` active peers and never
 * prunes; direct mode only delivers. Both are there for the simulator to
 * compare against.
 */
#include "node_int.h"

#define RUMOR_MAX_ANNOUNCERS	4

/*
 * One shared tree serves every origin, and a path shorter for one origin
 * can be longer for the next: with broadcasts from many origins in flight,
 * swapping at every chance makes parents flip back and forth, each swap
 * costing a GRAFT, a PRUNE and a few duplicates. A node swaps at most
 * this often.
 */
#define RUMOR_OPTIMISE_EVERY_US	(1000 * RUMOR_US_PER_MS)

/* An id that was announced to us and has not arrived. */
struct rumor_missing {
	struct rumor_hnode h;		/* k1 origin, k2 seq */
	struct rumor_list list;
	__u64 deadline;
	__u8 nann;
	struct {
		__u64 id;
		__u8 hops;
	} ann[RUMOR_MAX_ANNOUNCERS];	/* in order of arrival */
};

static struct rumor_missing *missing_find(struct rumor_node *n, __u64 origin,
					  __u64 seq)
{
	struct rumor_hnode *h = rumor_htable_find(&n->missing, origin, seq);

	return h ? rumor_container_of(h, struct rumor_missing, h) : NULL;
}

static void missing_remove(struct rumor_node *n, struct rumor_missing *m)
{
	rumor_htable_remove(&n->missing, &m->h);
	rumor_list_del(&m->list);
	rumor_free(n, m, sizeof(*m));
}

static void send_gossip(struct rumor_node *n, struct rumor_peer *p,
			__u64 origin, __u64 seq, __u8 hops, __u8 flags,
			const void *payload, __u32 len)
{
	__u8 hdr[RUMOR_WIRE_GOSSIP_HLEN];
	int hlen = rumor_wire_put_gossip_hdr(hdr, sizeof(hdr), n->id, hops,
					     flags, origin, seq, len);

	if (hlen < 0)
		return;
	rumor_send(n, &p->m.ep, hdr, (__u32)hlen, payload, len);
	n->stats.tx_gossip++;
	p->stats.tx_gossip++;
}

static void send_graft(struct rumor_node *n, struct rumor_peer *p,
		       __u64 origin, __u64 seq, __u8 hops)
{
	__u8 buf[RUMOR_WIRE_HLEN + sizeof(struct rumor_wire_id)];
	int len = rumor_wire_put_graft(buf, sizeof(buf), n->id, origin, seq,
				       hops);

	if (len < 0)
		return;
	rumor_send(n, &p->m.ep, buf, (__u32)len, NULL, 0);
	n->stats.tx_graft++;
	p->stats.grafts_sent++;
	p->grafted_at = rumor_now(n);
}

static void prune(struct rumor_node *n, struct rumor_peer *p)
{
	p->eager = 0;
	p->pruned_at = rumor_now(n);
	rumor_send_empty(n, &p->m.ep, RUMOR_WIRE_PRUNE);
	n->stats.tx_prune++;
	p->stats.prunes_sent++;
}

/* ---- lazy push ---- */

static void flush_lazy(struct rumor_node *n, struct rumor_peer *p)
{
	while (p->lazy_len) {
		__u32 count = p->lazy_len, i;
		int len;

		if (count > RUMOR_WIRE_IHAVE_MAX)
			count = RUMOR_WIRE_IHAVE_MAX;
		len = rumor_wire_put_ihave_hdr(n->txbuf, sizeof(n->txbuf), n->id,
					       count);
		if (len < 0)
			return;
		for (i = 0; i < count; i++) {
			const struct rumor_lazy_id *id = &p->lazy[p->lazy_head];

			rumor_wire_put_ihave_id(n->txbuf, i, id->origin, id->seq,
						id->hops);
			p->lazy_head = (p->lazy_head + 1) % n->cfg.lazy_queue_len;
		}
		p->lazy_len -= count;
		rumor_send(n, &p->m.ep, n->txbuf, (__u32)len, NULL, 0);
		n->stats.tx_ihave++;
		n->stats.tx_ihave_ids += count;
		p->stats.tx_ihave_ids += count;
	}
}

static void lazy_push(struct rumor_node *n, struct rumor_peer *p,
		      __u64 origin, __u64 seq, __u8 hops)
{
	__u32 size = n->cfg.lazy_queue_len;
	struct rumor_lazy_id *id;
	__u64 now;

	if (!size)
		return;
	if (p->lazy_len == size) {
		/* Bounded: the oldest announcement is the one to lose. */
		p->lazy_head = (p->lazy_head + 1) % size;
		p->lazy_len--;
		n->stats.lazy_dropped++;
		p->stats.lazy_dropped++;
	}
	id = &p->lazy[(p->lazy_head + p->lazy_len) % size];
	id->origin = origin;
	id->seq = seq;
	id->hops = hops;
	p->lazy_len++;
	if (p->lazy_len >= RUMOR_WIRE_IHAVE_MAX) {
		flush_lazy(n, p);
		return;
	}
	now = rumor_now(n);
	if (n->next_flush <= now)
		n->next_flush = now + rumor_ms(n->cfg.ihave_interval_ms);
	rumor_timer_want(n, n->next_flush);
}

/* ---- pushing a first copy on ---- */

static void push(struct rumor_node *n, struct rumor_peer *from,
		 __u64 origin, __u64 seq, __u8 hops, const void *payload,
		 __u32 len)
{
	__u32 i, fanout, sent = 0;

	if (n->cfg.mode == RUMOR_MODE_FLOOD) {
		fanout = n->cfg.fanout ? n->cfg.fanout : n->cfg.active_size;
		/* A random start: with fanout below the view, spread the load. */
		i = n->nactive ? rumor_random_below(n, n->nactive) : 0;
		for (__u32 k = 0; k < n->nactive && sent < fanout; k++) {
			struct rumor_peer *p = n->active[(i + k) % n->nactive];

			if (p == from)
				continue;
			send_gossip(n, p, origin, seq, hops, 0, payload, len);
			sent++;
		}
		return;
	}
	for (i = 0; i < n->nactive; i++) {
		struct rumor_peer *p = n->active[i];

		if (p == from)
			continue;
		if (p->eager)
			send_gossip(n, p, origin, seq, hops, 0, payload, len);
		else
			lazy_push(n, p, origin, seq, hops);
	}
}

int rumor_pt_broadcast(struct rumor_node *n, const void *payload, __u32 len,
		       __u64 *seq)
{
	if (len > n->cfg.max_payload)
		return -1;
	*seq = ++n->last_seq;
	n->stats.broadcasts++;
	if (n->cfg.mode == RUMOR_MODE_PLUMTREE)
		rumor_cache_put(n, n->id, *seq, 0, 0, payload, len);
	if (n->cfg.mode != RUMOR_MODE_DIRECT)
		push(n, NULL, n->id, *seq, 0, payload, len);
	return 0;
}

/* ---- receiving ---- */

/* Take the shorter path into the tree, drop the longer one. */
static void swap_parent(struct rumor_node *n, struct rumor_peer *shorter,
			struct rumor_peer *longer)
{
	__u64 now = rumor_now(n);

	if (now < n->next_optimise)
		return;
	n->next_optimise = now + RUMOR_OPTIMISE_EVERY_US;
	shorter->eager = 1;
	send_graft(n, shorter, 0, 0, 0);
	if (longer->eager)
		prune(n, longer);
	n->stats.tree_optimized++;
}

/*
 * The paper optimises when a message arrives over a path longer than one it
 * was announced on. Announcements are batched, so they mostly come after
 * the message: compare with the path it did come on as well.
 */
static void optimise_late(struct rumor_node *n, struct rumor_peer *announcer,
			  __u64 origin, __u64 seq, __u8 hops)
{
	struct rumor_cached *c = rumor_cache_find(n, origin, seq);
	struct rumor_peer *parent;

	if (!c || !c->from || c->from == announcer->m.id ||
	    announcer->eager || hops + n->cfg.optimize_hops > c->hops - 1)
		return;
	parent = rumor_hv_find(n, c->from);
	if (parent && parent->eager)
		swap_parent(n, announcer, parent);
}

static void receive_gossip(struct rumor_node *n, struct rumor_peer *p,
			   const struct rumor_ep *from,
			   const struct rumor_msg *msg)
{
	__u64 origin = msg->gossip.origin, seq = msg->gossip.seq;
	struct rumor_missing *miss;
	struct rumor_peer *shorter = NULL;
	__u8 hops = msg->hops;
	__u32 i;

	n->stats.rx_gossip++;
	if (p)
		p->stats.rx_gossip++;
	switch (rumor_origins_mark(n, origin, seq)) {
	case RUMOR_ORIGIN_NEW:
		break;
	case RUMOR_ORIGIN_DUP:
		n->stats.duplicates++;
		if (!p)
			return;
		p->stats.rx_duplicates++;
		/*
		 * A redundant eager link: cut it. Not a GRAFT's answer, and not
		 * a link grafted a moment ago: copies already in flight on the
		 * link it replaces make its first pushes look redundant.
		 */
		if (n->cfg.mode == RUMOR_MODE_PLUMTREE && p->eager &&
		    !(msg->flags & RUMOR_WIRE_F_GRAFTED) &&
		    rumor_now(n) >= p->grafted_at +
				    rumor_ms(n->cfg.graft_timeout_ms))
			prune(n, p);
		return;
	case RUMOR_ORIGIN_OLD:
		n->stats.too_old++;
		return;
	case RUMOR_ORIGIN_NOMEM:
		n->stats.nomem++;
		return;
	}

	n->stats.delivered++;
	n->env->deliver(n->env->host, msg, from);

	/* Announced on a path shorter by optimize_hops: remember by whom. */
	miss = missing_find(n, origin, seq);
	if (miss) {
		for (i = 0; i < miss->nann; i++) {
			struct rumor_peer *a = rumor_hv_find(n, miss->ann[i].id);

			if (a && a != p && n->cfg.optimize_hops &&
			    miss->ann[i].hops + n->cfg.optimize_hops <= hops) {
				shorter = a;
				break;
			}
		}
		missing_remove(n, miss);
	}

	if (n->cfg.mode == RUMOR_MODE_DIRECT)
		return;
	if (n->cfg.mode == RUMOR_MODE_PLUMTREE)
		rumor_cache_put(n, origin, seq, hops + 1, p ? p->m.id : 0,
				msg->gossip.payload, msg->gossip.payload_len);
	if (hops >= RUMOR_WIRE_MAX_HOPS)
		n->stats.hops_exceeded++;
	else
		push(n, p, origin, seq, hops + 1, msg->gossip.payload,
		     msg->gossip.payload_len);

	if (n->cfg.mode != RUMOR_MODE_PLUMTREE || !p)
		return;
	/*
	 * The link a first copy came over is in the tree, says the paper;
	 * but a copy already in flight when we pruned the link says nothing,
	 * and taking the link back would undo the prune (and a tree swap).
	 */
	if (!p->pruned_at ||
	    rumor_now(n) >= p->pruned_at + rumor_ms(n->cfg.graft_timeout_ms))
		p->eager = 1;
	if (shorter)
		swap_parent(n, shorter, p);
}

static void receive_ihave(struct rumor_node *n, struct rumor_peer *p,
			  const struct rumor_msg *msg)
{
	__u64 now = rumor_now(n), origin, seq;
	struct rumor_missing *m;
	__u32 i, k;
	__u8 hops;

	n->stats.rx_ihave++;
	n->stats.rx_ihave_ids += msg->ihave.count;
	p->stats.rx_ihave_ids += msg->ihave.count;
	for (i = 0; i < msg->ihave.count; i++) {
		rumor_wire_ihave_id(msg, i, &origin, &seq, &hops);
		if (rumor_origins_seen(n, origin, seq)) {
			if (n->cfg.optimize_hops)
				optimise_late(n, p, origin, seq, hops);
			continue;
		}
		m = missing_find(n, origin, seq);
		if (!m) {
			if (n->missing.count >= n->cfg.max_missing) {
				n->stats.missing_full++;
				continue;
			}
			m = rumor_alloc(n, sizeof(*m));
			if (!m) {
				n->stats.nomem++;
				continue;
			}
			m->h.k1 = origin;
			m->h.k2 = seq;
			m->deadline = now + rumor_ms(n->cfg.graft_timeout_ms);
			rumor_htable_insert(&n->missing, n->env, &m->h);
			rumor_list_add_tail(&m->list, &n->missing_list);
			rumor_timer_want(n, m->deadline);
		}
		for (k = 0; k < m->nann; k++)
			if (m->ann[k].id == p->m.id)
				break;
		if (k == m->nann && m->nann < RUMOR_MAX_ANNOUNCERS) {
			m->ann[m->nann].id = p->m.id;
			m->ann[m->nann].hops = hops;
			m->nann++;
		}
	}
}

static void receive_graft(struct rumor_node *n, struct rumor_peer *p,
			  const struct rumor_msg *msg)
{
	struct rumor_cached *c;

	n->stats.rx_graft++;
	p->stats.grafts_received++;
	p->eager = 1;
	if (!msg->graft.origin)
		return;
	c = rumor_cache_find(n, msg->graft.origin, msg->graft.seq);
	if (!c) {
		n->stats.graft_unknown++;
		return;
	}
	send_gossip(n, p, msg->graft.origin, msg->graft.seq, c->hops,
		    RUMOR_WIRE_F_GRAFTED, c->payload, c->len);
}

void rumor_pt_receive(struct rumor_node *n, struct rumor_peer *p,
		      const struct rumor_ep *from, const struct rumor_msg *msg)
{
	if (msg->type == RUMOR_WIRE_GOSSIP) {
		/* Data is data, whoever brings it; only neighbours steer the tree. */
		receive_gossip(n, p, from, msg);
		return;
	}
	if (!p || n->cfg.mode != RUMOR_MODE_PLUMTREE) {
		/* IHAVE, GRAFT and PRUNE from strangers would only cost memory. */
		n->stats.rx_stranger++;
		return;
	}
	switch (msg->type) {
	case RUMOR_WIRE_IHAVE:
		receive_ihave(n, p, msg);
		break;
	case RUMOR_WIRE_GRAFT:
		receive_graft(n, p, msg);
		break;
	case RUMOR_WIRE_PRUNE:
		n->stats.rx_prune++;
		p->stats.prunes_received++;
		p->eager = 0;
		break;
	}
}

/* ---- neighbours and timers ---- */

void rumor_pt_neighbor_up(struct rumor_node *n, struct rumor_peer *p)
{
	(void)n;
	p->eager = 1;
}

void rumor_pt_neighbor_down(struct rumor_node *n, struct rumor_peer *p)
{
	struct rumor_list *pos, *next;
	__u32 i;

	/* Its announcements can no longer be grafted from it. */
	for (pos = n->missing_list.next; pos != &n->missing_list; pos = next) {
		struct rumor_missing *m = rumor_container_of(pos, struct rumor_missing,
							     list);

		next = pos->next;
		for (i = 0; i < m->nann; i++) {
			if (m->ann[i].id != p->m.id)
				continue;
			for (; i + 1 < m->nann; i++)
				m->ann[i] = m->ann[i + 1];
			m->nann--;
			break;
		}
	}
}

static void graft_missing(struct rumor_node *n, __u64 now)
{
	struct rumor_list *pos, *next;

	for (pos = n->missing_list.next; pos != &n->missing_list; pos = next) {
		struct rumor_missing *m = rumor_container_of(pos, struct rumor_missing,
							     list);
		struct rumor_peer *a = NULL;

		next = pos->next;
		if (now < m->deadline) {
			rumor_timer_want(n, m->deadline);
			continue;
		}
		/* The first announcer still a neighbour gets the GRAFT. */
		while (m->nann && !a) {
			a = rumor_hv_find(n, m->ann[0].id);
			if (a) {
				a->eager = 1;
				send_graft(n, a, m->h.k1, m->h.k2, m->ann[0].hops);
			}
			for (__u32 i = 0; i + 1 < m->nann; i++)
				m->ann[i] = m->ann[i + 1];
			m->nann--;
		}
		if (!a) {
			n->stats.graft_gave_up++;
			missing_remove(n, m);
			continue;
		}
		m->deadline = now + rumor_ms(n->cfg.graft_retry_ms);
		rumor_timer_want(n, m->deadline);
	}
}

void rumor_pt_timer(struct rumor_node *n, __u64 now)
{
	__u32 i;
	int queued = 0;

	if (n->cfg.mode != RUMOR_MODE_PLUMTREE)
		return;
	graft_missing(n, now);
	if (now >= n->next_flush) {
		for (i = 0; i < n->nactive; i++)
			flush_lazy(n, n->active[i]);
	}
	for (i = 0; i < n->nactive; i++)
		queued |= n->active[i]->lazy_len != 0;
	if (queued)
		rumor_timer_want(n, n->next_flush);
	rumor_cache_expire(n, now);
}

int rumor_pt_init(struct rumor_node *n)
{
	if (rumor_htable_init(&n->missing, n->env, n->cfg.max_missing))
		return -1;
	return rumor_cache_init(n);
}

void rumor_pt_free(struct rumor_node *n)
{
	while (!rumor_list_empty(&n->missing_list))
		missing_remove(n, rumor_container_of(n->missing_list.next,
						     struct rumor_missing, list));
	rumor_htable_free(&n->missing, n->env);
	rumor_cache_free(n);
}
