// SPDX-License-Identifier: GPL-2.0
/*
 * Bitmap version vectors. Each entry is kept normalised: the bitmap's
 * first bit is always clear (else the base would have moved up past it)
 * and its last word is never zero, so two vectors holding the same dots
 * have the same bytes, and a base with no bitmap costs 20 bytes on the
 * wire however many writes it covers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bvv.h"
#include "le.h"

void rumord_bvv_init(struct rumord_bvv *v)
{
	v->e = NULL;
	v->n = 0;
	v->cap = 0;
}

void rumord_bvv_free(struct rumord_bvv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->e[i].bits);
	free(v->e);
	rumord_bvv_init(v);
}

/* The index of @node's entry, or where it would go. */
static size_t lower_bound(const struct rumord_bvv *v, uint64_t node)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->e[mid].node < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct rumord_bvv_entry *lookup(const struct rumord_bvv *v,
				       uint64_t node)
{
	size_t i = lower_bound(v, node);

	return i < v->n && v->e[i].node == node ? &v->e[i] : NULL;
}

/* @node's entry, inserted empty if it was not there; NULL and *err if not. */
static struct rumord_bvv_entry *get(struct rumord_bvv *v, uint64_t node,
				    int *err)
{
	size_t i = lower_bound(v, node);

	if (i < v->n && v->e[i].node == node)
		return &v->e[i];
	if (v->n >= RUMORD_BVV_MAX_NODES) {
		*err = -E2BIG;
		return NULL;
	}
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 8;
		struct rumord_bvv_entry *e = realloc(v->e, cap * sizeof(*e));

		if (!e) {
			*err = -ENOMEM;
			return NULL;
		}
		v->e = e;
		v->cap = cap;
	}
	memmove(&v->e[i + 1], &v->e[i], (v->n - i) * sizeof(v->e[0]));
	v->n++;
	v->e[i] = (struct rumord_bvv_entry){ .node = node };
	return &v->e[i];
}

static void remove_entry(struct rumord_bvv *v, struct rumord_bvv_entry *e)
{
	size_t i = (size_t)(e - v->e);

	free(e->bits);
	memmove(&v->e[i], &v->e[i + 1], (v->n - i - 1) * sizeof(v->e[0]));
	v->n--;
}

/* 64 bits of the bitmap from bit @off on; beyond its end all clear. */
static uint64_t bitmap_word(const struct rumord_bvv_entry *e, uint64_t off)
{
	uint64_t w = off / 64, sh = off % 64, lo, hi;

	if (w >= e->nwords)
		return 0;
	lo = e->bits[w];
	if (!sh)
		return lo;
	hi = w + 1 < e->nwords ? e->bits[w + 1] : 0;
	return lo >> sh | hi << (64 - sh);
}

/* Bit i set: dot @s + i is in @e (NULL: an empty entry). @s >= 1. */
static uint64_t dots_word(const struct rumord_bvv_entry *e, uint64_t s)
{
	uint64_t below;

	if (!e)
		return 0;
	if (s > e->base)
		return bitmap_word(e, s - e->base - 1);
	below = e->base - s + 1;	/* dots s .. base, all present */
	if (below >= 64)
		return ~0ULL;
	return ((1ULL << below) - 1) | bitmap_word(e, 0) << below;
}

/* One past the highest dot @e could hold. */
static uint64_t entry_top(const struct rumord_bvv_entry *e)
{
	return e ? e->base + 64 * (uint64_t)e->nwords : 0;
}

/* Move the base up over leading set bits; drop trailing zero words. */
static void normalise(struct rumord_bvv_entry *e)
{
	uint32_t k = 0;

	while (k < e->nwords && e->bits[k] == ~0ULL)
		k++;
	if (k) {
		memmove(e->bits, e->bits + k, (e->nwords - k) * sizeof(uint64_t));
		e->nwords -= k;
		e->base += 64 * (uint64_t)k;
	}
	if (e->nwords && (e->bits[0] & 1)) {
		unsigned int t = (unsigned int)__builtin_ctzll(~e->bits[0]);

		for (uint32_t i = 0; i < e->nwords; i++)
			e->bits[i] = bitmap_word(e, 64 * (uint64_t)i + t);
		e->base += t;
	}
	while (e->nwords && !e->bits[e->nwords - 1])
		e->nwords--;
	if (!e->nwords) {
		free(e->bits);
		e->bits = NULL;
	}
}

static bool has(const struct rumord_bvv_entry *e, uint64_t counter)
{
	uint64_t off;

	if (counter <= e->base)
		return true;
	off = counter - e->base - 1;
	return off / 64 < e->nwords && (e->bits[off / 64] >> (off % 64) & 1);
}

int rumord_bvv_add(struct rumord_bvv *v, struct rumord_dot d)
{
	struct rumord_bvv_entry *e;
	uint64_t off, base;
	int err = 0;

	if (!d.node || !d.counter || d.counter > RUMORD_MAX_COUNTER)
		return -EINVAL;
	e = lookup(v, d.node);
	base = e ? e->base : 0;
	if (d.counter <= base)
		return 0;
	off = d.counter - base - 1;
	if (off >= 64 * (uint64_t)RUMORD_BVV_MAX_WORDS)
		return -E2BIG;
	if (!e) {
		e = get(v, d.node, &err);
		if (!e)
			return err;
	}
	/* The common case: the next write of an origin with no gap. */
	if (!off && !e->nwords) {
		e->base++;
		return 1;
	}
	if (off / 64 >= e->nwords) {
		uint32_t nw = (uint32_t)(off / 64 + 1);
		uint64_t *bits = realloc(e->bits, nw * sizeof(uint64_t));

		if (!bits) {
			if (!e->nwords && !e->base)
				remove_entry(v, e);
			return -ENOMEM;
		}
		memset(bits + e->nwords, 0, (nw - e->nwords) * sizeof(uint64_t));
		e->bits = bits;
		e->nwords = nw;
	}
	if (e->bits[off / 64] >> (off % 64) & 1)
		return 0;
	e->bits[off / 64] |= 1ULL << (off % 64);
	if (!off)
		normalise(e);
	return 1;
}

bool rumord_bvv_contains(const struct rumord_bvv *v, struct rumord_dot d)
{
	const struct rumord_bvv_entry *e = lookup(v, d.node);

	return e && d.counter && has(e, d.counter);
}

int rumord_bvv_missing(const struct rumord_bvv *have,
		       const struct rumord_bvv *other,
		       int (*fn)(struct rumord_dot d, void *arg), void *arg)
{
	for (size_t i = 0; i < have->n; i++) {
		const struct rumord_bvv_entry *h = &have->e[i];
		const struct rumord_bvv_entry *o = lookup(other, h->node);
		uint64_t top = entry_top(h);

		/* Every dot up to the other's base is there: start above it. */
		for (uint64_t s = (o ? o->base : 0) + 1; s <= top; s += 64) {
			uint64_t m = dots_word(h, s) & ~dots_word(o, s);

			while (m) {
				struct rumord_dot d = {
					h->node, s + (uint64_t)__builtin_ctzll(m)
				};
				int rc = fn(d, arg);

				if (rc)
					return rc;
				m &= m - 1;
			}
		}
	}
	return 0;
}

/* @e |= @o, both for one node; @e may be NULL (not in @v yet). */
static int merge_entry(struct rumord_bvv *v, struct rumord_bvv_entry *e,
		       const struct rumord_bvv_entry *o)
{
	uint64_t base = e && e->base > o->base ? e->base : o->base;
	uint64_t top = entry_top(e) > entry_top(o) ? entry_top(e) : entry_top(o);
	uint64_t *bits = NULL;
	uint32_t nw = 0;
	int err = 0;

	/* Nothing the other has that this one lacks: the usual case. */
	if (!o->nwords && o->base <= (e ? e->base : 0))
		return 0;
	if (top > base) {
		nw = (uint32_t)((top - base + 63) / 64);
		bits = calloc(nw, sizeof(uint64_t));
		if (!bits)
			return -ENOMEM;
		for (uint32_t w = 0; w < nw; w++) {
			uint64_t s = base + 1 + 64 * (uint64_t)w;

			bits[w] = dots_word(e, s) | dots_word(o, s);
		}
	}
	if (!e) {
		e = get(v, o->node, &err);
		if (!e) {
			free(bits);
			return err;
		}
	}
	free(e->bits);
	e->bits = bits;
	e->nwords = nw;
	e->base = base;
	normalise(e);
	return 0;
}

int rumord_bvv_merge(struct rumord_bvv *v, const struct rumord_bvv *other)
{
	if (v == other)
		return 0;
	for (size_t i = 0; i < other->n; i++) {
		int rc = merge_entry(v, lookup(v, other->e[i].node), &other->e[i]);

		if (rc)
			return rc;
	}
	return 0;
}





#define ENTRY_HEAD	20	/* node, base, nwords */

size_t rumord_bvv_encode(const struct rumord_bvv *v, void *buf, size_t size)
{
	unsigned char *p = buf;
	size_t need = 4;

	for (size_t i = 0; i < v->n; i++)
		need += ENTRY_HEAD + 8 * (size_t)v->e[i].nwords;
	if (!buf || size < need)
		return need;
	rumord_put_le32(p, (uint32_t)v->n);
	p += 4;
	for (size_t i = 0; i < v->n; i++) {
		const struct rumord_bvv_entry *e = &v->e[i];

		rumord_put_le64(p, e->node);
		rumord_put_le64(p + 8, e->base);
		rumord_put_le32(p + 16, e->nwords);
		p += ENTRY_HEAD;
		for (uint32_t w = 0; w < e->nwords; w++, p += 8)
			rumord_put_le64(p, e->bits[w]);
	}
	return need;
}

/* One entry's fixed part and words from @p (@left bytes): bytes or < 0. */
static long decode_entry(struct rumord_bvv_entry *e, uint64_t prev,
			 const unsigned char *p, size_t left)
{
	uint64_t top;

	if (left < ENTRY_HEAD)
		return -EINVAL;
	e->node = rumord_get_le64(p);
	e->base = rumord_get_le64(p + 8);
	e->nwords = rumord_get_le32(p + 16);
	if (!e->node || e->node <= prev || e->base > RUMORD_MAX_COUNTER ||
	    e->nwords > RUMORD_BVV_MAX_WORDS ||
	    left - ENTRY_HEAD < 8 * (size_t)e->nwords)
		return -EINVAL;
	if (!e->nwords)
		return e->base ? ENTRY_HEAD : -EINVAL;	/* empty: never made */
	e->bits = malloc(e->nwords * sizeof(uint64_t));
	if (!e->bits)
		return -ENOMEM;
	for (uint32_t w = 0; w < e->nwords; w++)
		e->bits[w] = rumord_get_le64(p + ENTRY_HEAD + 8 * w);
	if ((e->bits[0] & 1) || !e->bits[e->nwords - 1])
		return -EINVAL;
	top = e->base + 64 * (uint64_t)(e->nwords - 1) + 64 -
	      (uint64_t)__builtin_clzll(e->bits[e->nwords - 1]);
	if (top > RUMORD_MAX_COUNTER)
		return -EINVAL;
	return ENTRY_HEAD + 8 * (long)e->nwords;
}

long rumord_bvv_decode(struct rumord_bvv *v, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	struct rumord_bvv t;
	size_t off = 4;
	uint32_t n;

	if (len < 4)
		return -EINVAL;
	n = rumord_get_le32(p);
	if (n > RUMORD_BVV_MAX_NODES || (len - 4) / ENTRY_HEAD < n)
		return -EINVAL;
	rumord_bvv_init(&t);
	if (n) {
		t.e = calloc(n, sizeof(*t.e));
		if (!t.e)
			return -ENOMEM;
		t.cap = n;
	}
	for (uint32_t i = 0; i < n; i++) {
		long used = decode_entry(&t.e[i], i ? t.e[i - 1].node : 0,
					 p + off, len - off);

		t.n = i + 1;	/* so that free() sees this entry's bits */
		if (used < 0) {
			rumord_bvv_free(&t);
			return used;
		}
		off += (size_t)used;
	}
	rumord_bvv_free(v);
	*v = t;
	return (long)off;
}
