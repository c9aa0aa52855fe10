// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl down: stop this namespace's instance.
 */
#include <linux/rumor.h>

#include "nl.h"
#include "rumorctl.h"

int cmd_down(int argc, char **argv)
{
	struct rumor_nl *nl;
	int err;

	if (argc > 1)
		return rumorctl_usage("down: unexpected argument '%s'", argv[1]);
	nl = rumor_nl_open();
	if (!nl)
		return RUMORCTL_EXIT_FAIL;
	err = rumor_nl_talk(nl, rumor_nl_request(nl, RUMOR_CMD_DOWN, NLM_F_ACK),
			    NULL, NULL);
	if (err)
		err = rumor_nl_fail(nl, "down", err);
	rumor_nl_close(nl);
	return err;
}
