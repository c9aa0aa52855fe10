// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The node: configuration, life cycle, the dispatch of received datagrams
 * to HyParView or Plumtree, and the single host timer that serves all of
 * the core's deadlines.
 */
#include "node_int.h"

_Static_assert(sizeof(((struct rumor_node *)0)->txbuf) >=
	       RUMOR_WIRE_SHUFFLE_LEN(RUMOR_WIRE_SHUFFLE_MAX),
	       "txbuf holds any control message");

void rumor_config_default(struct rumor_config *c)
{
	*c = (struct rumor_config){
		.mode = RUMOR_MODE_PLUMTREE,
		.active_size = 5,
		.passive_size = 30,
		.arwl = 6,
		.prwl = 3,
		.shuffle_active = 3,
		.shuffle_passive = 4,
		.shuffle_ttl = 6,
		.shuffle_interval_ms = 10000,
		.join_interval_ms = 1000,
		.neighbor_timeout_ms = 500,
		.ping_interval_ms = 1000,
		.fail_timeout_ms = 3000,
		.ihave_interval_ms = 50,
		.graft_timeout_ms = 250,
		.graft_retry_ms = 125,
		.optimize_hops = 3,
		.max_missing = 1024,
		.lazy_queue_len = 256,
		.cache_bytes = 4 << 20,
		.cache_age_ms = 60000,
		.max_origins = 4096,
		.max_payload = 1200,
	};
}

const char *rumor_config_check(const struct rumor_config *c)
{
	if (c->mode > RUMOR_MODE_DIRECT)
		return "unknown mode";
	if (!c->active_size)
		return "the active view needs room for one peer";
	if (c->prwl > c->arwl)
		return "the passive random walk must not be longer than the active one";
	if (c->shuffle_active + c->shuffle_passive > RUMOR_WIRE_SHUFFLE_MAX)
		return "a shuffle carries at most 32 members";
	if (!c->shuffle_interval_ms || !c->join_interval_ms ||
	    !c->neighbor_timeout_ms || !c->ping_interval_ms ||
	    !c->ihave_interval_ms || !c->graft_timeout_ms ||
	    !c->graft_retry_ms || !c->cache_age_ms)
		return "intervals and timeouts must be at least 1 ms";
	if (c->fail_timeout_ms <= c->ping_interval_ms)
		return "the failure timeout must be longer than the ping interval";
	if (!c->max_origins)
		return "the dedup table needs room for one origin";
	if (c->max_payload > RUMOR_WIRE_MAX_LEN - RUMOR_WIRE_GOSSIP_HLEN)
		return "payloads must fit one datagram";
	if (c->mode == RUMOR_MODE_PLUMTREE && (!c->lazy_queue_len || !c->max_missing))
		return "Plumtree needs lazy queues and a missing-ids table";
	return (void *)0;
}

int rumor_ep_equal(const struct rumor_ep *a, const struct rumor_ep *b)
{
	int i, len = a->family == 4 ? 4 : 16;

	if (a->family != b->family || a->port != b->port)
		return 0;
	for (i = 0; i < len; i++)
		if (a->addr[i] != b->addr[i])
			return 0;
	return 1;
}

void rumor_send(struct rumor_node *n, const struct rumor_ep *to,
		const void *head, __u32 head_len, const void *tail,
		__u32 tail_len)
{
	n->env->send(n->env->host, to, head, head_len, tail, tail_len);
}

void rumor_send_empty(struct rumor_node *n, const struct rumor_ep *to,
		      __u8 type)
{
	__u8 buf[RUMOR_WIRE_HLEN];

	if (rumor_wire_put_empty(buf, sizeof(buf), type, n->id) > 0)
		rumor_send(n, to, buf, sizeof(buf), NULL, 0);
}

/*
 * Outside a tick, arm the host timer at once if @when is earlier than what
 * is armed. During a tick, collect the earliest deadline and arm once at
 * the end.
 */
void rumor_timer_want(struct rumor_node *n, __u64 when)
{
	if (n->in_timer) {
		if (when < n->wanted)
			n->wanted = when;
		return;
	}
	if (!n->armed || when < n->armed) {
		n->armed = when;
		n->env->arm(n->env->host, when);
	}
}

void rumor_node_timer(struct rumor_node *n)
{
	__u64 now = rumor_now(n);

	n->in_timer = 1;
	n->wanted = ~0ULL;
	rumor_hv_timer(n, now);
	rumor_pt_timer(n, now);
	n->in_timer = 0;
	n->armed = 0;
	if (n->wanted != ~0ULL)
		rumor_timer_want(n, n->wanted);
}

void rumor_node_receive(struct rumor_node *n, const struct rumor_ep *from,
			const void *buf, __u32 len)
{
	enum rumor_wire_err err;
	struct rumor_msg msg;
	struct rumor_peer *p;
	int restarted = 0;
	__u32 i;

	err = rumor_wire_parse(buf, len, &msg);
	if (err) {
		n->stats.rx_malformed[err]++;
		return;
	}
	if (msg.sender == n->id)
		return;		/* our own datagram, looped back */

	p = rumor_hv_find(n, msg.sender);
	if (p) {
		p->last_rx = rumor_now(n);
		p->ping_out = 0;
	} else {
		/*
		 * A new id from the address of an active peer: that peer
		 * restarted, and its old incarnation is gone for good.
		 */
		for (i = 0; i < n->nactive; i++) {
			if (rumor_ep_equal(&n->active[i]->m.ep, from)) {
				n->active[i]->last_rx = 0;
				restarted = 1;
			}
		}
	}

	switch (msg.type) {
	case RUMOR_WIRE_GOSSIP:
	case RUMOR_WIRE_IHAVE:
	case RUMOR_WIRE_GRAFT:
	case RUMOR_WIRE_PRUNE:
		rumor_pt_receive(n, p, from, &msg);
		break;
	default:
		rumor_hv_receive(n, from, &msg);
		break;
	}
	if (restarted)
		/* The old incarnation found above fails at the next tick. */
		rumor_timer_want(n, rumor_now(n));
}

int rumor_node_broadcast(struct rumor_node *n, const void *payload, __u32 len,
			 __u64 *seq)
{
	return rumor_pt_broadcast(n, payload, len, seq);
}

struct rumor_node *rumor_node_create(const struct rumor_env *env,
				     const struct rumor_config *cfg, __u64 id)
{
	struct rumor_node *n;

	if (!id || rumor_config_check(cfg))
		return NULL;
	n = env->alloc(env->host, sizeof(*n));
	if (!n)
		return NULL;
	n->env = env;
	n->cfg = *cfg;
	n->id = id;
	/* Lists first: destroy must find them whatever failed below. */
	rumor_list_init(&n->origins_lru);
	rumor_list_init(&n->missing_list);
	rumor_list_init(&n->cache_list);
	if (rumor_origins_init(n) || rumor_pt_init(n) || rumor_hv_init(n)) {
		rumor_node_destroy(n);
		return NULL;
	}
	rumor_timer_want(n, rumor_now(n));
	return n;
}

void rumor_node_destroy(struct rumor_node *n)
{
	const struct rumor_env *env;

	if (!n)
		return;
	env = n->env;
	rumor_hv_free(n);
	rumor_pt_free(n);
	rumor_origins_free(n);
	env->free(env->host, n, sizeof(*n));
}
