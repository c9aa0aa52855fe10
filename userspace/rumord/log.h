/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rumord's log: one line per event, to stderr (which systemd hands to the
 * journal) or to syslog. Errors and warnings always, info by default,
 * debug with --verbose.
 */
#ifndef _RUMORD_LOG_H
#define _RUMORD_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

enum rumord_log_to {
	RUMORD_LOG_STDERR,
	RUMORD_LOG_SYSLOG,
};

void rumord_log_init(enum rumord_log_to to, bool verbose);
void rumord_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define rumord_err(...)		rumord_log(LOG_ERR, __VA_ARGS__)
#define rumord_warn(...)	rumord_log(LOG_WARNING, __VA_ARGS__)
#define rumord_info(...)	rumord_log(LOG_INFO, __VA_ARGS__)
#define rumord_debug(...)	rumord_log(LOG_DEBUG, __VA_ARGS__)

/*
 * At most one line per @interval_ms for a recurring condition (a flood of
 * bad payloads must not flood the log); the lines held back are counted
 * and the next one that passes says how many.
 */
struct rumord_ratelimit {
	uint64_t interval_ms;
	uint64_t next_ms;
	uint64_t suppressed;
};

/* True if a line may go out now; *suppressed gets the count held back. */
bool rumord_ratelimit(struct rumord_ratelimit *rl, uint64_t *suppressed);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t rumord_now_ms(void);

#endif /* _RUMORD_LOG_H */
