// SPDX-License-Identifier: GPL-2.0
/*
 * Membership in the daemon: every RUMORD_MEMBERS_HEARTBEAT_MS rumord
 * broadcasts its heartbeat (members.h) through the namespace's rumor.ko
 * instance, and takes the heartbeats the instance delivers from the
 * others. The table says who is UP; the ring (ring.h) over every member,
 * UP or DOWN, and ourselves places keys on replicas. A member going DOWN
 * or UP does not move keys: the ring is rebuilt only when members join,
 * change address or are forgotten, and liveness is asked at each lookup.
 *
 * Without the module there is no heartbeat and no member: the ring is
 * this node alone.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "cluster.h"
#include "genl.h"
#include "handoff.h"
#include "log.h"
#include "mdb.h"
#include "rumord.h"

/* Our addresses are looked up again this often: they may change. */
#define ADDRS_REFRESH_MS	10000

struct rumord_cluster {
	struct rumord *d;
	struct rumord_watch timer;
	struct rumord_members members;
	struct rumord_ring ring;
	bool ring_stale;
	struct rumord_ring_member self;
	struct rumord_member_heartbeat hb;
	bool advertise_fixed;		/* --advertise */
	uint64_t heartbeat_at;		/* the next one */
	uint64_t tick_at;		/* the table's next deadline; 0: none */
	uint64_t addrs_at;		/* when to look our addresses up again */
	uint64_t sent;			/* heartbeats */
	uint64_t started_ms;
	struct rumord_ring_member *scratch;	/* for rebuilds */
};

static void addr_from_sa(const struct sockaddr *sa, uint8_t out[16])
{
	memset(out, 0, 16);
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else {
		out[10] = 0xff;
		out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	}
}

/*
 * The host's addresses that peers can reach: global ones, IPv4 first (as
 * rumor's overlay mostly runs), no loopback, no link-local (it would need
 * a scope). Returns how many; 0 leaves the heartbeat unsent.
 */
static uint8_t host_addrs(uint8_t out[][RUMORD_MEMBER_ADDR_LEN])
{
	struct ifaddrs *ifa, *i;
	uint8_t n = 0;
	int pass;

	if (getifaddrs(&ifa))
		return 0;
	for (pass = 0; pass < 2; pass++) {
		for (i = ifa; i && n < RUMORD_MEMBER_MAX_ADDRS; i = i->ifa_next) {
			uint8_t a[16];
			bool dup = false;

			if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK) ||
			    !(i->ifa_flags & IFF_UP))
				continue;
			if (i->ifa_addr->sa_family != (pass ? AF_INET6 : AF_INET))
				continue;
			addr_from_sa(i->ifa_addr, a);
			if (pass && (IN6_IS_ADDR_LINKLOCAL((struct in6_addr *)a) ||
				     IN6_IS_ADDR_LOOPBACK((struct in6_addr *)a)))
				continue;
			if (!rumord_member_addr_ok(a))
				continue;
			for (uint8_t k = 0; k < n; k++)
				dup |= !memcmp(out[k], a, 16);
			if (!dup)
				memcpy(out[n++], a, 16);
		}
	}
	freeifaddrs(ifa);
	return n;
}

static void refresh_addrs(struct rumord_cluster *c, uint64_t now)
{
	uint8_t addrs[RUMORD_MEMBER_MAX_ADDRS][RUMORD_MEMBER_ADDR_LEN] = { 0 };
	uint8_t n;

	c->addrs_at = now + ADDRS_REFRESH_MS;
	if (c->advertise_fixed)
		return;
	n = host_addrs(addrs);
	if (n == c->hb.naddr && !memcmp(addrs, c->hb.addrs, (size_t)n * 16))
		return;
	memcpy(c->hb.addrs, addrs, sizeof(addrs));
	c->hb.naddr = n;
	memcpy(c->self.addr.addr, addrs[0], 16);
	c->ring_stale = true;
	if (!n)
		rumord_warn("no address to advertise: no heartbeat until one is up");
}

static void send_heartbeat(struct rumord_cluster *c, bool leaving)
{
	uint8_t buf[RUMORD_MEMBER_MAX_LEN];
	static struct rumord_ratelimit rl = { .interval_ms = 60000 };
	uint64_t held;
	long n;
	int rc;

	if (!c->d->genl || !c->hb.naddr)
		return;
	c->hb.seq++;
	c->hb.leaving = leaving;
	n = rumord_member_heartbeat_encode(&c->hb, buf, sizeof(buf));
	rc = n < 0 ? (int)n : rumord_genl_broadcast(c->d->genl, buf, (size_t)n);
	if (!rc) {
		c->sent++;
		return;
	}
	if (rumord_ratelimit(&rl, &held))
		rumord_warn("cannot send the membership heartbeat: %s (%llu more "
			    "held back)", strerror(-rc), (unsigned long long)held);
}

static void arm(struct rumord_cluster *c)
{
	uint64_t at = c->heartbeat_at;

	if (c->tick_at && c->tick_at < at)
		at = c->tick_at;
	rumord_timer_set(&c->timer, at);
}

static void timer_event(struct rumord *d, struct rumord_watch *w,
			uint32_t events)
{
	struct rumord_cluster *c = d->cluster;
	uint64_t now = rumord_now_ms();

	(void)events;
	rumord_timer_ack(w);
	if (now >= c->addrs_at)
		refresh_addrs(c, now);
	if (now >= c->heartbeat_at) {
		send_heartbeat(c, false);
		c->heartbeat_at = now + RUMORD_MEMBERS_HEARTBEAT_MS;
	}
	if (c->tick_at && now >= c->tick_at)
		c->tick_at = rumord_members_tick(&c->members, now);
	arm(c);
}

static void fmt_addr(const uint8_t a[16], uint16_t port, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a)) {
		inet_ntop(AF_INET, a + 12, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, port);
	} else {
		inet_ntop(AF_INET6, a, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, port);
	}
}

/* The table's events: the log, the ring, and hinted handoff. */
static void member_event(void *arg, const struct rumord_member *m,
			 enum rumord_member_event ev, uint64_t now)
{
	struct rumord_cluster *c = arg;
	char where[64];

	(void)now;
	fmt_addr(m->addrs[0], m->port, where, sizeof(where));
	switch (ev) {
	case RUMORD_MEMBER_JOINED:
	case RUMORD_MEMBER_UPDATED:
	case RUMORD_MEMBER_FORGOTTEN:
		c->ring_stale = true;
		break;
	default:
		break;
	}
	if (ev == RUMORD_MEMBER_EV_DOWN || ev == RUMORD_MEMBER_LEFT)
		rumord_info("member %016llx at %s: %s", (unsigned long long)m->node,
			    where, rumord_member_event_name(ev));
	else
		rumord_info("member %016llx at %s: %s (incarnation %llu)",
			    (unsigned long long)m->node, where,
			    rumord_member_event_name(ev),
			    (unsigned long long)m->incarnation);
	rumord_handoff_member(c->d, m->node, ev);
}

int rumord_cluster_deliver(struct rumord *d, const void *payload, size_t len)
{
	struct rumord_cluster *c = d->cluster;
	struct rumord_member_heartbeat hb;
	static struct rumord_ratelimit rl = { .interval_ms = 10000 };
	uint64_t held, now;
	int rc;

	rc = rumord_member_heartbeat_decode(payload, len, &hb);
	if (rc == -ENOMSG)
		return 0;
	if (!c)
		return 1;
	if (rc) {
		if (rumord_ratelimit(&rl, &held))
			rumord_warn("unreadable membership heartbeat: %s (%llu more "
				    "held back)", strerror(-rc),
				    (unsigned long long)held);
		return 1;
	}
	now = rumord_now_ms();
	rc = rumord_members_heard(&c->members, &hb, now);
	if (rc == -ENOSPC && rumord_ratelimit(&rl, &held))
		rumord_warn("membership table full (%d): node %016llx not taken",
			    RUMORD_MEMBERS_MAX, (unsigned long long)hb.node);
	if (rc > 0 && (!c->tick_at || c->tick_at > now + c->members.timeout_ms)) {
		/* A new member's deadline is no earlier than now + timeout. */
		c->tick_at = rumord_members_tick(&c->members, now);
		arm(c);
	}
	return 1;
}

void rumord_cluster_neighbor(struct rumord *d, const struct sockaddr *sa,
			     socklen_t len, bool up)
{
	struct rumord_cluster *c = d->cluster;
	uint8_t a[16];

	if (!c || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    len < (sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
					       sizeof(struct sockaddr_in6)))
		return;
	addr_from_sa(sa, a);
	rumord_members_neighbor(&c->members, a, up, rumord_now_ms());
}

void rumord_cluster_suspect(struct rumord *d, uint64_t node)
{
	struct rumord_cluster *c = d->cluster;

	if (c && node != c->self.node)
		rumord_members_suspect(&c->members, node, rumord_now_ms());
}

struct rumord_members *rumord_cluster_members(struct rumord *d)
{
	return &d->cluster->members;
}

void rumord_cluster_self_info(struct rumord *d, uint64_t *incarnation,
			      uint64_t *sent, uint64_t *started_ms)
{
	*incarnation = d->cluster->hb.incarnation;
	*sent = d->cluster->sent;
	*started_ms = d->cluster->started_ms;
}

const struct rumord_ring_member *rumord_cluster_self(struct rumord *d)
{
	return &d->cluster->self;
}

const struct rumord_ring *rumord_cluster_ring(struct rumord *d)
{
	struct rumord_cluster *c = d->cluster;
	size_t n, refused;
	int rc;

	if (!c->ring_stale)
		return &c->ring;
	n = rumord_members_ring(&c->members, false, c->scratch,
				RUMORD_MEMBERS_MAX);
	if (n > RUMORD_MEMBERS_MAX)
		n = RUMORD_MEMBERS_MAX;
	c->scratch[n++] = c->self;
	rc = rumord_ring_set_members(&c->ring, c->scratch, n, &refused);
	if (rc)
		rumord_err("cannot rebuild the hash ring: %s", strerror(-rc));
	else
		c->ring_stale = false;
	return &c->ring;
}

bool rumord_cluster_live(struct rumord *d, uint64_t node)
{
	struct rumord_cluster *c = d->cluster;
	const struct rumord_member *m;

	if (node == c->self.node)
		return true;
	m = rumord_members_find(&c->members, node);
	return m && m->state == RUMORD_MEMBER_UP;
}

int rumord_cluster_open(struct rumord *d, const struct rumord_cluster_opts *o)
{
	struct rumord_members_opts mo = { .local_node = d->node_id };
	struct rumord_cluster *c;
	int rc;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->scratch = calloc(RUMORD_MEMBERS_MAX + 1, sizeof(*c->scratch));
	if (!c->scratch) {
		free(c);
		return -ENOMEM;
	}
	c->d = d;
	c->timer.fd = -1;
	mo.event = member_event;
	mo.arg = c;
	rc = rumord_members_init(&c->members, &mo);
	if (!rc)
		rc = rumord_ring_init(&c->ring, 0);
	if (rc) {
		rumord_members_free(&c->members);
		free(c->scratch);
		free(c);
		return rc;
	}
	c->self.node = d->node_id;
	c->started_ms = rumord_now_ms();
	c->self.addr.port = o->port;
	c->hb.node = d->node_id;
	c->hb.port = o->port;
	/* A new incarnation at every start: it outranks our previous life. */
	c->hb.incarnation = rumord_realtime_ms();
	c->ring_stale = true;
	d->cluster = c;
	if (o->naddr) {
		c->advertise_fixed = true;
		memcpy(c->hb.addrs, o->addrs, sizeof(o->addrs));
		c->hb.naddr = o->naddr;
		memcpy(c->self.addr.addr, o->addrs[0], 16);
	}
	refresh_addrs(c, rumord_now_ms());
	c->timer.fn = timer_event;
	rc = rumord_timer_open(d, &c->timer);
	if (rc) {
		rumord_cluster_close(d);
		return rc;
	}
	/* The first heartbeat at once: others learn of a restart sooner. */
	send_heartbeat(c, false);
	c->heartbeat_at = rumord_now_ms() + RUMORD_MEMBERS_HEARTBEAT_MS;
	arm(c);
	return 0;
}

void rumord_cluster_close(struct rumord *d)
{
	struct rumord_cluster *c = d->cluster;

	if (!c)
		return;
	if (c->timer.fd >= 0)
		send_heartbeat(c, true);
	rumord_timer_close(d, &c->timer);
	rumord_ring_free(&c->ring);
	rumord_members_free(&c->members);
	free(c->scratch);
	free(c);
	d->cluster = NULL;
}
