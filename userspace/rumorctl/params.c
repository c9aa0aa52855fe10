// SPDX-License-Identifier: GPL-2.0
/*
 * The protocol parameters rumorctl knows by name: `up KEYWORD VALUE` sets
 * them and `show` prints them. The kernel checks ranges and combinations
 * and says what is wrong.
 */
#include <string.h>
#include <linux/rumor.h>

#include "rumorctl.h"

const struct rumorctl_param rumorctl_params[] = {
	{ "active-size", RUMOR_CONFIG_A_ACTIVE_SIZE, "" },
	{ "passive-size", RUMOR_CONFIG_A_PASSIVE_SIZE, "" },
	{ "arwl", RUMOR_CONFIG_A_ARWL, "" },
	{ "prwl", RUMOR_CONFIG_A_PRWL, "" },
	{ "shuffle-active", RUMOR_CONFIG_A_SHUFFLE_ACTIVE, "" },
	{ "shuffle-passive", RUMOR_CONFIG_A_SHUFFLE_PASSIVE, "" },
	{ "shuffle-ttl", RUMOR_CONFIG_A_SHUFFLE_TTL, "" },
	{ "shuffle-interval", RUMOR_CONFIG_A_SHUFFLE_INTERVAL, "ms" },
	{ "join-interval", RUMOR_CONFIG_A_JOIN_INTERVAL, "ms" },
	{ "neighbor-timeout", RUMOR_CONFIG_A_NEIGHBOR_TIMEOUT, "ms" },
	{ "ping-interval", RUMOR_CONFIG_A_PING_INTERVAL, "ms" },
	{ "fail-timeout", RUMOR_CONFIG_A_FAIL_TIMEOUT, "ms" },
	{ "ihave-interval", RUMOR_CONFIG_A_IHAVE_INTERVAL, "ms" },
	{ "graft-timeout", RUMOR_CONFIG_A_GRAFT_TIMEOUT, "ms" },
	{ "graft-retry", RUMOR_CONFIG_A_GRAFT_RETRY, "ms" },
	{ "optimize-hops", RUMOR_CONFIG_A_OPTIMIZE_HOPS, "" },
	{ "max-missing", RUMOR_CONFIG_A_MAX_MISSING, "" },
	{ "lazy-queue", RUMOR_CONFIG_A_LAZY_QUEUE, "" },
	{ "cache-bytes", RUMOR_CONFIG_A_CACHE_BYTES, "bytes" },
	{ "cache-age", RUMOR_CONFIG_A_CACHE_AGE, "ms" },
	{ "max-origins", RUMOR_CONFIG_A_MAX_ORIGINS, "" },
	{ "max-payload", RUMOR_CONFIG_A_MAX_PAYLOAD, "bytes" },
	{ NULL, 0, NULL },
};

const struct rumorctl_param *rumorctl_param_by_keyword(const char *keyword)
{
	const struct rumorctl_param *p;

	for (p = rumorctl_params; p->keyword; p++)
		if (!strcmp(p->keyword, keyword))
			return p;
	return NULL;
}

const struct rumorctl_param *rumorctl_param_by_attr(int attr)
{
	const struct rumorctl_param *p;

	for (p = rumorctl_params; p->keyword; p++)
		if (p->attr == attr)
			return p;
	return NULL;
}
