// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "rumor". Requests take rumor_net.lock, then the
 * instance lock for anything the receive worker also touches.
 */
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <uapi/linux/rumor.h>

#include "gossip.h"
#include "instance.h"
#include "netlink.h"
#include "socket.h"

#define RUMOR_MAX_PAYLOAD_LIMIT (RUMOR_WIRE_MAX_LEN - RUMOR_WIRE_GOSSIP_HLEN)

static const struct netlink_range_validation max_payload_range = {
	.max = RUMOR_MAX_PAYLOAD_LIMIT,
};

static const struct netlink_range_validation max_origins_range = {
	.min = 1,
	.max = RUMOR_MAX_ORIGINS_LIMIT,
};

static const struct nla_policy peer_policy[RUMOR_PEER_A_MAX + 1] = {
	[RUMOR_PEER_A_ADDR] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[RUMOR_PEER_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[RUMOR_PEER_A_STATS] = { .type = NLA_REJECT,
				 .reject_message = "peer counters are read-only" },
};

static const struct nla_policy rumor_policy[RUMOR_A_MAX + 1] = {
	[RUMOR_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[RUMOR_A_BIND_ADDR] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[RUMOR_A_MAX_PAYLOAD] = NLA_POLICY_FULL_RANGE(NLA_U32, &max_payload_range),
	[RUMOR_A_MAX_ORIGINS] = NLA_POLICY_FULL_RANGE(NLA_U32, &max_origins_range),
	[RUMOR_A_PEER] = NLA_POLICY_NESTED(peer_policy),
	[RUMOR_A_PAYLOAD] = { .type = NLA_BINARY, .len = RUMOR_MAX_PAYLOAD_LIMIT },
};

static struct genl_family rumor_genl_family;

enum rumor_mcgrp {
	RUMOR_MCGRP_DELIVER_ID,
};

static const struct genl_multicast_group rumor_mcgrps[] = {
	[RUMOR_MCGRP_DELIVER_ID] = { .name = RUMOR_MCGRP_DELIVER,
				     .flags = GENL_MCAST_CAP_NET_ADMIN },
};

/* Address attributes are 4 bytes for IPv4 and 16 for IPv6, nothing else. */
static int parse_addr(const struct nlattr *attr, struct rumor_endpoint *ep,
		      struct netlink_ext_ack *extack)
{
	switch (nla_len(attr)) {
	case sizeof(struct in_addr):
		ep->family = AF_INET;
		ep->v4.s_addr = nla_get_in_addr(attr);
		return 0;
	case sizeof(struct in6_addr):
		ep->family = AF_INET6;
		ep->v6 = nla_get_in6_addr(attr);
		rumor_endpoint_normalize(ep);
		return 0;
	}
	NL_SET_ERR_MSG_ATTR(extack, attr,
			    "address must be 4 (IPv4) or 16 (IPv6) bytes");
	return -EINVAL;
}

static int put_addr(struct sk_buff *skb, int type,
		    const struct rumor_endpoint *ep)
{
	if (ep->family == AF_INET)
		return nla_put_in_addr(skb, type, ep->v4.s_addr);
	return nla_put_in6_addr(skb, type, &ep->v6);
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

static int rumor_nl_up(struct sk_buff *skb, struct genl_info *info)
{
	struct rumor_net *rn = rumor_net(genl_info_net(info));
	struct rumor_config cfg = {
		.port = RUMOR_DEFAULT_PORT,
		.max_payload = RUMOR_DEFAULT_MAX_PAYLOAD,
		.max_origins = RUMOR_DEFAULT_MAX_ORIGINS,
	};
	struct nlattr **attrs = info->attrs;
	int err;

	if (attrs[RUMOR_A_PORT])
		cfg.port = nla_get_u16(attrs[RUMOR_A_PORT]);
	if (attrs[RUMOR_A_BIND_ADDR]) {
		err = parse_addr(attrs[RUMOR_A_BIND_ADDR], &cfg.bind,
				 info->extack);
		if (err)
			return err;
	}
	if (attrs[RUMOR_A_MAX_PAYLOAD])
		cfg.max_payload = nla_get_u32(attrs[RUMOR_A_MAX_PAYLOAD]);
	if (attrs[RUMOR_A_MAX_ORIGINS])
		cfg.max_origins = nla_get_u32(attrs[RUMOR_A_MAX_ORIGINS]);

	mutex_lock(&rn->lock);
	err = rumor_instance_up(rn, genl_info_net(info), &cfg, info->extack);
	mutex_unlock(&rn->lock);
	return err;
}

static int rumor_nl_down(struct sk_buff *skb, struct genl_info *info)
{
	struct rumor_net *rn = rumor_net(genl_info_net(info));
	int err = 0;

	mutex_lock(&rn->lock);
	if (instance_of(rn, info))
		rumor_instance_down(rn);
	else
		err = -ENETDOWN;
	mutex_unlock(&rn->lock);
	return err;
}

static int parse_peer(struct genl_info *info, struct rumor_endpoint *ep)
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
	memset(ep, 0, sizeof(*ep));
	err = parse_addr(tb[RUMOR_PEER_A_ADDR], ep, info->extack);
	if (err)
		return err;
	ep->port = htons(tb[RUMOR_PEER_A_PORT] ?
			 nla_get_u16(tb[RUMOR_PEER_A_PORT]) :
			 RUMOR_DEFAULT_PORT);
	return 0;
}

/* Add or remove a peer; the caller holds the instance lock. */
static int change_peer(struct rumor_instance *inst, u8 cmd,
		       const struct rumor_endpoint *ep,
		       struct netlink_ext_ack *extack)
{
	int err;

	if (cmd == RUMOR_CMD_PEER_DEL) {
		err = rumor_peer_del(&inst->peers, ep);
		if (err == -ENOENT)
			NL_SET_ERR_MSG(extack, "no such peer");
		return err;
	}
	if (!rumor_socket_can_reach(inst, ep)) {
		NL_SET_ERR_MSG(extack,
			       "peer address family does not match the bind address");
		return -EAFNOSUPPORT;
	}
	err = rumor_peer_add(&inst->peers, ep);
	if (err == -EEXIST)
		NL_SET_ERR_MSG(extack, "peer already exists");
	if (err == -ENOSPC) {
		NL_SET_ERR_MSG_FMT(extack, "peer table is full (%u peers)",
				   RUMOR_MAX_PEERS);
		inst->stats.peers_full++;
	}
	return err;
}

/* RUMOR_CMD_PEER_ADD and RUMOR_CMD_PEER_DEL. */
static int rumor_nl_peer(struct sk_buff *skb, struct genl_info *info)
{
	struct rumor_net *rn = rumor_net(genl_info_net(info));
	struct rumor_instance *inst;
	struct rumor_endpoint ep;
	int err;

	err = parse_peer(info, &ep);
	if (err)
		return err;

	mutex_lock(&rn->lock);
	inst = instance_of(rn, info);
	if (inst) {
		mutex_lock(&inst->lock);
		err = change_peer(inst, info->genlhdr->cmd, &ep, info->extack);
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
	u64 origin, seq;
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
	if (nla_len(payload) > inst->cfg.max_payload) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, payload,
					"payload is larger than max-payload (%u bytes)",
					inst->cfg.max_payload);
		err = -EMSGSIZE;
		goto out;
	}
	mutex_lock(&inst->lock);
	origin = inst->node_id;
	err = rumor_gossip_broadcast(inst, nla_data(payload), nla_len(payload),
				     &seq);
	mutex_unlock(&inst->lock);
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

static int put_stats(struct sk_buff *skb, struct rumor_instance *inst)
{
	const struct rumor_stats *s = &inst->stats;
	const struct {
		int type;
		u64 value;
	} counters[] = {
		{ RUMOR_STATS_A_RX_PACKETS, atomic64_read(&inst->rx_packets) },
		{ RUMOR_STATS_A_RX_BYTES, atomic64_read(&inst->rx_bytes) },
		{ RUMOR_STATS_A_RX_QUEUE_FULL, atomic64_read(&inst->rx_queue_full) },
		{ RUMOR_STATS_A_RX_UNKNOWN_PEER, s->rx_unknown_peer },
		{ RUMOR_STATS_A_RX_NOMEM, s->rx_nomem },
		{ RUMOR_STATS_A_RX_TRUNCATED, s->rx_malformed[RUMOR_WIRE_ETRUNC] },
		{ RUMOR_STATS_A_RX_BAD_MAGIC, s->rx_malformed[RUMOR_WIRE_EMAGIC] },
		{ RUMOR_STATS_A_RX_BAD_VERSION, s->rx_malformed[RUMOR_WIRE_EVERSION] },
		{ RUMOR_STATS_A_RX_BAD_FLAGS, s->rx_malformed[RUMOR_WIRE_EFLAGS] },
		{ RUMOR_STATS_A_RX_BAD_TYPE, s->rx_malformed[RUMOR_WIRE_ETYPE] },
		{ RUMOR_STATS_A_RX_BAD_LENGTH, s->rx_malformed[RUMOR_WIRE_ELEN] },
		{ RUMOR_STATS_A_RX_BAD_BODY, s->rx_malformed[RUMOR_WIRE_EBODY] },
		{ RUMOR_STATS_A_DELIVERED, s->delivered },
		{ RUMOR_STATS_A_DUPLICATES, s->duplicates },
		{ RUMOR_STATS_A_TOO_OLD, s->too_old },
		{ RUMOR_STATS_A_ORIGINS_EVICTED, inst->dedup.evicted },
		{ RUMOR_STATS_A_HOPS_EXCEEDED, s->hops_exceeded },
		{ RUMOR_STATS_A_DELIVER_FAILED, s->deliver_failed },
		{ RUMOR_STATS_A_BROADCASTS, s->broadcasts },
		{ RUMOR_STATS_A_FORWARDED, s->forwarded },
		{ RUMOR_STATS_A_TX_PACKETS, s->tx_packets },
		{ RUMOR_STATS_A_TX_BYTES, s->tx_bytes },
		{ RUMOR_STATS_A_TX_ERRORS, s->tx_errors },
		{ RUMOR_STATS_A_PEERS_FULL, s->peers_full },
	};
	struct nlattr *nest;
	size_t i;

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
	const struct rumor_config *cfg = &inst->cfg;

	if (nla_put_u8(skb, RUMOR_A_STATE, RUMOR_STATE_UP) ||
	    nla_put_u64_64bit(skb, RUMOR_A_NODE_ID, inst->node_id, RUMOR_A_PAD) ||
	    nla_put_u16(skb, RUMOR_A_PORT, cfg->port) ||
	    (cfg->bind.family != AF_UNSPEC &&
	     put_addr(skb, RUMOR_A_BIND_ADDR, &cfg->bind)) ||
	    nla_put_u32(skb, RUMOR_A_MAX_PAYLOAD, cfg->max_payload) ||
	    nla_put_u32(skb, RUMOR_A_MAX_ORIGINS, cfg->max_origins) ||
	    nla_put_u32(skb, RUMOR_A_MAX_PEERS, RUMOR_MAX_PEERS) ||
	    nla_put_u32(skb, RUMOR_A_NUM_PEERS, inst->peers.count) ||
	    nla_put_u32(skb, RUMOR_A_NUM_ORIGINS, inst->dedup.count))
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

static int put_peer(struct sk_buff *skb, const struct rumor_peer *peer)
{
	const struct rumor_peer_stats *s = &peer->stats;
	struct nlattr *nest, *stats;

	nest = nla_nest_start(skb, RUMOR_A_PEER);
	if (!nest)
		return -EMSGSIZE;
	if (put_addr(skb, RUMOR_PEER_A_ADDR, &peer->ep) ||
	    nla_put_u16(skb, RUMOR_PEER_A_PORT, ntohs(peer->ep.port)))
		return -EMSGSIZE;
	stats = nla_nest_start(skb, RUMOR_PEER_A_STATS);
	if (!stats ||
	    nla_put_u64_64bit(skb, RUMOR_PEER_STATS_A_RX_MESSAGES,
			      s->rx_messages, RUMOR_PEER_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, RUMOR_PEER_STATS_A_RX_DUPLICATES,
			      s->rx_duplicates, RUMOR_PEER_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, RUMOR_PEER_STATS_A_TX_MESSAGES,
			      s->tx_messages, RUMOR_PEER_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, RUMOR_PEER_STATS_A_TX_ERRORS,
			      s->tx_errors, RUMOR_PEER_STATS_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, stats);
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * One message per peer; cb->args[0] counts the peers already sent. The
 * generation goes into cb->seq so that a dump spanning a change to the peer
 * list is flagged NLM_F_DUMP_INTR rather than silently skewed.
 */
static int rumor_nl_peer_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct rumor_net *rn = rumor_net(sock_net(skb->sk));
	struct rumor_instance *inst;
	struct rumor_peer *peer;
	long index = 0;
	int err = 0;

	mutex_lock(&rn->lock);
	cb->seq = rn->generation;
	inst = rn->inst;
	if (!inst)
		goto out;
	mutex_lock(&inst->lock);
	list_for_each_entry(peer, &inst->peers.list, node) {
		void *hdr;

		if (index++ < cb->args[0])
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &rumor_genl_family,
				  NLM_F_MULTI, RUMOR_CMD_PEER_GET);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		genl_dump_check_consistent(cb, hdr);
		if (put_peer(skb, peer)) {
			genlmsg_cancel(skb, hdr);
			err = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = index;
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
			  const struct rumor_peer *from,
			  const struct rumor_msg *msg)
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
			  nla_total_size(msg->payload_len), GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put(skb, 0, 0, &rumor_genl_family, 0, RUMOR_CMD_DELIVER);
	if (!hdr)
		goto nospace;
	if (nla_put_u64_64bit(skb, RUMOR_A_ORIGIN, msg->origin, RUMOR_A_PAD) ||
	    nla_put_u64_64bit(skb, RUMOR_A_SEQ, msg->seq, RUMOR_A_PAD) ||
	    nla_put_u8(skb, RUMOR_A_HOPS, msg->hops))
		goto nospace;
	nest = nla_nest_start(skb, RUMOR_A_PEER);
	if (!nest || put_addr(skb, RUMOR_PEER_A_ADDR, &from->ep) ||
	    nla_put_u16(skb, RUMOR_PEER_A_PORT, ntohs(from->ep.port)))
		goto nospace;
	nla_nest_end(skb, nest);
	if (nla_put(skb, RUMOR_A_PAYLOAD, msg->payload_len, msg->payload))
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
		.cmd = RUMOR_CMD_PEER_ADD,
		.doit = rumor_nl_peer,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = RUMOR_CMD_PEER_DEL,
		.doit = rumor_nl_peer,
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
