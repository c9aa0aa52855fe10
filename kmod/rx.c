// SPDX-License-Identifier: GPL-2.0
/*
 * The receive worker. Serialising the core behind the instance lock makes
 * its dedup exact even when XDP on two CPUs lets one message through twice,
 * and lets the core allocate, send and notify from process context.
 */
#include <linux/skbuff.h>
#include <linux/workqueue.h>

#include "instance.h"
#include "rx.h"
#include "socket.h"

/* Datagrams handled per lock hold, so netlink requests are not starved. */
#define RUMOR_RX_BATCH	64

struct workqueue_struct *rumor_wq;

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
			/* The core parses a flat buffer. */
			if (inst->sock && !skb_linearize(skb))
				rumor_node_receive(inst->node,
						   &rumor_skb_cb(skb)->src,
						   skb->data, skb->len);
			else if (inst->sock)
				inst->node->stats.nomem++;
			kfree_skb(skb);
		}
		mutex_unlock(&inst->lock);
		cond_resched();
	} while (n == RUMOR_RX_BATCH);
}

void rumor_rx_init(struct rumor_instance *inst)
{
	skb_queue_head_init(&inst->rxq);
	INIT_WORK(&inst->rx_work, rx_work);
}

void rumor_rx_kick(struct rumor_instance *inst)
{
	queue_work(rumor_wq, &inst->rx_work);
}

/* The socket is closed: nothing can queue any more. */
void rumor_rx_stop(struct rumor_instance *inst)
{
	cancel_work_sync(&inst->rx_work);
	skb_queue_purge(&inst->rxq);
}

int rumor_wq_init(void)
{
	rumor_wq = alloc_workqueue("rumor", WQ_UNBOUND, 0);
	return rumor_wq ? 0 : -ENOMEM;
}

void rumor_wq_uninit(void)
{
	destroy_workqueue(rumor_wq);
}
