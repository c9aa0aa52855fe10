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
#include "rumord_conn.h"

#define KV_USAGE \
	"kv [socket PATH] { put KEY { VALUE | file FILE } | get KEY | del KEY | list [PREFIX] }"

struct kv {
	struct rumord_conn c;
	struct json j;
};

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
	char node[17], hlc[21];

	snprintf(node, sizeof(node), "%016llx",
		 (unsigned long long)v->dot.node);
	/* A string: JSON readers keep numbers in doubles, exact to 2^53. */
	snprintf(hlc, sizeof(hlc), "%llu", (unsigned long long)v->hlc);
	json_str(j, "hlc", hlc);
	json_u64(j, "time_ms", v->hlc >> 16);
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

	rc = rumord_conn_send(&kv->c, req);
	if (rc)
		return rc;
	for (;;) {
		rc = rumord_conn_recv(&kv->c, done, RUMORD_OP_RECORD, RUMORD_OP_RECORD);
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
		return rumorctl_usage("kv %s: a key is 1 to %d bytes", kv->c.verb,
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

/* The end of a put or del of @key: its error, or with -j its version. */
static int write_done(struct kv *kv, const char *key,
		      const struct rumord_client_msg *done)
{
	if (done->status == -ESTALE)
		return rumorctl_fail("kv %s: %s: held by a write stamped ahead of this node's clock",
				     kv->c.verb, key);
	if (done->status)
		return rumorctl_fail("kv %s: %s", kv->c.verb,
				     strerror(-done->status));
	if (rumorctl_opts.json && done->has_version) {
		json_open_object(&kv->j, NULL);
		json_str(&kv->j, "key", key);
		if (!strcmp(kv->c.verb, "del"))
			json_bool(&kv->j, "already_deleted", done->unchanged);
		json_version(&kv->j, &done->version);
		json_close_object(&kv->j);
		json_end(&kv->j);
	}
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
	rc = rumord_conn_connect(&kv->c);
	if (!rc)
		rc = kv_call(kv, &req, &done);
	free(value);
	return rc ? rc : write_done(kv, argv[0], &done);
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
	rc = rumord_conn_connect(&kv->c);
	if (!rc)
		rc = kv_call(kv, &req, &done);
	return rc ? rc : write_done(kv, argv[0], &done);
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
	rc = rumord_conn_connect(&kv->c);
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
	rc = rumord_conn_connect(&kv->c);
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
	const char *path = getenv("RUMORD_SOCKET");
	struct kv kv;
	size_t i;
	int a = 1, rc;

	if (a + 1 < argc && !strcmp(argv[a], "socket")) {
		path = argv[a + 1];
		a += 2;
	}
	if (a >= argc)
		return rumorctl_usage("kv: expected put, get, del or list: " KV_USAGE);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[a], verbs[i].verb))
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return rumorctl_usage("kv: unknown command '%s': " KV_USAGE,
				      argv[a]);
	rc = rumord_conn_init(&kv.c, "kv", argv[a], path);
	if (rc)
		return rc;
	json_init(&kv.j, stdout);
	rc = verbs[i].run(&kv, argc - a - 1, argv + a + 1);
	fflush(stdout);
	rumord_conn_close(&kv.c);
	return rc;
}
