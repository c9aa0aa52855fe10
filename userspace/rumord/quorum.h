/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Consistency levels (docs/rumord.md): writes acknowledged by W of a
 * key's replicas (sloppy quorums, as Riak; --strict: the preferred
 * replicas only), reads of R replicas by one value and R-1 digests, with
 * blocking read repair, and the replica side of both.
 */
#ifndef _RUMORD_QUORUM_H
#define _RUMORD_QUORUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "version.h"

struct rumord;

#define RUMORD_QUORUM_REPLICAS	3	/* --replicas default: N */
#define RUMORD_QUORUM_TIMEOUT_MS 1000	/* --quorum-timeout default */
#define RUMORD_QUORUM_MAX_OPS	256	/* requests coordinated at once */

struct rumord_quorum_opts {
	unsigned int replicas;	/* N, the copies a write is sent to */
	uint64_t timeout_ms;	/* a replica's answer */
};

/* Daemon-wide counters (repair status). */
struct rumord_quorum_stats {
	uint64_t writes, writes_failed;
	uint64_t reads, reads_failed;
	uint64_t digest_mismatches;	/* replicas found stale by a read */
	uint64_t read_repairs;		/* ... written back before answering */
	uint64_t stand_ins;		/* writes given to a stand-in */
	uint64_t hints_stored;		/* as coordinator or stand-in */
	uint64_t served_writes, served_reads, served_hints;
	uint64_t busy;			/* refused: RUMORD_QUORUM_MAX_OPS running */
};

/*
 * The end of a request: @status 0 or -errno, what happened in @q (its
 * text says why on failure) and, for a write, the record written (or the
 * one that made it -ESTALE), for a read the newest record (NULL for none).
 * Pointers valid during the call only.
 */
typedef void (*rumord_quorum_done_fn)(void *arg, int status,
				      const struct rumord_client_quorum *q,
				      const struct rumord_record *rec);

int rumord_quorum_open(struct rumord *d, const struct rumord_quorum_opts *o);
void rumord_quorum_close(struct rumord *d);

/*
 * Write @key (@del: delete it) here and to its replicas; @fn is called
 * once, possibly before this returns, when @level replicas have it
 * durably or when that can no longer happen.
 */
void rumord_quorum_write(struct rumord *d, const void *key, size_t key_len,
			 const void *value, size_t value_len, bool del,
			 unsigned int level, bool strict,
			 rumord_quorum_done_fn fn, void *arg);
/* Read @key from @level replicas, repairing stale ones; @fn as above. */
void rumord_quorum_read(struct rumord *d, const void *key, size_t key_len,
			unsigned int level, rumord_quorum_done_fn fn, void *arg);
/* @arg is gone: its requests go on, unanswered. */
void rumord_quorum_unwait(struct rumord *d, void *arg);

/* The replicas of @key (@n, 0: --replicas) as NODE entries, to @fn. */
int rumord_quorum_where(struct rumord *d, const void *key, size_t key_len,
			unsigned int n,
			int (*fn)(void *arg, const struct rumord_client_node *m),
			void *arg);
/* Every member, this node first. */
int rumord_quorum_nodes(struct rumord *d,
			int (*fn)(void *arg, const struct rumord_client_node *m),
			void *arg);

const struct rumord_quorum_stats *rumord_quorum_stats(struct rumord *d);

#endif /* _RUMORD_QUORUM_H */
