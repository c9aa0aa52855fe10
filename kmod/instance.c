// SPDX-License-Identifier: GPL-2.0
/*
 * Instance lifetime. Each network namespace has a struct rumor_net from
 * pernet_operations; RUMOR_CMD_UP hangs an instance off it and
 * RUMOR_CMD_DOWN, or the namespace going away, takes it down again.
 */
#include <linux/netdevice.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <net/netns/generic.h>

#include "env.h"
#include "instance.h"
#include "rx.h"
#include "socket.h"

static unsigned int rumor_net_id __read_mostly;

struct rumor_net *rumor_net(struct net *net)
{
	return net_generic(net, rumor_net_id);
}

static void instance_free(struct rumor_instance *inst)
{
	rumor_node_destroy(inst->node);
	kfree(inst);
}

int rumor_instance_up(struct rumor_net *rn, struct net *net,
		      const struct rumor_instance_config *cfg,
		      struct netlink_ext_ack *extack)
{
	struct rumor_instance *inst;
	const char *why;
	u64 id;
	int err;

	lockdep_assert_held(&rn->lock);
	if (rn->inst) {
		NL_SET_ERR_MSG(extack, "rumor is already up in this namespace");
		return -EBUSY;
	}

	why = rumor_config_check(&cfg->core);
	if (why) {
		NL_SET_ERR_MSG_FMT(extack, "bad configuration: %s", why);
		return -EINVAL;
	}
	inst = kzalloc(sizeof(*inst), GFP_KERNEL);
	if (!inst)
		return -ENOMEM;
	inst->net = net;
	inst->cfg = *cfg;
	mutex_init(&inst->lock);
	rumor_env_init(inst);
	rumor_rx_init(inst);
	/* A fresh id per run, so a restart never reuses message ids. */
	do {
		id = get_random_u64();
	} while (!id);
	/* Nothing runs the core yet: the timer it arms waits for the lock. */
	mutex_lock(&inst->lock);
	inst->node = rumor_node_create(&inst->env, &cfg->core, id);
	mutex_unlock(&inst->lock);
	if (!inst->node) {
		err = -ENOMEM;
		goto err_free;
	}

	/* Last: from here on encap_rcv may run and find the instance. */
	err = rumor_socket_open(inst, extack);
	if (err)
		goto err_timer;
	rumor_env_start(inst);

	rn->inst = inst;
	rn->generation++;
	pr_info("up in netns %u: node %016llx, port %u\n", net->ns.inum,
		inst->node->id, cfg->port);
	return 0;

err_timer:
	rumor_env_stop(inst);
err_free:
	instance_free(inst);
	return err;
}

void rumor_instance_down(struct rumor_net *rn)
{
	struct rumor_instance *inst = rn->inst;
	struct socket *sock;

	lockdep_assert_held(&rn->lock);
	if (!inst)
		return;
	rn->inst = NULL;
	rn->generation++;

	/* The workers run the core only while inst->sock is set. */
	mutex_lock(&inst->lock);
	sock = inst->sock;
	inst->sock = NULL;
	mutex_unlock(&inst->lock);

	rumor_socket_close(sock);
	/* No encap_rcv can still be running, so nothing queues any more. */
	synchronize_net();
	rumor_rx_stop(inst);
	rumor_env_stop(inst);
	pr_info("down in netns %u: node %016llx\n", inst->net->ns.inum,
		inst->node->id);
	instance_free(inst);
}

static int __net_init rumor_net_init(struct net *net)
{
	struct rumor_net *rn = rumor_net(net);

	mutex_init(&rn->lock);
	rn->inst = NULL;
	rn->generation = 1;
	return 0;
}

static void __net_exit rumor_net_exit(struct net *net)
{
	struct rumor_net *rn = rumor_net(net);

	mutex_lock(&rn->lock);
	rumor_instance_down(rn);
	mutex_unlock(&rn->lock);
}

static struct pernet_operations rumor_net_ops = {
	.init = rumor_net_init,
	.exit = rumor_net_exit,
	.id = &rumor_net_id,
	.size = sizeof(struct rumor_net),
};

int rumor_instance_init(void)
{
	return register_pernet_subsys(&rumor_net_ops);
}

void rumor_instance_uninit(void)
{
	unregister_pernet_subsys(&rumor_net_ops);
}
