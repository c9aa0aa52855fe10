/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Anti-entropy between two replicas: a session object that turns received
 * bytes into replica writes and bytes to send, knowing nothing of sockets,
 * so the daemon runs it over TCP and the tests and the benchmark over an
 * in-memory pipe. docs/repair.md describes the protocol.
 *
 * Frames: u32 length (little endian) of what follows, u8 type, body; the
 * length is 1 to RUMORD_SYNC_MAX_FRAME. Every field of every frame is
 * checked; anything out of place (an unknown type, a bad length, a value
 * out of range, a frame out of turn) fails the session, which applies no
 * record from the frame that failed. The caller then closes the
 * connection.
 *
 * The two ends take turns: each sends a flight of frames ending in END
 * (your turn) or BYE (session over), then only listens.
 */
#ifndef _RUMORD_SYNC_H
#define _RUMORD_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replica.h"

#define RUMORD_SYNC_VERSION	1
#define RUMORD_SYNC_HEADER	5		/* length and type */
#define RUMORD_SYNC_MAX_FRAME	(2u << 20)	/* type and body */
/* Frames the session builds are this big at most, unless one record is. */
#define RUMORD_SYNC_FRAME_TARGET (64u << 10)
/* Per session: key entries and records a peer may send, dots looked up. */
#define RUMORD_SYNC_MAX_KEYS	(1u << 24)
#define RUMORD_SYNC_MAX_DOTS	(1u << 20)

enum rumord_sync_type {
	RUMORD_SYNC_HELLO = 1,	/* version, method, flags, [count, root], [vector] */
	RUMORD_SYNC_RECORDS,	/* count, records */
	RUMORD_SYNC_NODES,	/* level, first, count, (mask, hashes) per parent */
	RUMORD_SYNC_DIFF,	/* level, first, count, mask per parent */
	RUMORD_SYNC_KEYS,	/* count, (key hash, hlc, node, counter) */
	RUMORD_SYNC_WANT,	/* count, key hashes */
	RUMORD_SYNC_END,	/* end of a flight: your turn */
	RUMORD_SYNC_BYE,	/* end of the session */
	RUMORD_SYNC_TYPE_MAX = RUMORD_SYNC_BYE,
};

enum rumord_sync_method {
	RUMORD_SYNC_ANY,	/* responder: whatever the initiator asks */
	RUMORD_SYNC_AUTO,	/* version vectors, then Merkle if still different */
	RUMORD_SYNC_BVV,	/* version vectors and the dot log only */
	RUMORD_SYNC_MERKLE,	/* the Merkle walk only */
	RUMORD_SYNC_NAIVE,	/* every key's version, for comparison */
	RUMORD_SYNC_METHOD_MAX = RUMORD_SYNC_NAIVE,
};

struct rumord_sync_stats {
	uint64_t bytes_sent, bytes_received;	/* whole frames */
	uint64_t frames_sent, frames_received;
	uint64_t flights_sent, flights_received;
	uint64_t keys_sent, keys_received;	/* records */
	uint64_t keys_applied;			/* ... that won here */
	uint64_t keys_listed;			/* key entries sent in KEYS */
	uint64_t dots_missing;		/* dots the peer lacked */
	uint64_t dots_unserved;		/* ... the dot log could not give */
	uint32_t leaf_level;		/* where the Merkle walk compares keys */
	bool merkle_used;		/* the walk went below the root */
	bool covered;			/* the peer's vector was merged in */
};

struct rumord_sync;

/*
 * A session on @rep (copied; the replica must outlive the session). The
 * initiator picks @method; a responder takes RUMORD_SYNC_ANY or the one
 * method it accepts. NULL when out of memory.
 */
struct rumord_sync *rumord_sync_new(const struct rumord_replica *rep,
				    bool initiator,
				    enum rumord_sync_method method);
void rumord_sync_free(struct rumord_sync *s);

/* Bytes from the peer, split anyhow: 0, or < 0 once the session failed. */
int rumord_sync_input(struct rumord_sync *s, const void *buf, size_t len);

/*
 * Bytes to send: points *buf at them and returns how many (0: nothing
 * until more input), < 0 once the session failed. Report with
 * rumord_sync_sent() how many went out; the rest is offered again.
 */
long rumord_sync_output(struct rumord_sync *s, const void **buf);
void rumord_sync_sent(struct rumord_sync *s, size_t n);

/* 1: over and everything sent, 0: going on, < 0: failed (-errno). */
int rumord_sync_status(const struct rumord_sync *s);
/* Why the session failed, for the log ("" if it did not). */
const char *rumord_sync_error(const struct rumord_sync *s);
const struct rumord_sync_stats *rumord_sync_stats(const struct rumord_sync *s);
/*
 * The version vector the peer's HELLO carried (methods auto and bvv), NULL
 * if none came. Every dot in it was at the peer (or lost there to a newer
 * write) when the session began: what tombstone collection needs to know
 * of a peer. Valid until rumord_sync_free().
 */
const struct rumord_bvv *rumord_sync_peer_bvv(const struct rumord_sync *s);
/* The method in use: the initiator's (a responder learns it from HELLO). */
enum rumord_sync_method rumord_sync_method(const struct rumord_sync *s);

/* Round trips: flights both ways, two to a round trip. */
static inline uint64_t rumord_sync_round_trips(const struct rumord_sync_stats *st)
{
	return (st->flights_sent + st->flights_received + 1) / 2;
}

/* The Merkle level whose nodes hold about one of @n keys: ceil(log16 n). */
unsigned int rumord_sync_leaf_level(uint64_t n);

/*
 * A whole session between @a (initiator) and @b in memory. 0 or the first
 * error; each side's statistics in *sa, *sb if not NULL.
 */
int rumord_sync_pair(const struct rumord_replica *a,
		     const struct rumord_replica *b,
		     enum rumord_sync_method method,
		     struct rumord_sync_stats *sa, struct rumord_sync_stats *sb);

#endif /* _RUMORD_SYNC_H */
