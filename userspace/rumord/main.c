// SPDX-License-Identifier: GPL-2.0
/*
 * rumord: the replicated key/value store of one rumor node (one network
 * namespace). It keeps the store (store.c), serves local clients on a
 * UNIX socket (client.c), broadcasts every local write through this
 * namespace's rumor.ko instance and applies what the instance delivers
 * (genl.c), and runs anti-entropy sessions with its peers over TCP
 * (session.c): theirs on the listen address, its own on a schedule.
 * One thread, one epoll loop; SIGTERM and SIGINT end it cleanly.
 *
 * Startup either succeeds whole or ends with one line saying what is
 * wrong: the module is missing or its instance is down, the state
 * directory is unusable or in use, an address or the socket is taken.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "client.h"
#include "cluster.h"
#include "genl.h"
#include "gossip.h"
#include "handoff.h"
#include "hints.h"
#include "log.h"
#include "quorum.h"
#include "rpc.h"
#include "rumord.h"
#include "session.h"
#include "store.h"

/* Broadcast payloads: the module takes at most 64 KiB. */
#define BCAST_MAX	65536

struct options {
	const char *state_dir;
	const char *listen;
	const char *socket_path;
	bool no_module;
	bool daemon;
	bool verbose;
	int log;		/* -1: stderr, or syslog when a daemon */
	size_t map_size;
	size_t netlink_buffer;	/* bytes; 0: RUMORD_GENL_RCVBUF */
	const char *peers[RUMORD_PEERS_MAX];	/* --peer, parsed once all are in */
	size_t npeers;
	struct sockaddr_in6 peer_addrs[RUMORD_PEERS_MAX];
	struct rumord_session_opts sessions;
	struct rumord_quorum_opts quorum;
	struct rumord_handoff_opts handoff;
	struct rumord_cluster_opts cluster;
};

static uint8_t bcast_buf[BCAST_MAX];

/* ---- startup errors: one line, on stderr even when logging elsewhere ---- */

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int die(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "rumord: %s\n", line);
	return 1;
}

/* ---- options ---- */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: rumord [OPTIONS]\n"
		"\n"
		"  --state DIR         state directory (default %s/NETNS)\n"
		"  --listen ADDR:PORT  TCP address for peer sessions (default [::]:%d)\n"
		"  --socket PATH       local client socket (default %s/NETNS.sock)\n"
		"  --no-module         run without rumor.ko: no broadcast, no deliveries\n"
		"                      (standalone and testing mode)\n"
		"  --foreground        stay in the foreground (the default)\n"
		"  --daemon            detach once started (then logs go to syslog)\n"
		"  --log stderr|syslog where log lines go\n"
		"  --map-size MIB      the store's largest size (default %llu MiB)\n"
		"  --netlink-buffer KIB\n"
		"                      the module's notification socket buffer (default\n"
		"                      %u KiB); deliveries beyond it are lost and repaired\n"
		"  --peer ADDR[:PORT]  a peer's rumord, for anti-entropy sessions\n"
		"                      (repeatable; with the module, the active view too)\n"
		"  --peer-port PORT    where peers' rumords listen (default %d)\n"
		"  --repair-interval SECONDS\n"
		"                      a session with a random peer this often (default\n"
		"                      %d; 0: no automatic sessions at all)\n"
		"  --session-timeout SECONDS\n"
		"                      close a session silent this long (default %d)\n"
		"  --max-sessions N    sessions peers may open at once (default %d)\n"
		"  --replicas N        copies of a key a write with a level goes to\n"
		"                      (default %d, at most %d)\n"
		"  --quorum-timeout SECONDS\n"
		"                      how long a replica may take to answer (default %g)\n"
		"  --advertise ADDR    the address peers reach this rumord at (repeatable,\n"
		"                      up to %d; default: the host's global addresses)\n"
		"  --hint-quota KIB    hints kept for one node at most (default %llu KiB)\n"
		"  --hint-window SECONDS\n"
		"                      hints older than this are dropped (default %llu)\n"
		"  -v, --verbose       debug lines too\n"
		"  -V, --version\n"
		"\n"
		"NETNS is this network namespace's name in /run/netns, or \"default\".\n",
		RUMORD_STATE_DIR, RUMORD_DEFAULT_PORT, RUMORD_RUN_DIR,
		(unsigned long long)(RUMORD_STORE_MAP_SIZE >> 20),
		RUMORD_GENL_RCVBUF >> 10,
		RUMORD_DEFAULT_PORT, RUMORD_REPAIR_INTERVAL_MS / 1000,
		RUMORD_SESSION_TIMEOUT_MS / 1000, RUMORD_SESSIONS_IN_MAX,
		RUMORD_QUORUM_REPLICAS, RUMORD_RING_MAX_N,
		RUMORD_QUORUM_TIMEOUT_MS / 1000.0, RUMORD_MEMBER_MAX_ADDRS,
		(unsigned long long)(RUMORD_HINTS_QUOTA >> 10),
		(unsigned long long)(RUMORD_HINTS_WINDOW_MS / 1000));
}

/* SECONDS, fractions allowed, into milliseconds: 0, or -1 if bad. */
static int parse_seconds(const char *s, bool zero_ok, uint64_t *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 86400 ||
	    (!zero_ok && v < 0.001))
		return -1;
	*ms = (uint64_t)(v * 1000 + 0.5);
	return 0;
}

static int parse_listen(const char *s, unsigned long port_default,
			struct sockaddr_in6 *sa);

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { O_STATE = 256, O_LISTEN, O_SOCKET, O_NO_MODULE, O_FOREGROUND,
	       O_DAEMON, O_LOG, O_MAP_SIZE, O_NETLINK_BUFFER, O_PEER, O_PEER_PORT,
	       O_REPAIR_INTERVAL, O_SESSION_TIMEOUT, O_MAX_SESSIONS, O_REPLICAS,
	       O_QUORUM_TIMEOUT, O_ADVERTISE, O_HINT_QUOTA, O_HINT_WINDOW };
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, O_STATE },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "no-module", no_argument, NULL, O_NO_MODULE },
		{ "foreground", no_argument, NULL, O_FOREGROUND },
		{ "daemon", no_argument, NULL, O_DAEMON },
		{ "log", required_argument, NULL, O_LOG },
		{ "map-size", required_argument, NULL, O_MAP_SIZE },
		{ "netlink-buffer", required_argument, NULL, O_NETLINK_BUFFER },
		{ "peer", required_argument, NULL, O_PEER },
		{ "peer-port", required_argument, NULL, O_PEER_PORT },
		{ "repair-interval", required_argument, NULL, O_REPAIR_INTERVAL },
		{ "session-timeout", required_argument, NULL, O_SESSION_TIMEOUT },
		{ "max-sessions", required_argument, NULL, O_MAX_SESSIONS },
		{ "replicas", required_argument, NULL, O_REPLICAS },
		{ "quorum-timeout", required_argument, NULL, O_QUORUM_TIMEOUT },
		{ "advertise", required_argument, NULL, O_ADVERTISE },
		{ "hint-quota", required_argument, NULL, O_HINT_QUOTA },
		{ "hint-window", required_argument, NULL, O_HINT_WINDOW },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long mib, num;
	char *end;
	int opt;

	o->log = -1;
	o->sessions.interval_ms = RUMORD_REPAIR_INTERVAL_MS;
	o->sessions.timeout_ms = RUMORD_SESSION_TIMEOUT_MS;
	o->sessions.max_in = RUMORD_SESSIONS_IN_MAX;
	o->sessions.peer_port = RUMORD_DEFAULT_PORT;
	while ((opt = getopt_long(argc, argv, "vVh", longopts, NULL)) != -1) {
		switch (opt) {
		case O_STATE:
			o->state_dir = optarg;
			break;
		case O_LISTEN:
			o->listen = optarg;
			break;
		case O_SOCKET:
			o->socket_path = optarg;
			break;
		case O_NO_MODULE:
			o->no_module = true;
			break;
		case O_FOREGROUND:
			o->daemon = false;
			break;
		case O_DAEMON:
			o->daemon = true;
			break;
		case O_LOG:
			if (!strcmp(optarg, "stderr"))
				o->log = RUMORD_LOG_STDERR;
			else if (!strcmp(optarg, "syslog"))
				o->log = RUMORD_LOG_SYSLOG;
			else
				return die("--log: expected stderr or syslog, not '%s'",
					   optarg) + 1;
			break;
		case O_MAP_SIZE:
			errno = 0;
			mib = strtoull(optarg, &end, 10);
			if (errno || *end || !mib || mib > (SIZE_MAX >> 20))
				return die("--map-size: bad size '%s' (MiB)",
					   optarg) + 1;
			o->map_size = (size_t)mib << 20;
			break;
		case O_NETLINK_BUFFER:
			errno = 0;
			num = strtoull(optarg, &end, 10);
			if (errno || *end || num < 4 || num > (1 << 20))
				return die("--netlink-buffer: expected 4 to 1048576 KiB, not '%s'",
					   optarg) + 1;
			o->netlink_buffer = (size_t)num << 10;
			break;
		case O_PEER:
			if (o->npeers == RUMORD_PEERS_MAX)
				return die("--peer: at most %d peers",
					   RUMORD_PEERS_MAX) + 1;
			o->peers[o->npeers++] = optarg;
			break;
		case O_PEER_PORT:
			errno = 0;
			num = strtoull(optarg, &end, 10);
			if (errno || *end || !num || num > 65535)
				return die("--peer-port: bad port '%s'", optarg) + 1;
			o->sessions.peer_port = (uint16_t)num;
			break;
		case O_REPAIR_INTERVAL:
			if (parse_seconds(optarg, true, &o->sessions.interval_ms))
				return die("--repair-interval: bad number of seconds '%s'",
					   optarg) + 1;
			break;
		case O_SESSION_TIMEOUT:
			if (parse_seconds(optarg, false, &o->sessions.timeout_ms))
				return die("--session-timeout: bad number of seconds '%s'",
					   optarg) + 1;
			break;
		case O_MAX_SESSIONS:
			errno = 0;
			num = strtoull(optarg, &end, 10);
			if (errno || *end || !num || num > 1024)
				return die("--max-sessions: expected 1 to 1024, not '%s'",
					   optarg) + 1;
			o->sessions.max_in = (unsigned int)num;
			break;
		case O_REPLICAS:
			errno = 0;
			num = strtoull(optarg, &end, 10);
			if (errno || *end || !num || num > RUMORD_RING_MAX_N)
				return die("--replicas: expected 1 to %d, not '%s'",
					   RUMORD_RING_MAX_N, optarg) + 1;
			o->quorum.replicas = (unsigned int)num;
			break;
		case O_QUORUM_TIMEOUT:
			if (parse_seconds(optarg, false, &o->quorum.timeout_ms))
				return die("--quorum-timeout: bad number of seconds '%s'",
					   optarg) + 1;
			break;
		case O_ADVERTISE: {
			struct sockaddr_in6 sa;
			uint8_t *a = o->cluster.addrs[o->cluster.naddr];

			if (o->cluster.naddr == RUMORD_MEMBER_MAX_ADDRS)
				return die("--advertise: at most %d addresses",
					   RUMORD_MEMBER_MAX_ADDRS) + 1;
			if (parse_listen(optarg, 1, &sa) || sa.sin6_port != htons(1) ||
			    !rumord_member_addr_ok(sa.sin6_addr.s6_addr))
				return die("--advertise: bad address '%s' (a unicast "
					   "ADDR, no port)", optarg) + 1;
			memcpy(a, sa.sin6_addr.s6_addr, 16);
			o->cluster.naddr++;
			break;
		}
		case O_HINT_QUOTA:
			errno = 0;
			num = strtoull(optarg, &end, 10);
			if (errno || *end || num < 4 || num > (16ull << 20))
				return die("--hint-quota: expected 4 to 16777216 KiB, not '%s'",
					   optarg) + 1;
			o->handoff.quota = num << 10;
			break;
		case O_HINT_WINDOW:
			if (parse_seconds(optarg, false, &o->handoff.window_ms))
				return die("--hint-window: bad number of seconds '%s'",
					   optarg) + 1;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'V':
			printf("rumord %s\n", RUMOR_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return die("bad option; see rumord --help") + 1;
		}
	}
	if (optind < argc)
		return die("unexpected argument '%s'; see rumord --help",
			   argv[optind]) + 1;
	/* Now that --peer-port is known, whatever its place. */
	for (size_t i = 0; i < o->npeers; i++) {
		struct sockaddr_in6 *sa = &o->peer_addrs[i];

		if (parse_listen(o->peers[i], o->sessions.peer_port, sa) ||
		    IN6_IS_ADDR_UNSPECIFIED(&sa->sin6_addr))
			return die("--peer: bad address '%s' (ADDR[:PORT] or [ADDR6][:PORT])",
				   o->peers[i]) + 1;
	}
	o->sessions.peers = o->peer_addrs;
	o->sessions.npeers = o->npeers;
	return 0;
}

/*
 * ADDR:PORT, [ADDR6]:PORT, ADDR, [ADDR6] or :PORT; no ADDR: every address,
 * no PORT: @port_default.
 */
static int parse_listen(const char *s, unsigned long port_default,
			struct sockaddr_in6 *sa)
{
	char host[INET6_ADDRSTRLEN + 1] = "";
	const char *port = NULL, *colon;
	struct in_addr v4;
	unsigned long p = port_default;
	size_t len;
	char *end;

	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] && close[1] != ':'))
			return -1;
		len = (size_t)(close - s - 1);
		s++;
		port = close[1] ? close + 2 : NULL;
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') != colon)
			colon = NULL;	/* a bare IPv6 address */
		len = colon ? (size_t)(colon - s) : strlen(s);
		port = colon ? colon + 1 : NULL;
	}
	if (len >= sizeof(host))
		return -1;
	memcpy(host, s, len);
	host[len] = '\0';
	if (port) {
		errno = 0;
		p = strtoul(port, &end, 10);
		if (errno || *end || !*port || !p || p > 65535)
			return -1;
	}
	sa->sin6_port = htons((uint16_t)p);
	if (!*host || !strcmp(host, "*"))
		return 0;	/* in6addr_any */
	if (inet_pton(AF_INET6, host, &sa->sin6_addr) == 1)
		return 0;
	if (inet_pton(AF_INET, host, &v4) != 1)
		return -1;
	/* An IPv4 address as IPv4-mapped: one socket family for both. */
	sa->sin6_addr.s6_addr[10] = 0xff;
	sa->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&sa->sin6_addr.s6_addr[12], &v4, 4);
	return 0;
}

/* ---- the event loop ---- */

int rumord_watch_add(struct rumord *d, struct rumord_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, w->fd, &ev))
		return -errno;
	w->events = events;
	return 0;
}

int rumord_watch_mod(struct rumord *d, struct rumord_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, w->fd, &ev))
		return -errno;
	w->events = events;
	return 0;
}

void rumord_watch_del(struct rumord *d, struct rumord_watch *w)
{
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

int rumord_timer_open(struct rumord *d, struct rumord_watch *w)
{
	int rc;

	w->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->fd < 0)
		return -errno;
	rc = rumord_watch_add(d, w, EPOLLIN);
	if (rc) {
		close(w->fd);
		w->fd = -1;
	}
	return rc;
}

void rumord_timer_close(struct rumord *d, struct rumord_watch *w)
{
	if (w->fd < 0)
		return;
	rumord_watch_del(d, w);
	close(w->fd);
	w->fd = -1;
}

void rumord_timer_set(struct rumord_watch *w, uint64_t at_ms)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = (time_t)(at_ms / 1000);
	/* 1 ns past the millisecond: never 0, which would disarm it. */
	its.it_value.tv_nsec = at_ms ? (long)(at_ms % 1000) * 1000000 + 1 : 0;
	if (timerfd_settime(w->fd, TFD_TIMER_ABSTIME, &its, NULL))
		rumord_err("timerfd: %s", strerror(errno));
}

void rumord_timer_ack(struct rumord_watch *w)
{
	uint64_t expirations;

	if (read(w->fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		rumord_debug("timerfd: %s", strerror(errno));
}

static void log_stats(struct rumord *d)
{
	const struct rumord_store_stats *ss = rumord_store_stats(d->store);
	const struct rumord_stats *s = &d->stats;
	uint64_t lost = 0, records = 0;

	if (d->genl)
		lost = rumord_genl_stats(d->genl)->lost;
	rumord_store_count(d->store, &records);
	rumord_info("stats: records %llu local_writes %llu broadcasts %llu "
		    "broadcasts_ref %llu broadcast_failed %llu applied %llu "
		    "stale %llu foreign %llu bad %llu failed %llu refs %llu "
		    "lost %llu heartbeats %llu repairs_pending 0x%x",
		    (unsigned long long)records,
		    (unsigned long long)ss->local_writes,
		    (unsigned long long)s->broadcasts,
		    (unsigned long long)s->broadcasts_ref,
		    (unsigned long long)s->broadcast_failed,
		    (unsigned long long)s->deliver_applied,
		    (unsigned long long)s->deliver_stale,
		    (unsigned long long)s->deliver_foreign,
		    (unsigned long long)s->deliver_bad,
		    (unsigned long long)s->deliver_failed,
		    (unsigned long long)s->refs, (unsigned long long)lost,
		    (unsigned long long)s->heartbeats, d->repair.pending);
	rumord_sessions_log_stats(d);
	if (d->quorum && d->rpc) {
		const struct rumord_quorum_stats *q = rumord_quorum_stats(d);
		const struct rumord_rpc_stats *r = rumord_rpc_stats(d);

		rumord_info("quorum: writes %llu writes_failed %llu reads %llu "
			    "reads_failed %llu mismatches %llu read_repairs %llu "
			    "stand_ins %llu hints_stored %llu served_writes %llu "
			    "served_reads %llu served_hints %llu rpc_calls %llu "
			    "rpc_timeouts %llu rpc_failed %llu rpc_busy %llu "
			    "rpc_bad_in %llu rpc_accepted %llu rpc_refused_in %llu "
			    "busy %llu",
			    (unsigned long long)q->writes,
			    (unsigned long long)q->writes_failed,
			    (unsigned long long)q->reads,
			    (unsigned long long)q->reads_failed,
			    (unsigned long long)q->digest_mismatches,
			    (unsigned long long)q->read_repairs,
			    (unsigned long long)q->stand_ins,
			    (unsigned long long)q->hints_stored,
			    (unsigned long long)q->served_writes,
			    (unsigned long long)q->served_reads,
			    (unsigned long long)q->served_hints,
			    (unsigned long long)r->calls,
			    (unsigned long long)r->timeouts,
			    (unsigned long long)r->failed,
			    (unsigned long long)r->busy,
			    (unsigned long long)r->bad_in,
			    (unsigned long long)r->accepted,
			    (unsigned long long)r->refused_in,
			    (unsigned long long)q->busy);
	}
}

static void signal_event(struct rumord *d, struct rumord_watch *w,
			 uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			log_stats(d);
			continue;
		}
		rumord_info("%s: shutting down", strsignal((int)si.ssi_signo));
		d->stop = true;
	}
}

/*
 * A peer's connection speaks either protocol: an anti-entropy session
 * (sync.h) or the replica protocol (rpc_proto.h). Both open with a frame
 * from the peer, so it waits here, edge-triggered, until its first
 * RUMORD_RPC_SNIFF_LEN bytes are in, and goes where they say.
 */
#define SNIFF_MAX	64

struct sniff {
	struct rumord_watch w;
	uint64_t since;
};

static struct sniff *sniffs[SNIFF_MAX];
/* A peer silent this long is closed, as a silent session would be. */
static uint64_t sniff_timeout_ms;
static struct rumord_watch sniff_timer = { .fd = -1 };

static void sniff_arm(void)
{
	uint64_t at = 0;

	for (size_t i = 0; i < SNIFF_MAX; i++)
		if (sniffs[i] && (!at || sniffs[i]->since + sniff_timeout_ms < at))
			at = sniffs[i]->since + sniff_timeout_ms;
	rumord_timer_set(&sniff_timer, at);
}

static void sniff_drop(struct rumord *d, size_t i)
{
	rumord_watch_del(d, &sniffs[i]->w);
	close(sniffs[i]->w.fd);
	free(sniffs[i]);
	sniffs[i] = NULL;
}

static void sniff_event(struct rumord *d, struct rumord_watch *w,
			uint32_t events)
{
	uint8_t head[RUMORD_RPC_SNIFF_LEN];
	size_t i;
	ssize_t n;
	int fd = w->fd, rc;

	(void)events;
	for (i = 0; i < SNIFF_MAX && (void *)sniffs[i] != (void *)w; i++)
		;
	n = recv(fd, head, sizeof(head), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* Bytes that cannot begin an RPC go to a session, to be judged there. */
	if (n > 0 && (size_t)n < sizeof(head) && rumord_rpc_may_be(head, (size_t)n) &&
	    !(events & (EPOLLHUP | EPOLLRDHUP)))
		return;	/* the rest comes with the next edge */
	rumord_watch_del(d, w);
	free(sniffs[i]);
	sniffs[i] = NULL;
	sniff_arm();
	if (n == (ssize_t)sizeof(head) && rumord_rpc_sniff(head, sizeof(head))) {
		rc = rumord_rpc_accept(d, fd);
	} else if (n > 0 && d->session_accept) {
		rc = d->session_accept(d, fd);
	} else {
		close(fd);
		return;
	}
	if (rc) {
		d->stats.sessions_refused++;
		close(fd);
	}
}

static void tcp_event(struct rumord *d, struct rumord_watch *w, uint32_t events)
{
	uint64_t now = rumord_now_ms();
	struct sniff *s;
	size_t i, slot;
	int fd;

	(void)events;
	for (;;) {
		fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		slot = SNIFF_MAX;
		for (i = 0; i < SNIFF_MAX && slot == SNIFF_MAX; i++)
			if (!sniffs[i])
				slot = i;
		s = slot < SNIFF_MAX ? calloc(1, sizeof(*s)) : NULL;
		if (!s) {
			d->stats.sessions_refused++;
			close(fd);
			continue;
		}
		s->w.fd = fd;
		s->w.fn = sniff_event;
		s->since = now;
		sniffs[slot] = s;
		if (rumord_watch_add(d, &s->w, EPOLLIN | EPOLLRDHUP | EPOLLET)) {
			sniff_drop(d, slot);
			continue;
		}
		sniff_arm();
		/* Its first bytes may be in already: the edge has passed. */
		sniff_event(d, &s->w, 0);
	}
}

static void sniff_timer_event(struct rumord *d, struct rumord_watch *w,
			      uint32_t events)
{
	uint64_t now = rumord_now_ms();

	(void)events;
	rumord_timer_ack(w);
	for (size_t i = 0; i < SNIFF_MAX; i++)
		if (sniffs[i] && now >= sniffs[i]->since + sniff_timeout_ms)
			sniff_drop(d, i);	/* said nothing */
	sniff_arm();
}

/* ---- the module's side ---- */

static struct rumord_ratelimit rl_bad = { .interval_ms = 10000 };
static struct rumord_ratelimit rl_lost = { .interval_ms = 10000 };
static struct rumord_ratelimit rl_bcast = { .interval_ms = 10000 };
static struct rumord_ratelimit rl_apply = { .interval_ms = 10000 };

static void on_deliver(void *arg, uint64_t origin, uint64_t seq,
		       const struct sockaddr *from, socklen_t from_len,
		       const void *payload, size_t len)
{
	struct rumord *d = arg;
	struct rumord_gossip g;
	uint64_t held;
	int rc;

	if (rumord_cluster_deliver(d, payload, len)) {
		d->stats.heartbeats++;
		return;
	}
	rc = rumord_gossip_decode(payload, len, &g);
	if (rc == -ENOMSG) {
		d->stats.deliver_foreign++;
		return;
	}
	if (rc) {
		/* A later rumord's write, or garbage: a session can carry it. */
		d->stats.deliver_bad++;
		if (rumord_ratelimit(&rl_bad, &held))
			rumord_warn("unreadable write from origin %016llx seq %llu: %s "
				    "(%llu more held back)",
				    (unsigned long long)origin,
				    (unsigned long long)seq, strerror(-rc),
				    (unsigned long long)held);
		rumord_repair_request(&d->repair, RUMORD_REPAIR_UNREADABLE,
				      from, from_len);
		return;
	}
	/*
	 * A broadcast never comes back to its sender, so a delivery carrying
	 * our own node id is forged or replayed; applying it could move our
	 * counter to where no write can be made. A restored backup catches up
	 * through sessions instead.
	 */
	if (g.rec.version.dot.node == rumord_store_node_id(d->store)) {
		d->stats.deliver_bad++;
		return;
	}
	if (g.ref) {
		rumord_store_observe(d->store, g.rec.version.hlc);
		if (rumord_bvv_contains(rumord_store_bvv(d->store),
					g.rec.version.dot)) {
			d->stats.deliver_stale++;
			return;
		}
		d->stats.refs++;
		rumord_debug("%llu-byte value by reference; asking for a session",
			     (unsigned long long)g.value_len);
		rumord_repair_await_ref(&d->repair, g.rec.version.dot, from,
					from_len);
		return;
	}
	rc = rumord_store_apply(d->store, &g.rec);
	if (rc > 0) {
		d->stats.deliver_applied++;
	} else if (rc == 0) {
		d->stats.deliver_stale++;
	} else {
		d->stats.deliver_failed++;
		if (rumord_ratelimit(&rl_apply, &held))
			rumord_err("cannot apply a delivered write: %s "
				   "(%llu more held back)", strerror(-rc),
				   (unsigned long long)held);
		rumord_repair_request(&d->repair, RUMORD_REPAIR_UNREADABLE,
				      from, from_len);
	}
}

static void on_lost(void *arg)
{
	struct rumord *d = arg;
	uint64_t held;

	if (rumord_ratelimit(&rl_lost, &held))
		rumord_warn("netlink deliveries lost (socket buffer full, %llu "
			    "times so far); anti-entropy will repair",
			    (unsigned long long)rumord_genl_stats(d->genl)->lost);
	rumord_repair_request(&d->repair, RUMORD_REPAIR_LOST, NULL, 0);
}

static void on_neighbor(void *arg, const struct rumord_neighbor *n, bool up)
{
	struct rumord *d = arg;

	rumord_info("neighbor %s: node %016llx", up ? "up" : "down",
		    (unsigned long long)n->node_id);
	rumord_cluster_neighbor(d, (const struct sockaddr *)&n->addr,
				n->addr_len, up);
	if (up)
		rumord_repair_request(&d->repair, RUMORD_REPAIR_NEIGHBOR,
				      (const struct sockaddr *)&n->addr,
				      n->addr_len);
}

static void on_instance(void *arg, uint64_t id, bool up)
{
	(void)arg;
	if (up)
		rumord_info("rumor instance up: node %016llx", (unsigned long long)id);
	else
		rumord_warn("rumor instance down (node %016llx): writes are stored "
			    "but not broadcast until it is up again",
			    (unsigned long long)id);
}

static const struct rumord_genl_ops genl_ops = {
	.deliver = on_deliver,
	.lost = on_lost,
	.neighbor = on_neighbor,
	.instance = on_instance,
};

static void genl_event(struct rumord *d, struct rumord_watch *w,
		       uint32_t events)
{
	int rc;

	(void)w;
	(void)events;
	rc = rumord_genl_read(d->genl);
	if (rc)
		rumord_err("reading rumor notifications: %s", strerror(-rc));
}

static int broadcast(struct rumord *d, const struct rumord_record *rec,
		     bool ref)
{
	long n;

	n = rumord_gossip_encode(rec, ref, bcast_buf, sizeof(bcast_buf));
	if (n < 0)
		return (int)n;
	return rumord_genl_broadcast(d->genl, bcast_buf, (size_t)n);
}

void rumord_publish(struct rumord *d, const struct rumord_record *rec)
{
	size_t max;
	uint64_t held;
	bool ref;
	int rc;

	if (!d->genl)
		return;
	max = rumord_genl_max_payload(d->genl);
	/*
	 * A tombstone has no value to leave behind: one whose key does not
	 * fit a datagram is not broadcast at all (-EMSGSIZE below).
	 */
	ref = !rec->version.tombstone && rumord_gossip_size(rec, false) > max;
	rc = broadcast(d, rec, ref);
	if (rc == -EMSGSIZE && !ref && !rec->version.tombstone) {
		/* max-payload went down since we read it. */
		rumord_genl_refresh(d->genl);
		ref = true;
		rc = broadcast(d, rec, ref);
	}
	if (!rc) {
		if (ref)
			d->stats.broadcasts_ref++;
		else
			d->stats.broadcasts++;
		return;
	}
	d->stats.broadcast_failed++;
	if (rumord_ratelimit(&rl_bcast, &held))
		rumord_warn("cannot broadcast a write (%s); it is stored, and "
			    "anti-entropy will carry it (%llu more held back)",
			    strerror(-rc), (unsigned long long)held);
	rumord_repair_request(&d->repair, RUMORD_REPAIR_BROADCAST, NULL, 0);
}

/* ---- setup ---- */

/* mkdir -p, for the default state directory's parents. */
static int mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path), i;

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		buf[i] = path[i];
	}
	return 0;
}

/*
 * The state directory, created if missing, and locked for the life of the
 * process: two rumords on one store would hand out the same dots.
 */
static int open_state_dir(const char *dir, int *lock_fd)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, rc;

	rc = mkdirs(dir, 0700);
	if (!rc && stat(dir, &st))
		rc = -errno;
	if (!rc && !S_ISDIR(st.st_mode))
		rc = -ENOTDIR;
	if (!rc && access(dir, R_OK | W_OK | X_OK))
		rc = -errno;
	if (rc)
		return die("state directory %s is unusable: %s", dir,
			   strerror(-rc));
	if (snprintf(path, sizeof(path), "%s/rumord.lock", dir) >= (int)sizeof(path))
		return die("state directory %s: path too long", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return die("state directory %s is unusable: %s: %s", dir, path,
			   strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		rc = errno;
		close(fd);
		if (rc == EWOULDBLOCK)
			return die("state directory %s is in use by another rumord",
				   dir);
		return die("state directory %s: cannot lock %s: %s", dir, path,
			   strerror(rc));
	}
	*lock_fd = fd;
	snprintf(path, sizeof(path), "%s/store", dir);
	if (mkdir(path, 0700) && errno != EEXIST)
		return die("state directory %s is unusable: %s: %s", dir, path,
			   strerror(errno));
	return 0;
}

static int open_store(struct rumord *d, const char *dir, size_t map_size)
{
	struct rumord_store_opts opts = { .map_size = map_size };
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/store", dir);
	rc = rumord_store_open(&d->store, path, &opts);
	if (rc == -EPROTO)
		return die("%s is not a store this rumord can read", path);
	if (rc)
		return die("cannot open the store in %s: %s", path,
			   strerror(-rc));
	d->node_id = rumord_store_node_id(d->store);
	return 0;
}

static const char *format_sa6(const struct sockaddr_in6 *sa, char *buf,
			      size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (IN6_IS_ADDR_V4MAPPED(&sa->sin6_addr)) {
		inet_ntop(AF_INET, &sa->sin6_addr.s6_addr[12], host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(sa->sin6_port));
	} else {
		inet_ntop(AF_INET6, &sa->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(sa->sin6_port));
	}
	return buf;
}

static int listen_tcp(struct rumord *d, const char *spec, struct rumord_watch *w,
		      uint16_t *port)
{
	struct sockaddr_in6 sa;
	char name[80];
	int fd, one = 1, zero = 0;

	if (parse_listen(spec, RUMORD_DEFAULT_PORT, &sa))
		return die("--listen: bad address '%s' (ADDR:PORT or [ADDR6]:PORT)",
			   spec);
	format_sa6(&sa, name, sizeof(name));
	*port = ntohs(sa.sin6_port);
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return die("cannot listen on %s: %s", name, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* The IPv6 wildcard takes IPv4 peers too. */
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
		int err = errno;

		close(fd);
		if (err == EADDRINUSE)
			return die("address %s is in use", name);
		return die("cannot listen on %s: %s", name, strerror(err));
	}
	sniff_timer.fn = sniff_timer_event;
	if (rumord_timer_open(d, &sniff_timer)) {
		close(fd);
		return die("timerfd: %s", strerror(errno));
	}
	w->fd = fd;
	w->fn = tcp_event;
	if (rumord_watch_add(d, w, EPOLLIN)) {
		close(fd);
		return die("epoll: %s", strerror(errno));
	}
	rumord_debug("listening for peers on %s", name);
	return 0;
}

static int open_signals(struct rumord *d, struct rumord_watch *w)
{
	sigset_t set;

	/* Broken client connections show up as EPIPE, not as a signal. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return die("sigprocmask: %s", strerror(errno));
	w->fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (w->fd < 0)
		return die("signalfd: %s", strerror(errno));
	w->fn = signal_event;
	if (rumord_watch_add(d, w, EPOLLIN))
		return die("epoll: %s", strerror(errno));
	return 0;
}

/*
 * --daemon: fork before anything is opened (LMDB environments and netlink
 * sockets do not survive a fork); the parent waits until the child is
 * ready or has failed, so that the caller sees the outcome in the exit
 * status and startup errors on its terminal.
 */
static int daemon_start(int *ready_fd)
{
	int pipefd[2], status;
	pid_t pid;
	char c;

	if (pipe2(pipefd, O_CLOEXEC))
		return die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		return die("fork: %s", strerror(errno));
	if (pid > 0) {
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) == 1)
			exit(0);
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			exit(WEXITSTATUS(status) ? WEXITSTATUS(status) : 1);
		exit(1);
	}
	close(pipefd[0]);
	setsid();
	*ready_fd = pipefd[1];
	return 0;
}

static void daemon_ready(int ready_fd)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (write(ready_fd, "", 1) != 1)
		rumord_warn("could not tell the parent we are ready");
	close(ready_fd);
}

/* ---- main ---- */

static void run(struct rumord *d)
{
	struct epoll_event ev[32];
	struct rumord_watch *w;
	int n, i;

	while (!d->stop) {
		n = epoll_wait(d->epfd, ev, 32, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rumord_err("epoll_wait: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			w = ev[i].data.ptr;
			w->fn(d, w, ev[i].events);
		}
	}
}

int main(int argc, char **argv)
{
	struct rumord_watch sig_w = { .fd = -1 }, tcp_w = { .fd = -1 };
	struct rumord_watch genl_w = { .fd = -1 };
	struct options o = { 0 };
	struct rumord d = { .epfd = -1 };
	char netns[256], state[PATH_MAX], sock[PATH_MAX], why[256];
	char hints_dir[PATH_MAX + 8];
	int lock_fd = -1, ready_fd = -1, rc;

	rc = parse_options(argc, argv, &o);
	if (rc)
		return 2;
	if (o.log < 0)
		o.log = o.daemon ? RUMORD_LOG_SYSLOG : RUMORD_LOG_STDERR;
	rumord_log_init(o.log, o.verbose);
	if (o.daemon && daemon_start(&ready_fd))
		return 1;

	if (rumord_netns_name(netns, sizeof(netns)))
		snprintf(netns, sizeof(netns), "default");
	snprintf(state, sizeof(state), "%s/%s", RUMORD_STATE_DIR, netns);
	snprintf(sock, sizeof(sock), "%s/%s.sock", RUMORD_RUN_DIR, netns);
	if (!o.state_dir)
		o.state_dir = state;
	if (!o.socket_path)
		o.socket_path = sock;
	if (!o.listen)
		o.listen = "[::]";

	sniff_timeout_ms = o.sessions.timeout_ms;
	rc = 1;
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d.epfd < 0) {
		die("epoll: %s", strerror(errno));
		goto out;
	}
	if (open_signals(&d, &sig_w) || open_state_dir(o.state_dir, &lock_fd))
		goto out;
	if (!o.no_module) {
		if (rumord_genl_open(&d.genl, &genl_ops, &d, o.netlink_buffer,
				     why, sizeof(why))) {
			die("%s", why);
			goto out;
		}
		genl_w.fd = rumord_genl_fd(d.genl);
		genl_w.fn = genl_event;
		if (rumord_watch_add(&d, &genl_w, EPOLLIN)) {
			die("epoll: %s", strerror(errno));
			goto out;
		}
	}
	if (open_store(&d, o.state_dir, o.map_size) ||
	    listen_tcp(&d, o.listen, &tcp_w, &o.cluster.port))
		goto out;
	rc = rumord_clients_open(&d, o.socket_path, &d.clients);
	if (rc) {
		if (rc == -EADDRINUSE)
			die("socket %s is in use by another rumord", o.socket_path);
		else if (rc == -EEXIST)
			die("socket %s: the path exists and is not a socket",
			    o.socket_path);
		else
			die("cannot listen on socket %s: %s", o.socket_path,
			    strerror(-rc));
		rc = 1;
		goto out;
	}

	rc = rumord_sessions_open(&d, &o.sessions);
	if (rc) {
		die("cannot start the session scheduler: %s", strerror(-rc));
		rc = 1;
		goto out;
	}

	o.handoff.timeout_ms = o.quorum.timeout_ms ? o.quorum.timeout_ms :
			       RUMORD_QUORUM_TIMEOUT_MS;
	snprintf(hints_dir, sizeof(hints_dir), "%s/hints", o.state_dir);
	if (mkdir(hints_dir, 0700) && errno != EEXIST) {
		die("state directory %s is unusable: %s: %s", o.state_dir,
		    hints_dir, strerror(errno));
		goto out;
	}
	rc = rumord_handoff_open(&d, hints_dir, &o.handoff);
	if (rc) {
		die(rc == -EPROTO ? "%s holds hints this rumord cannot read%s" :
		    "cannot open the hints in %s: %s", hints_dir,
		    rc == -EPROTO ? "" : strerror(-rc));
		rc = 1;
		goto out;
	}
	rc = rumord_rpc_open(&d);
	if (!rc)
		rc = rumord_quorum_open(&d, &o.quorum);
	if (!rc)
		rc = rumord_cluster_open(&d, &o.cluster);
	if (rc) {
		die("cannot start membership: %s", strerror(-rc));
		rc = 1;
		goto out;
	}

	rumord_info("node %016llx: state %s, socket %s, %s",
		    (unsigned long long)d.node_id, o.state_dir, o.socket_path,
		    d.genl ? "rumor.ko instance up" : "no module (standalone)");
	/* We may have missed writes while we were not running. */
	rumord_repair_request(&d.repair, RUMORD_REPAIR_STARTUP, NULL, 0);
	if (ready_fd >= 0)
		daemon_ready(ready_fd);
	run(&d);
	log_stats(&d);
	rc = 0;

out:
	rumord_clients_close(d.clients);
	rumord_sessions_close(&d);
	rumord_cluster_close(&d);	/* says we are leaving: before genl */
	rumord_rpc_close(&d);		/* no callback after this */
	rumord_quorum_close(&d);
	rumord_handoff_close(&d);
	for (size_t i = 0; i < SNIFF_MAX; i++)
		if (sniffs[i])
			sniff_drop(&d, i);
	rumord_timer_close(&d, &sniff_timer);
	if (tcp_w.fd >= 0)
		close(tcp_w.fd);
	rumord_genl_close(d.genl);
	rumord_store_close(d.store);
	if (sig_w.fd >= 0)
		close(sig_w.fd);
	if (d.epfd >= 0)
		close(d.epfd);
	if (lock_fd >= 0)
		close(lock_fd);
	return rc;
}
