// SPDX-License-Identifier: GPL-2.0
/*
 * rumorctl kv: this node's replicated key/value store, through rumord's
 * local socket (the protocol is userspace/rumord/client.h). The socket is
 * $RUMORD_SOCKET, or `socket PATH`, or the namespace's default, so that
 * `rumorctl -n NETNS kv ...` reaches the rumord of NETNS.
 *
 * put, del and get take a consistency level (--w N, --r N): rumord then
 * coordinates the request over the key's replicas and tells how it went
 * in a QUORUM frame before the DONE. where names those replicas.
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
	"kv [socket PATH] { put KEY { VALUE | file FILE } [--w N [--strict]] | " \
	"get KEY [--r N] | del KEY [--w N [--strict]] | where KEY [--n N] | " \
	"list [PREFIX] }"

struct kv {
	struct rumord_conn c;
	struct json j;
	uint16_t level;		/* --w, --r or --n N; 0 without */
	bool strict;		/* --strict */
	bool open;		/* -j: a get's object is open */
	bool has_quorum;
	struct rumord_client_quorum quorum;	/* a levelled request's */
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

/* A record; get's object stays open for its QUORUM (kv_done()). */
static int json_record(struct kv *kv, const struct rumord_client_msg *m,
		       bool list)
{
	json_open_object(&kv->j, NULL);
	if (json_bytes(&kv->j, "key", m->key, m->key_len) ||
	    json_bytes(&kv->j, "value", m->value, m->value_len))
		return rumorctl_fail("out of memory");
	json_version(&kv->j, &m->version);
	if (m->version.tombstone)
		json_bool(&kv->j, "deleted", true);
	if (list)
		json_close_object(&kv->j);
	kv->open = !list;
	return 0;
}

static int print_record(struct kv *kv, const struct rumord_client_msg *m,
			bool list)
{
	if (rumorctl_opts.json)
		return json_record(kv, m, list);
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
 * Send @req and read its reply: RECORDs to print_record, a levelled
 * request's QUORUM to kv->quorum, then DONE, whose message is left in
 * *done. Returns an exit code; a DONE with an error is the caller's to
 * report.
 */
static int kv_call(struct kv *kv, const struct rumord_client_msg *req,
		   struct rumord_client_msg *done)
{
	bool list = req->op == RUMORD_OP_LIST;
	uint8_t also = req->level ? RUMORD_OP_QUORUM : RUMORD_OP_RECORD;
	int rc;

	rc = rumord_conn_send(&kv->c, req);
	if (rc)
		return rc;
	for (;;) {
		rc = rumord_conn_recv(&kv->c, done, RUMORD_OP_RECORD, also);
		if (rc)
			return rc;
		if (done->op == RUMORD_OP_DONE)
			return 0;
		if (done->op == RUMORD_OP_QUORUM) {
			kv->quorum = done->quorum;
			kv->has_quorum = true;
			continue;
		}
		rc = print_record(kv, done, list);
		if (rc)
			return rc;
	}
}

/* A request about @key, at the level and strictness of the options. */
static int kv_key(struct kv *kv, struct rumord_client_msg *req, const char *key)
{
	size_t len = strlen(key);

	if (!len || len > RUMORD_MAX_KEY)
		return rumorctl_usage("kv %s: a key is 1 to %d bytes", kv->c.verb,
				      RUMORD_MAX_KEY);
	req->key = key;
	req->key_len = len;
	req->level = kv->level;
	req->flags = kv->strict ? RUMORD_CF_STRICT : 0;
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

static void json_quorum(struct kv *kv)
{
	const struct rumord_client_quorum *q = &kv->quorum;

	json_open_object(&kv->j, "quorum");
#define JSON_FIELD(f)	json_u64(&kv->j, #f, q->f);
	RUMORD_CLIENT_QUORUM_FIELDS(JSON_FIELD)
#undef JSON_FIELD
	if (*q->text)
		json_str(&kv->j, "error", q->text);
	json_close_object(&kv->j);
}

/*
 * -j: the object of a put, del or get of @key, if it has one: a write's
 * version, a get's record (open already), the QUORUM of either. A failed
 * request has one too when a QUORUM tells what happened.
 */
static void json_done(struct kv *kv, const char *key,
		      const struct rumord_client_msg *done)
{
	bool version = strcmp(kv->c.verb, "get") && !done->status &&
		       done->has_version;

	if (!kv->open && !version && !kv->has_quorum)
		return;
	if (!kv->open) {
		json_open_object(&kv->j, NULL);
		json_str(&kv->j, "key", key);
	}
	if (version && !strcmp(kv->c.verb, "del"))
		json_bool(&kv->j, "already_deleted", done->unchanged);
	if (version)
		json_version(&kv->j, &done->version);
	if (kv->has_quorum)
		json_quorum(kv);
	json_close_object(&kv->j);
	json_end(&kv->j);
	kv->open = false;
}

/*
 * The end of a put, del or get of @key: with -j its object, then its
 * error, in the words of the QUORUM's text if it has one.
 */
static int kv_done(struct kv *kv, const char *key,
		   const struct rumord_client_msg *done)
{
	if (rumorctl_opts.json)
		json_done(kv, key, done);
	if (!done->status)
		return 0;
	if (done->status == -ENOENT && !strcmp(kv->c.verb, "get"))
		return rumorctl_fail("kv get: %s: no such key", key);
	if (kv->has_quorum && *kv->quorum.text)
		return rumorctl_fail("kv %s: %s", kv->c.verb, kv->quorum.text);
	if (done->status == -ESTALE)
		return rumorctl_fail("kv %s: %s: held by a write stamped ahead of this node's clock",
				     kv->c.verb, key);
	return rumorctl_fail("kv %s: %s", kv->c.verb,
			     rumord_conn_error(done->status));
}

static int kv_put(struct kv *kv, int argc, char **argv)
{
	struct rumord_client_msg req = { .op = RUMORD_OP_PUT }, done;
	uint8_t *value = NULL;
	int rc;

	if (argc != 2 && !(argc == 3 && !strcmp(argv[1], "file")))
		return rumorctl_usage("kv put: expected KEY VALUE or KEY file FILE");
	rc = kv_key(kv, &req, argv[0]);
	if (rc)
		return rc;
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
	return rc ? rc : kv_done(kv, argv[0], &done);
}

/* del KEY, get KEY: a request about one key and its outcome. */
static int kv_one(struct kv *kv, uint8_t op, int argc, char **argv)
{
	struct rumord_client_msg req = { .op = op }, done;
	int rc;

	if (argc != 1)
		return rumorctl_usage("kv %s: expected KEY", kv->c.verb);
	rc = kv_key(kv, &req, argv[0]);
	if (!rc)
		rc = rumord_conn_connect(&kv->c);
	if (!rc)
		rc = kv_call(kv, &req, &done);
	return rc ? rc : kv_done(kv, argv[0], &done);
}

static int kv_del(struct kv *kv, int argc, char **argv)
{
	return kv_one(kv, RUMORD_OP_DEL, argc, argv);
}

static int kv_get(struct kv *kv, int argc, char **argv)
{
	return kv_one(kv, RUMORD_OP_GET, argc, argv);
}

/* The key's replicas in preference order: a NODE frame each. */
static int kv_where(struct kv *kv, int argc, char **argv)
{
	struct rumord_client_msg req = { .op = RUMORD_OP_WHERE };
	int rc, status;

	if (argc != 1)
		return rumorctl_usage("kv where: expected KEY");
	rc = kv_key(kv, &req, argv[0]);
	if (!rc)
		rc = rumord_conn_connect(&kv->c);
	if (!rc)
		rc = rumord_conn_send(&kv->c, &req);
	if (!rc)
		rc = rumorctl_print_nodes(&kv->c, true, &status);
	if (!rc && status)
		rc = rumorctl_fail("kv where: %s", rumord_conn_error(status));
	return rc;
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
	const char *level;	/* its level option; NULL: no options */
} verbs[] = {
	{ "put", kv_put, "--w" },
	{ "get", kv_get, "--r" },
	{ "del", kv_del, "--w" },
	{ "where", kv_where, "--n" },
	{ "list", kv_list, NULL },
};

static bool is_level_option(const char *s)
{
	return !strcmp(s, "--w") || !strcmp(s, "--r") || !strcmp(s, "--n");
}

/*
 * Take the options out of @argv, before or after the positional arguments
 * ("--" ends them: a value may begin with "--"), leaving those in order
 * and *argc their number. 0 or an exit code.
 */
static int kv_options(struct kv *kv, const char *want, int *argc, char **argv)
{
	const char *verb = kv->c.verb, *seen = NULL;
	bool options = true;
	int i, n = 0;
	uint64_t v;

	for (i = 0; i < *argc; i++) {
		const char *a = argv[i];

		if (options && !strcmp(a, "--")) {
			options = false;
		} else if (options && !strcmp(a, "--strict")) {
			kv->strict = true;
		} else if (options && is_level_option(a)) {
			if (strcmp(a, want))
				return rumorctl_usage("kv %s: %s is not an option of %s (%s N is)",
						      verb, a, verb, want);
			if (seen)
				return rumorctl_usage("kv %s: %s given twice", verb, a);
			if (i + 1 == *argc)
				return rumorctl_usage("kv %s: %s needs N", verb, a);
			if (rumorctl_parse_u64(argv[i + 1], RUMORD_CLIENT_MAX_LEVEL, &v) ||
			    !v)
				return rumorctl_usage("kv %s: %s %s: N is 1 to %d", verb,
						      a, argv[i + 1],
						      RUMORD_CLIENT_MAX_LEVEL);
			seen = a;
			kv->level = (uint16_t)v;
			i++;
		} else {
			argv[n++] = argv[i];
		}
	}
	/* Only a coordinated write refuses stand-ins (RUMORD_CF_STRICT). */
	if (kv->strict && (strcmp(want, "--w") || !kv->level))
		return rumorctl_usage("kv %s: --strict goes with put or del and --w N",
				      verb);
	*argc = n;
	return 0;
}

int cmd_kv(int argc, char **argv)
{
	struct kv kv;
	size_t i;
	int a = 1, rc;
	const char *path = rumord_conn_path(argc, argv, &a);

	if (a >= argc)
		return rumorctl_usage("kv: expected put, get, del, where or list: " KV_USAGE);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[a], verbs[i].verb))
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return rumorctl_usage("kv: unknown command '%s': " KV_USAGE,
				      argv[a]);
	memset(&kv, 0, sizeof(kv));
	rc = rumord_conn_init(&kv.c, "kv", argv[a], path);
	if (rc)
		return rc;
	json_init(&kv.j, stdout);
	argc -= a + 1;
	argv += a + 1;
	if (verbs[i].level)
		rc = kv_options(&kv, verbs[i].level, &argc, argv);
	if (!rc)
		rc = verbs[i].run(&kv, argc, argv);
	fflush(stdout);
	rumord_conn_close(&kv.c);
	return rc;
}
