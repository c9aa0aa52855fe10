/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The core's two containers, intrusive like the kernel's: a doubly linked
 * list and a hash table keyed by one or two 64-bit words, whose bucket
 * array grows with its contents up to a bound. Memory comes from the env.
 */
#ifndef _RUMOR_CORE_TABLE_H
#define _RUMOR_CORE_TABLE_H

#include "env.h"

#ifndef NULL
#define NULL ((void *)0)
#endif

#define rumor_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

struct rumor_list {
	struct rumor_list *next, *prev;
};

static inline void rumor_list_init(struct rumor_list *head)
{
	head->next = head->prev = head;
}

static inline int rumor_list_empty(const struct rumor_list *head)
{
	return head->next == head;
}

static inline void rumor_list_del(struct rumor_list *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->next = e->prev = e;
}

/* Insert @e after @at: at the head of a list when @at is the list. */
static inline void rumor_list_add(struct rumor_list *e, struct rumor_list *at)
{
	e->next = at->next;
	e->prev = at;
	at->next->prev = e;
	at->next = e;
}

static inline void rumor_list_add_tail(struct rumor_list *e,
				       struct rumor_list *head)
{
	rumor_list_add(e, head->prev);
}

struct rumor_hnode {
	struct rumor_hnode *next;
	__u64 k1, k2;
};

struct rumor_htable {
	struct rumor_hnode **buckets;
	__u32 nbuckets;		/* a power of two */
	__u32 count;
	__u32 max_buckets;
};

int rumor_htable_init(struct rumor_htable *t, const struct rumor_env *env,
		      __u32 max_entries);
void rumor_htable_free(struct rumor_htable *t, const struct rumor_env *env);
struct rumor_hnode *rumor_htable_find(const struct rumor_htable *t, __u64 k1,
				      __u64 k2);
/* The caller has checked that the key is absent; growing may fail quietly. */
void rumor_htable_insert(struct rumor_htable *t, const struct rumor_env *env,
			 struct rumor_hnode *n);
void rumor_htable_remove(struct rumor_htable *t, struct rumor_hnode *n);

#endif /* _RUMOR_CORE_TABLE_H */
