// SPDX-License-Identifier: GPL-2.0
/*
 * The in-memory replica. Records live in buckets chosen by the top bits of
 * the key hash, each bucket sorted by (hash, key): a lookup is a binary
 * search in a short array and a key-hash range is a run of buckets, which
 * is what the Merkle walk asks for. Buckets double (each splits in two by
 * the next hash bit) when they average more than 8 records.
 *
 * The dot log is a ring of the last log_cap dots that won, each with its
 * key hash, chained in a hash table by dot. It holds no pointers, so a
 * clone copies it as it is; by_dot() answers only if the key's record
 * still carries that dot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hlc.h"
#include "memreplica.h"

#define MIN_BUCKET_BITS	8
#define MAX_BUCKET_BITS	20
#define BUCKET_LOAD	8
#define NO_SLOT		UINT32_MAX
#define MAX_LOG		(1u << 24)

struct mrec {
	uint64_t hash;
	struct rumord_version v;
	struct rumord_hash eh;		/* entry hash, as in the tree */
	uint32_t value_len;
	uint16_t key_len;
	unsigned char data[];		/* key, then value */
};

struct bucket {
	struct mrec **v;
	uint32_t n, cap;
};

struct log_slot {
	struct rumord_dot dot;
	uint64_t hash;			/* the key's hash */
	uint32_t next;			/* chain in heads[] */
};

struct rumord_memreplica {
	uint64_t node, counter;
	struct rumord_hlc hlc;
	uint64_t now;			/* wall clock of the latest put/del */

	struct bucket *b;
	unsigned int bbits;
	uint64_t count;

	struct rumord_bvv bvv;
	struct rumord_merkle *merkle;

	struct log_slot *log;
	uint32_t *heads;
	uint32_t log_cap, log_pos, log_used, hmask;

	struct rumord_memreplica_stats stats;
};

/* ---- records and buckets ---- */

static int rec_cmp(const struct mrec *r, uint64_t hash, const void *key,
		   size_t key_len)
{
	size_t n = r->key_len < key_len ? r->key_len : key_len;
	int c;

	if (r->hash != hash)
		return r->hash < hash ? -1 : 1;
	c = memcmp(r->data, key, n);
	if (c)
		return c;
	return r->key_len < key_len ? -1 : r->key_len > key_len;
}

static struct bucket *bucket_of(const struct rumord_memreplica *m,
				uint64_t hash)
{
	return &m->b[hash >> (64 - m->bbits)];
}

/* Index of the first record not below (hash, key) in @b. */
static uint32_t bucket_lower(const struct bucket *b, uint64_t hash,
			     const void *key, size_t key_len)
{
	uint32_t lo = 0, hi = b->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (rec_cmp(b->v[mid], hash, key, key_len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the first record with a hash not below @hash in @b. */
static uint32_t bucket_lower_hash(const struct bucket *b, uint64_t hash)
{
	uint32_t lo = 0, hi = b->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (b->v[mid]->hash < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct mrec *find(const struct rumord_memreplica *m, uint64_t hash,
			 const void *key, size_t key_len)
{
	const struct bucket *b = bucket_of(m, hash);
	uint32_t i = bucket_lower(b, hash, key, key_len);

	if (i < b->n && !rec_cmp(b->v[i], hash, key, key_len))
		return b->v[i];
	return NULL;
}

static int bucket_reserve(struct bucket *b, uint32_t n)
{
	struct mrec **v;
	uint32_t cap;

	if (n <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4;
	while (cap < n)
		cap *= 2;
	v = realloc(b->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	b->v = v;
	b->cap = cap;
	return 0;
}

static void free_buckets(struct bucket *b, size_t n, bool records)
{
	for (size_t i = 0; i < n; i++) {
		if (records)
			for (uint32_t j = 0; j < b[i].n; j++)
				free(b[i].v[j]);
		free(b[i].v);
	}
	free(b);
}

/*
 * Twice the buckets, each old one split by the next hash bit. Failing is
 * harmless: the buckets only get longer.
 */
static void grow_buckets(struct rumord_memreplica *m)
{
	size_t n = (size_t)1 << m->bbits;
	struct bucket *nb = calloc(2 * n, sizeof(*nb));

	if (!nb)
		return;
	for (size_t i = 0; i < n; i++) {
		struct bucket *o = &m->b[i];
		uint64_t mid = ((uint64_t)(2 * i + 1)) << (64 - m->bbits - 1);
		uint32_t k = bucket_lower_hash(o, mid);

		if (bucket_reserve(&nb[2 * i], k) ||
		    bucket_reserve(&nb[2 * i + 1], o->n - k)) {
			free_buckets(nb, 2 * n, false);
			return;
		}
		if (k)
			memcpy(nb[2 * i].v, o->v, k * sizeof(*o->v));
		if (o->n - k)
			memcpy(nb[2 * i + 1].v, o->v + k,
			       (o->n - k) * sizeof(*o->v));
		nb[2 * i].n = k;
		nb[2 * i + 1].n = o->n - k;
	}
	free_buckets(m->b, n, false);
	m->b = nb;
	m->bbits++;
}

static struct mrec *rec_new(const struct rumord_record *rec, uint64_t hash)
{
	struct mrec *r = malloc(sizeof(*r) + rec->key_len + rec->value_len);

	if (!r)
		return NULL;
	r->hash = hash;
	r->v = rec->version;
	r->eh = rumord_entry_hash(rec->key, rec->key_len, &rec->version);
	r->key_len = (uint16_t)rec->key_len;
	r->value_len = (uint32_t)rec->value_len;
	memcpy(r->data, rec->key, rec->key_len);
	if (rec->value_len)
		memcpy(r->data + rec->key_len, rec->value, rec->value_len);
	return r;
}

static void rec_out(const struct mrec *r, struct rumord_record *out)
{
	out->key = r->data;
	out->key_len = r->key_len;
	out->value = r->data + r->key_len;
	out->value_len = r->value_len;
	out->version = r->v;
}

/* ---- the dot log ---- */

static uint32_t dot_bucket(const struct rumord_memreplica *m,
			   struct rumord_dot d)
{
	uint64_t x = d.node * 0x9e3779b97f4a7c15ULL ^ d.counter;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	return (uint32_t)(x >> 32) & m->hmask;
}

static bool dot_eq(struct rumord_dot a, struct rumord_dot b)
{
	return a.node == b.node && a.counter == b.counter;
}

static void log_unlink(struct rumord_memreplica *m, uint32_t slot)
{
	uint32_t *p = &m->heads[dot_bucket(m, m->log[slot].dot)];

	while (*p != NO_SLOT && *p != slot)
		p = &m->log[*p].next;
	if (*p == slot)
		*p = m->log[slot].next;
}

static void log_add(struct rumord_memreplica *m, struct rumord_dot d,
		    uint64_t hash)
{
	uint32_t slot = m->log_pos, *head;

	if (!m->log_cap)
		return;
	if (m->log_used == m->log_cap) {
		log_unlink(m, slot);
		m->stats.log_evicted++;
	} else {
		m->log_used++;
	}
	head = &m->heads[dot_bucket(m, d)];
	m->log[slot] = (struct log_slot){ d, hash, *head };
	*head = slot;
	m->log_pos = (slot + 1) % m->log_cap;
}

static const struct log_slot *log_find(const struct rumord_memreplica *m,
				       struct rumord_dot d)
{
	uint32_t s;

	if (!m->log_cap)
		return NULL;
	for (s = m->heads[dot_bucket(m, d)]; s != NO_SLOT; s = m->log[s].next)
		if (dot_eq(m->log[s].dot, d))
			return &m->log[s];
	return NULL;
}

void rumord_memreplica_truncate_log(struct rumord_memreplica *m)
{
	if (m->log_cap)
		memset(m->heads, 0xff, ((size_t)m->hmask + 1) * sizeof(*m->heads));
	m->log_used = 0;
	m->log_pos = 0;
}

/* ---- life ---- */

struct rumord_memreplica *rumord_memreplica_new(uint64_t node, size_t log_cap)
{
	struct rumord_memreplica *m;

	if (!node || log_cap > MAX_LOG)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->node = node;
	m->bbits = MIN_BUCKET_BITS;
	rumord_bvv_init(&m->bvv);
	m->b = calloc((size_t)1 << m->bbits, sizeof(*m->b));
	m->merkle = rumord_merkle_new();
	if (log_cap) {
		m->log_cap = (uint32_t)log_cap;
		m->hmask = 1;
		while (m->hmask + 1 < 2 * m->log_cap)
			m->hmask = 2 * m->hmask + 1;
		m->log = calloc(log_cap, sizeof(*m->log));
		m->heads = malloc(((size_t)m->hmask + 1) * sizeof(*m->heads));
	}
	if (!m->b || !m->merkle || (log_cap && (!m->log || !m->heads))) {
		rumord_memreplica_free(m);
		return NULL;
	}
	rumord_memreplica_truncate_log(m);
	return m;
}

void rumord_memreplica_free(struct rumord_memreplica *m)
{
	if (!m)
		return;
	if (m->b)
		free_buckets(m->b, (size_t)1 << m->bbits, true);
	rumord_bvv_free(&m->bvv);
	rumord_merkle_free(m->merkle);
	free(m->log);
	free(m->heads);
	free(m);
}

static int clone_buckets(struct rumord_memreplica *c,
			 const struct rumord_memreplica *m)
{
	size_t n = (size_t)1 << m->bbits;

	c->b = calloc(n, sizeof(*c->b));
	if (!c->b)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct bucket *o = &m->b[i];

		if (bucket_reserve(&c->b[i], o->n))
			return -ENOMEM;
		for (uint32_t j = 0; j < o->n; j++) {
			size_t size = sizeof(struct mrec) + o->v[j]->key_len +
				      o->v[j]->value_len;

			c->b[i].v[j] = malloc(size);
			if (!c->b[i].v[j])
				return -ENOMEM;
			memcpy(c->b[i].v[j], o->v[j], size);
			c->b[i].n = j + 1;
		}
	}
	return 0;
}

/* The highest counter of @node's dots in @v: where its next write starts. */
static uint64_t highest_dot(const struct rumord_bvv *v, uint64_t node)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct rumord_bvv_entry *e = &v->e[i];

		if (e->node != node)
			continue;
		if (!e->nwords)
			return e->base;
		return e->base + 64 * (uint64_t)(e->nwords - 1) + 64 -
		       (uint64_t)__builtin_clzll(e->bits[e->nwords - 1]);
	}
	return 0;
}

struct rumord_memreplica *rumord_memreplica_clone(const struct rumord_memreplica *m,
						  uint64_t node)
{
	struct rumord_memreplica *c = calloc(1, sizeof(*c));
	size_t heads = (size_t)m->hmask + 1;

	if (!c)
		return NULL;
	*c = *m;
	c->b = NULL;
	c->log = NULL;
	c->heads = NULL;
	rumord_bvv_init(&c->bvv);
	c->merkle = rumord_merkle_dup(m->merkle);
	if (!c->merkle || clone_buckets(c, m) ||
	    rumord_bvv_merge(&c->bvv, &m->bvv))
		goto fail;
	if (m->log_cap) {
		c->log = malloc(m->log_cap * sizeof(*c->log));
		c->heads = malloc(heads * sizeof(*c->heads));
		if (!c->log || !c->heads)
			goto fail;
		memcpy(c->log, m->log, m->log_cap * sizeof(*c->log));
		memcpy(c->heads, m->heads, heads * sizeof(*c->heads));
	}
	if (node && node != m->node) {
		c->node = node;
		c->counter = highest_dot(&c->bvv, node);
	}
	return c;
fail:
	rumord_memreplica_free(c);
	return NULL;
}

/* ---- writes ---- */

/*
 * Put @rec in, last writer wins: 1 if it replaced the key's record or the
 * key was new, 0 if it lost or was there already.
 */
static int install(struct rumord_memreplica *m, const struct rumord_record *rec)
{
	uint64_t hash = rumord_key_hash(rec->key, rec->key_len);
	struct bucket *b = bucket_of(m, hash);
	uint32_t i = bucket_lower(b, hash, rec->key, rec->key_len);
	struct rumord_hash old = { 0, 0 };
	bool exists = i < b->n && !rec_cmp(b->v[i], hash, rec->key, rec->key_len);
	struct mrec *r;

	if (exists) {
		if (rumord_version_cmp(&rec->version, &b->v[i]->v) <= 0)
			return 0;
		old = b->v[i]->eh;
	} else if (bucket_reserve(b, b->n + 1)) {
		return -ENOMEM;
	}
	r = rec_new(rec, hash);
	if (!r)
		return -ENOMEM;
	if (exists) {
		free(b->v[i]);
	} else {
		memmove(&b->v[i + 1], &b->v[i], (b->n - i) * sizeof(*b->v));
		b->n++;
		m->count++;
	}
	b->v[i] = r;
	rumord_merkle_update(m->merkle, hash, old, r->eh);
	log_add(m, rec->version.dot, hash);
	if (m->count > ((uint64_t)BUCKET_LOAD << m->bbits) &&
	    m->bbits < MAX_BUCKET_BITS)
		grow_buckets(m);
	return 1;
}

/* A dot too far above the vector's base is not noted, which is safe. */
static int note_dot(struct rumord_memreplica *m, struct rumord_dot d)
{
	int rc = rumord_bvv_add(&m->bvv, d);

	if (rc == -E2BIG) {
		m->stats.dots_unnoted++;
		return 0;
	}
	return rc < 0 ? rc : 0;
}

static int local_write(struct rumord_memreplica *m, const void *key,
		       size_t key_len, const void *value, size_t value_len,
		       bool tombstone, uint64_t wall_ms)
{
	struct rumord_record rec = {
		.key = key, .key_len = key_len,
		.value = value, .value_len = value_len,
	};
	int won, rc;

	m->now = wall_ms;
	if (m->counter >= RUMORD_MAX_COUNTER)
		return -EOVERFLOW;
	rec.version.hlc = rumord_hlc_now(&m->hlc, wall_ms);
	rec.version.dot.node = m->node;
	rec.version.dot.counter = m->counter + 1;
	rec.version.tombstone = tombstone;
	if (!rumord_record_valid(&rec))
		return -EINVAL;
	won = install(m, &rec);
	if (won < 0)
		return won;
	m->counter++;
	rc = note_dot(m, rec.version.dot);
	return rc < 0 ? rc : won;
}

int rumord_memreplica_put(struct rumord_memreplica *m, const void *key,
			  size_t key_len, const void *value, size_t value_len,
			  uint64_t wall_ms)
{
	return local_write(m, key, key_len, value, value_len, false, wall_ms);
}

int rumord_memreplica_del(struct rumord_memreplica *m, const void *key,
			  size_t key_len, uint64_t wall_ms)
{
	return local_write(m, key, key_len, NULL, 0, true, wall_ms);
}

/* ---- struct rumord_replica_ops ---- */

static const struct rumord_bvv *op_bvv(void *r)
{
	return &((struct rumord_memreplica *)r)->bvv;
}

static const struct rumord_merkle *op_merkle(void *r)
{
	return ((struct rumord_memreplica *)r)->merkle;
}

static int op_by_dot(void *r, struct rumord_dot d, struct rumord_record *out)
{
	const struct rumord_memreplica *m = r;
	const struct log_slot *s = log_find(m, d);
	const struct bucket *b;

	if (!s)
		return 0;
	b = bucket_of(m, s->hash);
	for (uint32_t i = bucket_lower_hash(b, s->hash);
	     i < b->n && b->v[i]->hash == s->hash; i++) {
		if (dot_eq(b->v[i]->v.dot, d)) {
			rec_out(b->v[i], out);
			return 1;
		}
	}
	return 0;	/* overwritten since */
}

static int op_range(void *r, uint64_t lo, uint64_t hi, rumord_record_fn fn,
		    void *arg)
{
	const struct rumord_memreplica *m = r;
	unsigned int shift = 64 - m->bbits;
	struct rumord_record out;

	if (lo > hi)
		return 0;
	for (uint64_t bi = lo >> shift;; bi++) {
		const struct bucket *b = &m->b[bi];

		for (uint32_t i = bucket_lower_hash(b, lo);
		     i < b->n && b->v[i]->hash <= hi; i++) {
			int rc;

			rec_out(b->v[i], &out);
			rc = fn(&out, arg);
			if (rc)
				return rc;
		}
		if (bi == hi >> shift)
			break;
	}
	return 0;
}

static int op_get(void *r, const void *key, size_t key_len,
		  struct rumord_record *out)
{
	const struct mrec *rec = find(r, rumord_key_hash(key, key_len), key,
				      key_len);

	if (!rec)
		return 0;
	rec_out(rec, out);
	return 1;
}

static int op_apply(void *r, const struct rumord_record *rec)
{
	struct rumord_memreplica *m = r;
	int won, rc;

	if (!rumord_record_valid(rec))
		return -EINVAL;
	m->stats.applied++;
	rumord_hlc_observe(&m->hlc, rec->version.hlc, m->now);
	won = install(m, rec);
	if (won < 0)
		return won;
	m->stats.replaced += (uint64_t)won;
	rc = note_dot(m, rec->version.dot);
	return rc < 0 ? rc : won;
}

static int op_cover(void *r, const struct rumord_bvv *seen)
{
	return rumord_bvv_merge(&((struct rumord_memreplica *)r)->bvv, seen);
}

static const struct rumord_replica_ops memreplica_ops = {
	.bvv = op_bvv,
	.merkle = op_merkle,
	.by_dot = op_by_dot,
	.range = op_range,
	.get = op_get,
	.apply = op_apply,
	.cover = op_cover,
};

void rumord_memreplica_replica(struct rumord_memreplica *m,
			       struct rumord_replica *out)
{
	out->ops = &memreplica_ops;
	out->r = m;
}

uint64_t rumord_memreplica_count(const struct rumord_memreplica *m)
{
	return m->count;
}

const struct rumord_memreplica_stats *
rumord_memreplica_stats(const struct rumord_memreplica *m)
{
	return &m->stats;
}

/* ---- checks ---- */

static int check_record(const struct rumord_memreplica *m, size_t bi,
			const struct mrec *r, const struct mrec *prev)
{
	struct rumord_record rec;
	struct rumord_hash eh;

	rec_out(r, &rec);
	eh = rumord_entry_hash(r->data, r->key_len, &r->v);
	if (!rumord_record_valid(&rec) ||
	    r->hash != rumord_key_hash(r->data, r->key_len) ||
	    bucket_of(m, r->hash) != &m->b[bi] || !rumord_hash_eq(eh, r->eh))
		return -EINVAL;
	if (!m->stats.dots_unnoted && !rumord_bvv_contains(&m->bvv, r->v.dot))
		return -EINVAL;
	if (prev && rec_cmp(prev, r->hash, r->data, r->key_len) >= 0)
		return -EINVAL;
	return 0;
}

int rumord_memreplica_check(const struct rumord_memreplica *m)
{
	struct rumord_merkle *t = rumord_merkle_new();
	uint64_t count = 0;
	int rc = 0;

	if (!t)
		return -ENOMEM;
	for (size_t bi = 0; bi < (size_t)1 << m->bbits && !rc; bi++) {
		const struct bucket *b = &m->b[bi];

		for (uint32_t i = 0; i < b->n && !rc; i++) {
			struct rumord_hash zero = { 0, 0 };

			rc = check_record(m, bi, b->v[i], i ? b->v[i - 1] : NULL);
			rumord_merkle_update(t, b->v[i]->hash, zero, b->v[i]->eh);
			count++;
		}
	}
	if (count != m->count || rumord_merkle_count(t) != count ||
	    !rumord_merkle_equal(t, m->merkle))
		rc = -EINVAL;
	rumord_merkle_free(t);
	return rc;
}
