// SPDX-License-Identifier: GPL-2.0
/*
 * The per-origin duplicate window of the protocol core, against a
 * reference model, and raced from several threads as XDP would.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "../lib/ktap.h"
#include "window.h"

/* The span the window promises to judge exactly, below the newest seq. */
#define EXACT	(RUMOR_WINDOW_SPAN - 32)

static void test_new_then_duplicate(void)
{
	struct rumor_window w = { 0 };

	EXPECT_EQ(rumor_window_test(&w, 1), RUMOR_WINDOW_NEW);
	EXPECT_EQ(rumor_window_test_and_set(&w, 1), RUMOR_WINDOW_NEW);
	EXPECT_EQ(rumor_window_test(&w, 1), RUMOR_WINDOW_DUP);
	EXPECT_EQ(rumor_window_test_and_set(&w, 1), RUMOR_WINDOW_DUP);
	EXPECT_EQ(rumor_window_test_and_set(&w, 2), RUMOR_WINDOW_NEW);
	EXPECT_EQ(rumor_window_test_and_set(&w, 2), RUMOR_WINDOW_DUP);
}

static void test_reordered(void)
{
	struct rumor_window w = { 0 };
	uint64_t order[] = { 5, 3, 900, 4, 1, 2, 899, 33, 32, 31 };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		EXPECT_EQ(rumor_window_test_and_set(&w, order[i]), RUMOR_WINDOW_NEW);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		EXPECT_EQ(rumor_window_test_and_set(&w, order[i]), RUMOR_WINDOW_DUP);
}

static void test_edges(void)
{
	struct rumor_window w = { 0 };
	uint64_t top = 100000;

	for (uint64_t s = top - 2 * RUMOR_WINDOW_SPAN; s <= top; s += 2)
		ASSERT_EQ(rumor_window_test_and_set(&w, s), RUMOR_WINDOW_NEW);
	/* The oldest seq still judged exactly: never seen (odd), then seen. */
	EXPECT_EQ(rumor_window_test_and_set(&w, top - EXACT + 1), RUMOR_WINDOW_NEW);
	EXPECT_EQ(rumor_window_test_and_set(&w, top - EXACT + 1), RUMOR_WINDOW_DUP);
	EXPECT_EQ(rumor_window_test_and_set(&w, top - EXACT), RUMOR_WINDOW_DUP);
	/* Its slot now holds a newer block: too old to judge. */
	EXPECT_EQ(rumor_window_test_and_set(&w, top - RUMOR_WINDOW_SPAN - 32),
		  RUMOR_WINDOW_OLD);
	EXPECT_EQ(rumor_window_test_and_set(&w, top - RUMOR_WINDOW_SPAN - 31),
		  RUMOR_WINDOW_OLD);
	/* A leap forward of more than a window forgets everything before. */
	ASSERT_EQ(rumor_window_test_and_set(&w, top + 10 * RUMOR_WINDOW_SPAN),
		  RUMOR_WINDOW_NEW);
	EXPECT_EQ(rumor_window_test_and_set(&w, top), RUMOR_WINDOW_OLD);
}

/* A seq whose block's slot was never used is new, however old it is. */
static void test_sparse_is_exact(void)
{
	struct rumor_window w = { 0 };

	ASSERT_EQ(rumor_window_test_and_set(&w, 10 * RUMOR_WINDOW_SPAN), RUMOR_WINDOW_NEW);
	/* A different slot that has never held anything. */
	EXPECT_EQ(rumor_window_test_and_set(&w, 10 * RUMOR_WINDOW_SPAN - 40),
		  RUMOR_WINDOW_NEW);
}

/*
 * Random arrivals within a moving region against a model that remembers
 * everything: a DUP must have been seen, a NEW must not have been, and
 * nothing within EXACT of the newest may be called OLD.
 */
static void test_against_model(void)
{
	enum { N = 1 << 16 };
	static uint8_t seen[N];
	struct rumor_window w = { 0 };
	unsigned int seed = 7;
	uint64_t newest = 0;
	long news = 0, dups = 0, olds = 0;

	for (int i = 0; i < 400000; i++) {
		uint64_t base = (uint64_t)i * (N - 2048) / 400000;
		uint64_t seq = 1 + base + (uint64_t)rand_r(&seed) % 1500;
		enum rumor_window_verdict v;

		if (seq >= N)
			continue;
		v = rumor_window_test_and_set(&w, seq);
		switch (v) {
		case RUMOR_WINDOW_NEW:
			ASSERT_TRUE(!seen[seq]);
			seen[seq] = 1;
			news++;
			break;
		case RUMOR_WINDOW_DUP:
			ASSERT_TRUE(seen[seq]);
			dups++;
			break;
		case RUMOR_WINDOW_OLD:
			ASSERT_TRUE(seq + EXACT < newest);
			olds++;
			break;
		case RUMOR_WINDOW_BUSY:
		case RUMOR_WINDOW_STALE:
			ASSERT_TRUE(0);
		}
		if (seq > newest && v == RUMOR_WINDOW_NEW)
			newest = seq;
	}
	printf("# new %ld dup %ld old %ld\n", news, dups, olds);
	EXPECT_TRUE(news > 0 && dups > 0 && olds > 0);
}

/*
 * Block numbers are 24 bits and compared as serial numbers, so a window can
 * follow an origin across the wrap (after 2^29 messages). Walk every slot
 * up in steps of less than 2^23 blocks, then cross the wrap.
 */
static void test_block_wrap(void)
{
	struct rumor_window w = { 0 };
	uint64_t base = (1ULL << 29) - 64;

	for (uint64_t step = 1; step <= 4; step++)
		for (uint64_t i = 0; i < RUMOR_WINDOW_SLOTS; i++)
			ASSERT_EQ(rumor_window_test_and_set(&w,
				  (step * 0x3fffffULL + i - 40) << 5),
				  RUMOR_WINDOW_NEW);
	for (uint64_t s = base; s < base + 200; s++)
		ASSERT_EQ(rumor_window_test_and_set(&w, s), RUMOR_WINDOW_NEW);
	for (uint64_t s = base; s < base + 200; s++)
		ASSERT_EQ(rumor_window_test_and_set(&w, s), RUMOR_WINDOW_DUP);
}

/*
 * A window handed to a new owner (XDP does this) carries a new generation:
 * whoever still works with the old one can neither read nor mark it, and
 * the new owner starts from empty slots.
 */
static void test_generation_handover(void)
{
	struct rumor_window w = { 0 };

	ASSERT_EQ(rumor_window_test_and_set_gen(&w, 5, 0), RUMOR_WINDOW_NEW);
	rumor_window_reset(&w, 1);
	EXPECT_EQ(rumor_window_test_gen(&w, 5, 0), RUMOR_WINDOW_STALE);
	EXPECT_EQ(rumor_window_test_and_set_gen(&w, 6, 0), RUMOR_WINDOW_STALE);
	EXPECT_EQ(rumor_window_test_gen(&w, 5, 1), RUMOR_WINDOW_NEW);
	EXPECT_EQ(rumor_window_test_and_set_gen(&w, 5, 1), RUMOR_WINDOW_NEW);
	EXPECT_EQ(rumor_window_test_and_set_gen(&w, 5, 1), RUMOR_WINDOW_DUP);
	/* An empty slot is empty whatever block it names: no seq is too old. */
	EXPECT_EQ(rumor_window_test_and_set_gen(&w, (1ULL << 28) + 33, 1),
		  RUMOR_WINDOW_NEW);
	rumor_window_reset(&w, 2);
	EXPECT_EQ(rumor_window_test_and_set_gen(&w, 1, 2), RUMOR_WINDOW_NEW);
}

/*
 * Threads race over the same seqs, as XDP on several CPUs does: each seq
 * must be NEW for exactly one of them. BUSY is allowed (the packet would
 * go on to the module), so a BUSY seq is retried until judged.
 */
#define RACE_THREADS	4
#define RACE_SEQS	1000000

static struct rumor_window race_win;
static int race_new[RACE_SEQS + 1];
static long race_busy;

static void *race(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;

	for (uint64_t s = 1; s <= RACE_SEQS; s++) {
		/* Jitter so that threads collide on the same slots. */
		uint64_t seq = s + (uint64_t)(rand_r(&seed) % 8);
		enum rumor_window_verdict v;

		if (seq > RACE_SEQS)
			continue;
		while ((v = rumor_window_test_and_set(&race_win, seq)) ==
		       RUMOR_WINDOW_BUSY)
			__sync_fetch_and_add(&race_busy, 1);
		if (v == RUMOR_WINDOW_NEW)
			__sync_fetch_and_add(&race_new[seq], 1);
	}
	return NULL;
}

static void test_concurrent_first_copy_once(void)
{
	pthread_t t[RACE_THREADS];
	long twice = 0, once = 0;

	for (int i = 0; i < RACE_THREADS; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, race, (void *)(uintptr_t)(i + 1)), 0);
	for (int i = 0; i < RACE_THREADS; i++)
		pthread_join(t[i], NULL);
	for (int s = 1; s <= RACE_SEQS; s++) {
		if (race_new[s] > 1)
			twice++;
		if (race_new[s] == 1)
			once++;
	}
	printf("# %ld seqs passed once, %ld more than once, %ld busy retries\n",
	       once, twice, race_busy);
	EXPECT_EQ(twice, 0);
	EXPECT_TRUE(once > RACE_SEQS / 2);
}

static const struct ktap_case cases[] = {
	{ "window_new_then_duplicate", test_new_then_duplicate },
	{ "window_reordered", test_reordered },
	{ "window_edges", test_edges },
	{ "window_sparse_is_exact", test_sparse_is_exact },
	{ "window_against_model", test_against_model },
	{ "window_block_wrap", test_block_wrap },
	{ "window_generation_handover", test_generation_handover },
	{ "window_concurrent_first_copy_once", test_concurrent_first_copy_once },
};

KTAP_MAIN(cases)
