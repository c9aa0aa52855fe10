// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl join|forget ADDR[:PORT]: the contact nodes through which this
 * node joins the overlay (and joins again whenever it finds itself alone).
 */
#include <linux/rumor.h>

#include "nl.h"
#include "rumorctl.h"

static int contact(int argc, char **argv, uint8_t cmd)
{
	struct rumorctl_addr addr;
	struct nlmsghdr *req;
	struct nlattr *nest;
	struct rumor_nl *nl;
	int err;

	if (argc != 2)
		return rumorctl_usage("%s: expected one ADDR[:PORT]", argv[0]);
	if (rumorctl_parse_addr(argv[1], &addr))
		return rumorctl_usage("%s: bad address '%s'", argv[0], argv[1]);

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
		err = rumor_nl_fail(nl, argv[0], err);
	rumor_nl_close(nl);
	return err;
}

int cmd_join(int argc, char **argv)
{
	return contact(argc, argv, RUMOR_CMD_JOIN);
}

int cmd_forget(int argc, char **argv)
{
	return contact(argc, argv, RUMOR_CMD_FORGET);
}
