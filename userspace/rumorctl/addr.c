// SPDX-License-Identifier: GPL-2.0
/*
 * Command-line values: addresses with optional ports, ports, numbers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rumorctl.h"

int rumorctl_parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	unsigned long long n;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || *end || n > max)
		return -1;
	*v = n;
	return 0;
}

int rumorctl_parse_port(const char *s, uint16_t *port)
{
	uint64_t v;

	if (rumorctl_parse_u64(s, 65535, &v) || v == 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int parse_host(const char *s, struct rumorctl_addr *a)
{
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->addr) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -1;
}

/*
 * ADDR, ADDR:PORT, [ADDR6] or [ADDR6]:PORT. A bare IPv6 address has colons
 * of its own, so a port after it needs the brackets, as in URLs.
 */
int rumorctl_parse_addr(const char *s, struct rumorctl_addr *a)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *colon;
	bool bracketed = false;
	size_t len;

	memset(a, 0, sizeof(*a));
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return -1;
		len = (size_t)(close - s - 1);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return -1;
		s++;
		bracketed = true;
	} else {
		colon = strchr(s, ':');
		if (colon && !strchr(colon + 1, ':')) {
			len = (size_t)(colon - s);
			port = colon + 1;
		} else {
			len = strlen(s);
		}
	}
	if (len == 0 || len >= sizeof(host))
		return -1;
	memcpy(host, s, len);
	host[len] = '\0';
	if (parse_host(host, a))
		return -1;
	if (bracketed && a->family != AF_INET6)
		return -1;
	if (port && rumorctl_parse_port(port, &a->port))
		return -1;
	return 0;
}

const char *rumorctl_format_addr(const struct rumorctl_addr *a, char *buf,
				 size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (!inet_ntop(a->family, a->addr, host, sizeof(host)))
		snprintf(host, sizeof(host), "?");
	if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", host, a->port);
	else
		snprintf(buf, len, "%s:%u", host, a->port);
	return buf;
}

/* A 16-byte address as the client protocol has it (IPv4-mapped or IPv6). */
const char *rumorctl_format_addr16(const uint8_t *addr, uint16_t port,
				   char *buf, size_t len)
{
	struct rumorctl_addr a = { .family = AF_INET6, .port = port };

	memcpy(a.addr, addr, 16);
	if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)addr)) {
		a.family = AF_INET;
		memcpy(a.addr, addr + 12, 4);
	}
	return rumorctl_format_addr(&a, buf, len);
}
