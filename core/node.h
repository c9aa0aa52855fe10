/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A rumor node: HyParView membership (Leitão, Pereira, Rodrigues, DSN 2007)
 * and Plumtree broadcast trees (same authors, SRDS 2007) over it, with the
 * per-origin duplicate windows and a message cache. Plain C on the env of
 * env.h; hosts read the structures below (views, counters) but change them
 * only through the functions.
 */
#ifndef _RUMOR_CORE_NODE_H
#define _RUMOR_CORE_NODE_H

#include "env.h"
#include "table.h"
#include "window.h"

enum rumor_mode {
	RUMOR_MODE_PLUMTREE,	/* eager tree, lazy IHAVE, GRAFT, PRUNE */
	RUMOR_MODE_FLOOD,	/* every first copy to `fanout` active peers */
	RUMOR_MODE_DIRECT,	/* deliver only: the origin sends to everyone */
};

struct rumor_config {
	__u8 mode;
	__u8 fanout;			/* flood: 0 means the whole active view */

	/* HyParView; the defaults are the paper's. */
	__u8 active_size;		/* 5 */
	__u8 passive_size;		/* 30 */
	__u8 arwl;			/* active random walk length, 6 */
	__u8 prwl;			/* passive random walk length, 3 */
	__u8 shuffle_active;		/* ka, 3 */
	__u8 shuffle_passive;		/* kp, 4 */
	__u8 shuffle_ttl;		/* random walk of a SHUFFLE, 6 */
	__u32 shuffle_interval_ms;
	__u32 join_interval_ms;		/* JOIN again while alone */
	__u32 neighbor_timeout_ms;	/* a NEIGHBOR request gets no reply */
	__u32 ping_interval_ms;		/* PING an active peer this quiet */
	__u32 fail_timeout_ms;		/* an active peer this quiet is dead */

	/* Plumtree */
	__u32 ihave_interval_ms;	/* lazy queues are flushed this often */
	__u32 graft_timeout_ms;		/* first GRAFT after an IHAVE */
	__u32 graft_retry_ms;		/* the GRAFTs after that */
	__u8 optimize_hops;		/* tree optimisation threshold; 0: off */
	__u32 max_missing;		/* ids announced but not received */
	__u32 lazy_queue_len;		/* ids waiting per lazy peer */
	__u32 cache_bytes;		/* payloads kept to answer GRAFTs */
	__u32 cache_age_ms;

	/* Dedup and local broadcasts */
	__u32 max_origins;
	__u32 max_payload;
};

/* Each is counted once per message (per id for the *_ids counters). */
struct rumor_node_stats {
	__u64 rx_malformed[RUMOR_WIRE_NERR];
	__u64 rx_gossip;
	__u64 rx_ihave;
	__u64 rx_ihave_ids;
	__u64 rx_graft;
	__u64 rx_prune;
	__u64 rx_control;		/* HyParView and PING/PONG */
	__u64 rx_stranger;		/* Plumtree or PING/PONG from a non-neighbour */
	__u64 tx_gossip;
	__u64 tx_ihave;
	__u64 tx_ihave_ids;
	__u64 tx_graft;
	__u64 tx_prune;
	__u64 tx_control;
	__u64 delivered;
	__u64 duplicates;
	__u64 too_old;
	__u64 hops_exceeded;
	__u64 broadcasts;
	__u64 nomem;
	__u64 origins_evicted;		/* bound: max_origins */
	__u64 missing_full;		/* bound: max_missing */
	__u64 lazy_dropped;		/* bound: lazy_queue_len */
	__u64 cache_evicted;		/* bound: cache_bytes */
	__u64 cache_expired;		/* bound: cache_age_ms */
	__u64 graft_unknown;		/* a GRAFT for an id not in the cache */
	__u64 graft_gave_up;		/* announced, never received */
	__u64 tree_optimized;
	__u64 neighbor_up;
	__u64 neighbor_down;
	__u64 peer_failed;		/* fail_timeout without a word */
	__u64 shuffles;
};

struct rumor_peer_stats {
	__u64 rx_gossip;
	__u64 rx_duplicates;
	__u64 rx_ihave_ids;
	__u64 tx_gossip;
	__u64 tx_ihave_ids;
	__u64 grafts_sent;
	__u64 grafts_received;
	__u64 prunes_sent;
	__u64 prunes_received;
	__u64 lazy_dropped;
};

/* An id queued for the next IHAVE to one lazy peer. */
struct rumor_lazy_id {
	__u64 origin;
	__u64 seq;
	__u8 hops;
};

/* A member of the active view. */
struct rumor_peer {
	struct rumor_member m;
	__u8 eager;		/* Plumtree: eager push, else lazy */
	__u8 ping_out;		/* a PING waits for its PONG */
	__u8 our_joiner;	/* it joined the overlay through us */
	__u64 since;		/* when it became active (us) */
	__u64 last_rx;		/* when we last heard from it (us) */
	__u64 last_ping;
	__u64 pruned_at;	/* when we last pruned it (us); 0: never */
	__u64 grafted_at;	/* when we last grafted it (us); 0: never */
	struct rumor_lazy_id *lazy;	/* ring of lazy_queue_len */
	__u32 lazy_head, lazy_len;
	struct rumor_peer_stats stats;
};

/* A NEIGHBOR request that waits for its reply. */
struct rumor_pending {
	struct rumor_member m;
	__u64 deadline;
};

#define RUMOR_MAX_CONTACTS	16

struct rumor_node {
	const struct rumor_env *env;
	struct rumor_config cfg;
	__u64 id;
	__u64 last_seq;

	/* HyParView */
	struct rumor_peer **active;	/* active_size */
	__u32 nactive;
	struct rumor_member *passive;	/* passive_size */
	__u8 *passive_fails;		/* unanswered NEIGHBOR requests, each */
	__u32 npassive;
	struct rumor_pending *pending;	/* active_size */
	__u32 npending;
	struct rumor_ep contacts[RUMOR_MAX_CONTACTS];
	__u32 ncontacts, next_contact;
	int joined;			/* a contact has taken us in */
	__u64 next_join, next_shuffle;
	__u64 next_promote;		/* after a refusal, ask again no sooner */
	__u32 shuffle_nonce;		/* of the SHUFFLE awaiting its reply */
	struct rumor_member *shuffled;	/* what it carried, evicted first */
	__u32 nshuffled;

	/* Plumtree */
	struct rumor_htable missing;
	struct rumor_list missing_list;	/* oldest first */
	struct rumor_htable cache;
	struct rumor_list cache_list;	/* oldest first */
	__u32 cache_used;
	__u64 next_flush;
	__u64 next_optimise;		/* tree swaps are rate limited */

	/* Dedup: one window per origin */
	struct rumor_htable origins;
	struct rumor_list origins_lru;	/* most recently used first */

	/* Scratch for building messages: the node is never re-entered. */
	__u8 txbuf[RUMOR_WIRE_IHAVE_LEN(RUMOR_WIRE_IHAVE_MAX)];
	struct rumor_member scratch[RUMOR_WIRE_SHUFFLE_MAX + 1];

	__u64 armed;			/* what we asked the host for; 0: nothing */
	__u64 wanted;			/* during a tick: the earliest deadline */
	int in_timer;
	struct rumor_node_stats stats;
};

void rumor_config_default(struct rumor_config *cfg);
/* NULL when @cfg is usable, else what is wrong with it. */
const char *rumor_config_check(const struct rumor_config *cfg);

/* A node with the id @id (non-zero), or NULL without memory. */
struct rumor_node *rumor_node_create(const struct rumor_env *env,
				     const struct rumor_config *cfg, __u64 id);
void rumor_node_destroy(struct rumor_node *n);

/* A datagram from @from; anything malformed is counted and dropped. */
void rumor_node_receive(struct rumor_node *n, const struct rumor_ep *from,
			const void *buf, __u32 len);
/* The host's timer, armed through env->arm(), has fired. */
void rumor_node_timer(struct rumor_node *n);

/* Remember @contact and JOIN through it now. -1: too many contacts. */
int rumor_node_join(struct rumor_node *n, const struct rumor_ep *contact);
/* Forget a contact. -1: not one. */
int rumor_node_forget(struct rumor_node *n, const struct rumor_ep *contact);
/* Broadcast a message; its seq in *@seq. -1: larger than max_payload. */
int rumor_node_broadcast(struct rumor_node *n, const void *payload,
			 __u32 len, __u64 *seq);

/* Memory a node holds, for the simulator's accounting. */
__u32 rumor_node_cache_bytes(const struct rumor_node *n);

int rumor_ep_equal(const struct rumor_ep *a, const struct rumor_ep *b);

#endif /* _RUMOR_CORE_NODE_H */
