// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl up: start this namespace's instance, with any protocol
 * parameter (see params.c) set on the way.
 */
#include <string.h>
#include <linux/rumor.h>

#include "nl.h"
#include "rumorctl.h"

int cmd_up(int argc, char **argv)
{
	struct rumorctl_addr bind = { 0 };
	uint32_t values[RUMOR_CONFIG_A_MAX + 1];
	bool set[RUMOR_CONFIG_A_MAX + 1] = { false };
	bool have_bind = false, any = false;
	uint16_t port = 0;
	struct nlmsghdr *req;
	struct nlattr *nest;
	struct rumor_nl *nl;
	int i, a, err;

	for (i = 1; i < argc; i += 2) {
		const char *key = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		const struct rumorctl_param *p = rumorctl_param_by_keyword(key);
		uint64_t v;

		if (strcmp(key, "port") && strcmp(key, "bind") && !p)
			return rumorctl_usage("up: unknown argument '%s'", key);
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
		} else {
			/* Ranges are the kernel's to judge; it names the limit. */
			if (rumorctl_parse_u64(val, UINT32_MAX, &v))
				return rumorctl_usage("up: bad %s '%s'", key, val);
			values[p->attr] = (uint32_t)v;
			set[p->attr] = true;
			any = true;
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
	if (any) {
		nest = mnl_attr_nest_start(req, RUMOR_A_CONFIG);
		for (a = 1; a <= RUMOR_CONFIG_A_MAX; a++)
			if (set[a])
				mnl_attr_put_u32(req, (uint16_t)a, values[a]);
		mnl_attr_nest_end(req, nest);
	}
	err = rumor_nl_talk(nl, req, NULL, NULL);
	if (err)
		err = rumor_nl_fail(nl, "up", err);
	rumor_nl_close(nl);
	return err;
}
