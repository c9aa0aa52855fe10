/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A Merkle tree over the key-hash space, fanout 16. Every key hashes to 64
 * bits (rumord_key_hash); the top 4 bits pick the root's child, the next 4
 * the grandchild, and so on down to RUMORD_MERKLE_DEPTH levels. A node's
 * hash is the sum (mod 2^128) of the entry hashes (rumord_entry_hash: key
 * and version) of every key below it, so a write updates its path in
 * O(depth) additions and subtractions, without rehashing siblings. Two
 * replicas with equal roots hold the same keys at the same versions.
 */
#ifndef _RUMORD_MERKLE_H
#define _RUMORD_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "version.h"

#define RUMORD_MERKLE_FANOUT	16
#define RUMORD_MERKLE_DEPTH	5	/* 16^5 = 1,048,576 leaves */

struct rumord_hash {
	uint64_t lo, hi;
};

static inline bool rumord_hash_eq(struct rumord_hash a, struct rumord_hash b)
{
	return a.lo == b.lo && a.hi == b.hi;
}

static inline bool rumord_hash_zero(struct rumord_hash a)
{
	return !a.lo && !a.hi;
}

struct rumord_merkle;

/* NULL when out of memory. A copy costs what the source has touched. */
struct rumord_merkle *rumord_merkle_new(void);
struct rumord_merkle *rumord_merkle_dup(const struct rumord_merkle *m);
void rumord_merkle_free(struct rumord_merkle *m);

/* How many entries (non-zero entry hashes) the tree holds. */
uint64_t rumord_merkle_count(const struct rumord_merkle *m);

/* Every node of @a equal to @b's: the thorough check, for tests. */
bool rumord_merkle_equal(const struct rumord_merkle *a,
			 const struct rumord_merkle *b);

/*
 * XXH3: the 64-bit hash of a key, and the 128-bit hash of a key at a
 * version, never zero (zero means "no entry").
 */
uint64_t rumord_key_hash(const void *key, size_t len);
struct rumord_hash rumord_entry_hash(const void *key, size_t len,
				     const struct rumord_version *v);

/*
 * A key's entry changes from @old to @new (a zero hash: no entry): take
 * @old out of and put @new into every node on the key's path.
 */
void rumord_merkle_update(struct rumord_merkle *m, uint64_t key_hash,
			  struct rumord_hash old, struct rumord_hash new);

/* Node @index (0 .. 16^level - 1) of @level (0: the root); zero outside. */
struct rumord_hash rumord_merkle_node(const struct rumord_merkle *m,
				      unsigned int level, uint64_t index);

/* The key hashes node @index of @level covers: [*lo, *hi]. */
void rumord_merkle_range(unsigned int level, uint64_t index, uint64_t *lo,
			 uint64_t *hi);

#endif /* _RUMORD_MERKLE_H */
