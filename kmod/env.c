// SPDX-License-Identifier: GPL-2.0
/*
 * The protocol core's environment in the kernel. The core is called only
 * from process context with the instance mutex held (netlink requests and
 * the two work items), so everything here may sleep and none of it locks.
 */
#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "env.h"
#include "instance.h"
#include "netlink.h"
#include "rx.h"
#include "socket.h"

static void env_send(void *host, const struct rumor_ep *to, const void *head,
		     __u32 head_len, const void *tail, __u32 tail_len)
{
	struct rumor_instance *inst = host;
	struct kvec vec[2] = {
		{ .iov_base = (void *)head, .iov_len = head_len },
		{ .iov_base = (void *)tail, .iov_len = tail_len },
	};
	int err;

	err = rumor_socket_send(inst, to, vec, tail_len ? 2 : 1,
				head_len + tail_len);
	if (err < 0) {
		inst->stats.tx_errors++;
		return;
	}
	inst->stats.tx_packets++;
	inst->stats.tx_bytes += head_len + tail_len;
}

static __u64 env_now(void *host)
{
	return ktime_to_us(ktime_get());
}

/* One delayed work item carries every deadline of the core. */
static void env_arm(void *host, __u64 when)
{
	struct rumor_instance *inst = host;
	__u64 now = env_now(host);
	unsigned long delay = 0;

	if (when > now)
		delay = usecs_to_jiffies(min_t(__u64, when - now, U32_MAX));
	mod_delayed_work(rumor_wq, &inst->timer_work, delay);
}

static __u64 env_random(void *host)
{
	return get_random_u64();
}

/* Counted, so that an operator (and the tests) see the core's footprint. */
static void *env_alloc(void *host, __u32 size)
{
	struct rumor_instance *inst = host;
	void *p = kzalloc(size, GFP_KERNEL);

	if (p)
		inst->stats.mem_bytes += size;
	return p;
}

static void env_free(void *host, void *p, __u32 size)
{
	struct rumor_instance *inst = host;

	kfree(p);
	inst->stats.mem_bytes -= size;
}

static void env_deliver(void *host, const struct rumor_msg *msg,
			const struct rumor_ep *from)
{
	struct rumor_instance *inst = host;

	if (rumor_netlink_deliver(inst, msg, from))
		inst->stats.deliver_failed++;
}

static void env_neighbor(void *host, const struct rumor_member *m, int up)
{
	rumor_netlink_neighbor(host, m, up);
}

static void timer_work(struct work_struct *work)
{
	struct rumor_instance *inst = container_of(to_delayed_work(work),
						   struct rumor_instance,
						   timer_work);

	mutex_lock(&inst->lock);
	if (inst->sock)
		rumor_node_timer(inst->node);
	mutex_unlock(&inst->lock);
}

void rumor_env_init(struct rumor_instance *inst)
{
	inst->env = (struct rumor_env){
		.host = inst,
		.send = env_send,
		.now = env_now,
		.arm = env_arm,
		.random = env_random,
		.alloc = env_alloc,
		.free = env_free,
		.deliver = env_deliver,
		.neighbor = env_neighbor,
	};
	INIT_DELAYED_WORK(&inst->timer_work, timer_work);
}

/* The socket is open: run the core's first tick, which the timer skipped. */
void rumor_env_start(struct rumor_instance *inst)
{
	mod_delayed_work(rumor_wq, &inst->timer_work, 0);
}

/* The socket is gone (inst->sock is NULL): the timer can only stop now. */
void rumor_env_stop(struct rumor_instance *inst)
{
	cancel_delayed_work_sync(&inst->timer_work);
}
