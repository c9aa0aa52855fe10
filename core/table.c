// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A chained hash table that starts small and doubles while it holds more
 * entries than buckets, so a node that sees three origins pays for three,
 * and one that sees thousands still finds each in a step or two.
 */
#include "table.h"

#define RUMOR_HTABLE_MIN	16

static __u32 hash(const struct rumor_htable *t, __u64 k1, __u64 k2)
{
	/* A 64-bit multiplicative mix (Fibonacci hashing) of both words. */
	__u64 h = (k1 ^ (k2 * 0x9e3779b97f4a7c15ULL)) * 0x9e3779b97f4a7c15ULL;

	return (__u32)(h >> 32) & (t->nbuckets - 1);
}

int rumor_htable_init(struct rumor_htable *t, const struct rumor_env *env,
		      __u32 max_entries)
{
	__u32 max = RUMOR_HTABLE_MIN;

	while (max < max_entries && max < (1u << 24))
		max <<= 1;
	t->max_buckets = max;
	t->nbuckets = RUMOR_HTABLE_MIN;
	t->count = 0;
	t->buckets = env->alloc(env->host, t->nbuckets * sizeof(*t->buckets));
	return t->buckets ? 0 : -1;
}

void rumor_htable_free(struct rumor_htable *t, const struct rumor_env *env)
{
	if (t->buckets)
		env->free(env->host, t->buckets,
			  t->nbuckets * sizeof(*t->buckets));
	t->buckets = NULL;
	t->count = 0;
}

struct rumor_hnode *rumor_htable_find(const struct rumor_htable *t, __u64 k1,
				      __u64 k2)
{
	struct rumor_hnode *n;

	for (n = t->buckets[hash(t, k1, k2)]; n; n = n->next)
		if (n->k1 == k1 && n->k2 == k2)
			return n;
	return NULL;
}

static void grow(struct rumor_htable *t, const struct rumor_env *env)
{
	__u32 old_n = t->nbuckets, i;
	struct rumor_hnode **old = t->buckets, *n, *next;

	t->buckets = env->alloc(env->host, 2 * old_n * sizeof(*t->buckets));
	if (!t->buckets) {
		/* No memory: stay as we are, only slower. */
		t->buckets = old;
		return;
	}
	t->nbuckets = 2 * old_n;
	for (i = 0; i < old_n; i++) {
		for (n = old[i]; n; n = next) {
			__u32 b = hash(t, n->k1, n->k2);

			next = n->next;
			n->next = t->buckets[b];
			t->buckets[b] = n;
		}
	}
	env->free(env->host, old, old_n * sizeof(*old));
}

void rumor_htable_insert(struct rumor_htable *t, const struct rumor_env *env,
			 struct rumor_hnode *n)
{
	__u32 b;

	if (t->count >= t->nbuckets && t->nbuckets < t->max_buckets)
		grow(t, env);
	b = hash(t, n->k1, n->k2);
	n->next = t->buckets[b];
	t->buckets[b] = n;
	t->count++;
}

void rumor_htable_remove(struct rumor_htable *t, struct rumor_hnode *n)
{
	struct rumor_hnode **pp = &t->buckets[hash(t, n->k1, n->k2)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			t->count--;
			return;
		}
	}
}
