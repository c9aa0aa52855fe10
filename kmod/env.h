/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The protocol core's environment in the kernel: sending through the
 * instance's socket, time, a timer on a delayed work item, randomness,
 * memory, and deliveries and neighbour events to netlink listeners.
 */
#ifndef _RUMOR_ENV_H
#define _RUMOR_ENV_H

struct rumor_instance;

void rumor_env_init(struct rumor_instance *inst);
void rumor_env_start(struct rumor_instance *inst);
void rumor_env_stop(struct rumor_instance *inst);

#endif /* _RUMOR_ENV_H */
