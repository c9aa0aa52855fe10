// SPDX-License-Identifier: GPL-2.0
/*
 * Per-origin windows, hashed by origin id. Entries are never freed while the
 * instance is up except by eviction, so memory stays within max_origins
 * windows whatever the traffic.
 */
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/slab.h>

#include "dedup.h"

struct rumor_origin {
	struct hlist_node hnode;
	struct list_head lru;
	u64 origin;
	struct rumor_window win;
};

static struct kmem_cache *rumor_origin_cache;

int rumor_dedup_init(struct rumor_dedup *d, u32 max_origins)
{
	/* Aim for about two origins per bucket when the table is full. */
	d->bits = max_t(unsigned int, 4, ilog2(max(max_origins / 2, 1u)));
	d->buckets = kvcalloc(1u << d->bits, sizeof(*d->buckets), GFP_KERNEL);
	if (!d->buckets)
		return -ENOMEM;
	INIT_LIST_HEAD(&d->lru);
	d->count = 0;
	d->max = max_origins;
	d->evicted = 0;
	return 0;
}

void rumor_dedup_free(struct rumor_dedup *d)
{
	struct rumor_origin *o, *tmp;

	list_for_each_entry_safe(o, tmp, &d->lru, lru)
		kmem_cache_free(rumor_origin_cache, o);
	kvfree(d->buckets);
	d->buckets = NULL;
	d->count = 0;
}

static struct rumor_origin *lookup(struct rumor_dedup *d, u64 origin)
{
	struct rumor_origin *o;

	hlist_for_each_entry(o, &d->buckets[hash_64(origin, d->bits)], hnode)
		if (o->origin == origin)
			return o;
	return NULL;
}

/*
 * A new origin takes a fresh entry, or the least recently used one when the
 * table is full. Forgetting an origin can only let an old copy of one of its
 * messages through again, so each eviction is counted.
 */
static struct rumor_origin *insert(struct rumor_dedup *d, u64 origin)
{
	struct rumor_origin *o = NULL;

	if (d->count < d->max)
		o = kmem_cache_alloc(rumor_origin_cache, GFP_KERNEL);
	if (o) {
		d->count++;
	} else {
		if (list_empty(&d->lru))
			return NULL;
		o = list_last_entry(&d->lru, struct rumor_origin, lru);
		hlist_del(&o->hnode);
		list_del(&o->lru);
		d->evicted++;
	}
	memset(&o->win, 0, sizeof(o->win));
	o->origin = origin;
	hlist_add_head(&o->hnode, &d->buckets[hash_64(origin, d->bits)]);
	list_add(&o->lru, &d->lru);
	return o;
}

enum rumor_dedup_verdict rumor_dedup_check(struct rumor_dedup *d, u64 origin,
					   u64 seq)
{
	struct rumor_origin *o = lookup(d, origin);

	if (o) {
		list_move(&o->lru, &d->lru);
	} else {
		o = insert(d, origin);
		if (!o)
			return RUMOR_DEDUP_NOMEM;
	}

	/* Serialised by the instance lock, so the core never sees a race. */
	switch (rumor_window_test_and_set(&o->win, seq)) {
	case RUMOR_WINDOW_NEW:
		return RUMOR_DEDUP_NEW;
	case RUMOR_WINDOW_DUP:
		return RUMOR_DEDUP_DUP;
	default:
		return RUMOR_DEDUP_OLD;
	}
}

int rumor_dedup_cache_init(void)
{
	rumor_origin_cache = KMEM_CACHE(rumor_origin, 0);
	return rumor_origin_cache ? 0 : -ENOMEM;
}

void rumor_dedup_cache_uninit(void)
{
	kmem_cache_destroy(rumor_origin_cache);
}
