/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A consistent hash ring over the live members, and the preference lists
 * of sloppy quorums (as Riak has them) drawn from it.
 *
 * Each member, named by rumord's durable node id, owns @vnodes points on a
 * 64-bit circle, placed by XXH3 of (node id, point index). A key sits at
 * its rumord_key_hash (merkle.h); its preference list is the first n
 * distinct members met walking clockwise from there, the key's own
 * position included. The ring depends only on the set of members and
 * @vnodes: every node that knows the same members computes the same
 * lists, whatever order it learnt them in.
 *
 * A write goes to the preference list. A preferred member that is down is
 * replaced by a stand-in: the next live member clockwise beyond the
 * preferred ones, which holds the write for it (hinted handoff, hints.h).
 *
 * The ring is not thread-safe: one caller at a time, as in the daemon.
 */
#ifndef _RUMORD_RING_H
#define _RUMORD_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Bounds: members in a ring (those beyond it are refused, see
 * rumord_ring_set_members), points per member, and the n of a preference
 * list (a replication factor; Riak and Cassandra use 3).
 */
#define RUMORD_RING_MAX_MEMBERS	1024
#define RUMORD_RING_VNODES	64	/* points per member, the default */
#define RUMORD_RING_MAX_VNODES	1024
#define RUMORD_RING_MAX_N	16

/*
 * Where a member's rumord listens: an IPv6 or IPv4-mapped address and a
 * port in host order. Fixed size with no padding or family-dependent
 * bytes, unlike struct sockaddr_storage, so two addresses compare with
 * memcmp and the form is stored on disk (hints.c) and on the wire as it
 * is; it is the form rumord_session_now() and the client protocol take.
 */
struct rumord_node_addr {
	uint8_t addr[16];
	uint16_t port;
};

struct rumord_ring_member {
	uint64_t node;		/* rumord's durable node id, never 0 */
	struct rumord_node_addr addr;
	bool down;		/* skipped for stand-ins when no predicate */
};

/* A point on the circle: where, and whose (an index into members). */
struct rumord_ring_point {
	uint64_t pos;
	uint32_t member;
	uint32_t index;		/* 0 .. vnodes - 1 */
};

struct rumord_ring_stats {
	uint64_t rebuilds;	/* successful rumord_ring_set_members */
	uint64_t refused;	/* members refused at the bound, last rebuild */
	uint64_t refused_total;	/* ... over every rebuild */
};

struct rumord_ring {
	struct rumord_ring_member *members;	/* sorted by node id */
	size_t nmembers;
	struct rumord_ring_point *points;	/* sorted by (pos, node, index) */
	size_t npoints;
	unsigned int vnodes;
	struct rumord_ring_stats stats;
};

/* @vnodes: points per member, 1 to RUMORD_RING_MAX_VNODES; 0: the default. */
int rumord_ring_init(struct rumord_ring *r, unsigned int vnodes);
void rumord_ring_free(struct rumord_ring *r);

/*
 * Rebuild the ring from @n members, in any order, copied. Node ids must be
 * non-zero and distinct (-EINVAL otherwise). Beyond
 * RUMORD_RING_MAX_MEMBERS the members with the lowest node ids are kept,
 * so that every node refuses the same ones; the others are counted in
 * stats.refused and *refused (may be NULL). On failure (-EINVAL, -ENOMEM)
 * the ring is unchanged.
 */
int rumord_ring_set_members(struct rumord_ring *r,
			    const struct rumord_ring_member *members, size_t n,
			    size_t *refused);

/* The member with node id @node, or NULL. */
const struct rumord_ring_member *rumord_ring_find(const struct rumord_ring *r,
						  uint64_t node);

/* Mark @node down or up: 0, or -ENOENT if it is not a member. */
int rumord_ring_set_down(struct rumord_ring *r, uint64_t node, bool down);

/* The position of point @index of @node on the circle. */
uint64_t rumord_ring_point_pos(uint64_t node, uint32_t index);

/*
 * The preference list of a key: the first @n distinct members clockwise
 * from @key_hash, into @out (room for @n), their number in *count. 0 when
 * all @n were found; -ENOENT when the ring has fewer members (every member
 * is then in @out); -EINVAL for @n of 0 or above RUMORD_RING_MAX_N.
 * Pointers are into the ring, valid until its next rebuild.
 */
int rumord_ring_preference(const struct rumord_ring *r, uint64_t key_hash,
			   unsigned int n,
			   const struct rumord_ring_member **out, size_t *count);

/*
 * A walk clockwise from a key that yields each member once: the first n
 * steps are the preference list, the ones after it the candidates to
 * stand in. Bounded by the ring's points.
 */
struct rumord_ring_walk {
	const struct rumord_ring *ring;
	size_t next;		/* the next point to look at */
	size_t visited;		/* points looked at, up to npoints */
	size_t yielded;		/* distinct members returned */
	uint64_t seen[RUMORD_RING_MAX_MEMBERS / 64];
};

void rumord_ring_walk_start(struct rumord_ring_walk *w,
			    const struct rumord_ring *r, uint64_t key_hash);
/* The next member not yielded before, or NULL once all have been. */
const struct rumord_ring_member *rumord_ring_walk_next(struct rumord_ring_walk *w);

/* Is @m up? A predicate; NULL: the member's own !down. */
typedef bool (*rumord_ring_live_fn)(const struct rumord_ring_member *m,
				    void *arg);

/* Where one copy of a write goes under a sloppy quorum. */
struct rumord_ring_target {
	const struct rumord_ring_member *home;	/* the preferred member */
	/*
	 * Who takes the write: @home itself when it is live, else a stand-in
	 * that keeps a hint for @home; NULL when no live member was left.
	 */
	const struct rumord_ring_member *member;
};

/*
 * The sloppy quorum for a key: @out[i].home is the i-th member of the
 * preference list and @out[i].member who takes its copy; *count entries
 * are filled. Stand-ins are the live members beyond the preference list,
 * in clockwise order, given to the down preferred members in list order:
 * never a preferred member, never a down one, never twice.
 *
 * 0 when all @n copies have a member. -EHOSTDOWN when too few members are
 * live: the last down homes have none (the caller keeps their hints
 * itself or leaves them to anti-entropy). -ENOENT when the ring has fewer
 * than @n members: every member is a home and none can stand in. -EINVAL
 * for @n of 0 or above RUMORD_RING_MAX_N.
 */
int rumord_ring_sloppy(const struct rumord_ring *r, uint64_t key_hash,
		       unsigned int n, rumord_ring_live_fn live, void *arg,
		       struct rumord_ring_target *out, size_t *count);

#endif /* _RUMORD_RING_H */
