/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic netlink family "rumor"; include/uapi/linux/rumor.h
 * documents every command and attribute.
 */
#ifndef _RUMOR_NETLINK_H
#define _RUMOR_NETLINK_H

struct rumor_instance;
struct rumor_member;
struct rumor_msg;
struct rumor_ep;

int rumor_netlink_init(void);
void rumor_netlink_uninit(void);
int rumor_netlink_deliver(struct rumor_instance *inst,
			  const struct rumor_msg *msg,
			  const struct rumor_ep *from);
void rumor_netlink_neighbor(struct rumor_instance *inst,
			    const struct rumor_member *m, int up);
void rumor_netlink_instance(struct rumor_instance *inst, int up);

#endif /* _RUMOR_NETLINK_H */
