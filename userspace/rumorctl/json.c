// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal JSON writer for -j output. It writes as it goes; nesting depth is
 * bounded by the structures rumorctl prints.
 */
#include <string.h>

#include "rumorctl.h"

#define JSON_MAX_DEPTH (int)(sizeof(((struct json *)0)->need_comma) / sizeof(bool))

void json_init(struct json *j, FILE *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

static void put_string(struct json *j, const char *s)
{
	const unsigned char *p;

	fputc('"', j->out);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(j->out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(j->out, "\\u%04x", *p);
		else
			fputc(*p, j->out);
	}
	fputc('"', j->out);
}

/* Comma and key before a value; key is NULL inside arrays. */
static void begin_value(struct json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->out);
	j->need_comma[j->depth] = true;
	if (key) {
		put_string(j, key);
		fputc(':', j->out);
	}
}

static void open(struct json *j, const char *key, char c)
{
	begin_value(j, key);
	fputc(c, j->out);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_(struct json *j, char c)
{
	fputc(c, j->out);
	if (j->depth > 0)
		j->depth--;
}

void json_open_object(struct json *j, const char *key)
{
	open(j, key, '{');
}

void json_close_object(struct json *j)
{
	close_(j, '}');
}

void json_open_array(struct json *j, const char *key)
{
	open(j, key, '[');
}

void json_close_array(struct json *j)
{
	close_(j, ']');
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	begin_value(j, key);
	fprintf(j->out, "%llu", (unsigned long long)v);
}

void json_str(struct json *j, const char *key, const char *v)
{
	begin_value(j, key);
	put_string(j, v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	begin_value(j, key);
	fputs(v ? "true" : "false", j->out);
}

void json_end(struct json *j)
{
	fputc('\n', j->out);
	j->need_comma[0] = false;
	fflush(j->out);
}
