// SPDX-License-Identifier: GPL-2.0
/*
 * rumor: gossip dissemination for Linux clusters. Module init and exit
 * only; see instance.c for the per-namespace state, netlink.c for the
 * interface and core/ for the protocol.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <uapi/linux/rumor.h>

#include "instance.h"
#include "netlink.h"
#include "rx.h"

static int __init rumor_init(void)
{
	int err;

	err = rumor_wq_init();
	if (err)
		return err;
	err = rumor_instance_init();
	if (err)
		goto err_instance;
	/* Last, so no request can arrive before the namespaces are ready. */
	err = rumor_netlink_init();
	if (err)
		goto err_netlink;
	pr_info("HyParView and Plumtree, wire version %d\n", RUMOR_WIRE_VERSION);
	return 0;

err_netlink:
	rumor_instance_uninit();
err_instance:
	rumor_wq_uninit();
	return err;
}

static void __exit rumor_exit(void)
{
	rumor_netlink_uninit();
	rumor_instance_uninit();
	rumor_wq_uninit();
}

module_init(rumor_init);
module_exit(rumor_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rumor: gossip dissemination with Plumtree over HyParView");
MODULE_AUTHOR("rumor developers");
MODULE_VERSION("0.1.0");
MODULE_ALIAS_GENL_FAMILY(RUMOR_GENL_NAME);
