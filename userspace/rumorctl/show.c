// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl show [peers|stats|config]: the instance, its views (which
 * active peers are eager and which lazy, with their counters), its
 * parameters and its counters.
 */
#include <stdio.h>
#include <string.h>
#include <linux/rumor.h>

#include "members.h"
#include "nl.h"
#include "rumorctl.h"

static const char *const stats_names[RUMOR_STATS_A_MAX + 1] = {
	[RUMOR_STATS_A_RX_PACKETS] = "rx_packets",
	[RUMOR_STATS_A_RX_BYTES] = "rx_bytes",
	[RUMOR_STATS_A_RX_QUEUE_FULL] = "rx_queue_full",
	[RUMOR_STATS_A_TX_PACKETS] = "tx_packets",
	[RUMOR_STATS_A_TX_BYTES] = "tx_bytes",
	[RUMOR_STATS_A_TX_ERRORS] = "tx_errors",
	[RUMOR_STATS_A_DELIVER_FAILED] = "deliver_failed",
	[RUMOR_STATS_A_RX_TRUNCATED] = "rx_truncated",
	[RUMOR_STATS_A_RX_BAD_MAGIC] = "rx_bad_magic",
	[RUMOR_STATS_A_RX_BAD_VERSION] = "rx_bad_version",
	[RUMOR_STATS_A_RX_BAD_FLAGS] = "rx_bad_flags",
	[RUMOR_STATS_A_RX_BAD_TYPE] = "rx_bad_type",
	[RUMOR_STATS_A_RX_BAD_LENGTH] = "rx_bad_length",
	[RUMOR_STATS_A_RX_BAD_BODY] = "rx_bad_body",
	[RUMOR_STATS_A_RX_GOSSIP] = "rx_gossip",
	[RUMOR_STATS_A_RX_IHAVE] = "rx_ihave",
	[RUMOR_STATS_A_RX_IHAVE_IDS] = "rx_ihave_ids",
	[RUMOR_STATS_A_RX_GRAFT] = "rx_graft",
	[RUMOR_STATS_A_RX_PRUNE] = "rx_prune",
	[RUMOR_STATS_A_RX_CONTROL] = "rx_control",
	[RUMOR_STATS_A_RX_STRANGER] = "rx_stranger",
	[RUMOR_STATS_A_TX_GOSSIP] = "tx_gossip",
	[RUMOR_STATS_A_TX_IHAVE] = "tx_ihave",
	[RUMOR_STATS_A_TX_IHAVE_IDS] = "tx_ihave_ids",
	[RUMOR_STATS_A_TX_GRAFT] = "tx_graft",
	[RUMOR_STATS_A_TX_PRUNE] = "tx_prune",
	[RUMOR_STATS_A_TX_CONTROL] = "tx_control",
	[RUMOR_STATS_A_DELIVERED] = "delivered",
	[RUMOR_STATS_A_DUPLICATES] = "duplicates",
	[RUMOR_STATS_A_TOO_OLD] = "too_old",
	[RUMOR_STATS_A_HOPS_EXCEEDED] = "hops_exceeded",
	[RUMOR_STATS_A_BROADCASTS] = "broadcasts",
	[RUMOR_STATS_A_TREE_OPTIMIZED] = "tree_optimized",
	[RUMOR_STATS_A_GRAFT_UNKNOWN] = "graft_unknown",
	[RUMOR_STATS_A_GRAFT_GAVE_UP] = "graft_gave_up",
	[RUMOR_STATS_A_NOMEM] = "nomem",
	[RUMOR_STATS_A_ORIGINS_EVICTED] = "origins_evicted",
	[RUMOR_STATS_A_MISSING_FULL] = "missing_full",
	[RUMOR_STATS_A_LAZY_DROPPED] = "lazy_dropped",
	[RUMOR_STATS_A_CACHE_EVICTED] = "cache_evicted",
	[RUMOR_STATS_A_CACHE_EXPIRED] = "cache_expired",
	[RUMOR_STATS_A_NEIGHBOR_UP] = "neighbor_up",
	[RUMOR_STATS_A_NEIGHBOR_DOWN] = "neighbor_down",
	[RUMOR_STATS_A_PEER_FAILED] = "peer_failed",
	[RUMOR_STATS_A_SHUFFLES] = "shuffles",
};

static const char *const peer_stats_names[RUMOR_PEER_STATS_A_MAX + 1] = {
	[RUMOR_PEER_STATS_A_RX_GOSSIP] = "rx_gossip",
	[RUMOR_PEER_STATS_A_RX_DUPLICATES] = "rx_duplicates",
	[RUMOR_PEER_STATS_A_RX_IHAVE_IDS] = "rx_ihave_ids",
	[RUMOR_PEER_STATS_A_TX_GOSSIP] = "tx_gossip",
	[RUMOR_PEER_STATS_A_TX_IHAVE_IDS] = "tx_ihave_ids",
	[RUMOR_PEER_STATS_A_GRAFTS_SENT] = "grafts_sent",
	[RUMOR_PEER_STATS_A_GRAFTS_RECEIVED] = "grafts_received",
	[RUMOR_PEER_STATS_A_PRUNES_SENT] = "prunes_sent",
	[RUMOR_PEER_STATS_A_PRUNES_RECEIVED] = "prunes_received",
	[RUMOR_PEER_STATS_A_LAZY_DROPPED] = "lazy_dropped",
};

enum show_what {
	SHOW_ALL,
	SHOW_PEERS,
	SHOW_STATS,
	SHOW_CONFIG,
};

struct show {
	enum show_what what;
	struct json j;
};

/* 0 for an attribute that is missing or of another size. */
static uint64_t get_u64(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) == sizeof(uint64_t) ?
		mnl_attr_get_u64(a) : 0;
}

static uint32_t get_u32(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) == sizeof(uint32_t) ?
		mnl_attr_get_u32(a) : 0;
}

static void print_stats(struct show *s, const struct nlattr *nest)
{
	const struct nlattr *a;

	if (rumorctl_opts.json)
		json_open_object(&s->j, "stats");
	else
		printf("stats:\n");
	mnl_attr_for_each_nested(a, nest) {
		unsigned int type = mnl_attr_get_type(a);

		if (type > RUMOR_STATS_A_MAX || !stats_names[type])
			continue;
		if (rumorctl_opts.json)
			json_u64(&s->j, stats_names[type], get_u64(a));
		else
			printf("  %-18s %llu\n", stats_names[type],
			       (unsigned long long)get_u64(a));
	}
	if (rumorctl_opts.json)
		json_close_object(&s->j);
}

static void print_config(struct show *s, const struct nlattr *nest)
{
	const struct nlattr *a;

	if (rumorctl_opts.json)
		json_open_object(&s->j, "config");
	else
		printf("config:\n");
	mnl_attr_for_each_nested(a, nest) {
		const struct rumorctl_param *p =
			rumorctl_param_by_attr(mnl_attr_get_type(a));

		if (!p || mnl_attr_get_payload_len(a) != sizeof(uint32_t))
			continue;
		if (rumorctl_opts.json)
			json_u64(&s->j, p->keyword, mnl_attr_get_u32(a));
		else
			printf("  %-18s %u%s%s\n", p->keyword, mnl_attr_get_u32(a),
			       *p->unit ? " " : "", p->unit);
	}
	if (rumorctl_opts.json)
		json_close_object(&s->j);
}

static int instance_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RUMOR_A_MAX + 1] = { 0 };
	struct show *s = data;
	struct rumorctl_addr bind;
	char id[17], addr[64] = "all";
	bool up;

	if (rumor_nl_parse(nlh, tb, RUMOR_A_MAX) || !tb[RUMOR_A_STATE])
		return MNL_CB_ERROR;
	up = mnl_attr_get_u8(tb[RUMOR_A_STATE]) == RUMOR_STATE_UP;
	if (!rumor_nl_get_addr(tb[RUMOR_A_BIND_ADDR], NULL, &bind)) {
		rumorctl_format_addr(&bind, addr, sizeof(addr));
		*strrchr(addr, ':') = '\0';	/* the port is shown on its own */
	}
	snprintf(id, sizeof(id), "%016llx", tb[RUMOR_A_NODE_ID] ?
		 (unsigned long long)get_u64(tb[RUMOR_A_NODE_ID]) : 0ULL);

	if (rumorctl_opts.json) {
		json_str(&s->j, "state", up ? "up" : "down");
	} else if (s->what == SHOW_ALL || !up) {
		printf("rumor: %s\n", up ? "up" : "down");
	}
	if (!up)
		return MNL_CB_OK;

	if (s->what == SHOW_ALL) {
		if (rumorctl_opts.json) {
			json_str(&s->j, "node_id", id);
			json_u64(&s->j, "port", mnl_attr_get_u16(tb[RUMOR_A_PORT]));
			json_str(&s->j, "bind", addr);
			json_u64(&s->j, "num_active", get_u32(tb[RUMOR_A_NUM_ACTIVE]));
			json_u64(&s->j, "num_passive", get_u32(tb[RUMOR_A_NUM_PASSIVE]));
			json_u64(&s->j, "origins", get_u32(tb[RUMOR_A_NUM_ORIGINS]));
			json_u64(&s->j, "cache_bytes", get_u32(tb[RUMOR_A_CACHE_BYTES]));
			json_u64(&s->j, "mem_bytes", get_u64(tb[RUMOR_A_MEM_BYTES]));
		} else {
			printf("  node id      %s\n", id);
			printf("  port         %u\n", mnl_attr_get_u16(tb[RUMOR_A_PORT]));
			printf("  bind         %s\n", addr);
			printf("  origins      %u\n", get_u32(tb[RUMOR_A_NUM_ORIGINS]));
			printf("  cache        %u bytes\n", get_u32(tb[RUMOR_A_CACHE_BYTES]));
			printf("  memory       %llu bytes\n",
			       (unsigned long long)get_u64(tb[RUMOR_A_MEM_BYTES]));
		}
	}
	if ((s->what == SHOW_ALL || s->what == SHOW_CONFIG) && tb[RUMOR_A_CONFIG])
		print_config(s, tb[RUMOR_A_CONFIG]);
	if ((s->what == SHOW_ALL || s->what == SHOW_STATS) && tb[RUMOR_A_STATS])
		print_stats(s, tb[RUMOR_A_STATS]);
	return MNL_CB_OK;
}

static void print_member(struct show *s, const struct member *m)
{
	char addr[64], id[17];
	unsigned int k;

	rumorctl_format_addr(&m->addr, addr, sizeof(addr));
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)m->node_id);
	if (rumorctl_opts.json) {
		json_open_object(&s->j, NULL);
		json_str(&s->j, "addr", addr);
		if (m->node_id)
			json_str(&s->j, "node_id", id);
		if (member_active(m)) {
			json_str(&s->j, "mode", member_state_name(m->state));
			json_u64(&s->j, "age_ms", m->age_ms);
			json_u64(&s->j, "idle_ms", m->idle_ms);
		}
		if (m->has_stats) {
			json_open_object(&s->j, "stats");
			for (k = 1; k <= RUMOR_PEER_STATS_A_MAX; k++)
				if (peer_stats_names[k])
					json_u64(&s->j, peer_stats_names[k], m->stats[k]);
			json_close_object(&s->j);
		}
		json_close_object(&s->j);
		return;
	}
	if (!member_active(m)) {
		printf("  %-28s%s%s\n", addr, m->node_id ? "node " : "",
		       m->node_id ? id : "");
		return;
	}
	printf("  %-28s node %s  %-5s  up %llu.%llus  idle %llu.%llus\n", addr,
	       id, member_state_name(m->state),
	       (unsigned long long)m->age_ms / 1000,
	       (unsigned long long)m->age_ms % 1000 / 100,
	       (unsigned long long)m->idle_ms / 1000,
	       (unsigned long long)m->idle_ms % 1000 / 100);
	if (m->has_stats) {
		printf("   ");
		for (k = 1; k <= RUMOR_PEER_STATS_A_MAX; k++)
			if (peer_stats_names[k])
				printf(" %s %llu", peer_stats_names[k],
				       (unsigned long long)m->stats[k]);
		printf("\n");
	}
}

enum view {
	VIEW_ACTIVE,
	VIEW_PASSIVE,
	VIEW_CONTACTS,
};

static bool in_view(const struct member *m, enum view v)
{
	switch (v) {
	case VIEW_ACTIVE:
		return member_active(m);
	case VIEW_PASSIVE:
		return m->state == RUMOR_PEER_PASSIVE;
	case VIEW_CONTACTS:
		return m->state == RUMOR_PEER_CONTACT;
	}
	return false;
}

/* The active view, the passive view and the contacts, in that order. */
static void print_members(struct show *s, const struct members *ms)
{
	static const char *const keys[] = { "active", "passive", "contacts" };
	static const char *const titles[] = { "active view", "passive view",
					      "contacts" };
	enum view v;
	size_t i, count;

	for (v = VIEW_ACTIVE; v <= VIEW_CONTACTS; v++) {
		for (i = 0, count = 0; i < ms->n; i++)
			count += in_view(&ms->v[i], v);
		if (rumorctl_opts.json)
			json_open_array(&s->j, keys[v]);
		else
			printf("%s (%zu):\n", titles[v], count);
		for (i = 0; i < ms->n; i++)
			if (in_view(&ms->v[i], v))
				print_member(s, &ms->v[i]);
		if (rumorctl_opts.json)
			json_close_array(&s->j);
	}
}

int cmd_show(int argc, char **argv)
{
	struct show s = { .what = SHOW_ALL };
	struct members ms = { 0 };
	struct rumor_nl *nl;
	int err;

	if (argc > 2)
		return rumorctl_usage("show: unexpected argument '%s'", argv[2]);
	if (argc == 2) {
		if (!strcmp(argv[1], "peers"))
			s.what = SHOW_PEERS;
		else if (!strcmp(argv[1], "stats"))
			s.what = SHOW_STATS;
		else if (!strcmp(argv[1], "config"))
			s.what = SHOW_CONFIG;
		else
			return rumorctl_usage("show: unknown object '%s' (peers, stats or config)",
					      argv[1]);
	}

	nl = rumor_nl_open();
	if (!nl)
		return RUMORCTL_EXIT_FAIL;
	json_init(&s.j, stdout);
	if (rumorctl_opts.json)
		json_open_object(&s.j, NULL);

	err = 0;
	if (s.what != SHOW_PEERS)
		err = rumor_nl_talk(nl, rumor_nl_request(nl, RUMOR_CMD_GET,
							 NLM_F_ACK),
				    instance_cb, &s);
	if (!err && (s.what == SHOW_ALL || s.what == SHOW_PEERS)) {
		err = members_get(nl, &ms);
		if (!err)
			print_members(&s, &ms);
	}
	if (rumorctl_opts.json) {
		json_close_object(&s.j);
		json_end(&s.j);
	}
	if (err)
		err = rumor_nl_fail(nl, "show", err);
	members_free(&ms);
	rumor_nl_close(nl);
	return err;
}
