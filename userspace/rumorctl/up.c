// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl up: start this namespace's instance.
 */
#include <string.h>
#include <linux/rumor.h>

#include "nl.h"
#include "rumorctl.h"

int cmd_up(int argc, char **argv)
{
	struct rumorctl_addr bind = { 0 };
	uint64_t max_payload = 0, max_origins = 0;
	bool have_bind = false;
	uint16_t port = 0;
	struct nlmsghdr *req;
	struct rumor_nl *nl;
	int i, err;

	for (i = 1; i < argc; i += 2) {
		const char *key = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			return rumorctl_usage("up: '%s' needs a value", key);
		if (!strcmp(key, "port")) {
			if (rumorctl_parse_port(val, &port))
				return rumorctl_usage("up: bad port '%s'", val);
		} else if (!strcmp(key, "bind")) {
			if (rumorctl_parse_addr(val, &bind) || bind.port)
				return rumorctl_usage("up: bad bind address '%s' (give the port with 'port')",
						      val);
			have_bind = true;
		} else if (!strcmp(key, "max-payload")) {
			if (rumorctl_parse_u64(val, UINT32_MAX, &max_payload) ||
			    !max_payload)
				return rumorctl_usage("up: bad max-payload '%s'", val);
		} else if (!strcmp(key, "max-origins")) {
			if (rumorctl_parse_u64(val, UINT32_MAX, &max_origins) ||
			    !max_origins)
				return rumorctl_usage("up: bad max-origins '%s'", val);
		} else {
			return rumorctl_usage("up: unknown argument '%s'", key);
		}
	}

	nl = rumor_nl_open();
	if (!nl)
		return RUMORCTL_EXIT_FAIL;
	req = rumor_nl_request(nl, RUMOR_CMD_UP, NLM_F_ACK);
	if (port)
		mnl_attr_put_u16(req, RUMOR_A_PORT, port);
	if (have_bind)
		mnl_attr_put(req, RUMOR_A_BIND_ADDR, rumorctl_addr_len(&bind),
			     bind.addr);
	if (max_payload)
		mnl_attr_put_u32(req, RUMOR_A_MAX_PAYLOAD, (uint32_t)max_payload);
	if (max_origins)
		mnl_attr_put_u32(req, RUMOR_A_MAX_ORIGINS, (uint32_t)max_origins);
	err = rumor_nl_talk(nl, req, NULL, NULL);
	if (err)
		err = rumor_nl_fail(nl, "up", err);
	rumor_nl_close(nl);
	return err;
}
