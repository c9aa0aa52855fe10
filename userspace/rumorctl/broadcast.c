// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl broadcast: send one message to every node.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/rumor.h>

#include "nl.h"
#include "rumorctl.h"

/* Larger than any payload the module accepts, so it gets to say no. */
#define BROADCAST_MAX	65536

struct sent {
	uint64_t origin;
	uint64_t seq;
};

static int reply_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RUMOR_A_MAX + 1] = { 0 };
	struct sent *sent = data;

	if (rumor_nl_parse(nlh, tb, RUMOR_A_MAX) || !tb[RUMOR_A_ORIGIN] ||
	    !tb[RUMOR_A_SEQ])
		return MNL_CB_ERROR;
	sent->origin = mnl_attr_get_u64(tb[RUMOR_A_ORIGIN]);
	sent->seq = mnl_attr_get_u64(tb[RUMOR_A_SEQ]);
	return MNL_CB_OK;
}

static int read_file(const char *path, char *buf, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	bool failed;

	if (!f)
		return rumorctl_fail("broadcast: %s: %s", path, strerror(errno));
	/* One byte more than allowed tells "too long" from "exactly full". */
	*len = fread(buf, 1, BROADCAST_MAX + 1, f);
	failed = ferror(f);
	if (f != stdin)
		fclose(f);
	if (failed)
		return rumorctl_fail("broadcast: %s: read error", path);
	if (*len > BROADCAST_MAX)
		return rumorctl_fail("broadcast: %s: larger than %d bytes",
				     path, BROADCAST_MAX);
	return 0;
}

int cmd_broadcast(int argc, char **argv)
{
	static char payload[BROADCAST_MAX + 1];
	struct sent sent = { 0 };
	struct nlmsghdr *req;
	struct rumor_nl *nl;
	size_t len = 0;
	int err;

	if (argc == 2) {
		len = strlen(argv[1]);
		if (len > BROADCAST_MAX)
			return rumorctl_usage("broadcast: payload too long");
		memcpy(payload, argv[1], len);
	} else if (argc == 3 && !strcmp(argv[1], "file")) {
		err = read_file(argv[2], payload, &len);
		if (err)
			return err;
	} else {
		return rumorctl_usage("broadcast: expected PAYLOAD or 'file FILE'");
	}

	nl = rumor_nl_open();
	if (!nl)
		return RUMORCTL_EXIT_FAIL;
	req = rumor_nl_request(nl, RUMOR_CMD_BROADCAST, NLM_F_ACK);
	if (!mnl_attr_put_check(req, sizeof(nl->buf), RUMOR_A_PAYLOAD, len,
				payload)) {
		rumor_nl_close(nl);
		return rumorctl_fail("broadcast: payload too long");
	}
	err = rumor_nl_talk(nl, req, reply_cb, &sent);
	if (err) {
		err = rumor_nl_fail(nl, "broadcast", err);
	} else if (rumorctl_opts.json) {
		struct json j;
		char id[17];

		json_init(&j, stdout);
		json_open_object(&j, NULL);
		snprintf(id, sizeof(id), "%016llx", (unsigned long long)sent.origin);
		json_str(&j, "origin", id);
		json_u64(&j, "seq", sent.seq);
		json_close_object(&j);
		json_end(&j);
	} else {
		printf("origin %016llx seq %llu\n",
		       (unsigned long long)sent.origin,
		       (unsigned long long)sent.seq);
	}
	rumor_nl_close(nl);
	return err;
}
