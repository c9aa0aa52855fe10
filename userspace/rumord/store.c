// SPDX-License-Identifier: GPL-2.0
/*
 * rumord's store on LMDB. Five databases in one environment:
 *
 *   records  LMDB key of the user key -> record header, key, value
 *   khash    big-endian key hash (dupsort) -> LMDB key: range() in
 *            key-hash order, for the Merkle walk
 *   dots     big-endian (node, counter) -> LMDB key: the recent writes of
 *            each origin, for by_dot(); bounded per origin
 *   bvv      big-endian node -> that node's version-vector entry, in
 *            bvv.h's wire form (a vector of one entry)
 *   meta     "layout", "node_id", "counter", "hlc"
 *
 * LMDB keys end at 511 bytes and ours may have 512, so a user key of up to
 * 510 bytes is its own LMDB key and a longer one becomes its first 503
 * bytes and a 64-bit hash of the whole (511 bytes: never equal to a short
 * key). The record holds the whole key either way.
 *
 * Numbers in records, meta and the dot log are in host order: an LMDB file
 * is tied to its architecture anyway. Keys that must sort numerically are
 * big-endian.
 */
#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <xxhash.h>

#include "hlc.h"
#include "mdb.h"
#include "store.h"

#define STORE_LAYOUT	1

#define LKEY_MAX	511	/* LMDB's MDB_MAXKEYSIZE as Debian builds it */
#define LKEY_RAW_MAX	510	/* user keys up to this are their own LMDB key */
#define LKEY_PREFIX	503	/* longer ones: this much of the key, then a hash */

/* Record value: header, then the key, then the value. */
#define REC_HLC		0	/* u64 */
#define REC_NODE	8	/* u64 */
#define REC_COUNTER	16	/* u64 */
#define REC_FLAGS	24	/* u32 */
#define REC_KEY_LEN	28	/* u16 */
#define REC_RESERVED	30	/* u16, 0 */
#define REC_HDR		32
#define REC_F_TOMBSTONE	1u

/* Tombstones deleted per GC transaction. */
#define GC_BATCH	256

struct rumord_store {
	/* Its read snapshot is the one records handed out point into. */
	struct rumord_mdb mdb;
	MDB_dbi records, khash, dots, bvvdb, meta;

	uint64_t node_id;
	uint64_t counter;		/* the last dot counter used here */
	struct rumord_hlc hlc;
	struct rumord_bvv bvv;
	struct rumord_merkle *merkle;

	uint32_t dot_log_max;
	uint64_t (*wall_ms)(void);
	struct rumord_store_stats stats;
};

struct lkey {
	uint8_t b[LKEY_MAX];
	MDB_val v;
};

/* ---- small helpers ---- */

static uint64_t get_u64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void lkey_make(struct lkey *lk, const void *key, size_t len)
{
	if (len <= LKEY_RAW_MAX) {
		memcpy(lk->b, key, len);
		lk->v.mv_size = len;
	} else {
		memcpy(lk->b, key, LKEY_PREFIX);
		rumord_put_be64(lk->b + LKEY_PREFIX, XXH3_64bits(key, len));
		lk->v.mv_size = LKEY_MAX;
	}
	lk->v.mv_data = lk->b;
}

static bool lkey_equal(const MDB_val *a, const MDB_val *b)
{
	return a->mv_size == b->mv_size &&
	       !memcmp(a->mv_data, b->mv_data, a->mv_size);
}

/* LMDB's default key order: bytes, then length. */
static int lkey_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static void dot_key(uint8_t out[16], struct rumord_dot d)
{
	rumord_mdb_pair_key(out, d.node, d.counter);
}

static const struct rumord_hash no_hash;

/* ---- records ---- */

/* Decode a records entry, checking it against the LMDB key it sits under. */
static int rec_decode(const MDB_val *k, const MDB_val *v,
		      struct rumord_record *out)
{
	const uint8_t *p = v->mv_data;
	uint32_t flags;
	uint16_t key_len, reserved;
	struct lkey lk;

	if (v->mv_size < REC_HDR)
		return -EIO;
	memcpy(&flags, p + REC_FLAGS, sizeof(flags));
	memcpy(&key_len, p + REC_KEY_LEN, sizeof(key_len));
	memcpy(&reserved, p + REC_RESERVED, sizeof(reserved));
	if (reserved || (flags & ~REC_F_TOMBSTONE) || !key_len ||
	    key_len > RUMORD_MAX_KEY || v->mv_size < REC_HDR + (size_t)key_len)
		return -EIO;
	out->key = p + REC_HDR;
	out->key_len = key_len;
	out->value = p + REC_HDR + key_len;
	out->value_len = v->mv_size - REC_HDR - key_len;
	out->version.hlc = get_u64(p + REC_HLC);
	out->version.dot.node = get_u64(p + REC_NODE);
	out->version.dot.counter = get_u64(p + REC_COUNTER);
	out->version.tombstone = flags & REC_F_TOMBSTONE;
	if ((out->version.tombstone && out->value_len) ||
	    out->value_len > RUMORD_MAX_VALUE)
		return -EIO;
	lkey_make(&lk, out->key, out->key_len);
	return lkey_equal(&lk.v, k) ? 0 : -EIO;
}

static void rec_encode(void *buf, const struct rumord_record *r)
{
	uint8_t *p = buf;
	uint32_t flags = r->version.tombstone ? REC_F_TOMBSTONE : 0;
	uint16_t key_len = (uint16_t)r->key_len, reserved = 0;

	memcpy(p + REC_HLC, &r->version.hlc, 8);
	memcpy(p + REC_NODE, &r->version.dot.node, 8);
	memcpy(p + REC_COUNTER, &r->version.dot.counter, 8);
	memcpy(p + REC_FLAGS, &flags, 4);
	memcpy(p + REC_KEY_LEN, &key_len, 2);
	memcpy(p + REC_RESERVED, &reserved, 2);
	memcpy(p + REC_HDR, r->key, r->key_len);
	if (r->value_len)
		memcpy(p + REC_HDR + r->key_len, r->value, r->value_len);
}

/*
 * The key's current record in @txn: 1 and *out, 0 if none. -EEXIST if its
 * LMDB key belongs to another long key (a 64-bit hash collision between
 * keys that share 503 bytes; refused rather than overwritten).
 */
static int rec_lookup(struct rumord_store *s, MDB_txn *txn,
		      const struct lkey *lk, const void *key, size_t key_len,
		      struct rumord_record *out)
{
	MDB_val v;
	int rc;

	rc = mdb_get(txn, s->records, (MDB_val *)&lk->v, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rumord_mdb_err(rc);
	rc = rec_decode(&lk->v, &v, out);
	if (rc)
		return rc;
	if (out->key_len != key_len || memcmp(out->key, key, key_len))
		return -EEXIST;
	return 1;
}

static int check_key(const void *key, size_t key_len)
{
	return key && key_len && key_len <= RUMORD_MAX_KEY ? 0 : -EINVAL;
}

/* ---- meta ---- */

static int meta_get_u64(struct rumord_store *s, MDB_txn *txn,
			const char *name, uint64_t *v, bool *found)
{
	return rumord_mdb_get_named(txn, s->meta, name, v, sizeof(*v), found);
}

static int meta_put_u64(struct rumord_store *s, MDB_txn *txn,
			const char *name, uint64_t v)
{
	return rumord_mdb_put_named(txn, s->meta, name, &v, sizeof(v));
}

/* ---- the version vector, one entry per origin on disk ---- */

/* In @txn, add @d to its origin's persisted entry. */
static int bvv_persist(struct rumord_store *s, MDB_txn *txn,
		       struct rumord_dot d)
{
	struct rumord_bvv one;
	uint8_t kb[8];
	MDB_val k = { sizeof(kb), kb }, v;
	size_t size;
	long n;
	int rc;

	rumord_put_be64(kb, d.node);
	rumord_bvv_init(&one);
	rc = mdb_get(txn, s->bvvdb, &k, &v);
	if (rc == 0) {
		n = rumord_bvv_decode(&one, v.mv_data, v.mv_size);
		if (n != (long)v.mv_size || one.n != 1 || one.e[0].node != d.node) {
			rc = -EIO;
			goto out;
		}
	} else if (rc != MDB_NOTFOUND) {
		rc = rumord_mdb_err(rc);
		goto out;
	}
	rc = rumord_bvv_add(&one, d);
	/* Too far above the base to note: the vector claims less, safely. */
	if (rc == -E2BIG || rc == 0) {
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	size = rumord_bvv_encode(&one, NULL, 0);
	v.mv_size = size;
	rc = rumord_mdb_err(mdb_put(txn, s->bvvdb, &k, &v, MDB_RESERVE));
	if (rc)
		goto out;
	if (rumord_bvv_encode(&one, v.mv_data, size) != size)
		rc = -EIO;
out:
	rumord_bvv_free(&one);
	return rc;
}

/* In @txn, write @e as its origin's persisted entry. */
static int bvv_put_entry(struct rumord_store *s, MDB_txn *txn,
			 const struct rumord_bvv_entry *e)
{
	/* A vector of that one entry, borrowed: only encoded, never freed. */
	const struct rumord_bvv one = {
		.e = (struct rumord_bvv_entry *)e, .n = 1, .cap = 1,
	};
	uint8_t kb[8];
	MDB_val k = { sizeof(kb), kb }, v;
	size_t size = rumord_bvv_encode(&one, NULL, 0);
	int rc;

	rumord_put_be64(kb, e->node);
	v.mv_size = size;
	rc = rumord_mdb_err(mdb_put(txn, s->bvvdb, &k, &v, MDB_RESERVE));
	if (rc)
		return rc;
	return rumord_bvv_encode(&one, v.mv_data, size) == size ? 0 : -EIO;
}

static bool entry_same(const struct rumord_bvv *v,
		       const struct rumord_bvv_entry *e)
{
	size_t lo = 0, hi = v->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v->e[mid].node < e->node)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == v->n || v->e[lo].node != e->node)
		return false;
	return v->e[lo].base == e->base && v->e[lo].nwords == e->nwords &&
	       (!e->nwords || !memcmp(v->e[lo].bits, e->bits,
				      e->nwords * sizeof(e->bits[0])));
}

static int bvv_load(struct rumord_store *s, MDB_txn *txn)
{
	struct rumord_bvv one;
	MDB_cursor *c;
	MDB_val k, v;
	long n;
	int rc;

	rc = mdb_cursor_open(txn, s->bvvdb, &c);
	if (rc)
		return rumord_mdb_err(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		rumord_bvv_init(&one);
		n = rumord_bvv_decode(&one, v.mv_data, v.mv_size);
		if (k.mv_size != 8 || n != (long)v.mv_size || one.n != 1 ||
		    one.e[0].node != rumord_get_be64(k.mv_data)) {
			rumord_bvv_free(&one);
			rc = -EIO;
			goto out;
		}
		rc = rumord_bvv_merge(&s->bvv, &one);
		rumord_bvv_free(&one);
		if (rc)
			goto out;
	}
	rc = rc == MDB_NOTFOUND ? 0 : rumord_mdb_err(rc);
out:
	mdb_cursor_close(c);
	return rc;
}

/* ---- the dot log ---- */

/* The highest counter logged for @node, 0 if none. */
static int dot_log_top(MDB_cursor *c, uint64_t node, uint64_t *top)
{
	uint8_t kb[16];
	MDB_val k = { sizeof(kb), kb }, v;
	int rc;

	*top = 0;
	if (node == UINT64_MAX) {
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	} else {
		dot_key(kb, (struct rumord_dot){ node + 1, 0 });
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc == MDB_NOTFOUND)
			rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
		else if (!rc)
			rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	}
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rumord_mdb_err(rc);
	if (k.mv_size != 16)
		return -EIO;
	if (rumord_get_be64(k.mv_data) == node)
		*top = rumord_get_be64((uint8_t *)k.mv_data + 8);
	return 0;
}

/* Delete @node's dots at or below @floor. */
static int dot_log_trim(MDB_cursor *c, uint64_t node, uint64_t floor)
{
	uint8_t kb[16];
	MDB_val k, v;
	int rc;

	for (;;) {
		dot_key(kb, (struct rumord_dot){ node, 0 });
		k = (MDB_val){ sizeof(kb), kb };
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc == MDB_NOTFOUND)
			return 0;
		if (rc)
			return rumord_mdb_err(rc);
		if (k.mv_size != 16)
			return -EIO;
		if (rumord_get_be64(k.mv_data) != node ||
		    rumord_get_be64((uint8_t *)k.mv_data + 8) > floor)
			return 0;
		rc = mdb_cursor_del(c, 0);
		if (rc)
			return rumord_mdb_err(rc);
	}
}

/*
 * Log @d -> @lk, keeping each origin's counters within the newest
 * dot_log_max: a dot older than that is not logged (a late arrival), and
 * logging a newer one trims the oldest.
 */
static int dot_log_add(struct rumord_store *s, MDB_txn *txn,
		       struct rumord_dot d, const struct lkey *lk)
{
	uint8_t kb[16];
	MDB_val k = { sizeof(kb), kb };
	MDB_cursor *c;
	uint64_t top;
	int rc;

	rc = mdb_cursor_open(txn, s->dots, &c);
	if (rc)
		return rumord_mdb_err(rc);
	rc = dot_log_top(c, d.node, &top);
	if (rc)
		goto out;
	if (d.counter < top && top - d.counter >= s->dot_log_max)
		goto out;
	dot_key(kb, d);
	rc = rumord_mdb_err(mdb_cursor_put(c, &k, (MDB_val *)&lk->v, 0));
	if (rc)
		goto out;
	if (d.counter > top)
		top = d.counter;
	if (top > s->dot_log_max)
		rc = dot_log_trim(c, d.node, top - s->dot_log_max);
out:
	mdb_cursor_close(c);
	return rc;
}

static int dot_log_del(struct rumord_store *s, MDB_txn *txn,
		       struct rumord_dot d)
{
	uint8_t kb[16];
	MDB_val k = { sizeof(kb), kb };
	int rc;

	dot_key(kb, d);
	rc = mdb_del(txn, s->dots, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : rumord_mdb_err(rc);
}

/* ---- writing a record ---- */

struct write {
	struct lkey lk;
	uint64_t khash;
	bool had;			/* the key had a record */
	struct rumord_version old;	/* ... at this version */
	struct rumord_hash old_hash, new_hash;
};

/*
 * In @txn, make @rec the key's record: the record itself, the key-hash
 * index for a new key, the dot log (the replaced write's dot leaves it) and
 * the version vector.
 */
static int write_record(struct rumord_store *s, MDB_txn *txn,
			struct write *w, const struct rumord_record *rec)
{
	uint8_t hb[8];
	MDB_val hk = { sizeof(hb), hb }, v;
	int rc;

	v.mv_size = REC_HDR + rec->key_len + rec->value_len;
	rc = rumord_mdb_err(mdb_put(txn, s->records, &w->lk.v, &v,
				    MDB_RESERVE));
	if (rc)
		return rc;
	rec_encode(v.mv_data, rec);
	if (!w->had) {
		rumord_put_be64(hb, w->khash);
		rc = mdb_put(txn, s->khash, &hk, &w->lk.v, MDB_NODUPDATA);
		if (rc && rc != MDB_KEYEXIST)
			return rumord_mdb_err(rc);
	} else {
		rc = dot_log_del(s, txn, w->old.dot);
		if (rc)
			return rc;
	}
	rc = dot_log_add(s, txn, rec->version.dot, &w->lk);
	if (rc)
		return rc;
	w->old_hash = w->had ? rumord_entry_hash(rec->key, rec->key_len, &w->old)
			     : no_hash;
	w->new_hash = rumord_entry_hash(rec->key, rec->key_len, &rec->version);
	return bvv_persist(s, txn, rec->version.dot);
}

/* Start a write of @key: look up what it holds now. */
static int write_begin(struct rumord_store *s, MDB_txn **txn, struct write *w,
		       const void *key, size_t key_len)
{
	struct rumord_record cur;
	int rc;

	memset(w, 0, sizeof(*w));
	lkey_make(&w->lk, key, key_len);
	w->khash = rumord_key_hash(key, key_len);
	rc = rumord_mdb_writer(&s->mdb, txn);
	if (rc)
		return rc;
	rc = rec_lookup(s, *txn, &w->lk, key, key_len, &cur);
	if (rc < 0) {
		mdb_txn_abort(*txn);
		return rc;
	}
	/* cur points into pages the write may move: keep its version only. */
	w->had = rc;
	if (w->had)
		w->old = cur.version;
	return 0;
}

/* After the commit: what memory mirrors of the disk. */
static void write_done(struct rumord_store *s, const struct write *w,
		       bool replaced, struct rumord_dot d)
{
	if (replaced)
		rumord_merkle_update(s->merkle, w->khash, w->old_hash,
				     w->new_hash);
	/*
	 * The dot is on disk; failing to note it in memory only means a peer
	 * may send this write again, which then loses as already here. The
	 * next open reads the vector back from disk.
	 */
	if (rumord_bvv_add(&s->bvv, d) == -ENOMEM)
		s->stats.nomem++;
}

static int local_write(struct rumord_store *s, const void *key,
		       size_t key_len, const void *value, size_t value_len,
		       bool tombstone, struct rumord_version *out)
{
	struct rumord_record rec;
	struct rumord_hlc clock;
	struct write w;
	MDB_txn *txn;
	uint64_t wall;
	int rc;

	if (check_key(key, key_len) || value_len > RUMORD_MAX_VALUE ||
	    (value_len && !value))
		return -EINVAL;
	if (s->counter >= RUMORD_MAX_COUNTER)
		return -EOVERFLOW;
	rc = write_begin(s, &txn, &w, key, key_len);
	if (rc)
		return rc;
	if (tombstone && w.had && w.old.tombstone) {
		mdb_txn_abort(txn);
		if (out)
			*out = w.old;
		return 0;
	}

	clock = s->hlc;
	wall = s->wall_ms();
	if (w.had)
		rumord_hlc_observe(&clock, w.old.hlc, wall);
	rec = (struct rumord_record){
		.key = key, .key_len = key_len,
		.value = value, .value_len = value_len,
		.version = {
			.hlc = rumord_hlc_now(&clock, wall),
			.dot = { s->node_id, s->counter + 1 },
			.tombstone = tombstone,
		},
	};
	/*
	 * The clock does not follow a timestamp far ahead of the wall clock
	 * (hlc.h), so a write stamped that far ahead keeps the key until its
	 * time comes: ours would lose everywhere, so it is not made at all.
	 */
	if (w.had && rumord_version_cmp(&rec.version, &w.old) <= 0) {
		mdb_txn_abort(txn);
		if (out)
			*out = w.old;
		return 0;
	}
	rc = write_record(s, txn, &w, &rec);
	if (!rc)
		rc = meta_put_u64(s, txn, "counter", rec.version.dot.counter);
	if (!rc)
		rc = meta_put_u64(s, txn, "hlc", clock.last);
	rc = rumord_mdb_finish(txn, rc);
	if (rc)
		return rc;
	s->hlc = clock;
	s->counter = rec.version.dot.counter;
	s->stats.local_writes++;
	write_done(s, &w, true, rec.version.dot);
	if (out)
		*out = rec.version;
	return 1;
}

int rumord_store_put(struct rumord_store *s, const void *key, size_t key_len,
		     const void *value, size_t value_len,
		     struct rumord_version *out)
{
	return local_write(s, key, key_len, value, value_len, false, out);
}

int rumord_store_del(struct rumord_store *s, const void *key, size_t key_len,
		     struct rumord_version *out)
{
	return local_write(s, key, key_len, NULL, 0, true, out);
}

int rumord_store_apply(struct rumord_store *s, const struct rumord_record *rec)
{
	struct rumord_dot d = rec->version.dot;
	struct rumord_hlc clock;
	struct write w;
	uint64_t counter;
	MDB_txn *txn;
	bool wins;
	int rc;

	if (!rumord_record_valid(rec))
		return -EINVAL;
	/*
	 * A dot we have is a write we have seen: it is here, or something
	 * newer replaced it, or it was a tombstone since collected. Applying
	 * it again could only bring a collected tombstone back.
	 */
	if (rumord_bvv_contains(&s->bvv, d)) {
		s->stats.apply_seen++;
		return 0;
	}
	rc = write_begin(s, &txn, &w, rec->key, rec->key_len);
	if (rc)
		return rc;
	clock = s->hlc;
	rumord_hlc_observe(&clock, rec->version.hlc, s->wall_ms());
	wins = !w.had || rumord_version_cmp(&rec->version, &w.old) > 0;
	if (wins)
		rc = write_record(s, txn, &w, rec);
	else
		rc = bvv_persist(s, txn, d);
	/*
	 * Our own dot from beyond our counter: this state directory is older
	 * than writes we made (restored from a backup). Never reuse a dot.
	 */
	counter = s->counter;
	if (!rc && d.node == s->node_id && d.counter > counter) {
		counter = d.counter;
		rc = meta_put_u64(s, txn, "counter", counter);
	}
	if (!rc)
		rc = meta_put_u64(s, txn, "hlc", clock.last);
	rc = rumord_mdb_finish(txn, rc);
	if (rc)
		return rc;
	s->hlc = clock;
	s->counter = counter;
	if (wins)
		s->stats.applied++;
	else
		s->stats.apply_lost++;
	write_done(s, &w, wins, d);
	return wins;
}

int rumord_store_cover(struct rumord_store *s, const struct rumord_bvv *seen)
{
	struct rumord_bvv merged;
	MDB_txn *txn;
	size_t i;
	int rc;

	rumord_bvv_init(&merged);
	rc = rumord_bvv_merge(&merged, &s->bvv);
	if (!rc)
		rc = rumord_bvv_merge(&merged, seen);
	if (!rc)
		rc = rumord_mdb_writer(&s->mdb, &txn);
	if (rc)
		goto out;
	/* Only the origins whose entry grew are written. */
	for (i = 0; !rc && i < merged.n; i++)
		if (!entry_same(&s->bvv, &merged.e[i]))
			rc = bvv_put_entry(s, txn, &merged.e[i]);
	rc = rumord_mdb_finish(txn, rc);
	if (rc)
		goto out;
	rumord_bvv_free(&s->bvv);
	s->bvv = merged;
	return 0;
out:
	rumord_bvv_free(&merged);
	return rc;
}

/* ---- reading ---- */

int rumord_store_get(struct rumord_store *s, const void *key, size_t key_len,
		     struct rumord_record *out)
{
	struct lkey lk;
	MDB_txn *txn;
	int rc;

	if (check_key(key, key_len))
		return -EINVAL;
	rc = rumord_mdb_reader(&s->mdb, &txn);
	if (rc)
		return rc;
	lkey_make(&lk, key, key_len);
	rc = rec_lookup(s, txn, &lk, key, key_len, out);
	/* Another long key under the same LMDB key: this one is not here. */
	return rc == -EEXIST ? 0 : rc;
}

int rumord_store_by_dot(struct rumord_store *s, struct rumord_dot d,
			struct rumord_record *out)
{
	uint8_t kb[16];
	MDB_val k = { sizeof(kb), kb }, lk, v;
	MDB_txn *txn;
	int rc;

	rc = rumord_mdb_reader(&s->mdb, &txn);
	if (rc)
		return rc;
	dot_key(kb, d);
	rc = mdb_get(txn, s->dots, &k, &lk);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rumord_mdb_err(rc);
	rc = mdb_get(txn, s->records, &lk, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rumord_mdb_err(rc);
	rc = rec_decode(&lk, &v, out);
	if (rc)
		return rc;
	return out->version.dot.node == d.node &&
	       out->version.dot.counter == d.counter;
}

int rumord_store_range(struct rumord_store *s, uint64_t lo, uint64_t hi,
		       rumord_record_fn fn, void *arg)
{
	struct rumord_record rec;
	uint8_t hb[8];
	MDB_val k = { sizeof(hb), hb }, lk, v;
	MDB_cursor *c;
	MDB_txn *txn;
	int rc;

	if (lo > hi)
		return 0;
	rc = rumord_mdb_reader(&s->mdb, &txn);
	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, s->khash, &c);
	if (rc)
		return rumord_mdb_err(rc);
	rumord_put_be64(hb, lo);
	for (rc = mdb_cursor_get(c, &k, &lk, MDB_SET_RANGE); !rc;
	     rc = mdb_cursor_get(c, &k, &lk, MDB_NEXT)) {
		if (k.mv_size != 8) {
			rc = -EIO;
			goto out;
		}
		if (rumord_get_be64(k.mv_data) > hi)
			break;
		rc = mdb_get(txn, s->records, &lk, &v);
		if (!rc)
			rc = rec_decode(&lk, &v, &rec);
		else
			rc = rumord_mdb_err(rc); /* an index entry without its record */
		if (!rc)
			rc = fn(&rec, arg);
		if (rc)
			goto out;
	}
	rc = rc == MDB_NOTFOUND || !rc ? 0 : rumord_mdb_err(rc);
out:
	mdb_cursor_close(c);
	return rc;
}

int rumord_store_list(struct rumord_store *s, const void *prefix,
		      size_t prefix_len, const void *after, size_t after_len,
		      bool tombstones, rumord_record_fn fn, void *arg)
{
	size_t plen = prefix_len < LKEY_PREFIX ? prefix_len : LKEY_PREFIX;
	struct rumord_record rec;
	struct lkey start;
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	bool skip_start = false;
	int rc;

	if (prefix_len > RUMORD_MAX_KEY || (prefix_len && !prefix) ||
	    (after && check_key(after, after_len)))
		return -EINVAL;
	/* Start at the prefix, or after @after if that is further on. */
	if (plen)
		memcpy(start.b, prefix, plen);
	start.v = (MDB_val){ plen, start.b };
	if (after) {
		struct lkey a;

		lkey_make(&a, after, after_len);
		if (lkey_cmp(a.v.mv_data, a.v.mv_size, start.b, plen) >= 0) {
			start = a;
			start.v.mv_data = start.b;
			skip_start = true;
		}
	}
	rc = rumord_mdb_reader(&s->mdb, &txn);
	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, s->records, &c);
	if (rc)
		return rumord_mdb_err(rc);
	k = start.v;
	if (k.mv_size)
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	else
		rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	for (; !rc; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (skip_start && lkey_equal(&k, &start.v))
			continue;
		/* Past every LMDB key that can start with the prefix. */
		if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen)))
			break;
		rc = rec_decode(&k, &v, &rec);
		if (rc)
			goto out;
		if (rec.key_len < prefix_len ||
		    (prefix_len && memcmp(rec.key, prefix, prefix_len)))
			continue;
		if (rec.version.tombstone && !tombstones)
			continue;
		rc = fn(&rec, arg);
		if (rc)
			goto out;
	}
	rc = rc == MDB_NOTFOUND || !rc ? 0 : rumord_mdb_err(rc);
out:
	mdb_cursor_close(c);
	return rc;
}

int rumord_store_count(struct rumord_store *s, uint64_t *records)
{
	MDB_stat st;
	MDB_txn *txn;
	int rc;

	rc = rumord_mdb_reader(&s->mdb, &txn);
	if (rc)
		return rc;
	rc = mdb_stat(txn, s->records, &st);
	if (rc)
		return rumord_mdb_err(rc);
	*records = st.ms_entries;
	return 0;
}

/* ---- tombstone collection ---- */

struct gc_item {
	struct lkey lk;
	uint64_t khash;
	struct rumord_dot dot;
	struct rumord_hash hash;
};

static bool covered(const struct rumord_bvv *const *peers, size_t npeers,
		    struct rumord_dot d)
{
	size_t i;

	for (i = 0; i < npeers; i++)
		if (!rumord_bvv_contains(peers[i], d))
			return false;
	return true;
}

static int gc_delete(struct rumord_store *s, MDB_txn *txn,
		     const struct gc_item *it)
{
	uint8_t hb[8];
	MDB_val hk = { sizeof(hb), hb };
	int rc;

	rc = mdb_del(txn, s->records, (MDB_val *)&it->lk.v, NULL);
	if (rc)
		return rumord_mdb_err(rc);
	rumord_put_be64(hb, it->khash);
	rc = mdb_del(txn, s->khash, &hk, (MDB_val *)&it->lk.v);
	if (rc && rc != MDB_NOTFOUND)
		return rumord_mdb_err(rc);
	return dot_log_del(s, txn, it->dot);
}

/*
 * One transaction: scan from @resume (NULL: the start) for up to GC_BATCH
 * collectable tombstones and delete them. *resume is where to go on; *done
 * when the scan reached the end.
 */
static long gc_batch(struct rumord_store *s, struct gc_item *items,
		     const struct rumord_bvv *const *peers, size_t npeers,
		     struct lkey *resume, bool *started, bool *done)
{
	struct rumord_record rec;
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	size_t n = 0, i;
	int rc;

	rc = rumord_mdb_writer(&s->mdb, &txn);
	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, s->records, &c);
	if (rc) {
		mdb_txn_abort(txn);
		return rumord_mdb_err(rc);
	}
	k = resume->v;
	rc = mdb_cursor_get(c, &k, &v, *started ? MDB_SET_RANGE : MDB_FIRST);
	if (!rc && *started && lkey_equal(&k, &resume->v))
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	for (; !rc && n < GC_BATCH; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		rc = rec_decode(&k, &v, &rec);
		if (rc)
			break;
		memcpy(resume->b, k.mv_data, k.mv_size);
		resume->v = (MDB_val){ k.mv_size, resume->b };
		*started = true;
		if (!rec.version.tombstone || !covered(peers, npeers, rec.version.dot))
			continue;
		items[n].lk = *resume;
		items[n].lk.v.mv_data = items[n].lk.b;
		items[n].khash = rumord_key_hash(rec.key, rec.key_len);
		items[n].dot = rec.version.dot;
		items[n].hash = rumord_entry_hash(rec.key, rec.key_len,
						  &rec.version);
		n++;
	}
	mdb_cursor_close(c);
	*done = rc == MDB_NOTFOUND;
	rc = rc == MDB_NOTFOUND ? 0 : rc > 0 ? rumord_mdb_err(rc) : rc;
	for (i = 0; !rc && i < n; i++)
		rc = gc_delete(s, txn, &items[i]);
	rc = rumord_mdb_finish(txn, rc);
	if (rc)
		return rc;
	for (i = 0; i < n; i++)
		rumord_merkle_update(s->merkle, items[i].khash, items[i].hash,
				     no_hash);
	s->stats.gc_collected += n;
	return (long)n;
}

long rumord_store_gc(struct rumord_store *s,
		     const struct rumord_bvv *const *peers, size_t npeers)
{
	struct gc_item *items;
	struct lkey resume = { .v = { 0, NULL } };
	bool started = false, done = false;
	long n, total = 0;

	if (!npeers)
		return 0;
	items = calloc(GC_BATCH, sizeof(*items));
	if (!items)
		return -ENOMEM;
	resume.v.mv_data = resume.b;
	while (!done) {
		n = gc_batch(s, items, peers, npeers, &resume, &started, &done);
		if (n < 0) {
			total = n;
			break;
		}
		total += n;
	}
	free(items);
	return total;
}

/* ---- open and close ---- */

/* The environment and its databases, opened in the write transaction *txn. */
static int open_env(struct rumord_store *s, const char *dir, size_t map_size,
		    MDB_txn **txn)
{
	const struct rumord_mdb_db dbs[] = {
		{ "records", 0, &s->records },
		{ "khash", MDB_DUPSORT, &s->khash },
		{ "dots", 0, &s->dots },
		{ "bvv", 0, &s->bvvdb },
		{ "meta", 0, &s->meta },
	};

	return rumord_mdb_open(&s->mdb, dir, map_size, dbs,
			       sizeof(dbs) / sizeof(dbs[0]), txn);
}

static int new_node_id(uint64_t *id)
{
	do {
		if (getrandom(id, sizeof(*id), 0) != sizeof(*id))
			return -errno ? -errno : -EIO;
	} while (!*id);
	return 0;
}

/* The layout, the node id (drawn on first open), the counter, the clock. */
static int open_meta(struct rumord_store *s, MDB_txn *txn)
{
	uint64_t layout = STORE_LAYOUT;
	bool found;
	int rc;

	rc = rumord_mdb_layout(txn, s->meta, &layout, sizeof(layout));
	if (rc)
		return rc;
	rc = meta_get_u64(s, txn, "node_id", &s->node_id, &found);
	if (rc)
		return rc;
	if (!found || !s->node_id) {
		rc = new_node_id(&s->node_id);
		if (!rc)
			rc = meta_put_u64(s, txn, "node_id", s->node_id);
		if (rc)
			return rc;
	}
	rc = meta_get_u64(s, txn, "counter", &s->counter, &found);
	if (!rc)
		rc = meta_get_u64(s, txn, "hlc", &s->hlc.last, &found);
	return rc;
}

/*
 * The Merkle tree from every record. The clock also takes in every
 * record's timestamp, so that it never issues one below a write it holds.
 */
static int rebuild(struct rumord_store *s, MDB_txn *txn)
{
	struct rumord_record rec;
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t wall = s->wall_ms();
	int rc;

	rc = mdb_cursor_open(txn, s->records, &c);
	if (rc)
		return rumord_mdb_err(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		rc = rec_decode(&k, &v, &rec);
		if (rc)
			break;
		rumord_merkle_update(s->merkle,
				     rumord_key_hash(rec.key, rec.key_len),
				     no_hash,
				     rumord_entry_hash(rec.key, rec.key_len,
						       &rec.version));
		if (rec.version.hlc > s->hlc.last)
			rumord_hlc_observe(&s->hlc, rec.version.hlc, wall);
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc > 0 ? rumord_mdb_err(rc) : rc;
}

int rumord_store_open(struct rumord_store **out, const char *dir,
		      const struct rumord_store_opts *opts)
{
	struct rumord_store *s;
	MDB_txn *txn;
	int rc;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	rumord_bvv_init(&s->bvv);
	s->dot_log_max = opts && opts->dot_log_max ? opts->dot_log_max
						   : RUMORD_STORE_DOT_LOG;
	s->wall_ms = opts && opts->wall_ms ? opts->wall_ms : rumord_realtime_ms;
	s->merkle = rumord_merkle_new();
	if (!s->merkle) {
		rc = -ENOMEM;
		goto err;
	}
	rc = open_env(s, dir, opts && opts->map_size ? opts->map_size
						     : RUMORD_STORE_MAP_SIZE,
		      &txn);
	if (rc)
		goto err;
	rc = rumord_mdb_finish(txn, open_meta(s, txn));
	if (rc)
		goto err;

	rc = rumord_mdb_err(mdb_txn_begin(s->mdb.env, NULL, MDB_RDONLY,
					  &txn));
	if (rc)
		goto err;
	rc = bvv_load(s, txn);
	if (!rc)
		rc = rebuild(s, txn);
	mdb_txn_abort(txn);
	if (rc)
		goto err;
	*out = s;
	return 0;

err:
	rumord_store_close(s);
	return rc;
}

void rumord_store_close(struct rumord_store *s)
{
	if (!s)
		return;
	rumord_mdb_close(&s->mdb);
	rumord_merkle_free(s->merkle);
	rumord_bvv_free(&s->bvv);
	free(s);
}

/* ---- accessors and the replica interface ---- */

uint64_t rumord_store_node_id(const struct rumord_store *s)
{
	return s->node_id;
}

const struct rumord_store_stats *rumord_store_stats(const struct rumord_store *s)
{
	return &s->stats;
}

const struct rumord_bvv *rumord_store_bvv(const struct rumord_store *s)
{
	return &s->bvv;
}

const struct rumord_merkle *rumord_store_merkle(const struct rumord_store *s)
{
	return s->merkle;
}

void rumord_store_observe(struct rumord_store *s, uint64_t hlc)
{
	rumord_hlc_observe(&s->hlc, hlc, s->wall_ms());
}

static const struct rumord_bvv *op_bvv(void *r)
{
	return rumord_store_bvv(r);
}

static const struct rumord_merkle *op_merkle(void *r)
{
	return rumord_store_merkle(r);
}

static int op_by_dot(void *r, struct rumord_dot d, struct rumord_record *out)
{
	return rumord_store_by_dot(r, d, out);
}

static int op_range(void *r, uint64_t lo, uint64_t hi, rumord_record_fn fn,
		    void *arg)
{
	return rumord_store_range(r, lo, hi, fn, arg);
}

static int op_get(void *r, const void *key, size_t key_len,
		  struct rumord_record *out)
{
	return rumord_store_get(r, key, key_len, out);
}

static int op_apply(void *r, const struct rumord_record *rec)
{
	return rumord_store_apply(r, rec);
}

static int op_cover(void *r, const struct rumord_bvv *seen)
{
	return rumord_store_cover(r, seen);
}

const struct rumord_replica_ops rumord_store_replica_ops = {
	.bvv = op_bvv,
	.merkle = op_merkle,
	.by_dot = op_by_dot,
	.range = op_range,
	.get = op_get,
	.apply = op_apply,
	.cover = op_cover,
};

void rumord_store_replica(struct rumord_store *s, struct rumord_replica *out)
{
	out->ops = &rumord_store_replica_ops;
	out->r = s;
}
