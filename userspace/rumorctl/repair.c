// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl repair: rumord's anti-entropy sessions, through its local
 * socket (userspace/rumord/client.h), found like `rumorctl kv` finds it.
 *
 *   status      the scheduler's settings and counters, the store's Merkle
 *               root, and per peer its last session (when, result,
 *               method, keys, bytes, round trips) and the totals of all
 *   now PEER    a session with ADDR[:PORT] at once; waits for its end and
 *               prints its figures
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "../rumord/client.h"
#include "../rumord/repair.h"
#include "../rumord/sync.h"
#include "rumorctl.h"
#include "rumord_conn.h"

#define REPAIR_USAGE	"repair [socket PATH] { status | now ADDR[:PORT] }"

struct repair {
	struct rumord_conn c;
	struct json j;
	uint64_t now;		/* wall clock, Unix ms, for "ago" */
};

static const char *const method_names[] = {
	[RUMORD_SYNC_ANY] = "unknown",	/* no HELLO came */
	[RUMORD_SYNC_AUTO] = "auto",
	[RUMORD_SYNC_BVV] = "bvv",
	[RUMORD_SYNC_MERKLE] = "merkle",
	[RUMORD_SYNC_NAIVE] = "naive",
};

/* rumord's repair.c has the same names; its reasons are bits of this enum. */
static const char *const reason_names[RUMORD_REPAIR_NR] = {
	[RUMORD_REPAIR_STARTUP] = "startup",
	[RUMORD_REPAIR_LOST] = "lost",
	[RUMORD_REPAIR_REF] = "ref",
	[RUMORD_REPAIR_BROADCAST] = "broadcast",
	[RUMORD_REPAIR_NEIGHBOR] = "neighbor",
	[RUMORD_REPAIR_UNREADABLE] = "unreadable",
};

/* ---- output ---- */

static const char *peer_host(const struct rumord_client_peer *p, char *buf,
			     size_t len)
{
	int family = AF_INET6;
	const void *a = p->addr;

	if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)p->addr)) {
		family = AF_INET;
		a = p->addr + 12;
	}
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static const char *peer_name(const struct rumord_client_peer *p, char *buf,
			     size_t len)
{
	char host[INET6_ADDRSTRLEN];
	bool v4 = IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)p->addr);

	peer_host(p, host, sizeof(host));
	if (!p->port)
		snprintf(buf, len, "%s", host);
	else
		snprintf(buf, len, v4 ? "%s:%u" : "[%s]:%u", host, p->port);
	return buf;
}

static const char *method_name(uint8_t m)
{
	return m < sizeof(method_names) / sizeof(method_names[0]) &&
	       method_names[m] ? method_names[m] : "?";
}

/* "12.3 s ago" for a wall-clock time; "never" for 0. */
static const char *ago(const struct repair *r, uint64_t at, char *buf,
		       size_t len)
{
	if (!at)
		return "never";
	snprintf(buf, len, "%.1f s ago",
		 r->now > at ? (double)(r->now - at) / 1000 : 0.0);
	return buf;
}

static void json_peer(struct repair *r, const struct rumord_client_peer *p,
		      const char *key)
{
	char host[INET6_ADDRSTRLEN], name[INET6_ADDRSTRLEN + 8];

	json_open_object(&r->j, key);
	json_str(&r->j, "peer", peer_name(p, name, sizeof(name)));
	json_str(&r->j, "address", peer_host(p, host, sizeof(host)));
	json_u64(&r->j, "port", p->port);
	json_bool(&r->j, "known", p->flags & RUMORD_PF_KNOWN);
	json_bool(&r->j, "incoming", p->flags & RUMORD_PF_INCOMING);
	json_bool(&r->j, "running", p->flags & RUMORD_PF_RUNNING);
	json_bool(&r->j, "vector", p->flags & RUMORD_PF_VECTOR);
	json_bool(&r->j, "initiator", p->flags & RUMORD_PF_INITIATOR);
	json_bool(&r->j, "walked", p->flags & RUMORD_PF_WALKED);
	json_bool(&r->j, "covered", p->flags & RUMORD_PF_COVERED);
	json_str(&r->j, "method", method_name(p->method));
	json_bool(&r->j, "ok", p->sessions && !p->result);
	json_str(&r->j, "error", p->error);
#define JSON_FIELD(f)	json_u64(&r->j, #f, p->f);
	RUMORD_CLIENT_PEER_FIELDS(JSON_FIELD)
#undef JSON_FIELD
	json_close_object(&r->j);
}

/* One session's figures, after @lead. */
static void print_last(const struct rumord_client_peer *p, const char *lead)
{
	printf("%s%s, %s%s: ", lead,
	       p->flags & RUMORD_PF_INITIATOR ? "ours" : "theirs",
	       method_name(p->method),
	       p->flags & RUMORD_PF_WALKED ? " with a Merkle walk" : "");
	if (p->result)
		printf("failed after %.1f s: %s\n", (double)p->duration_ms / 1000,
		       *p->error ? p->error : strerror(-p->result));
	else
		printf("ok in %.3f s\n", (double)p->duration_ms / 1000);
	printf("    keys sent %llu, received %llu (applied %llu); bytes sent %llu, "
	       "received %llu; %llu round trips\n",
	       (unsigned long long)p->keys_sent,
	       (unsigned long long)p->keys_received,
	       (unsigned long long)p->keys_applied,
	       (unsigned long long)p->bytes_sent,
	       (unsigned long long)p->bytes_received,
	       (unsigned long long)p->round_trips);
}

static void print_peer(struct repair *r, const struct rumord_client_peer *p)
{
	char name[INET6_ADDRSTRLEN + 8], when[32], lead[64];

	printf("peer %s", peer_name(p, name, sizeof(name)));
	if (p->flags & RUMORD_PF_INCOMING)
		printf(" (sessions it opened)");
	if (p->flags & RUMORD_PF_KNOWN)
		printf(", known");
	if (p->flags & RUMORD_PF_RUNNING)
		printf(", session running");
	if (p->flags & RUMORD_PF_VECTOR)
		printf(", vector learned %s", ago(r, p->vector_at, when, sizeof(when)));
	printf("\n");
	if (!p->sessions) {
		printf("  no session yet\n");
		return;
	}
	snprintf(lead, sizeof(lead), "  last session %s, ",
		 ago(r, p->last_at, when, sizeof(when)));
	print_last(p, lead);
	printf("  all %llu sessions, %llu failed: keys sent %llu, received %llu; "
	       "bytes sent %llu, received %llu\n",
	       (unsigned long long)p->sessions,
	       (unsigned long long)p->failures,
	       (unsigned long long)p->total_keys_sent,
	       (unsigned long long)p->total_keys_received,
	       (unsigned long long)p->total_bytes_sent,
	       (unsigned long long)p->total_bytes_received);
}

/* The Merkle root as 32 hex digits, high half first. */
static const char *root_hex(const struct rumord_client_repair *s, char *buf,
			    size_t len)
{
	snprintf(buf, len, "%016llx%016llx",
		 (unsigned long long)s->merkle_root_hi,
		 (unsigned long long)s->merkle_root_lo);
	return buf;
}

static void print_info(struct repair *r, const struct rumord_client_repair *s)
{
	char when[32], root[33];
	unsigned int i;
	bool any = false;

	if (s->interval_ms)
		printf("sessions every %.1f s (next in %.1f s)",
		       (double)s->interval_ms / 1000,
		       (double)s->next_round_ms / 1000);
	else
		printf("no automatic sessions (--repair-interval 0)");
	printf(", timeout %.1f s, at most %llu from peers and %llu of ours; "
	       "%llu known peers\n", (double)s->timeout_ms / 1000,
	       (unsigned long long)s->max_in, (unsigned long long)s->max_out,
	       (unsigned long long)s->known_peers);
	printf("  running %llu from peers, %llu ours; started %llu, accepted %llu, "
	       "ok %llu, failed %llu (timed out %llu), refused %llu, busy %llu\n",
	       (unsigned long long)s->active_in, (unsigned long long)s->active_out,
	       (unsigned long long)s->started, (unsigned long long)s->accepted,
	       (unsigned long long)s->ok, (unsigned long long)s->failed,
	       (unsigned long long)s->timed_out, (unsigned long long)s->refused,
	       (unsigned long long)s->busy);
	printf("  repairs pending:");
	for (i = 0; i < RUMORD_REPAIR_NR; i++) {
		if (!(s->repairs_pending & RUMORD_REPAIR_BIT(i)))
			continue;
		printf(" %s", reason_names[i]);
		any = true;
	}
	printf("%s; served %llu times\n", any ? "" : " none",
	       (unsigned long long)s->repairs_taken);
	printf("  tombstones: %llu collected in %llu runs, last %s\n",
	       (unsigned long long)s->gc_collected,
	       (unsigned long long)s->gc_runs, ago(r, s->gc_at, when, sizeof(when)));
	printf("  store: %llu keys (tombstones too), Merkle root %s\n",
	       (unsigned long long)s->merkle_entries,
	       root_hex(s, root, sizeof(root)));
	printf("  members: %llu up, %llu down; with a level: writes %llu "
	       "(failed %llu), reads %llu (failed %llu)\n",
	       (unsigned long long)s->members_up,
	       (unsigned long long)s->members_down,
	       (unsigned long long)s->quorum_writes,
	       (unsigned long long)s->quorum_writes_failed,
	       (unsigned long long)s->quorum_reads,
	       (unsigned long long)s->quorum_reads_failed);
	printf("  read repair: %llu stale replicas found, %llu written back; "
	       "%llu writes to stand-ins, %llu hints stored\n",
	       (unsigned long long)s->digest_mismatches,
	       (unsigned long long)s->read_repairs,
	       (unsigned long long)s->stand_ins,
	       (unsigned long long)s->hints_stored);
}

/* ---- the verbs ---- */

static int repair_status(struct repair *r, int argc, char **argv)
{
	struct rumord_client_msg req = { .op = RUMORD_OP_REPAIR_STATUS }, m;
	char root[33];
	bool peers_open = false;
	int rc;

	(void)argv;
	if (argc)
		return rumorctl_usage("repair status: no arguments expected");
	rc = rumord_conn_connect(&r->c);
	if (!rc)
		rc = rumord_conn_send(&r->c, &req);
	if (rc)
		return rc;
	if (rumorctl_opts.json)
		json_open_object(&r->j, NULL);
	for (;;) {
		rc = rumord_conn_recv(&r->c, &m, RUMORD_OP_REPAIR_INFO, RUMORD_OP_PEER);
		if (rc)
			return rc;
		if (m.op == RUMORD_OP_DONE)
			break;
		if (m.op == RUMORD_OP_REPAIR_INFO && rumorctl_opts.json) {
#define JSON_FIELD(f)	json_u64(&r->j, #f, m.repair.f);
			RUMORD_CLIENT_REPAIR_FIELDS(JSON_FIELD)
#undef JSON_FIELD
			json_str(&r->j, "merkle_root", root_hex(&m.repair,
								root, sizeof(root)));
		} else if (m.op == RUMORD_OP_REPAIR_INFO) {
			print_info(r, &m.repair);
		} else if (rumorctl_opts.json) {
			if (!peers_open)
				json_open_array(&r->j, "peers");
			peers_open = true;
			json_peer(r, &m.peer, NULL);
		} else {
			print_peer(r, &m.peer);
		}
	}
	if (m.status)
		return rumorctl_fail("repair status: %s", strerror(-m.status));
	if (rumorctl_opts.json) {
		if (!peers_open)
			json_open_array(&r->j, "peers");
		json_close_array(&r->j);
		json_close_object(&r->j);
		json_end(&r->j);
	}
	return 0;
}

static int repair_now(struct repair *r, int argc, char **argv)
{
	struct rumord_client_msg req = { .op = RUMORD_OP_REPAIR_NOW }, m;
	struct rumord_client_peer fig;
	struct rumorctl_addr a;
	char name[INET6_ADDRSTRLEN + 8], lead[INET6_ADDRSTRLEN + 32];
	bool have_fig = false;
	int rc;

	if (argc != 1)
		return rumorctl_usage("repair now: expected ADDR[:PORT]");
	if (rumorctl_parse_addr(argv[0], &a))
		return rumorctl_usage("repair now: bad address '%s' (ADDR[:PORT] or [ADDR6]:PORT)",
				      argv[0]);
	if (a.family == AF_INET) {
		req.peer.addr[10] = 0xff;
		req.peer.addr[11] = 0xff;
		memcpy(req.peer.addr + 12, a.addr, 4);
	} else {
		memcpy(req.peer.addr, a.addr, 16);
	}
	req.peer.port = a.port;	/* 0: rumord's --peer-port */
	rc = rumord_conn_connect(&r->c);
	if (!rc)
		rc = rumord_conn_send(&r->c, &req);
	if (rc)
		return rc;
	for (;;) {
		rc = rumord_conn_recv(&r->c, &m, RUMORD_OP_PEER, RUMORD_OP_PEER);
		if (rc)
			return rc;
		if (m.op == RUMORD_OP_DONE)
			break;
		fig = m.peer;
		have_fig = true;
	}
	if (have_fig && rumorctl_opts.json) {
		json_peer(r, &fig, NULL);
		json_end(&r->j);
	} else if (have_fig) {
		snprintf(lead, sizeof(lead), "session with %s: ",
			 peer_name(&fig, name, sizeof(name)));
		print_last(&fig, lead);
	}
	if (m.status) {
		const char *why = have_fig && *fig.error ? fig.error :
				  strerror(-m.status);

		if (m.status == -EBUSY)
			why = "too many sessions running; try again";
		return rumorctl_fail("repair now: %s: %s", argv[0], why);
	}
	return 0;
}

static const struct {
	const char *verb;
	int (*run)(struct repair *r, int argc, char **argv);
} verbs[] = {
	{ "status", repair_status },
	{ "now", repair_now },
};

int cmd_repair(int argc, char **argv)
{
	struct repair r;
	size_t i;
	int a = 1, rc;
	const char *path = rumord_conn_path(argc, argv, &a);

	if (a >= argc)
		return rumorctl_usage("repair: expected status or now: " REPAIR_USAGE);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[a], verbs[i].verb))
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return rumorctl_usage("repair: unknown command '%s': " REPAIR_USAGE,
				      argv[a]);
	rc = rumord_conn_init(&r.c, "repair", argv[a], path);
	if (rc)
		return rc;
	r.now = rumord_conn_wall_ms();
	json_init(&r.j, stdout);
	rc = verbs[i].run(&r, argc - a - 1, argv + a + 1);
	fflush(stdout);
	rumord_conn_close(&r.c);
	return rc;
}
