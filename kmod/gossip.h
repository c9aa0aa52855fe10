/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dissemination: the receive worker and locally originated broadcasts.
 * Flooding for now: a first copy is delivered and sent to every peer but
 * the one it came from.
 */
#ifndef _RUMOR_GOSSIP_H
#define _RUMOR_GOSSIP_H

#include <linux/types.h>

struct rumor_instance;

void rumor_gossip_init(struct rumor_instance *inst);
void rumor_gossip_kick(struct rumor_instance *inst);
void rumor_gossip_stop(struct rumor_instance *inst);
int rumor_gossip_broadcast(struct rumor_instance *inst, const void *payload,
			   u32 len, u64 *seq);

int rumor_gossip_wq_init(void);
void rumor_gossip_wq_uninit(void);

#endif /* _RUMOR_GOSSIP_H */
