// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "rumor". Requests take rumor_net.lock, then the
 * instance lock for anything that touches the core.
 */
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <uapi/linux/rumor.h>

#include "instance.h"
#include "netlink.h"
#include "socket.h"

#define RUMOR_MAX_PAYLOAD_LIMIT (RUMOR_WIRE_MAX_LEN - RUMOR_WIRE_GOSSIP_HLEN)

/*
 * Every protocol parameter: its attribute, where it lives in struct
 * rumor_config, and its range. One table serves parsing, validation and
 * reporting; rumor_config_check() then judges the combination.
 */
static const struct config_param {
	int attr;
	const char *name;
	size_t offset;
	u8 size;
	u32 min, max;
} config_params[] = {
#define P(a, field, lo, hi) { RUMOR_CONFIG_A_##a, #field, \
	offsetof(struct rumor_config, field), \
	sizeof(((struct rumor_config *)0)->field), lo, hi }
	P(ACTIVE_SIZE, active_size, 1, 64),
	P(PASSIVE_SIZE, passive_size, 0, 255),
	P(ARWL, arwl, 0, 32),
	P(PRWL, prwl, 0, 32),
	P(SHUFFLE_ACTIVE, shuffle_active, 0, RUMOR_WIRE_SHUFFLE_MAX),
	P(SHUFFLE_PASSIVE, shuffle_passive, 0, RUMOR_WIRE_SHUFFLE_MAX),
	P(SHUFFLE_TTL, shuffle_ttl, 0, 32),
	P(SHUFFLE_INTERVAL, shuffle_interval_ms, 1, 3600000),
	P(JOIN_INTERVAL, join_interval_ms, 1, 3600000),
	P(NEIGHBOR_TIMEOUT, neighbor_timeout_ms, 1, 3600000),
	P(PING_INTERVAL, ping_interval_ms, 1, 3600000),
	P(FAIL_TIMEOUT, fail_timeout_ms, 2, 3600000),
	P(IHAVE_INTERVAL, ihave_interval_ms, 1, 60000),
	P(GRAFT_TIMEOUT, graft_timeout_ms, 1, 60000),
	P(GRAFT_RETRY, graft_retry_ms, 1, 60000),
	P(OPTIMIZE_HOPS, optimize_hops, 0, 255),
	P(MAX_MISSING, max_missing, 1, 65536),
	P(LAZY_QUEUE, lazy_queue_len, 1, 4096),
	P(CACHE_BYTES, cache_bytes, 0, 1 << 28),
	P(CACHE_AGE, cache_age_ms, 1, 86400000),
	P(MAX_ORIGINS, max_origins, 1, RUMOR_MAX_ORIGINS_LIMIT),
	P(MAX_PAYLOAD, max_payload, 0, RUMOR_MAX_PAYLOAD_LIMIT),
#undef P
};

static const struct nla_policy config_policy[RUMOR_CONFIG_A_MAX + 1] = {
	[RUMOR_CONFIG_A_ACTIVE_SIZE ... RUMOR_CONFIG_A_MAX] = { .type = NLA_U32 },
};

static const struct nla_policy peer_policy[RUMOR_PEER_A_MAX + 1] = {
	[RUMOR_PEER_A_ADDR] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[RUMOR_PEER_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
};

static const struct nla_policy rumor_policy[RUMOR_A_MAX + 1] = {
	[RUMOR_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[RUMOR_A_BIND_ADDR] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[RUMOR_A_CONFIG] = NLA_POLICY_NESTED(config_policy),
	[RUMOR_A_PEER] = NLA_POLICY_NESTED(peer_policy),
	[RUMOR_A_PAYLOAD] = { .type = NLA_BINARY, .len = RUMOR_MAX_PAYLOAD_LIMIT },
};

static struct genl_family rumor_genl_family;

enum rumor_mcgrp {
	RUMOR_MCGRP_DELIVER_ID,
	RUMOR_MCGRP_EVENTS_ID,
};

static const struct genl_multicast_group rumor_mcgrps[] = {
	[RUMOR_MCGRP_DELIVER_ID] = { .name = RUMOR_MCGRP_DELIVER,
				     .flags = GENL_MCAST_CAP_NET_ADMIN },
	[RUMOR_MCGRP_EVENTS_ID] = { .name = RUMOR_MCGRP_EVENTS,
				    .flags = GENL_MCAST_CAP_NET_ADMIN },
};

/* Address attributes are 4 bytes for IPv4 and 16 for IPv6, nothing else. */
static int parse_addr(const struct nlattr *attr, __be16 port,
		      struct rumor_ep *ep, struct netlink_ext_ack *extack)
{
	switch (nla_len(attr)) {
	case sizeof(struct in_addr):
		rumor_ep_from_v4(ep, nla_get_in_addr(attr), port);
		return 0;
	case sizeof(struct in6_addr): {
		struct in6_addr a = nla_get_in6_addr(attr);

		rumor_ep_from_v6(ep, &a, port);
		return 0;
	}
	}
	NL_SET_ERR_MSG_ATTR(extack, attr,
			    "address must be 4 (IPv4) or 16 (IPv6) bytes");
	return -EINVAL;
}

static int put_ep(struct sk_buff *skb, int addr_attr, int port_attr,
		  const struct rumor_ep *ep)
{
	if (nla_put(skb, addr_attr, ep->family == 4 ? 4 : 16, ep->addr))
		return -EMSGSIZE;
	return port_attr ? nla_put_u16(skb, port_attr, ep->port) : 0;
}

/* Find the instance of the request's namespace, or say why there is none. */
static struct rumor_instance *instance_of(struct rumor_net *rn,
					  struct genl_info *info)
{
	lockdep_assert_held(&rn->lock);
	if (!rn->inst)
		NL_SET_ERR_MSG(info->extack,
			       "rumor is down in this namespace (run 'rumorctl up')");
	return rn->inst;
}

static int parse_config(const struct nlattr *nest, struct rumor_config *cfg,
			struct netlink_ext_ack *extack)
{
	struct nlattr *tb[RUMOR_CONFIG_A_MAX + 1];
	size_t i;
	int err;

	err = nla_parse_nested(tb, RUMOR_CONFIG_A_MAX, nest, config_policy,
			       extack);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(config_params); i++) {
		const struct config_param *p = &config_params[i];
		void *field = (u8 *)cfg + p->offset;
		u32 v;

		if (!tb[p->attr])
			continue;
		v = nla_get_u32(tb[p->attr]);
		if (v < p->min || v > p->max) {
			NL_SET_ERR_MSG_ATTR_FMT(extack, tb[p->attr],
						"%s must be between %u and %u",
						p->name, p->min, p->max);
			return -ERANGE;
		}
		if (p->size == 1)
			*(u8 *)field = v;
		else
			*(u32 *)field = v;
	}
	return 0;
}

static int rumor_nl_up(struct sk_buff *skb, struct genl_info *info)
{
	struct rumor_net *rn = rumor_net(genl_info_net(info));
	struct rumor_instance_config cfg = { .port = RUMOR_DEFAULT_PORT };
	struct nlattr **attrs = info->attrs;
	int err;

	rumor_config_default(&cfg.core);
	if (attrs[RUMOR_A_PORT])
		cfg.port = nla_get_u16(attrs[RUMOR_A_PORT]);
	if (attrs[RUMOR_A_BIND_ADDR]) {
		err = parse_addr(attrs[RUMOR_A_BIND_ADDR], 0, &cfg.bind,
				 info->extack);
		if (err)
			return err;
	}
	if (attrs[RUMOR_A_CONFIG]) {
		err = parse_config(attrs[RUMOR_A_CONFIG], &cfg.core,
				   info->extack);
		if (err)
			return err;
	}

	mutex_lock(&rn->lock);
	err = rumor_instance_up(rn, genl_info_net(info), &cfg, info->extack);
	if (!err)
		rumor_netlink_instance(rn->inst, 1);
	mutex_unlock(&rn->lock);
	return err;
}

static int rumor_nl_down(struct sk_buff *skb, struct genl_info *info)
{
	struct rumor_net *rn = rumor_net(genl_info_net(info));
	int err = 0;

	mutex_lock(&rn->lock);
	if (instance_of(rn, info)) {
		rumor_netlink_instance(rn->inst, 0);
		rumor_instance_down(rn);
	} else
		err = -ENETDOWN;
	mutex_unlock(&rn->lock);
	return err;
}

static int parse_peer(struct genl_info *info, struct rumor_ep *ep)
{
	struct nlattr *tb[RUMOR_PEER_A_MAX + 1];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, RUMOR_A_PEER))
		return -EINVAL;
	err = nla_parse_nested(tb, RUMOR_PEER_A_MAX, info->attrs[RUMOR_A_PEER],
			       peer_policy, info->extack);
	if (err)
		return err;
	if (!tb[RUMOR_PEER_A_ADDR]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[RUMOR_A_PEER],
				    "peer has no address");
		return -EINVAL;
	}
	return parse_addr(tb[RUMOR_PEER_A_ADDR],
			  htons(tb[RUMOR_PEER_A_PORT] ?
				nla_get_u16(tb[RUMOR_PEER_A_PORT]) :
				RUMOR_DEFAULT_PORT), ep, info->extack);
}

/* Join through a contact, or forget one. */
static int change_contact(struct rumor_instance *inst, u8 cmd,
			  const struct rumor_ep *ep,
			  struct netlink_ext_ack *extack)
{
	if (cmd == RUMOR_CMD_FORGET) {
		if (!rumor_node_forget(inst->node, ep))
			return 0;
		NL_SET_ERR_MSG(extack, "not a contact");
		return -ENOENT;
	}
	if (!rumor_socket_can_reach(inst, ep)) {
		NL_SET_ERR_MSG(extack,
			       "contact address family does not match the bind address");
		return -EAFNOSUPPORT;
	}
	if (rumor_node_join(inst->node, ep)) {
		NL_SET_ERR_MSG_FMT(extack, "too many contacts (%u)",
				   RUMOR_MAX_CONTACTS);
		return -ENOSPC;
	}
	return 0;
}

/* RUMOR_CMD_JOIN and RUMOR_CMD_FORGET. */
static int rumor_nl_contact(struct sk_buff *skb, struct genl_info *info)
{
	struct rumor_net *rn = rumor_net(genl_info_net(info));
	struct rumor_instance *inst;
	struct rumor_ep ep;
	int err;

	err = parse_peer(info, &ep);
	if (err)
		return err;

	mutex_lock(&rn->lock);
	inst = instance_of(rn, info);
	if (inst) {
		mutex_lock(&inst->lock);
		err = change_contact(inst, info->genlhdr->cmd, &ep,
				     info->extack);
		mutex_unlock(&inst->lock);
		if (!err)
			rn->generation++;
	} else {
		err = -ENETDOWN;
	}
	mutex_unlock(&rn->lock);
	return err;
}

static int rumor_nl_broadcast(struct sk_buff *skb, struct genl_info *info)
{
	struct rumor_net *rn = rumor_net(genl_info_net(info));
	struct rumor_instance *inst;
	struct nlattr *payload;
	struct sk_buff *reply;
	u64 origin = 0, seq = 0;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, RUMOR_A_PAYLOAD))
		return -EINVAL;
	payload = info->attrs[RUMOR_A_PAYLOAD];

	reply = genlmsg_new(2 * nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!reply)
		return -ENOMEM;

	mutex_lock(&rn->lock);
	inst = instance_of(rn, info);
	if (!inst) {
		err = -ENETDOWN;
		goto out;
	}
	mutex_lock(&inst->lock);
	origin = inst->node->id;
	err = rumor_node_broadcast(inst->node, nla_data(payload),
				   nla_len(payload), &seq);
	mutex_unlock(&inst->lock);
	if (err) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, payload,
					"payload is larger than max-payload (%u bytes)",
					inst->cfg.core.max_payload);
		err = -EMSGSIZE;
	}
out:
	mutex_unlock(&rn->lock);
	if (err)
		goto err_free;

	hdr = genlmsg_put_reply(reply, info, &rumor_genl_family, 0,
				RUMOR_CMD_BROADCAST);
	if (!hdr ||
	    nla_put_u64_64bit(reply, RUMOR_A_ORIGIN, origin, RUMOR_A_PAD) ||
	    nla_put_u64_64bit(reply, RUMOR_A_SEQ, seq, RUMOR_A_PAD)) {
		err = -EMSGSIZE;
		goto err_free;
	}
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);

err_free:
	nlmsg_free(reply);
	return err;
}

static int put_config(struct sk_buff *skb, const struct rumor_config *cfg)
{
	struct nlattr *nest = nla_nest_start(skb, RUMOR_A_CONFIG);
	size_t i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(config_params); i++) {
		const struct config_param *p = &config_params[i];
		const void *field = (const u8 *)cfg + p->offset;

		if (nla_put_u32(skb, p->attr, p->size == 1 ? *(const u8 *)field :
							   *(const u32 *)field))
			return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int put_stats(struct sk_buff *skb, struct rumor_instance *inst)
{
	const struct rumor_node_stats *s = &inst->node->stats;
	const struct rumor_host_stats *h = &inst->stats;
	const struct {
		int type;
		u64 value;
	} counters[] = {
		{ RUMOR_STATS_A_RX_PACKETS, atomic64_read(&inst->rx_packets) },
		{ RUMOR_STATS_A_RX_BYTES, atomic64_read(&inst->rx_bytes) },
		{ RUMOR_STATS_A_RX_QUEUE_FULL, atomic64_read(&inst->rx_queue_full) },
		{ RUMOR_STATS_A_TX_PACKETS, h->tx_packets },
		{ RUMOR_STATS_A_TX_BYTES, h->tx_bytes },
		{ RUMOR_STATS_A_TX_ERRORS, h->tx_errors },
		{ RUMOR_STATS_A_DELIVER_FAILED, h->deliver_failed },
		{ RUMOR_STATS_A_RX_TRUNCATED, s->rx_malformed[RUMOR_WIRE_ETRUNC] },
		{ RUMOR_STATS_A_RX_BAD_MAGIC, s->rx_malformed[RUMOR_WIRE_EMAGIC] },
		{ RUMOR_STATS_A_RX_BAD_VERSION, s->rx_malformed[RUMOR_WIRE_EVERSION] },
		{ RUMOR_STATS_A_RX_BAD_FLAGS, s->rx_malformed[RUMOR_WIRE_EFLAGS] },
		{ RUMOR_STATS_A_RX_BAD_TYPE, s->rx_malformed[RUMOR_WIRE_ETYPE] },
		{ RUMOR_STATS_A_RX_BAD_LENGTH, s->rx_malformed[RUMOR_WIRE_ELEN] },
		{ RUMOR_STATS_A_RX_BAD_BODY, s->rx_malformed[RUMOR_WIRE_EBODY] },
		{ RUMOR_STATS_A_RX_GOSSIP, s->rx_gossip },
		{ RUMOR_STATS_A_RX_IHAVE, s->rx_ihave },
		{ RUMOR_STATS_A_RX_IHAVE_IDS, s->rx_ihave_ids },
		{ RUMOR_STATS_A_RX_GRAFT, s->rx_graft },
		{ RUMOR_STATS_A_RX_PRUNE, s->rx_prune },
		{ RUMOR_STATS_A_RX_CONTROL, s->rx_control },
		{ RUMOR_STATS_A_RX_STRANGER, s->rx_stranger },
		{ RUMOR_STATS_A_TX_GOSSIP, s->tx_gossip },
		{ RUMOR_STATS_A_TX_IHAVE, s->tx_ihave },
		{ RUMOR_STATS_A_TX_IHAVE_IDS, s->tx_ihave_ids },
		{ RUMOR_STATS_A_TX_GRAFT, s->tx_graft },
		{ RUMOR_STATS_A_TX_PRUNE, s->tx_prune },
		{ RUMOR_STATS_A_TX_CONTROL, s->tx_control },
		{ RUMOR_STATS_A_DELIVERED, s->delivered },
		{ RUMOR_STATS_A_DUPLICATES, s->duplicates },
		{ RUMOR_STATS_A_TOO_OLD, s->too_old },
		{ RUMOR_STATS_A_HOPS_EXCEEDED, s->hops_exceeded },
		{ RUMOR_STATS_A_BROADCASTS, s->broadcasts },
		{ RUMOR_STATS_A_TREE_OPTIMIZED, s->tree_optimized },
		{ RUMOR_STATS_A_GRAFT_UNKNOWN, s->graft_unknown },
		{ RUMOR_STATS_A_GRAFT_GAVE_UP, s->graft_gave_up },
		{ RUMOR_STATS_A_NOMEM, s->nomem },
		{ RUMOR_STATS_A_ORIGINS_EVICTED, s->origins_evicted },
		{ RUMOR_STATS_A_MISSING_FULL, s->missing_full },
		{ RUMOR_STATS_A_LAZY_DROPPED, s->lazy_dropped },
		{ RUMOR_STATS_A_CACHE_EVICTED, s->cache_evicted },
		{ RUMOR_STATS_A_CACHE_EXPIRED, s->cache_expired },
		{ RUMOR_STATS_A_NEIGHBOR_UP, s->neighbor_up },
		{ RUMOR_STATS_A_NEIGHBOR_DOWN, s->neighbor_down },
		{ RUMOR_STATS_A_PEER_FAILED, s->peer_failed },
		{ RUMOR_STATS_A_SHUFFLES, s->shuffles },
	};
	struct nlattr *nest;
	size_t i;

	BUILD_BUG_ON(ARRAY_SIZE(counters) != RUMOR_STATS_A_MAX - 1);
	nest = nla_nest_start(skb, RUMOR_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(counters); i++)
		if (nla_put_u64_64bit(skb, counters[i].type, counters[i].value,
				      RUMOR_STATS_A_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int put_instance(struct sk_buff *skb, struct rumor_instance *inst)
{
	const struct rumor_node *n = inst->node;

	if (nla_put_u8(skb, RUMOR_A_STATE, RUMOR_STATE_UP) ||
	    nla_put_u64_64bit(skb, RUMOR_A_NODE_ID, n->id, RUMOR_A_PAD) ||
	    nla_put_u16(skb, RUMOR_A_PORT, inst->cfg.port) ||
	    (inst->cfg.bind.family &&
	     put_ep(skb, RUMOR_A_BIND_ADDR, 0, &inst->cfg.bind)) ||
	    put_config(skb, &n->cfg) ||
	    nla_put_u32(skb, RUMOR_A_NUM_ACTIVE, n->nactive) ||
	    nla_put_u32(skb, RUMOR_A_NUM_PASSIVE, n->npassive) ||
	    nla_put_u32(skb, RUMOR_A_NUM_ORIGINS, n->origins.count) ||
	    nla_put_u32(skb, RUMOR_A_CACHE_BYTES, rumor_node_cache_bytes(n)) ||
	    nla_put_u64_64bit(skb, RUMOR_A_MEM_BYTES, inst->stats.mem_bytes,
			      RUMOR_A_PAD))
		return -EMSGSIZE;
	return put_stats(skb, inst);
}

static int rumor_nl_get(struct sk_buff *skb, struct genl_info *info)
{
	struct rumor_net *rn = rumor_net(genl_info_net(info));
	struct rumor_instance *inst;
	struct sk_buff *reply;
	void *hdr;
	int err;

	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	hdr = genlmsg_put_reply(reply, info, &rumor_genl_family, 0,
				RUMOR_CMD_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}

	mutex_lock(&rn->lock);
	inst = rn->inst;
	if (inst) {
		mutex_lock(&inst->lock);
		err = put_instance(reply, inst);
		mutex_unlock(&inst->lock);
	} else {
		err = nla_put_u8(reply, RUMOR_A_STATE, RUMOR_STATE_DOWN);
	}
	mutex_unlock(&rn->lock);
	if (err)
		goto err_free;

	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);

err_free:
	nlmsg_free(reply);
	return err;
}

static int put_peer_stats(struct sk_buff *skb, const struct rumor_peer *p,
			  u64 now)
{
	const struct rumor_peer_stats *s = &p->stats;
	const struct {
		int type;
		u64 value;
	} counters[] = {
		{ RUMOR_PEER_STATS_A_RX_GOSSIP, s->rx_gossip },
		{ RUMOR_PEER_STATS_A_RX_DUPLICATES, s->rx_duplicates },
		{ RUMOR_PEER_STATS_A_RX_IHAVE_IDS, s->rx_ihave_ids },
		{ RUMOR_PEER_STATS_A_TX_GOSSIP, s->tx_gossip },
		{ RUMOR_PEER_STATS_A_TX_IHAVE_IDS, s->tx_ihave_ids },
		{ RUMOR_PEER_STATS_A_GRAFTS_SENT, s->grafts_sent },
		{ RUMOR_PEER_STATS_A_GRAFTS_RECEIVED, s->grafts_received },
		{ RUMOR_PEER_STATS_A_PRUNES_SENT, s->prunes_sent },
		{ RUMOR_PEER_STATS_A_PRUNES_RECEIVED, s->prunes_received },
		{ RUMOR_PEER_STATS_A_LAZY_DROPPED, s->lazy_dropped },
	};
	struct nlattr *nest;
	size_t i;

	BUILD_BUG_ON(ARRAY_SIZE(counters) != RUMOR_PEER_STATS_A_MAX - 1);
	if (nla_put_u64_64bit(skb, RUMOR_PEER_A_AGE_MS,
			      div_u64(now - p->since, 1000), RUMOR_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, RUMOR_PEER_A_IDLE_MS,
			      div_u64(now - p->last_rx, 1000), RUMOR_PEER_A_PAD))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, RUMOR_PEER_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(counters); i++)
		if (nla_put_u64_64bit(skb, counters[i].type, counters[i].value,
				      RUMOR_PEER_STATS_A_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* Member @index of the node: the active view, the passive view, contacts. */
static int put_member(struct sk_buff *skb, const struct rumor_node *n,
		      u32 index)
{
	const struct rumor_peer *p = NULL;
	const struct rumor_member *m = NULL;
	const struct rumor_ep *ep;
	struct nlattr *nest;
	u8 state;

	if (index < n->nactive) {
		p = n->active[index];
		m = &p->m;
		state = p->eager ? RUMOR_PEER_ACTIVE_EAGER : RUMOR_PEER_ACTIVE_LAZY;
	} else if ((index -= n->nactive) < n->npassive) {
		m = &n->passive[index];
		state = RUMOR_PEER_PASSIVE;
	} else {
		index -= n->npassive;
		state = RUMOR_PEER_CONTACT;
	}
	ep = m ? &m->ep : &n->contacts[index];

	nest = nla_nest_start(skb, RUMOR_A_PEER);
	if (!nest || put_ep(skb, RUMOR_PEER_A_ADDR, RUMOR_PEER_A_PORT, ep) ||
	    nla_put_u8(skb, RUMOR_PEER_A_STATE, state) ||
	    (m && nla_put_u64_64bit(skb, RUMOR_PEER_A_NODE_ID, m->id,
				    RUMOR_PEER_A_PAD)) ||
	    (p && put_peer_stats(skb, p, n->env->now(n->env->host))))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * One message per member; cb->args[0] counts the members already sent. The
 * generation goes into cb->seq so that a dump spanning a change to the
 * views is flagged NLM_F_DUMP_INTR rather than silently skewed; views change
 * on their own, so every change of the active view bumps it too.
 */
static int rumor_nl_peer_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct rumor_net *rn = rumor_net(sock_net(skb->sk));
	struct rumor_instance *inst;
	const struct rumor_node *n;
	int err = 0;
	u32 i, total;

	mutex_lock(&rn->lock);
	inst = rn->inst;
	if (!inst)
		goto out;
	mutex_lock(&inst->lock);
	cb->seq = rn->generation + (u32)inst->node->stats.neighbor_up +
		  (u32)inst->node->stats.neighbor_down;
	n = inst->node;
	total = n->nactive + n->npassive + n->ncontacts;
	for (i = cb->args[0]; i < total; i++) {
		void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, &rumor_genl_family,
					NLM_F_MULTI, RUMOR_CMD_PEER_GET);

		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		genl_dump_check_consistent(cb, hdr);
		if (put_member(skb, n, i)) {
			genlmsg_cancel(skb, hdr);
			err = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = i + 1;
	}
	mutex_unlock(&inst->lock);
out:
	mutex_unlock(&rn->lock);
	/* A full buffer is not an error: netlink calls again for the rest. */
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ? err : skb->len;
}

int rumor_netlink_deliver(struct rumor_instance *inst,
			  const struct rumor_msg *msg,
			  const struct rumor_ep *from)
{
	struct sk_buff *skb;
	struct nlattr *nest;
	void *hdr;

	if (!genl_has_listeners(&rumor_genl_family, inst->net,
				RUMOR_MCGRP_DELIVER_ID))
		return 0;

	skb = genlmsg_new(3 * nla_total_size_64bit(sizeof(u64)) +
			  nla_total_size(sizeof(u8)) +
			  nla_total_size(0) + 2 * nla_total_size(16) +
			  nla_total_size(msg->gossip.payload_len), GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put(skb, 0, 0, &rumor_genl_family, 0, RUMOR_CMD_DELIVER);
	if (!hdr)
		goto nospace;
	if (nla_put_u64_64bit(skb, RUMOR_A_ORIGIN, msg->gossip.origin,
			      RUMOR_A_PAD) ||
	    nla_put_u64_64bit(skb, RUMOR_A_SEQ, msg->gossip.seq, RUMOR_A_PAD) ||
	    nla_put_u8(skb, RUMOR_A_HOPS, msg->hops))
		goto nospace;
	nest = nla_nest_start(skb, RUMOR_A_PEER);
	if (!nest || put_ep(skb, RUMOR_PEER_A_ADDR, RUMOR_PEER_A_PORT, from))
		goto nospace;
	nla_nest_end(skb, nest);
	if (nla_put(skb, RUMOR_A_PAYLOAD, msg->gossip.payload_len,
		    msg->gossip.payload))
		goto nospace;
	genlmsg_end(skb, hdr);

	/*
	 * A listener whose socket is full loses this message and sees ENOBUFS
	 * on its next read; that is its signal to resynchronise.
	 */
	genlmsg_multicast_netns(&rumor_genl_family, inst->net, skb, 0,
				RUMOR_MCGRP_DELIVER_ID, GFP_KERNEL);
	return 0;

nospace:
	nlmsg_free(skb);
	return -EMSGSIZE;
}

/* An event for the events group, or NULL when nobody listens. */
static struct sk_buff *event_new(struct rumor_instance *inst, u8 cmd,
				 void **hdr)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&rumor_genl_family, inst->net,
				RUMOR_MCGRP_EVENTS_ID))
		return NULL;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &rumor_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static void event_send(struct rumor_instance *inst, struct sk_buff *skb,
		       void *hdr)
{
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&rumor_genl_family, inst->net, skb, 0,
				RUMOR_MCGRP_EVENTS_ID, GFP_KERNEL);
}

void rumor_netlink_instance(struct rumor_instance *inst, int up)
{
	struct sk_buff *skb;
	void *hdr;

	skb = event_new(inst, up ? RUMOR_CMD_INSTANCE_UP :
			RUMOR_CMD_INSTANCE_DOWN, &hdr);
	if (!skb)
		return;
	if (nla_put_u64_64bit(skb, RUMOR_A_NODE_ID, inst->node->id, RUMOR_A_PAD) ||
	    nla_put_u16(skb, RUMOR_A_PORT, inst->cfg.port)) {
		nlmsg_free(skb);
		return;
	}
	event_send(inst, skb, hdr);
}

void rumor_netlink_neighbor(struct rumor_instance *inst,
			    const struct rumor_member *m, int up)
{
	struct sk_buff *skb;
	struct nlattr *nest;
	void *hdr;

	skb = event_new(inst, up ? RUMOR_CMD_NEIGHBOR_UP :
			RUMOR_CMD_NEIGHBOR_DOWN, &hdr);
	if (!skb)
		return;
	nest = nla_nest_start(skb, RUMOR_A_PEER);
	if (!nest || put_ep(skb, RUMOR_PEER_A_ADDR, RUMOR_PEER_A_PORT, &m->ep) ||
	    nla_put_u64_64bit(skb, RUMOR_PEER_A_NODE_ID, m->id, RUMOR_PEER_A_PAD)) {
		nlmsg_free(skb);
		return;
	}
	nla_nest_end(skb, nest);
	event_send(inst, skb, hdr);
}

static const struct genl_small_ops rumor_genl_ops[] = {
	{
		.cmd = RUMOR_CMD_UP,
		.doit = rumor_nl_up,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = RUMOR_CMD_DOWN,
		.doit = rumor_nl_down,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = RUMOR_CMD_JOIN,
		.doit = rumor_nl_contact,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = RUMOR_CMD_FORGET,
		.doit = rumor_nl_contact,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = RUMOR_CMD_BROADCAST,
		.doit = rumor_nl_broadcast,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = RUMOR_CMD_GET,
		.doit = rumor_nl_get,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = RUMOR_CMD_PEER_GET,
		.dumpit = rumor_nl_peer_dump,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family rumor_genl_family __ro_after_init = {
	.name = RUMOR_GENL_NAME,
	.version = RUMOR_GENL_VERSION,
	.maxattr = RUMOR_A_MAX,
	.policy = rumor_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.small_ops = rumor_genl_ops,
	.n_small_ops = ARRAY_SIZE(rumor_genl_ops),
	.mcgrps = rumor_mcgrps,
	.n_mcgrps = ARRAY_SIZE(rumor_mcgrps),
};

int rumor_netlink_init(void)
{
	return genl_register_family(&rumor_genl_family);
}

void rumor_netlink_uninit(void)
{
	genl_unregister_family(&rumor_genl_family);
}
