// SPDX-License-Identifier: GPL-2.0
/*
 * veth-bench: how many duplicate GOSSIP packets per second rumor_xdp drops
 * on a veth, against a userspace receiver that deduplicates with recvmmsg
 * and a hash set, fed by the same sender. It runs on the running kernel
 * (root, two CPUs) and prints one JSON line.
 *
 * Two anonymous network namespaces joined by a veth pair: A on the sender
 * side, B on the receiver side. Every frame is the same GOSSIP (one origin,
 * one seq), so the first copy is new and all the others are duplicates.
 *
 * What runs where ("one core each"):
 *
 *   CPU 0  The sender thread, in A's namespace: BPF_PROG_TEST_RUN of
 *          xdp_trafficgen with live frames, which redirects every copy out
 *          of A. veth's ndo_xdp_xmit puts it straight into B's receive ring
 *          (no skb, no qdisc) and wakes B's NAPI. Also the main thread,
 *          which sleeps but for a few reads of counters per phase.
 *   CPU 1  B's NAPI, made threaded so that its kthread can be pinned here:
 *          softirq NAPI would run on the CPU that schedules it, the
 *          sender's. XDP case: the kthread runs rumor_xdp on each frame,
 *          which drops the duplicates. User case: the kthread builds an skb
 *          per frame and runs the stack up to the UDP socket; the receiver
 *          thread, also pinned here, reads the datagrams with recvmmsg,
 *          parses each with rumor_wire_parse() and looks its id up in a
 *          hash set.
 *
 * veth takes redirected frames only while the receiving end has NAPI,
 * which an XDP program or GRO gives it. GRO stays on for B throughout, so
 * its NAPI instance, and the kthread pinned to CPU 1, live on unchanged
 * while rumor_xdp is attached and detached between the cases.
 *
 * The sender runs all the time; the cases alternate (xdp, user, xdp, ...)
 * so that both see the same host, which drifts. Each phase lets the new
 * state settle, then counts for a fixed time. The JSON line holds the
 * medians over the rounds:
 *
 *   xdp_pps, user_pps  duplicates dropped by rumor_xdp (gossip_duplicate,
 *                      summed over CPUs) per second; datagrams processed by
 *                      the receiver per second. ratio is xdp / user.
 *   seconds, rounds    counting time of each phase, and phases per case
 *   *_cpu              the CPU each task was on at the end of every phase
 *                      (-1: not always the same)
 *   CASE_sent_pps      frames the sender pushed; what B's ring had no room
 *                      for was dropped by veth at once
 *   CASE_sock_drop_pps datagrams the stack delivered to a full socket
 *   CASE_cpuN_busy     all that ran on the CPU, 0 to 1
 *   CASE_TASK_busy     one task's share of a CPU: sender, napi, receiver
 *   CASE_runs          each round's figure
 *
 * What veth adds to the XDP figure: the live frames come from the test
 * run's page pool, and go back to it from CPU 1 when dropped, and from
 * CPU 0 when veth turns them away because B's ring is full (the sender
 * outruns the receiver). Both take the pool's ring lock. The contention
 * costs CPU 1 about a quarter of its time, and in spells about half (both
 * sides then run at half speed). So xdp_pps is below what rumor_xdp does
 * behind a NIC, and phases vary; the medians of alternating rounds are
 * there to absorb that. The user case pays the same when its skbs free
 * their pages.
 *
 * The namespaces are held only by this process's file descriptors, so when
 * it exits, however it exits, the kernel removes them with the veth pair
 * and the XDP program attached to it: nothing is left behind.
 *
 * Exit status: 0 measured, 1 failure, 2 usage, 4 cannot run here (not
 * root, fewer than two CPUs), as the selftests skip.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../selftests/lib/frame.h"
#include "../bpf/rumor_xdp.h"
#include "bpf/rumor_xdp.skel.h"
#include "bench/xdp_trafficgen.skel.h"
#include "wire.h"

#define EXIT_USAGE	2
#define EXIT_CANNOT	4

#define SENDER_CPU	0
#define RECEIVER_CPU	1
#define BENCH_CPUS	2	/* the CPUs above, numbered from 0 */

/* Not rumor's default port: nothing else may answer on it. */
#define BENCH_PORT	27866
#define BENCH_SENDER	0x5e4d5e4d5e4d0001ULL
#define BENCH_ORIGIN	0x0123456789abcdefULL
#define BENCH_SEQ	1
/* A small update, a service record or a flag; the frame is 138 bytes. */
#define BENCH_PAYLOAD	64

/* The addresses frame_build() writes, so that B's stack accepts the frame. */
#define MAC_A		"02:00:00:00:00:01"
#define MAC_B		"02:00:00:00:00:02"
#define ADDR_A		"10.0.0.1/24"
#define ADDR_B		"10.0.0.2/24"

/* Frames per BPF_PROG_TEST_RUN call: a few milliseconds of sending. */
#define SENDER_REPEAT	(1U << 16)
/* Frames per redirect flush: the most the kernel allows. */
#define SENDER_BATCH	256

#define RECV_BATCH	64
#define RECV_BUF_LEN	2048
#define RECV_RCVBUF	(32 << 20)
/* So that the receiver sees the end of the run while nothing arrives. */
#define RECV_TIMEOUT_US	100000

/* Ids the receiver remembers: a power of two, kept at most half full. */
#define SEEN_SLOTS	(1U << 16)

/* Time for a phase's new state (XDP attached or not) to settle. */
#define SETTLE_SECONDS	0.25
#define MAX_ROUNDS	15
/* Share of a CPU taken by others beyond which the figures are suspect. */
#define OTHER_LOAD_WARN	0.15

static const char *prog_name = "veth-bench";

static void __attribute__((noreturn, format(printf, 2, 3)))
fail(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

#define die(...)	fail(EXIT_FAILURE, __VA_ARGS__)

struct bench {
	/* Network namespaces, by file descriptor. */
	int host_ns, snd_ns, rcv_ns;
	char a[IFNAMSIZ], b[IFNAMSIZ];
	int a_ifindex, b_ifindex;	/* each in its own namespace */
	pid_t napi_pid;			/* B's NAPI kthread */

	struct rumor_xdp *xdp;
	struct xdp_trafficgen *gen;
	struct frame frame;
	int rx_fd;			/* the receiver's UDP socket, in B's namespace */

	double seconds;			/* counting time of each phase */
	int rounds;
	int receiver_nice;

	/* Shared with the sender and receiver threads. */
	atomic_bool stop;
	atomic_uint_fast64_t sent;	/* frames run through xdp_trafficgen */
	atomic_uint_fast64_t received;	/* datagrams the receiver processed */
	atomic_int sender_tid, receiver_tid;
};

/* ---- time, CPUs, tasks ---- */

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_seconds(double s)
{
	struct timespec ts = {
		.tv_sec = (time_t)s,
		.tv_nsec = (long)((s - (double)(time_t)s) * 1e9),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

/* Pin task @pid (0: the calling thread) to @cpu. */
static void pin(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(pid, sizeof(set), &set))
		die("pinning task %d to CPU %d: %s", pid, cpu, strerror(errno));
}

/* Where a task was last seen running, and the CPU time it has used. */
struct task_sample {
	unsigned long long ticks;	/* utime + stime, clock ticks */
	int cpu;
};

/* Fields of /proc/PID/stat, numbered as in proc(5). */
#define STAT_UTIME	14
#define STAT_STIME	15
#define STAT_PROCESSOR	39

/* Thread @tid of process @pid: /proc/TID/stat would sum all the threads. */
static void task_sample(pid_t pid, pid_t tid, struct task_sample *t)
{
	char path[64], line[1024], *field[STAT_PROCESSOR + 1], *p, *save;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	f = fopen(path, "r");
	if (!f)
		die("%s: %s (task %d went away)", path, strerror(errno), tid);
	p = fgets(line, sizeof(line), f);
	fclose(f);
	/* The name, field 2, may hold spaces: count from the ')' after it. */
	p = p ? strrchr(p, ')') : NULL;
	if (!p)
		die("%s: unexpected format", path);
	for (i = 3, p = strtok_r(p + 1, " ", &save); p && i <= STAT_PROCESSOR;
	     i++, p = strtok_r(NULL, " ", &save))
		field[i] = p;
	if (i <= STAT_PROCESSOR)
		die("%s: unexpected format", path);
	t->ticks = strtoull(field[STAT_UTIME], NULL, 10) +
		   strtoull(field[STAT_STIME], NULL, 10);
	t->cpu = atoi(field[STAT_PROCESSOR]);
}

/* Time one CPU spent busy, and in all, from /proc/stat (clock ticks). */
struct cpu_sample {
	unsigned long long busy, total;
};

static void cpu_sample(int cpu, struct cpu_sample *s)
{
	unsigned long long v[8];
	char line[512], name[16];
	FILE *f = fopen("/proc/stat", "r");
	bool found = false;
	int i;

	if (!f)
		die("/proc/stat: %s", strerror(errno));
	snprintf(name, sizeof(name), "cpu%d ", cpu);
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, name, strlen(name));
	fclose(f);
	/* user nice system idle iowait irq softirq steal */
	if (!found ||
	    sscanf(line + strlen(name), "%llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		die("/proc/stat: no line for CPU %d", cpu);
	s->total = 0;
	for (i = 0; i < 8; i++)
		s->total += v[i];
	s->busy = s->total - v[3] - v[4];
}

/* ---- namespaces and the veth pair ---- */

static int netns_current(void)
{
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("/proc/thread-self/ns/net: %s", strerror(errno));
	return fd;
}

/* Move the calling thread (only) into network namespace @fd. */
static void netns_enter(int fd)
{
	if (setns(fd, CLONE_NEWNET))
		die("setns: %s", strerror(errno));
}

/* A new network namespace, anonymous; the calling thread stays in @home. */
static int netns_create(int home)
{
	int fd;

	if (unshare(CLONE_NEWNET))
		die("new network namespace: %s", strerror(errno));
	fd = netns_current();
	netns_enter(home);
	return fd;
}

#define MAX_IP_ARGS	24

/*
 * Run ip(8) with the NULL-terminated arguments in network namespace @ns;
 * on failure, die with the command and the first line ip printed.
 */
static void run_ip(int ns, ...)
{
	const char *argv[MAX_IP_ARGS + 2] = { "ip" };
	char cmd[512] = "ip", msg[256] = "", *nl;
	int pipefd[2], status, argc = 1;
	size_t len = 0;
	ssize_t n;
	va_list ap;
	pid_t pid;

	va_start(ap, ns);
	while (argc <= MAX_IP_ARGS && (argv[argc] = va_arg(ap, const char *)))
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %s",
			 argv[argc++]);
	va_end(ap);

	if (pipe2(pipefd, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		dup2(pipefd[1], STDERR_FILENO);
		if (setns(ns, CLONE_NEWNET))
			dprintf(STDERR_FILENO, "setns: %s\n", strerror(errno));
		else
			execvp("ip", (char **)argv);
		dprintf(STDERR_FILENO, "cannot run ip: %s (iproute2 missing?)\n",
			strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], msg + len, sizeof(msg) - 1 - len)) > 0)
		len += (size_t)n;
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return;
	msg[len] = '\0';
	nl = strchr(msg, '\n');
	if (nl)
		*nl = '\0';
	die("%s: %s", cmd, msg[0] ? msg : "failed");
}

/* ETHTOOL_SGRO, as `ethtool -K IFNAME gro on`, in the current namespace. */
static void gro_enable(const char *ifname)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_SGRO, .data = 1 };
	struct ifreq ifr;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		die("%s: enabling GRO: %s", ifname, strerror(errno));
	close(fd);
}

/* In a child process: see napi_make_threaded(). Returns an errno. */
static int napi_threaded_child(int ns, const char *ifname)
{
	char path[64];
	int fd;

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    setns(ns, CLONE_NEWNET) ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL))
		return errno;
	snprintf(path, sizeof(path), "/sys/class/net/%s/threaded", ifname);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, "1", 1) != 1)
		return errno;
	return 0;
}

/*
 * Give @ifname's NAPI a kthread of its own, through its sysfs attribute.
 * A sysfs instance shows the devices of the namespace that mounted it, so
 * a child mounts one inside @ns, in a private mount namespace that goes
 * away with it. The device must have NAPI already (up, GRO on).
 */
static void napi_make_threaded(int ns, const char *ifname)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid)
		_exit(napi_threaded_child(ns, ifname));
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("%s: making NAPI threaded: %s", ifname,
		    WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "killed");
}

/*
 * The kthread of @ifname's only NAPI instance, named "napi/IFNAME-ID"
 * (cut to 15 characters, like every task name; our interface names are
 * short enough to keep the dash).
 */
static pid_t napi_thread(const char *ifname)
{
	char prefix[16], path[300], comm[32];
	struct dirent *de;
	pid_t found = 0;
	int count = 0;
	DIR *proc;
	FILE *f;

	snprintf(prefix, sizeof(prefix), "napi/%s-", ifname);
	proc = opendir("/proc");
	if (!proc)
		die("/proc: %s", strerror(errno));
	while ((de = readdir(proc))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    !strncmp(comm, prefix, strlen(prefix))) {
			found = (pid_t)atoi(de->d_name);
			count++;
		}
		fclose(f);
	}
	closedir(proc);
	if (count != 1)
		die("%s: expected one NAPI kthread (%s...), found %d",
		    ifname, prefix, count);
	return found;
}

static int ifindex_in(int ns, int home, const char *ifname)
{
	int ifindex;

	netns_enter(ns);
	ifindex = (int)if_nametoindex(ifname);
	netns_enter(home);
	if (!ifindex)
		die("%s: %s", ifname, strerror(errno));
	return ifindex;
}

/*
 * Leaves the main thread in B's namespace, where it attaches and detaches
 * XDP and opens the receiver's socket.
 */
static void network_setup(struct bench *b)
{
	char peer_ns[64];

	b->host_ns = netns_current();
	b->snd_ns = netns_create(b->host_ns);
	b->rcv_ns = netns_create(b->host_ns);
	/* Short names: the NAPI kthread's name must keep "napi/NAME-". */
	snprintf(b->a, sizeof(b->a), "va%d", (int)getpid());
	snprintf(b->b, sizeof(b->b), "vb%d", (int)getpid());
	/* ip(8) opens the namespace by path: ours, through /proc. */
	snprintf(peer_ns, sizeof(peer_ns), "/proc/%d/fd/%d", (int)getpid(),
		 b->rcv_ns);

	/* One queue each: one ring, one NAPI instance, one kthread. */
	run_ip(b->snd_ns, "link", "add", b->a, "address", MAC_A,
	       "numtxqueues", "1", "numrxqueues", "1", "type", "veth",
	       "peer", "name", b->b, "address", MAC_B,
	       "numtxqueues", "1", "numrxqueues", "1", "netns", peer_ns, NULL);
	run_ip(b->snd_ns, "addr", "add", ADDR_A, "dev", b->a, NULL);
	run_ip(b->snd_ns, "link", "set", b->a, "up", NULL);
	run_ip(b->rcv_ns, "addr", "add", ADDR_B, "dev", b->b, NULL);
	run_ip(b->rcv_ns, "link", "set", b->b, "up", NULL);

	b->a_ifindex = ifindex_in(b->snd_ns, b->host_ns, b->a);
	b->b_ifindex = ifindex_in(b->rcv_ns, b->host_ns, b->b);
	netns_enter(b->rcv_ns);
	gro_enable(b->b);
	napi_make_threaded(b->rcv_ns, b->b);
	b->napi_pid = napi_thread(b->b);
	pin(b->napi_pid, RECEIVER_CPU);
}

/* ---- BPF programs ---- */

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* rumor_xdp with maps of its own, not the pinned ones of a node here. */
static struct rumor_xdp *rumor_xdp_load(void)
{
	struct rumor_xdp *skel;
	struct bpf_map *map;

	skel = rumor_xdp__open();
	if (!skel)
		die("opening rumor_xdp: %s", strerror(errno));
	bpf_object__for_each_map(map, skel->obj)
		if (bpf_map__set_pin_path(map, NULL))
			die("unpinning map %s", bpf_map__name(map));
	skel->rodata->rumor_xdp_config.port = BENCH_PORT;
	/* B's address, as rumorctl would find it: datagrams to it are B's. */
	skel->rodata->rumor_xdp_config.nr_addr4 = 1;
	skel->rodata->rumor_xdp_config.addr4[0] = htonl(FRAME_DADDR4);
	if (rumor_xdp__load(skel))
		die("loading rumor_xdp: %s (LIBBPF_LOG=1 shows why)",
		    strerror(errno));
	return skel;
}

static struct xdp_trafficgen *trafficgen_load(int ifindex)
{
	struct xdp_trafficgen *skel;

	skel = xdp_trafficgen__open();
	if (!skel)
		die("opening xdp_trafficgen: %s", strerror(errno));
	skel->rodata->target_ifindex = (__u32)ifindex;
	if (xdp_trafficgen__load(skel))
		die("loading xdp_trafficgen: %s (LIBBPF_LOG=1 shows why)",
		    strerror(errno));
	return skel;
}

/*
 * Each BPF_PROG_TEST_RUN of an XDP program adds it to the kernel's XDP
 * dispatcher and removes it again, and each change rebuilds the dispatcher
 * and waits for an RCU grace period: milliseconds asleep per call, most of
 * the sender's time. Attached to A, the program stays in the dispatcher
 * and a test run only takes a reference.
 */
static void trafficgen_attach(struct bench *b)
{
	int err;

	netns_enter(b->snd_ns);
	err = bpf_xdp_attach(b->a_ifindex,
			     bpf_program__fd(b->gen->progs.xdp_trafficgen),
			     XDP_FLAGS_DRV_MODE, NULL);
	netns_enter(b->rcv_ns);
	if (err)
		die("%s: attaching xdp_trafficgen in native mode: %s", b->a,
		    strerror(-err));
}

/* Native mode: the main thread is in B's namespace. */
static void xdp_attach(struct bench *b)
{
	int err;

	err = bpf_xdp_attach(b->b_ifindex,
			     bpf_program__fd(b->xdp->progs.rumor_xdp),
			     XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		die("%s: attaching rumor_xdp in native mode: %s", b->b,
		    strerror(-err));
}

static void xdp_detach(struct bench *b)
{
	int err;

	err = bpf_xdp_detach(b->b_ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		die("%s: detaching rumor_xdp: %s", b->b, strerror(-err));
}

/* gossip_duplicate summed over the CPUs. */
static uint64_t xdp_duplicates(const struct bench *b)
{
	const struct bpf_map *map = b->xdp->maps.stats;
	/* Per-CPU values are 8-byte aligned; the struct may grow. */
	size_t stride = (bpf_map__value_size(map) + 7) & ~(size_t)7;
	int cpus = libbpf_num_possible_cpus();
	uint64_t sum = 0, v;
	__u32 key = 0;
	char *vals;
	int cpu;

	vals = calloc((size_t)cpus, stride);
	if (!vals)
		die("out of memory");
	if (bpf_map__lookup_elem(map, &key, sizeof(key), vals,
				 stride * (size_t)cpus, 0))
		die("reading rumor_xdp's stats: %s", strerror(errno));
	for (cpu = 0; cpu < cpus; cpu++) {
		memcpy(&v, vals + (size_t)cpu * stride +
		       offsetof(struct rumor_xdp_stats, gossip_duplicate),
		       sizeof(v));
		sum += v;
	}
	free(vals);
	return sum;
}

/* ---- the frame ---- */

/* One GOSSIP in IPv4/UDP to BENCH_PORT, from A's MAC to B's. */
static void frame_make(struct frame *f)
{
	static const struct frame_shape ipv4 = { .family = 4 };
	uint8_t msg[RUMOR_WIRE_GOSSIP_HLEN + BENCH_PAYLOAD];
	int hlen;

	hlen = rumor_wire_put_gossip_hdr(msg, sizeof(msg), BENCH_SENDER, 0, 0,
					 BENCH_ORIGIN, BENCH_SEQ, BENCH_PAYLOAD);
	if (hlen < 0)
		die("cannot encode the GOSSIP");
	memset(msg + hlen, 'x', BENCH_PAYLOAD);
	frame_build(f, &ipv4, BENCH_PORT, msg, sizeof(msg));
}

/* ---- the sender: CPU 0 ---- */

static void *sender_main(void *arg)
{
	struct bench *b = arg;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = b->frame.data,
		.data_size_in = (__u32)b->frame.len,
		.repeat = SENDER_REPEAT,
		.batch_size = SENDER_BATCH,
		.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
	);
	int prog = bpf_program__fd(b->gen->progs.xdp_trafficgen), err;

	pin(0, SENDER_CPU);
	/* The redirect's ifindex is looked up in the caller's namespace. */
	netns_enter(b->snd_ns);
	atomic_store(&b->sender_tid, gettid());
	while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
		err = bpf_prog_test_run_opts(prog, &opts);
		if (err)
			die("sending with BPF_PROG_TEST_RUN, live frames: %s",
			    strerror(-err));
		atomic_fetch_add_explicit(&b->sent, SENDER_REPEAT,
					  memory_order_relaxed);
	}
	return NULL;
}

/* ---- the userspace receiver: CPU 1 ---- */

struct msg_id {
	uint64_t origin, seq;
};

/*
 * The ids seen, open addressing with linear probing. Origin 0 marks a free
 * slot: the parser refuses origin 0. At most half full, so a probe always
 * ends; ids beyond that are not remembered (the benchmark has one).
 */
struct seen_set {
	struct msg_id slot[SEEN_SLOTS];
	unsigned int count;
};

static uint64_t id_hash(uint64_t origin, uint64_t seq)
{
	uint64_t h = origin ^ (seq * 0x9e3779b97f4a7c15ULL);

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 29);
}

/* Whether (@origin, @seq) was in @s; inserts it if not. */
static bool seen_test_and_set(struct seen_set *s, uint64_t origin, uint64_t seq)
{
	unsigned int i = (unsigned int)id_hash(origin, seq) & (SEEN_SLOTS - 1);
	struct msg_id *id;

	for (;; i = (i + 1) & (SEEN_SLOTS - 1)) {
		id = &s->slot[i];
		if (id->origin == origin && id->seq == seq)
			return true;
		if (!id->origin)
			break;
	}
	if (s->count < SEEN_SLOTS / 2) {
		id->origin = origin;
		id->seq = seq;
		s->count++;
	}
	return false;
}

struct receiver {
	struct seen_set seen;
	struct mmsghdr msgs[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	uint8_t buf[RECV_BATCH][RECV_BUF_LEN];
	uint64_t fresh, duplicates, other;
};

/* What the module would do first with a datagram: parse it, dedup it. */
static void receive_datagram(struct receiver *r, const uint8_t *buf,
			     unsigned int len)
{
	struct rumor_msg msg;

	if (rumor_wire_parse(buf, len, &msg) != RUMOR_WIRE_OK ||
	    msg.type != RUMOR_WIRE_GOSSIP)
		r->other++;
	else if (seen_test_and_set(&r->seen, msg.gossip.origin, msg.gossip.seq))
		r->duplicates++;
	else
		r->fresh++;
}

static void *receiver_main(void *arg)
{
	struct bench *b = arg;
	struct receiver *r;
	int i, n;

	pin(0, RECEIVER_CPU);
	atomic_store(&b->receiver_tid, gettid());
	/* Nice values are per thread on Linux. */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), b->receiver_nice))
		die("receiver: nice %d: %s", b->receiver_nice, strerror(errno));
	r = calloc(1, sizeof(*r));
	if (!r)
		die("out of memory");
	for (i = 0; i < RECV_BATCH; i++) {
		r->iov[i].iov_base = r->buf[i];
		r->iov[i].iov_len = RECV_BUF_LEN;
		r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
		r->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
		n = recvmmsg(b->rx_fd, r->msgs, RECV_BATCH, MSG_WAITFORONE, NULL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			die("recvmmsg: %s", strerror(errno));
		for (i = 0; i < n; i++)
			receive_datagram(r, r->buf[i], r->msgs[i].msg_len);
		atomic_fetch_add_explicit(&b->received, (uint64_t)n,
					  memory_order_relaxed);
	}
	/* Every copy but the first is a duplicate, and nothing else came. */
	if (r->other || r->fresh > 1)
		die("receiver: %llu new ids, %llu other datagrams; expected one and none",
		    (unsigned long long)r->fresh, (unsigned long long)r->other);
	free(r);
	return NULL;
}

/* Bound to BENCH_PORT in B's namespace, where the main thread is. */
static int receiver_socket(void)
{
	struct timeval timeout = { .tv_usec = RECV_TIMEOUT_US };
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(BENCH_PORT),
	};
	int fd, size = RECV_RCVBUF;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	/* FORCE: beyond net.core.rmem_max, which is per namespace. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)))
		die("setsockopt: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("bind to port %d: %s", BENCH_PORT, strerror(errno));
	return fd;
}

/* Datagrams the stack delivered but the socket had no room for. */
static uint64_t receiver_drops(const struct bench *b)
{
	__u32 mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(b->rx_fd, SOL_SOCKET, SO_MEMINFO, mem, &len) ||
	    len <= SK_MEMINFO_DROPS * sizeof(mem[0]))
		die("SO_MEMINFO: %s", len ? strerror(errno) : "too short");
	return mem[SK_MEMINFO_DROPS];
}

/* ---- phases ---- */

enum bench_case { CASE_XDP, CASE_USER, NR_CASES };

static const char *const case_name[NR_CASES] = { "xdp", "user" };

/* The tasks of the benchmark, whose CPU time and placement are reported. */
enum bench_task { TASK_SENDER, TASK_NAPI, TASK_RECEIVER, NR_TASKS };

static const char *const task_name[NR_TASKS] = { "sender", "napi", "receiver" };
static const int task_home[NR_TASKS] = {
	SENDER_CPU, RECEIVER_CPU, RECEIVER_CPU
};

struct sample {
	double t;
	uint64_t sent, dropped, received;
	uint32_t sock_drops;			/* wraps */
	struct cpu_sample cpu[BENCH_CPUS];
	struct task_sample task[NR_TASKS];
};

static void sample_take(struct bench *b, struct sample *s)
{
	const pid_t pid[NR_TASKS] = {
		[TASK_SENDER] = getpid(),
		[TASK_NAPI] = b->napi_pid,
		[TASK_RECEIVER] = getpid(),
	};
	const pid_t tid[NR_TASKS] = {
		[TASK_SENDER] = atomic_load(&b->sender_tid),
		[TASK_NAPI] = b->napi_pid,
		[TASK_RECEIVER] = atomic_load(&b->receiver_tid),
	};
	int i;

	s->t = now_seconds();
	s->sent = atomic_load(&b->sent);
	s->dropped = xdp_duplicates(b);
	s->received = atomic_load(&b->received);
	s->sock_drops = (uint32_t)receiver_drops(b);
	for (i = 0; i < BENCH_CPUS; i++)
		cpu_sample(i, &s->cpu[i]);
	for (i = 0; i < NR_TASKS; i++)
		task_sample(pid[i], tid[i], &s->task[i]);
}

/*
 * One phase's figures. Busy times are fractions of one CPU: a CPU's covers
 * everything that ran there, a task's only that task, so the difference
 * on CPU 1 is what else ran there (interrupts aside).
 */
struct phase {
	double pps;			/* the case's figure */
	double sent_pps;		/* frames run through xdp_trafficgen */
	double sock_drop_pps;		/* datagrams the receiver's socket dropped */
	double cpu_busy[BENCH_CPUS];
	double task_busy[NR_TASKS];
	int task_cpu[NR_TASKS];		/* where each was last seen */
};

static double busy(unsigned long long ticks, double seconds)
{
	return (double)ticks / (seconds * (double)sysconf(_SC_CLK_TCK));
}

static void phase_figures(enum bench_case c, const struct sample *s0,
			  const struct sample *s1, struct phase *p)
{
	double dt = s1->t - s0->t;
	uint64_t count;
	int i;

	count = c == CASE_XDP ? s1->dropped - s0->dropped
			      : s1->received - s0->received;
	p->pps = (double)count / dt;
	p->sent_pps = (double)(s1->sent - s0->sent) / dt;
	p->sock_drop_pps = (double)(uint32_t)(s1->sock_drops - s0->sock_drops) / dt;
	for (i = 0; i < BENCH_CPUS; i++)
		p->cpu_busy[i] = (double)(s1->cpu[i].busy - s0->cpu[i].busy) /
				 (double)(s1->cpu[i].total - s0->cpu[i].total);
	for (i = 0; i < NR_TASKS; i++) {
		p->task_busy[i] = busy(s1->task[i].ticks - s0->task[i].ticks, dt);
		p->task_cpu[i] = s1->task[i].cpu;
	}
}

static void phase_run(struct bench *b, enum bench_case c, struct phase *p)
{
	struct sample s0, s1;

	if (c == CASE_XDP)
		xdp_attach(b);
	sleep_seconds(SETTLE_SECONDS);
	sample_take(b, &s0);
	sleep_seconds(b->seconds);
	sample_take(b, &s1);
	if (c == CASE_XDP)
		xdp_detach(b);
	phase_figures(c, &s0, &s1, p);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of the double at offset @off in each of @n phases. */
static double median(const struct phase *p, int n, size_t off)
{
	double v[MAX_ROUNDS];
	int i;

	for (i = 0; i < n; i++)
		memcpy(&v[i], (const char *)&p[i] + off, sizeof(v[i]));
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MEDIAN(p, n, field)	median(p, n, offsetof(struct phase, field))

/* "-1" unless every phase saw the task on the same CPU. */
static int task_cpu(struct phase res[][MAX_ROUNDS], int rounds, int task)
{
	int c, r, cpu = res[0][0].task_cpu[task];

	for (c = 0; c < NR_CASES; c++)
		for (r = 0; r < rounds; r++)
			if (res[c][r].task_cpu[task] != cpu)
				return -1;
	return cpu;
}

static void print_case(const struct phase *p, int n, const char *name)
{
	int i;

	printf(", \"%s_sent_pps\": %.0f, \"%s_sock_drop_pps\": %.0f", name,
	       MEDIAN(p, n, sent_pps), name, MEDIAN(p, n, sock_drop_pps));
	printf(", \"%s_cpu0_busy\": %.2f, \"%s_cpu1_busy\": %.2f", name,
	       MEDIAN(p, n, cpu_busy[0]), name, MEDIAN(p, n, cpu_busy[1]));
	for (i = 0; i < NR_TASKS; i++)
		printf(", \"%s_%s_busy\": %.2f", name, task_name[i],
		       MEDIAN(p, n, task_busy[i]));
	printf(", \"%s_runs\": [", name);
	for (i = 0; i < n; i++)
		printf("%s%.0f", i ? ", " : "", p[i].pps);
	printf("]");
}

static void print_json(const struct bench *b, struct phase res[][MAX_ROUNDS])
{
	double xdp = MEDIAN(res[CASE_XDP], b->rounds, pps);
	double user = MEDIAN(res[CASE_USER], b->rounds, pps);
	int i;

	printf("{\"case\": \"veth\", \"xdp_pps\": %.0f, \"user_pps\": %.0f, "
	       "\"ratio\": %.2f, \"seconds\": %.2f, \"rounds\": %d, "
	       "\"frame_len\": %zu, \"receiver_nice\": %d",
	       xdp, user, user > 0 ? xdp / user : 0.0, b->seconds, b->rounds,
	       b->frame.len, b->receiver_nice);
	for (i = 0; i < NR_TASKS; i++)
		printf(", \"%s_cpu\": %d", task_name[i],
		       task_cpu(res, b->rounds, i));
	for (i = 0; i < NR_CASES; i++)
		print_case(res[i], b->rounds, case_name[i]);
	printf("}\n");
}

/*
 * Pinning is what "one core each" rests on: say so if a task was seen
 * anywhere else (the figures are printed all the same).
 */
static void check_placement(struct phase res[][MAX_ROUNDS], int rounds)
{
	int i, cpu;

	for (i = 0; i < NR_TASKS; i++) {
		cpu = task_cpu(res, rounds, i);
		if (cpu != task_home[i])
			fprintf(stderr,
				"%s: warning: the %s thread was not always on CPU %d\n",
				prog_name, task_name[i], task_home[i]);
	}
}

/*
 * The most of one CPU that went to anything but our tasks in any phase
 * (interrupts included, and the main thread on CPU 0, both small).
 */
static double other_load(struct phase res[][MAX_ROUNDS], int rounds, int cpu)
{
	double other, most = 0;
	int c, r, i;

	for (c = 0; c < NR_CASES; c++) {
		for (r = 0; r < rounds; r++) {
			other = res[c][r].cpu_busy[cpu];
			for (i = 0; i < NR_TASKS; i++)
				if (task_home[i] == cpu)
					other -= res[c][r].task_busy[i];
			if (other > most)
				most = other;
		}
	}
	return most;
}

/* Other work on our CPUs skews the figures: say so. */
static void check_quiet(struct phase res[][MAX_ROUNDS], int rounds)
{
	int cpu;
	double other;

	for (cpu = 0; cpu < BENCH_CPUS; cpu++) {
		other = other_load(res, rounds, cpu);
		if (other > OTHER_LOAD_WARN)
			fprintf(stderr,
				"%s: warning: up to %.0f%% of CPU %d went to other work: the figures are unreliable\n",
				prog_name, other * 100, cpu);
	}
}

/* ---- main ---- */

/* The threads' ids are needed by the first sample of their CPU time. */
static void wait_for_threads(struct bench *b)
{
	while (!atomic_load(&b->sender_tid) || !atomic_load(&b->receiver_tid))
		sleep_seconds(0.001);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [-t SECONDS] [-r ROUNDS] [-n NICE]\n"
		"  -t  counting time of each phase (default 1)\n"
		"  -r  rounds of (xdp, user) phases, medians printed\n"
		"      (default 5, at most %d)\n"
		"  -n  nice value of the userspace receiver (default 0); below 0 it gets\n"
		"      more of CPU 1 from B's NAPI kthread\n",
		prog_name, MAX_ROUNDS);
	exit(EXIT_USAGE);
}

static void parse_args(struct bench *b, int argc, char **argv)
{
	char *end;
	int opt;

	while ((opt = getopt(argc, argv, "t:r:n:h")) != -1) {
		switch (opt) {
		case 't':
			b->seconds = strtod(optarg, &end);
			if (*end || !(b->seconds >= 0.1 && b->seconds <= 600))
				usage();
			break;
		case 'r':
			b->rounds = (int)strtol(optarg, &end, 10);
			if (*end || b->rounds < 1 || b->rounds > MAX_ROUNDS)
				usage();
			break;
		case 'n':
			b->receiver_nice = (int)strtol(optarg, &end, 10);
			if (*end || b->receiver_nice < -20 || b->receiver_nice > 19)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
}

static void check_host(void)
{
	if (geteuid())
		fail(EXIT_CANNOT, "needs root (network namespaces, XDP, BPF)");
	if (sysconf(_SC_NPROCESSORS_ONLN) < BENCH_CPUS)
		fail(EXIT_CANNOT, "needs two CPUs, one for each side");
}

int main(int argc, char **argv)
{
	static struct bench b = { .seconds = 1.0, .rounds = 5 };
	static struct phase res[NR_CASES][MAX_ROUNDS];
	pthread_t sender, receiver;
	int round, c, err;

	parse_args(&b, argc, argv);
	check_host();
	if (!getenv("LIBBPF_LOG"))
		libbpf_set_print(libbpf_quiet);
	/* CPU 1 is the receive side's alone; our threads inherit this. */
	pin(0, SENDER_CPU);

	network_setup(&b);
	b.xdp = rumor_xdp_load();
	b.gen = trafficgen_load(b.a_ifindex);
	trafficgen_attach(&b);
	frame_make(&b.frame);
	b.rx_fd = receiver_socket();

	err = pthread_create(&receiver, NULL, receiver_main, &b);
	if (!err)
		err = pthread_create(&sender, NULL, sender_main, &b);
	if (err)
		die("pthread_create: %s", strerror(err));
	wait_for_threads(&b);

	for (round = 0; round < b.rounds; round++)
		for (c = 0; c < NR_CASES; c++)
			phase_run(&b, (enum bench_case)c, &res[c][round]);

	atomic_store(&b.stop, true);
	pthread_join(sender, NULL);
	pthread_join(receiver, NULL);
	check_placement(res, b.rounds);
	check_quiet(res, b.rounds);
	print_json(&b, res);
	return 0;
}
