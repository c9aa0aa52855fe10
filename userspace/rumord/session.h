/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Anti-entropy sessions over TCP and the scheduler that starts them
 * (docs/rumord.md). A connection accepted on --listen runs the session
 * protocol (sync.h) as responder. rumord opens sessions itself, as
 * initiator, with a random peer every --repair-interval, soon after a
 * repair request (repair.h; with the hinted peer when there is one), and
 * when a client asks (rumorctl repair now).
 *
 * Every session is a non-blocking socket in the event loop. One that
 * makes no progress for --session-timeout, or runs longer than
 * RUMORD_SESSION_MAX_MS, is closed; so is one whose peer sends anything
 * out of place (the session refuses it before applying a record of the
 * frame). Peer-initiated sessions are bounded by --max-sessions, ours by
 * RUMORD_SESSIONS_OUT_MAX; each refusal is counted.
 *
 * Peers are the --peer options and, with the module, the active view (a
 * neighbour's rumord listens on its rumor address at --peer-port). The
 * version vector each sends in its HELLO is kept; when every known peer
 * has sent one recently, the tombstones all of them cover are collected.
 */
#ifndef _RUMORD_SESSION_H
#define _RUMORD_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "client.h"

struct rumord;

#define RUMORD_REPAIR_INTERVAL_MS	10000	/* --repair-interval default */
#define RUMORD_SESSION_TIMEOUT_MS	10000	/* --session-timeout default */
#define RUMORD_SESSION_MAX_MS	(5 * 60 * 1000)	/* however busy a session is */
#define RUMORD_SESSIONS_IN_MAX	8	/* --max-sessions default */
#define RUMORD_SESSIONS_OUT_MAX	4	/* ours at once */
#define RUMORD_PEERS_MAX	32	/* --peer options */
/* Peers remembered for repair status: the known ones and others heard. */
#define RUMORD_PEER_TABLE_MAX	(RUMORD_PEERS_MAX + 64 + 64)

struct rumord_session_opts {
	uint64_t interval_ms;	/* 0: no automatic sessions */
	uint64_t timeout_ms;
	unsigned int max_in;
	uint16_t peer_port;	/* where a neighbour's rumord listens */
	const struct sockaddr_in6 *peers;	/* --peer, copied */
	size_t npeers;
};

/* Start the scheduler and take over d->session_accept and d->repair.kick. */
int rumord_sessions_open(struct rumord *d, const struct rumord_session_opts *o);
/* Close every session (no callbacks) and stop. */
void rumord_sessions_close(struct rumord *d);

/*
 * Called once when a session started by rumord_session_now() is over:
 * @status 0 or -errno, @fig the peer's figures, this session's as the last.
 */
typedef void (*rumord_session_done_fn)(void *arg, int status,
				       const struct rumord_client_peer *fig);

/*
 * A session with @addr (16 bytes, IPv6 or IPv4-mapped) at @port (0: the
 * peer port) now. 0 if it began (@fn will be called, never from within
 * this call), or -errno: -EBUSY at the bound, -EINVAL for an address no
 * peer can have, or the connect() error.
 */
int rumord_session_now(struct rumord *d, const uint8_t addr[16], uint16_t port,
		       rumord_session_done_fn fn, void *arg);
/* Forget every callback to @arg (its client went away). */
void rumord_session_unwait(struct rumord *d, void *arg);

/* For repair status: the scheduler's figures; each peer's, to @fn. */
void rumord_sessions_info(struct rumord *d, struct rumord_client_repair *out);
int rumord_sessions_foreach(struct rumord *d,
			    int (*fn)(void *arg, const struct rumord_client_peer *p),
			    void *arg);

/* One log line of counters, for SIGUSR1 and the exit. */
void rumord_sessions_log_stats(struct rumord *d);

#endif /* _RUMORD_SESSION_H */
