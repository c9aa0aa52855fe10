/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Between the files of the core's node: node.c (dispatch, timers, sending),
 * hyparview.c (views), plumtree.c (trees), origins.c (dedup), msgcache.c.
 * Hosts include node.h only.
 */
#ifndef _RUMOR_CORE_NODE_INT_H
#define _RUMOR_CORE_NODE_INT_H

#include "node.h"

#define RUMOR_US_PER_MS	1000ULL

static inline __u64 rumor_now(const struct rumor_node *n)
{
	return n->env->now(n->env->host);
}

static inline __u64 rumor_ms(__u32 ms)
{
	return ms * RUMOR_US_PER_MS;
}

/* A uniformly random integer below @bound (> 0). */
static inline __u32 rumor_random_below(const struct rumor_node *n,
				       __u32 bound)
{
	return (__u32)(((n->env->random(n->env->host) >> 32) * bound) >> 32);
}

static inline void *rumor_alloc(const struct rumor_node *n, __u32 size)
{
	return n->env->alloc(n->env->host, size);
}

static inline void rumor_free(const struct rumor_node *n, void *p, __u32 size)
{
	n->env->free(n->env->host, p, size);
}

/* node.c: sending; the message counters are kept by the callers. */
void rumor_send(struct rumor_node *n, const struct rumor_ep *to,
		const void *head, __u32 head_len, const void *tail,
		__u32 tail_len);
void rumor_send_empty(struct rumor_node *n, const struct rumor_ep *to,
		      __u8 type);
/* Keep the host's timer at the earliest of our deadlines. */
void rumor_timer_want(struct rumor_node *n, __u64 when);

/* hyparview.c */
int rumor_hv_init(struct rumor_node *n);
void rumor_hv_free(struct rumor_node *n);
struct rumor_peer *rumor_hv_find(struct rumor_node *n, __u64 id);
void rumor_hv_receive(struct rumor_node *n, const struct rumor_ep *from,
		      const struct rumor_msg *msg);
void rumor_hv_timer(struct rumor_node *n, __u64 now);

/* plumtree.c */
int rumor_pt_init(struct rumor_node *n);
void rumor_pt_free(struct rumor_node *n);
void rumor_pt_receive(struct rumor_node *n, struct rumor_peer *from_peer,
		      const struct rumor_ep *from, const struct rumor_msg *msg);
void rumor_pt_timer(struct rumor_node *n, __u64 now);
void rumor_pt_neighbor_up(struct rumor_node *n, struct rumor_peer *p);
void rumor_pt_neighbor_down(struct rumor_node *n, struct rumor_peer *p);
int rumor_pt_broadcast(struct rumor_node *n, const void *payload, __u32 len,
		       __u64 *seq);

/* origins.c: the duplicate windows */
enum rumor_origin_verdict {
	RUMOR_ORIGIN_NEW,
	RUMOR_ORIGIN_DUP,
	RUMOR_ORIGIN_OLD,
	RUMOR_ORIGIN_NOMEM,
};

int rumor_origins_init(struct rumor_node *n);
void rumor_origins_free(struct rumor_node *n);
enum rumor_origin_verdict rumor_origins_mark(struct rumor_node *n,
					     __u64 origin, __u64 seq);
/* Has (origin, seq) been received? Read-only; own messages count. */
int rumor_origins_seen(struct rumor_node *n, __u64 origin, __u64 seq);

/* msgcache.c: payloads kept to answer GRAFTs */
struct rumor_cached {
	struct rumor_hnode h;		/* k1 origin, k2 seq */
	struct rumor_list age;
	__u64 stored;			/* us */
	__u64 from;			/* who sent it to us; 0: ourselves */
	__u32 len;
	__u8 hops;			/* as we push it on: received + 1 */
	__u8 payload[];
};

int rumor_cache_init(struct rumor_node *n);
void rumor_cache_free(struct rumor_node *n);
void rumor_cache_put(struct rumor_node *n, __u64 origin, __u64 seq,
		     __u8 hops, __u64 from, const void *payload, __u32 len);
struct rumor_cached *rumor_cache_find(struct rumor_node *n, __u64 origin,
				      __u64 seq);
void rumor_cache_expire(struct rumor_node *n, __u64 now);

#endif /* _RUMOR_CORE_NODE_INT_H */
