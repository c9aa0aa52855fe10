// SPDX-License-Identifier: GPL-2.0
/*
 * make bench-repair: what anti-entropy costs to repair d differing keys
 * among n, for the Merkle walk, version vectors, and a naive exchange of
 * every key's version. Two in-memory replicas share n keys (16-byte keys
 * and values); then d keys are overwritten, half on each side, and one
 * session of each method repairs them. One JSON line per case: bytes on
 * the wire both ways, round trips, records moved, CPU seconds of both
 * ends. Targets are checked at the end, on stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memreplica.h"
#include "sync.h"

#define KEY_LEN		16
#define VALUE_LEN	16
#define VERSION_WIRE	25	/* hlc, node, counter, flags */
#define RECORD_WIRE	(31 + KEY_LEN + VALUE_LEN)
#define LOG_CAP		(1u << 15)
/* What every Merkle session costs whatever d is: HELLOs, level 1, END/BYE. */
#define MERKLE_FIXED	1024

static const uint64_t sizes[] = { 10000, 100000, 1000000 };
static const uint64_t diffs[] = { 1, 10, 100, 10000 };
static const struct {
	const char *name;
	enum rumord_sync_method method;
} methods[] = {
	{ "merkle", RUMORD_SYNC_MERKLE },
	{ "bvv", RUMORD_SYNC_BVV },
	{ "naive", RUMORD_SYNC_NAIVE },
};

static int failures;

static void die(const char *what)
{
	fprintf(stderr, "repair-bench: %s\n", what);
	exit(1);
}

static double cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double wall_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void key_of(char k[KEY_LEN + 8], uint64_t i)
{
	snprintf(k, KEY_LEN + 8, "key:%012" PRIu64, i % (uint64_t)1000000000000);
}

static void put(struct rumord_memreplica *m, uint64_t i, const char *value,
		uint64_t wall)
{
	char k[KEY_LEN + 8];

	key_of(k, i);
	if (rumord_memreplica_put(m, k, KEY_LEN, value, VALUE_LEN, wall) != 1)
		die("put failed");
}

/* The d keys that differ: distinct, spread over the key space. */
static uint64_t pick(uint64_t k, uint64_t n)
{
	return (k * 7919 + 13) % n;	/* 7919 is prime, n is not its multiple */
}

static struct rumord_hash root(struct rumord_memreplica *m)
{
	struct rumord_replica r;

	rumord_memreplica_replica(m, &r);
	return rumord_merkle_node(r.ops->merkle(r.r), 0, 0);
}

static unsigned int ceil_log16(uint64_t n)
{
	unsigned int l = 0;

	while ((1ULL << (4 * l)) < n)
		l++;
	return l;
}

/* Check one case against the targets; say so on stderr if missed. */
static void check_targets(const char *method, uint64_t n, uint64_t d,
			  uint64_t bytes, uint64_t rt, uint64_t keys)
{
	char why[160] = "";

	if (!strcmp(method, "merkle")) {
		if (keys != d)
			snprintf(why, sizeof(why), "moved %" PRIu64 " keys", keys);
		else if (rt > ceil_log16(n) + 1)
			snprintf(why, sizeof(why), "%" PRIu64 " round trips", rt);
		else if (bytes > 100 * d * (KEY_LEN + VERSION_WIRE) + MERKLE_FIXED)
			snprintf(why, sizeof(why), "%" PRIu64 " bytes", bytes);
	} else if (!strcmp(method, "bvv")) {
		if (keys != d)
			snprintf(why, sizeof(why), "moved %" PRIu64 " keys", keys);
		else if (bytes > 3 * d * RECORD_WIRE)
			snprintf(why, sizeof(why), "%" PRIu64 " bytes > 3 x %" PRIu64
				 " x %d", bytes, d, RECORD_WIRE);
	}
	if (*why) {
		fprintf(stderr, "# target missed: %s n=%" PRIu64 " d=%" PRIu64 ": %s\n",
			method, n, d, why);
		failures++;
	}
}

static void run_case(struct rumord_memreplica *a0, struct rumord_memreplica *b0,
		     uint64_t n, uint64_t d, size_t mi)
{
	struct rumord_memreplica *a = rumord_memreplica_clone(a0, 0);
	struct rumord_memreplica *b = rumord_memreplica_clone(b0, 0);
	struct rumord_replica ra, rb;
	struct rumord_sync_stats sa, sb;
	uint64_t bytes, rt, keys;
	double t0, cpu;

	if (!a || !b)
		die("out of memory");
	for (uint64_t k = 0; k < d; k++)
		put(k % 2 ? b : a, pick(k, n), "changed-value-16", 50000 + k);
	rumord_memreplica_replica(a, &ra);
	rumord_memreplica_replica(b, &rb);
	t0 = cpu_now();
	if (rumord_sync_pair(&ra, &rb, methods[mi].method, &sa, &sb))
		die("session failed");
	cpu = cpu_now() - t0;
	if (!rumord_hash_eq(root(a), root(b)))
		die("replicas still differ");
	bytes = sa.bytes_sent + sb.bytes_sent;
	rt = rumord_sync_round_trips(&sa);
	keys = sa.keys_sent + sb.keys_sent;
	printf("{\"method\": \"%s\", \"n\": %" PRIu64 ", \"d\": %" PRIu64
	       ", \"bytes\": %" PRIu64 ", \"round_trips\": %" PRIu64
	       ", \"keys_transferred\": %" PRIu64 ", \"cpu_s\": %.4f}\n",
	       methods[mi].name, n, d, bytes, rt, keys, cpu);
	fflush(stdout);
	check_targets(methods[mi].name, n, d, bytes, rt, keys);
	rumord_memreplica_free(a);
	rumord_memreplica_free(b);
}

int main(void)
{
	double start = wall_now();
	char value[VALUE_LEN + 16];

	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		uint64_t n = sizes[si];
		struct rumord_memreplica *a = rumord_memreplica_new(1, LOG_CAP), *b;

		if (!a)
			die("out of memory");
		for (uint64_t i = 0; i < n; i++) {
			snprintf(value, sizeof(value), "value-%010" PRIu64,
				 i % (uint64_t)10000000000);
			put(a, i, value, 1000 + i / 1000);
		}
		b = rumord_memreplica_clone(a, 2);
		if (!b)
			die("out of memory");
		for (size_t di = 0; di < sizeof(diffs) / sizeof(diffs[0]); di++) {
			if (diffs[di] > n)
				continue;
			for (size_t mi = 0; mi < sizeof(methods) / sizeof(methods[0]); mi++)
				run_case(a, b, n, diffs[di], mi);
		}
		rumord_memreplica_free(a);
		rumord_memreplica_free(b);
	}
	fprintf(stderr, "# repair-bench: %.1f s, %s\n", wall_now() - start,
		failures ? "some targets missed (above)" : "every target met");
	return 0;
}
