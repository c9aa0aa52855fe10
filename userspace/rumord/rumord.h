/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rumord, one per network namespace: the daemon's state and what its
 * parts (main.c: the event loop and the module's side; client.c: the local
 * socket; session.c: the peer sessions and their scheduler) share.
 */
#ifndef _RUMORD_RUMORD_H
#define _RUMORD_RUMORD_H

#include <stdbool.h>
#include <stdint.h>

#include "repair.h"
#include "version.h"

struct rumord;
struct rumord_store;
struct rumord_genl;
struct rumord_clients;
struct rumord_sessions;
struct rumord_cluster;
struct rumord_rpc;
struct rumord_handoff;
struct rumord_quorum;

/* Something the event loop watches: @fn runs with the epoll events. */
struct rumord_watch {
	int fd;
	uint32_t events;	/* as registered */
	void (*fn)(struct rumord *d, struct rumord_watch *w, uint32_t events);
};

int rumord_watch_add(struct rumord *d, struct rumord_watch *w, uint32_t events);
/*
 * A timer: a timerfd watched like any fd, set to an absolute time on the
 * clock rumord_now_ms() reads (0: disarmed), read back when it fires.
 */
int rumord_timer_open(struct rumord *d, struct rumord_watch *w);
void rumord_timer_close(struct rumord *d, struct rumord_watch *w);
void rumord_timer_set(struct rumord_watch *w, uint64_t at_ms);
void rumord_timer_ack(struct rumord_watch *w);
int rumord_watch_mod(struct rumord *d, struct rumord_watch *w, uint32_t events);
void rumord_watch_del(struct rumord *d, struct rumord_watch *w);

struct rumord_stats {
	uint64_t deliver_applied;	/* deliveries that changed a key */
	uint64_t deliver_stale;		/* ... that lost or were here already */
	uint64_t deliver_foreign;	/* payloads that are not rumord's */
	uint64_t heartbeats;		/* membership heartbeats delivered */
	uint64_t deliver_bad;		/* rumord's, but malformed or newer */
	uint64_t deliver_failed;	/* could not be applied (store error) */
	uint64_t refs;			/* values by reference, to fetch */
	uint64_t broadcasts;		/* local writes broadcast inline */
	uint64_t broadcasts_ref;	/* ... by reference */
	uint64_t broadcast_failed;	/* ... not broadcast at all */
	uint64_t sessions_refused;	/* TCP peers turned away: too many */
};

struct rumord {
	int epfd;
	bool stop;
	uint64_t node_id;		/* the store's durable id */
	struct rumord_store *store;
	struct rumord_genl *genl;	/* NULL with --no-module */
	struct rumord_clients *clients;
	struct rumord_sessions *sessions;	/* session.c */
	struct rumord_cluster *cluster;	/* cluster.c: members, the ring */
	struct rumord_rpc *rpc;		/* rpc.c: the replica protocol */
	struct rumord_handoff *handoff;	/* handoff.c: hints */
	struct rumord_quorum *quorum;	/* quorum.c: consistency levels */
	struct rumord_repair repair;
	struct rumord_stats stats;
	/*
	 * Anti-entropy sessions (session.c): a connection accepted on the TCP
	 * listen address is handed over here; non-zero (or NULL) closes it.
	 */
	int (*session_accept)(struct rumord *d, int fd);
};

/* A local write was committed: broadcast it (no-op without the module). */
void rumord_publish(struct rumord *d, const struct rumord_record *rec);

/* The local client socket (client.c). */
int rumord_clients_open(struct rumord *d, const char *path,
			struct rumord_clients **out);
void rumord_clients_close(struct rumord_clients *c);

#endif /* _RUMORD_RUMORD_H */
