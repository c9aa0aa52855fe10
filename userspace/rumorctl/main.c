// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl: configure and watch rumor. Global options, then a subcommand
 * dispatched from the table below; each subcommand lives in its own file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rumorctl.h"

struct rumorctl_opts rumorctl_opts;

static const struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
} subcommands[] = {
	{ "up", cmd_up,
	  "up [port PORT] [bind ADDR] [PARAMETER VALUE]...  (see PARAMETERS)" },
	{ "down", cmd_down, "down" },
	{ "join", cmd_join, "join ADDR[:PORT]     (through a contact node)" },
	{ "forget", cmd_forget, "forget ADDR[:PORT]   (a contact node)" },
	{ "broadcast", cmd_broadcast, "broadcast { PAYLOAD | file FILE }" },
	{ "monitor", cmd_monitor,
	  "monitor [ deliveries | events | all ] [count N] [timeout SECONDS]\n"
	  "                [hex] [ready FILE]" },
	{ "show", cmd_show, "show [ peers | stats | config ]" },
	{ "tree", cmd_tree, "tree [--dot]" },
	{ "xdp", cmd_xdp,
	  "xdp { attach dev IFNAME [port PORT] [mode { native | skb }]\n"
	  "                [max-origins N] [addr ADDR]... | detach dev IFNAME | stats }" },
	{ "kv", cmd_kv,
	  "kv [socket PATH] { put KEY { VALUE | file FILE } [--w N [--strict]]\n"
	  "                | get KEY [--r N] | del KEY [--w N [--strict]]\n"
	  "                | where KEY [--n N] | list [PREFIX] }   (through rumord)" },
	{ "repair", cmd_repair,
	  "repair [socket PATH] { status | now ADDR[:PORT] }\n"
	  "                (rumord's anti-entropy sessions)" },
	{ "hints", cmd_hints,
	  "hints [socket PATH]  (writes kept for replicas that missed them)" },
	{ "nodes", cmd_nodes,
	  "nodes [socket PATH]  (the cluster's members, as rumord sees them)" },
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"Usage: rumorctl [-j] [-n NETNS] COMMAND [ARGS]\n"
		"       rumorctl help\n\n"
		"  -j        JSON output\n"
		"  -n NETNS  run in network namespace NETNS (/run/netns/NETNS)\n\n"
		"Commands:\n");
	for (i = 0; i < N_SUBCOMMANDS; i++)
		fprintf(out, "  %s\n", subcommands[i].usage);
	fprintf(out, "\nPARAMETERS of up (defaults: rumorctl show config):\n ");
	for (i = 0; rumorctl_params[i].keyword; i++)
		fprintf(out, " %s%s", rumorctl_params[i].keyword,
			(i + 1) % 6 ? "" : "\n ");
	fprintf(out, "\n");
}

static int vreport(int code, const char *fmt, va_list ap)
{
	fputs("rumorctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	return code;
}

int rumorctl_fail(const char *fmt, ...)
{
	va_list ap;
	int code;

	va_start(ap, fmt);
	code = vreport(RUMORCTL_EXIT_FAIL, fmt, ap);
	va_end(ap);
	return code;
}

int rumorctl_usage(const char *fmt, ...)
{
	va_list ap;
	int code;

	va_start(ap, fmt);
	code = vreport(RUMORCTL_EXIT_USAGE, fmt, ap);
	va_end(ap);
	return code;
}

/* Like `ip -n`: enter /run/netns/NAME before opening any socket. */
static int enter_netns(const char *name)
{
	char path[256];
	int fd;

	if (!*name || strchr(name, '/'))
		return rumorctl_usage("bad namespace name '%s'", name);
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rumorctl_fail("network namespace '%s': %s", name,
				     strerror(errno));
	if (setns(fd, CLONE_NEWNET) < 0) {
		int err = errno;

		close(fd);
		return rumorctl_fail("cannot enter network namespace '%s': %s",
				     name, strerror(err));
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;
	size_t i;
	int opt, rc;

	while ((opt = getopt(argc, argv, "+jn:hV")) != -1) {
		switch (opt) {
		case 'j':
			rumorctl_opts.json = true;
			break;
		case 'n':
			rumorctl_opts.netns = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("rumorctl %s\n", RUMOR_VERSION);
			return 0;
		default:
			return rumorctl_usage("bad option; see 'rumorctl help'");
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return RUMORCTL_EXIT_USAGE;
	}
	cmd = argv[optind];
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < N_SUBCOMMANDS; i++) {
		if (strcmp(cmd, subcommands[i].name))
			continue;
		if (rumorctl_opts.netns) {
			rc = enter_netns(rumorctl_opts.netns);
			if (rc)
				return rc;
		}
		return subcommands[i].run(argc - optind, argv + optind);
	}
	return rumorctl_usage("unknown command '%s'; see 'rumorctl help'", cmd);
}
