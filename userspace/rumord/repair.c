// SPDX-License-Identifier: GPL-2.0
/*
 * Repair requests: see repair.h.
 */
#include <string.h>

#include "bvv.h"
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

static uint64_t retry_delay(uint32_t tries)
{
	uint64_t ms = (uint64_t)RUMORD_REPAIR_REF_RETRY_MS << (tries - 1);

	return ms < RUMORD_REPAIR_REF_RETRY_CAP_MS ? ms :
	       RUMORD_REPAIR_REF_RETRY_CAP_MS;
}

void rumord_repair_await_ref(struct rumord_repair *r, struct rumord_dot dot,
			     const struct sockaddr *hint, socklen_t hint_len)
{
	struct rumord_repair_await *a, *free_slot = NULL;
	size_t i;

	for (i = 0; i < RUMORD_REPAIR_AWAIT_MAX; i++) {
		a = &r->await[i];
		if (!a->dot.node) {
			if (!free_slot)
				free_slot = a;
			continue;
		}
		if (a->dot.node == dot.node && a->dot.counter == dot.counter)
			goto request;
	}
	if (!free_slot) {
		r->refs_untracked++;
		goto request;
	}
	a = free_slot;
	memset(a, 0, sizeof(*a));
	a->dot = dot;
	if (hint && hint_len && hint_len <= sizeof(a->hint)) {
		memcpy(&a->hint, hint, hint_len);
		a->hint_len = hint_len;
	}
	a->tries = 1;
	a->due_ms = rumord_now_ms() + retry_delay(a->tries);
	r->awaiting++;
request:
	rumord_repair_request(r, RUMORD_REPAIR_REF, hint, hint_len);
}

uint64_t rumord_repair_recheck(struct rumord_repair *r,
			       const struct rumord_bvv *have)
{
	uint64_t now = rumord_now_ms(), next = 0;
	size_t i;

	for (i = 0; i < RUMORD_REPAIR_AWAIT_MAX && r->awaiting; i++) {
		struct rumord_repair_await *a = &r->await[i];

		if (!a->dot.node)
			continue;
		if (rumord_bvv_contains(have, a->dot)) {
			r->refs_fetched++;
			goto forget;
		}
		if (a->due_ms > now)
			goto keep;
		if (a->tries >= RUMORD_REPAIR_REF_TRIES) {
			r->refs_abandoned++;
			goto forget;
		}
		a->tries++;
		a->due_ms = now + retry_delay(a->tries);
		rumord_repair_request(r, RUMORD_REPAIR_REF,
				      a->hint_len ? (struct sockaddr *)&a->hint : NULL,
				      a->hint_len);
keep:
		if (!next || a->due_ms < next)
			next = a->due_ms;
		continue;
forget:
		a->dot.node = 0;
		r->awaiting--;
	}
	return next;
}
