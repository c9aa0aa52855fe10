// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * HyParView membership: a small symmetric active view (the overlay that
 * messages travel on) and a larger passive view of replacements, kept fresh
 * by random walks (JOIN, FORWARD_JOIN) and periodic SHUFFLEs.
 *
 * The paper assumes TCP, which tells a sender when a neighbour dies; over
 * UDP an active peer that says nothing for ping_interval gets a PING, and
 * one silent for fail_timeout is dead. Links are made with NEIGHBOR and
 * confirmed with NEIGHBOR_REPLY, so both ends agree that they are
 * neighbours; JOIN and FORWARD_JOIN end with the accepting node sending a
 * high priority NEIGHBOR to the joiner.
 *
 * A node never needs to know its own address: a member's address is the
 * UDP source of what it sends, filled in by whoever receives it first
 * (the contact for a JOIN, the first hop for a SHUFFLE).
 */
#include "node_int.h"

static int member_valid(const struct rumor_node *n, const struct rumor_member *m)
{
	return m->id && m->id != n->id && m->ep.family;
}

struct rumor_peer *rumor_hv_find(struct rumor_node *n, __u64 id)
{
	__u32 i;

	for (i = 0; i < n->nactive; i++)
		if (n->active[i]->m.id == id)
			return n->active[i];
	return NULL;
}

static int active_index(struct rumor_node *n, __u64 id)
{
	__u32 i;

	for (i = 0; i < n->nactive; i++)
		if (n->active[i]->m.id == id)
			return (int)i;
	return -1;
}

/* A random active peer other than @not1 and @not2 (ids), or NULL. */
static struct rumor_peer *random_active(struct rumor_node *n, __u64 not1,
					__u64 not2)
{
	__u32 i, k = 0, pick;

	for (i = 0; i < n->nactive; i++)
		if (n->active[i]->m.id != not1 && n->active[i]->m.id != not2)
			k++;
	if (!k)
		return NULL;
	pick = rumor_random_below(n, k);
	for (i = 0; i < n->nactive; i++) {
		if (n->active[i]->m.id == not1 || n->active[i]->m.id == not2)
			continue;
		if (!pick--)
			return n->active[i];
	}
	return NULL;
}

static void send_neighbor(struct rumor_node *n, const struct rumor_ep *to,
			  __u8 type, __u8 value)
{
	__u8 buf[RUMOR_WIRE_HLEN + sizeof(struct rumor_wire_neighbor)];
	int len = rumor_wire_put_neighbor(buf, sizeof(buf), type, n->id, value);

	if (len > 0) {
		rumor_send(n, to, buf, (__u32)len, NULL, 0);
		n->stats.tx_control++;
	}
}

static void send_forward_join(struct rumor_node *n, const struct rumor_ep *to,
			      __u8 ttl, const struct rumor_member *joiner)
{
	__u8 buf[RUMOR_WIRE_HLEN + sizeof(struct rumor_wire_forward_join)];
	int len = rumor_wire_put_forward_join(buf, sizeof(buf), n->id, ttl,
					      joiner);

	if (len > 0) {
		rumor_send(n, to, buf, (__u32)len, NULL, 0);
		n->stats.tx_control++;
	}
}

/* ---- passive view ---- */

static int passive_index(struct rumor_node *n, const struct rumor_member *m)
{
	__u32 i;

	for (i = 0; i < n->npassive; i++)
		if (n->passive[i].id == m->id ||
		    rumor_ep_equal(&n->passive[i].ep, &m->ep))
			return (int)i;
	return -1;
}

static void passive_remove_at(struct rumor_node *n, __u32 i)
{
	n->npassive--;
	n->passive[i] = n->passive[n->npassive];
	n->passive_fails[i] = n->passive_fails[n->npassive];
}

static void passive_remove(struct rumor_node *n, const struct rumor_member *m)
{
	int i = passive_index(n, m);

	if (i >= 0)
		passive_remove_at(n, (__u32)i);
}

static int in_list(const struct rumor_member *list, __u32 len, __u64 id)
{
	while (len--)
		if (list[len].id == id)
			return 1;
	return 0;
}

/*
 * Add @m to the passive view. When it is full, an entry that is also in
 * @prefer (what we just sent away in a shuffle) goes first, else a random
 * one. An entry with the same address but another id is a restarted node:
 * the new id replaces the old.
 */
static void passive_add(struct rumor_node *n, const struct rumor_member *m,
			const struct rumor_member *prefer, __u32 nprefer)
{
	__u32 i, victim;
	int at;

	if (!member_valid(n, m) || rumor_hv_find(n, m->id))
		return;
	at = passive_index(n, m);
	if (at >= 0) {
		/* Fresh news of it: forget its unanswered requests. */
		n->passive[at] = *m;
		n->passive_fails[at] = 0;
		return;
	}
	if (!n->cfg.passive_size)
		return;
	if (n->npassive < n->cfg.passive_size) {
		n->passive_fails[n->npassive] = 0;
		n->passive[n->npassive++] = *m;
		return;
	}
	victim = rumor_random_below(n, n->npassive);
	for (i = 0; i < n->npassive; i++) {
		if (in_list(prefer, nprefer, n->passive[i].id)) {
			victim = i;
			break;
		}
	}
	n->passive[victim] = *m;
	n->passive_fails[victim] = 0;
}

/* ---- pending NEIGHBOR requests ---- */

static int pending_index(struct rumor_node *n, __u64 id)
{
	__u32 i;

	for (i = 0; i < n->npending; i++)
		if (n->pending[i].m.id == id)
			return (int)i;
	return -1;
}

static void pending_remove(struct rumor_node *n, __u64 id)
{
	int i = pending_index(n, id);

	if (i >= 0)
		n->pending[i] = n->pending[--n->npending];
}

/* ---- active view ---- */

static void active_remove_at(struct rumor_node *n, __u32 i, int to_passive)
{
	struct rumor_peer *p = n->active[i];
	struct rumor_member m = p->m;

	n->active[i] = n->active[--n->nactive];
	rumor_pt_neighbor_down(n, p);
	n->stats.neighbor_down++;
	if (p->lazy)
		rumor_free(n, p->lazy, n->cfg.lazy_queue_len * sizeof(*p->lazy));
	rumor_free(n, p, sizeof(*p));
	if (to_passive)
		passive_add(n, &m, NULL, 0);
	n->env->neighbor(n->env->host, &m, 0);
}

/* Make room by dropping a random neighbour, which is told so. */
static void active_drop_random(struct rumor_node *n)
{
	__u32 i = rumor_random_below(n, n->nactive);

	rumor_send_empty(n, &n->active[i]->m.ep, RUMOR_WIRE_DISCONNECT);
	n->stats.tx_control++;
	active_remove_at(n, i, 1);
}

static struct rumor_peer *active_add(struct rumor_node *n,
				     const struct rumor_member *m)
{
	struct rumor_peer *p;
	__u64 now = rumor_now(n);

	if (!member_valid(n, m))
		return NULL;
	p = rumor_hv_find(n, m->id);
	if (p) {
		p->m.ep = m->ep;
		return p;
	}
	p = rumor_alloc(n, sizeof(*p));
	/* Only Plumtree announces lazily. */
	if (p && n->cfg.mode == RUMOR_MODE_PLUMTREE) {
		p->lazy = rumor_alloc(n, n->cfg.lazy_queue_len * sizeof(*p->lazy));
		if (!p->lazy) {
			rumor_free(n, p, sizeof(*p));
			p = NULL;
		}
	}
	if (!p) {
		n->stats.nomem++;
		return NULL;
	}
	if (n->nactive >= n->cfg.active_size)
		active_drop_random(n);
	p->m = *m;
	p->since = now;
	p->last_rx = now;
	n->active[n->nactive++] = p;
	passive_remove(n, m);
	pending_remove(n, m->id);
	n->stats.neighbor_up++;
	rumor_pt_neighbor_up(n, p);
	n->env->neighbor(n->env->host, &p->m, 1);
	/* Watch the new link from now on. */
	rumor_timer_want(n, now + rumor_ms(n->cfg.ping_interval_ms));
	return p;
}

/* Accept @m as a neighbour and tell it so, with a high priority request. */
static void adopt(struct rumor_node *n, const struct rumor_member *m)
{
	if (active_add(n, m))
		send_neighbor(n, &m->ep, RUMOR_WIRE_NEIGHBOR, 1);
}

/* ---- shuffles ---- */

/* Up to @max members: @nact random active ones and @npas random passive. */
static __u32 sample(struct rumor_node *n, struct rumor_member *out, __u32 max,
		    __u32 nact, __u32 npas, __u64 skip)
{
	__u32 k = 0, i, tries;

	for (tries = 0; k < nact && tries < 4 * nact + 8; tries++) {
		struct rumor_peer *p = random_active(n, skip, 0);

		if (!p)
			break;
		if (!in_list(out, k, p->m.id) && k < max)
			out[k++] = p->m;
	}
	for (i = 0, tries = 0; i < npas && tries < 4 * npas + 8 && n->npassive;
	     tries++) {
		struct rumor_member *m = &n->passive[rumor_random_below(n, n->npassive)];

		if (!in_list(out, k, m->id) && k < max) {
			out[k++] = *m;
			i++;
		}
	}
	return k;
}

static void start_shuffle(struct rumor_node *n)
{
	struct rumor_member origin = { .id = n->id };
	struct rumor_peer *to = random_active(n, 0, 0);
	__u32 k;
	int len;

	if (!to)
		return;
	k = sample(n, n->shuffled, RUMOR_WIRE_SHUFFLE_MAX, n->cfg.shuffle_active,
		   n->cfg.shuffle_passive, to->m.id);
	n->nshuffled = k;
	do {
		n->shuffle_nonce = (__u32)n->env->random(n->env->host);
	} while (!n->shuffle_nonce);
	/* Origin family 0: the first hop fills in our address. */
	len = rumor_wire_put_shuffle(n->txbuf, sizeof(n->txbuf),
				     RUMOR_WIRE_SHUFFLE, n->id,
				     n->cfg.shuffle_ttl, n->shuffle_nonce,
				     &origin, n->shuffled, k);
	if (len < 0)
		return;
	rumor_send(n, &to->m.ep, n->txbuf, (__u32)len, NULL, 0);
	n->stats.tx_control++;
	n->stats.shuffles++;
}

static void shuffle_integrate(struct rumor_node *n, const struct rumor_msg *msg,
			      const struct rumor_member *sent, __u32 nsent)
{
	struct rumor_member m;
	__u32 i;

	for (i = 0; i < msg->shuffle.count; i++) {
		rumor_wire_shuffle_member(msg, i, &m);
		passive_add(n, &m, sent, nsent);
	}
}

static void receive_shuffle(struct rumor_node *n, struct rumor_peer *from,
			    const struct rumor_ep *src,
			    const struct rumor_msg *msg)
{
	struct rumor_member origin = msg->shuffle.origin;
	struct rumor_member *list = n->scratch;
	__u8 ttl = msg->shuffle.ttl ? msg->shuffle.ttl - 1 : 0;
	struct rumor_peer *next;
	__u32 i, k;
	int len;

	if (!origin.ep.family) {
		/* Only the origin itself may leave its address out. */
		if (origin.id != msg->sender)
			return;
		origin.ep = *src;
	}
	if (origin.id == n->id)
		return;

	next = ttl && n->nactive > 1 ? random_active(n, from->m.id, origin.id) : NULL;
	if (next) {
		for (i = 0; i < msg->shuffle.count; i++)
			rumor_wire_shuffle_member(msg, i, &list[i]);
		len = rumor_wire_put_shuffle(n->txbuf, sizeof(n->txbuf),
					     RUMOR_WIRE_SHUFFLE, n->id, ttl,
					     msg->shuffle.nonce, &origin, list,
					     msg->shuffle.count);
		if (len > 0) {
			rumor_send(n, &next->m.ep, n->txbuf, (__u32)len, NULL, 0);
			n->stats.tx_control++;
		}
		return;
	}

	/* The walk ends here: answer the origin, then keep what it sent. */
	k = msg->shuffle.count + 1;
	if (k > RUMOR_WIRE_SHUFFLE_MAX)
		k = RUMOR_WIRE_SHUFFLE_MAX;
	k = sample(n, list, k, 0, k, origin.id);
	len = rumor_wire_put_shuffle(n->txbuf, sizeof(n->txbuf),
				     RUMOR_WIRE_SHUFFLE_REPLY, n->id, 0,
				     msg->shuffle.nonce, NULL, list, k);
	if (len > 0) {
		rumor_send(n, &origin.ep, n->txbuf, (__u32)len, NULL, 0);
		n->stats.tx_control++;
	}
	passive_add(n, &origin, list, k);
	shuffle_integrate(n, msg, list, k);
}

/* ---- receiving ---- */

void rumor_hv_receive(struct rumor_node *n, const struct rumor_ep *from,
		      const struct rumor_msg *msg)
{
	struct rumor_member sender = { .id = msg->sender, .ep = *from };
	struct rumor_peer *p = rumor_hv_find(n, msg->sender);
	__u32 i;

	n->stats.rx_control++;
	switch (msg->type) {
	case RUMOR_WIRE_JOIN:
		/* We are the contact: take the joiner, walk it to the others. */
		if (!member_valid(n, &sender))
			return;
		if (p) {
			/* Our answer was lost: the joiner asks again. */
			send_neighbor(n, from, RUMOR_WIRE_NEIGHBOR, 1);
			return;
		}
		adopt(n, &sender);
		p = rumor_hv_find(n, sender.id);
		if (p)
			p->our_joiner = 1;
		for (i = 0; i < n->nactive; i++)
			if (n->active[i]->m.id != sender.id)
				send_forward_join(n, &n->active[i]->m.ep,
						  n->cfg.arwl, &sender);
		return;

	case RUMOR_WIRE_FORWARD_JOIN: {
		const struct rumor_member *j = &msg->forward_join.joiner;
		struct rumor_peer *next;
		__u8 ttl = msg->forward_join.ttl;

		if (!p) {
			n->stats.rx_stranger++;
			return;
		}
		if (!member_valid(n, j) || rumor_hv_find(n, j->id))
			return;
		if (ttl == 0 || n->nactive <= 1) {
			adopt(n, j);
			return;
		}
		if (ttl == n->cfg.prwl)
			passive_add(n, j, NULL, 0);
		next = random_active(n, p->m.id, j->id);
		if (next)
			send_forward_join(n, &next->m.ep, ttl - 1, j);
		else
			adopt(n, j);
		return;
	}

	case RUMOR_WIRE_NEIGHBOR: {
		int accept = p || msg->value ||
			     n->nactive < n->cfg.active_size;

		if (!member_valid(n, &sender))
			return;
		/* A contact taking us in answers our JOIN. */
		for (i = 0; i < n->ncontacts; i++)
			if (rumor_ep_equal(&n->contacts[i], from))
				n->joined = 1;
		if (accept && !active_add(n, &sender))
			accept = 0;
		send_neighbor(n, from, RUMOR_WIRE_NEIGHBOR_REPLY, (__u8)accept);
		return;
	}

	case RUMOR_WIRE_NEIGHBOR_REPLY:
		if (pending_index(n, sender.id) < 0) {
			/* Only a link we asked for, or already have, counts. */
			if (!p)
				n->stats.rx_stranger++;
			else if (!msg->value)
				active_remove_at(n, (__u32)active_index(n, p->m.id), 1);
			return;
		}
		pending_remove(n, sender.id);
		if (msg->value) {
			active_add(n, &sender);
		} else {
			/* Alive but full: ask elsewhere, and not at once. */
			int at = passive_index(n, &sender);

			if (at >= 0)
				n->passive_fails[at] = 0;
			n->next_promote = rumor_now(n) +
				rumor_ms(n->cfg.neighbor_timeout_ms);
		}
		return;

	case RUMOR_WIRE_DISCONNECT:
		pending_remove(n, sender.id);
		if (p)
			active_remove_at(n, (__u32)active_index(n, p->m.id), 1);
		return;

	case RUMOR_WIRE_SHUFFLE:
		if (!p) {
			n->stats.rx_stranger++;
			return;
		}
		receive_shuffle(n, p, from, msg);
		return;

	case RUMOR_WIRE_SHUFFLE_REPLY:
		if (!n->shuffle_nonce || msg->shuffle.nonce != n->shuffle_nonce) {
			n->stats.rx_stranger++;
			return;
		}
		n->shuffle_nonce = 0;
		shuffle_integrate(n, msg, n->shuffled, n->nshuffled);
		return;

	case RUMOR_WIRE_PING:
		if (p) {
			rumor_send_empty(n, from, RUMOR_WIRE_PONG);
		} else {
			/* It thinks we are neighbours; we do not: say so. */
			n->stats.rx_stranger++;
			rumor_send_empty(n, from, RUMOR_WIRE_DISCONNECT);
		}
		n->stats.tx_control++;
		return;

	case RUMOR_WIRE_PONG:
		if (!p)
			n->stats.rx_stranger++;
		return;
	}
}

/* ---- timers ---- */

/*
 * A random passive member to ask for a link: one that has not just failed
 * to answer when there is any (a dead member then costs one timeout, a
 * lost datagram costs nothing), not already asked. -1 when none is left.
 */
static int pick_passive(struct rumor_node *n)
{
	__u32 i, k, count[2] = { 0, 0 }, pick;
	int fresh;

	/* count[1]: members that answered last time, count[0]: the others. */
	for (i = 0; i < n->npassive; i++)
		if (pending_index(n, n->passive[i].id) < 0)
			count[n->passive_fails[i] == 0]++;
	fresh = count[1] != 0;
	if (!count[fresh])
		return -1;
	pick = rumor_random_below(n, count[fresh]);
	for (i = 0, k = 0; i < n->npassive; i++) {
		if (pending_index(n, n->passive[i].id) >= 0 ||
		    (n->passive_fails[i] == 0) != fresh)
			continue;
		if (k++ == pick)
			return (int)i;
	}
	return -1;
}

/* Ask passive members to fill the free places of the active view. */
static void promote(struct rumor_node *n, __u64 now)
{
	if (now < n->next_promote) {
		rumor_timer_want(n, n->next_promote);
		return;
	}
	while (n->nactive + n->npending < n->cfg.active_size) {
		int at = pick_passive(n);
		struct rumor_pending *pd;

		if (at < 0)
			return;
		pd = &n->pending[n->npending++];
		pd->m = n->passive[at];
		pd->deadline = now + rumor_ms(n->cfg.neighbor_timeout_ms);
		/* Alone, we insist; otherwise the other side may decline. */
		send_neighbor(n, &pd->m.ep, RUMOR_WIRE_NEIGHBOR, n->nactive == 0);
		rumor_timer_want(n, pd->deadline);
	}
}

static void check_links(struct rumor_node *n, __u64 now)
{
	__u64 ping = rumor_ms(n->cfg.ping_interval_ms);
	__u64 fail = rumor_ms(n->cfg.fail_timeout_ms);
	__u32 i = 0;

	while (i < n->nactive) {
		struct rumor_peer *p = n->active[i];

		if (now >= p->last_rx + fail) {
			/* Dead, not just gone: it does not go to the passive view. */
			n->stats.peer_failed++;
			active_remove_at(n, i, 0);
			continue;
		}
		if (now >= p->last_rx + ping &&
		    (!p->ping_out || now >= p->last_ping + ping)) {
			rumor_send_empty(n, &p->m.ep, RUMOR_WIRE_PING);
			n->stats.tx_control++;
			p->ping_out = 1;
			p->last_ping = now;
		}
		rumor_timer_want(n, p->last_rx + fail);
		rumor_timer_want(n, p->ping_out ? p->last_ping + ping :
						  p->last_rx + ping);
		i++;
	}
}

/* Every neighbour joined through us: nobody links us to the overlay. */
static int island(struct rumor_node *n)
{
	__u32 i;

	for (i = 0; i < n->nactive; i++)
		if (!n->active[i]->our_joiner)
			return 0;
	return 1;
}

void rumor_hv_timer(struct rumor_node *n, __u64 now)
{
	__u32 i = 0;

	check_links(n, now);

	/*
	 * A request without a reply: after two in a row that member is
	 * presumably gone (one could be a lost datagram).
	 */
	while (i < n->npending) {
		struct rumor_pending *pd = &n->pending[i];
		int at;

		if (now < pd->deadline) {
			rumor_timer_want(n, pd->deadline);
			i++;
			continue;
		}
		at = passive_index(n, &pd->m);
		if (at >= 0 && ++n->passive_fails[at] >= 2)
			passive_remove_at(n, (__u32)at);
		*pd = n->pending[--n->npending];
	}
	promote(n, now);

	/*
	 * JOIN again while alone, until a contact has answered, and while
	 * every neighbour is a node that joined through us: our own JOIN was
	 * lost, or we were dropped at once, and we and our joiners are an
	 * island that would otherwise never meet the overlay.
	 */
	if (n->ncontacts && (!n->nactive || !n->joined || island(n))) {
		if (now >= n->next_join) {
			rumor_send_empty(n, &n->contacts[n->next_contact++ %
							 n->ncontacts],
					 RUMOR_WIRE_JOIN);
			n->stats.tx_control++;
			n->next_join = now + rumor_ms(n->cfg.join_interval_ms);
		}
		rumor_timer_want(n, n->next_join);
	}

	if (now >= n->next_shuffle) {
		if (n->nactive)
			start_shuffle(n);
		/* Jitter by up to a quarter, so that nodes do not beat in step. */
		n->next_shuffle = now + rumor_ms(n->cfg.shuffle_interval_ms) -
			rumor_random_below(n, n->cfg.shuffle_interval_ms / 4 + 1) *
			RUMOR_US_PER_MS;
	}
	rumor_timer_want(n, n->next_shuffle);
}

int rumor_node_join(struct rumor_node *n, const struct rumor_ep *contact)
{
	__u32 i;

	for (i = 0; i < n->ncontacts; i++)
		if (rumor_ep_equal(&n->contacts[i], contact))
			break;
	if (i == n->ncontacts) {
		if (n->ncontacts >= RUMOR_MAX_CONTACTS)
			return -1;
		n->contacts[n->ncontacts++] = *contact;
	}
	rumor_send_empty(n, contact, RUMOR_WIRE_JOIN);
	n->stats.tx_control++;
	n->joined = 0;
	n->next_join = rumor_now(n) + rumor_ms(n->cfg.join_interval_ms);
	rumor_timer_want(n, n->next_join);
	return 0;
}

int rumor_node_forget(struct rumor_node *n, const struct rumor_ep *contact)
{
	__u32 i;

	for (i = 0; i < n->ncontacts; i++) {
		if (rumor_ep_equal(&n->contacts[i], contact)) {
			n->contacts[i] = n->contacts[--n->ncontacts];
			return 0;
		}
	}
	return -1;
}

int rumor_hv_init(struct rumor_node *n)
{
	const struct rumor_config *c = &n->cfg;

	n->active = rumor_alloc(n, c->active_size * sizeof(*n->active));
	n->passive = rumor_alloc(n, (c->passive_size + 1) * sizeof(*n->passive));
	n->passive_fails = rumor_alloc(n, c->passive_size + 1);
	n->pending = rumor_alloc(n, c->active_size * sizeof(*n->pending));
	n->shuffled = rumor_alloc(n, RUMOR_WIRE_SHUFFLE_MAX * sizeof(*n->shuffled));
	if (!n->active || !n->passive || !n->passive_fails || !n->pending ||
	    !n->shuffled)
		return -1;
	/* First shuffle after a random part of the interval. */
	n->next_shuffle = rumor_now(n) +
		rumor_random_below(n, c->shuffle_interval_ms + 1) * RUMOR_US_PER_MS;
	return 0;
}

void rumor_hv_free(struct rumor_node *n)
{
	const struct rumor_config *c = &n->cfg;

	while (n->nactive) {
		struct rumor_peer *p = n->active[--n->nactive];

		if (p->lazy)
			rumor_free(n, p->lazy, c->lazy_queue_len * sizeof(*p->lazy));
		rumor_free(n, p, sizeof(*p));
	}
	if (n->active)
		rumor_free(n, n->active, c->active_size * sizeof(*n->active));
	if (n->passive)
		rumor_free(n, n->passive, (c->passive_size + 1) * sizeof(*n->passive));
	if (n->passive_fails)
		rumor_free(n, n->passive_fails, c->passive_size + 1);
	if (n->pending)
		rumor_free(n, n->pending, c->active_size * sizeof(*n->pending));
	if (n->shuffled)
		rumor_free(n, n->shuffled,
			   RUMOR_WIRE_SHUFFLE_MAX * sizeof(*n->shuffled));
}
