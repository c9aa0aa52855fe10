/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What anti-entropy needs of a replica, so that one session protocol
 * (sync.c) runs over the daemon's LMDB store (store.c) and over the
 * in-memory replicas of the tests and of `make bench-repair`.
 *
 * Records handed out are borrowed: valid until the next call on the
 * replica. Every method returns < 0 (-errno) on failure.
 */
#ifndef _RUMORD_REPLICA_H
#define _RUMORD_REPLICA_H

#include <stddef.h>
#include <stdint.h>

#include "bvv.h"
#include "merkle.h"
#include "version.h"

typedef int (*rumord_record_fn)(const struct rumord_record *rec, void *arg);

struct rumord_replica_ops {
	/* The node-wide version vector: every dot this replica has. */
	const struct rumord_bvv *(*bvv)(void *r);
	/* The Merkle tree of the replica's keys and versions. */
	const struct rumord_merkle *(*merkle)(void *r);
	/*
	 * The record the write @d produced, if it is still the key's current
	 * record and the dot log still holds it: 1 and *out, or 0 (then
	 * only a Merkle walk can find what the peer lacks).
	 */
	int (*by_dot)(void *r, struct rumord_dot d, struct rumord_record *out);
	/*
	 * Every record whose key hash is in [lo, hi], in key-hash order;
	 * stops at and returns the first non-zero @fn result (the session
	 * stops when a frame is full, and resumes later from a key hash).
	 */
	int (*range)(void *r, uint64_t lo, uint64_t hi, rumord_record_fn fn,
		     void *arg);
	/* One key's record: 1 and *out, or 0 if there is none. */
	int (*get)(void *r, const void *key, size_t key_len,
		   struct rumord_record *out);
	/*
	 * Apply a record from a peer, last writer wins, durably: 1 if it
	 * replaced what was there (or there was nothing), 0 if it lost or was
	 * there already. Its dot joins the version vector either way.
	 */
	int (*apply)(void *r, const struct rumord_record *rec);
	/*
	 * Optional (NULL: not done). Add every dot of @seen to the version
	 * vector, without records: the session calls it at the end of a
	 * repair that left this replica at least as new as the peer, key by
	 * key, with @seen the peer's vector from the start of the session.
	 * Each of those writes is then here or lost here to a newer one, so
	 * the vector may claim it; without this, a dot whose write was
	 * overwritten before it reached this replica stays a hole for good,
	 * and every later session falls back to the Merkle walk.
	 */
	int (*cover)(void *r, const struct rumord_bvv *seen);
};

struct rumord_replica {
	const struct rumord_replica_ops *ops;
	void *r;
};

#endif /* _RUMORD_REPLICA_H */
