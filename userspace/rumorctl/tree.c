// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl tree [--dot]: this node's neighbourhood of the broadcast tree.
 * Eager links carry messages (the tree), lazy links only announce them.
 * With --dot, a graphviz graph: merge the output of every node with
 * `gvpack` or by hand to draw the whole overlay.
 */
#include <stdio.h>
#include <string.h>
#include <linux/rumor.h>

#include "members.h"
#include "nl.h"
#include "rumorctl.h"

static int node_id_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RUMOR_A_MAX + 1] = { 0 };
	uint64_t *id = data;

	if (!rumor_nl_parse(nlh, tb, RUMOR_A_MAX) && tb[RUMOR_A_NODE_ID])
		*id = mnl_attr_get_u64(tb[RUMOR_A_NODE_ID]);
	return MNL_CB_OK;
}

int cmd_tree(int argc, char **argv)
{
	struct members ms = { 0 };
	struct rumor_nl *nl;
	uint64_t self = 0;
	bool dot = false;
	char addr[64];
	size_t i;
	int err;

	if (argc == 2 && !strcmp(argv[1], "--dot"))
		dot = true;
	else if (argc > 1)
		return rumorctl_usage("tree: unexpected argument '%s'", argv[1]);

	nl = rumor_nl_open();
	if (!nl)
		return RUMORCTL_EXIT_FAIL;
	err = rumor_nl_talk(nl, rumor_nl_request(nl, RUMOR_CMD_GET, NLM_F_ACK),
			    node_id_cb, &self);
	if (!err && !self) {
		rumor_nl_close(nl);
		return rumorctl_fail("tree: rumor is down in this namespace");
	}
	if (!err)
		err = members_get(nl, &ms);
	if (err) {
		err = rumor_nl_fail(nl, "tree", err);
		goto out;
	}

	if (dot) {
		/* Undirected edges keyed by node id, so graphs of nodes merge. */
		printf("graph rumor {\n");
		printf("  \"%016llx\" [shape=box];\n", (unsigned long long)self);
	}
	for (i = 0; i < ms.n; i++) {
		const struct member *m = &ms.v[i];

		if (!member_active(m))
			continue;
		rumorctl_format_addr(&m->addr, addr, sizeof(addr));
		if (dot)
			printf("  \"%016llx\" -- \"%016llx\" [style=%s, tooltip=\"%s\"];\n",
			       (unsigned long long)self,
			       (unsigned long long)m->node_id,
			       m->state == RUMOR_PEER_ACTIVE_EAGER ? "solid" : "dashed",
			       addr);
		else
			printf("%016llx %s %016llx %s\n", (unsigned long long)self,
			       m->state == RUMOR_PEER_ACTIVE_EAGER ? "==eager==" :
								     "--lazy---",
			       (unsigned long long)m->node_id, addr);
	}
	if (dot)
		printf("}\n");
out:
	members_free(&ms);
	rumor_nl_close(nl);
	return err;
}
