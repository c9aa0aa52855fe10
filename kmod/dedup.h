/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's authoritative duplicate filter: one core window per origin,
 * in a table bounded by max_origins that evicts the least recently used.
 */
#ifndef _RUMOR_DEDUP_H
#define _RUMOR_DEDUP_H

#include <linux/list.h>
#include <linux/types.h>

#include "window.h"

struct rumor_dedup {
	struct hlist_head *buckets;
	unsigned int bits;
	struct list_head lru;		/* most recently used first */
	u32 count;
	u32 max;
	u64 evicted;
};

enum rumor_dedup_verdict {
	RUMOR_DEDUP_NEW,
	RUMOR_DEDUP_DUP,
	RUMOR_DEDUP_OLD,
	RUMOR_DEDUP_NOMEM,
};

/* Guarded by the owning instance's lock. */
int rumor_dedup_init(struct rumor_dedup *d, u32 max_origins);
void rumor_dedup_free(struct rumor_dedup *d);
enum rumor_dedup_verdict rumor_dedup_check(struct rumor_dedup *d, u64 origin,
					   u64 seq);

int rumor_dedup_cache_init(void);
void rumor_dedup_cache_uninit(void);

#endif /* _RUMOR_DEDUP_H */
