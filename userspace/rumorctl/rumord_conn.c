// SPDX-License-Identifier: GPL-2.0
/*
 * The client side of rumord's UNIX socket (userspace/rumord/client.h), for
 * the subcommands that talk to rumord rather than to the module: kv and
 * repair. Errors are printed here, one line each, named after the command
 * and its verb ("kv put: ..."), and returned as rumorctl exit codes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "rumorctl.h"
#include "rumord_conn.h"

int rumord_conn_init(struct rumord_conn *c, const char *cmd, const char *verb,
		     const char *path)
{
	static char def[256];
	int rc;

	c->fd = -1;
	c->cmd = cmd;
	c->verb = verb;
	c->path = path;
	if (!c->path || !*c->path) {
		rc = rumord_default_socket(def, sizeof(def));
		if (rc)
			return rumorctl_fail("%s: cannot name rumord's socket: %s",
					     cmd, strerror(-rc));
		c->path = def;
	}
	c->buf = malloc(RUMORD_CLIENT_HLEN + RUMORD_CLIENT_MAX_BODY);
	if (!c->buf)
		return rumorctl_fail("out of memory");
	return 0;
}

void rumord_conn_close(struct rumord_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
}

int rumord_conn_connect(struct rumord_conn *c)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (strlen(c->path) >= sizeof(sun.sun_path))
		return rumorctl_usage("%s: socket path too long: %s", c->cmd,
				      c->path);
	strcpy(sun.sun_path, c->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return rumorctl_fail("%s: socket: %s", c->cmd, strerror(errno));
	if (!connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)))
		return 0;
	if (errno == ENOENT || errno == ECONNREFUSED)
		return rumorctl_fail("rumord is not running (no socket %s)",
				     c->path);
	return rumorctl_fail("cannot reach rumord at %s: %s", c->path,
			     strerror(errno));
}

static int io_all(int fd, uint8_t *p, size_t len, bool out)
{
	ssize_t n;

	while (len) {
		n = out ? send(fd, p, len, MSG_NOSIGNAL) : read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int rumord_conn_send(struct rumord_conn *c, const struct rumord_client_msg *m)
{
	long n;
	int rc;

	n = rumord_client_encode(m, c->buf,
				 RUMORD_CLIENT_HLEN + RUMORD_CLIENT_MAX_BODY);
	if (n < 0)
		return rumorctl_fail("%s %s: cannot encode the request: %s",
				     c->cmd, c->verb, strerror((int)-n));
	rc = io_all(c->fd, c->buf, (size_t)n, true);
	if (rc)
		return rumorctl_fail("%s %s: sending to rumord: %s", c->cmd,
				     c->verb, strerror(-rc));
	return 0;
}

int rumord_conn_recv(struct rumord_conn *c, struct rumord_client_msg *m,
		     uint8_t op1, uint8_t op2)
{
	struct rumord_client_hdr h;
	int rc;

	rc = io_all(c->fd, c->buf, RUMORD_CLIENT_HLEN, false);
	if (!rc && rumord_client_parse_hdr(c->buf, &h))
		rc = -EPROTO;
	if (!rc)
		rc = io_all(c->fd, c->buf + RUMORD_CLIENT_HLEN, h.len, false);
	if (!rc && rumord_client_decode(&h, c->buf + RUMORD_CLIENT_HLEN, m))
		rc = -EPROTO;
	if (!rc && m->op != op1 && m->op != op2 && m->op != RUMORD_OP_DONE)
		rc = -EPROTO;
	if (rc == -ECONNRESET)
		return rumorctl_fail("%s %s: rumord closed the connection",
				     c->cmd, c->verb);
	if (rc)
		return rumorctl_fail("%s %s: bad reply from rumord: %s", c->cmd,
				     c->verb, strerror(-rc));
	return 0;
}

/* A request with no body (rumorctl CMD [socket PATH]): connect and send it. */
const char *rumord_conn_path(int argc, char **argv, int *a)
{
	if (*a + 1 < argc && !strcmp(argv[*a], "socket")) {
		*a += 2;
		return argv[*a - 1];
	}
	return getenv("RUMORD_SOCKET");
}

uint64_t rumord_conn_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int rumord_conn_query(struct rumord_conn *c, int argc, char **argv, uint8_t op)
{
	struct rumord_client_msg req = { .op = op };
	int a = 1, rc;
	const char *path = rumord_conn_path(argc, argv, &a);

	/* Safe to close whatever happens below. */
	c->fd = -1;
	c->buf = NULL;
	if (a != argc)
		return rumorctl_usage("%s: expected no argument, or socket PATH",
				      argv[0]);
	rc = rumord_conn_init(c, argv[0], "request", path);
	if (!rc)
		rc = rumord_conn_connect(c);
	return rc ? rc : rumord_conn_send(c, &req);
}

/* What a DONE status says, for an error line. */
const char *rumord_conn_error(int status)
{
	if (status == -EOPNOTSUPP)
		return "not supported by this rumord";
	return strerror(-status);
}
