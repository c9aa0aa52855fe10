// SPDX-License-Identifier: GPL-2.0
/*
 * The Merkle tree over the key-hash space. Every level is a flat array in
 * one anonymous mapping (1,118,481 nodes, 17.9 MB of address space): zero
 * pages until written, so a tree costs memory only where keys are. (This
 * is what calloc would do at this size; mapping it ourselves also spares
 * the sanitizers of the unit tests from shadowing 18 MB per tree.) A
 * bitmap of the 4 KiB chunks ever written lets a copy or a comparison
 * skip the rest.
 *
 * A node's hash is the sum of its keys' entry hashes, not a hash of its
 * children: a write adds (new - old) along its path, six additions, and
 * never reads a sibling. Sums are order-independent, which is what lets
 * the tree follow writes incrementally. They are not collision resistant
 * against someone who searches for entries that cancel out; repair between
 * a cluster's own nodes does not need that (authentication is its own
 * issue).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xxhash.h>

#include "merkle.h"
#include "le.h"

#define LEVELS		(RUMORD_MERKLE_DEPTH + 1)
#define CHUNK_SHIFT	8		/* 256 nodes: 4 KiB */

/* Nodes above @level: 1 + 16 + ... + 16^(level-1). */
static uint64_t level_offset(unsigned int level)
{
	return ((1ULL << (4 * level)) - 1) / 15;
}

#define NODES		level_offset(LEVELS)
#define CHUNKS		((NODES + (1u << CHUNK_SHIFT) - 1) >> CHUNK_SHIFT)

struct rumord_merkle {
	struct rumord_hash *node;	/* level by level, root first */
	uint64_t *touched;		/* chunks ever written */
	uint64_t count;
};

#define NODE_BYTES	(NODES * sizeof(struct rumord_hash))

static void free_parts(struct rumord_merkle *m)
{
	if (m->node)
		munmap(m->node, NODE_BYTES);
	free(m->touched);
	free(m);
}

struct rumord_merkle *rumord_merkle_new(void)
{
	struct rumord_merkle *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->node = mmap(NULL, NODE_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->node == MAP_FAILED)
		m->node = NULL;
	m->touched = calloc((CHUNKS + 63) / 64, sizeof(uint64_t));
	if (!m->node || !m->touched) {
		free_parts(m);
		return NULL;
	}
	return m;
}

static bool touched(const struct rumord_merkle *m, uint64_t chunk)
{
	return m->touched[chunk / 64] >> (chunk % 64) & 1;
}

struct rumord_merkle *rumord_merkle_dup(const struct rumord_merkle *m)
{
	struct rumord_merkle *c = rumord_merkle_new();
	const size_t chunk = (size_t)1 << CHUNK_SHIFT;

	if (!c)
		return NULL;
	for (uint64_t i = 0; i < CHUNKS; i++) {
		uint64_t first = i * chunk;
		uint64_t n = NODES - first < chunk ? NODES - first : chunk;

		if (touched(m, i))
			memcpy(&c->node[first], &m->node[first],
			       n * sizeof(*m->node));
	}
	memcpy(c->touched, m->touched, (CHUNKS + 63) / 64 * sizeof(uint64_t));
	c->count = m->count;
	return c;
}

void rumord_merkle_free(struct rumord_merkle *m)
{
	if (m)
		free_parts(m);
}

uint64_t rumord_merkle_count(const struct rumord_merkle *m)
{
	return m->count;
}

bool rumord_merkle_equal(const struct rumord_merkle *a,
			 const struct rumord_merkle *b)
{
	const size_t chunk = (size_t)1 << CHUNK_SHIFT;

	if (a->count != b->count)
		return false;
	/* A chunk neither tree ever wrote is zero in both. */
	for (uint64_t i = 0; i < CHUNKS; i++) {
		uint64_t first = i * chunk;
		uint64_t n = NODES - first < chunk ? NODES - first : chunk;

		if ((touched(a, i) || touched(b, i)) &&
		    memcmp(&a->node[first], &b->node[first], n * sizeof(*a->node)))
			return false;
	}
	return true;
}

uint64_t rumord_key_hash(const void *key, size_t len)
{
	return XXH3_64bits(key, len);
}


struct rumord_hash rumord_entry_hash(const void *key, size_t len,
				     const struct rumord_version *v)
{
	unsigned char buf[RUMORD_MAX_KEY + 25];
	uint64_t folded;
	struct rumord_hash h;
	XXH128_hash_t x;

	/* Keys are at most RUMORD_MAX_KEY; a longer one stands in by its hash. */
	if (len > RUMORD_MAX_KEY) {
		folded = XXH3_64bits(key, len);
		key = &folded;
		len = sizeof(folded);
	}
	memcpy(buf, key, len);
	rumord_put_le64(buf + len, v->hlc);
	rumord_put_le64(buf + len + 8, v->dot.node);
	rumord_put_le64(buf + len + 16, v->dot.counter);
	buf[len + 24] = v->tombstone;
	x = XXH3_128bits(buf, len + 25);
	h.lo = x.low64;
	h.hi = x.high64;
	if (rumord_hash_zero(h))
		h.lo = 1;
	return h;
}

static uint64_t index_at(uint64_t key_hash, unsigned int level)
{
	return level ? key_hash >> (64 - 4 * level) : 0;
}

void rumord_merkle_update(struct rumord_merkle *m, uint64_t key_hash,
			  struct rumord_hash old, struct rumord_hash new)
{
	unsigned __int128 d = ((unsigned __int128)new.hi << 64 | new.lo) -
			      ((unsigned __int128)old.hi << 64 | old.lo);

	if (rumord_hash_eq(old, new))
		return;
	for (unsigned int l = 0; l < LEVELS; l++) {
		uint64_t i = level_offset(l) + index_at(key_hash, l);
		struct rumord_hash *h = &m->node[i];
		unsigned __int128 x = ((unsigned __int128)h->hi << 64 | h->lo) + d;

		h->lo = (uint64_t)x;
		h->hi = (uint64_t)(x >> 64);
		m->touched[(i >> CHUNK_SHIFT) / 64] |= 1ULL << ((i >> CHUNK_SHIFT) % 64);
	}
	m->count += !rumord_hash_zero(new);
	m->count -= !rumord_hash_zero(old);
}

struct rumord_hash rumord_merkle_node(const struct rumord_merkle *m,
				      unsigned int level, uint64_t index)
{
	struct rumord_hash zero = { 0, 0 };

	if (level >= LEVELS || index >= (1ULL << (4 * level)))
		return zero;
	return m->node[level_offset(level) + index];
}

void rumord_merkle_range(unsigned int level, uint64_t index, uint64_t *lo,
			 uint64_t *hi)
{
	unsigned int shift;

	if (!level) {
		*lo = 0;
		*hi = UINT64_MAX;
		return;
	}
	if (level > 16)
		level = 16;
	shift = 64 - 4 * level;
	*lo = index << shift;
	*hi = shift ? *lo | ((1ULL << shift) - 1) : *lo;
}
