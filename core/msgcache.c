// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Recently received payloads, kept to answer GRAFTs: bounded by bytes
 * (cache_bytes) and by age (cache_age_ms), oldest out first. A GRAFT for a
 * message no longer here goes unanswered; anti-entropy repairs what the
 * broadcast misses.
 */
#include "node_int.h"

static __u32 entry_size(__u32 len)
{
	return sizeof(struct rumor_cached) + len;
}

int rumor_cache_init(struct rumor_node *n)
{
	n->cache_used = 0;
	/* About one entry per 256 bytes of cache sizes the hash table. */
	return rumor_htable_init(&n->cache, n->env, n->cfg.cache_bytes / 256);
}

static void drop_oldest(struct rumor_node *n)
{
	struct rumor_cached *c = rumor_container_of(n->cache_list.next,
						    struct rumor_cached, age);

	rumor_list_del(&c->age);
	rumor_htable_remove(&n->cache, &c->h);
	n->cache_used -= entry_size(c->len);
	rumor_free(n, c, entry_size(c->len));
}

void rumor_cache_free(struct rumor_node *n)
{
	while (!rumor_list_empty(&n->cache_list))
		drop_oldest(n);
	rumor_htable_free(&n->cache, n->env);
}

void rumor_cache_put(struct rumor_node *n, __u64 origin, __u64 seq,
		     __u8 hops, __u64 from, const void *payload, __u32 len)
{
	__u32 size = entry_size(len);
	struct rumor_cached *c;

	if (size > n->cfg.cache_bytes || rumor_htable_find(&n->cache, origin, seq))
		return;
	while (n->cache_used + size > n->cfg.cache_bytes) {
		drop_oldest(n);
		n->stats.cache_evicted++;
	}
	c = rumor_alloc(n, size);
	if (!c) {
		n->stats.nomem++;
		return;
	}
	c->h.k1 = origin;
	c->h.k2 = seq;
	c->stored = rumor_now(n);
	c->from = from;
	c->len = len;
	c->hops = hops;
	__builtin_memcpy(c->payload, payload, len);
	rumor_htable_insert(&n->cache, n->env, &c->h);
	rumor_list_add_tail(&c->age, &n->cache_list);
	n->cache_used += size;
}

struct rumor_cached *rumor_cache_find(struct rumor_node *n, __u64 origin,
				      __u64 seq)
{
	struct rumor_hnode *h = rumor_htable_find(&n->cache, origin, seq);

	return h ? rumor_container_of(h, struct rumor_cached, h) : NULL;
}

void rumor_cache_expire(struct rumor_node *n, __u64 now)
{
	__u64 age = rumor_ms(n->cfg.cache_age_ms);

	while (!rumor_list_empty(&n->cache_list)) {
		struct rumor_cached *c = rumor_container_of(n->cache_list.next,
							    struct rumor_cached, age);

		if (c->stored + age > now) {
			rumor_timer_want(n, c->stored + age);
			return;
		}
		drop_oldest(n);
		n->stats.cache_expired++;
	}
}

__u32 rumor_node_cache_bytes(const struct rumor_node *n)
{
	return n->cache_used;
}
