/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An in-memory replica for the tests and `make bench-repair`: keys in
 * buckets by the top bits of their hash (so a key-hash range is a run of
 * buckets), a version vector, a Merkle tree, and a dot log bounded in
 * entries. It implements struct rumord_replica_ops; it is not the daemon's
 * store (store.c).
 */
#ifndef _RUMORD_MEMREPLICA_H
#define _RUMORD_MEMREPLICA_H

#include <stddef.h>
#include <stdint.h>

#include "replica.h"

struct rumord_memreplica;

struct rumord_memreplica_stats {
	uint64_t applied;	/* apply() calls */
	uint64_t replaced;	/* ... that won */
	uint64_t log_evicted;	/* dots pushed out of the log */
	uint64_t dots_unnoted;	/* too far above the vector's base (-E2BIG) */
};

/*
 * A replica whose own writes get dots of @node; its dot log holds the
 * last @log_cap dots applied (0: none, every missing dot needs a Merkle
 * walk). NULL when out of memory.
 */
struct rumord_memreplica *rumord_memreplica_new(uint64_t node, size_t log_cap);
/*
 * An independent copy, dot log and clock included, whose own writes get
 * dots of @node (0: the same node as @m, for a snapshot to roll back to).
 */
struct rumord_memreplica *rumord_memreplica_clone(const struct rumord_memreplica *m,
						  uint64_t node);
void rumord_memreplica_free(struct rumord_memreplica *m);
void rumord_memreplica_replica(struct rumord_memreplica *m,
			       struct rumord_replica *out);

/*
 * Local writes at wall-clock @wall_ms (also the clock apply() reads from
 * then on): 1 if the write took effect, 0 if a record from a clock too far
 * ahead still wins, < 0 on error.
 */
int rumord_memreplica_put(struct rumord_memreplica *m, const void *key,
			  size_t key_len, const void *value, size_t value_len,
			  uint64_t wall_ms);
int rumord_memreplica_del(struct rumord_memreplica *m, const void *key,
			  size_t key_len, uint64_t wall_ms);

/* Forget every logged dot, as after a restart or a long partition. */
void rumord_memreplica_truncate_log(struct rumord_memreplica *m);

uint64_t rumord_memreplica_count(const struct rumord_memreplica *m);
const struct rumord_memreplica_stats *
rumord_memreplica_stats(const struct rumord_memreplica *m);

/*
 * Every invariant, the slow way: records valid and in order, the tree
 * equal to one rebuilt from the records, every record's dot in the
 * vector (unless some dot was too far up to note). 0 or -EINVAL.
 */
int rumord_memreplica_check(const struct rumord_memreplica *m);

#endif /* _RUMORD_MEMREPLICA_H */
