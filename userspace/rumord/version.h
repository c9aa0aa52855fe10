/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every write carries: a dot, the write's unique id (the node that
 * coordinated it and that node's counter, counting from 1), and a hybrid
 * logical clock timestamp. Concurrent writes to one key resolve by
 * last-writer-wins on (timestamp, node id): the same on every replica,
 * whatever order the writes arrive in. Deletes are writes too (tombstones).
 */
#ifndef _RUMORD_VERSION_H
#define _RUMORD_VERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rumord_dot {
	uint64_t node;		/* durable node id, never 0 */
	uint64_t counter;	/* 1, 2, ... per node */
};

struct rumord_version {
	uint64_t hlc;		/* hybrid logical clock, see hlc.h */
	struct rumord_dot dot;
	bool tombstone;		/* a delete */
};

/* A key's current record, or one to apply. Pointers are borrowed. */
struct rumord_record {
	const void *key;
	size_t key_len;		/* 1 to RUMORD_MAX_KEY */
	const void *value;
	size_t value_len;	/* 0 for a tombstone */
	struct rumord_version version;
};

#define RUMORD_MAX_KEY		512
#define RUMORD_MAX_VALUE	(1u << 20)
/*
 * No node writes 2^62 times; the bound keeps version-vector arithmetic
 * (a base plus its bitmap) clear of overflow whatever a peer sends.
 */
#define RUMORD_MAX_COUNTER	(1ULL << 62)

/* Last writer wins: < 0 if @a loses to @b, 0 the same write, > 0 wins. */
int rumord_version_cmp(const struct rumord_version *a,
		       const struct rumord_version *b);

/*
 * A record any replica may take in: key of 1 to RUMORD_MAX_KEY bytes, value
 * of at most RUMORD_MAX_VALUE, none for a tombstone, a dot with a non-zero
 * node and a counter of 1 to RUMORD_MAX_COUNTER.
 */
bool rumord_record_valid(const struct rumord_record *rec);

#endif /* _RUMORD_VERSION_H */
