// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl monitor [deliveries|events|all]: print every message this node
 * delivers, or every change of its active view and every instance up or
 * down, as it happens.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/rumor.h>

#include "nl.h"
#include "rumorctl.h"

/* Deliveries arrive in bursts; a large buffer keeps ENOBUFS rare. */
#define MONITOR_RCVBUF	(8 << 20)

struct monitor {
	uint64_t want;		/* stop after this many records; 0: never */
	uint64_t seen;
	bool hex;
};

/* A neighbour entered or left the active view. */
static int print_event(struct monitor *m, const struct nlmsghdr *nlh, bool up)
{
	const struct nlattr *tb[RUMOR_A_MAX + 1] = { 0 };
	const struct nlattr *ptb[RUMOR_PEER_A_MAX + 1] = { 0 };
	struct rumorctl_addr addr;
	char addrstr[64], id[17];

	if (rumor_nl_parse(nlh, tb, RUMOR_A_MAX) || !tb[RUMOR_A_PEER] ||
	    rumor_nl_parse_nested(tb[RUMOR_A_PEER], ptb, RUMOR_PEER_A_MAX) ||
	    rumor_nl_get_addr(ptb[RUMOR_PEER_A_ADDR], ptb[RUMOR_PEER_A_PORT],
			      &addr) || !ptb[RUMOR_PEER_A_NODE_ID])
		return MNL_CB_OK;
	rumorctl_format_addr(&addr, addrstr, sizeof(addrstr));
	snprintf(id, sizeof(id), "%016llx",
		 (unsigned long long)mnl_attr_get_u64(ptb[RUMOR_PEER_A_NODE_ID]));
	if (rumorctl_opts.json) {
		struct json j;

		json_init(&j, stdout);
		json_open_object(&j, NULL);
		json_str(&j, "event", up ? "neighbor_up" : "neighbor_down");
		json_str(&j, "addr", addrstr);
		json_str(&j, "node_id", id);
		json_close_object(&j);
		json_end(&j);
	} else {
		printf("neighbor %s %s node %s\n", up ? "up" : "down", addrstr, id);
		fflush(stdout);
	}
	m->seen++;
	return m->want && m->seen >= m->want ? MNL_CB_STOP : MNL_CB_OK;
}

/* The namespace's instance came up or went down. */
static int print_instance(struct monitor *m, const struct nlmsghdr *nlh,
			  bool up)
{
	const struct nlattr *tb[RUMOR_A_MAX + 1] = { 0 };
	char id[17];

	if (rumor_nl_parse(nlh, tb, RUMOR_A_MAX) || !tb[RUMOR_A_NODE_ID] ||
	    !tb[RUMOR_A_PORT])
		return MNL_CB_OK;
	snprintf(id, sizeof(id), "%016llx",
		 (unsigned long long)mnl_attr_get_u64(tb[RUMOR_A_NODE_ID]));
	if (rumorctl_opts.json) {
		struct json j;

		json_init(&j, stdout);
		json_open_object(&j, NULL);
		json_str(&j, "event", up ? "instance_up" : "instance_down");
		json_str(&j, "node_id", id);
		json_u64(&j, "port", mnl_attr_get_u16(tb[RUMOR_A_PORT]));
		json_close_object(&j);
		json_end(&j);
	} else {
		printf("instance %s node %s port %u\n", up ? "up" : "down", id,
		       mnl_attr_get_u16(tb[RUMOR_A_PORT]));
		fflush(stdout);
	}
	m->seen++;
	return m->want && m->seen >= m->want ? MNL_CB_STOP : MNL_CB_OK;
}

static void print_payload_text(const uint8_t *p, size_t len)
{
	size_t i;

	putchar('"');
	for (i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\')
			printf("\\%c", p[i]);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			putchar(p[i]);
		else
			printf("\\x%02x", p[i]);
	}
	putchar('"');
}

static void print_payload_hex(const uint8_t *p, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * len] = '\0';
}

static int deliver_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RUMOR_A_MAX + 1] = { 0 };
	const struct nlattr *ptb[RUMOR_PEER_A_MAX + 1] = { 0 };
	static char hex[2 * 65536 + 1];
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	struct monitor *m = data;
	struct rumorctl_addr from = { 0 };
	char fromstr[64] = "-", id[17];
	const uint8_t *payload;
	uint64_t origin, seq;
	size_t len;
	unsigned int hops;

	if (genl->cmd == RUMOR_CMD_NEIGHBOR_UP ||
	    genl->cmd == RUMOR_CMD_NEIGHBOR_DOWN)
		return print_event(m, nlh, genl->cmd == RUMOR_CMD_NEIGHBOR_UP);
	if (genl->cmd == RUMOR_CMD_INSTANCE_UP ||
	    genl->cmd == RUMOR_CMD_INSTANCE_DOWN)
		return print_instance(m, nlh, genl->cmd == RUMOR_CMD_INSTANCE_UP);
	if (genl->cmd != RUMOR_CMD_DELIVER)
		return MNL_CB_OK;
	if (rumor_nl_parse(nlh, tb, RUMOR_A_MAX) || !tb[RUMOR_A_ORIGIN] ||
	    !tb[RUMOR_A_SEQ] || !tb[RUMOR_A_PAYLOAD])
		return MNL_CB_OK;
	origin = mnl_attr_get_u64(tb[RUMOR_A_ORIGIN]);
	seq = mnl_attr_get_u64(tb[RUMOR_A_SEQ]);
	hops = tb[RUMOR_A_HOPS] ? mnl_attr_get_u8(tb[RUMOR_A_HOPS]) : 0;
	payload = mnl_attr_get_payload(tb[RUMOR_A_PAYLOAD]);
	len = mnl_attr_get_payload_len(tb[RUMOR_A_PAYLOAD]);
	if (tb[RUMOR_A_PEER] &&
	    !rumor_nl_parse_nested(tb[RUMOR_A_PEER], ptb, RUMOR_PEER_A_MAX) &&
	    !rumor_nl_get_addr(ptb[RUMOR_PEER_A_ADDR], ptb[RUMOR_PEER_A_PORT],
			       &from))
		rumorctl_format_addr(&from, fromstr, sizeof(fromstr));
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)origin);

	if (rumorctl_opts.json) {
		struct json j;

		json_init(&j, stdout);
		json_open_object(&j, NULL);
		json_str(&j, "origin", id);
		json_u64(&j, "seq", seq);
		json_u64(&j, "hops", hops);
		json_str(&j, "from", fromstr);
		json_u64(&j, "len", len);
		if (m->hex) {
			print_payload_hex(payload, len, hex);
			json_str(&j, "payload_hex", hex);
		} else {
			/* JSON strings cannot hold arbitrary bytes: stop at NUL. */
			char text[65536 + 1];

			memcpy(text, payload, len);
			text[len] = '\0';
			json_str(&j, "payload", text);
		}
		json_close_object(&j);
		json_end(&j);
	} else {
		printf("origin %s seq %llu hops %u from %s len %zu payload ", id,
		       (unsigned long long)seq, hops, fromstr, len);
		if (m->hex) {
			print_payload_hex(payload, len, hex);
			fputs(hex, stdout);
		} else {
			print_payload_text(payload, len);
		}
		putchar('\n');
		fflush(stdout);
	}
	m->seen++;
	return m->want && m->seen >= m->want ? MNL_CB_STOP : MNL_CB_OK;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cmd_monitor(int argc, char **argv)
{
	struct monitor m = { 0 };
	uint64_t timeout_s = 0, lost = 0;
	const char *ready = NULL;
	bool deliveries = true, events = false;
	int64_t deadline = 0;
	struct rumor_nl *nl;
	int i, rcvbuf = MONITOR_RCVBUF, rc = 0;

	for (i = 1; i < argc; i++) {
		const char *key = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(key, "hex")) {
			m.hex = true;
			continue;
		}
		if (i == 1 && (!strcmp(key, "deliveries") || !strcmp(key, "events") ||
			       !strcmp(key, "all"))) {
			deliveries = strcmp(key, "events") != 0;
			events = strcmp(key, "deliveries") != 0;
			continue;
		}
		if (strcmp(key, "count") && strcmp(key, "timeout") &&
		    strcmp(key, "ready"))
			return rumorctl_usage("monitor: unknown argument '%s'", key);
		if (!val)
			return rumorctl_usage("monitor: '%s' needs a value", key);
		if (!strcmp(key, "count")) {
			if (rumorctl_parse_u64(val, UINT64_MAX, &m.want) || !m.want)
				return rumorctl_usage("monitor: bad count '%s'", val);
		} else if (!strcmp(key, "timeout")) {
			if (rumorctl_parse_u64(val, 86400 * 365, &timeout_s) ||
			    !timeout_s)
				return rumorctl_usage("monitor: bad timeout '%s'", val);
		} else {
			ready = val;
		}
		i++;
	}

	nl = rumor_nl_open();
	if (!nl)
		return RUMORCTL_EXIT_FAIL;
	if ((deliveries && rumor_nl_join_group(nl, nl->mcgrp_deliver) < 0) ||
	    (events && rumor_nl_join_group(nl, nl->mcgrp_events) < 0)) {
		rc = errno == EPERM || errno == EACCES ?
			rumorctl_fail("monitor: permission denied (needs CAP_NET_ADMIN)") :
			rumorctl_fail("monitor: cannot join a multicast group: %s",
				      strerror(errno));
		goto out;
	}
	/* Above the rmem limit needs SO_RCVBUFFORCE; try both. */
	if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	/* Tell a waiting script that nothing delivered from now on is missed. */
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f) {
			rc = rumorctl_fail("monitor: %s: %s", ready, strerror(errno));
			goto out;
		}
		fclose(f);
	}
	if (timeout_s)
		deadline = now_ms() + (int64_t)timeout_s * 1000;

	for (;;) {
		struct pollfd pfd = { .fd = mnl_socket_get_fd(nl->sock),
				      .events = POLLIN };
		int wait = -1, ret;
		ssize_t n;

		if (deadline) {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				break;
			wait = (int)left;
		}
		ret = poll(&pfd, 1, wait);
		if (ret < 0 && errno != EINTR) {
			rc = rumorctl_fail("monitor: poll: %s", strerror(errno));
			goto out;
		}
		if (ret <= 0)
			continue;
		n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0 && errno == ENOBUFS) {
			/* The kernel dropped deliveries for us: say so, go on. */
			lost++;
			fprintf(stderr, "rumorctl: monitor: deliveries lost (receive buffer overrun)\n");
			continue;
		}
		if (n < 0) {
			rc = rumorctl_fail("monitor: %s", strerror(errno));
			goto out;
		}
		if (mnl_cb_run(nl->buf, n, 0, 0, deliver_cb, &m) == MNL_CB_STOP)
			break;
	}
	if (m.want && m.seen < m.want)
		rc = rumorctl_fail("monitor: timed out after %llu of %llu records",
				   (unsigned long long)m.seen,
				   (unsigned long long)m.want);
	else if (lost)
		rc = RUMORCTL_EXIT_FAIL;
out:
	rumor_nl_close(nl);
	return rc;
}
