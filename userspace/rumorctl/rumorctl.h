/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rumorctl: one file per subcommand; this header is what they share.
 */
#ifndef RUMORCTL_H
#define RUMORCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* Global options, set by main() before a subcommand runs. */
struct rumorctl_opts {
	bool json;		/* -j: machine-readable output */
	const char *netns;	/* -n NAME: the namespace we switched into */
};
extern struct rumorctl_opts rumorctl_opts;

/* Subcommands: argv[0] is the subcommand's own name. Return an exit code. */
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_join(int argc, char **argv);
int cmd_forget(int argc, char **argv);
int cmd_tree(int argc, char **argv);
int cmd_broadcast(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_xdp(int argc, char **argv);
/*
 * kv.c, repair.c, hints.c, nodes.c: rumord's key/value store, its
 * sessions, its hinted handoff and its cluster, not the module.
 */
int cmd_kv(int argc, char **argv);
int cmd_repair(int argc, char **argv);
int cmd_hints(int argc, char **argv);
int cmd_nodes(int argc, char **argv);

/* Exit codes. */
#define RUMORCTL_EXIT_FAIL	1	/* the operation failed */
#define RUMORCTL_EXIT_USAGE	2	/* the command line was wrong */

/* Print "rumorctl: <message>" on one line to stderr; return the exit code. */
int rumorctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int rumorctl_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A protocol parameter of `up`: its keyword and RUMOR_CONFIG_A_* attribute. */
struct rumorctl_param {
	const char *keyword;
	int attr;
	const char *unit;
};

extern const struct rumorctl_param rumorctl_params[];	/* NULL-terminated */
const struct rumorctl_param *rumorctl_param_by_keyword(const char *keyword);
const struct rumorctl_param *rumorctl_param_by_attr(int attr);

/* An IPv4 or IPv6 address with a port, as the netlink attributes carry it. */
struct rumorctl_addr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* 4 or 16 bytes used */
	uint16_t port;		/* host order; 0 when none was given */
};

static inline size_t rumorctl_addr_len(const struct rumorctl_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

/* Parse ADDR, ADDR:PORT or [ADDR6]:PORT. Returns 0 or -1 (bad input). */
int rumorctl_parse_addr(const char *s, struct rumorctl_addr *a);
/* Parse a port, 1..65535. */
int rumorctl_parse_port(const char *s, uint16_t *port);
/* Parse an unsigned decimal number no larger than max. */
int rumorctl_parse_u64(const char *s, uint64_t max, uint64_t *v);
/* Format as ADDR:PORT or [ADDR6]:PORT into buf (at least 64 bytes). */
const char *rumorctl_format_addr(const struct rumorctl_addr *a, char *buf,
				 size_t len);

/*
 * A tiny JSON writer for -j output: objects and arrays nest, commas are
 * placed for the caller, strings are escaped.
 */
struct json {
	FILE *out;
	int depth;
	bool need_comma[16];
};

void json_init(struct json *j, FILE *out);
void json_open_object(struct json *j, const char *key);
void json_close_object(struct json *j);
void json_open_array(struct json *j, const char *key);
void json_close_array(struct json *j);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_str(struct json *j, const char *key, const char *v);
void json_bool(struct json *j, const char *key, bool v);
/* Finish a top-level value with a newline. */
void json_end(struct json *j);

/*
 * nodes.c: what `nodes`, `hints` and `kv where` share, the requests of
 * rumord's consistency levels (rumord_conn.h for the connection).
 */
struct rumord_conn;

/*
 * Print the NODE frames of a NODES or (@where) WHERE request up to their
 * DONE, whose status is left in *status: 0 or an exit code.
 */
int rumorctl_print_nodes(struct rumord_conn *c, bool where, int *status);
/* rumord's 16-byte addresses, IPv6 or IPv4-mapped, as rumorctl_format_addr(). */
const char *rumorctl_format_addr16(const uint8_t *addr, uint16_t port,
				   char *buf, size_t len);

#endif /* RUMORCTL_H */
