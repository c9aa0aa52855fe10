// SPDX-License-Identifier: GPL-2.0
/*
 * rumord's repair hook (repair.c) on a clock the test turns: requests and
 * their hint, and values by reference watched until their dot arrives,
 * asked for again with a growing delay, abandoned after the last try, and
 * a full watch table that still raises the request.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "../lib/ktap.h"
#include "bvv.h"
#include "repair.h"

static uint64_t fake_now = 1000000;

/* repair.c's clock: the test's. */
uint64_t rumord_now_ms(void)
{
	return fake_now;
}

static unsigned int kicks;

static void count_kick(void *arg)
{
	(void)arg;
	kicks++;
}

static struct sockaddr_in6 addr(uint8_t last)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };

	a.sin6_addr.s6_addr[15] = last;
	return a;
}

static uint8_t taken_hint(struct rumord_repair *r, uint32_t *pending)
{
	struct sockaddr_storage h;
	socklen_t len;

	*pending = rumord_repair_take(r, &h, &len);
	return len ? ((struct sockaddr_in6 *)&h)->sin6_addr.s6_addr[15] : 0;
}

static void test_request_and_take(void)
{
	struct rumord_repair r = { .kick = count_kick };
	struct sockaddr_in6 a = addr(7);
	uint32_t pending;

	kicks = 0;
	rumord_repair_request(&r, RUMORD_REPAIR_LOST, NULL, 0);
	rumord_repair_request(&r, RUMORD_REPAIR_NEIGHBOR, (struct sockaddr *)&a,
			      sizeof(a));
	rumord_repair_request(&r, RUMORD_REPAIR_NR, NULL, 0);	/* ignored */
	EXPECT_EQ(kicks, 2);
	EXPECT_EQ(taken_hint(&r, &pending), 7);
	EXPECT_EQ(pending, RUMORD_REPAIR_BIT(RUMORD_REPAIR_LOST) |
			   RUMORD_REPAIR_BIT(RUMORD_REPAIR_NEIGHBOR));
	EXPECT_EQ(r.taken, 1);
	EXPECT_EQ(taken_hint(&r, &pending), 0);
	EXPECT_EQ(pending, 0);
	EXPECT_EQ(r.taken, 1);
}

static void test_ref_arrives(void)
{
	struct rumord_repair r = { 0 };
	struct sockaddr_in6 a = addr(3);
	struct rumord_dot d = { 0xabc, 5 };
	struct rumord_bvv have;
	uint32_t pending;

	rumord_bvv_init(&have);
	rumord_repair_await_ref(&r, d, (struct sockaddr *)&a, sizeof(a));
	/* The same dot passed on again (another path): one watch. */
	rumord_repair_await_ref(&r, d, (struct sockaddr *)&a, sizeof(a));
	EXPECT_EQ(r.awaiting, 1);
	EXPECT_EQ(taken_hint(&r, &pending), 3);
	EXPECT_EQ(pending, RUMORD_REPAIR_BIT(RUMORD_REPAIR_REF));
	/* Not due yet: nothing raised, look again at the first retry. */
	EXPECT_EQ(rumord_repair_recheck(&r, &have),
		  fake_now + RUMORD_REPAIR_REF_RETRY_MS);
	EXPECT_EQ(r.pending, 0);
	ASSERT_EQ(rumord_bvv_add(&have, d), 1);
	EXPECT_EQ(rumord_repair_recheck(&r, &have), 0);
	EXPECT_EQ(r.awaiting, 0);
	EXPECT_EQ(r.refs_fetched, 1);
	EXPECT_EQ(r.refs_abandoned, 0);
	rumord_bvv_free(&have);
}

static void test_ref_retried_then_abandoned(void)
{
	struct rumord_repair r = { 0 };
	struct sockaddr_in6 a = addr(9);
	struct rumord_dot d = { 0xdef, 1 };
	struct rumord_bvv have;
	uint64_t next, delay = RUMORD_REPAIR_REF_RETRY_MS, waited = 0;
	uint32_t pending, tries;

	rumord_bvv_init(&have);
	rumord_repair_await_ref(&r, d, (struct sockaddr *)&a, sizeof(a));
	taken_hint(&r, &pending);
	next = rumord_repair_recheck(&r, &have);
	for (tries = 2; tries <= RUMORD_REPAIR_REF_TRIES; tries++) {
		/* A moment early: nothing. */
		fake_now = next - 1;
		EXPECT_EQ(rumord_repair_recheck(&r, &have), next);
		EXPECT_EQ(r.pending, 0);
		/* Due: asked again, of the same peer, after twice the delay. */
		waited += delay;
		fake_now = next;
		delay = delay * 2 < RUMORD_REPAIR_REF_RETRY_CAP_MS ?
			delay * 2 : RUMORD_REPAIR_REF_RETRY_CAP_MS;
		next = rumord_repair_recheck(&r, &have);
		EXPECT_EQ(next, fake_now + delay);
		EXPECT_EQ(taken_hint(&r, &pending), 9);
		EXPECT_EQ(pending, RUMORD_REPAIR_BIT(RUMORD_REPAIR_REF));
	}
	EXPECT_EQ(r.requests[RUMORD_REPAIR_REF], RUMORD_REPAIR_REF_TRIES);
	/* After the last try's delay: left to periodic sessions. */
	fake_now = next;
	EXPECT_EQ(rumord_repair_recheck(&r, &have), 0);
	EXPECT_EQ(r.pending, 0);
	EXPECT_EQ(r.awaiting, 0);
	EXPECT_EQ(r.refs_abandoned, 1);
	EXPECT_EQ(r.refs_fetched, 0);
	printf("# abandoned after %u requests over %llu ms\n",
		   RUMORD_REPAIR_REF_TRIES,
		   (unsigned long long)(waited + delay));
	rumord_bvv_free(&have);
}

/* A full table still asks; the overflow is counted, the watched go on. */
static void test_ref_table_full(void)
{
	struct rumord_repair r = { 0 };
	struct rumord_bvv have;
	uint32_t pending;
	uint64_t c;

	rumord_bvv_init(&have);
	for (c = 1; c <= RUMORD_REPAIR_AWAIT_MAX + 3; c++)
		rumord_repair_await_ref(&r, (struct rumord_dot){ 42, c }, NULL, 0);
	EXPECT_EQ(r.awaiting, RUMORD_REPAIR_AWAIT_MAX);
	EXPECT_EQ(r.refs_untracked, 3);
	EXPECT_EQ(r.requests[RUMORD_REPAIR_REF], RUMORD_REPAIR_AWAIT_MAX + 3);
	taken_hint(&r, &pending);
	EXPECT_EQ(pending, RUMORD_REPAIR_BIT(RUMORD_REPAIR_REF));
	/* Half of them come: their slots are free again. */
	for (c = 1; c <= RUMORD_REPAIR_AWAIT_MAX / 2; c++)
		ASSERT_EQ(rumord_bvv_add(&have, (struct rumord_dot){ 42, c }), 1);
	rumord_repair_recheck(&r, &have);
	EXPECT_EQ(r.refs_fetched, RUMORD_REPAIR_AWAIT_MAX / 2);
	EXPECT_EQ(r.awaiting, RUMORD_REPAIR_AWAIT_MAX / 2);
	rumord_repair_await_ref(&r, (struct rumord_dot){ 43, 1 }, NULL, 0);
	EXPECT_EQ(r.awaiting, RUMORD_REPAIR_AWAIT_MAX / 2 + 1);
	EXPECT_EQ(r.refs_untracked, 3);
	rumord_bvv_free(&have);
}

static const struct ktap_case cases[] = {
	{ "repair_request_and_take", test_request_and_take },
	{ "repair_ref_arrives", test_ref_arrives },
	{ "repair_ref_retried_then_abandoned", test_ref_retried_then_abandoned },
	{ "repair_ref_table_full", test_ref_table_full },
};

KTAP_MAIN(cases)
