// SPDX-License-Identifier: GPL-2.0
/*
 * The consistent hash ring. Points live in one array sorted by position;
 * a key's walk starts at the first point at or after its hash (a binary
 * search) and goes round once at most, so a preference list costs
 * O(log points + the points passed until n distinct members are seen).
 *
 * Members are kept sorted by node id, so a point's member index orders
 * points the same way the node id would: two points at the same 64-bit
 * position (a collision, unlikely but possible) are ordered by node id and
 * then index, identically on every node.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "le.h"
#include "ring.h"

_Static_assert(RUMORD_RING_MAX_MEMBERS % 64 == 0,
	       "the walk's bitmap holds whole words");
_Static_assert((uint64_t)RUMORD_RING_MAX_MEMBERS * RUMORD_RING_MAX_VNODES <=
	       UINT32_MAX, "point counts fit 32 bits");

int rumord_ring_init(struct rumord_ring *r, unsigned int vnodes)
{
	memset(r, 0, sizeof(*r));
	if (vnodes > RUMORD_RING_MAX_VNODES)
		return -EINVAL;
	r->vnodes = vnodes ? vnodes : RUMORD_RING_VNODES;
	return 0;
}

void rumord_ring_free(struct rumord_ring *r)
{
	free(r->members);
	free(r->points);
	r->members = NULL;
	r->points = NULL;
	r->nmembers = 0;
	r->npoints = 0;
}

/*
 * XXH3 of the point's name in a fixed little-endian form (u64 node, u32
 * index), so the circle is the same on every host whatever its byte order.
 */
uint64_t rumord_ring_point_pos(uint64_t node, uint32_t index)
{
	uint8_t name[12];

	rumord_put_le64(name, node);
	rumord_put_le32(name + 8, index);
	return XXH3_64bits(name, sizeof(name));
}

static int member_cmp(const void *a, const void *b)
{
	const struct rumord_ring_member *x = a, *y = b;

	return x->node < y->node ? -1 : x->node > y->node;
}

static int point_cmp(const void *a, const void *b)
{
	const struct rumord_ring_point *x = a, *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	if (x->member != y->member)
		return x->member < y->member ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

int rumord_ring_set_members(struct rumord_ring *r,
			    const struct rumord_ring_member *members, size_t n,
			    size_t *refused)
{
	struct rumord_ring_member *m = NULL;
	struct rumord_ring_point *p = NULL;
	size_t keep, i, j;

	if (n && !members)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!members[i].node)
			return -EINVAL;
	if (n) {
		m = malloc(n * sizeof(*m));
		if (!m)
			return -ENOMEM;
		memcpy(m, members, n * sizeof(*m));
		qsort(m, n, sizeof(*m), member_cmp);
	}
	/* One node id twice: two views of one member, not ours to pick from. */
	for (i = 1; i < n; i++) {
		if (m[i].node == m[i - 1].node) {
			free(m);
			return -EINVAL;
		}
	}
	/* Sorted, so every node refuses the same members at the bound. */
	keep = n < RUMORD_RING_MAX_MEMBERS ? n : RUMORD_RING_MAX_MEMBERS;
	if (keep) {
		p = malloc(keep * r->vnodes * sizeof(*p));
		if (!p) {
			free(m);
			return -ENOMEM;
		}
	}
	for (i = 0; i < keep; i++) {
		for (j = 0; j < r->vnodes; j++) {
			struct rumord_ring_point *pt = &p[i * r->vnodes + j];

			pt->pos = rumord_ring_point_pos(m[i].node, (uint32_t)j);
			pt->member = (uint32_t)i;
			pt->index = (uint32_t)j;
		}
	}
	if (keep)
		qsort(p, keep * r->vnodes, sizeof(*p), point_cmp);

	free(r->members);
	free(r->points);
	r->members = m;
	r->nmembers = keep;
	r->points = p;
	r->npoints = keep * r->vnodes;
	r->stats.rebuilds++;
	r->stats.refused = n - keep;
	r->stats.refused_total += n - keep;
	if (refused)
		*refused = n - keep;
	return 0;
}

static struct rumord_ring_member *find(const struct rumord_ring *r,
				       uint64_t node)
{
	size_t lo = 0, hi = r->nmembers, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->members[mid].node < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < r->nmembers && r->members[lo].node == node)
		return &r->members[lo];
	return NULL;
}

const struct rumord_ring_member *rumord_ring_find(const struct rumord_ring *r,
						  uint64_t node)
{
	return find(r, node);
}

int rumord_ring_set_down(struct rumord_ring *r, uint64_t node, bool down)
{
	struct rumord_ring_member *m = find(r, node);

	if (!m)
		return -ENOENT;
	m->down = down;
	return 0;
}

void rumord_ring_walk_start(struct rumord_ring_walk *w,
			    const struct rumord_ring *r, uint64_t key_hash)
{
	size_t lo = 0, hi = r->npoints, mid;

	memset(w, 0, sizeof(*w));
	w->ring = r;
	/* The first point at or after the key; past the last, wrap to 0. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->points[mid].pos < key_hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	w->next = lo < r->npoints ? lo : 0;
}

const struct rumord_ring_member *rumord_ring_walk_next(struct rumord_ring_walk *w)
{
	const struct rumord_ring *r = w->ring;
	uint32_t m;

	while (w->visited < r->npoints && w->yielded < r->nmembers) {
		m = r->points[w->next].member;
		w->next = w->next + 1 < r->npoints ? w->next + 1 : 0;
		w->visited++;
		if (w->seen[m / 64] & (1ull << (m % 64)))
			continue;
		w->seen[m / 64] |= 1ull << (m % 64);
		w->yielded++;
		return &r->members[m];
	}
	return NULL;
}

int rumord_ring_preference(const struct rumord_ring *r, uint64_t key_hash,
			   unsigned int n,
			   const struct rumord_ring_member **out, size_t *count)
{
	const struct rumord_ring_member *m;
	struct rumord_ring_walk w;
	size_t i = 0;

	*count = 0;
	if (!n || n > RUMORD_RING_MAX_N)
		return -EINVAL;
	rumord_ring_walk_start(&w, r, key_hash);
	while (i < n && (m = rumord_ring_walk_next(&w)))
		out[i++] = m;
	*count = i;
	return i == n ? 0 : -ENOENT;
}

static bool is_live(const struct rumord_ring_member *m,
		    rumord_ring_live_fn live, void *arg)
{
	return live ? live(m, arg) : !m->down;
}

int rumord_ring_sloppy(const struct rumord_ring *r, uint64_t key_hash,
		       unsigned int n, rumord_ring_live_fn live, void *arg,
		       struct rumord_ring_target *out, size_t *count)
{
	const struct rumord_ring_member *m;
	struct rumord_ring_walk w;
	size_t i = 0;

	*count = 0;
	if (!n || n > RUMORD_RING_MAX_N)
		return -EINVAL;
	rumord_ring_walk_start(&w, r, key_hash);
	while (i < n && (m = rumord_ring_walk_next(&w))) {
		out[i].home = m;
		out[i].member = is_live(m, live, arg) ? m : NULL;
		i++;
	}
	*count = i;
	if (i < n)
		return -ENOENT;
	/* The walk goes on past the preferred members: those are the stand-ins. */
	for (i = 0; i < n; i++) {
		if (out[i].member)
			continue;
		while ((m = rumord_ring_walk_next(&w)) && !is_live(m, live, arg))
			;
		if (!m)
			return -EHOSTDOWN;
		out[i].member = m;
	}
	return 0;
}
