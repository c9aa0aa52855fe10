// SPDX-License-Identifier: GPL-2.0
/*
 * The hint store of hinted handoff (userspace/rumord/hints.c) alone: add,
 * replay oldest first in batches, acknowledge; the byte quota to the
 * byte; a key's newer hint replacing the older; expiry with an injected
 * clock; everything surviving a close and reopen; the bound on targets; a
 * full map leaving no partial state. After every step the per-target
 * totals are checked against the hints themselves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/ktap.h"
#include "../lib/scratch.h"
#include "hints.h"

#define WALL0	1700000000000ull	/* a November 2023 morning, in ms */

static uint64_t fake_wall = WALL0;

static uint64_t wall(void)
{
	return fake_wall;
}

struct fx {
	char dir[64];
	struct rumord_hints *h;
	struct rumord_hints_opts opts;
};

static int fx_open(struct fx *f)
{
	f->opts.wall_ms = wall;
	return rumord_hints_open(&f->h, f->dir, &f->opts);
}

static int fx_new(struct fx *f, uint64_t quota, uint64_t window_ms,
		  size_t map_size)
{
	memset(f, 0, sizeof(*f));
	fake_wall = WALL0;
	strcpy(f->dir, "/tmp/rumor-test-hints.XXXXXX");
	if (!mkdtemp(f->dir))
		return -errno;
	f->opts.quota = quota;
	f->opts.window_ms = window_ms;
	f->opts.map_size = map_size;
	return fx_open(f);
}

static int fx_reopen(struct fx *f)
{
	rumord_hints_close(f->h);
	f->h = NULL;
	return fx_open(f);
}

static void fx_done(struct fx *f)
{
	rumord_hints_close(f->h);
	f->h = NULL;
	rm_rf(f->dir);
}

static struct rumord_node_addr addr_of(uint64_t node)
{
	struct rumord_node_addr a = { .port = 7867 };

	a.addr[10] = 0xff;
	a.addr[11] = 0xff;
	a.addr[12] = 10;
	a.addr[15] = (uint8_t)node;
	return a;
}

static struct rumord_record rec(const char *k, const void *v, size_t vlen,
				uint64_t hlc)
{
	return (struct rumord_record){
		.key = k, .key_len = strlen(k),
		.value = v, .value_len = v ? vlen : 0,
		.version = { .hlc = hlc, .dot = { 77, hlc }, .tombstone = !v },
	};
}

static int add(struct fx *f, uint64_t target, const char *k, const char *v,
	       uint64_t hlc)
{
	struct rumord_node_addr a = addr_of(target);
	struct rumord_record r = rec(k, v, v ? strlen(v) : 0, hlc);

	return rumord_hints_add(f->h, target, &a, &r);
}

/* Copies of replayed hints, for comparing. */
struct seen {
	size_t n;
	struct {
		uint64_t id, stored_ms, hlc;
		char key[600];
		char value[256];
		size_t value_len;
		bool tombstone;
		struct rumord_node_addr addr;
	} h[64];
	int stop_after;		/* return 1 after this many; 0: never */
	int fail_with;		/* return this at once; 0: never */
};

static int collect(const struct rumord_hint *hint, void *arg)
{
	struct seen *s = arg;

	if (s->fail_with)
		return s->fail_with;
	if (s->n < sizeof(s->h) / sizeof(s->h[0])) {
		s->h[s->n].id = hint->id;
		s->h[s->n].stored_ms = hint->stored_ms;
		s->h[s->n].hlc = hint->rec.version.hlc;
		s->h[s->n].tombstone = hint->rec.version.tombstone;
		s->h[s->n].addr = hint->addr;
		memcpy(s->h[s->n].key, hint->rec.key, hint->rec.key_len);
		s->h[s->n].key[hint->rec.key_len] = '\0';
		s->h[s->n].value_len = hint->rec.value_len;
		if (hint->rec.value_len < sizeof(s->h[0].value))
			memcpy(s->h[s->n].value, hint->rec.value,
			       hint->rec.value_len);
	}
	s->n++;
	return s->stop_after && s->n == (size_t)s->stop_after;
}

static long replay_all(struct fx *f, uint64_t target, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return rumord_hints_replay(f->h, target, 0, 1000000, collect, s);
}

static bool target_eq(const struct rumord_hint_target *a,
		      const struct rumord_hint_target *b)
{
	return a->node == b->node && a->count == b->count &&
	       a->bytes == b->bytes && a->oldest_ms == b->oldest_ms &&
	       a->addr.port == b->addr.port &&
	       !memcmp(a->addr.addr, b->addr.addr, sizeof(a->addr.addr));
}

struct tally {
	uint64_t count, bytes, oldest, last_id, last_ms;
	int bad;
};

static int tally_cb(const struct rumord_hint *hint, void *arg)
{
	struct tally *t = arg;

	if (!t->count)
		t->oldest = hint->stored_ms;
	/* Ids increase, and stored times with them. */
	if (hint->id <= t->last_id || hint->stored_ms < t->last_ms)
		t->bad++;
	t->last_id = hint->id;
	t->last_ms = hint->stored_ms;
	t->count++;
	t->bytes += rumord_hint_size(hint->rec.key_len, hint->rec.value_len);
	return 0;
}

/*
 * Every target's totals agree with its hints, replayed in small batches;
 * returns the number of targets, or -1.
 */
static long check_consistent(struct fx *f)
{
	static struct rumord_hint_target tg[RUMORD_HINTS_MAX_TARGETS + 1];
	struct rumord_hint_target one;
	struct tally t;
	long n, i, got;
	uint64_t after;

	n = rumord_hints_targets(f->h, tg, RUMORD_HINTS_MAX_TARGETS + 1);
	if (n < 0 || n > RUMORD_HINTS_MAX_TARGETS)
		return -1;
	for (i = 0; i < n; i++) {
		memset(&t, 0, sizeof(t));
		after = 0;
		do {
			got = rumord_hints_replay(f->h, tg[i].node, after, 7,
						  tally_cb, &t);
			if (got < 0)
				return -1;
			after = t.last_id;
		} while (got);
		if (t.bad || t.count != tg[i].count || t.bytes != tg[i].bytes ||
		    t.oldest != tg[i].oldest_ms || !t.count)
			return -1;
		if (i && tg[i].node <= tg[i - 1].node)
			return -1;
		if (rumord_hints_target(f->h, tg[i].node, &one) != 1 ||
		    !target_eq(&one, &tg[i]))
			return -1;
	}
	return n;
}

/* ---- cases ---- */

static void test_add_replay_ack(void)
{
	struct rumord_hint_target tg[4];
	const struct rumord_hints_stats *st;
	struct rumord_node_addr a5 = addr_of(5);
	struct seen s;
	struct fx f;
	uint64_t id2;

	ASSERT_EQ(fx_new(&f, 0, 0, 0), 0);
	st = rumord_hints_stats(f.h);
	EXPECT_EQ(add(&f, 5, "k1", "one", 10), 1);
	fake_wall += 10;
	EXPECT_EQ(add(&f, 5, "k2", "two", 11), 1);
	fake_wall += 10;
	EXPECT_EQ(add(&f, 5, "k3", NULL, 12), 1);	/* a delete */
	EXPECT_EQ(add(&f, 9, "k1", "nine", 13), 1);
	EXPECT_EQ(st->added, 4);
	EXPECT_EQ(check_consistent(&f), 2);

	/* Oldest first, whole. */
	ASSERT_EQ(replay_all(&f, 5, &s), 3);
	EXPECT_TRUE(!strcmp(s.h[0].key, "k1") && s.h[0].value_len == 3 &&
		    !memcmp(s.h[0].value, "one", 3) && s.h[0].hlc == 10);
	EXPECT_TRUE(!strcmp(s.h[1].key, "k2") && s.h[1].stored_ms == WALL0 + 10);
	EXPECT_TRUE(!strcmp(s.h[2].key, "k3") && s.h[2].tombstone &&
		    !s.h[2].value_len && s.h[2].stored_ms == WALL0 + 20);
	EXPECT_TRUE(s.h[0].id < s.h[1].id && s.h[1].id < s.h[2].id);
	EXPECT_TRUE(!memcmp(&s.h[0].addr, &a5, sizeof(a5)));
	id2 = s.h[1].id;

	/* In batches: two, then what is after the last id given. */
	memset(&s, 0, sizeof(s));
	EXPECT_EQ(rumord_hints_replay(f.h, 5, 0, 2, collect, &s), 2);
	EXPECT_EQ(rumord_hints_replay(f.h, 5, s.h[1].id, 2, collect, &s), 1);
	EXPECT_EQ(rumord_hints_replay(f.h, 5, s.h[2].id, 2, collect, &s), 0);
	EXPECT_TRUE(!strcmp(s.h[2].key, "k3"));
	/* The callback stops a batch, or fails it. */
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	EXPECT_EQ(rumord_hints_replay(f.h, 5, 0, 10, collect, &s), 1);
	s.fail_with = -EPIPE;
	EXPECT_EQ(rumord_hints_replay(f.h, 5, 0, 10, collect, &s), -EPIPE);
	/* Nothing for a target without hints. */
	EXPECT_EQ(replay_all(&f, 6, &s), 0);

	/* An acknowledgement deletes one hint, once. */
	EXPECT_EQ(rumord_hints_ack(f.h, 5, id2), 1);
	EXPECT_EQ(rumord_hints_ack(f.h, 5, id2), 0);
	EXPECT_EQ(rumord_hints_ack(f.h, 9, id2), 0);	/* not 9's */
	EXPECT_EQ(st->replayed, 1);
	ASSERT_EQ(replay_all(&f, 5, &s), 2);
	EXPECT_TRUE(!strcmp(s.h[0].key, "k1") && !strcmp(s.h[1].key, "k3"));
	/* Gone whole: the same write may be hinted again. */
	EXPECT_EQ(add(&f, 5, "k2", "two", 11), 1);
	EXPECT_EQ(rumord_hints_ack(f.h, 5, id2 + 3), 1);
	EXPECT_EQ(check_consistent(&f), 2);
	ASSERT_EQ(rumord_hints_targets(f.h, tg, 4), 2);
	EXPECT_EQ(tg[0].node, 5);
	EXPECT_EQ(tg[0].count, 2);
	EXPECT_EQ(tg[0].bytes, rumord_hint_size(2, 3) + rumord_hint_size(2, 0));
	EXPECT_EQ(tg[0].oldest_ms, WALL0);
	EXPECT_EQ(check_consistent(&f), 2);

	/* The last acknowledgement takes the target off the list. */
	EXPECT_EQ(rumord_hints_ack(f.h, 5, s.h[0].id), 1);
	EXPECT_EQ(rumord_hints_ack(f.h, 5, s.h[1].id), 1);
	ASSERT_EQ(rumord_hints_targets(f.h, tg, 4), 1);
	EXPECT_EQ(tg[0].node, 9);
	EXPECT_EQ(rumord_hints_target(f.h, 5, &tg[1]), 0);
	EXPECT_EQ(st->replayed, 4);
	EXPECT_EQ(check_consistent(&f), 1);
	fx_done(&f);
}

/* The quota holds to the byte, replacements counted by their difference. */
static void test_quota_exact(void)
{
	const uint64_t unit = rumord_hint_size(2, 100);
	const struct rumord_hints_stats *st;
	struct rumord_hint_target tg;
	struct rumord_node_addr a = addr_of(1);
	struct rumord_record r;
	char v[200];
	struct seen s;
	struct fx f;

	memset(v, 'q', sizeof(v));
	ASSERT_EQ(fx_new(&f, 3 * unit, 0, 0), 0);
	st = rumord_hints_stats(f.h);
	r = rec("k1", v, 100, 1);
	EXPECT_EQ(rumord_hints_add(f.h, 1, &a, &r), 1);
	r = rec("k2", v, 100, 2);
	EXPECT_EQ(rumord_hints_add(f.h, 1, &a, &r), 1);
	r = rec("k3", v, 100, 3);
	EXPECT_EQ(rumord_hints_add(f.h, 1, &a, &r), 1);
	ASSERT_EQ(rumord_hints_target(f.h, 1, &tg), 1);
	EXPECT_EQ(tg.bytes, 3 * unit);

	/* Full to the byte: one more is refused and nothing changes. */
	r = rec("k4", v, 0, 4);
	r.version.tombstone = true;
	EXPECT_EQ(rumord_hints_add(f.h, 1, &a, &r), -EDQUOT);
	EXPECT_EQ(st->dropped_quota, 1);
	ASSERT_EQ(rumord_hints_target(f.h, 1, &tg), 1);
	EXPECT_EQ(tg.bytes, 3 * unit);
	EXPECT_EQ(tg.count, 3);

	/* A replacement of the same size fits; one byte more does not. */
	r = rec("k1", v, 100, 5);
	EXPECT_EQ(rumord_hints_add(f.h, 1, &a, &r), 1);
	r = rec("k1", v, 101, 6);
	EXPECT_EQ(rumord_hints_add(f.h, 1, &a, &r), -EDQUOT);
	EXPECT_EQ(st->dropped_quota, 2);
	/* ... and the refused one left the older hint of the key in place. */
	ASSERT_EQ(replay_all(&f, 1, &s), 3);
	EXPECT_TRUE(!strcmp(s.h[2].key, "k1") && s.h[2].hlc == 5 &&
		    s.h[2].value_len == 100);
	r = rec("k1", v, 99, 7);
	EXPECT_EQ(rumord_hints_add(f.h, 1, &a, &r), 1);
	ASSERT_EQ(rumord_hints_target(f.h, 1, &tg), 1);
	EXPECT_EQ(tg.bytes, 3 * unit - 1);
	r = rec("k2", v, 101, 8);
	EXPECT_EQ(rumord_hints_add(f.h, 1, &a, &r), 1);
	ASSERT_EQ(rumord_hints_target(f.h, 1, &tg), 1);
	EXPECT_EQ(tg.bytes, 3 * unit);

	/* Quotas are per target; a hint larger than a quota never fits. */
	r = rec("k9", v, 100, 9);
	EXPECT_EQ(rumord_hints_add(f.h, 2, &a, &r), 1);
	r = rec("kk", v, 200, 10);
	r.key = "k";
	r.key_len = 1;
	EXPECT_EQ(rumord_hints_add(f.h, 3, &a, &r), 1);
	{
		static char big[1 << 20];
		struct rumord_record rb = rec("big", big, sizeof(big), 11);

		EXPECT_EQ(rumord_hints_add(f.h, 4, &a, &rb), -EDQUOT);
	}
	EXPECT_EQ(st->dropped_quota, 3);
	EXPECT_EQ(rumord_hints_target(f.h, 4, &tg), 0);

	/* An acknowledgement makes room again. */
	r = rec("k5", v, 100, 12);
	EXPECT_EQ(rumord_hints_add(f.h, 1, &a, &r), -EDQUOT);
	ASSERT_EQ(replay_all(&f, 1, &s), 3);
	EXPECT_EQ(rumord_hints_ack(f.h, 1, s.h[0].id), 1);
	EXPECT_EQ(rumord_hints_add(f.h, 1, &a, &r), 1);
	EXPECT_EQ(check_consistent(&f), 3);
	fx_done(&f);
}

static void test_replace_older(void)
{
	const struct rumord_hints_stats *st;
	struct rumord_hint_target tg;
	struct rumord_node_addr a = addr_of(3);
	struct rumord_record r;
	char key512[RUMORD_MAX_KEY + 1];
	uint64_t old_id;
	struct seen s;
	struct fx f;

	ASSERT_EQ(fx_new(&f, 0, 0, 0), 0);
	st = rumord_hints_stats(f.h);
	EXPECT_EQ(add(&f, 3, "k", "first", 10), 1);
	EXPECT_EQ(add(&f, 3, "other", "x", 11), 1);
	ASSERT_EQ(replay_all(&f, 3, &s), 2);
	old_id = s.h[0].id;

	fake_wall += 1000;
	EXPECT_EQ(add(&f, 3, "k", "second!", 20), 1);
	EXPECT_EQ(st->replaced, 1);
	ASSERT_EQ(replay_all(&f, 3, &s), 2);
	/* The newer hint is the youngest now, under a new id. */
	EXPECT_TRUE(!strcmp(s.h[0].key, "other"));
	EXPECT_TRUE(!strcmp(s.h[1].key, "k") && s.h[1].hlc == 20 &&
		    s.h[1].value_len == 7 && !memcmp(s.h[1].value, "second!", 7));
	EXPECT_TRUE(s.h[1].id > old_id && s.h[1].stored_ms == WALL0 + 1000);
	ASSERT_EQ(rumord_hints_target(f.h, 3, &tg), 1);
	EXPECT_EQ(tg.count, 2);
	EXPECT_EQ(tg.bytes, rumord_hint_size(1, 7) + rumord_hint_size(5, 1));

	/* Older or the same version: nothing stored, nothing changed. */
	EXPECT_EQ(add(&f, 3, "k", "stale", 15), 0);
	EXPECT_EQ(add(&f, 3, "k", "second!", 20), 0);
	EXPECT_EQ(st->superseded, 2);
	/* A tombstone at the same timestamp and node wins (version.c). */
	r = rec("k", NULL, 0, 20);
	EXPECT_EQ(rumord_hints_add(f.h, 3, &a, &r), 1);
	ASSERT_EQ(rumord_hints_target(f.h, 3, &tg), 1);
	EXPECT_EQ(tg.bytes, rumord_hint_size(1, 0) + rumord_hint_size(5, 1));

	/* The acknowledgement of a replaced hint leaves its successor. */
	EXPECT_EQ(rumord_hints_ack(f.h, 3, old_id), 0);
	ASSERT_EQ(replay_all(&f, 3, &s), 2);
	EXPECT_TRUE(!strcmp(s.h[1].key, "k") && s.h[1].tombstone);

	/* The same key for another target is another hint. */
	EXPECT_EQ(add(&f, 4, "k", "four", 1), 1);
	EXPECT_EQ(add(&f, 3, "k", "back", 30), 1);
	ASSERT_EQ(replay_all(&f, 4, &s), 1);
	EXPECT_TRUE(s.h[0].hlc == 1);

	/* Keys of the largest size replace each other too. */
	memset(key512, 'z', RUMORD_MAX_KEY);
	key512[RUMORD_MAX_KEY] = '\0';
	EXPECT_EQ(add(&f, 3, key512, "a", 40), 1);
	key512[RUMORD_MAX_KEY - 1] = 'y';
	EXPECT_EQ(add(&f, 3, key512, "b", 41), 1);
	EXPECT_EQ(add(&f, 3, key512, "c", 42), 1);
	ASSERT_EQ(rumord_hints_target(f.h, 3, &tg), 1);
	EXPECT_EQ(tg.count, 4);
	EXPECT_EQ(check_consistent(&f), 2);
	fx_done(&f);
}

static void test_expiry(void)
{
	const struct rumord_hints_stats *st;
	struct rumord_hint_target tg[4];
	char key[32];
	struct seen s;
	struct fx f;
	int i;

	ASSERT_EQ(fx_new(&f, 0, 1000, 0), 0);
	st = rumord_hints_stats(f.h);
	EXPECT_EQ(add(&f, 1, "a", "0", 1), 1);			/* at 0 */
	fake_wall = WALL0 + 400;
	EXPECT_EQ(add(&f, 2, "b", "400", 2), 1);
	fake_wall = WALL0 + 600;
	EXPECT_EQ(add(&f, 1, "c", "600", 3), 1);
	fake_wall = WALL0 + 1500;
	EXPECT_EQ(add(&f, 1, "d", "1500", 4), 1);

	EXPECT_EQ(rumord_hints_expire(f.h, 0), 0);
	EXPECT_EQ(rumord_hints_expire(f.h, WALL0 + 999), 0);
	/* At the window's age a hint goes. */
	EXPECT_EQ(rumord_hints_expire(f.h, WALL0 + 1000), 1);
	EXPECT_EQ(rumord_hints_expire(f.h, WALL0 + 1600), 2);
	EXPECT_EQ(st->expired, 3);
	ASSERT_EQ(rumord_hints_targets(f.h, tg, 4), 1);
	EXPECT_EQ(tg[0].node, 1);
	EXPECT_EQ(tg[0].count, 1);
	EXPECT_EQ(tg[0].oldest_ms, WALL0 + 1500);
	EXPECT_EQ(check_consistent(&f), 1);

	/* The clock stepping back does not make a hint older than the last. */
	fake_wall = WALL0 + 100;
	EXPECT_EQ(add(&f, 1, "e", "back", 5), 1);
	ASSERT_EQ(replay_all(&f, 1, &s), 2);
	EXPECT_EQ(s.h[1].stored_ms, WALL0 + 1500);
	EXPECT_EQ(rumord_hints_expire(f.h, WALL0 + 2499), 0);
	EXPECT_EQ(rumord_hints_expire(f.h, WALL0 + 2500), 2);
	EXPECT_EQ(check_consistent(&f), 0);

	/* More than one transaction's batch at once. */
	fake_wall = WALL0 + 10000;
	for (i = 0; i < 1100; i++) {
		snprintf(key, sizeof(key), "batch-%d", i);
		ASSERT_EQ(add(&f, 7, key, "v", 100 + i), 1);
	}
	fake_wall = WALL0 + 10001;
	EXPECT_EQ(add(&f, 7, "young", "v", 5000), 1);
	EXPECT_EQ(rumord_hints_expire(f.h, WALL0 + 11000), 1100);
	EXPECT_EQ(st->expired, 1105);
	ASSERT_EQ(replay_all(&f, 7, &s), 1);
	EXPECT_TRUE(!strcmp(s.h[0].key, "young"));
	EXPECT_EQ(check_consistent(&f), 1);
	fx_done(&f);
}

static void test_reopen_keeps_everything(void)
{
	static struct rumord_hint_target before[8], after[8];
	struct seen s1, s2;
	uint64_t max_id = 0;
	long n;
	struct fx f;
	size_t i;

	ASSERT_EQ(fx_new(&f, 0, 0, 0), 0);
	EXPECT_EQ(add(&f, 1, "a", "1", 1), 1);
	fake_wall += 5;
	EXPECT_EQ(add(&f, 2, "b", "2", 2), 1);
	EXPECT_EQ(add(&f, 2, "c", NULL, 3), 1);
	fake_wall += 5;
	EXPECT_EQ(add(&f, 3, "d", "4", 4), 1);
	EXPECT_EQ(add(&f, 1, "a", "1 again", 5), 1);	/* replaces */
	fake_wall += 5;
	EXPECT_EQ(add(&f, 1, "e", "6", 6), 1);
	ASSERT_EQ(replay_all(&f, 2, &s1), 2);
	EXPECT_EQ(rumord_hints_ack(f.h, 2, s1.h[0].id), 1);
	n = rumord_hints_targets(f.h, before, 8);
	ASSERT_EQ(n, 3);
	ASSERT_EQ(replay_all(&f, 1, &s1), 2);

	fake_wall = WALL0;	/* the clock went back over the restart */
	ASSERT_EQ(fx_reopen(&f), 0);
	ASSERT_EQ(rumord_hints_targets(f.h, after, 8), n);
	for (i = 0; i < (size_t)n; i++)
		EXPECT_TRUE(target_eq(&before[i], &after[i]));
	ASSERT_EQ(replay_all(&f, 1, &s2), 2);
	EXPECT_TRUE(!memcmp(&s1, &s2, sizeof(s1)));
	EXPECT_EQ(check_consistent(&f), 3);

	/* Ids and stored times carry on from before. */
	for (i = 0; i < s2.n; i++)
		if (s2.h[i].id > max_id)
			max_id = s2.h[i].id;
	EXPECT_EQ(add(&f, 3, "f", "7", 7), 1);
	ASSERT_EQ(replay_all(&f, 3, &s2), 2);
	EXPECT_TRUE(s2.h[1].id > max_id);
	EXPECT_EQ(s2.h[1].stored_ms, WALL0 + 15);
	fx_done(&f);
}

/* A directory holding hints of another layout is refused. */
static void test_other_layout(void)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t two[8] = { 2 };
	MDB_val k = { 6, "layout" }, v = { sizeof(two), two };
	struct fx f;

	ASSERT_EQ(fx_new(&f, 0, 0, 0), 0);
	rumord_hints_close(f.h);
	f.h = NULL;
	ASSERT_EQ(mdb_env_create(&env), 0);
	ASSERT_EQ(mdb_env_set_maxdbs(env, 4), 0);
	ASSERT_EQ(mdb_env_open(env, f.dir, 0, 0600), 0);
	ASSERT_EQ(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ASSERT_EQ(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
	ASSERT_EQ(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	EXPECT_EQ(fx_open(&f), -EPROTO);
	EXPECT_TRUE(f.h == NULL);
	fx_done(&f);
}

static void test_targets_bound(void)
{
	static struct rumord_hint_target tg[RUMORD_HINTS_MAX_TARGETS];
	const struct rumord_hints_stats *st;
	uint64_t t;
	struct seen s;
	struct fx f;

	ASSERT_EQ(fx_new(&f, 0, 0, 0), 0);
	st = rumord_hints_stats(f.h);
	for (t = 1; t <= RUMORD_HINTS_MAX_TARGETS; t++)
		ASSERT_EQ(add(&f, t * 1000, "k", "v", t), 1);
	EXPECT_EQ(add(&f, 999, "k", "v", 1), -EDQUOT);
	EXPECT_EQ(st->dropped_targets, 1);
	EXPECT_EQ(st->dropped_quota, 0);
	EXPECT_EQ(rumord_hints_target(f.h, 999, &tg[0]), 0);
	/* Targets already there take more. */
	EXPECT_EQ(add(&f, 1000, "k2", "v", 1), 1);
	/* A short buffer gets the first targets and the total. */
	ASSERT_EQ(rumord_hints_targets(f.h, tg, 10), RUMORD_HINTS_MAX_TARGETS);
	EXPECT_EQ(tg[0].node, 1000);
	EXPECT_EQ(tg[0].count, 2);
	EXPECT_EQ(tg[9].node, 10000);
	/* A target emptied frees its place. */
	ASSERT_EQ(replay_all(&f, 2000, &s), 1);
	EXPECT_EQ(rumord_hints_ack(f.h, 2000, s.h[0].id), 1);
	EXPECT_EQ(add(&f, 999, "k", "v", 1), 1);
	EXPECT_EQ(add(&f, 998, "k", "v", 1), -EDQUOT);
	EXPECT_EQ(st->dropped_targets, 2);
	/* So does one forgotten. */
	EXPECT_EQ(rumord_hints_forget(f.h, 1000), 2);
	EXPECT_EQ(st->forgotten, 2);
	EXPECT_EQ(add(&f, 998, "k", "v", 1), 1);
	EXPECT_EQ(rumord_hints_forget(f.h, 1000), 0);
	EXPECT_EQ(check_consistent(&f), RUMORD_HINTS_MAX_TARGETS);
	ASSERT_EQ(fx_reopen(&f), 0);
	EXPECT_EQ(add(&f, 997, "k", "v", 1), -EDQUOT);
	fx_done(&f);
}

/*
 * A full map: every hint stored before is whole, the refused one left no
 * trace, the totals are exact, and the store works on once room is made.
 */
static void test_map_full(void)
{
	static char value[60000];
	struct rumord_hint_target tg;
	const struct rumord_hints_stats *st;
	struct rumord_node_addr a = addr_of(1);
	struct rumord_record r;
	char key[16];
	struct seen s;
	int i, rc = 0, ok = 0;
	uint64_t bytes = 0;
	struct fx f;

	memset(value, 'm', sizeof(value));
	ASSERT_EQ(fx_new(&f, 64ull << 20, 0, 1 << 20), 0);
	st = rumord_hints_stats(f.h);
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "m%d", i);
		r = rec(key, value, sizeof(value), 1 + i);
		rc = rumord_hints_add(f.h, 1, &a, &r);
		if (rc != 1)
			break;
		ok++;
		bytes += rumord_hint_size(strlen(key), sizeof(value));
	}
	EXPECT_EQ(rc, -ENOSPC);
	EXPECT_TRUE(ok > 2);
	EXPECT_EQ(st->failed, 1);
	EXPECT_EQ(st->added, ok);
	printf("# map full: %d hints of 60000 bytes in a 1 MiB map\n", ok);
	ASSERT_EQ(rumord_hints_target(f.h, 1, &tg), 1);
	EXPECT_EQ(tg.count, ok);
	EXPECT_EQ(tg.bytes, bytes);
	EXPECT_EQ(check_consistent(&f), 1);

	/* A replacement that does not fit leaves the old hint. */
	r = rec("m0", value, sizeof(value), 1000);
	rc = rumord_hints_add(f.h, 1, &a, &r);
	printf("# map full: replacing a hint: %d\n", rc);
	if (rc == -ENOSPC) {
		ASSERT_EQ(replay_all(&f, 1, &s), ok);
		EXPECT_TRUE(!strcmp(s.h[0].key, "m0") && s.h[0].hlc == 1);
	}

	ASSERT_EQ(fx_reopen(&f), 0);
	ASSERT_EQ(replay_all(&f, 1, &s), ok);
	for (i = 0; i < ok; i++) {
		snprintf(key, sizeof(key), "m%d", i);
		EXPECT_TRUE(!strcmp(s.h[i].key, key) &&
			    s.h[i].value_len == sizeof(value));
	}
	EXPECT_EQ(check_consistent(&f), 1);

	/* Acknowledgements free room, and hints are stored again. */
	EXPECT_EQ(rumord_hints_ack(f.h, 1, s.h[0].id), 1);
	EXPECT_EQ(rumord_hints_ack(f.h, 1, s.h[1].id), 1);
	snprintf(key, sizeof(key), "m%d", ok);
	r = rec(key, value, sizeof(value), 500);
	EXPECT_EQ(rumord_hints_add(f.h, 1, &a, &r), 1);
	EXPECT_EQ(check_consistent(&f), 1);
	fx_done(&f);
}

static void test_bad_input(void)
{
	struct rumord_node_addr a = addr_of(1);
	struct rumord_record r;
	struct seen s;
	struct fx f;

	EXPECT_EQ(rumord_hints_open(&f.h, "/nonexistent/rumor-hints", NULL),
		  -ENOENT);
	ASSERT_EQ(fx_new(&f, 0, 0, 0), 0);
	r = rec("k", "v", 1, 1);
	EXPECT_EQ(rumord_hints_add(f.h, 0, &a, &r), -EINVAL);
	EXPECT_EQ(rumord_hints_add(f.h, 1, NULL, &r), -EINVAL);
	EXPECT_EQ(rumord_hints_add(f.h, 1, &a, NULL), -EINVAL);
	r.key_len = 0;
	EXPECT_EQ(rumord_hints_add(f.h, 1, &a, &r), -EINVAL);
	r = rec("k", "v", 1, 1);
	r.version.tombstone = true;		/* a delete with a value */
	EXPECT_EQ(rumord_hints_add(f.h, 1, &a, &r), -EINVAL);
	r = rec("k", "v", 1, 1);
	r.version.dot.node = 0;
	EXPECT_EQ(rumord_hints_add(f.h, 1, &a, &r), -EINVAL);
	r = rec("k", "v", 1, 1);
	r.key_len = RUMORD_MAX_KEY + 1;
	EXPECT_EQ(rumord_hints_add(f.h, 1, &a, &r), -EINVAL);
	EXPECT_EQ(rumord_hints_ack(f.h, 0, 1), -EINVAL);
	EXPECT_EQ(rumord_hints_forget(f.h, 0), -EINVAL);
	EXPECT_EQ(rumord_hints_replay(f.h, 1, 0, 10, NULL, NULL), -EINVAL);
	EXPECT_EQ(rumord_hints_replay(f.h, 0, 0, 10, collect, &s), -EINVAL);
	EXPECT_EQ(rumord_hints_stats(f.h)->added, 0);
	EXPECT_EQ(check_consistent(&f), 0);
	fx_done(&f);
}

static const struct ktap_case cases[] = {
	{ "hints_add_replay_ack", test_add_replay_ack },
	{ "hints_quota_exact", test_quota_exact },
	{ "hints_replace_older", test_replace_older },
	{ "hints_expiry", test_expiry },
	{ "hints_reopen_keeps_everything", test_reopen_keeps_everything },
	{ "hints_other_layout", test_other_layout },
	{ "hints_targets_bound", test_targets_bound },
	{ "hints_map_full_no_partial_state", test_map_full },
	{ "hints_bad_input", test_bad_input },
};

KTAP_MAIN(cases)
