// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile peer against the anti-entropy session, for a bounded time
 * (about 3 s): live sessions with one frame mutated in flight (bits
 * flipped, type or length changed, body replaced, fields set to extremes,
 * frames dropped, repeated, cut short or made up), random frames at every
 * phase, and garbage streams. Whatever arrives, the session never crashes
 * (ASan, UBSan), never applies anything from a frame it refuses, never
 * applies an invalid record, leaves both replicas consistent, and fails
 * with a reason; untouched sessions still converge.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../lib/ktap.h"
#include "memreplica.h"
#include "sync.h"

#define BUDGET_S	2.6	/* for all three cases together */
#define STEPS		20000

enum mutation {
	M_NONE,
	M_FLIP,		/* 1-4 bits anywhere in the body */
	M_TYPE,		/* another type byte */
	M_BODY,		/* the body replaced by random bytes */
	M_FIELD,	/* a 16/32/64-bit field set to an extreme */
	M_DROP,
	M_REPEAT,
	M_INSERT,	/* a made-up frame first */
	M_LENGTH,	/* the length prefix changed: framing is lost */
	M_CUT,		/* only part of the frame, then the next ones */
	M_EXTEND,	/* bytes added to the body, length to match */
	M_SHRINK,	/* bytes taken off the body, length to match */
	M_COUNT,
	M_FREEZE = M_COUNT,	/* this frame and all after it dropped */
};

/* Forwards to a memreplica, counting applies and checking each record. */
struct watch {
	struct rumord_replica inner;
	uint64_t applies, invalid;
};

static const struct rumord_bvv *w_bvv(void *r)
{
	struct watch *w = r;

	return w->inner.ops->bvv(w->inner.r);
}

static const struct rumord_merkle *w_merkle(void *r)
{
	struct watch *w = r;

	return w->inner.ops->merkle(w->inner.r);
}

static int w_by_dot(void *r, struct rumord_dot d, struct rumord_record *out)
{
	struct watch *w = r;

	return w->inner.ops->by_dot(w->inner.r, d, out);
}

static int w_range(void *r, uint64_t lo, uint64_t hi, rumord_record_fn fn,
		   void *arg)
{
	struct watch *w = r;

	return w->inner.ops->range(w->inner.r, lo, hi, fn, arg);
}

static int w_get(void *r, const void *key, size_t key_len,
		 struct rumord_record *out)
{
	struct watch *w = r;

	return w->inner.ops->get(w->inner.r, key, key_len, out);
}

static int w_apply(void *r, const struct rumord_record *rec)
{
	struct watch *w = r;

	w->applies++;
	if (!rumord_record_valid(rec))
		w->invalid++;
	return w->inner.ops->apply(w->inner.r, rec);
}

static int w_cover(void *r, const struct rumord_bvv *seen)
{
	struct watch *w = r;

	return w->inner.ops->cover(w->inner.r, seen);
}

static const struct rumord_replica_ops watch_ops = {
	.bvv = w_bvv, .merkle = w_merkle, .by_dot = w_by_dot,
	.range = w_range, .get = w_get, .apply = w_apply, .cover = w_cover,
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double deadline;

static struct rumord_memreplica *a0, *b0;

/* Two replicas apart in every way: overwrites, new keys, deletes, a race. */
static int setup(void)
{
	char k[24];

	a0 = rumord_memreplica_new(1, 40);
	if (!a0)
		return -ENOMEM;
	for (int i = 0; i < 400; i++) {
		snprintf(k, sizeof(k), "key:%05d", i);
		if (rumord_memreplica_put(a0, k, 9, "base", 4, 1000) != 1)
			return -EIO;
	}
	b0 = rumord_memreplica_clone(a0, 2);
	if (!b0)
		return -ENOMEM;
	for (int i = 0; i < 60; i++) {
		snprintf(k, sizeof(k), "key:%05d", i * 7);
		if (i % 3 == 2)
			rumord_memreplica_del(i % 2 ? a0 : b0, k, 9, 2000 + (uint64_t)i);
		else
			rumord_memreplica_put(i % 2 ? a0 : b0, k, 9, "newer", 5,
					      2000 + (uint64_t)i);
	}
	rumord_memreplica_put(a0, "race", 4, "a", 1, 3000);
	rumord_memreplica_put(b0, "race", 4, "b", 1, 3000);
	return 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t x)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(x >> (8 * i));
}

/* A frame of a random type with a random body, sometimes one that starts right. */
static size_t random_frame(unsigned char *buf, size_t cap, unsigned int *seed)
{
	size_t body = (size_t)rand_r(seed) % (rand_r(seed) % 4 ? 64 : 600);

	if (body + 5 > cap)
		body = cap - 5;
	put32(buf, (uint32_t)(body + 1));
	buf[4] = (unsigned char)(rand_r(seed) % 12);
	for (size_t i = 0; i < body; i++)
		buf[5 + i] = (unsigned char)rand_r(seed);
	/* A plausible count or level at the start, so parsing goes deeper. */
	if (body >= 9 && rand_r(seed) % 2) {
		buf[5] = (unsigned char)(rand_r(seed) % 3);
		put32(buf + 6, 0);
		put32(buf + 10, (uint32_t)(rand_r(seed) % 4));
	} else if (body >= 4 && rand_r(seed) % 2) {
		put32(buf + 5, (uint32_t)(1 + rand_r(seed) % 3));
	}
	return body + 5;
}

static void mutate_field(unsigned char *f, size_t len, unsigned int *seed)
{
	static const uint64_t extreme[] = {
		0, 1, 2, 0x7f, 0xff, 0xffff, 0x10000, 0x7fffffff, 0xffffffff,
		UINT64_MAX, 1ULL << 62, (1ULL << 62) + 1, RUMORD_SYNC_MAX_FRAME,
	};
	unsigned int width = 1u << (1 + rand_r(seed) % 3);	/* 2, 4, 8 */
	uint64_t v = extreme[(size_t)rand_r(seed) % (sizeof(extreme) / sizeof(extreme[0]))];
	size_t at;

	if (len < 5 + width)
		return;
	at = 5 + (size_t)rand_r(seed) % (len - 5 - width + 1);
	for (unsigned int i = 0; i < width; i++)
		f[at + i] = (unsigned char)(v >> (8 * i));
}

/* 1-4 random bits of the body flipped. */
static void flip(unsigned char *f, size_t len, unsigned int *seed)
{
	if (len <= 5)
		return;
	for (int k = 0; k <= rand_r(seed) % 4; k++) {
		size_t at = 5 + (size_t)rand_r(seed) % (len - 5);

		f[at] ^= (unsigned char)(1u << (rand_r(seed) % 8));
	}
}

struct run {
	struct watch w[2];
	struct rumord_sync *s[2];
	bool framing_kept;	/* each input() call holds exactly one frame */
	int must_fail;		/* this side got a frame it must refuse */
	uint64_t refused_with_applies;
	uint64_t failures;
};

/*
 * Deliver @len bytes to side @to, from a copy of exactly that size, so
 * that reading past a frame is caught by ASan; check that a refusal
 * applied nothing.
 */
static void deliver(struct run *r, int to, const unsigned char *p, size_t len)
{
	uint64_t before = r->w[to].applies;
	int was = rumord_sync_status(r->s[to]);
	unsigned char *copy = malloc(len ? len : 1);
	int rc;

	if (!copy)
		abort();
	memcpy(copy, p, len);
	rc = rumord_sync_input(r->s[to], copy, len);
	free(copy);
	if (rc < 0 && was >= 0) {
		r->failures++;
		if (r->framing_kept && r->w[to].applies != before)
			r->refused_with_applies++;
	}
}

/*
 * One session, @kind applied to frame number @target (counted over both
 * directions). Returns false if the session could not even be set up.
 */
static bool run_one(enum rumord_sync_method method, enum mutation kind,
		    unsigned int target, unsigned int *seed, struct run *r,
		    struct rumord_memreplica **ma, struct rumord_memreplica **mb)
{
	static unsigned char scratch[RUMORD_SYNC_MAX_FRAME + 64];
	struct rumord_replica ra, rb;
	unsigned int frame_no = 0;
	int idle = 0;

	memset(r, 0, sizeof(*r));
	r->framing_kept = true;
	r->must_fail = -1;
	*ma = rumord_memreplica_clone(a0, 0);
	*mb = rumord_memreplica_clone(b0, 0);
	if (!*ma || !*mb)
		return false;
	rumord_memreplica_replica(*ma, &r->w[0].inner);
	rumord_memreplica_replica(*mb, &r->w[1].inner);
	ra = (struct rumord_replica){ &watch_ops, &r->w[0] };
	rb = (struct rumord_replica){ &watch_ops, &r->w[1] };
	r->s[0] = rumord_sync_new(&ra, true, method);
	r->s[1] = rumord_sync_new(&rb, false, RUMORD_SYNC_ANY);
	if (!r->s[0] || !r->s[1])
		return false;

	for (int step = 0; step < STEPS && idle < 3; step++) {
		bool moved = false;

		for (int from = 0; from < 2; from++) {
			const void *out;
			long n = rumord_sync_output(r->s[from], &out);
			const unsigned char *p = out;
			size_t off = 0;

			if (n <= 0)
				continue;
			moved = true;
			/* The output is whole frames: take them one by one. */
			while (off + 4 <= (size_t)n) {
				size_t flen = 4 + (size_t)le32(p + off);
				int to = !from;

				if (kind == M_FREEZE && frame_no >= target) {
					frame_no++;
					off += flen;
					continue;
				}
				if (frame_no++ != target || kind == M_NONE) {
					deliver(r, to, p + off, flen);
					off += flen;
					continue;
				}
				memcpy(scratch, p + off, flen);
				switch (kind) {
				case M_FLIP:
					flip(scratch, flen, seed);
					deliver(r, to, scratch, flen);
					break;
				case M_TYPE:
					scratch[4] = (unsigned char)rand_r(seed);
					deliver(r, to, scratch, flen);
					break;
				case M_BODY:
					for (size_t i = 5; i < flen; i++)
						scratch[i] = (unsigned char)rand_r(seed);
					deliver(r, to, scratch, flen);
					break;
				case M_FIELD:
					mutate_field(scratch, flen, seed);
					deliver(r, to, scratch, flen);
					break;
				case M_DROP:
					break;
				case M_REPEAT:
					deliver(r, to, scratch, flen);
					deliver(r, to, scratch, flen);
					break;
				case M_INSERT: {
					size_t rl = random_frame(scratch + flen,
								 sizeof(scratch) - flen, seed);

					deliver(r, to, scratch + flen, rl);
					deliver(r, to, scratch, flen);
					break;
				}
				case M_LENGTH:
					r->framing_kept = false;
					put32(scratch, rand_r(seed) % 2 ?
					      (uint32_t)rand_r(seed) :
					      le32(scratch) + (uint32_t)(rand_r(seed) % 9) - 4);
					deliver(r, to, scratch, flen);
					break;
				case M_CUT:
					r->framing_kept = false;
					deliver(r, to, scratch, (size_t)rand_r(seed) % flen);
					break;
				case M_EXTEND: {
					/* No frame type has room for trailing bytes. */
					size_t more = 1 + (size_t)rand_r(seed) % 8;

					for (size_t i = 0; i < more; i++)
						scratch[flen + i] = (unsigned char)rand_r(seed);
					put32(scratch, (uint32_t)(flen + more - 4));
					if (rumord_sync_status(r->s[to]) >= 0)
						r->must_fail = to;
					deliver(r, to, scratch, flen + more);
					break;
				}
				case M_SHRINK: {
					/* Nor does any make sense cut short. */
					size_t less = flen > 5 ?
						      1 + (size_t)rand_r(seed) % (flen - 5) : 0;

					put32(scratch, (uint32_t)(flen - less - 4));
					if (less && rumord_sync_status(r->s[to]) >= 0)
						r->must_fail = to;
					deliver(r, to, scratch, flen - less);
					break;
				}
				default:
					break;
				}
				off += flen;
			}
			rumord_sync_sent(r->s[from], (size_t)n);
		}
		if (rumord_sync_status(r->s[0]) && rumord_sync_status(r->s[1]))
			break;
		idle = moved ? 0 : idle + 1;
	}
	return true;
}

static void free_run(struct run *r, struct rumord_memreplica *a,
		     struct rumord_memreplica *b)
{
	rumord_sync_free(r->s[0]);
	rumord_sync_free(r->s[1]);
	rumord_memreplica_free(a);
	rumord_memreplica_free(b);
}

static const enum rumord_sync_method methods[] = {
	RUMORD_SYNC_AUTO, RUMORD_SYNC_BVV, RUMORD_SYNC_MERKLE, RUMORD_SYNC_NAIVE,
};

/*
 * Live sessions, one frame mutated in flight. How long each method's
 * session is, in frames, is measured first, so that every frame of it is
 * a target.
 */
static void test_mutated_sessions(void)
{
	unsigned int seed = 1, frames[4];
	uint64_t runs = 0, failed = 0, by_kind[M_COUNT] = { 0 };
	double stop = now() + BUDGET_S * 0.7;
	struct rumord_memreplica *a, *b;
	struct run r;

	for (int m = 0; m < 4; m++) {
		ASSERT_TRUE(run_one(methods[m], M_NONE, 0, &seed, &r, &a, &b));
		/*
		 * Untouched, every session completes, and all but version
		 * vectors alone (the dot log holds 40 writes) converge.
		 */
		EXPECT_EQ(rumord_sync_status(r.s[0]), 1);
		EXPECT_EQ(rumord_sync_status(r.s[1]), 1);
		EXPECT_TRUE(methods[m] == RUMORD_SYNC_BVV || rumord_hash_eq(
			rumord_merkle_node(w_merkle(&r.w[0]), 0, 0),
			rumord_merkle_node(w_merkle(&r.w[1]), 0, 0)));
		frames[m] = (unsigned int)(rumord_sync_stats(r.s[0])->frames_sent +
					   rumord_sync_stats(r.s[1])->frames_sent);
		free_run(&r, a, b);
	}
	while (now() < stop || runs < 100) {
		int m = (int)(runs % 4);
		enum mutation kind = (enum mutation)(1 + (size_t)rand_r(&seed) % (M_COUNT - 1));
		unsigned int target = (unsigned int)rand_r(&seed) % frames[m];

		ASSERT_TRUE(run_one(methods[m], kind, target, &seed, &r, &a, &b));
		runs++;
		if (rumord_sync_status(r.s[0]) < 0 || rumord_sync_status(r.s[1]) < 0) {
			failed++;
			by_kind[kind]++;
			/* A failed session says why. */
			EXPECT_TRUE(*rumord_sync_error(r.s[0]) || *rumord_sync_error(r.s[1]));
		}
		EXPECT_EQ(r.refused_with_applies, 0);
		EXPECT_EQ(r.w[0].invalid + r.w[1].invalid, 0);
		EXPECT_EQ(rumord_memreplica_check(a), 0);
		EXPECT_EQ(rumord_memreplica_check(b), 0);
		/* A frame longer or shorter than its fields is always refused. */
		if (r.must_fail >= 0 && rumord_sync_status(r.s[r.must_fail]) >= 0) {
			KTAP_REPORT("method %d: a frame %s was taken", methods[m],
				    kind == M_EXTEND ? "made longer" : "cut short");
			ktap_case_failed = 1;
		}
		free_run(&r, a, b);
		if (ktap_case_failed)
			return;
	}
	printf("# %llu sessions, %llu failed cleanly (flip %llu type %llu body %llu "
	       "field %llu drop %llu repeat %llu insert %llu length %llu cut %llu "
	       "extend %llu shrink %llu)\n",
	       (unsigned long long)runs, (unsigned long long)failed,
	       (unsigned long long)by_kind[M_FLIP], (unsigned long long)by_kind[M_TYPE],
	       (unsigned long long)by_kind[M_BODY], (unsigned long long)by_kind[M_FIELD],
	       (unsigned long long)by_kind[M_DROP], (unsigned long long)by_kind[M_REPEAT],
	       (unsigned long long)by_kind[M_INSERT], (unsigned long long)by_kind[M_LENGTH],
	       (unsigned long long)by_kind[M_CUT], (unsigned long long)by_kind[M_EXTEND],
	       (unsigned long long)by_kind[M_SHRINK]);
	/* Most mutations must be caught; a flipped bit in a value may not be. */
	EXPECT_TRUE(failed > runs / 2);
	EXPECT_TRUE(by_kind[M_TYPE] > 0 && by_kind[M_LENGTH] > 0 && by_kind[M_INSERT] > 0);
}

/*
 * Random frames at every phase: a session runs normally up to a random
 * frame and freezes there; then one side gets made-up frames (also once
 * it has finished).
 */
static void test_random_frames(void)
{
	static unsigned char buf[4096];
	unsigned int seed = 2;
	uint64_t runs = 0, refused = 0, frames = 0;
	double stop = now() + BUDGET_S * 0.2;
	struct rumord_memreplica *a, *b;
	struct run r;

	while (now() < stop || runs < 50) {
		int m = (int)(runs % 4), side = rand_r(&seed) % 2;

		ASSERT_TRUE(run_one(methods[m], M_FREEZE, (unsigned int)rand_r(&seed) % 24,
				    &seed, &r, &a, &b));
		for (int k = 0; k < 8 && rumord_sync_status(r.s[side]) >= 0; k++) {
			size_t len = random_frame(buf, sizeof(buf), &seed);

			deliver(&r, side, buf, len);
			frames++;
		}
		refused += rumord_sync_status(r.s[side]) < 0;
		EXPECT_EQ(r.refused_with_applies, 0);
		EXPECT_EQ(r.w[0].invalid + r.w[1].invalid, 0);
		EXPECT_EQ(rumord_memreplica_check(a), 0);
		EXPECT_EQ(rumord_memreplica_check(b), 0);
		free_run(&r, a, b);
		runs++;
		if (ktap_case_failed)
			return;
	}
	printf("# %llu sessions, %llu random frames, %llu sessions refused them\n",
	       (unsigned long long)runs, (unsigned long long)frames,
	       (unsigned long long)refused);
	EXPECT_TRUE(refused > runs / 2);
}

/*
 * Garbage byte streams, in random pieces, at a fresh responder and a
 * fresh initiator; and lengths beyond the bound refused at once, before
 * any body arrives.
 */
static void test_garbage_streams(void)
{
	static unsigned char buf[1 << 14];
	struct rumord_memreplica *m = rumord_memreplica_new(5, 8);
	struct rumord_replica rep;
	unsigned int seed = 3;
	uint64_t runs = 0, refused = 0;
	double stop = now() + BUDGET_S * 0.1;

	ASSERT_TRUE(m != NULL);
	rumord_memreplica_replica(m, &rep);
	while (now() < stop || runs < 200) {
		struct rumord_sync *s = rumord_sync_new(&rep, runs % 2,
							runs % 2 ? RUMORD_SYNC_AUTO :
							RUMORD_SYNC_ANY);
		size_t len = (size_t)rand_r(&seed) % sizeof(buf), off = 0;

		ASSERT_TRUE(s != NULL);
		for (size_t i = 0; i < len; i++)
			buf[i] = (unsigned char)rand_r(&seed);
		while (off < len && rumord_sync_status(s) == 0) {
			size_t n = 1 + (size_t)rand_r(&seed) % 100;

			if (n > len - off)
				n = len - off;
			rumord_sync_input(s, buf + off, n);
			off += n;
		}
		refused += rumord_sync_status(s) < 0;
		rumord_sync_free(s);
		runs++;
	}
	EXPECT_EQ(rumord_memreplica_stats(m)->applied, 0);
	EXPECT_TRUE(refused > runs * 9 / 10);

	/* Zero and too long: refused on the four length bytes alone. */
	{
		static const uint32_t lengths[] = { 0, RUMORD_SYNC_MAX_FRAME + 1, UINT32_MAX };

		for (size_t i = 0; i < 3; i++) {
			struct rumord_sync *s = rumord_sync_new(&rep, false, RUMORD_SYNC_ANY);

			ASSERT_TRUE(s != NULL);
			put32(buf, lengths[i]);
			EXPECT_EQ(rumord_sync_input(s, buf, 2), 0);
			EXPECT_EQ(rumord_sync_input(s, buf + 2, 2), -EPROTO);
			EXPECT_TRUE(!strcmp(rumord_sync_error(s), "bad frame length"));
			rumord_sync_free(s);
		}
	}
	rumord_memreplica_free(m);
}

static void test_setup(void)
{
	ASSERT_EQ(setup(), 0);
	deadline = now() + BUDGET_S;
}

static void test_teardown(void)
{
	printf("# %.2f s over the budget\n", now() > deadline ? now() - deadline : 0.0);
	rumord_memreplica_free(a0);
	rumord_memreplica_free(b0);
}

static const struct ktap_case cases[] = {
	{ "fuzz_setup", test_setup },
	{ "fuzz_mutated_sessions", test_mutated_sessions },
	{ "fuzz_random_frames", test_random_frames },
	{ "fuzz_garbage_streams", test_garbage_streams },
	{ "fuzz_teardown", test_teardown },
};

KTAP_MAIN(cases)
