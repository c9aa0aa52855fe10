/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Talking to rumor.ko over generic netlink (libmnl): resolve the family,
 * send a request, read replies and extended-ack error messages.
 */
#ifndef RUMORCTL_NL_H
#define RUMORCTL_NL_H

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

struct rumor_nl {
	struct mnl_socket *sock;
	uint16_t family;
	uint32_t mcgrp_deliver;
	uint32_t mcgrp_events;
	uint32_t seq;
	char buf[1 << 17];	/* a whole 64 KiB payload and its headers */
	char errmsg[256];	/* the kernel's extack message, if any */
};

/*
 * Open a socket and look up the "rumor" family. On failure prints a
 * one-line error and returns NULL ("rumor.ko is not loaded", permission).
 */
struct rumor_nl *rumor_nl_open(void);
/* The same, printing nothing: for callers that can do without rumor.ko. */
struct rumor_nl *rumor_nl_open_quiet(void);
void rumor_nl_close(struct rumor_nl *nl);

/* Start a request for @cmd; add attributes with mnl_attr_put*. */
struct nlmsghdr *rumor_nl_request(struct rumor_nl *nl, uint8_t cmd,
				  uint16_t flags);

/*
 * Send @req and run @cb on every reply until the ack or the end of a dump.
 * Returns 0, or a negative errno with nl->errmsg set from the extack.
 */
int rumor_nl_talk(struct rumor_nl *nl, struct nlmsghdr *req, mnl_cb_t cb,
		  void *data);

/* Print "rumorctl: <what>: <extack message or strerror>"; returns 1. */
int rumor_nl_fail(struct rumor_nl *nl, const char *what, int err);

/* Subscribe to a multicast group by its id (nl->mcgrp_*). */
int rumor_nl_join_group(struct rumor_nl *nl, uint32_t group);

/* Parse a message's attributes into tb[0..max] (unknown types ignored). */
int rumor_nl_parse(const struct nlmsghdr *nlh, const struct nlattr **tb,
		   unsigned int max);
int rumor_nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			  unsigned int max);

/* Read an address attribute (4 or 16 bytes) and a port into @a. */
struct rumorctl_addr;
int rumor_nl_get_addr(const struct nlattr *addr, const struct nlattr *port,
		      struct rumorctl_addr *a);

#endif /* RUMORCTL_NL_H */
