// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl show [peers|stats]: the instance, its peers and its counters.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/rumor.h>

#include "nl.h"
#include "rumorctl.h"

static const char *const stats_names[RUMOR_STATS_A_MAX + 1] = {
	[RUMOR_STATS_A_RX_PACKETS] = "rx_packets",
	[RUMOR_STATS_A_RX_BYTES] = "rx_bytes",
	[RUMOR_STATS_A_RX_QUEUE_FULL] = "rx_queue_full",
	[RUMOR_STATS_A_RX_UNKNOWN_PEER] = "rx_unknown_peer",
	[RUMOR_STATS_A_RX_NOMEM] = "rx_nomem",
	[RUMOR_STATS_A_RX_TRUNCATED] = "rx_truncated",
	[RUMOR_STATS_A_RX_BAD_MAGIC] = "rx_bad_magic",
	[RUMOR_STATS_A_RX_BAD_VERSION] = "rx_bad_version",
	[RUMOR_STATS_A_RX_BAD_FLAGS] = "rx_bad_flags",
	[RUMOR_STATS_A_RX_BAD_TYPE] = "rx_bad_type",
	[RUMOR_STATS_A_RX_BAD_LENGTH] = "rx_bad_length",
	[RUMOR_STATS_A_RX_BAD_BODY] = "rx_bad_body",
	[RUMOR_STATS_A_DELIVERED] = "delivered",
	[RUMOR_STATS_A_DUPLICATES] = "duplicates",
	[RUMOR_STATS_A_TOO_OLD] = "too_old",
	[RUMOR_STATS_A_ORIGINS_EVICTED] = "origins_evicted",
	[RUMOR_STATS_A_HOPS_EXCEEDED] = "hops_exceeded",
	[RUMOR_STATS_A_DELIVER_FAILED] = "deliver_failed",
	[RUMOR_STATS_A_BROADCASTS] = "broadcasts",
	[RUMOR_STATS_A_FORWARDED] = "forwarded",
	[RUMOR_STATS_A_TX_PACKETS] = "tx_packets",
	[RUMOR_STATS_A_TX_BYTES] = "tx_bytes",
	[RUMOR_STATS_A_TX_ERRORS] = "tx_errors",
	[RUMOR_STATS_A_PEERS_FULL] = "peers_full",
};

static const char *const peer_stats_names[RUMOR_PEER_STATS_A_MAX + 1] = {
	[RUMOR_PEER_STATS_A_RX_MESSAGES] = "rx_messages",
	[RUMOR_PEER_STATS_A_RX_DUPLICATES] = "rx_duplicates",
	[RUMOR_PEER_STATS_A_TX_MESSAGES] = "tx_messages",
	[RUMOR_PEER_STATS_A_TX_ERRORS] = "tx_errors",
};

enum show_what {
	SHOW_ALL,
	SHOW_PEERS,
	SHOW_STATS,
};

struct show {
	enum show_what what;
	struct json j;
	unsigned int npeers;
};

static uint64_t get_u64(const struct nlattr *a)
{
	return mnl_attr_get_payload_len(a) == sizeof(uint64_t) ?
		mnl_attr_get_u64(a) : 0;
}

/* Counters nested in @nest, named by @names; unknown ones are skipped. */
static void print_counters(struct show *s, const char *key,
			   const struct nlattr *nest, const char *const *names,
			   unsigned int max, const char *indent)
{
	const struct nlattr *a;

	if (rumorctl_opts.json)
		json_open_object(&s->j, key);
	mnl_attr_for_each_nested(a, nest) {
		unsigned int type = mnl_attr_get_type(a);

		if (type > max || !names[type])
			continue;
		if (rumorctl_opts.json)
			json_u64(&s->j, names[type], get_u64(a));
		else
			printf("%s%-16s %llu\n", indent, names[type],
			       (unsigned long long)get_u64(a));
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

	if (s->what == SHOW_STATS) {
		if (tb[RUMOR_A_STATS])
			print_counters(s, "stats", tb[RUMOR_A_STATS], stats_names,
				       RUMOR_STATS_A_MAX, "");
		return MNL_CB_OK;
	}

	if (!rumor_nl_get_addr(tb[RUMOR_A_BIND_ADDR], NULL, &bind))
		rumorctl_format_addr(&bind, addr, sizeof(addr));
	if (bind.family) /* the port is shown on its own */
		*strrchr(addr, ':') = '\0';
	snprintf(id, sizeof(id), "%016llx", tb[RUMOR_A_NODE_ID] ?
		 (unsigned long long)get_u64(tb[RUMOR_A_NODE_ID]) : 0ULL);

	if (rumorctl_opts.json) {
		json_str(&s->j, "state", up ? "up" : "down");
		if (!up)
			return MNL_CB_OK;
		json_str(&s->j, "node_id", id);
		json_u64(&s->j, "port", mnl_attr_get_u16(tb[RUMOR_A_PORT]));
		json_str(&s->j, "bind", addr);
		json_u64(&s->j, "max_payload", mnl_attr_get_u32(tb[RUMOR_A_MAX_PAYLOAD]));
		json_u64(&s->j, "max_origins", mnl_attr_get_u32(tb[RUMOR_A_MAX_ORIGINS]));
		json_u64(&s->j, "origins", mnl_attr_get_u32(tb[RUMOR_A_NUM_ORIGINS]));
		json_u64(&s->j, "max_peers", mnl_attr_get_u32(tb[RUMOR_A_MAX_PEERS]));
		json_u64(&s->j, "num_peers", mnl_attr_get_u32(tb[RUMOR_A_NUM_PEERS]));
		if (tb[RUMOR_A_STATS])
			print_counters(s, "stats", tb[RUMOR_A_STATS], stats_names,
				       RUMOR_STATS_A_MAX, "");
		return MNL_CB_OK;
	}

	printf("rumor: %s\n", up ? "up" : "down");
	if (!up)
		return MNL_CB_OK;
	printf("  node id      %s\n", id);
	printf("  port         %u\n", mnl_attr_get_u16(tb[RUMOR_A_PORT]));
	printf("  bind         %s\n", addr);
	printf("  max payload  %u bytes\n", mnl_attr_get_u32(tb[RUMOR_A_MAX_PAYLOAD]));
	printf("  origins      %u of %u\n", mnl_attr_get_u32(tb[RUMOR_A_NUM_ORIGINS]),
	       mnl_attr_get_u32(tb[RUMOR_A_MAX_ORIGINS]));
	printf("  peers        %u of %u\n", mnl_attr_get_u32(tb[RUMOR_A_NUM_PEERS]),
	       mnl_attr_get_u32(tb[RUMOR_A_MAX_PEERS]));
	if (s->what == SHOW_ALL && tb[RUMOR_A_STATS]) {
		printf("stats:\n");
		print_counters(s, "stats", tb[RUMOR_A_STATS], stats_names,
			       RUMOR_STATS_A_MAX, "  ");
	}
	return MNL_CB_OK;
}

static int peer_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RUMOR_A_MAX + 1] = { 0 };
	const struct nlattr *ptb[RUMOR_PEER_A_MAX + 1] = { 0 };
	struct show *s = data;
	struct rumorctl_addr a;
	char addr[64];

	if (rumor_nl_parse(nlh, tb, RUMOR_A_MAX) || !tb[RUMOR_A_PEER] ||
	    rumor_nl_parse_nested(tb[RUMOR_A_PEER], ptb, RUMOR_PEER_A_MAX) ||
	    rumor_nl_get_addr(ptb[RUMOR_PEER_A_ADDR], ptb[RUMOR_PEER_A_PORT], &a))
		return MNL_CB_ERROR;
	rumorctl_format_addr(&a, addr, sizeof(addr));

	if (rumorctl_opts.json) {
		json_open_object(&s->j, NULL);
		json_str(&s->j, "addr", addr);
		if (ptb[RUMOR_PEER_A_STATS])
			print_counters(s, "stats", ptb[RUMOR_PEER_A_STATS],
				       peer_stats_names, RUMOR_PEER_STATS_A_MAX, "");
		json_close_object(&s->j);
	} else {
		printf("  %s\n", addr);
		if (ptb[RUMOR_PEER_A_STATS])
			print_counters(s, "stats", ptb[RUMOR_PEER_A_STATS],
				       peer_stats_names, RUMOR_PEER_STATS_A_MAX,
				       "    ");
	}
	s->npeers++;
	return MNL_CB_OK;
}

static int show_peers(struct rumor_nl *nl, struct show *s)
{
	int tries, err = 0;

	/* A dump interrupted by a peer change is simply taken again. */
	for (tries = 0; tries < 5; tries++) {
		if (rumorctl_opts.json)
			json_open_array(&s->j, "peers");
		else
			printf("peers:\n");
		s->npeers = 0;
		err = rumor_nl_talk(nl, rumor_nl_request(nl, RUMOR_CMD_PEER_GET,
							 NLM_F_DUMP),
				    peer_cb, s);
		if (rumorctl_opts.json)
			json_close_array(&s->j);
		if (err != -EINTR)
			break;
	}
	if (!err && !s->npeers && !rumorctl_opts.json)
		printf("  (none)\n");
	return err;
}

int cmd_show(int argc, char **argv)
{
	struct show s = { .what = SHOW_ALL };
	struct rumor_nl *nl;
	int err;

	if (argc > 2)
		return rumorctl_usage("show: unexpected argument '%s'", argv[2]);
	if (argc == 2) {
		if (!strcmp(argv[1], "peers"))
			s.what = SHOW_PEERS;
		else if (!strcmp(argv[1], "stats"))
			s.what = SHOW_STATS;
		else
			return rumorctl_usage("show: unknown object '%s' (peers or stats)",
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
	if (!err && s.what != SHOW_STATS)
		err = show_peers(nl, &s);
	if (rumorctl_opts.json) {
		json_close_object(&s.j);
		json_end(&s.j);
	}
	if (err)
		err = rumor_nl_fail(nl, "show", err);
	rumor_nl_close(nl);
	return err;
}
