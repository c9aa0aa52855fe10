// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl kv: this node's replicated key/value store, through rumord's
 * local socket (the protocol is userspace/rumord/client.h). The socket is
 * $RUMORD_SOCKET, or `socket PATH`, or the namespace's default, so that
 * `rumorctl -n NETNS kv ...` reaches the rumord of NETNS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "../rumord/client.h"
#include "rumorctl.h"

#define KV_USAGE \
	"kv [socket PATH] { put KEY { VALUE | file FILE } | get KEY | del KEY | list [PREFIX] }"

struct kv {
	int fd;
	const char *path;
	const char *verb;
	uint8_t *buf;		/* one frame, request or reply */
	struct json j;
};

/* ---- the connection ---- */

static int kv_connect(struct kv *kv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (strlen(kv->path) >= sizeof(sun.sun_path))
		return rumorctl_usage("kv: socket path too long: %s", kv->path);
	strcpy(sun.sun_path, kv->path);
	kv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (kv->fd < 0)
		return rumorctl_fail("kv: socket: %s", strerror(errno));
	if (!connect(kv->fd, (struct sockaddr *)&sun, sizeof(sun)))
		return 0;
	if (errno == ENOENT || errno == ECONNREFUSED)
		return rumorctl_fail("rumord is not running (no socket %s)",
				     kv->path);
	return rumorctl_fail("cannot reach rumord at %s: %s", kv->path,
			     strerror(errno));
}

static int send_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int recv_all(int fd, uint8_t *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
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

static int kv_send(struct kv *kv, const struct rumord_client_msg *m)
{
	long n;
	int rc;

	n = rumord_client_encode(m, kv->buf,
				 RUMORD_CLIENT_HLEN + RUMORD_CLIENT_MAX_BODY);
	if (n < 0)
		return rumorctl_fail("kv %s: cannot encode the request: %s",
				     kv->verb, strerror((int)-n));
	rc = send_all(kv->fd, kv->buf, (size_t)n);
	if (rc)
		return rumorctl_fail("kv %s: sending to rumord: %s", kv->verb,
				     strerror(-rc));
	return 0;
}

/* The next reply frame into *m (pointing into kv->buf). */
static int kv_recv(struct kv *kv, struct rumord_client_msg *m)
{
	struct rumord_client_hdr h;
	int rc;

	rc = recv_all(kv->fd, kv->buf, RUMORD_CLIENT_HLEN);
	if (!rc && rumord_client_parse_hdr(kv->buf, &h))
		rc = -EPROTO;
	if (!rc)
		rc = recv_all(kv->fd, kv->buf + RUMORD_CLIENT_HLEN, h.len);
	if (!rc && rumord_client_decode(&h, kv->buf + RUMORD_CLIENT_HLEN, m))
		rc = -EPROTO;
	if (!rc && m->op != RUMORD_OP_RECORD && m->op != RUMORD_OP_DONE)
		rc = -EPROTO;
	if (rc == -ECONNRESET)
		return rumorctl_fail("kv %s: rumord closed the connection",
				     kv->verb);
	if (rc)
		return rumorctl_fail("kv %s: bad reply from rumord: %s",
				     kv->verb, strerror(-rc));
	return 0;
}

/* ---- output ---- */

/* Bytes as one line of text: printable ASCII as is, the rest escaped. */
static void print_escaped(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\\')
			fputs("\\\\", stdout);
		else if (p[i] == '\t')
			fputs("\\t", stdout);
		else if (p[i] == '\n')
			fputs("\\n", stdout);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			putchar(p[i]);
		else
			printf("\\x%02x", p[i]);
	}
}

/* JSON strings end at a NUL: values with one are cut there. */
static int json_bytes(struct json *j, const char *key, const void *p,
		      size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		return -ENOMEM;
	if (len)
		memcpy(s, p, len);
	s[len] = '\0';
	json_str(j, key, s);
	free(s);
	return 0;
}

static void json_version(struct json *j, const struct rumord_version *v)
{
	char node[17];

	snprintf(node, sizeof(node), "%016llx",
		 (unsigned long long)v->dot.node);
	json_u64(j, "hlc", v->hlc);
	json_str(j, "node", node);
	json_u64(j, "counter", v->dot.counter);
}

static int json_record(struct kv *kv, const struct rumord_client_msg *m)
{
	json_open_object(&kv->j, NULL);
	if (json_bytes(&kv->j, "key", m->key, m->key_len) ||
	    json_bytes(&kv->j, "value", m->value, m->value_len))
		return rumorctl_fail("out of memory");
	json_version(&kv->j, &m->version);
	if (m->version.tombstone)
		json_bool(&kv->j, "deleted", true);
	json_close_object(&kv->j);
	return 0;
}

static int print_record(struct kv *kv, const struct rumord_client_msg *m,
			bool list)
{
	if (rumorctl_opts.json)
		return json_record(kv, m);
	if (list) {
		print_escaped(m->key, m->key_len);
		putchar('\t');
		print_escaped(m->value, m->value_len);
	} else if (m->value_len &&
		   fwrite(m->value, 1, m->value_len, stdout) != m->value_len) {
		return rumorctl_fail("kv get: writing the value: %s",
				     strerror(errno));
	}
	putchar('\n');
	return 0;
}

/* ---- one request, one reply ---- */

/*
 * Send @req and read its reply: RECORDs to print_record, then DONE, whose
 * message is left in *done. Returns an exit code; a DONE with an error is
 * the caller's to report.
 */
static int kv_call(struct kv *kv, const struct rumord_client_msg *req,
		   struct rumord_client_msg *done)
{
	bool list = req->op == RUMORD_OP_LIST;
	int rc;

	rc = kv_send(kv, req);
	if (rc)
		return rc;
	for (;;) {
		rc = kv_recv(kv, done);
		if (rc)
			return rc;
		if (done->op == RUMORD_OP_DONE)
			return 0;
		rc = print_record(kv, done, list);
		if (rc)
			return rc;
	}
}

static int check_key(struct kv *kv, const char *key)
{
	size_t len = strlen(key);

	if (!len || len > RUMORD_MAX_KEY)
		return rumorctl_usage("kv %s: a key is 1 to %d bytes", kv->verb,
				      RUMORD_MAX_KEY);
	return 0;
}

static int read_value(const char *path, uint8_t **value, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	uint8_t *p;
	bool failed;

	if (!f)
		return rumorctl_fail("kv put: %s: %s", path, strerror(errno));
	p = malloc(RUMORD_MAX_VALUE + 1);
	if (!p) {
		if (f != stdin)
			fclose(f);
		return rumorctl_fail("out of memory");
	}
	/* One byte more than allowed tells "too long" from "exactly full". */
	*len = fread(p, 1, RUMORD_MAX_VALUE + 1, f);
	failed = ferror(f);
	if (f != stdin)
		fclose(f);
	if (failed || *len > RUMORD_MAX_VALUE) {
		free(p);
		if (failed)
			return rumorctl_fail("kv put: %s: read error", path);
		return rumorctl_fail("kv put: %s: larger than %u bytes", path,
				     RUMORD_MAX_VALUE);
	}
	*value = p;
	return 0;
}

static int kv_put(struct kv *kv, int argc, char **argv)
{
	struct rumord_client_msg req = { .op = RUMORD_OP_PUT }, done;
	uint8_t *value = NULL;
	int rc;

	if (argc != 2 && !(argc == 3 && !strcmp(argv[1], "file")))
		return rumorctl_usage("kv put: expected KEY VALUE or KEY file FILE");
	rc = check_key(kv, argv[0]);
	if (rc)
		return rc;
	req.key = argv[0];
	req.key_len = strlen(argv[0]);
	if (argc == 3) {
		rc = read_value(argv[2], &value, &req.value_len);
		if (rc)
			return rc;
		req.value = value;
	} else {
		req.value = argv[1];
		req.value_len = strlen(argv[1]);
		if (req.value_len > RUMORD_MAX_VALUE)
			return rumorctl_usage("kv put: the value is larger than %u bytes",
					      RUMORD_MAX_VALUE);
	}
	rc = kv_connect(kv);
	if (!rc)
		rc = kv_call(kv, &req, &done);
	free(value);
	if (rc)
		return rc;
	if (done.status == -ESTALE)
		return rumorctl_fail("kv %s: %s: held by a write stamped ahead of this node's clock",
				     kv->verb, argv[0]);
	if (done.status)
		return rumorctl_fail("kv put: %s", strerror(-done.status));
	if (rumorctl_opts.json && done.has_version) {
		json_open_object(&kv->j, NULL);
		json_str(&kv->j, "key", argv[0]);
		json_version(&kv->j, &done.version);
		json_close_object(&kv->j);
		json_end(&kv->j);
	}
	return 0;
}

static int kv_del(struct kv *kv, int argc, char **argv)
{
	struct rumord_client_msg req = { .op = RUMORD_OP_DEL }, done;
	int rc;

	if (argc != 1)
		return rumorctl_usage("kv del: expected KEY");
	rc = check_key(kv, argv[0]);
	if (rc)
		return rc;
	req.key = argv[0];
	req.key_len = strlen(argv[0]);
	rc = kv_connect(kv);
	if (!rc)
		rc = kv_call(kv, &req, &done);
	if (rc)
		return rc;
	if (done.status == -ESTALE)
		return rumorctl_fail("kv %s: %s: held by a write stamped ahead of this node's clock",
				     kv->verb, argv[0]);
	if (done.status)
		return rumorctl_fail("kv del: %s", strerror(-done.status));
	if (rumorctl_opts.json && done.has_version) {
		json_open_object(&kv->j, NULL);
		json_str(&kv->j, "key", argv[0]);
		json_bool(&kv->j, "already_deleted", done.unchanged);
		json_version(&kv->j, &done.version);
		json_close_object(&kv->j);
		json_end(&kv->j);
	}
	return 0;
}

static int kv_get(struct kv *kv, int argc, char **argv)
{
	struct rumord_client_msg req = { .op = RUMORD_OP_GET }, done;
	int rc;

	if (argc != 1)
		return rumorctl_usage("kv get: expected KEY");
	rc = check_key(kv, argv[0]);
	if (rc)
		return rc;
	req.key = argv[0];
	req.key_len = strlen(argv[0]);
	rc = kv_connect(kv);
	if (!rc)
		rc = kv_call(kv, &req, &done);
	if (rc)
		return rc;
	if (done.status == -ENOENT)
		return rumorctl_fail("kv get: %s: no such key", argv[0]);
	if (done.status)
		return rumorctl_fail("kv get: %s", strerror(-done.status));
	if (rumorctl_opts.json)
		json_end(&kv->j);
	return 0;
}

static int kv_list(struct kv *kv, int argc, char **argv)
{
	struct rumord_client_msg req = { .op = RUMORD_OP_LIST }, done;
	int rc;

	if (argc > 1)
		return rumorctl_usage("kv list: expected at most a PREFIX");
	if (argc == 1) {
		req.key = argv[0];
		req.key_len = strlen(argv[0]);
		if (req.key_len > RUMORD_MAX_KEY)
			return rumorctl_usage("kv list: the prefix is longer than a key");
	}
	rc = kv_connect(kv);
	if (rc)
		return rc;
	if (rumorctl_opts.json)
		json_open_array(&kv->j, NULL);
	rc = kv_call(kv, &req, &done);
	if (rc)
		return rc;
	if (done.status)
		return rumorctl_fail("kv list: %s", strerror(-done.status));
	if (rumorctl_opts.json) {
		json_close_array(&kv->j);
		json_end(&kv->j);
	}
	return 0;
}

static const struct {
	const char *verb;
	int (*run)(struct kv *kv, int argc, char **argv);
} verbs[] = {
	{ "put", kv_put },
	{ "get", kv_get },
	{ "del", kv_del },
	{ "list", kv_list },
};

int cmd_kv(int argc, char **argv)
{
	static char path[256];
	struct kv kv = { .fd = -1 };
	size_t i;
	int a = 1, rc;

	kv.path = getenv("RUMORD_SOCKET");
	if (a + 1 < argc && !strcmp(argv[a], "socket")) {
		kv.path = argv[a + 1];
		a += 2;
	}
	if (a >= argc)
		return rumorctl_usage("kv: expected put, get, del or list: " KV_USAGE);
	kv.verb = argv[a];
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(kv.verb, verbs[i].verb))
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return rumorctl_usage("kv: unknown command '%s': " KV_USAGE,
				      kv.verb);
	if (!kv.path || !*kv.path) {
		rc = rumord_default_socket(path, sizeof(path));
		if (rc)
			return rumorctl_fail("kv: cannot name rumord's socket: %s",
					     strerror(-rc));
		kv.path = path;
	}
	kv.buf = malloc(RUMORD_CLIENT_HLEN + RUMORD_CLIENT_MAX_BODY);
	if (!kv.buf)
		return rumorctl_fail("out of memory");
	json_init(&kv.j, stdout);
	rc = verbs[i].run(&kv, argc - a - 1, argv + a + 1);
	fflush(stdout);
	if (kv.fd >= 0)
		close(kv.fd);
	free(kv.buf);
	return rc;
}
