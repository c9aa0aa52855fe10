// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The set of received message ids: one duplicate window (window.h) per
 * origin, in a table bounded by max_origins that forgets the least recently
 * used origin when full. Forgetting can only let an old copy of one of that
 * origin's messages through again, so every eviction is counted.
 */
#include "node_int.h"

struct rumor_origin {
	struct rumor_hnode h;		/* k1: origin id */
	struct rumor_list lru;
	struct rumor_window win;
};

int rumor_origins_init(struct rumor_node *n)
{
	return rumor_htable_init(&n->origins, n->env, n->cfg.max_origins);
}

void rumor_origins_free(struct rumor_node *n)
{
	while (!rumor_list_empty(&n->origins_lru)) {
		struct rumor_origin *o = rumor_container_of(n->origins_lru.next,
							    struct rumor_origin, lru);

		rumor_list_del(&o->lru);
		rumor_free(n, o, sizeof(*o));
	}
	rumor_htable_free(&n->origins, n->env);
}

static struct rumor_origin *lookup(struct rumor_node *n, __u64 origin)
{
	struct rumor_hnode *h = rumor_htable_find(&n->origins, origin, 0);

	return h ? rumor_container_of(h, struct rumor_origin, h) : NULL;
}

static struct rumor_origin *insert(struct rumor_node *n, __u64 origin)
{
	struct rumor_origin *o = NULL;

	if (n->origins.count < n->cfg.max_origins)
		o = rumor_alloc(n, sizeof(*o));
	if (!o) {
		/* Full, or no memory: the least recently used makes room. */
		if (rumor_list_empty(&n->origins_lru))
			return NULL;
		o = rumor_container_of(n->origins_lru.prev, struct rumor_origin,
				       lru);
		rumor_htable_remove(&n->origins, &o->h);
		rumor_list_del(&o->lru);
		__builtin_memset(&o->win, 0, sizeof(o->win));
		n->stats.origins_evicted++;
	}
	o->h.k1 = origin;
	o->h.k2 = 0;
	rumor_htable_insert(&n->origins, n->env, &o->h);
	rumor_list_add(&o->lru, &n->origins_lru);
	return o;
}

enum rumor_origin_verdict rumor_origins_mark(struct rumor_node *n,
					     __u64 origin, __u64 seq)
{
	struct rumor_origin *o;

	/* Our own messages, back round a cycle (or forged): never new. */
	if (origin == n->id)
		return RUMOR_ORIGIN_DUP;
	o = lookup(n, origin);
	if (o) {
		rumor_list_del(&o->lru);
		rumor_list_add(&o->lru, &n->origins_lru);
	} else {
		o = insert(n, origin);
		if (!o)
			return RUMOR_ORIGIN_NOMEM;
	}
	/* The node is serialised: the core window never reports BUSY here. */
	switch (rumor_window_test_and_set(&o->win, seq)) {
	case RUMOR_WINDOW_NEW:
		return RUMOR_ORIGIN_NEW;
	case RUMOR_WINDOW_DUP:
		return RUMOR_ORIGIN_DUP;
	default:
		return RUMOR_ORIGIN_OLD;
	}
}

int rumor_origins_seen(struct rumor_node *n, __u64 origin, __u64 seq)
{
	struct rumor_origin *o;

	if (origin == n->id)
		return 1;
	o = lookup(n, origin);
	/* Too old to judge counts as seen: nothing to fetch for it. */
	return o && rumor_window_test(&o->win, seq) != RUMOR_WINDOW_NEW;
}
