// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl xdp { attach dev IFNAME [port PORT] [mode native|skb]
 *                [max-origins N] [addr ADDR]... | detach dev IFNAME | stats }
 *
 * The loader of bpf/rumor_xdp.bpf.c, through its bpftool skeleton. A node
 * is a network namespace: all interfaces of one namespace share one set of
 * maps (one dedup state, one set of counters), pinned by name under the
 * namespace's pin directory (see docs/xdp.md):
 *
 *   /sys/fs/bpf/rumor/{stats,origins,notices,peers} initial namespace
 *   /sys/fs/bpf/rumor/netns/NAME/...               /run/netns/NAME
 *   /sys/fs/bpf/rumor/netns/ino-INODE/...          unnamed namespaces
 *
 * The program is attached over netlink, so it stays after rumorctl exits;
 * the pins keep the maps between attachments. When the last interface of
 * the namespace loses its program, detach removes the pins, and the next
 * attach starts with empty windows and zero counters.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/rumor.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nl.h"
#include "rumorctl.h"
#include "../../bpf/rumor_xdp.h"
#include "bpf/rumor_xdp.skel.h"
#include "window.h"

#define BPFFS		"/sys/fs/bpf"

/* Why the kernel refused the last netlink request, as libbpf reported it. */
static char kernel_msg[512];

/*
 * libbpf talks to stderr by default; rumorctl errors are one line each. Keep
 * the kernel's extack message (it says why an attach failed) and drop the
 * rest; LIBBPF_LOG=1 in the environment shows everything, verifier log
 * included.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	static const char tag[] = "Kernel error message: ";
	static int verbose = -1;
	char line[512];
	size_t len;

	if (verbose < 0)
		verbose = getenv("LIBBPF_LOG") != NULL;
	if (verbose)
		return vfprintf(stderr, fmt, ap);
	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (!strncmp(line, "libbpf: ", 8) && !strncmp(line + 8, tag, sizeof(tag) - 1)) {
		snprintf(kernel_msg, sizeof(kernel_msg), "%s",
			 line + 8 + sizeof(tag) - 1);
		len = strlen(kernel_msg);
		if (len && kernel_msg[len - 1] == '\n')
			kernel_msg[len - 1] = '\0';
	}
	return 0;
}

/* strerror(-err), plus the kernel's own explanation when it gave one. */
static const char *why(int err)
{
	static char buf[600];

	if (kernel_msg[0])
		snprintf(buf, sizeof(buf), "%s (%s)", strerror(-err), kernel_msg);
	else
		snprintf(buf, sizeof(buf), "%s", strerror(-err));
	kernel_msg[0] = '\0';
	return buf;
}

/* ---- where this node's maps are pinned ---- */

struct pins {
	char dir[512];		/* the node's pin directory */
	char stats[PATH_MAX];
	char origins[PATH_MAX];
	char notices[PATH_MAX];
	char peers[PATH_MAX];
	bool in_netns_dir;	/* dir is RUMOR_XDP_PIN_ROOT/netns/... */
};

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/*
 * The name under /run/netns of the namespace we are in. Several names may
 * refer to one namespace; every rumorctl picks the smallest, so that
 * `rumorctl -n a` and a shell inside that namespace agree.
 */
static bool netns_name(const struct stat *self, char *name, size_t len)
{
	char path[PATH_MAX];
	struct dirent *d;
	struct stat st;
	bool found = false;
	DIR *dir;

	dir = opendir("/run/netns");
	if (!dir)
		return false;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", d->d_name);
		if (stat(path, &st) || !same_file(&st, self))
			continue;
		if (strlen(d->d_name) >= len)
			continue;
		if (!found || strcmp(d->d_name, name) < 0)
			snprintf(name, len, "%s", d->d_name);
		found = true;
	}
	closedir(dir);
	return found;
}

/*
 * Are we in the initial network namespace? That is, the one of PID 1. When
 * its namespace links are closed to us (ptrace rules: a sandbox, or fewer
 * capabilities than PID 1), tell by a sysctl that the kernel registers in
 * the initial namespace only (net_core_table, every kernel since 2.6).
 */
static int in_initial_netns(const struct stat *self)
{
	struct stat init;

	if (!stat("/proc/1/ns/net", &init))
		return same_file(self, &init);
	if (errno != EACCES && errno != EPERM)
		return -1;
	return !access("/proc/sys/net/core/netdev_max_backlog", F_OK);
}

static int find_pins(struct pins *p)
{
	struct stat self;
	struct statfs fs;
	char name[NAME_MAX + 1];
	int init;

	memset(p, 0, sizeof(*p));
	if (statfs(BPFFS, &fs) || fs.f_type != BPF_FS_MAGIC)
		return rumorctl_fail("%s is not a BPF filesystem (mount -t bpf bpf %s; "
				     "inside 'ip netns exec' use 'rumorctl -n NETNS' instead)",
				     BPFFS, BPFFS);
	if (stat("/proc/self/ns/net", &self) || (init = in_initial_netns(&self)) < 0)
		return rumorctl_fail("cannot identify the network namespace: %s",
				     strerror(errno));
	if (init) {
		snprintf(p->dir, sizeof(p->dir), "%s", RUMOR_XDP_PIN_ROOT);
	} else {
		p->in_netns_dir = true;
		if (netns_name(&self, name, sizeof(name)))
			snprintf(p->dir, sizeof(p->dir), "%s/%s/%s",
				 RUMOR_XDP_PIN_ROOT, RUMOR_XDP_PIN_NETNS, name);
		else
			snprintf(p->dir, sizeof(p->dir), "%s/%s/ino-%lu",
				 RUMOR_XDP_PIN_ROOT, RUMOR_XDP_PIN_NETNS,
				 (unsigned long)self.st_ino);
	}
	snprintf(p->stats, sizeof(p->stats), "%s/%s", p->dir, RUMOR_XDP_STATS_MAP);
	snprintf(p->origins, sizeof(p->origins), "%s/%s", p->dir,
		 RUMOR_XDP_ORIGINS_MAP);
	snprintf(p->notices, sizeof(p->notices), "%s/%s", p->dir,
		 RUMOR_XDP_NOTICES_MAP);
	snprintf(p->peers, sizeof(p->peers), "%s/%s", p->dir,
		 RUMOR_XDP_PEERS_MAP);
	return 0;
}

static int make_dirs(const struct pins *p)
{
	char path[PATH_MAX];
	char *slash;

	/* Every directory below /sys/fs/bpf on the way, then the node's. */
	snprintf(path, sizeof(path), "%s", p->dir);
	for (slash = path + strlen(BPFFS) + 1; ; slash++) {
		slash = strchr(slash, '/');
		if (slash)
			*slash = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return rumorctl_fail("cannot create %s: %s", path,
					     strerror(errno));
		if (!slash)
			return 0;
		*slash = '/';
	}
}

/*
 * attach and detach of all namespaces take this lock, so that a detach
 * never removes pins that a concurrent attach has just started to use.
 */
static int lock_pins(void)
{
	int fd = open(BPFFS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || flock(fd, LOCK_EX)) {
		rumorctl_fail("cannot lock %s: %s", BPFFS, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;	/* closing it unlocks */
}

/* ---- the programs on an interface ---- */

struct xdp_mode {
	const char *name;
	__u32 flag;
};

static const struct xdp_mode MODE_NATIVE = { "native", XDP_FLAGS_DRV_MODE };
static const struct xdp_mode MODE_SKB = { "skb", XDP_FLAGS_SKB_MODE };
static const struct xdp_mode MODE_HW = { "hw", XDP_FLAGS_HW_MODE };

/* What is attached to one interface, per mode. */
struct slot {
	const struct xdp_mode *mode;
	__u32 id;		/* 0: nothing in this mode */
	bool ours;		/* a rumor_xdp program */
	char name[BPF_OBJ_NAME_LEN];
};

static int query(int ifindex, struct slot slots[3])
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int i, err;

	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	slots[0] = (struct slot){ .mode = &MODE_NATIVE, .id = q.drv_prog_id };
	slots[1] = (struct slot){ .mode = &MODE_SKB, .id = q.skb_prog_id };
	slots[2] = (struct slot){ .mode = &MODE_HW, .id = q.hw_prog_id };
	for (i = 0; i < 3; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (!slots[i].id)
			continue;
		fd = bpf_prog_get_fd_by_id(slots[i].id);
		if (fd < 0)
			continue;	/* gone meanwhile */
		if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
			snprintf(slots[i].name, sizeof(slots[i].name), "%s", info.name);
			slots[i].ours = !strcmp(info.name, RUMOR_XDP_PROG_NAME);
		}
		close(fd);
	}
	return 0;
}

/*
 * Take our program off @ifindex in @mode, unless someone replaced it since
 * we looked (XDP_FLAGS_REPLACE compares with the program we saw).
 */
static int detach_slot(int ifindex, const struct slot *s)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	int fd, err;

	fd = bpf_prog_get_fd_by_id(s->id);
	if (fd < 0)
		return 0;	/* already gone */
	o.old_prog_fd = fd;
	err = bpf_xdp_detach(ifindex, s->mode->flag | XDP_FLAGS_REPLACE, &o);
	close(fd);
	return err;
}

/* Does any interface of this namespace still run rumor_xdp? */
static bool xdp_in_use(void)
{
	struct if_nameindex *ifs, *i;
	struct slot slots[3];
	bool used = false;
	int k;

	ifs = if_nameindex();
	if (!ifs)
		return true;	/* cannot tell: keep the pins */
	for (i = ifs; i->if_index && !used; i++) {
		if (query((int)i->if_index, slots))
			continue;
		for (k = 0; k < 3; k++)
			used |= slots[k].ours;
	}
	if_freenameindex(ifs);
	return used;
}

/* Remove the node's pins if no interface uses them; true if removed. */
static bool remove_pins_if_unused(const struct pins *p)
{
	char path[PATH_MAX];
	bool had;

	if (xdp_in_use())
		return false;
	had = !access(p->stats, F_OK) || !access(p->origins, F_OK);
	unlink(p->stats);
	unlink(p->origins);
	unlink(p->notices);
	unlink(p->peers);
	/* Fails harmlessly while other namespaces' directories remain. */
	rmdir(p->dir);
	if (p->in_netns_dir) {
		snprintf(path, sizeof(path), "%s/%s", RUMOR_XDP_PIN_ROOT,
			 RUMOR_XDP_PIN_NETNS);
		rmdir(path);
		rmdir(RUMOR_XDP_PIN_ROOT);
	}
	return had;
}

/*
 * What attach and detach both start with: the interface, this node's pins,
 * the pin lock, and what @dev runs now. Returns the lock's descriptor, or
 * minus the exit code after printing why not.
 */
static int prepare(const char *what, const char *dev, int *ifindex,
		   struct pins *pins, struct slot slots[3])
{
	int lock, err;

	if (!dev)
		return -rumorctl_usage("xdp %s: dev IFNAME is required", what);
	if (geteuid() != 0)
		return -rumorctl_fail("xdp %s: must be run as root", what);
	*ifindex = (int)if_nametoindex(dev);
	if (!*ifindex)
		return -rumorctl_fail("unknown interface '%s'", dev);
	if (find_pins(pins))
		return -RUMORCTL_EXIT_FAIL;
	lock = lock_pins();
	if (lock < 0)
		return -RUMORCTL_EXIT_FAIL;
	err = query(*ifindex, slots);
	if (err) {
		close(lock);
		return -rumorctl_fail("%s: cannot query XDP: %s", dev, why(err));
	}
	return lock;
}

/* ---- attach ---- */

static int port_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RUMOR_A_MAX + 1] = { 0 };
	uint16_t *port = data;

	if (!rumor_nl_parse(nlh, tb, RUMOR_A_MAX) && tb[RUMOR_A_STATE] &&
	    mnl_attr_get_u8(tb[RUMOR_A_STATE]) == RUMOR_STATE_UP &&
	    tb[RUMOR_A_PORT])
		*port = mnl_attr_get_u16(tb[RUMOR_A_PORT]);
	return MNL_CB_OK;
}

/*
 * The port XDP should watch when none is given: the one this namespace's
 * rumor instance listens on, or the default when rumor is not up here.
 */
static uint16_t instance_port(void)
{
	uint16_t port = RUMOR_DEFAULT_PORT;
	struct rumor_nl *nl = rumor_nl_open_quiet();

	if (nl)
		rumor_nl_talk(nl, rumor_nl_request(nl, RUMOR_CMD_GET, NLM_F_ACK),
			      port_cb, &port);
	rumor_nl_close(nl);
	return port;
}

/* Windows in the pinned origin table, 0 if there is none. */
static __u32 pinned_max_origins(const struct pins *p)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(p->origins);

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.max_entries = 0;
	close(fd);
	return info.max_entries * RUMOR_XDP_ORIGIN_WAYS;
}

/* Add @a to the addresses XDP judges datagrams to; duplicates once. */
static int add_addr(struct rumor_xdp_config *cfg, int family, const void *a)
{
	__u8 *n = family == AF_INET ? &cfg->nr_addr4 : &cfg->nr_addr6;
	size_t len = family == AF_INET ? 4 : 16;
	void *table = family == AF_INET ? (void *)cfg->addr4 : (void *)cfg->addr6;
	int i;

	for (i = 0; i < *n; i++)
		if (!memcmp((char *)table + i * len, a, len))
			return 0;
	if (*n >= RUMOR_XDP_MAX_ADDRS)
		return -E2BIG;
	memcpy((char *)table + (*n)++ * len, a, len);
	return 0;
}

/*
 * Every address of this network namespace: XDP judges only datagrams sent
 * to the node, and passes what it routes for others.
 */
static int namespace_addrs(struct rumor_xdp_config *cfg)
{
	struct ifaddrs *ifa, *i;
	int err = 0;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i && !err; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			err = add_addr(cfg, AF_INET,
				       &((struct sockaddr_in *)i->ifa_addr)->sin_addr);
		else if (i->ifa_addr->sa_family == AF_INET6)
			err = add_addr(cfg, AF_INET6,
				       &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
	}
	freeifaddrs(ifa);
	return err;
}

/* The origin table holds a power of two of windows: sets are indexed by mask. */
static __u32 round_origins(uint64_t n)
{
	__u32 r = RUMOR_XDP_MIN_ORIGINS;

	while (r < n && r < RUMOR_XDP_MAX_ORIGINS)
		r <<= 1;
	return r;
}

/*
 * The kernel's HZ, for the jiffies the program reads on its fast path: from
 * the kernel's config, as libbpf finds it. An unknown HZ only makes the
 * idle time before a window may be reused differ; notices are timed by the
 * clock.
 */
static __u32 kernel_hz(void)
{
	char path[PATH_MAX], line[256];
	struct utsname uts;
	unsigned int hz = 0;
	gzFile f = NULL;

	if (!uname(&uts)) {
		snprintf(path, sizeof(path), "/boot/config-%s", uts.release);
		f = gzopen(path, "re");
	}
	if (!f)
		f = gzopen("/proc/config.gz", "re");
	while (f && gzgets(f, line, sizeof(line)))
		if (sscanf(line, "CONFIG_HZ=%u", &hz) == 1)
			break;
	if (f)
		gzclose(f);
	return hz >= 24 && hz <= 10000 ? hz : RUMOR_XDP_DEFAULT_HZ;
}

/*
 * Put @prog_fd on @ifindex in @mode. Our own program in the same mode is
 * replaced atomically (XDP_FLAGS_REPLACE), so dedup never stops. Native and
 * skb programs cannot coexist on one interface, so ours in the other mode
 * is taken off first, and put back if the new one cannot be attached.
 */
static int attach_mode(int ifindex, int prog_fd, const struct xdp_mode *mode,
		       const struct slot slots[3])
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	const struct slot *moved = NULL;
	int i, fd, err = 0, old_fd = -1, moved_fd = -1;
	__u32 flags;

	for (i = 0; i < 3; i++) {
		if (!slots[i].ours || slots[i].mode == &MODE_HW)
			continue;
		fd = bpf_prog_get_fd_by_id(slots[i].id);
		if (fd < 0)
			continue;	/* gone meanwhile */
		if (slots[i].mode == mode) {
			old_fd = fd;
			continue;
		}
		o.old_prog_fd = fd;
		err = bpf_xdp_detach(ifindex, slots[i].mode->flag | XDP_FLAGS_REPLACE,
				     &o);
		if (err) {
			close(fd);
			goto out;
		}
		moved = &slots[i];
		moved_fd = fd;
	}

	/* libbpf adds XDP_FLAGS_REPLACE whenever old_prog_fd is set. */
	o.old_prog_fd = old_fd >= 0 ? old_fd : 0;
	flags = mode->flag |
		(old_fd >= 0 ? XDP_FLAGS_REPLACE : XDP_FLAGS_UPDATE_IF_NOEXIST);
	err = bpf_xdp_attach(ifindex, prog_fd, flags, &o);
	if (err && moved) {
		char msg[sizeof(kernel_msg)];

		memcpy(msg, kernel_msg, sizeof(msg));
		bpf_xdp_attach(ifindex, moved_fd,
			       moved->mode->flag | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
		memcpy(kernel_msg, msg, sizeof(msg));
	}
out:
	if (old_fd >= 0)
		close(old_fd);
	if (moved_fd >= 0)
		close(moved_fd);
	return err;
}

static int xdp_attach(int argc, char **argv)
{
	const char *dev = NULL, *mode_arg = NULL;
	const struct xdp_mode *mode = NULL;
	char fallback[700] = "";
	struct rumor_xdp *skel = NULL;
	uint16_t port = 0;
	uint64_t max_origins = 0;
	struct rumor_xdp_config addrs = {};
	struct rumorctl_addr a;
	struct slot slots[3];
	struct pins pins;
	int i, ifindex, lock, err, rc = RUMORCTL_EXIT_FAIL;
	__u32 pinned;

	for (i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return rumorctl_usage("xdp attach: '%s' needs a value", argv[i]);
		if (!strcmp(argv[i], "dev")) {
			dev = argv[i + 1];
		} else if (!strcmp(argv[i], "port")) {
			if (rumorctl_parse_port(argv[i + 1], &port))
				return rumorctl_usage("bad port '%s'", argv[i + 1]);
		} else if (!strcmp(argv[i], "mode")) {
			mode_arg = argv[i + 1];
			if (!strcmp(mode_arg, "native"))
				mode = &MODE_NATIVE;
			else if (!strcmp(mode_arg, "skb"))
				mode = &MODE_SKB;
			else
				return rumorctl_usage("bad mode '%s': native or skb",
						      mode_arg);
		} else if (!strcmp(argv[i], "addr")) {
			if (rumorctl_parse_addr(argv[i + 1], &a) || a.port)
				return rumorctl_usage("bad addr '%s': an IPv4 or IPv6 address",
						      argv[i + 1]);
			if (add_addr(&addrs, a.family, a.addr))
				return rumorctl_usage("at most %d addresses of each family",
						      RUMOR_XDP_MAX_ADDRS);
		} else if (!strcmp(argv[i], "max-origins")) {
			if (rumorctl_parse_u64(argv[i + 1], RUMOR_MAX_ORIGINS_LIMIT,
					       &max_origins) || !max_origins)
				return rumorctl_usage("bad max-origins '%s': 1 to %u",
						      argv[i + 1],
						      RUMOR_MAX_ORIGINS_LIMIT);
		} else {
			return rumorctl_usage("xdp attach: unknown argument '%s'",
					      argv[i]);
		}
	}
	lock = prepare("attach", dev, &ifindex, &pins, slots);
	if (lock < 0)
		return -lock;
	if (!port)
		port = instance_port();
	for (i = 0; i < 3; i++) {
		if (slots[i].id && !slots[i].ours) {
			rumorctl_fail("%s already runs XDP program '%s' (id %u) in %s mode; not replacing it",
				      dev, slots[i].name, slots[i].id,
				      slots[i].mode->name);
			goto out;
		}
	}

	/* The table is shared by the node's interfaces: one size for all. */
	pinned = pinned_max_origins(&pins);
	if (pinned && max_origins && pinned != round_origins(max_origins)) {
		rumorctl_fail("this node's origin table has %u entries; detach from every interface to resize it",
			      pinned);
		goto out;
	}
	if (!max_origins)
		max_origins = pinned ? pinned : RUMOR_DEFAULT_MAX_ORIGINS;
	max_origins = round_origins(max_origins);

	if (!addrs.nr_addr4 && !addrs.nr_addr6) {
		err = namespace_addrs(&addrs);
		if (err == -E2BIG) {
			rumorctl_fail("this namespace has more than %d addresses of a family; name those rumor uses with 'addr ADDR'",
				      RUMOR_XDP_MAX_ADDRS);
			goto out;
		}
		if (err) {
			rumorctl_fail("cannot list this namespace's addresses: %s",
				      strerror(-err));
			goto out;
		}
	}

	if (make_dirs(&pins))
		goto out;
	{
		LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pins.dir);

		skel = rumor_xdp__open_opts(&oo);
	}
	if (!skel) {
		rumorctl_fail("cannot open the XDP program: %s", why(-errno));
		goto cleanup;
	}
	skel->rodata->rumor_xdp_config.port = port;
	skel->rodata->rumor_xdp_config.origin_sets =
		(__u32)max_origins / RUMOR_XDP_ORIGIN_WAYS;
	skel->rodata->rumor_xdp_config.hz = kernel_hz();
	skel->rodata->rumor_xdp_config.nr_addr4 = addrs.nr_addr4;
	skel->rodata->rumor_xdp_config.nr_addr6 = addrs.nr_addr6;
	memcpy((void *)skel->rodata->rumor_xdp_config.addr4, addrs.addr4,
	       sizeof(addrs.addr4));
	memcpy((void *)skel->rodata->rumor_xdp_config.addr6, addrs.addr6,
	       sizeof(addrs.addr6));
	err = bpf_map__set_max_entries(skel->maps.origins,
				       (__u32)max_origins / RUMOR_XDP_ORIGIN_WAYS);
	if (!err)
		err = rumor_xdp__load(skel);
	if (err) {
		rumorctl_fail("cannot load the XDP program: %s (maps pinned in %s from another rumor version? "
			      "LIBBPF_LOG=1 shows libbpf's log)", why(err), pins.dir);
		goto cleanup;
	}

	if (mode) {
		err = attach_mode(ifindex, bpf_program__fd(skel->progs.rumor_xdp),
				  mode, slots);
	} else {
		mode = &MODE_NATIVE;
		err = attach_mode(ifindex, bpf_program__fd(skel->progs.rumor_xdp),
				  mode, slots);
		if (err) {
			snprintf(fallback, sizeof(fallback),
				 "native mode failed: %s", why(err));
			/* What is there now: ours in skb mode, if it was. */
			if (query(ifindex, slots))
				memset(slots, 0, sizeof(slots));
			mode = &MODE_SKB;
			err = attach_mode(ifindex,
					  bpf_program__fd(skel->progs.rumor_xdp),
					  mode, slots);
		}
	}
	if (err) {
		rumorctl_fail("%s: cannot attach in %s mode: %s%s%s", dev,
			      mode->name, why(err), fallback[0] ? "; " : "",
			      fallback);
		goto cleanup;
	}

	if (rumorctl_opts.json) {
		struct json j;

		json_init(&j, stdout);
		json_open_object(&j, NULL);
		json_str(&j, "dev", dev);
		json_str(&j, "mode", mode->name);
		if (fallback[0])
			json_str(&j, "fallback", fallback);
		json_u64(&j, "port", port);
		json_u64(&j, "max_origins", max_origins);
		json_u64(&j, "addrs", addrs.nr_addr4 + addrs.nr_addr6);
		json_str(&j, "pin_dir", pins.dir);
		json_close_object(&j);
		json_end(&j);
	} else {
		printf("%s%sattached %s to %s in %s mode, port %u, %d local addresses, maps in %s\n",
		       fallback, fallback[0] ? "; " : "", RUMOR_XDP_PROG_NAME,
		       dev, mode->name, port, addrs.nr_addr4 + addrs.nr_addr6,
		       pins.dir);
	}
	rc = 0;
cleanup:
	/* The program stays attached; only our file descriptors go. */
	rumor_xdp__destroy(skel);
	if (rc)
		remove_pins_if_unused(&pins);
out:
	close(lock);
	return rc;
}

/* ---- detach ---- */

static int xdp_detach(int argc, char **argv)
{
	const char *dev = NULL;
	struct slot slots[3];
	struct pins pins;
	int i, ifindex, lock, err, n = 0, rc = RUMORCTL_EXIT_FAIL;
	bool removed;

	for (i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return rumorctl_usage("xdp detach: '%s' needs a value", argv[i]);
		if (!strcmp(argv[i], "dev"))
			dev = argv[i + 1];
		else
			return rumorctl_usage("xdp detach: unknown argument '%s'",
					      argv[i]);
	}
	lock = prepare("detach", dev, &ifindex, &pins, slots);
	if (lock < 0)
		return -lock;
	for (i = 0; i < 3; i++) {
		if (!slots[i].ours)
			continue;
		err = detach_slot(ifindex, &slots[i]);
		if (err) {
			rumorctl_fail("%s: cannot detach (%s mode): %s", dev,
				      slots[i].mode->name, why(err));
			goto out;
		}
		n++;
	}
	/* Also after a failed attach or a vanished interface: tidy up. */
	removed = remove_pins_if_unused(&pins);
	if (!n) {
		rumorctl_fail("%s has no %s program%s", dev, RUMOR_XDP_PROG_NAME,
			      removed ? " (stale pins removed)" : "");
		goto out;
	}
	if (!rumorctl_opts.json)
		printf("detached %s from %s%s%s\n", RUMOR_XDP_PROG_NAME, dev,
		       removed ? "; last one in this namespace, removed the pins in " : "",
		       removed ? pins.dir : "");
	else {
		struct json j;

		json_init(&j, stdout);
		json_open_object(&j, NULL);
		json_str(&j, "dev", dev);
		json_bool(&j, "pins_removed", removed);
		json_str(&j, "pin_dir", pins.dir);
		json_close_object(&j);
		json_end(&j);
	}
	rc = 0;
out:
	close(lock);
	return rc;
}

/* ---- stats ---- */

static const struct {
	const char *name;
	size_t off;
} counters[] = {
#define COUNTER(f) { #f, offsetof(struct rumor_xdp_stats, f) },
	RUMOR_XDP_STATS_FIELDS(COUNTER)
#undef COUNTER
};

_Static_assert(sizeof(counters) / sizeof(counters[0]) * sizeof(__u64) ==
	       sizeof(struct rumor_xdp_stats),
	       "RUMOR_XDP_STATS_FIELDS must name every counter");

static int open_pinned(const char *path, enum bpf_map_type type,
		       __u32 value_size, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);
	int fd;

	fd = bpf_obj_get(path);
	if (fd < 0) {
		if (errno == ENOENT)
			rumorctl_fail("no XDP program attached in this network namespace (%s not found)",
				      path);
		else
			rumorctl_fail("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len) || info->type != type ||
	    info->value_size != value_size) {
		rumorctl_fail("%s is not a map of this rumorctl version", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Windows in use in the origin table: ways that hold an origin. */
static int count_origins(int fd, __u32 sets, __u32 *n)
{
	struct rumor_xdp_origin_set set;
	__u32 key;
	int w;

	*n = 0;
	for (key = 0; key < sets; key++) {
		if (bpf_map_lookup_elem(fd, &key, &set))
			return -errno;
		for (w = 0; w < RUMOR_XDP_ORIGIN_WAYS; w++)
			*n += set.id[w] != 0;
	}
	return 0;
}

static const struct {
	const char *name;
	size_t off;
} peer_counters[] = {
#define COUNTER(f) { #f, offsetof(struct rumor_xdp_peer, f) },
	RUMOR_XDP_PEER_FIELDS(COUNTER)
#undef COUNTER
};

/* One line (or JSON object) per peer whose IHAVEs XDP has counted. */
static int print_peers(int fd, int ncpus, struct json *j)
{
	struct rumor_xdp_peer *percpu;
	__u64 key, next, *prev = NULL;
	char id[17];
	size_t i;
	int cpu;

	percpu = calloc((size_t)ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	if (j)
		json_open_array(j, "peers");
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		/* Evicted while we walk: skip it. */
		if (bpf_map_lookup_elem(fd, &key, percpu))
			continue;
		snprintf(id, sizeof(id), "%016llx", (unsigned long long)key);
		if (j) {
			json_open_object(j, NULL);
			json_str(j, "node_id", id);
		} else {
			printf("peer %s", id);
		}
		for (i = 0; i < sizeof(peer_counters) / sizeof(peer_counters[0]); i++) {
			uint64_t sum = 0;

			for (cpu = 0; cpu < ncpus; cpu++)
				sum += *(__u64 *)((char *)&percpu[cpu] +
						  peer_counters[i].off);
			if (j)
				json_u64(j, peer_counters[i].name, sum);
			else
				printf(" %s %llu", peer_counters[i].name,
				       (unsigned long long)sum);
		}
		if (j)
			json_close_object(j);
		else
			printf("\n");
	}
	if (j)
		json_close_array(j);
	free(percpu);
	return 0;
}

static int xdp_stats(int argc, char **argv)
{
	struct rumor_xdp_stats *percpu = NULL;
	struct bpf_map_info sinfo, oinfo, pinfo;
	int ncpus, sfd = -1, ofd = -1, pfd = -1, cpu, err;
	int rc = RUMORCTL_EXIT_FAIL;
	__u32 key = 0, norigins;
	struct pins pins;
	struct json j;
	size_t i;

	if (argc > 1)
		return rumorctl_usage("xdp stats: unexpected argument '%s'", argv[1]);
	if (geteuid() != 0)
		return rumorctl_fail("xdp stats: must be run as root");
	if (find_pins(&pins))
		return RUMORCTL_EXIT_FAIL;
	sfd = open_pinned(pins.stats, BPF_MAP_TYPE_PERCPU_ARRAY,
			  sizeof(struct rumor_xdp_stats), &sinfo);
	if (sfd < 0)
		goto out;
	ofd = open_pinned(pins.origins, BPF_MAP_TYPE_ARRAY,
			  sizeof(struct rumor_xdp_origin_set), &oinfo);
	if (ofd < 0)
		goto out;
	pfd = open_pinned(pins.peers, BPF_MAP_TYPE_LRU_PERCPU_HASH,
			  sizeof(struct rumor_xdp_peer), &pinfo);
	if (pfd < 0)
		goto out;

	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		rumorctl_fail("cannot count CPUs: %s", strerror(-ncpus));
		goto out;
	}
	percpu = calloc((size_t)ncpus, sizeof(*percpu));
	if (!percpu) {
		rumorctl_fail("out of memory");
		goto out;
	}
	if (bpf_map_lookup_elem(sfd, &key, percpu)) {
		rumorctl_fail("cannot read %s: %s", pins.stats, strerror(errno));
		goto out;
	}
	err = count_origins(ofd, oinfo.max_entries, &norigins);
	if (err) {
		rumorctl_fail("cannot read %s: %s", pins.origins, strerror(-err));
		goto out;
	}

	if (rumorctl_opts.json) {
		json_init(&j, stdout);
		json_open_object(&j, NULL);
	}
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		uint64_t sum = 0;

		for (cpu = 0; cpu < ncpus; cpu++)
			sum += *(__u64 *)((char *)&percpu[cpu] + counters[i].off);
		if (rumorctl_opts.json)
			json_u64(&j, counters[i].name, sum);
		else
			printf("%s %llu\n", counters[i].name,
			       (unsigned long long)sum);
	}
	if (rumorctl_opts.json) {
		json_u64(&j, "origins", norigins);
		json_u64(&j, "max_origins",
			 (uint64_t)oinfo.max_entries * RUMOR_XDP_ORIGIN_WAYS);
		json_u64(&j, "max_peers", pinfo.max_entries);
	} else {
		printf("origins %u\nmax_origins %llu\nmax_peers %u\n", norigins,
		       (unsigned long long)oinfo.max_entries * RUMOR_XDP_ORIGIN_WAYS,
		       pinfo.max_entries);
	}
	err = print_peers(pfd, ncpus, rumorctl_opts.json ? &j : NULL);
	if (rumorctl_opts.json) {
		json_close_object(&j);
		json_end(&j);
	}
	if (err) {
		rumorctl_fail("cannot read %s: %s", pins.peers, strerror(-err));
		goto out;
	}
	rc = 0;
out:
	free(percpu);
	if (sfd >= 0)
		close(sfd);
	if (ofd >= 0)
		close(ofd);
	if (pfd >= 0)
		close(pfd);
	return rc;
}

int cmd_xdp(int argc, char **argv)
{
	libbpf_set_print(libbpf_print);
	if (argc < 2)
		return rumorctl_usage("xdp: attach, detach or stats; see 'rumorctl help'");
	if (!strcmp(argv[1], "attach"))
		return xdp_attach(argc - 1, argv + 1);
	if (!strcmp(argv[1], "detach"))
		return xdp_detach(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stats"))
		return xdp_stats(argc - 1, argv + 1);
	return rumorctl_usage("xdp: unknown subcommand '%s'; see 'rumorctl help'",
			      argv[1]);
}
