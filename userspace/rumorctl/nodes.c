// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl nodes: the cluster's members as rumord's membership sees them,
 * this node first, through rumord's local socket (userspace/rumord/client.h)
 * found like `rumorctl kv` finds it.
 *
 * `kv where` answers with NODE frames too, printed here.
 */
#include <stdlib.h>
#include <string.h>

#include "../rumord/client.h"
#include "rumorctl.h"
#include "rumord_conn.h"

static const char *state_name(const struct rumord_client_node *n)
{
	return n->state == RUMORD_NS_UP ? "up" : "down";
}

/* Node ids in JSON are strings: readers keep numbers in doubles. */
static void json_id(struct json *j, const char *key, uint64_t id)
{
	char hex[17];

	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)id);
	json_str(j, key, hex);
}

static void json_node(struct json *j, const struct rumord_client_node *n)
{
	char addr[64];

	json_id(j, "node", n->node);
	json_str(j, "addr", rumorctl_format_addr16(n->addr, n->port, addr,
						   sizeof(addr)));
	json_u64(j, "port", n->port);
	json_str(j, "state", state_name(n));
	json_bool(j, "self", n->flags & RUMORD_NF_SELF);
	json_bool(j, "preferred", n->flags & RUMORD_NF_HOME);
	json_bool(j, "stand_in", n->flags & RUMORD_NF_STAND_IN);
	json_id(j, "home", n->home);
	json_u64(j, "incarnation", n->incarnation);
	json_u64(j, "heard_ms", n->heard_ms);
	json_u64(j, "since_ms", n->since_ms);
	json_u64(j, "heartbeats", n->heartbeats);
	json_u64(j, "downs", n->downs);
	json_u64(j, "restarts", n->restarts);
}

/* The start of a line about a node: its id, address and state. */
static void print_head(const struct rumord_client_node *n)
{
	char addr[64];

	printf("%016llx  %-28s %-4s", (unsigned long long)n->node,
	       rumorctl_format_addr16(n->addr, n->port, addr, sizeof(addr)),
	       state_name(n));
}

static void print_member(const struct rumord_client_node *n)
{
	bool self = n->flags & RUMORD_NF_SELF;
	char heard[32] = "-";

	if (!self)
		snprintf(heard, sizeof(heard), "%.1f s ago",
			 (double)n->heard_ms / 1000);
	print_head(n);
	printf(" %-4s  heard %s, %s for %.1f s; incarnation %llu, heartbeats %llu, "
	       "downs %llu, restarts %llu\n", self ? "self" : "", heard,
	       state_name(n), (double)n->since_ms / 1000,
	       (unsigned long long)n->incarnation,
	       (unsigned long long)n->heartbeats,
	       (unsigned long long)n->downs, (unsigned long long)n->restarts);
}

/* `kv where`: the replica at @pos of the key's preference list. */
static void print_replica(unsigned int pos, const struct rumord_client_node *n)
{
	printf("%u  ", pos);
	print_head(n);
	if (n->flags & RUMORD_NF_STAND_IN)
		printf("  stand-in for %016llx", (unsigned long long)n->home);
	else
		printf("  %s", n->flags & RUMORD_NF_HOME ? "home" : "replica");
	printf("%s\n", n->flags & RUMORD_NF_SELF ? ", self" : "");
}

int rumorctl_print_nodes(struct rumord_conn *c, bool where, int *status)
{
	struct rumord_client_msg m;
	unsigned int pos = 0;
	struct json j;
	int rc;

	json_init(&j, stdout);
	for (;;) {
		rc = rumord_conn_recv(c, &m, RUMORD_OP_NODE, RUMORD_OP_NODE);
		if (rc)
			return rc;
		if (m.op == RUMORD_OP_DONE)
			break;
		if (!rumorctl_opts.json) {
			if (where)
				print_replica(++pos, &m.node);
			else
				print_member(&m.node);
			continue;
		}
		if (!pos++)
			json_open_array(&j, NULL);
		json_open_object(&j, NULL);
		if (where)
			json_u64(&j, "position", pos);
		json_node(&j, &m.node);
		json_close_object(&j);
	}
	/* A refusal (no consistency levels here) prints no empty array. */
	if (rumorctl_opts.json && (pos || !m.status)) {
		if (!pos)
			json_open_array(&j, NULL);
		json_close_array(&j);
		json_end(&j);
	}
	*status = m.status;
	return 0;
}

int cmd_nodes(int argc, char **argv)
{
	struct rumord_conn c;
	int rc, status;

	rc = rumord_conn_query(&c, argc, argv, RUMORD_OP_NODES);
	if (!rc)
		rc = rumorctl_print_nodes(&c, false, &status);
	if (!rc && status)
		rc = rumorctl_fail("nodes: %s", rumord_conn_error(status));
	fflush(stdout);
	rumord_conn_close(&c);
	return rc;
}
