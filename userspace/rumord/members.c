// SPDX-License-Identifier: GPL-2.0
/*
 * Cluster membership (see members.h): the heartbeat payload, checked field
 * by field as it came from the network, and the table of members with
 * their UP and DOWN states.
 *
 * The table is an array sorted by node id, allocated once at its bound:
 * lookups are a binary search, a join or a forget moves at most the
 * array's tail (members join and leave far less often than they send
 * heartbeats), and a heartbeat never allocates, so it cannot fail for
 * want of memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "members.h"

#define OFF_MAGIC	0
#define OFF_VERSION	2
#define OFF_FLAGS	3
#define OFF_PORT	4
#define OFF_NADDR	6
#define OFF_RESERVED	7
#define OFF_NODE	8
#define OFF_INCARNATION	16
#define OFF_SEQ		24

static const uint8_t v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* ---- the heartbeat ---- */

bool rumord_member_addr_ok(const uint8_t addr[RUMORD_MEMBER_ADDR_LEN])
{
	static const uint8_t zero[RUMORD_MEMBER_ADDR_LEN];

	if (!memcmp(addr, zero, sizeof(zero)) || addr[0] == 0xff)
		return false;
	/*
	 * IPv4-mapped: 0.0.0.0/8 is "this network" and 224.0.0.0 and up
	 * multicast or reserved; the same rule rumord_session_now() applies
	 * to an address it is asked to reach.
	 */
	if (!memcmp(addr, v4mapped_prefix, sizeof(v4mapped_prefix)) &&
	    (!addr[12] || addr[12] >= 224))
		return false;
	return true;
}

/*
 * The checks decode makes beyond the layout, shared with encode so that
 * nothing is sent that every receiver would refuse.
 */
static bool heartbeat_ok(const struct rumord_member_heartbeat *hb)
{
	unsigned int i, j;

	if (!hb->node || !hb->port || !hb->naddr ||
	    hb->naddr > RUMORD_MEMBER_MAX_ADDRS)
		return false;
	for (i = 0; i < hb->naddr; i++) {
		if (!rumord_member_addr_ok(hb->addrs[i]))
			return false;
		/*
		 * Distinct: a member's addresses are a set, and a duplicate is
		 * a sender that is confused about which it has.
		 */
		for (j = 0; j < i; j++)
			if (!memcmp(hb->addrs[i], hb->addrs[j],
				    RUMORD_MEMBER_ADDR_LEN))
				return false;
	}
	return true;
}

size_t rumord_member_heartbeat_size(const struct rumord_member_heartbeat *hb)
{
	return RUMORD_MEMBER_HLEN + (size_t)hb->naddr * RUMORD_MEMBER_ADDR_LEN;
}

long rumord_member_heartbeat_encode(const struct rumord_member_heartbeat *hb,
				    void *buf, size_t size)
{
	uint8_t *p = buf;
	size_t len;

	if (!heartbeat_ok(hb))
		return -EINVAL;
	len = rumord_member_heartbeat_size(hb);
	if (len > size)
		return -EMSGSIZE;
	rumord_put_le16(p + OFF_MAGIC, RUMORD_MEMBER_MAGIC);
	p[OFF_VERSION] = RUMORD_MEMBER_VERSION;
	p[OFF_FLAGS] = hb->leaving ? RUMORD_MEMBER_F_LEAVING : 0;
	rumord_put_le16(p + OFF_PORT, hb->port);
	p[OFF_NADDR] = hb->naddr;
	p[OFF_RESERVED] = 0;
	rumord_put_le64(p + OFF_NODE, hb->node);
	rumord_put_le64(p + OFF_INCARNATION, hb->incarnation);
	rumord_put_le64(p + OFF_SEQ, hb->seq);
	memcpy(p + RUMORD_MEMBER_HLEN, hb->addrs,
	       (size_t)hb->naddr * RUMORD_MEMBER_ADDR_LEN);
	return (long)len;
}

int rumord_member_heartbeat_decode(const void *buf, size_t len,
				   struct rumord_member_heartbeat *out)
{
	const uint8_t *p = buf;
	uint8_t flags, naddr;

	if (len < 2 || rumord_get_le16(p + OFF_MAGIC) != RUMORD_MEMBER_MAGIC)
		return -ENOMSG;
	if (len <= OFF_VERSION)
		return -EINVAL;
	/*
	 * The version before the length: a later version may have another
	 * header, and is then "not understood", not "malformed".
	 */
	if (p[OFF_VERSION] != RUMORD_MEMBER_VERSION)
		return -EPROTO;
	if (len < RUMORD_MEMBER_HLEN)
		return -EINVAL;
	flags = p[OFF_FLAGS];
	naddr = p[OFF_NADDR];
	if (flags & ~RUMORD_MEMBER_F_LEAVING || p[OFF_RESERVED] || !naddr ||
	    naddr > RUMORD_MEMBER_MAX_ADDRS ||
	    len != RUMORD_MEMBER_HLEN + (size_t)naddr * RUMORD_MEMBER_ADDR_LEN)
		return -EINVAL;

	memset(out, 0, sizeof(*out));
	out->leaving = flags & RUMORD_MEMBER_F_LEAVING;
	out->port = rumord_get_le16(p + OFF_PORT);
	out->naddr = naddr;
	out->node = rumord_get_le64(p + OFF_NODE);
	out->incarnation = rumord_get_le64(p + OFF_INCARNATION);
	out->seq = rumord_get_le64(p + OFF_SEQ);
	memcpy(out->addrs, p + RUMORD_MEMBER_HLEN,
	       (size_t)naddr * RUMORD_MEMBER_ADDR_LEN);
	return heartbeat_ok(out) ? 0 : -EINVAL;
}

/* ---- the table ---- */

static const char *const event_names[RUMORD_MEMBER_NR_EVENTS] = {
	[RUMORD_MEMBER_JOINED]		= "joined",
	[RUMORD_MEMBER_UPDATED]		= "updated",
	[RUMORD_MEMBER_RESTARTED]	= "restarted",
	[RUMORD_MEMBER_EV_UP]		= "up",
	[RUMORD_MEMBER_EV_DOWN]		= "down",
	[RUMORD_MEMBER_LEFT]		= "left",
	[RUMORD_MEMBER_FORGOTTEN]	= "forgotten",
};

const char *rumord_member_event_name(enum rumord_member_event ev)
{
	if ((unsigned int)ev >= RUMORD_MEMBER_NR_EVENTS)
		return "?";
	return event_names[ev];
}

static void emit(struct rumord_members *t, const struct rumord_member *m,
		 enum rumord_member_event ev, uint64_t now)
{
	t->stats.events[ev]++;
	if (t->event)
		t->event(t->arg, m, ev, now);
}

/* @a + @b, or UINT64_MAX rather than wrapping round to the past. */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int rumord_members_init(struct rumord_members *t,
			const struct rumord_members_opts *opts)
{
	memset(t, 0, sizeof(*t));
	t->members = calloc(RUMORD_MEMBERS_MAX, sizeof(*t->members));
	if (!t->members)
		return -ENOMEM;
	if (opts) {
		t->local_node = opts->local_node;
		t->timeout_ms = opts->timeout_ms;
		t->forget_ms = opts->forget_ms;
		t->event = opts->event;
		t->arg = opts->arg;
	}
	if (!t->timeout_ms)
		t->timeout_ms = RUMORD_MEMBERS_TIMEOUT_MS;
	if (!t->forget_ms)
		t->forget_ms = RUMORD_MEMBERS_FORGET_MS;
	return 0;
}

void rumord_members_free(struct rumord_members *t)
{
	free(t->members);
	memset(t, 0, sizeof(*t));
}

/* The index of @node, or where it would go (with *found false). */
static size_t lookup(const struct rumord_members *t, uint64_t node,
		     bool *found)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->members[mid].node < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < t->n && t->members[lo].node == node;
	return lo;
}

/* Take @hb's addresses and port; true if they differ from @m's. */
static bool take_addrs(struct rumord_member *m,
		       const struct rumord_member_heartbeat *hb)
{
	size_t len = (size_t)hb->naddr * RUMORD_MEMBER_ADDR_LEN;
	bool changed = m->naddr != hb->naddr || m->port != hb->port ||
		       memcmp(m->addrs, hb->addrs, len);

	memset(m->addrs, 0, sizeof(m->addrs));
	memcpy(m->addrs, hb->addrs, len);
	m->naddr = hb->naddr;
	m->port = hb->port;
	return changed;
}

static void go_down(struct rumord_member *m, enum rumord_member_down_why why,
		    uint64_t now)
{
	m->state = RUMORD_MEMBER_DOWN;
	m->down_why = why;
	m->since_ms = now;
	m->downs++;
}

static void go_up(struct rumord_member *m, uint64_t now)
{
	m->state = RUMORD_MEMBER_UP;
	m->since_ms = now;
}

static int join(struct rumord_members *t, size_t at,
		const struct rumord_member_heartbeat *hb, uint64_t now)
{
	struct rumord_member *m;

	/*
	 * A member we never knew that is going away: remembering it would
	 * only take room, and it would be DOWN from its first moment.
	 */
	if (hb->leaving) {
		t->stats.unknown_leaving++;
		return 0;
	}
	/*
	 * Full: refused rather than evicting someone, so that a burst of
	 * new node ids (a misconfigured cluster, a hostile sender) cannot
	 * push out members the ring and the hints depend on. The dead leave
	 * room when they are forgotten.
	 */
	if (t->n >= RUMORD_MEMBERS_MAX) {
		t->stats.refused++;
		return -ENOSPC;
	}
	memmove(&t->members[at + 1], &t->members[at],
		(t->n - at) * sizeof(*t->members));
	t->n++;
	m = &t->members[at];
	memset(m, 0, sizeof(*m));
	m->node = hb->node;
	take_addrs(m, hb);
	m->incarnation = hb->incarnation;
	m->seq = hb->seq;
	m->last_heard_ms = now;
	m->joined_ms = now;
	m->heartbeats = 1;
	go_up(m, now);
	t->stats.heartbeats++;
	emit(t, m, RUMORD_MEMBER_JOINED, now);
	return 1;
}

/*
 * May @m take a heartbeat of an older incarnation? The incarnation is the
 * sender's start time on its wall clock, which can be behind the one of
 * its previous start (a clock stepped back, a new machine under the old
 * node id): its every heartbeat would be stale until the member is
 * forgotten, a day later. A member DOWN and unheard for twice the timeout
 * takes it, as a restart. A previous life's heartbeat is rarely that late
 * (eager push delivers in milliseconds, a graft within a second), though
 * the module's cache could still serve one for a minute after a partition;
 * taken, it costs a member that looks UP then DOWN for about twice the
 * timeout, until the new life's heartbeats are taken again this way.
 */
static bool regressed(const struct rumord_members *t,
		      const struct rumord_member *m, uint64_t now)
{
	return m->state == RUMORD_MEMBER_DOWN && now >= m->last_heard_ms &&
	       now - m->last_heard_ms >= add_sat(t->timeout_ms, t->timeout_ms);
}

/*
 * Plumtree may deliver a heartbeat late (lazy push, a graft) or, after a
 * repair of the tree, twice: only one newer than the last taken tells us
 * anything, and it must not bring back addresses or a state that a newer
 * one replaced.
 */
static bool stale(const struct rumord_members *t, const struct rumord_member *m,
		  const struct rumord_member_heartbeat *hb, uint64_t now)
{
	if (hb->incarnation == m->incarnation)
		return hb->seq <= m->seq;
	if (hb->incarnation > m->incarnation)
		return false;
	return !regressed(t, m, now);
}

int rumord_members_heard(struct rumord_members *t,
			 const struct rumord_member_heartbeat *hb, uint64_t now)
{
	struct rumord_member *m;
	bool found, restarted, moved;
	size_t at;

	if (!heartbeat_ok(hb))
		return -EINVAL;
	/* The overlay delivers our own broadcasts back to us now and then. */
	if (hb->node == t->local_node) {
		t->stats.own++;
		return 0;
	}
	at = lookup(t, hb->node, &found);
	if (!found)
		return join(t, at, hb, now);

	m = &t->members[at];
	if (stale(t, m, hb, now)) {
		m->stale++;
		t->stats.stale++;
		return 0;
	}
	if (hb->incarnation < m->incarnation)
		t->stats.regressed++;
	restarted = hb->incarnation != m->incarnation;
	if (restarted)
		m->restarts++;
	m->incarnation = hb->incarnation;
	m->seq = hb->seq;
	m->last_heard_ms = now;
	m->heartbeats++;
	t->stats.heartbeats++;
	moved = take_addrs(m, hb);

	/*
	 * UPDATED first: whoever handles UP (replaying hints) or LEFT then
	 * already sees the member's new address, and so does UPDATED's
	 * handler, which may rebuild the ring.
	 */
	if (moved)
		emit(t, m, RUMORD_MEMBER_UPDATED, now);
	if (hb->leaving) {
		if (m->state == RUMORD_MEMBER_UP) {
			go_down(m, RUMORD_MEMBER_LEAVING, now);
			emit(t, m, RUMORD_MEMBER_LEFT, now);
		} else {
			/* Down already; only a newer heartbeat may lift it now. */
			m->down_why = RUMORD_MEMBER_LEAVING;
		}
	} else if (m->state == RUMORD_MEMBER_DOWN) {
		go_up(m, now);
		emit(t, m, RUMORD_MEMBER_EV_UP, now);
	} else if (restarted) {
		/*
		 * It died and came back within the timeout, unnoticed: what it
		 * was sent meanwhile may be lost, which the daemon may want to
		 * know (replay hints, start a session).
		 */
		emit(t, m, RUMORD_MEMBER_RESTARTED, now);
	}
	return 1;
}

uint64_t rumord_members_tick(struct rumord_members *t, uint64_t now)
{
	size_t i, j, forget = 0;
	uint64_t next = 0;

	for (i = 0; i < t->n; i++) {
		struct rumord_member *m = &t->members[i];
		uint64_t due = 0;

		if (m->state == RUMORD_MEMBER_UP) {
			due = add_sat(m->last_heard_ms, t->timeout_ms);
			if (now >= due) {
				go_down(m, RUMORD_MEMBER_SILENT, now);
				emit(t, m, RUMORD_MEMBER_EV_DOWN, now);
			}
		}
		if (m->state == RUMORD_MEMBER_DOWN) {
			due = add_sat(m->since_ms, t->forget_ms);
			if (now >= due) {
				m->forget = true;
				forget++;
				continue;
			}
		}
		if (!next || due < next)
			next = due;
	}
	if (!forget)
		return next;

	/*
	 * Events first, with the table whole, then one pass to close the
	 * gaps: forgetting many at once (a cluster shrunk a day ago) moves
	 * each member once, not once per member forgotten before it.
	 */
	for (i = 0; i < t->n; i++)
		if (t->members[i].forget)
			emit(t, &t->members[i], RUMORD_MEMBER_FORGOTTEN, now);
	for (i = 0, j = 0; i < t->n; i++) {
		if (t->members[i].forget)
			continue;
		if (i != j)
			t->members[j] = t->members[i];
		j++;
	}
	t->n = j;
	return next;
}

static bool has_addr(const struct rumord_member *m,
		     const uint8_t addr[RUMORD_MEMBER_ADDR_LEN])
{
	unsigned int i;

	for (i = 0; i < m->naddr; i++)
		if (!memcmp(m->addrs[i], addr, RUMORD_MEMBER_ADDR_LEN))
			return true;
	return false;
}

size_t rumord_members_neighbor(struct rumord_members *t,
			       const uint8_t addr[RUMORD_MEMBER_ADDR_LEN],
			       bool up, uint64_t now)
{
	size_t i, back = 0;

	if (!up) {
		t->stats.neighbor_down++;
		return 0;
	}
	t->stats.neighbor_up++;
	/*
	 * A scan: neighbour events are rare (the active view changes on
	 * joins, failures and shuffles), and an address may be any of a
	 * member's, or several members' (rumords in several namespaces
	 * behind one address).
	 */
	for (i = 0; i < t->n; i++) {
		struct rumord_member *m = &t->members[i];

		/*
		 * The event is about the host's rumor.ko instance, which runs
		 * whether rumord does or not. It is enough to end a silence
		 * (the heartbeats lost, the member not gone), not to overrule
		 * a member that said it is leaving or that failed a request:
		 * only its own newer heartbeat does that. A member brought
		 * back by mistake goes DOWN again a timeout later, or at its
		 * first failed request.
		 */
		if (m->state != RUMORD_MEMBER_DOWN ||
		    m->down_why != RUMORD_MEMBER_SILENT || !has_addr(m, addr))
			continue;
		m->last_heard_ms = now;
		go_up(m, now);
		emit(t, m, RUMORD_MEMBER_EV_UP, now);
		back++;
	}
	return back;
}

int rumord_members_suspect(struct rumord_members *t, uint64_t node,
			   uint64_t now)
{
	struct rumord_member *m;
	bool found;
	size_t at;

	at = lookup(t, node, &found);
	if (!found)
		return -ENOENT;
	t->stats.suspected++;
	m = &t->members[at];
	if (m->state == RUMORD_MEMBER_DOWN) {
		/* Silent and now failing too: neighbour evidence no longer does. */
		if (m->down_why == RUMORD_MEMBER_SILENT)
			m->down_why = RUMORD_MEMBER_SUSPECTED;
		return 0;
	}
	go_down(m, RUMORD_MEMBER_SUSPECTED, now);
	emit(t, m, RUMORD_MEMBER_EV_DOWN, now);
	return 1;
}

const struct rumord_member *rumord_members_find(const struct rumord_members *t,
						uint64_t node)
{
	bool found;
	size_t at = lookup(t, node, &found);

	return found ? &t->members[at] : NULL;
}

const struct rumord_member *rumord_members_at(const struct rumord_members *t,
					      size_t i)
{
	return i < t->n ? &t->members[i] : NULL;
}

size_t rumord_members_count(const struct rumord_members *t)
{
	return t->n;
}

void rumord_members_counts(const struct rumord_members *t, size_t *up,
			   size_t *down)
{
	size_t i, u = 0;

	for (i = 0; i < t->n; i++)
		u += t->members[i].state == RUMORD_MEMBER_UP;
	if (up)
		*up = u;
	if (down)
		*down = t->n - u;
}

void rumord_member_addr(const struct rumord_member *m,
			struct rumord_node_addr *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->addr, m->addrs[0], sizeof(out->addr));
	out->port = m->port;
}

size_t rumord_members_ring(const struct rumord_members *t, bool up_only,
			   struct rumord_ring_member *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++) {
		const struct rumord_member *m = &t->members[i];

		if (up_only && m->state != RUMORD_MEMBER_UP)
			continue;
		if (n < max) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].node = m->node;
			rumord_member_addr(m, &out[n].addr);
			out[n].down = m->state != RUMORD_MEMBER_UP;
		}
		n++;
	}
	return n;
}

bool rumord_members_ring_live(const struct rumord_ring_member *m, void *arg)
{
	const struct rumord_members *t = arg;
	const struct rumord_member *mm;

	if (m->node == t->local_node)
		return true;
	mm = rumord_members_find(t, m->node);
	return mm && mm->state == RUMORD_MEMBER_UP;
}
