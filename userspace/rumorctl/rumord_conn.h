/* SPDX-License-Identifier: GPL-2.0 */
/* rumorctl's connection to rumord's client socket: see rumord_conn.c. */
#ifndef _RUMORCTL_RUMORD_CONN_H
#define _RUMORCTL_RUMORD_CONN_H

#include <stdint.h>

#include "../rumord/client.h"

struct rumord_conn {
	int fd;
	const char *path;
	const char *cmd;	/* "kv", "repair": for messages */
	const char *verb;	/* "put", "status", ... */
	uint8_t *buf;		/* one frame, request or reply */
};

/*
 * The socket a command names: argv[*a] "socket" PATH (then *a moves past
 * them), or $RUMORD_SOCKET; NULL when neither says.
 */
const char *rumord_conn_path(int argc, char **argv, int *a);
/* Wall-clock Unix milliseconds, to tell the ages of rumord's "_at" times. */
uint64_t rumord_conn_wall_ms(void);

/* @path NULL or empty: rumord's default socket for this namespace. */
int rumord_conn_init(struct rumord_conn *c, const char *cmd, const char *verb,
		     const char *path);
void rumord_conn_close(struct rumord_conn *c);
int rumord_conn_connect(struct rumord_conn *c);
int rumord_conn_send(struct rumord_conn *c, const struct rumord_client_msg *m);
/* The next reply into *m (pointing into c->buf): @op1, @op2 or DONE. */
int rumord_conn_recv(struct rumord_conn *c, struct rumord_client_msg *m,
		     uint8_t op1, uint8_t op2);

/*
 * argv is CMD and optionally "socket PATH": connect to rumord and send an
 * empty request of @op. 0 or an exit code; *c is to be closed either way.
 */
int rumord_conn_query(struct rumord_conn *c, int argc, char **argv, uint8_t op);
/* A DONE's status for an error line. */
const char *rumord_conn_error(int status);

#endif /* _RUMORCTL_RUMORD_CONN_H */
