// SPDX-License-Identifier: GPL-2.0
/*
 * The members this node knows (RUMOR_CMD_PEER_GET): its active view with
 * per-peer counters, its passive view and its contacts. `show` and `tree`
 * both read them through here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rumor.h>

#include "members.h"
#include "nl.h"

static int member_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RUMOR_A_MAX + 1] = { 0 };
	const struct nlattr *ptb[RUMOR_PEER_A_MAX + 1] = { 0 };
	struct members *ms = data;
	struct member *m;
	const struct nlattr *a;

	if (rumor_nl_parse(nlh, tb, RUMOR_A_MAX) || !tb[RUMOR_A_PEER] ||
	    rumor_nl_parse_nested(tb[RUMOR_A_PEER], ptb, RUMOR_PEER_A_MAX) ||
	    !ptb[RUMOR_PEER_A_STATE])
		return MNL_CB_ERROR;
	if (ms->n == ms->cap) {
		size_t cap = ms->cap ? 2 * ms->cap : 64;
		struct member *v = realloc(ms->v, cap * sizeof(*v));

		if (!v) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		ms->v = v;
		ms->cap = cap;
	}
	m = &ms->v[ms->n];
	memset(m, 0, sizeof(*m));
	if (rumor_nl_get_addr(ptb[RUMOR_PEER_A_ADDR], ptb[RUMOR_PEER_A_PORT],
			      &m->addr))
		return MNL_CB_ERROR;
	m->state = mnl_attr_get_u8(ptb[RUMOR_PEER_A_STATE]);
	if (ptb[RUMOR_PEER_A_NODE_ID])
		m->node_id = mnl_attr_get_u64(ptb[RUMOR_PEER_A_NODE_ID]);
	if (ptb[RUMOR_PEER_A_AGE_MS])
		m->age_ms = mnl_attr_get_u64(ptb[RUMOR_PEER_A_AGE_MS]);
	if (ptb[RUMOR_PEER_A_IDLE_MS])
		m->idle_ms = mnl_attr_get_u64(ptb[RUMOR_PEER_A_IDLE_MS]);
	if (ptb[RUMOR_PEER_A_STATS]) {
		m->has_stats = true;
		mnl_attr_for_each_nested(a, ptb[RUMOR_PEER_A_STATS]) {
			unsigned int type = mnl_attr_get_type(a);

			if (type <= RUMOR_PEER_STATS_A_MAX &&
			    mnl_attr_get_payload_len(a) == sizeof(uint64_t))
				m->stats[type] = mnl_attr_get_u64(a);
		}
	}
	ms->n++;
	return MNL_CB_OK;
}

int members_get(struct rumor_nl *nl, struct members *ms)
{
	int tries, err = 0;

	/* A dump interrupted by a change of the views is simply taken again. */
	for (tries = 0; tries < 5; tries++) {
		ms->n = 0;
		err = rumor_nl_talk(nl, rumor_nl_request(nl, RUMOR_CMD_PEER_GET,
							 NLM_F_DUMP),
				    member_cb, ms);
		if (err != -EINTR)
			break;
	}
	return err;
}

void members_free(struct members *ms)
{
	free(ms->v);
	memset(ms, 0, sizeof(*ms));
}

const char *member_state_name(uint8_t state)
{
	switch (state) {
	case RUMOR_PEER_ACTIVE_EAGER:
		return "eager";
	case RUMOR_PEER_ACTIVE_LAZY:
		return "lazy";
	case RUMOR_PEER_PASSIVE:
		return "passive";
	case RUMOR_PEER_CONTACT:
		return "contact";
	}
	return "unknown";
}
