/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rumord's durable store: the key/value records in LMDB, with what
 * anti-entropy needs kept next to them (a key-hash index, a bounded log of
 * recent dots, the node-wide version vector) and in memory (the Merkle
 * tree, rebuilt at open). docs/rumord.md describes the layout.
 *
 * Every write is one LMDB transaction, committed with LMDB's default
 * synchronous commit before the call returns: a write either happened
 * whole and survives a crash, or did not happen and the call returned
 * -errno. The in-memory state (clock, counter, version vector, Merkle
 * tree) is updated only after the commit.
 *
 * The store is single-threaded: one caller at a time. Records it hands out
 * point into LMDB's map and stay valid until the next call on the store.
 */
#ifndef _RUMORD_STORE_H
#define _RUMORD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bvv.h"
#include "merkle.h"
#include "replica.h"
#include "version.h"

struct rumord_store;

struct rumord_store_opts {
	size_t map_size;	/* bytes; 0: RUMORD_STORE_MAP_SIZE */
	uint32_t dot_log_max;	/* dots kept per origin; 0: RUMORD_STORE_DOT_LOG */
	/* Wall-clock milliseconds for the HLC; NULL: CLOCK_REALTIME. Tests. */
	uint64_t (*wall_ms)(void);
};

#define RUMORD_STORE_MAP_SIZE	(1ull << 30)	/* sparse: only what is used */
#define RUMORD_STORE_DOT_LOG	4096

struct rumord_store_stats {
	uint64_t local_writes;	/* puts and deletes committed here */
	uint64_t applied;	/* remote records that won */
	uint64_t apply_lost;	/* remote records that lost to what we had */
	uint64_t apply_seen;	/* remote records whose dot we had already */
	uint64_t gc_collected;	/* tombstones deleted by rumord_store_gc */
	uint64_t nomem;		/* in-memory state left behind disk (see .c) */
};

/*
 * Open (creating it if needed) the store in directory @dir, which must
 * exist. The first open draws the node's durable random id. -errno on
 * failure; -EPROTO if @dir holds a store of another layout.
 */
int rumord_store_open(struct rumord_store **out, const char *dir,
		      const struct rumord_store_opts *opts);
void rumord_store_close(struct rumord_store *s);

uint64_t rumord_store_node_id(const struct rumord_store *s);
const struct rumord_store_stats *rumord_store_stats(const struct rumord_store *s);
/* Records (tombstones included) in the store. */
int rumord_store_count(struct rumord_store *s, uint64_t *records);

/*
 * Local writes: a new dot and HLC timestamp, committed; 1 and the version
 * written in *out. put stores @value; del writes a tombstone (even for a
 * key never seen here: a write of that key elsewhere may not have arrived
 * yet, and the delete must win over it). 0 and the key's current version
 * in *out when nothing was written: del of a key already deleted, or a
 * write that would lose to the key's record, stamped further ahead than
 * the clock follows (hlc.h; *out is not a tombstone then).
 */
int rumord_store_put(struct rumord_store *s, const void *key, size_t key_len,
		     const void *value, size_t value_len,
		     struct rumord_version *out);
int rumord_store_del(struct rumord_store *s, const void *key, size_t key_len,
		     struct rumord_version *out);

/* A key's current record, tombstones included: 1 and *out, or 0. */
int rumord_store_get(struct rumord_store *s, const void *key, size_t key_len,
		     struct rumord_record *out);

/*
 * Records whose key starts with @prefix, in key order, starting after the
 * key @after (NULL: from the first). Keys of 511 and 512 bytes sort by
 * their first 503 bytes only (LMDB's keys end at 511 bytes). Tombstones
 * only if @tombstones. Stops at and returns the first non-zero @fn result;
 * @fn must not call the store.
 */
int rumord_store_list(struct rumord_store *s, const void *prefix,
		      size_t prefix_len, const void *after, size_t after_len,
		      bool tombstones, rumord_record_fn fn, void *arg);

/* struct rumord_replica_ops, see replica.h. */
int rumord_store_apply(struct rumord_store *s, const struct rumord_record *rec);
int rumord_store_by_dot(struct rumord_store *s, struct rumord_dot d,
			struct rumord_record *out);
int rumord_store_range(struct rumord_store *s, uint64_t lo, uint64_t hi,
		       rumord_record_fn fn, void *arg);
int rumord_store_cover(struct rumord_store *s, const struct rumord_bvv *seen);
const struct rumord_bvv *rumord_store_bvv(const struct rumord_store *s);
const struct rumord_merkle *rumord_store_merkle(const struct rumord_store *s);

/* The store as a replica for sync.c. */
extern const struct rumord_replica_ops rumord_store_replica_ops;
void rumord_store_replica(struct rumord_store *s, struct rumord_replica *out);

/* Take in a timestamp seen elsewhere (kept at the next write). */
void rumord_store_observe(struct rumord_store *s, uint64_t hlc);

/*
 * Delete the tombstones whose dots every one of @peers' version vectors
 * covers: every known peer has the delete (or something newer), so none
 * can bring the old value back. With no peers nothing is collected: a node
 * that knows nobody cannot tell who still lacks the delete. Returns the
 * number collected, or -errno (batches committed before the failure stay).
 */
long rumord_store_gc(struct rumord_store *s,
		     const struct rumord_bvv *const *peers, size_t npeers);

#endif /* _RUMORD_STORE_H */
