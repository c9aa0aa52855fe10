// SPDX-License-Identifier: GPL-2.0
/*
 * Repair requests: see repair.h.
 */
#include <string.h>

#include "log.h"
#include "repair.h"

const char *const rumord_repair_names[RUMORD_REPAIR_NR] = {
	[RUMORD_REPAIR_STARTUP] = "startup",
	[RUMORD_REPAIR_LOST] = "lost",
	[RUMORD_REPAIR_REF] = "ref",
	[RUMORD_REPAIR_BROADCAST] = "broadcast",
	[RUMORD_REPAIR_NEIGHBOR] = "neighbor",
	[RUMORD_REPAIR_UNREADABLE] = "unreadable",
};

void rumord_repair_request(struct rumord_repair *r,
			   enum rumord_repair_reason why,
			   const struct sockaddr *hint, socklen_t hint_len)
{
	if (why >= RUMORD_REPAIR_NR)
		return;
	if (!r->pending)
		r->since_ms = rumord_now_ms();
	r->pending |= RUMORD_REPAIR_BIT(why);
	r->requests[why]++;
	if (hint && hint_len && hint_len <= sizeof(r->hint)) {
		memcpy(&r->hint, hint, hint_len);
		r->hint_len = hint_len;
	}
	if (r->kick)
		r->kick(r->kick_arg);
}

uint32_t rumord_repair_take(struct rumord_repair *r,
			    struct sockaddr_storage *hint, socklen_t *hint_len)
{
	uint32_t pending = r->pending;

	if (hint && hint_len) {
		*hint_len = r->hint_len;
		if (r->hint_len)
			memcpy(hint, &r->hint, r->hint_len);
	}
	r->pending = 0;
	r->hint_len = 0;
	if (pending)
		r->taken++;
	return pending;
}
