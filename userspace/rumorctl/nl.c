// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink plumbing for rumorctl, on libmnl. libmnl leaves extended
 * acks to the caller, so the NLMSG_ERROR handler here pulls out the
 * kernel's message: that is what the user sees when a request is refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rumor.h>

#include "nl.h"
#include "rumorctl.h"

struct talk {
	struct rumor_nl *nl;
	mnl_cb_t cb;
	void *data;
};

static int data_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct talk *t = arg;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
		errno = EINTR;
		return MNL_CB_ERROR;
	}
	return t->cb ? t->cb(nlh, t->data) : MNL_CB_OK;
}

static int error_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct talk *t = arg;
	const struct nlattr *attr;
	size_t offset;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		offset = sizeof(*err);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			offset += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
		mnl_attr_for_each(attr, nlh, offset) {
			if (mnl_attr_get_type(attr) != NLMSGERR_ATTR_MSG ||
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
				continue;
			snprintf(t->nl->errmsg, sizeof(t->nl->errmsg), "%s",
				 mnl_attr_get_str(attr));
		}
	}
	if (err->error == 0)
		return MNL_CB_STOP;
	errno = -err->error;
	return MNL_CB_ERROR;
}

/* The end of a dump carries the dump's own error code, if it failed. */
static int done_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)arg;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		int err = *(const int *)mnl_nlmsg_get_payload(nlh);

		if (err < 0) {
			errno = -err;
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

/* Not const: libmnl takes a non-const array. */
static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = error_cb,
	[NLMSG_DONE] = done_cb,
};

struct nlmsghdr *rumor_nl_request(struct rumor_nl *nl, uint8_t cmd,
				  uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = nl->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = RUMOR_GENL_VERSION;
	return nlh;
}

int rumor_nl_talk(struct rumor_nl *nl, struct nlmsghdr *req, mnl_cb_t cb,
		  void *data)
{
	struct talk t = { .nl = nl, .cb = cb, .data = data };
	unsigned int portid = mnl_socket_get_portid(nl->sock);
	ssize_t n;
	int ret;

	nl->errmsg[0] = '\0';
	req->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run2(nl->buf, n, req->nlmsg_seq, portid, data_cb,
				  &t, ctl_cbs, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

int rumor_nl_fail(struct rumor_nl *nl, const char *what, int err)
{
	if (err == -EPERM)
		return rumorctl_fail("%s: permission denied (needs CAP_NET_ADMIN)",
				     what);
	if (nl->errmsg[0])
		return rumorctl_fail("%s: %s", what, nl->errmsg);
	return rumorctl_fail("%s: %s", what, strerror(-err));
}

static int mcast_groups_cb(const struct nlattr *groups, struct rumor_nl *nl)
{
	const struct nlattr *group;

	mnl_attr_for_each_nested(group, groups) {
		const struct nlattr *tb[CTRL_ATTR_MCAST_GRP_MAX + 1] = { 0 };

		if (rumor_nl_parse_nested(group, tb, CTRL_ATTR_MCAST_GRP_MAX) ||
		    !tb[CTRL_ATTR_MCAST_GRP_NAME] || !tb[CTRL_ATTR_MCAST_GRP_ID])
			continue;
		const char *name = mnl_attr_get_str(tb[CTRL_ATTR_MCAST_GRP_NAME]);
		uint32_t id = mnl_attr_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID]);

		if (!strcmp(name, RUMOR_MCGRP_DELIVER))
			nl->mcgrp_deliver = id;
		else if (!strcmp(name, RUMOR_MCGRP_EVENTS))
			nl->mcgrp_events = id;
	}
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = { 0 };
	struct rumor_nl *nl = data;

	if (rumor_nl_parse(nlh, tb, CTRL_ATTR_MAX) || !tb[CTRL_ATTR_FAMILY_ID])
		return MNL_CB_ERROR;
	nl->family = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_MCAST_GROUPS])
		mcast_groups_cb(tb[CTRL_ATTR_MCAST_GROUPS], nl);
	return MNL_CB_OK;
}

/* Report failures on stderr unless @quiet. */
static struct rumor_nl *open_family(bool quiet)
{
	struct rumor_nl *nl = calloc(1, sizeof(*nl));
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	int one = 1, err;

	if (!nl) {
		if (!quiet)
			rumorctl_fail("out of memory");
		return NULL;
	}
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		if (!quiet)
			rumorctl_fail("cannot open a netlink socket: %s",
				      strerror(errno));
		goto err;
	}
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));

	nlh = mnl_nlmsg_put_header(nl->buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, RUMOR_GENL_NAME);
	err = rumor_nl_talk(nl, nlh, family_cb, nl);
	if (err && !quiet) {
		if (err == -ENOENT)
			rumorctl_fail("rumor.ko is not loaded (modprobe rumor)");
		else
			rumor_nl_fail(nl, "cannot find the rumor netlink family", err);
	}
	if (err)
		goto err;
	return nl;

err:
	rumor_nl_close(nl);
	return NULL;
}

struct rumor_nl *rumor_nl_open(void)
{
	return open_family(false);
}

struct rumor_nl *rumor_nl_open_quiet(void)
{
	return open_family(true);
}

void rumor_nl_close(struct rumor_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

int rumor_nl_join_group(struct rumor_nl *nl, uint32_t id)
{
	int group = (int)id;

	if (!group) {
		errno = ENOENT;
		return -1;
	}
	return mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &group,
				     sizeof(group));
}

struct parse {
	const struct nlattr **tb;
	unsigned int max;
};

static int parse_cb(const struct nlattr *attr, void *data)
{
	struct parse *p = data;
	unsigned int type = mnl_attr_get_type(attr);

	/* Newer kernels may send attributes we do not know: skip them. */
	if (type <= p->max)
		p->tb[type] = attr;
	return MNL_CB_OK;
}

int rumor_nl_parse(const struct nlmsghdr *nlh, const struct nlattr **tb,
		   unsigned int max)
{
	struct parse p = { .tb = tb, .max = max };

	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), parse_cb, &p) ==
	       MNL_CB_OK ? 0 : -1;
}

int rumor_nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			  unsigned int max)
{
	struct parse p = { .tb = tb, .max = max };

	return mnl_attr_parse_nested(nest, parse_cb, &p) == MNL_CB_OK ? 0 : -1;
}

int rumor_nl_get_addr(const struct nlattr *addr, const struct nlattr *port,
		      struct rumorctl_addr *a)
{
	uint16_t len;

	memset(a, 0, sizeof(*a));
	if (!addr)
		return -1;
	len = mnl_attr_get_payload_len(addr);
	if (len == 4)
		a->family = AF_INET;
	else if (len == 16)
		a->family = AF_INET6;
	else
		return -1;
	memcpy(a->addr, mnl_attr_get_payload(addr), len);
	if (port && mnl_attr_get_payload_len(port) == sizeof(uint16_t))
		a->port = mnl_attr_get_u16(port);
	return 0;
}
