/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The receive worker: datagrams queued by the socket's encap_rcv hook are
 * handed to the protocol core in process context, under the instance lock.
 */
#ifndef _RUMOR_RX_H
#define _RUMOR_RX_H

struct rumor_instance;
struct workqueue_struct;

/* The module's workqueue: receive and timer work of every instance. */
extern struct workqueue_struct *rumor_wq;

void rumor_rx_init(struct rumor_instance *inst);
void rumor_rx_kick(struct rumor_instance *inst);
void rumor_rx_stop(struct rumor_instance *inst);

int rumor_wq_init(void);
void rumor_wq_uninit(void);

#endif /* _RUMOR_RX_H */
