/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bitmap version vectors (Gonçalves, Almeida, Baquero, Fonte: "Concise
 * server-wide causality management for eventually consistent data stores",
 * 2015): which writes (dots) a node has, per origin node a base (every dot
 * up to it is here) and a bitmap of the dots above it. Two nodes exchange
 * vectors and each learns exactly which dots the other lacks.
 */
#ifndef _RUMORD_BVV_H
#define _RUMORD_BVV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "version.h"

/*
 * Bounds: origins in one vector, and how far above its base a vector can
 * note a dot (4096 words: 262,144 dots). A dot further up is not noted,
 * which is safe: the vector then claims less than the replica has, and a
 * peer may send that write again, to lose as already there.
 */
#define RUMORD_BVV_MAX_NODES	(1u << 16)
#define RUMORD_BVV_MAX_WORDS	(1u << 12)

struct rumord_bvv_entry {
	uint64_t node;
	uint64_t base;		/* dots 1..base of node are all here */
	uint64_t *bits;		/* bit i of word w: dot base + 1 + 64w + i */
	uint32_t nwords;	/* trailing zero words are trimmed */
};

struct rumord_bvv {
	struct rumord_bvv_entry *e;	/* sorted by node */
	size_t n, cap;
};

void rumord_bvv_init(struct rumord_bvv *v);
void rumord_bvv_free(struct rumord_bvv *v);

/*
 * Record @d: 1 if it was new, 0 if already there, -ENOMEM, -EINVAL (node
 * or counter 0, counter above RUMORD_MAX_COUNTER), -E2BIG (too far above
 * the base, or too many origins: not noted, see above).
 */
int rumord_bvv_add(struct rumord_bvv *v, struct rumord_dot d);
bool rumord_bvv_contains(const struct rumord_bvv *v, struct rumord_dot d);

/*
 * Every dot in @have that @other lacks, in (node, counter) order, to @fn;
 * stops at and returns the first non-zero @fn result.
 */
int rumord_bvv_missing(const struct rumord_bvv *have,
		       const struct rumord_bvv *other,
		       int (*fn)(struct rumord_dot d, void *arg), void *arg);

/* Everything either has: @v |= @other. 0 or -ENOMEM. */
int rumord_bvv_merge(struct rumord_bvv *v, const struct rumord_bvv *other);

/*
 * Wire form (little endian): u32 entries, then per entry u64 node, u64
 * base, u32 nwords, nwords x u64. encode returns the bytes needed (write
 * only if @size is enough); decode returns bytes read or -EINVAL on any
 * inconsistency (unsorted or duplicate nodes, node 0, lengths, bounds, a
 * form add() would not produce: a bitmap whose first bit is set or whose
 * last word is zero); it replaces @v's content (initialised) only on
 * success, else leaves it alone. -ENOMEM too.
 */
size_t rumord_bvv_encode(const struct rumord_bvv *v, void *buf, size_t size);
long rumord_bvv_decode(struct rumord_bvv *v, const void *buf, size_t len);

#endif /* _RUMORD_BVV_H */
