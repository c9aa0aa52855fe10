/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rumor-sim: the protocol core on simnet, driven through the experiments of
 * the HyParView and Plumtree papers. sim.c reads the command line and
 * prints; run.c builds overlays, broadcasts, injects failures and measures.
 */
#ifndef RUMOR_SIM_H
#define RUMOR_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "simnet.h"

#define SIM_MAX_FAIL	32

struct sim_opts {
	uint32_t nodes;
	uint64_t seed;
	uint8_t modes[3];		/* enum rumor_mode, in the order to run */
	uint32_t nmodes;
	uint32_t broadcasts;		/* stable phase */
	uint32_t after;			/* broadcasts after each failure level */
	double fail[SIM_MAX_FAIL];	/* percent of the nodes killed at once */
	uint32_t nfail;
	double loss;			/* from the stable phase on */
	double build_loss;		/* while the overlay is built */
	uint32_t lat_min_us, lat_max_us;
	double churn;			/* nodes killed per second */
	uint32_t downtime_ms;		/* a churned node comes back after */
	uint32_t interval_ms;		/* between broadcasts, stable phase */
	uint32_t fail_interval_ms;	/* between broadcasts after a failure */
	uint32_t settle_ms;		/* a message is measured this long after */
	uint32_t join_us;		/* between two joins while building */
	bool join_any;			/* through any earlier node, not only linked ones */
	uint32_t stabilise_ms;		/* after the last join */
	uint32_t payload;		/* bytes per broadcast */
	uint32_t jobs;			/* failure levels simulated at once */
	struct rumor_config core;	/* mode and fanout set per run */
};

/* One broadcast, measured settle_ms after it was sent. */
struct sim_bcast {
	uint8_t mode;
	double failed_pct;		/* 0: the stable phase */
	uint32_t index;			/* 1, 2, ... within its phase */
	uint32_t origin;		/* node index */
	uint32_t origin_links;		/* live peers in its active view */
	uint64_t sent_us;		/* simulated time */
	uint32_t live;			/* live nodes when it was sent */
	uint32_t eligible;		/* live all along, not the origin */
	uint32_t delivered;		/* of those, delivered in time */
	uint32_t receivers;		/* every node that delivered in time */
	double reliability;		/* delivered / eligible */
	uint64_t gossip;		/* GOSSIP datagrams carrying it */
	double rmr;			/* gossip / receivers - 1 */
	uint32_t ldh;			/* hops of the farthest delivery */
	double last_ms;			/* when the last delivery happened */
	uint64_t ihave_ids;		/* announcements of its id */
	uint64_t grafts;		/* GRAFTs asking for it */
	/* Every other datagram sent while it was the latest broadcast. */
	uint64_t ctl_ihave, ctl_graft, ctl_prune, ctl_membership, ctl_ping;
};

/* One run: an overlay and its stable phase, or one failure level. */
struct sim_run {
	uint8_t mode;
	double failed_pct;
	uint32_t nodes, live;
	uint32_t killed;
	uint32_t isolated;		/* live with every active peer dead */
	double build_s;			/* wall time building the overlay */
	double wall_s;			/* wall time of the whole run */
	double sim_s;			/* simulated time of the run */
	uint64_t events;
	double bytes_per_node;		/* mean over live nodes, at the end */
	uint64_t bytes_max;
	double cache_per_node;		/* of which payloads kept for GRAFTs */
	uint64_t traffic[__RUMOR_WIRE_TYPE_END];	/* datagrams sent in the run */
	double active_mean;		/* mean active view, at the end */
	uint32_t asymmetric;		/* active links one end does not know */
	uint32_t reachable;		/* live nodes reachable from one */
	uint64_t overlay_hash;		/* of the active views after building */
	uint32_t restarts;		/* churn */
	/* Sums of core counters over the live nodes, since each started. */
	struct {
		uint64_t tree_optimized, graft_gave_up, peer_failed, neighbor_up,
			 missing_full, lazy_dropped, cache_evicted,
			 origins_evicted, nomem;
	} core;
};

/* What one run produces: its broadcasts, then itself. */
struct sim_result {
	struct sim_bcast *b;
	uint32_t nb, capb;
	struct sim_run run;
};

struct sim_world;

/* Build the overlay for @mode and run the stable phase. */
struct sim_world *sim_world_create(const struct sim_opts *o, uint8_t mode,
				   struct sim_result *res);
/* Kill @pct percent of the nodes at once, then broadcast after them. */
void sim_world_fail(struct sim_world *w, double pct, struct sim_result *res);
void sim_world_destroy(struct sim_world *w);

const char *sim_mode_name(uint8_t mode);
double sim_wall(void);

#endif /* RUMOR_SIM_H */
