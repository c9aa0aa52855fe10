// SPDX-License-Identifier: GPL-2.0
/*
 * rumor.ko's generic netlink family, from rumord (see genl.h), on libmnl.
 * Requests are synchronous: the kernel answers at once, under a bounded
 * receive timeout so that a wedged module cannot stall the daemon.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/rumor.h>
#include <libmnl/libmnl.h>

#include "genl.h"

#define GENL_BUF	(1 << 17)	/* a 64 KiB payload and its headers */
#define GENL_TIMEOUT_S	5
#define GENL_READ_BATCH	256		/* then back to the event loop */
#define GENL_DUMP_TRIES	3

struct rumord_genl {
	struct mnl_socket *req;		/* requests and their replies */
	struct mnl_socket *mc;		/* deliver and events groups */
	uint16_t family;
	uint32_t grp_deliver, grp_events;
	uint32_t seq;
	uint8_t state;
	uint32_t max_payload;
	uint64_t node_id;
	const struct rumord_genl_ops *ops;
	void *arg;
	struct rumord_neighbor nb[RUMORD_MAX_NEIGHBORS];
	size_t nnb;
	struct rumord_genl_stats stats;
	char errmsg[256];		/* the kernel's extack message */
	char reqbuf[GENL_BUF];
	char mcbuf[GENL_BUF];
};

/* ---- requests ---- */

struct talk {
	struct rumord_genl *g;
	mnl_cb_t cb;
	void *data;
};

static int talk_data_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct talk *t = arg;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
		errno = EINTR;
		return MNL_CB_ERROR;
	}
	return t->cb ? t->cb(nlh, t->data) : MNL_CB_OK;
}

/* An ack or an error, with the kernel's extack message if it gave one. */
static int talk_error_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct talk *t = arg;
	const struct nlattr *attr;
	size_t off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (err->error && (nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
		off = sizeof(*err);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
		mnl_attr_for_each(attr, nlh, off) {
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
				snprintf(t->g->errmsg, sizeof(t->g->errmsg), "%s",
					 mnl_attr_get_str(attr));
		}
	}
	if (!err->error)
		return MNL_CB_STOP;
	errno = -err->error;
	return MNL_CB_ERROR;
}

static int talk_done_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)arg;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		int err;

		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		if (err < 0) {
			errno = -err;
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

static mnl_cb_t talk_ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = talk_error_cb,
	[NLMSG_DONE] = talk_done_cb,
};

static struct nlmsghdr *request(struct rumord_genl *g, uint16_t type,
				uint8_t cmd, uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(g->reqbuf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

/*
 * Send @nlh and run the answer through @cb until the ack, the end of the
 * dump or an error. An answer to an earlier request (one that timed out,
 * or the rest of a dump given up as interrupted) may still be queued:
 * it is skipped by its sequence number, or every later request would read
 * its predecessor's answer and fail.
 */
static int talk(struct rumord_genl *g, struct nlmsghdr *nlh, mnl_cb_t cb,
		void *data)
{
	struct talk t = { .g = g, .cb = cb, .data = data };
	unsigned int portid = mnl_socket_get_portid(g->req);
	uint32_t seq = ++g->seq;
	struct nlmsghdr *msg;
	ssize_t n;
	int rc, left;

	g->errmsg[0] = '\0';
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(g->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(g->req, g->reqbuf, sizeof(g->reqbuf));
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		left = (int)n;
		for (msg = (struct nlmsghdr *)g->reqbuf; mnl_nlmsg_ok(msg, left);
		     msg = mnl_nlmsg_next(msg, &left)) {
			if (msg->nlmsg_seq != seq) {
				g->stats.stale_replies++;
				continue;
			}
			errno = 0;
			rc = mnl_cb_run2(msg, msg->nlmsg_len, seq, portid,
					 talk_data_cb, &t, talk_ctl_cbs,
					 NLMSG_MIN_TYPE);
			if (rc == MNL_CB_ERROR)
				return errno ? -errno : -EIO;
			if (rc == MNL_CB_STOP)
				return 0;
		}
	}
}

/* ---- attributes ---- */

struct attrs {
	const struct nlattr **tb;
	unsigned int max;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct attrs *a = data;
	unsigned int type = mnl_attr_get_type(attr);

	/* A newer module may send attributes we do not know: skip them. */
	if (type <= a->max)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

static int parse(const struct nlmsghdr *nlh, const struct nlattr **tb,
		 unsigned int max)
{
	struct attrs a = { tb, max };

	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), attr_cb, &a) ==
	       MNL_CB_OK ? 0 : -1;
}

static int parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			unsigned int max)
{
	struct attrs a = { tb, max };

	return mnl_attr_parse_nested(nest, attr_cb, &a) == MNL_CB_OK ? 0 : -1;
}

static bool attr_is(const struct nlattr *a, size_t len)
{
	return a && mnl_attr_get_payload_len(a) == len;
}

/* RUMOR_A_PEER's address and port as a socket address. */
static int peer_addr(const struct nlattr *peer, struct sockaddr_storage *ss,
		     socklen_t *len, uint64_t *node_id)
{
	const struct nlattr *tb[RUMOR_PEER_A_MAX + 1] = { 0 };
	const struct nlattr *addr;
	uint16_t port = 0;

	memset(ss, 0, sizeof(*ss));
	*len = 0;
	if (!peer || parse_nested(peer, tb, RUMOR_PEER_A_MAX))
		return -1;
	addr = tb[RUMOR_PEER_A_ADDR];
	if (attr_is(tb[RUMOR_PEER_A_PORT], sizeof(uint16_t)))
		port = mnl_attr_get_u16(tb[RUMOR_PEER_A_PORT]);
	if (node_id)
		*node_id = attr_is(tb[RUMOR_PEER_A_NODE_ID], sizeof(uint64_t)) ?
			   mnl_attr_get_u64(tb[RUMOR_PEER_A_NODE_ID]) : 0;
	if (attr_is(addr, 4)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, mnl_attr_get_payload(addr), 4);
		*len = sizeof(*sin);
	} else if (attr_is(addr, 16)) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, mnl_attr_get_payload(addr), 16);
		*len = sizeof(*sin6);
	} else {
		return -1;
	}
	return 0;
}

/* ---- the family, the instance, the active view ---- */

static void family_groups(struct rumord_genl *g, const struct nlattr *groups)
{
	const struct nlattr *grp;

	mnl_attr_for_each_nested(grp, groups) {
		const struct nlattr *tb[CTRL_ATTR_MCAST_GRP_MAX + 1] = { 0 };
		const char *name;

		if (parse_nested(grp, tb, CTRL_ATTR_MCAST_GRP_MAX) ||
		    !tb[CTRL_ATTR_MCAST_GRP_NAME] ||
		    !attr_is(tb[CTRL_ATTR_MCAST_GRP_ID], sizeof(uint32_t)) ||
		    mnl_attr_validate(tb[CTRL_ATTR_MCAST_GRP_NAME],
				      MNL_TYPE_NUL_STRING) < 0)
			continue;
		name = mnl_attr_get_str(tb[CTRL_ATTR_MCAST_GRP_NAME]);
		if (!strcmp(name, RUMOR_MCGRP_DELIVER))
			g->grp_deliver = mnl_attr_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID]);
		else if (!strcmp(name, RUMOR_MCGRP_EVENTS))
			g->grp_events = mnl_attr_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID]);
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = { 0 };
	struct rumord_genl *g = data;

	if (parse(nlh, tb, CTRL_ATTR_MAX) ||
	    !attr_is(tb[CTRL_ATTR_FAMILY_ID], sizeof(uint16_t)))
		return MNL_CB_ERROR;
	g->family = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_MCAST_GROUPS])
		family_groups(g, tb[CTRL_ATTR_MCAST_GROUPS]);
	return MNL_CB_OK;
}

static int resolve_family(struct rumord_genl *g)
{
	struct nlmsghdr *nlh;

	nlh = request(g, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, RUMOR_GENL_NAME);
	return talk(g, nlh, family_cb, g);
}

static int instance_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RUMOR_A_MAX + 1] = { 0 };
	const struct nlattr *cfg[RUMOR_CONFIG_A_MAX + 1] = { 0 };
	struct rumord_genl *g = data;

	if (parse(nlh, tb, RUMOR_A_MAX) || !attr_is(tb[RUMOR_A_STATE], 1))
		return MNL_CB_ERROR;
	g->state = mnl_attr_get_u8(tb[RUMOR_A_STATE]);
	if (attr_is(tb[RUMOR_A_NODE_ID], sizeof(uint64_t)))
		g->node_id = mnl_attr_get_u64(tb[RUMOR_A_NODE_ID]);
	if (tb[RUMOR_A_CONFIG] &&
	    !parse_nested(tb[RUMOR_A_CONFIG], cfg, RUMOR_CONFIG_A_MAX) &&
	    attr_is(cfg[RUMOR_CONFIG_A_MAX_PAYLOAD], sizeof(uint32_t)))
		g->max_payload = mnl_attr_get_u32(cfg[RUMOR_CONFIG_A_MAX_PAYLOAD]);
	return MNL_CB_OK;
}

static int read_instance(struct rumord_genl *g)
{
	g->state = RUMOR_STATE_DOWN;
	return talk(g, request(g, g->family, RUMOR_CMD_GET, RUMOR_GENL_VERSION,
			       NLM_F_ACK), instance_cb, g);
}

static void neighbor_set(struct rumord_genl *g, const struct rumord_neighbor *n,
			 bool up)
{
	size_t i;

	for (i = 0; i < g->nnb; i++)
		if (g->nb[i].node_id == n->node_id)
			break;
	if (!up) {
		if (i < g->nnb)
			g->nb[i] = g->nb[--g->nnb];
		return;
	}
	if (i == g->nnb) {
		if (g->nnb == RUMORD_MAX_NEIGHBORS)
			return;
		g->nnb++;
	}
	g->nb[i] = *n;
}

static int member_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RUMOR_A_MAX + 1] = { 0 };
	const struct nlattr *ptb[RUMOR_PEER_A_MAX + 1] = { 0 };
	struct rumord_genl *g = data;
	struct rumord_neighbor n;
	uint8_t state;

	if (parse(nlh, tb, RUMOR_A_MAX) || !tb[RUMOR_A_PEER] ||
	    parse_nested(tb[RUMOR_A_PEER], ptb, RUMOR_PEER_A_MAX) ||
	    !attr_is(ptb[RUMOR_PEER_A_STATE], 1))
		return MNL_CB_OK;
	state = mnl_attr_get_u8(ptb[RUMOR_PEER_A_STATE]);
	if (state != RUMOR_PEER_ACTIVE_EAGER && state != RUMOR_PEER_ACTIVE_LAZY)
		return MNL_CB_OK;
	if (peer_addr(tb[RUMOR_A_PEER], &n.addr, &n.addr_len, &n.node_id) ||
	    !n.node_id)
		return MNL_CB_OK;
	neighbor_set(g, &n, true);
	return MNL_CB_OK;
}

/* The active view, again from the start: events may have been lost. */
static int read_members(struct rumord_genl *g)
{
	int tries, rc = 0;

	for (tries = 0; tries < GENL_DUMP_TRIES; tries++) {
		g->nnb = 0;
		rc = talk(g, request(g, g->family, RUMOR_CMD_PEER_GET,
				     RUMOR_GENL_VERSION, NLM_F_DUMP),
			  member_cb, g);
		if (rc != -EINTR)
			break;
	}
	return rc;
}

/*
 * The instance as it is now, and the active view if it changed under us.
 * An instance taken down and up again (rumorctl down; rumorctl up) has a
 * new id, perhaps another max-payload, and none of the old one's
 * neighbours, which left without a NEIGHBOR_DOWN. INSTANCE_DOWN and
 * INSTANCE_UP say so, but not when the module or the namespace went, and
 * not if they were lost (ENOBUFS): so a new id seen anywhere means the
 * view is read again, and an instance that is down has no view at all.
 */
static int resync(struct rumord_genl *g, bool members)
{
	uint64_t id = g->node_id;
	int rc;

	rc = read_instance(g);
	if (rc)
		return rc;
	if (g->state != RUMOR_STATE_UP) {
		g->nnb = 0;
		return 0;
	}
	if (g->node_id != id) {
		g->stats.restarts++;
		members = true;
	}
	return members ? read_members(g) : 0;
}

int rumord_genl_refresh(struct rumord_genl *g)
{
	return resync(g, false);
}

/* ---- notifications ---- */

static void on_neighbor(struct rumord_genl *g, const struct nlmsghdr *nlh,
			bool up)
{
	const struct nlattr *tb[RUMOR_A_MAX + 1] = { 0 };
	struct rumord_neighbor n;

	if (parse(nlh, tb, RUMOR_A_MAX) ||
	    peer_addr(tb[RUMOR_A_PEER], &n.addr, &n.addr_len, &n.node_id) ||
	    !n.node_id) {
		g->stats.malformed++;
		return;
	}
	if (up)
		g->stats.neighbor_up++;
	else
		g->stats.neighbor_down++;
	/*
	 * Events come from the instance that is up now: if that is not the
	 * one we know (restarted, and joining again), the view is read anew
	 * before this event and those queued behind it apply on top.
	 */
	resync(g, false);
	neighbor_set(g, &n, up);
	if (g->ops->neighbor)
		g->ops->neighbor(g->arg, &n, up);
}

/* rumorctl down or up in this namespace. */
static void on_instance(struct rumord_genl *g, const struct nlmsghdr *nlh,
			bool up)
{
	const struct nlattr *tb[RUMOR_A_MAX + 1] = { 0 };
	uint64_t id;

	if (parse(nlh, tb, RUMOR_A_MAX) ||
	    !attr_is(tb[RUMOR_A_NODE_ID], sizeof(uint64_t))) {
		g->stats.malformed++;
		return;
	}
	id = mnl_attr_get_u64(tb[RUMOR_A_NODE_ID]);
	if (up) {
		g->stats.instance_up++;
		/* Its view is empty now; NEIGHBOR_UPs follow as it joins. */
		resync(g, true);
	} else {
		g->stats.instance_down++;
		if (id == g->node_id) {
			g->state = RUMOR_STATE_DOWN;
			g->nnb = 0;
		}
	}
	if (g->ops->instance)
		g->ops->instance(g->arg, id, up);
}

static void on_deliver(struct rumord_genl *g, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[RUMOR_A_MAX + 1] = { 0 };
	struct sockaddr_storage from;
	socklen_t from_len = 0;

	if (parse(nlh, tb, RUMOR_A_MAX) ||
	    !attr_is(tb[RUMOR_A_ORIGIN], sizeof(uint64_t)) ||
	    !attr_is(tb[RUMOR_A_SEQ], sizeof(uint64_t)) || !tb[RUMOR_A_PAYLOAD]) {
		g->stats.malformed++;
		return;
	}
	if (tb[RUMOR_A_PEER] &&
	    peer_addr(tb[RUMOR_A_PEER], &from, &from_len, NULL))
		from_len = 0;
	g->stats.delivered++;
	g->ops->deliver(g->arg, mnl_attr_get_u64(tb[RUMOR_A_ORIGIN]),
			mnl_attr_get_u64(tb[RUMOR_A_SEQ]),
			from_len ? (struct sockaddr *)&from : NULL, from_len,
			mnl_attr_get_payload(tb[RUMOR_A_PAYLOAD]),
			mnl_attr_get_payload_len(tb[RUMOR_A_PAYLOAD]));
}

static int mc_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *genl;
	struct rumord_genl *g = data;

	if (nlh->nlmsg_type != g->family ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*genl))
		return MNL_CB_OK;
	genl = mnl_nlmsg_get_payload(nlh);
	switch (genl->cmd) {
	case RUMOR_CMD_DELIVER:
		on_deliver(g, nlh);
		break;
	case RUMOR_CMD_NEIGHBOR_UP:
	case RUMOR_CMD_NEIGHBOR_DOWN:
		on_neighbor(g, nlh, genl->cmd == RUMOR_CMD_NEIGHBOR_UP);
		break;
	case RUMOR_CMD_INSTANCE_UP:
	case RUMOR_CMD_INSTANCE_DOWN:
		on_instance(g, nlh, genl->cmd == RUMOR_CMD_INSTANCE_UP);
		break;
	}
	return MNL_CB_OK;
}

int rumord_genl_read(struct rumord_genl *g)
{
	int fd = mnl_socket_get_fd(g->mc), i;
	struct sockaddr_nl from;
	socklen_t from_len;
	ssize_t n;

	for (i = 0; i < GENL_READ_BATCH; i++) {
		from_len = sizeof(from);
		n = recvfrom(fd, g->mcbuf, sizeof(g->mcbuf), MSG_TRUNC,
			     (struct sockaddr *)&from, &from_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0 && errno == ENOBUFS) {
			/* Notifications were dropped: deliveries and events. */
			g->stats.lost++;
			resync(g, true);
			if (g->ops->lost)
				g->ops->lost(g->arg);
			continue;
		}
		if (n < 0)
			return -errno;
		/* Only the kernel speaks on these groups; a message cut short is lost. */
		if (from_len != sizeof(from) || from.nl_pid != 0) {
			g->stats.malformed++;
			continue;
		}
		if ((size_t)n > sizeof(g->mcbuf)) {
			g->stats.lost++;
			if (g->ops->lost)
				g->ops->lost(g->arg);
			continue;
		}
		if (mnl_cb_run(g->mcbuf, n, 0, 0, mc_cb, g) == MNL_CB_ERROR)
			g->stats.malformed++;
	}
	return 0;
}

/* ---- broadcast ---- */

/* The reply names the instance that took the payload: its id. */
static int broadcast_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RUMOR_A_MAX + 1] = { 0 };
	uint64_t *origin = data;

	if (!parse(nlh, tb, RUMOR_A_MAX) &&
	    attr_is(tb[RUMOR_A_ORIGIN], sizeof(uint64_t)))
		*origin = mnl_attr_get_u64(tb[RUMOR_A_ORIGIN]);
	return MNL_CB_OK;
}

int rumord_genl_broadcast(struct rumord_genl *g, const void *payload,
			  size_t len)
{
	struct nlmsghdr *nlh;
	uint64_t origin = 0;
	int rc;

	nlh = request(g, g->family, RUMOR_CMD_BROADCAST, RUMOR_GENL_VERSION,
		      NLM_F_ACK);
	if (!mnl_attr_put_check(nlh, sizeof(g->reqbuf), RUMOR_A_PAYLOAD, len,
				payload))
		return -EMSGSIZE;
	rc = talk(g, nlh, broadcast_cb, &origin);
	if (rc)
		g->stats.broadcast_errors++;
	else
		g->stats.broadcasts++;
	if (rc == -ENETDOWN) {
		/* The instance is gone, and its active view with it. */
		g->state = RUMOR_STATE_DOWN;
		g->nnb = 0;
	} else if (!rc && origin && origin != g->node_id) {
		/* Another instance than we knew took it: it was restarted. */
		resync(g, true);
	}
	return rc;
}

/* ---- open and close ---- */

static int open_req(struct rumord_genl *g)
{
	struct timeval tv = { .tv_sec = GENL_TIMEOUT_S };
	int one = 1;

	g->req = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!g->req || mnl_socket_bind(g->req, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	mnl_socket_setsockopt(g->req, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(g->req, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(g->req), SOL_SOCKET, SO_RCVTIMEO, &tv,
		       sizeof(tv)))
		return -errno;
	return 0;
}

static int join(struct rumord_genl *g, uint32_t group)
{
	int grp = (int)group;

	return mnl_socket_setsockopt(g->mc, NETLINK_ADD_MEMBERSHIP, &grp,
				     sizeof(grp)) ? -errno : 0;
}

static int open_mc(struct rumord_genl *g, int size)
{
	int rc;

	g->mc = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!g->mc || mnl_socket_bind(g->mc, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	/* Past rmem_max needs CAP_NET_ADMIN, which we have; else the cap. */
	if (setsockopt(mnl_socket_get_fd(g->mc), SOL_SOCKET, SO_RCVBUFFORCE,
		       &size, sizeof(size)))
		setsockopt(mnl_socket_get_fd(g->mc), SOL_SOCKET, SO_RCVBUF,
			   &size, sizeof(size));
	rc = join(g, g->grp_deliver);
	return rc ? rc : join(g, g->grp_events);
}

static int fail(char *why, size_t why_len, int rc, const char *fmt,
		const char *detail)
{
	snprintf(why, why_len, fmt, detail);
	return rc;
}

int rumord_genl_open(struct rumord_genl **out, const struct rumord_genl_ops *ops,
		     void *arg, size_t rcvbuf, char *why, size_t why_len)
{
	struct rumord_genl *g;
	int rc;

	g = calloc(1, sizeof(*g));
	if (!g)
		return fail(why, why_len, -ENOMEM, "%s", "out of memory");
	g->ops = ops;
	g->arg = arg;
	g->max_payload = RUMOR_DEFAULT_MAX_PAYLOAD;

	rc = open_req(g);
	if (rc) {
		fail(why, why_len, rc, "cannot open a netlink socket: %s",
		     strerror(-rc));
		goto err;
	}
	rc = resolve_family(g);
	if (rc == -ENOENT) {
		fail(why, why_len, rc, "%s",
		     "rumor.ko is not loaded (modprobe rumor; or --no-module)");
		goto err;
	}
	if (!rc && (!g->grp_deliver || !g->grp_events))
		rc = -EPROTO;
	if (rc) {
		fail(why, why_len, rc, "cannot resolve the rumor netlink family: %s",
		     strerror(-rc));
		goto err;
	}
	rc = open_mc(g, (int)(rcvbuf ? rcvbuf : RUMORD_GENL_RCVBUF));
	if (!rc)
		rc = read_instance(g);
	if (rc == -EPERM) {
		fail(why, why_len, rc, "%s",
		     "permission denied: rumord needs CAP_NET_ADMIN in this network namespace");
		goto err;
	}
	if (rc) {
		fail(why, why_len, rc, "cannot read the rumor instance: %s",
		     g->errmsg[0] ? g->errmsg : strerror(-rc));
		goto err;
	}
	if (g->state != RUMOR_STATE_UP) {
		rc = -ENETDOWN;
		fail(why, why_len, rc, "%s",
		     "the rumor instance is not up in this network namespace (rumorctl up)");
		goto err;
	}
	/* Joined the groups first: no neighbour event falls between. */
	rc = read_members(g);
	if (rc) {
		fail(why, why_len, rc, "cannot read the active view: %s",
		     strerror(-rc));
		goto err;
	}
	*out = g;
	return 0;

err:
	rumord_genl_close(g);
	return rc;
}

void rumord_genl_close(struct rumord_genl *g)
{
	if (!g)
		return;
	if (g->req)
		mnl_socket_close(g->req);
	if (g->mc)
		mnl_socket_close(g->mc);
	free(g);
}

int rumord_genl_fd(const struct rumord_genl *g)
{
	return mnl_socket_get_fd(g->mc);
}

uint32_t rumord_genl_max_payload(const struct rumord_genl *g)
{
	return g->max_payload;
}

uint64_t rumord_genl_node_id(const struct rumord_genl *g)
{
	return g->node_id;
}

const struct rumord_neighbor *rumord_genl_neighbors(const struct rumord_genl *g,
						    size_t *n)
{
	*n = g->nnb;
	return g->nb;
}

const struct rumord_genl_stats *rumord_genl_stats(const struct rumord_genl *g)
{
	return &g->stats;
}
