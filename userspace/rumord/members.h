/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cluster membership: which rumords exist and which of them are live, for
 * the consistency levels (the hash ring of ring.h over the members, hinted
 * handoff replayed when a member comes back, hints.h).
 *
 * Every rumord broadcasts a heartbeat through rumor.ko every
 * RUMORD_MEMBERS_HEARTBEAT_MS; every other rumord receives it on the
 * "deliver" group like a write (gossip.h) and hands it to
 * rumord_members_heard(). The payload, little endian:
 *
 *   0  u16 magic        RUMORD_MEMBER_MAGIC ("km")
 *   2  u8  version      1
 *   3  u8  flags        LEAVING: this rumord is shutting down cleanly
 *   4  u16 port         its TCP peer port, never 0
 *   6  u8  naddr        1 .. RUMORD_MEMBER_MAX_ADDRS
 *   7  u8  reserved     0
 *   8  u64 node         rumord's durable node id (store meta), never 0
 *  16  u64 incarnation  grows on every start of that rumord
 *  24  u64 seq          grows within an incarnation
 *  32  naddr x 16 bytes IPv6 or IPv4-mapped, distinct; not unspecified,
 *                       not multicast
 *
 * (incarnation, seq) orders one node's heartbeats: compared as a pair, a
 * restarted rumord (a new incarnation, its seq starting over) wins over
 * everything its previous life sent, and within a life a heartbeat that
 * the overlay delivers late or twice loses to the newer one. rumord uses
 * its start time in wall-clock milliseconds as the incarnation, so it
 * needs nothing durable beyond the node id. Should its clock be behind at
 * a restart, a member DOWN and unheard for twice the timeout takes the
 * older incarnation as a restart too (counted in stats.regressed).
 *
 * A member is UP while heartbeats come, DOWN once silent for timeout_ms,
 * at once when it says it is leaving, or when a request to it failed
 * (rumord_members_suspect). A member DOWN for forget_ms is forgotten. The
 * module's neighbour events are weaker evidence, about the host's rumor.ko
 * instance rather than its rumord (rumord_members_neighbor).
 *
 * The table holds no clock: every call that needs the time takes it
 * (@now, CLOCK_MONOTONIC milliseconds, never going back). It is not
 * thread-safe: one caller at a time, as in the daemon.
 */
#ifndef _RUMORD_MEMBERS_H
#define _RUMORD_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring.h"

#define RUMORD_MEMBER_MAGIC	0x6d6b	/* "km" little endian */
#define RUMORD_MEMBER_VERSION	1
#define RUMORD_MEMBER_F_LEAVING	0x01
#define RUMORD_MEMBER_MAX_ADDRS	4
#define RUMORD_MEMBER_ADDR_LEN	16
#define RUMORD_MEMBER_HLEN	32
#define RUMORD_MEMBER_MAX_LEN	(RUMORD_MEMBER_HLEN + \
				 RUMORD_MEMBER_MAX_ADDRS * RUMORD_MEMBER_ADDR_LEN)

/*
 * Remote members a table holds (the local node is never one of them), as
 * many as a ring takes.
 */
#define RUMORD_MEMBERS_MAX	RUMORD_RING_MAX_MEMBERS
/*
 * How often a rumord sends its heartbeat, and how long a member may stay
 * silent: five intervals, so that four heartbeats in a row may be lost or
 * late before anyone calls it down.
 */
#define RUMORD_MEMBERS_HEARTBEAT_MS	1000
#define RUMORD_MEMBERS_TIMEOUT_MS	5000
/*
 * How long a DOWN member is remembered: long enough for a machine to be
 * repaired and come back as the member it was (and its hints with it),
 * short enough that the dead do not fill the table.
 */
#define RUMORD_MEMBERS_FORGET_MS	(24ull * 3600 * 1000)

/* A heartbeat, as sent and as decoded. */
struct rumord_member_heartbeat {
	uint64_t node;
	uint64_t incarnation;
	uint64_t seq;
	uint16_t port;
	bool leaving;
	uint8_t naddr;
	uint8_t addrs[RUMORD_MEMBER_MAX_ADDRS][RUMORD_MEMBER_ADDR_LEN];
};

/* Bytes a heartbeat takes: RUMORD_MEMBER_HLEN + 16 per address. */
size_t rumord_member_heartbeat_size(const struct rumord_member_heartbeat *hb);

/*
 * Encode @hb into @buf (@size bytes). Returns the length, -EMSGSIZE if it
 * does not fit, -EINVAL for what decode would refuse.
 */
long rumord_member_heartbeat_encode(const struct rumord_member_heartbeat *hb,
				    void *buf, size_t size);

/*
 * Decode: 0 and *out, -ENOMSG for a payload without the magic (a write, or
 * someone's rumorctl broadcast), -EPROTO for another version, -EINVAL for
 * a malformed one. Never reads beyond @len.
 */
int rumord_member_heartbeat_decode(const void *buf, size_t len,
				   struct rumord_member_heartbeat *out);

/* Is @addr one a heartbeat may carry (not unspecified, not multicast)? */
bool rumord_member_addr_ok(const uint8_t addr[RUMORD_MEMBER_ADDR_LEN]);

enum rumord_member_state {
	RUMORD_MEMBER_UP,
	RUMORD_MEMBER_DOWN,
};

/* Why a member is DOWN; it decides what may bring it back. */
enum rumord_member_down_why {
	RUMORD_MEMBER_SILENT,		/* timed out: any evidence will do */
	RUMORD_MEMBER_LEAVING,		/* said so: a newer heartbeat only */
	RUMORD_MEMBER_SUSPECTED,	/* a request failed: ditto */
};

enum rumord_member_event {
	RUMORD_MEMBER_JOINED,	/* first heard: UP */
	RUMORD_MEMBER_UPDATED,	/* its addresses or port changed */
	RUMORD_MEMBER_RESTARTED, /* a new incarnation while UP */
	RUMORD_MEMBER_EV_UP,	/* DOWN, then heard again */
	RUMORD_MEMBER_EV_DOWN,	/* silent for the timeout, or suspected */
	RUMORD_MEMBER_LEFT,	/* said it is leaving: DOWN */
	RUMORD_MEMBER_FORGOTTEN, /* DOWN for forget_ms: removed after the event */
	RUMORD_MEMBER_NR_EVENTS,
};

const char *rumord_member_event_name(enum rumord_member_event ev);

struct rumord_member {
	uint64_t node;
	uint8_t addrs[RUMORD_MEMBER_MAX_ADDRS][RUMORD_MEMBER_ADDR_LEN];
	uint8_t naddr;
	uint16_t port;
	uint64_t incarnation;	/* of the newest heartbeat taken */
	uint64_t seq;
	uint64_t last_heard_ms;	/* heartbeat or neighbour evidence */
	enum rumord_member_state state;
	enum rumord_member_down_why down_why;	/* when DOWN */
	uint64_t since_ms;	/* in this state since */
	uint64_t joined_ms;	/* first heard */
	/* Counters, since it joined. */
	uint64_t heartbeats;	/* taken */
	uint64_t stale;		/* ignored: not newer than the last taken */
	uint64_t downs;		/* times it went DOWN, for whatever reason */
	uint64_t restarts;	/* new incarnations after the first */
	bool forget;		/* internal: being forgotten */
};

/*
 * Called for every event, with the member as it is after the change (for
 * FORGOTTEN: as it was, still in the table). @m is valid during the call
 * only, and the callback must not change the table; it may read it.
 */
typedef void (*rumord_member_event_fn)(void *arg, const struct rumord_member *m,
				       enum rumord_member_event ev,
				       uint64_t now);

struct rumord_members_opts {
	uint64_t local_node;	/* our node id: its heartbeats are ignored */
	uint64_t timeout_ms;	/* 0: RUMORD_MEMBERS_TIMEOUT_MS */
	uint64_t forget_ms;	/* 0: RUMORD_MEMBERS_FORGET_MS */
	rumord_member_event_fn event;	/* may be NULL */
	void *arg;
};

/* Since init; what an operator wants to see. */
struct rumord_members_stats {
	uint64_t heartbeats;	/* taken */
	uint64_t stale;		/* not newer than the member's last */
	uint64_t regressed;	/* an older incarnation taken as a restart */
	uint64_t own;		/* ours, come back through the overlay */
	uint64_t refused;	/* heartbeats of a new member beyond the bound */
	uint64_t unknown_leaving; /* LEAVING from a member not known: ignored */
	uint64_t neighbor_up, neighbor_down;	/* the module's evidence */
	uint64_t suspected;	/* rumord_members_suspect calls */
	uint64_t events[RUMORD_MEMBER_NR_EVENTS];
};

struct rumord_members {
	struct rumord_member *members;	/* sorted by node id */
	size_t n;
	uint64_t local_node;
	uint64_t timeout_ms;
	uint64_t forget_ms;
	rumord_member_event_fn event;
	void *arg;
	struct rumord_members_stats stats;
};

/* 0, -ENOMEM. The table's room is allocated here, once. */
int rumord_members_init(struct rumord_members *t,
			const struct rumord_members_opts *opts);
void rumord_members_free(struct rumord_members *t);

/*
 * Take heartbeat @hb heard at @now. 1: taken (a new member, or newer than
 * its last, or of an older incarnation after a long silence: see above);
 * 0: ignored (ours, stale, or LEAVING from a member not known);
 * -ENOSPC: a new member and the table is full (counted in stats.refused);
 * -EINVAL: @hb is not one decode would give.
 */
int rumord_members_heard(struct rumord_members *t,
			 const struct rumord_member_heartbeat *hb, uint64_t now);

/*
 * Members silent for the timeout go DOWN, members DOWN for forget_ms are
 * forgotten. Returns when the next of these is due (absolute, like @now),
 * or 0 when the table is empty. A heartbeat taken since can only make
 * that later, a new member no earlier than @now + timeout.
 */
uint64_t rumord_members_tick(struct rumord_members *t, uint64_t now);

/*
 * The module's NEIGHBOR_UP (@up) or NEIGHBOR_DOWN for the rumor address
 * @addr (IPv6 or IPv4-mapped). NEIGHBOR_UP brings back the members with
 * that address that are DOWN by silence, as heard at @now; incarnation and
 * seq stay. NEIGHBOR_DOWN changes nothing: the active view is a few
 * neighbours, and leaving it says nothing about being alive. Returns the
 * number of members brought back.
 */
size_t rumord_members_neighbor(struct rumord_members *t,
			       const uint8_t addr[RUMORD_MEMBER_ADDR_LEN],
			       bool up, uint64_t now);

/*
 * A request to @node failed (refused, timed out): DOWN now, UP again only
 * by a heartbeat newer than the last taken. 1: it went DOWN; 0: it was
 * DOWN already; -ENOENT: no such member.
 */
int rumord_members_suspect(struct rumord_members *t, uint64_t node,
			   uint64_t now);

/* The member @node, or NULL. Valid until the next change of the table. */
const struct rumord_member *rumord_members_find(const struct rumord_members *t,
						uint64_t node);

/* The @i-th member in node id order (@i below rumord_members_count). */
const struct rumord_member *rumord_members_at(const struct rumord_members *t,
					      size_t i);
size_t rumord_members_count(const struct rumord_members *t);
/* Members UP and DOWN; either may be NULL. */
void rumord_members_counts(const struct rumord_members *t, size_t *up,
			   size_t *down);

/* Where @m listens: its first address and its port. */
void rumord_member_addr(const struct rumord_member *m,
			struct rumord_node_addr *out);

/*
 * The members as ring members (node, first address and port, down), in
 * node id order, for rumord_ring_set_members: all of them, or with
 * @up_only those UP. At most @max into @out; returns how many there are
 * (more than @max: @out holds the first @max).
 *
 * The ring of a sloppy quorum wants the DOWN members too: a down home
 * keeps its keys and gets a stand-in that holds hints for it, where a
 * ring of the live alone would move its keys away and back. The local
 * node is not a member here; the daemon adds itself (with a full table,
 * one more than a ring holds: the ring then drops the highest node id).
 */
size_t rumord_members_ring(const struct rumord_members *t, bool up_only,
			   struct rumord_ring_member *out, size_t max);

/*
 * A rumord_ring_live_fn over table @arg: a ring member is live if it is
 * the local node or a member UP now. With it the ring is rebuilt only
 * when members join, change address or are forgotten, not at every
 * UP and DOWN.
 */
bool rumord_members_ring_live(const struct rumord_ring_member *m, void *arg);

#endif /* _RUMORD_MEMBERS_H */
