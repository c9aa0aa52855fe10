/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What the protocol core needs from its host: rumor.ko, the simulator and
 * the unit tests each fill one of these. The core never sleeps, never
 * locks and never calls anything else; the host serialises all calls into
 * one node (rumor.ko with the instance mutex, the simulator by running one
 * event at a time).
 */
#ifndef _RUMOR_CORE_ENV_H
#define _RUMOR_CORE_ENV_H

#include <linux/types.h>

#include "wire.h"

struct rumor_env {
	void *host;

	/*
	 * Send one datagram to @to: @head then, if not NULL, @tail. Failures
	 * are the host's to count; the core treats UDP as lossy anyway.
	 */
	void (*send)(void *host, const struct rumor_ep *to, const void *head,
		     __u32 head_len, const void *tail, __u32 tail_len);

	/* Monotonic time in microseconds. */
	__u64 (*now)(void *host);

	/*
	 * Call rumor_node_timer() once, at or after @when (microseconds). A
	 * later call replaces the earlier one.
	 */
	void (*arm)(void *host, __u64 when);

	__u64 (*random)(void *host);

	/* Zeroed memory, or NULL; free gets back the size that was asked. */
	void *(*alloc)(void *host, __u32 size);
	void (*free)(void *host, void *p, __u32 size);

	/* A GOSSIP message received for the first time, from @from. */
	void (*deliver)(void *host, const struct rumor_msg *msg,
			const struct rumor_ep *from);

	/* @m entered (@up 1) or left (@up 0) the active view. */
	void (*neighbor)(void *host, const struct rumor_member *m, int up);
};

#endif /* _RUMOR_CORE_ENV_H */
