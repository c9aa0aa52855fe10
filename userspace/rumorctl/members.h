/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The members of this node's views, as rumor.ko dumps them.
 */
#ifndef RUMORCTL_MEMBERS_H
#define RUMORCTL_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/rumor.h>

#include "rumorctl.h"

struct rumor_nl;

struct member {
	struct rumorctl_addr addr;
	uint8_t state;			/* enum rumor_peer_state */
	uint64_t node_id;		/* 0 for contacts */
	uint64_t age_ms, idle_ms;	/* active members */
	bool has_stats;
	uint64_t stats[RUMOR_PEER_STATS_A_MAX + 1];
};

struct members {
	struct member *v;
	size_t n, cap;
};

/* Fill @ms; returns 0 or a negative errno (nl->errmsg may say more). */
int members_get(struct rumor_nl *nl, struct members *ms);
void members_free(struct members *ms);
const char *member_state_name(uint8_t state);

static inline bool member_active(const struct member *m)
{
	return m->state == RUMOR_PEER_ACTIVE_EAGER ||
	       m->state == RUMOR_PEER_ACTIVE_LAZY;
}

#endif /* RUMORCTL_MEMBERS_H */
