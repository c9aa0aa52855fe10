// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl hints: the writes rumord keeps for replicas that missed them
 * (hinted handoff, docs/rumord.md), through its local socket like
 * `rumorctl nodes`: per node the hints kept, their bytes and the age of
 * the oldest, then the hint store's figures since rumord started.
 */
#include <stdlib.h>
#include <string.h>

#include "../rumord/client.h"
#include "rumorctl.h"
#include "rumord_conn.h"

struct hints {
	struct json j;
	uint64_t now;		/* wall clock, Unix ms, for the ages */
	bool started;		/* -j: the object and its "targets" are open */
	bool info;		/* HINTS_INFO came: no target after it */
	unsigned int targets;
};

static void json_target(struct hints *h,
			const struct rumord_client_hint_target *t)
{
	char addr[64], node[17];

	snprintf(node, sizeof(node), "%016llx", (unsigned long long)t->node);
	json_open_object(&h->j, NULL);
	json_str(&h->j, "node", node);
	json_str(&h->j, "addr", rumorctl_format_addr16(t->addr, t->port, addr,
						       sizeof(addr)));
	json_u64(&h->j, "port", t->port);
	json_u64(&h->j, "count", t->count);
	json_u64(&h->j, "bytes", t->bytes);
	json_u64(&h->j, "oldest_at", t->oldest_at);
	json_close_object(&h->j);
}

static void print_target(struct hints *h,
			 const struct rumord_client_hint_target *t)
{
	char addr[64];

	printf("%016llx  %-28s hints %llu, bytes %llu, oldest ",
	       (unsigned long long)t->node,
	       rumorctl_format_addr16(t->addr, t->port, addr, sizeof(addr)),
	       (unsigned long long)t->count, (unsigned long long)t->bytes);
	if (t->oldest_at)
		printf("%.1f s ago\n", h->now > t->oldest_at ?
		       (double)(h->now - t->oldest_at) / 1000 : 0.0);
	else
		printf("-\n");
}

static void print_info(const struct hints *h,
		       const struct rumord_client_hints_info *s)
{
	if (!h->targets)
		printf("no hints kept\n");
	printf("%llu node%s with hints (at most %llu bytes each, hints expire "
	       "after %.0f s): %llu stored (%llu replacing one of their key), not stored: "
	       "%llu superseded, %llu over quota, %llu over the bound on nodes, "
	       "%llu failed; %llu replayed (%llu replays failed, %llu nodes "
	       "replaying now), %llu expired, %llu forgotten\n",
	       (unsigned long long)s->targets, s->targets == 1 ? "" : "s",
	       (unsigned long long)s->quota,
	       (double)s->window_ms / 1000, (unsigned long long)s->added,
	       (unsigned long long)s->replaced, (unsigned long long)s->superseded,
	       (unsigned long long)s->dropped_quota,
	       (unsigned long long)s->dropped_targets,
	       (unsigned long long)s->failed, (unsigned long long)s->replayed,
	       (unsigned long long)s->replay_failed,
	       (unsigned long long)s->replaying, (unsigned long long)s->expired,
	       (unsigned long long)s->forgotten);
}

/* -j: {"targets": [...], then the HINTS_INFO figures}. */
static void json_start(struct hints *h)
{
	if (h->started)
		return;
	h->started = true;
	json_open_object(&h->j, NULL);
	json_open_array(&h->j, "targets");
}

static int hints_frame(struct hints *h, const struct rumord_client_msg *m)
{
	if (m->op == RUMORD_OP_HINT_TARGET && h->info)
		return rumorctl_fail("hints: bad reply from rumord: a target after the figures");
	if (m->op == RUMORD_OP_HINT_TARGET) {
		h->targets++;
		if (!rumorctl_opts.json)
			print_target(h, &m->hint);
		else
			json_target(h, &m->hint);
		return 0;
	}
	if (h->info)
		return 0;
	h->info = true;
	if (!rumorctl_opts.json) {
		print_info(h, &m->hints);
		return 0;
	}
	json_close_array(&h->j);
	/* "targets" is the array: its length is "target_count". */
#define JSON_FIELD(f)	json_u64(&h->j, strcmp(#f, "targets") ? #f : \
				 "target_count", m->hints.f);
	RUMORD_CLIENT_HINTS_INFO_FIELDS(JSON_FIELD)
#undef JSON_FIELD
	return 0;
}

int cmd_hints(int argc, char **argv)
{
	struct hints h = { 0 };
	struct rumord_client_msg m;
	struct rumord_conn c;
	int rc;

	json_init(&h.j, stdout);
	h.now = rumord_conn_wall_ms();
	rc = rumord_conn_query(&c, argc, argv, RUMORD_OP_HINTS);
	while (!rc) {
		rc = rumord_conn_recv(&c, &m, RUMORD_OP_HINT_TARGET,
				      RUMORD_OP_HINTS_INFO);
		if (rc || m.op == RUMORD_OP_DONE)
			break;
		if (rumorctl_opts.json)
			json_start(&h);
		rc = hints_frame(&h, &m);
	}
	/* A refusal (no consistency levels here) prints no empty object. */
	if (!rc && rumorctl_opts.json && (h.started || !m.status)) {
		json_start(&h);
		if (!h.info)
			json_close_array(&h.j);
		json_close_object(&h.j);
		json_end(&h.j);
	}
	if (!rc && m.status)
		rc = rumorctl_fail("hints: %s", rumord_conn_error(m.status));
	fflush(stdout);
	rumord_conn_close(&c);
	return rc;
}
