// SPDX-License-Identifier: GPL-2.0
/*
 * rumord's log. On stderr each line starts with a syslog priority in
 * angle brackets when stderr is the journal (systemd sets JOURNAL_STREAM),
 * so that journalctl -p works; otherwise with "rumord: ".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static enum rumord_log_to log_to = RUMORD_LOG_STDERR;
static bool log_verbose;
static bool log_journal;

void rumord_log_init(enum rumord_log_to to, bool verbose)
{
	log_to = to;
	log_verbose = verbose;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	if (to == RUMORD_LOG_SYSLOG)
		openlog("rumord", LOG_PID, LOG_DAEMON);
}

void rumord_log(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (prio == LOG_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_to == RUMORD_LOG_SYSLOG) {
		syslog(prio, "%s", line);
		return;
	}
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", prio, line);
	else
		fprintf(stderr, "rumord: %s\n", line);
}

uint64_t rumord_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool rumord_ratelimit(struct rumord_ratelimit *rl, uint64_t *suppressed)
{
	uint64_t now = rumord_now_ms();

	if (now < rl->next_ms) {
		rl->suppressed++;
		return false;
	}
	rl->next_ms = now + rl->interval_ms;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}
