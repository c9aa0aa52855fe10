// SPDX-License-Identifier: GPL-2.0
/*
 * The receive worker: parse with the protocol core, drop what is malformed,
 * from a stranger or already seen, deliver first copies to netlink
 * listeners and pass them on. It runs in process context under the
 * instance lock, so the dedup decision is exact even when XDP on two CPUs
 * both let one message through.
 */
#include <linux/skbuff.h>
#include <linux/workqueue.h>

#include "gossip.h"
#include "instance.h"
#include "netlink.h"
#include "socket.h"

/* Datagrams handled per lock hold, so netlink requests are not starved. */
#define RUMOR_RX_BATCH	64

static struct workqueue_struct *rumor_wq;

static void send_gossip(struct rumor_instance *inst, struct rumor_peer *peer,
			const struct rumor_msg *msg, u8 hops)
{
	u8 hdr[RUMOR_WIRE_GOSSIP_HLEN];
	struct kvec vec[2];
	int len, err;

	len = rumor_wire_put_gossip_hdr(hdr, sizeof(hdr), inst->node_id, hops,
					msg->origin, msg->seq,
					msg->payload_len);
	if (WARN_ON_ONCE(len < 0))
		return;
	vec[0].iov_base = hdr;
	vec[0].iov_len = len;
	vec[1].iov_base = (void *)msg->payload;
	vec[1].iov_len = msg->payload_len;

	err = rumor_socket_send(inst, &peer->ep, vec, 2, len + msg->payload_len);
	if (err < 0) {
		inst->stats.tx_errors++;
		peer->stats.tx_errors++;
		return;
	}
	inst->stats.tx_packets++;
	inst->stats.tx_bytes += len + msg->payload_len;
	peer->stats.tx_messages++;
}

static void flood(struct rumor_instance *inst, struct rumor_peer *from,
		  const struct rumor_msg *msg, u8 hops)
{
	struct rumor_peer *peer;

	list_for_each_entry(peer, &inst->peers.list, node)
		if (peer != from)
			send_gossip(inst, peer, msg, hops);
}

static void receive_gossip(struct rumor_instance *inst, struct rumor_peer *from,
			   const struct rumor_msg *msg)
{
	enum rumor_dedup_verdict verdict;

	/* Our own messages come back around every cycle of the overlay. */
	if (msg->origin == inst->node_id)
		verdict = RUMOR_DEDUP_DUP;
	else
		verdict = rumor_dedup_check(&inst->dedup, msg->origin, msg->seq);

	switch (verdict) {
	case RUMOR_DEDUP_NEW:
		break;
	case RUMOR_DEDUP_DUP:
		inst->stats.duplicates++;
		from->stats.rx_duplicates++;
		return;
	case RUMOR_DEDUP_OLD:
		inst->stats.too_old++;
		return;
	case RUMOR_DEDUP_NOMEM:
		inst->stats.rx_nomem++;
		return;
	}

	inst->stats.delivered++;
	if (rumor_netlink_deliver(inst, from, msg))
		inst->stats.deliver_failed++;

	if (msg->hops >= RUMOR_WIRE_MAX_HOPS) {
		inst->stats.hops_exceeded++;
		return;
	}
	inst->stats.forwarded++;
	flood(inst, from, msg, msg->hops + 1);
}

static void receive(struct rumor_instance *inst, struct sk_buff *skb)
{
	struct rumor_peer *from;
	enum rumor_wire_err err;
	struct rumor_msg msg;

	if (skb_linearize(skb)) {
		inst->stats.rx_nomem++;
		return;
	}
	err = rumor_wire_parse(skb->data, skb->len, &msg);
	if (err) {
		inst->stats.rx_malformed[err]++;
		return;
	}
	from = rumor_peer_find(&inst->peers, &rumor_skb_cb(skb)->src);
	if (!from) {
		inst->stats.rx_unknown_peer++;
		return;
	}
	from->stats.rx_messages++;

	switch (msg.type) {
	case RUMOR_WIRE_GOSSIP:
		receive_gossip(inst, from, &msg);
		break;
	}
}

static void rx_work(struct work_struct *work)
{
	struct rumor_instance *inst =
		container_of(work, struct rumor_instance, rx_work);
	struct sk_buff *skb;
	int n;

	do {
		mutex_lock(&inst->lock);
		for (n = 0; n < RUMOR_RX_BATCH; n++) {
			skb = skb_dequeue(&inst->rxq);
			if (!skb)
				break;
			if (inst->sock)
				receive(inst, skb);
			kfree_skb(skb);
		}
		mutex_unlock(&inst->lock);
		cond_resched();
	} while (n == RUMOR_RX_BATCH);
}

void rumor_gossip_init(struct rumor_instance *inst)
{
	skb_queue_head_init(&inst->rxq);
	INIT_WORK(&inst->rx_work, rx_work);
}

void rumor_gossip_kick(struct rumor_instance *inst)
{
	queue_work(rumor_wq, &inst->rx_work);
}

/* The socket is closed: nothing can queue any more. */
void rumor_gossip_stop(struct rumor_instance *inst)
{
	cancel_work_sync(&inst->rx_work);
	skb_queue_purge(&inst->rxq);
}

int rumor_gossip_broadcast(struct rumor_instance *inst, const void *payload,
			   u32 len, u64 *seq)
{
	struct rumor_msg msg = {
		.type = RUMOR_WIRE_GOSSIP,
		.origin = inst->node_id,
		.payload = payload,
		.payload_len = len,
	};

	lockdep_assert_held(&inst->lock);
	msg.seq = ++inst->last_seq;
	inst->stats.broadcasts++;
	flood(inst, NULL, &msg, 0);
	*seq = msg.seq;
	return 0;
}

int rumor_gossip_wq_init(void)
{
	rumor_wq = alloc_workqueue("rumor", WQ_UNBOUND, 0);
	return rumor_wq ? 0 : -ENOMEM;
}

void rumor_gossip_wq_uninit(void)
{
	destroy_workqueue(rumor_wq);
}
