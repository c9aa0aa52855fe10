// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl peer add|del ADDR[:PORT]: the static peers messages flood to.
 */
#include <string.h>
#include <linux/rumor.h>

#include "nl.h"
#include "rumorctl.h"

int cmd_peer(int argc, char **argv)
{
	struct rumorctl_addr addr;
	struct nlmsghdr *req;
	struct nlattr *nest;
	struct rumor_nl *nl;
	uint8_t cmd;
	int err;

	if (argc < 2)
		return rumorctl_usage("peer: expected 'add' or 'del'");
	if (!strcmp(argv[1], "add"))
		cmd = RUMOR_CMD_PEER_ADD;
	else if (!strcmp(argv[1], "del"))
		cmd = RUMOR_CMD_PEER_DEL;
	else
		return rumorctl_usage("peer: unknown action '%s' (add or del)",
				      argv[1]);
	if (argc != 3)
		return rumorctl_usage("peer %s: expected one ADDR[:PORT]", argv[1]);
	if (rumorctl_parse_addr(argv[2], &addr))
		return rumorctl_usage("peer %s: bad address '%s'", argv[1], argv[2]);

	nl = rumor_nl_open();
	if (!nl)
		return RUMORCTL_EXIT_FAIL;
	req = rumor_nl_request(nl, cmd, NLM_F_ACK);
	nest = mnl_attr_nest_start(req, RUMOR_A_PEER);
	mnl_attr_put(req, RUMOR_PEER_A_ADDR, rumorctl_addr_len(&addr), addr.addr);
	if (addr.port)
		mnl_attr_put_u16(req, RUMOR_PEER_A_PORT, addr.port);
	mnl_attr_nest_end(req, nest);
	err = rumor_nl_talk(nl, req, NULL, NULL);
	if (err)
		err = rumor_nl_fail(nl, argv[1][0] == 'a' ? "peer add" : "peer del",
				    err);
	rumor_nl_close(nl);
	return err;
}
