// SPDX-License-Identifier: GPL-2.0
/*
 * rumor-sim: the rumor protocol core on thousands of simulated nodes.
 *
 * For each mode (Plumtree over HyParView, flooding over the same HyParView
 * views, or direct sends from the origin) it builds the overlay, runs a
 * stable phase of broadcasts, and then, for each failure level, kills that
 * share of the nodes at once and broadcasts again. Failure levels start
 * from one stabilised overlay: each is a fork()ed child, a copy-on-write
 * snapshot of the network, and the parent prints what the children report
 * in order. Output: a table, or one JSON object per line (--json).
 * docs/simulator.md describes the model, the metrics and the figures.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim.h"

#define MAX_NODES	1000000

static const char *prog = "rumor-sim";

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s [options]\n"
"  -n, --nodes N           simulated nodes (default 1000; --bench 10000)\n"
"  -s, --seed S            seed of every random choice (default 1)\n"
"  -m, --mode LIST         plumtree, flood, direct, comma separated, or all\n"
"                          (default plumtree; --bench all)\n"
"  -f, --fanout F          flood: peers each first copy goes to; 0 = the\n"
"                          whole active view (default 0)\n"
"  -b, --broadcasts B      broadcasts in the stable phase (default 20;\n"
"                          --bench 100)\n"
"  -F, --fail LIST         failure levels, percent of the nodes killed at\n"
"                          once, e.g. 10,50,95 (default none; --bench\n"
"                          10,20,...,90,95)\n"
"  -a, --after A           broadcasts after each failure level (default 10)\n"
"  -l, --loss P            probability that a datagram is lost, from the\n"
"                          stable phase on (default 0)\n"
"      --build-loss P      the same while the overlay is built (default 0)\n"
"  -L, --latency MIN:MAX   one-way latency in ms, uniform (default 1:10)\n"
"  -c, --churn RATE        nodes killed per second during the broadcasts,\n"
"                          each back as a new incarnation after --downtime\n"
"      --downtime MS       (default 10000)\n"
"  -i, --interval MS       between stable-phase broadcasts (default 1000)\n"
"      --fail-interval MS  between broadcasts after a failure (default 2000)\n"
"      --settle MS         each message is measured this long after it is\n"
"                          sent (default 5000)\n"
"      --join-interval US  between two joins while building (default 1000)\n"
"      --join-any          join through any earlier node, linked yet or not\n"
"      --stabilise MS      after the last join (default 20000)\n"
"      --payload BYTES     per broadcast (default 100)\n"
"      --active N --passive N --ping-ms MS --fail-ms MS --ihave-ms MS\n"
"      --optimize-hops H   core settings (defaults: rumor_config_default)\n"
"  -j, --jobs J            failure levels simulated at once (default 1)\n"
"      --json              one JSON object per line\n"
"  -v, --per-broadcast     the table lists every broadcast\n"
"      --bench             the papers' experiment: all modes, 10,000 nodes,\n"
"                          JSON on stdout, the table on stderr\n"
"  -h, --help\n", prog);
}

static void __attribute__((noreturn, format(printf, 1, 2))) bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t parse_u64(const char *opt, const char *s, uint64_t min,
			  uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (!*s || *end || errno || s[0] == '-' || v < min || v > max)
		bad("%s: expected an integer from %llu to %llu, got '%s'", opt,
		    (unsigned long long)min, (unsigned long long)max, s);
	return v;
}

static double parse_double(const char *opt, const char *s, double min,
			   double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || v < min || v > max)
		bad("%s: expected a number from %g to %g, got '%s'", opt, min,
		    max, s);
	return v;
}

static void parse_modes(struct sim_opts *o, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	uint32_t k;

	if (!copy)
		bad("out of memory");
	o->nmodes = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint8_t m;

		if (!strcmp(tok, "all")) {
			o->modes[0] = RUMOR_MODE_PLUMTREE;
			o->modes[1] = RUMOR_MODE_FLOOD;
			o->modes[2] = RUMOR_MODE_DIRECT;
			o->nmodes = 3;
			continue;
		}
		if (!strcmp(tok, "plumtree"))
			m = RUMOR_MODE_PLUMTREE;
		else if (!strcmp(tok, "flood"))
			m = RUMOR_MODE_FLOOD;
		else if (!strcmp(tok, "direct"))
			m = RUMOR_MODE_DIRECT;
		else
			bad("--mode: unknown mode '%s' (plumtree, flood, direct, all)", tok);
		for (k = 0; k < o->nmodes; k++)
			if (o->modes[k] == m)
				break;
		if (k == o->nmodes) {
			if (o->nmodes == 3)
				bad("--mode: too many modes in '%s'", arg);
			o->modes[o->nmodes++] = m;
		}
	}
	free(copy);
	if (!o->nmodes)
		bad("--mode: no mode in '%s'", arg);
}

static void parse_fail(struct sim_opts *o, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok;

	if (!copy)
		bad("out of memory");
	o->nfail = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->nfail == SIM_MAX_FAIL)
			bad("--fail: at most %d levels", SIM_MAX_FAIL);
		o->fail[o->nfail++] = parse_double("--fail", tok, 0.001, 99.9);
	}
	free(copy);
	if (!o->nfail)
		bad("--fail: no level in '%s'", arg);
}

static void parse_latency(struct sim_opts *o, const char *arg)
{
	const char *colon = strchr(arg, ':');
	char min[64];
	double lo, hi;

	if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof(min))
		bad("--latency: expected MIN:MAX in ms, got '%s'", arg);
	memcpy(min, arg, (size_t)(colon - arg));
	min[colon - arg] = 0;
	lo = parse_double("--latency", min, 0, 60000);
	hi = parse_double("--latency", colon + 1, 0, 60000);
	if (hi < lo)
		bad("--latency: MAX is below MIN in '%s'", arg);
	o->lat_min_us = (uint32_t)(lo * 1000 + 0.5);
	o->lat_max_us = (uint32_t)(hi * 1000 + 0.5);
}

enum {
	OPT_DOWNTIME = 256,
	OPT_BUILD_LOSS,
	OPT_FAIL_INTERVAL,
	OPT_SETTLE,
	OPT_JOIN_INTERVAL,
	OPT_JOIN_ANY,
	OPT_STABILISE,
	OPT_PAYLOAD,
	OPT_ACTIVE,
	OPT_PASSIVE,
	OPT_PING_MS,
	OPT_FAIL_MS,
	OPT_IHAVE_MS,
	OPT_OPTIMIZE,
	OPT_JSON,
	OPT_BENCH,
};

static const struct option long_opts[] = {
	{ "nodes", required_argument, NULL, 'n' },
	{ "seed", required_argument, NULL, 's' },
	{ "mode", required_argument, NULL, 'm' },
	{ "fanout", required_argument, NULL, 'f' },
	{ "broadcasts", required_argument, NULL, 'b' },
	{ "fail", required_argument, NULL, 'F' },
	{ "after", required_argument, NULL, 'a' },
	{ "loss", required_argument, NULL, 'l' },
	{ "build-loss", required_argument, NULL, OPT_BUILD_LOSS },
	{ "latency", required_argument, NULL, 'L' },
	{ "churn", required_argument, NULL, 'c' },
	{ "downtime", required_argument, NULL, OPT_DOWNTIME },
	{ "interval", required_argument, NULL, 'i' },
	{ "fail-interval", required_argument, NULL, OPT_FAIL_INTERVAL },
	{ "settle", required_argument, NULL, OPT_SETTLE },
	{ "join-interval", required_argument, NULL, OPT_JOIN_INTERVAL },
	{ "join-any", no_argument, NULL, OPT_JOIN_ANY },
	{ "stabilise", required_argument, NULL, OPT_STABILISE },
	{ "payload", required_argument, NULL, OPT_PAYLOAD },
	{ "active", required_argument, NULL, OPT_ACTIVE },
	{ "passive", required_argument, NULL, OPT_PASSIVE },
	{ "ping-ms", required_argument, NULL, OPT_PING_MS },
	{ "fail-ms", required_argument, NULL, OPT_FAIL_MS },
	{ "ihave-ms", required_argument, NULL, OPT_IHAVE_MS },
	{ "optimize-hops", required_argument, NULL, OPT_OPTIMIZE },
	{ "jobs", required_argument, NULL, 'j' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "per-broadcast", no_argument, NULL, 'v' },
	{ "bench", no_argument, NULL, OPT_BENCH },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct cli {
	struct sim_opts o;
	bool json, bench, per_bcast;
	bool set_nodes, set_modes, set_bcasts, set_fail;
};

static void parse(struct cli *c, int argc, char **argv)
{
	struct sim_opts *o = &c->o;
	const char *err;
	int opt;

	*o = (struct sim_opts){
		.nodes = 1000,
		.seed = 1,
		.modes = { RUMOR_MODE_PLUMTREE },
		.nmodes = 1,
		.broadcasts = 20,
		.after = 10,
		.lat_min_us = 1000,
		.lat_max_us = 10000,
		.downtime_ms = 10000,
		.interval_ms = 1000,
		.fail_interval_ms = 2000,
		.settle_ms = 5000,
		.join_us = 1000,
		.stabilise_ms = 20000,
		.payload = 100,
		.jobs = 1,
	};
	rumor_config_default(&o->core);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":n:s:m:f:b:F:a:l:L:c:i:j:vh",
				  long_opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			o->nodes = (uint32_t)parse_u64("--nodes", optarg, 2, MAX_NODES);
			c->set_nodes = true;
			break;
		case 's':
			o->seed = parse_u64("--seed", optarg, 0, UINT64_MAX);
			break;
		case 'm':
			parse_modes(o, optarg);
			c->set_modes = true;
			break;
		case 'f':
			o->core.fanout = (uint8_t)parse_u64("--fanout", optarg, 0, 255);
			break;
		case 'b':
			o->broadcasts = (uint32_t)parse_u64("--broadcasts", optarg, 0, 100000);
			c->set_bcasts = true;
			break;
		case 'F':
			parse_fail(o, optarg);
			c->set_fail = true;
			break;
		case 'a':
			o->after = (uint32_t)parse_u64("--after", optarg, 1, 100000);
			break;
		case 'l':
			o->loss = parse_double("--loss", optarg, 0, 0.99);
			break;
		case OPT_BUILD_LOSS:
			o->build_loss = parse_double("--build-loss", optarg, 0, 0.99);
			break;
		case 'L':
			parse_latency(o, optarg);
			break;
		case 'c':
			o->churn = parse_double("--churn", optarg, 0, 1e6);
			break;
		case OPT_DOWNTIME:
			o->downtime_ms = (uint32_t)parse_u64("--downtime", optarg, 0, 3600000);
			break;
		case 'i':
			o->interval_ms = (uint32_t)parse_u64("--interval", optarg, 1, 3600000);
			break;
		case OPT_FAIL_INTERVAL:
			o->fail_interval_ms = (uint32_t)parse_u64("--fail-interval", optarg,
								  1, 3600000);
			break;
		case OPT_SETTLE:
			o->settle_ms = (uint32_t)parse_u64("--settle", optarg, 1, 3600000);
			break;
		case OPT_JOIN_INTERVAL:
			o->join_us = (uint32_t)parse_u64("--join-interval", optarg, 0, 10000000);
			break;
		case OPT_JOIN_ANY:
			o->join_any = true;
			break;
		case OPT_STABILISE:
			o->stabilise_ms = (uint32_t)parse_u64("--stabilise", optarg, 0, 36000000);
			break;
		case OPT_PAYLOAD:
			o->payload = (uint32_t)parse_u64("--payload", optarg, 0,
							 RUMOR_WIRE_MAX_LEN - RUMOR_WIRE_GOSSIP_HLEN);
			break;
		case OPT_ACTIVE:
			o->core.active_size = (uint8_t)parse_u64("--active", optarg, 1, 255);
			break;
		case OPT_PASSIVE:
			o->core.passive_size = (uint8_t)parse_u64("--passive", optarg, 0, 255);
			break;
		case OPT_PING_MS:
			o->core.ping_interval_ms = (uint32_t)parse_u64("--ping-ms", optarg,
								       1, 3600000);
			break;
		case OPT_FAIL_MS:
			o->core.fail_timeout_ms = (uint32_t)parse_u64("--fail-ms", optarg,
								      1, 3600000);
			break;
		case OPT_IHAVE_MS:
			o->core.ihave_interval_ms = (uint32_t)parse_u64("--ihave-ms", optarg,
									1, 3600000);
			break;
		case OPT_OPTIMIZE:
			o->core.optimize_hops = (uint8_t)parse_u64("--optimize-hops", optarg,
								   0, 255);
			break;
		case 'j':
			o->jobs = (uint32_t)parse_u64("--jobs", optarg, 1, SIM_MAX_FAIL);
			break;
		case OPT_JSON:
			c->json = true;
			break;
		case 'v':
			c->per_bcast = true;
			break;
		case OPT_BENCH:
			c->bench = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			bad("%s needs an argument (see --help)", argv[optind - 1]);
		default:
			if (optopt)
				bad("unknown option '-%c' (see --help)", optopt);
			bad("unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad("unexpected argument '%s' (see --help)", argv[optind]);

	if (c->bench) {
		static const double levels[] = { 10, 20, 30, 40, 50, 60, 70, 80, 90, 95 };

		if (!c->set_nodes)
			o->nodes = 10000;
		if (!c->set_modes)
			parse_modes(o, "all");
		if (!c->set_bcasts)
			o->broadcasts = 100;
		if (!c->set_fail) {
			memcpy(o->fail, levels, sizeof(levels));
			o->nfail = sizeof(levels) / sizeof(levels[0]);
		}
		c->json = true;
	}
	o->core.max_payload = o->payload > o->core.max_payload ? o->payload :
				o->core.max_payload;
	err = rumor_config_check(&o->core);
	if (err)
		bad("core configuration: %s", err);
	if (o->core.max_payload > RUMOR_WIRE_MAX_LEN - RUMOR_WIRE_GOSSIP_HLEN)
		bad("--payload: too large for one datagram");
}

/* ---- children: one per failure level ---- */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t r = write(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t r = read(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

struct child {
	pid_t pid;
	int fd;
};

static struct child spawn(struct sim_world *w, double pct)
{
	pid_t parent = getpid();
	struct child ch;
	int p[2];

	fflush(stdout);
	fflush(stderr);
	if (pipe(p) < 0) {
		perror("rumor-sim: pipe");
		exit(1);
	}
	ch.pid = fork();
	if (ch.pid < 0) {
		perror("rumor-sim: fork");
		exit(1);
	}
	if (!ch.pid) {
		struct sim_result r = { 0 };

		/* Killed with the parent (say, by a test's timeout). */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		close(p[0]);
		sim_world_fail(w, pct, &r);
		if (write_all(p[1], &r.nb, sizeof(r.nb)) ||
		    write_all(p[1], r.b, r.nb * sizeof(*r.b)) ||
		    write_all(p[1], &r.run, sizeof(r.run)))
			_exit(1);
		/* No destructors: the parent still owns the snapshot's memory. */
		_exit(0);
	}
	close(p[1]);
	ch.fd = p[0];
	return ch;
}

static void collect(struct child ch, double pct, struct sim_result *r)
{
	int status;
	int bad_read;

	memset(r, 0, sizeof(*r));
	bad_read = read_all(ch.fd, &r->nb, sizeof(r->nb));
	if (!bad_read) {
		r->capb = r->nb;
		r->b = calloc(r->nb ? r->nb : 1, sizeof(*r->b));
		bad_read = !r->b || read_all(ch.fd, r->b, r->nb * sizeof(*r->b)) ||
			   read_all(ch.fd, &r->run, sizeof(r->run));
	}
	close(ch.fd);
	while (waitpid(ch.pid, &status, 0) < 0 && errno == EINTR)
		;
	if (bad_read || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "rumor-sim: the run with %g%% failed nodes died\n", pct);
		exit(1);
	}
}

/* ---- output ---- */

struct mode_results {
	uint8_t mode;
	struct sim_result stable;
	struct sim_result fail[SIM_MAX_FAIL];
};

static void json_bcast(const struct sim_opts *o, const struct sim_bcast *b)
{
	char rmr[32];

	/* Undefined when nobody received it. */
	if (b->receivers)
		snprintf(rmr, sizeof(rmr), "%.4f", b->rmr);
	else
		snprintf(rmr, sizeof(rmr), "null");
	printf("{\"type\":\"broadcast\",\"mode\":\"%s\",\"nodes\":%u,"
	       "\"failed_pct\":%g,\"broadcast\":%u,\"origin\":%u,"
	       "\"origin_links\":%u,\"t_ms\":%.3f,"
	       "\"live\":%u,\"eligible\":%u,\"delivered\":%u,"
	       "\"reliability\":%.9g,\"receivers\":%u,\"gossip\":%llu,"
	       "\"rmr\":%s,\"ldh\":%u,\"last_ms\":%.3f,\"ihave_ids\":%llu,"
	       "\"grafts\":%llu,\"control\":%llu,\"ctl_ihave\":%llu,"
	       "\"ctl_graft\":%llu,\"ctl_prune\":%llu,\"ctl_membership\":%llu,"
	       "\"ctl_ping\":%llu}\n",
	       sim_mode_name(b->mode), o->nodes, b->failed_pct, b->index, b->origin,
	       b->origin_links, b->sent_us / 1000.0, b->live, b->eligible, b->delivered,
	       b->reliability, b->receivers, (unsigned long long)b->gossip,
	       rmr, b->ldh, b->last_ms, (unsigned long long)b->ihave_ids,
	       (unsigned long long)b->grafts,
	       (unsigned long long)(b->ctl_ihave + b->ctl_graft + b->ctl_prune +
				    b->ctl_membership + b->ctl_ping),
	       (unsigned long long)b->ctl_ihave, (unsigned long long)b->ctl_graft,
	       (unsigned long long)b->ctl_prune,
	       (unsigned long long)b->ctl_membership,
	       (unsigned long long)b->ctl_ping);
}

static void json_run(const struct sim_opts *o, const struct sim_result *r)
{
	const struct sim_run *u = &r->run;
	int t;

	printf("{\"type\":\"run\",\"mode\":\"%s\",\"nodes\":%u,\"failed_pct\":%g,"
	       "\"broadcasts\":%u,\"wall_s\":%.3f,\"build_s\":%.3f,\"sim_s\":%.3f,"
	       "\"events\":%llu,\"bytes_per_node\":%.0f,\"bytes_max\":%llu,"
	       "\"cache_per_node\":%.0f,\"live\":%u,\"killed\":%u,"
	       "\"restarts\":%u,\"seed\":%llu",
	       sim_mode_name(u->mode), o->nodes, u->failed_pct, r->nb, u->wall_s,
	       u->build_s, u->sim_s, (unsigned long long)u->events,
	       u->bytes_per_node, (unsigned long long)u->bytes_max,
	       u->cache_per_node, u->live, u->killed, u->restarts,
	       (unsigned long long)o->seed);
	/* Direct mode has no overlay to describe. */
	if (u->mode != RUMOR_MODE_DIRECT) {
		printf(",\"isolated\":%u,\"active_mean\":%.3f,\"asymmetric\":%u,"
		       "\"reachable\":%u", u->isolated, u->active_mean,
		       u->asymmetric, u->reachable);
		if (!u->failed_pct)
			printf(",\"overlay\":\"%016llx\"",
			       (unsigned long long)u->overlay_hash);
	}
	printf(",\"core\":{\"tree_optimized\":%llu,\"graft_gave_up\":%llu,"
	       "\"peer_failed\":%llu,\"neighbor_up\":%llu,\"missing_full\":%llu,"
	       "\"lazy_dropped\":%llu,\"cache_evicted\":%llu,"
	       "\"origins_evicted\":%llu,\"nomem\":%llu}",
	       (unsigned long long)u->core.tree_optimized,
	       (unsigned long long)u->core.graft_gave_up,
	       (unsigned long long)u->core.peer_failed,
	       (unsigned long long)u->core.neighbor_up,
	       (unsigned long long)u->core.missing_full,
	       (unsigned long long)u->core.lazy_dropped,
	       (unsigned long long)u->core.cache_evicted,
	       (unsigned long long)u->core.origins_evicted,
	       (unsigned long long)u->core.nomem);
	printf(",\"traffic\":{");
	for (t = RUMOR_WIRE_GOSSIP; t < __RUMOR_WIRE_TYPE_END; t++)
		printf("%s\"%s\":%llu", t == RUMOR_WIRE_GOSSIP ? "" : ",",
		       rumor_wire_type_name((__u8)t), (unsigned long long)u->traffic[t]);
	printf("}}\n");
}

static void json_result(const struct sim_opts *o, const struct sim_result *r)
{
	uint32_t k;

	for (k = 0; k < r->nb; k++)
		json_bcast(o, &r->b[k]);
	json_run(o, r);
	fflush(stdout);
}

/* Summaries of one phase. */
struct summary {
	double rel_first, rel_min, rel_last;
	int recovered;			/* 1-based; 0: the last one is short */
	double rmr_first, rmr_rest;	/* rest: broadcasts 2.., or the first */
	double ldh_rest;
	uint32_t ldh_max;
	double last_ms_max, ctl_per_bcast;
};

static bool complete(const struct sim_bcast *b)
{
	return b->delivered == b->eligible;
}

/* RMR and LDH are undefined for a broadcast nobody received: NAN. */
static struct summary summarise(const struct sim_result *r)
{
	struct summary s = { .rel_min = 1, .rmr_first = NAN, .rmr_rest = NAN,
			     .ldh_rest = NAN };
	double rmr = 0, ldh = 0;
	uint32_t k, rest = 0;
	uint64_t ctl = 0;

	if (!r->nb)
		return s;
	s.rel_first = r->b[0].reliability;
	s.rel_last = r->b[r->nb - 1].reliability;
	if (r->b[0].receivers)
		s.rmr_first = r->b[0].rmr;
	s.recovered = 0;
	for (k = r->nb; k > 0 && complete(&r->b[k - 1]); k--)
		s.recovered = (int)k;
	for (k = 0; k < r->nb; k++) {
		const struct sim_bcast *b = &r->b[k];

		if (b->reliability < s.rel_min)
			s.rel_min = b->reliability;
		if (b->ldh > s.ldh_max)
			s.ldh_max = b->ldh;
		if (b->last_ms > s.last_ms_max)
			s.last_ms_max = b->last_ms;
		ctl += b->ctl_ihave + b->ctl_graft + b->ctl_prune +
		       b->ctl_membership + b->ctl_ping;
		if ((k > 0 || r->nb == 1) && b->receivers) {
			rmr += b->rmr;
			ldh += b->ldh;
			rest++;
		}
	}
	if (rest) {
		s.rmr_rest = rmr / rest;
		s.ldh_rest = ldh / rest;
	}
	s.ctl_per_bcast = (double)ctl / r->nb;
	return s;
}

static void table_header(FILE *f)
{
	fprintf(f, "%-8s %5s %6s %4s %9s %9s %5s %9s %9s %6s %4s %8s %9s %7s %8s\n",
		"mode", "fail%", "live", "bc", "rel.first", "rel.min", "rec@",
		"rmr.first", "rmr.rest", "ldh", "max", "last.ms", "ctl/bc",
		"wall.s", "B/node");
}

static void table_row(FILE *f, const struct sim_result *r)
{
	struct summary s = summarise(r);
	char rec[16];

	if (s.recovered)
		snprintf(rec, sizeof(rec), "%d", s.recovered);
	else
		snprintf(rec, sizeof(rec), "-");
	fprintf(f, "%-8s %5g %6u %4u %9.6f %9.6f %5s %9.4f %9.4f %6.2f %4u %8.1f %9.0f %7.2f %8.0f\n",
		sim_mode_name(r->run.mode), r->run.failed_pct, r->run.live, r->nb,
		s.rel_first, s.rel_min, rec, s.rmr_first, s.rmr_rest, s.ldh_rest,
		s.ldh_max, s.last_ms_max, s.ctl_per_bcast, r->run.wall_s,
		r->run.bytes_per_node);
}

static void table_bcasts(FILE *f, const struct sim_result *r)
{
	uint32_t k;

	fprintf(f, "  %-8s %5s %4s %6s %9s %8s %4s %8s %8s %8s %6s %8s\n", "mode",
		"fail%", "#", "origin", "rel", "rmr", "ldh", "last.ms", "gossip",
		"ihaves", "grafts", "control");
	for (k = 0; k < r->nb; k++) {
		const struct sim_bcast *b = &r->b[k];

		fprintf(f, "  %-8s %5g %4u %6u %9.6f %8.4f %4u %8.1f %8llu %8llu %6llu %8llu\n",
			sim_mode_name(b->mode), b->failed_pct, b->index, b->origin,
			b->reliability, b->rmr, b->ldh, b->last_ms,
			(unsigned long long)b->gossip,
			(unsigned long long)b->ihave_ids,
			(unsigned long long)b->grafts,
			(unsigned long long)(b->ctl_ihave + b->ctl_graft +
					     b->ctl_prune + b->ctl_membership +
					     b->ctl_ping));
	}
}

/* ---- the targets of the issue ---- */

struct target_out {
	FILE *table;			/* or NULL */
	bool json;
	int failed;
};

static void target(struct target_out *t, const char *name, double value,
		   const char *limit, bool met)
{
	if (t->json)
		printf("{\"type\":\"target\",\"name\":\"%s\",\"value\":%.4f,"
		       "\"limit\":\"%s\",\"met\":%s}\n", name, value, limit,
		       met ? "true" : "false");
	if (t->table)
		fprintf(t->table, "  %-34s %10.4f  %-12s %s\n", name, value, limit,
			met ? "met" : "NOT MET");
	t->failed += !met;
}

static const struct mode_results *find_mode(const struct mode_results *mr,
					    uint32_t n, uint8_t mode)
{
	uint32_t k;

	for (k = 0; k < n; k++)
		if (mr[k].mode == mode)
			return &mr[k];
	return NULL;
}

static void targets(const struct sim_opts *o, const struct mode_results *mr,
		    uint32_t n, struct target_out *t)
{
	const struct mode_results *pt = find_mode(mr, n, RUMOR_MODE_PLUMTREE);
	const struct mode_results *fl = find_mode(mr, n, RUMOR_MODE_FLOOD);
	uint32_t k, f, total = 0, full = 0;
	char name[64];

	if (t->table)
		fprintf(t->table, "\ntargets:\n");
	if (pt && pt->stable.nb >= 2)
		target(t, "plumtree_stable_rmr", summarise(&pt->stable).rmr_rest,
		       "<= 0.05", summarise(&pt->stable).rmr_rest <= 0.05);
	if (fl && fl->stable.nb >= 1) {
		double v = summarise(&fl->stable).rmr_rest;

		target(t, "flood_stable_rmr", v, "about 3", fabs(v - 3) <= 0.5);
	}
	for (k = 0; k < n; k++) {
		for (f = 0; f < mr[k].stable.nb; f++) {
			total++;
			full += complete(&mr[k].stable.b[f]);
		}
	}
	if (total)
		target(t, "stable_reliability", (double)full / total, "= 1",
		       full == total);
	for (k = 0; k < n; k++) {
		if (mr[k].mode == RUMOR_MODE_DIRECT)
			continue;
		for (f = 0; f < o->nfail; f++) {
			struct summary s;

			if (fabs(o->fail[f] - 50) > 1e-9)
				continue;
			s = summarise(&mr[k].fail[f]);
			snprintf(name, sizeof(name), "%s_recovery_after_50pct",
				 sim_mode_name(mr[k].mode));
			target(t, name, s.recovered ? s.recovered : -1, "<= 3",
			       s.recovered >= 1 && s.recovered <= 3);
		}
	}
	if (pt && fl && pt->stable.nb >= 2 && fl->stable.nb >= 1) {
		double ratio = summarise(&pt->stable).ldh_rest /
			       summarise(&fl->stable).ldh_rest;

		target(t, "plumtree_ldh_over_flood", ratio, "<= 1.5", ratio <= 1.5);
	}
	for (k = 0; k < n; k++) {
		if (o->nodes < 10000 || mr[k].stable.nb < 100)
			continue;
		snprintf(name, sizeof(name), "%s_wall_s_10k_100_broadcasts",
			 sim_mode_name(mr[k].mode));
		target(t, name, mr[k].stable.run.wall_s, "< 60",
		       mr[k].stable.run.wall_s < 60);
	}
}

int main(int argc, char **argv)
{
	struct mode_results *mr;
	struct target_out tout = { 0 };
	FILE *table;
	struct cli c = { 0 };
	uint32_t m, k, next;

	parse(&c, argc, argv);
	table = c.bench ? stderr : c.json ? NULL : stdout;
	mr = calloc(c.o.nmodes, sizeof(*mr));
	if (!mr)
		bad("out of memory");
	if (c.json) {
		printf("{\"type\":\"config\",\"nodes\":%u,\"seed\":%llu,"
		       "\"broadcasts\":%u,\"after\":%u,\"interval_ms\":%u,"
		       "\"fail_interval_ms\":%u,\"settle_ms\":%u,\"loss\":%g,\"build_loss\":%g,"
		       "\"latency_ms\":[%g,%g],\"churn\":%g,\"downtime_ms\":%u,"
		       "\"fanout\":%u,\"active\":%u,\"passive\":%u,\"ping_ms\":%u,"
		       "\"fail_ms\":%u,\"ihave_ms\":%u,\"optimize_hops\":%u,"
		       "\"join_interval_us\":%u,\"stabilise_ms\":%u,"
		       "\"payload\":%u}\n",
		       c.o.nodes, (unsigned long long)c.o.seed, c.o.broadcasts,
		       c.o.after, c.o.interval_ms, c.o.fail_interval_ms,
		       c.o.settle_ms, c.o.loss, c.o.build_loss, c.o.lat_min_us / 1000.0,
		       c.o.lat_max_us / 1000.0, c.o.churn, c.o.downtime_ms,
		       c.o.core.fanout, c.o.core.active_size, c.o.core.passive_size,
		       c.o.core.ping_interval_ms, c.o.core.fail_timeout_ms,
		       c.o.core.ihave_interval_ms, c.o.core.optimize_hops, c.o.join_us, c.o.stabilise_ms, c.o.payload);
		fflush(stdout);
	}
	if (table) {
		fprintf(table, "# %u nodes, seed %llu, latency %g-%g ms, loss %g, "
			"churn %g/s; rec@: first broadcast from which all were "
			"complete; rmr.rest, ldh: mean over broadcasts 2..\n",
			c.o.nodes, (unsigned long long)c.o.seed,
			c.o.lat_min_us / 1000.0, c.o.lat_max_us / 1000.0, c.o.loss,
			c.o.churn);
		table_header(table);
		fflush(table);
	}

	for (m = 0; m < c.o.nmodes; m++) {
		struct child ch[SIM_MAX_FAIL];
		struct sim_world *w;

		mr[m].mode = c.o.modes[m];
		w = sim_world_create(&c.o, c.o.modes[m], &mr[m].stable);
		if (c.json)
			json_result(&c.o, &mr[m].stable);
		if (table) {
			table_row(table, &mr[m].stable);
			fflush(table);
		}
		for (k = 0, next = 0; k < c.o.nfail; k++) {
			while (next < c.o.nfail && next < k + c.o.jobs) {
				ch[next] = spawn(w, c.o.fail[next]);
				next++;
			}
			collect(ch[k], c.o.fail[k], &mr[m].fail[k]);
			if (c.json)
				json_result(&c.o, &mr[m].fail[k]);
			if (table) {
				table_row(table, &mr[m].fail[k]);
				fflush(table);
			}
		}
		sim_world_destroy(w);
	}

	if (table && c.per_bcast) {
		fprintf(table, "\nper broadcast:\n");
		for (m = 0; m < c.o.nmodes; m++) {
			table_bcasts(table, &mr[m].stable);
			for (k = 0; k < c.o.nfail; k++)
				table_bcasts(table, &mr[m].fail[k]);
		}
	}
	tout.table = table;
	tout.json = c.json;
	targets(&c.o, mr, c.o.nmodes, &tout);
	fflush(stdout);
	for (m = 0; m < c.o.nmodes; m++) {
		free(mr[m].stable.b);
		for (k = 0; k < c.o.nfail; k++)
			free(mr[m].fail[k].b);
	}
	free(mr);
	return 0;
}
