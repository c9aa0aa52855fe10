// SPDX-License-Identifier: GPL-2.0
/*
 * Hints on LMDB. Four databases in one environment of their own:
 *
 *   hints    be64 target, be64 id -> header, key, value: a target's hints
 *            in id order, which is stored-time order (see add)
 *   index    be64 target, be64 XXH3-64 of the key (dupsort) -> be64 id:
 *            a (target, key)'s hint, to replace it; keys whose hashes
 *            collide are told apart by the key in the hint
 *   targets  be64 target -> count, bytes, latest address: the totals the
 *            quota is checked against, kept in the same transactions
 *   meta     "layout", "last_id", "last_ms"
 *
 * Numbers inside values are little endian (le.h); keys that must sort
 * numerically are big endian.
 */
#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "hints.h"
#include "le.h"
#include "mdb.h"

#define HINTS_LAYOUT	1

/* A hint's value: header, then the key, then the value. */
#define H_STORED_MS	0	/* u64 */
#define H_HLC		8	/* u64 */
#define H_NODE		16	/* u64 */
#define H_COUNTER	24	/* u64 */
#define H_FLAGS		32	/* u32 */
#define H_VALUE_LEN	36	/* u32 */
#define H_KEY_LEN	40	/* u16 */
#define H_PORT		42	/* u16 */
#define H_RESERVED	44	/* u32, 0 */
#define H_ADDR		48	/* 16 bytes */
#define H_HDR		64
#define H_F_TOMBSTONE	1u

/* A target's totals. */
#define T_COUNT		0	/* u64 */
#define T_BYTES		8	/* u64 */
#define T_ADDR		16	/* 16 bytes */
#define T_PORT		32	/* u16 */
#define T_RESERVED	34	/* u16 and u32, 0 */
#define T_SIZE		40

#define HKEY_SIZE	16	/* hints: target, id */
#define IKEY_SIZE	16	/* index: target, key hash */
#define IDATA_SIZE	8	/* index: id */

_Static_assert(RUMORD_HINT_OVERHEAD == HKEY_SIZE + H_HDR + IKEY_SIZE + IDATA_SIZE,
	       "the quota counts what LMDB holds for a hint besides key and value");

/* Hints deleted per transaction by expire and forget. */
#define DELETE_BATCH	1024

struct rumord_hints {
	/* Its read snapshot is the one replayed records point into. */
	struct rumord_mdb mdb;
	MDB_dbi hints, index, targets, meta;

	uint64_t last_id;	/* ids are never reused */
	uint64_t last_ms;	/* the latest stored time */
	uint64_t quota;
	uint64_t window_ms;
	uint64_t (*wall_ms)(void);
	struct rumord_hints_stats stats;
};

struct totals {
	uint64_t count;
	uint64_t bytes;
	struct rumord_node_addr addr;
};

/* ---- hints ---- */

static int hint_decode(const MDB_val *k, const MDB_val *v,
		       struct rumord_hint *out)
{
	const uint8_t *p = v->mv_data;
	uint32_t flags, value_len;
	uint16_t key_len;

	if (k->mv_size != HKEY_SIZE || v->mv_size < H_HDR)
		return -EIO;
	flags = rumord_get_le32(p + H_FLAGS);
	value_len = rumord_get_le32(p + H_VALUE_LEN);
	key_len = rumord_get_le16(p + H_KEY_LEN);
	if ((flags & ~H_F_TOMBSTONE) || rumord_get_le32(p + H_RESERVED) ||
	    v->mv_size != H_HDR + (size_t)key_len + value_len)
		return -EIO;
	out->target = rumord_get_be64(k->mv_data);
	out->id = rumord_get_be64((const uint8_t *)k->mv_data + 8);
	out->stored_ms = rumord_get_le64(p + H_STORED_MS);
	memcpy(out->addr.addr, p + H_ADDR, sizeof(out->addr.addr));
	out->addr.port = rumord_get_le16(p + H_PORT);
	out->rec.key = p + H_HDR;
	out->rec.key_len = key_len;
	out->rec.value = p + H_HDR + key_len;
	out->rec.value_len = value_len;
	out->rec.version.hlc = rumord_get_le64(p + H_HLC);
	out->rec.version.dot.node = rumord_get_le64(p + H_NODE);
	out->rec.version.dot.counter = rumord_get_le64(p + H_COUNTER);
	out->rec.version.tombstone = flags & H_F_TOMBSTONE;
	return rumord_record_valid(&out->rec) ? 0 : -EIO;
}

static void hint_encode(void *buf, uint64_t stored_ms,
			const struct rumord_node_addr *addr,
			const struct rumord_record *rec)
{
	uint8_t *p = buf;

	rumord_put_le64(p + H_STORED_MS, stored_ms);
	rumord_put_le64(p + H_HLC, rec->version.hlc);
	rumord_put_le64(p + H_NODE, rec->version.dot.node);
	rumord_put_le64(p + H_COUNTER, rec->version.dot.counter);
	rumord_put_le32(p + H_FLAGS, rec->version.tombstone ? H_F_TOMBSTONE : 0);
	rumord_put_le32(p + H_VALUE_LEN, (uint32_t)rec->value_len);
	rumord_put_le16(p + H_KEY_LEN, (uint16_t)rec->key_len);
	rumord_put_le16(p + H_PORT, addr->port);
	rumord_put_le32(p + H_RESERVED, 0);
	memcpy(p + H_ADDR, addr->addr, sizeof(addr->addr));
	memcpy(p + H_HDR, rec->key, rec->key_len);
	if (rec->value_len)
		memcpy(p + H_HDR + rec->key_len, rec->value, rec->value_len);
}

static uint64_t key_hash(const void *key, size_t len)
{
	return XXH3_64bits(key, len);
}

/*
 * In @txn, @target's hint for @key: 1, its id and its size; 0 if none.
 * The index may hold several ids under one key hash: the hint's own key
 * decides.
 */
static int hint_find(struct rumord_hints *h, MDB_txn *txn, uint64_t target,
		     const void *key, size_t key_len, uint64_t *id,
		     uint64_t *size, struct rumord_version *version)
{
	uint8_t ik[IKEY_SIZE], hk[HKEY_SIZE];
	MDB_val k = { sizeof(ik), ik }, d, hv, hkv = { sizeof(hk), hk };
	struct rumord_hint hint;
	MDB_cursor *c;
	int rc = 0, mrc;

	rumord_mdb_pair_key(ik, target, key_hash(key, key_len));
	mrc = mdb_cursor_open(txn, h->index, &c);
	if (mrc)
		return rumord_mdb_err(mrc);
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_SET_KEY); !mrc;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT_DUP)) {
		if (d.mv_size != IDATA_SIZE) {
			rc = -EIO;
			break;
		}
		rumord_mdb_pair_key(hk, target, rumord_get_be64(d.mv_data));
		rc = mdb_get(txn, h->hints, &hkv, &hv);
		if (!rc)
			rc = hint_decode(&hkv, &hv, &hint);
		else
			rc = rumord_mdb_err(rc); /* an index entry without its hint */
		if (rc)
			break;
		if (hint.rec.key_len == key_len &&
		    !memcmp(hint.rec.key, key, key_len)) {
			*id = hint.id;
			*size = rumord_hint_size(hint.rec.key_len,
						 hint.rec.value_len);
			*version = hint.rec.version;
			rc = 1;
			break;
		}
	}
	mdb_cursor_close(c);
	if (rc)
		return rc;
	return mrc == MDB_NOTFOUND ? 0 : rumord_mdb_err(mrc);
}

/* In @txn, delete @hint's index entry (the hint itself is the caller's). */
static int index_del(struct rumord_hints *h, MDB_txn *txn,
		     const struct rumord_hint *hint)
{
	uint8_t ik[IKEY_SIZE], id[IDATA_SIZE];
	MDB_val k = { sizeof(ik), ik }, d = { sizeof(id), id };

	rumord_mdb_pair_key(ik, hint->target,
			    key_hash(hint->rec.key, hint->rec.key_len));
	rumord_put_be64(id, hint->id);
	return rumord_mdb_err(mdb_del(txn, h->index, &k, &d));
}

/* ---- totals ---- */

/* @target's totals in @txn: 1, or 0 (and zeroes) if it has no hints. */
static int totals_get(struct rumord_hints *h, MDB_txn *txn, uint64_t target,
		      struct totals *t)
{
	uint8_t kb[8];
	MDB_val k = { sizeof(kb), kb }, v;
	const uint8_t *p;
	int rc;

	memset(t, 0, sizeof(*t));
	rumord_put_be64(kb, target);
	rc = mdb_get(txn, h->targets, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rumord_mdb_err(rc);
	p = v.mv_data;
	if (v.mv_size != T_SIZE || rumord_get_le16(p + T_RESERVED) ||
	    rumord_get_le32(p + T_RESERVED + 2))
		return -EIO;
	t->count = rumord_get_le64(p + T_COUNT);
	t->bytes = rumord_get_le64(p + T_BYTES);
	memcpy(t->addr.addr, p + T_ADDR, sizeof(t->addr.addr));
	t->addr.port = rumord_get_le16(p + T_PORT);
	/* An entry stays only while its target has hints. */
	return t->count ? 1 : -EIO;
}

/* Write @target's totals in @txn; a target left without hints goes. */
static int totals_put(struct rumord_hints *h, MDB_txn *txn, uint64_t target,
		      const struct totals *t)
{
	uint8_t kb[8], vb[T_SIZE] = { 0 };
	MDB_val k = { sizeof(kb), kb }, v = { sizeof(vb), vb };
	int rc;

	rumord_put_be64(kb, target);
	if (!t->count) {
		rc = mdb_del(txn, h->targets, &k, NULL);
		return rc == MDB_NOTFOUND ? 0 : rumord_mdb_err(rc);
	}
	rumord_put_le64(vb + T_COUNT, t->count);
	rumord_put_le64(vb + T_BYTES, t->bytes);
	memcpy(vb + T_ADDR, t->addr.addr, sizeof(t->addr.addr));
	rumord_put_le16(vb + T_PORT, t->addr.port);
	return rumord_mdb_err(mdb_put(txn, h->targets, &k, &v, 0));
}

/* Take a deleted hint of @size out of @t; totals that go negative lie. */
static int totals_sub(struct totals *t, uint64_t size)
{
	if (!t->count || t->bytes < size)
		return -EIO;
	t->count--;
	t->bytes -= size;
	return 0;
}

/* ---- meta ---- */

static int meta_get(struct rumord_hints *h, MDB_txn *txn, const char *name,
		    uint64_t *v, bool *found)
{
	uint8_t b[8];
	int rc;

	rc = rumord_mdb_get_named(txn, h->meta, name, b, sizeof(b), found);
	if (!rc && *found)
		*v = rumord_get_le64(b);
	return rc;
}

static int meta_put(struct rumord_hints *h, MDB_txn *txn, const char *name,
		    uint64_t v)
{
	uint8_t b[8];

	rumord_put_le64(b, v);
	return rumord_mdb_put_named(txn, h->meta, name, b, sizeof(b));
}

/* ---- adding ---- */

/* End a write that stored nothing, counting why. */
static int refuse(MDB_txn *txn, uint64_t *counter, int rc)
{
	mdb_txn_abort(txn);
	(*counter)++;
	return rc;
}

int rumord_hints_add(struct rumord_hints *h, uint64_t target,
		     const struct rumord_node_addr *addr,
		     const struct rumord_record *rec)
{
	uint8_t hk[HKEY_SIZE], ik[IKEY_SIZE], idb[IDATA_SIZE];
	MDB_val k = { sizeof(hk), hk }, v, ikv = { sizeof(ik), ik },
		idv = { sizeof(idb), idb };
	struct rumord_version old_version;
	struct rumord_hint old;
	struct totals t;
	uint64_t size, bytes, old_id = 0, old_size = 0, id, stored_ms;
	MDB_stat st;
	MDB_txn *txn;
	int rc, had, found;

	if (!target || !addr || !rec || !rumord_record_valid(rec))
		return -EINVAL;
	size = rumord_hint_size(rec->key_len, rec->value_len);
	rc = rumord_mdb_writer(&h->mdb, &txn);
	if (rc) {
		h->stats.failed++;
		return rc;
	}
	had = totals_get(h, txn, target, &t);
	if (had < 0)
		return refuse(txn, &h->stats.failed, had);
	found = hint_find(h, txn, target, rec->key, rec->key_len, &old_id,
			  &old_size, &old_version);
	if (found < 0)
		return refuse(txn, &h->stats.failed, found);
	/* Only the latest version matters: an older or equal one adds nothing. */
	if (found && rumord_version_cmp(&rec->version, &old_version) <= 0)
		return refuse(txn, &h->stats.superseded, 0);
	if (found && (t.bytes < old_size || !t.count))
		return refuse(txn, &h->stats.failed, -EIO);
	bytes = t.bytes - old_size + size;
	if (bytes > h->quota)
		return refuse(txn, &h->stats.dropped_quota, -EDQUOT);
	if (!had) {
		rc = rumord_mdb_err(mdb_stat(txn, h->targets, &st));
		if (rc)
			return refuse(txn, &h->stats.failed, rc);
		if (st.ms_entries >= RUMORD_HINTS_MAX_TARGETS)
			return refuse(txn, &h->stats.dropped_targets, -EDQUOT);
	}

	/* The replaced hint goes whole: its record and its index entry. */
	if (found) {
		rumord_mdb_pair_key(hk, target, old_id);
		rc = mdb_get(txn, h->hints, &k, &v);
		rc = rc ? rumord_mdb_err(rc) : hint_decode(&k, &v, &old);
		if (!rc)
			rc = index_del(h, txn, &old);
		if (!rc)
			rc = rumord_mdb_err(mdb_del(txn, h->hints, &k, NULL));
		if (rc)
			return refuse(txn, &h->stats.failed, rc);
	}

	/*
	 * Stored times never go back, so id order is stored-time order:
	 * replay by id is oldest first and expiry stops at the first hint
	 * young enough. A clock that steps back holds hints a little longer.
	 */
	id = h->last_id + 1;
	stored_ms = h->wall_ms();
	if (stored_ms < h->last_ms)
		stored_ms = h->last_ms;
	rumord_mdb_pair_key(hk, target, id);
	k = (MDB_val){ sizeof(hk), hk };
	v.mv_size = H_HDR + rec->key_len + rec->value_len;
	rc = rumord_mdb_err(mdb_put(txn, h->hints, &k, &v,
				    MDB_NOOVERWRITE | MDB_RESERVE));
	if (rc)
		return refuse(txn, &h->stats.failed, rc);
	hint_encode(v.mv_data, stored_ms, addr, rec);
	rumord_mdb_pair_key(ik, target, key_hash(rec->key, rec->key_len));
	rumord_put_be64(idb, id);
	rc = rumord_mdb_err(mdb_put(txn, h->index, &ikv, &idv, MDB_NODUPDATA));
	t.count += !found;
	t.bytes = bytes;
	t.addr = *addr;
	if (!rc)
		rc = totals_put(h, txn, target, &t);
	if (!rc)
		rc = meta_put(h, txn, "last_id", id);
	if (!rc)
		rc = meta_put(h, txn, "last_ms", stored_ms);
	if (rc)
		return refuse(txn, &h->stats.failed, rc);
	rc = rumord_mdb_err(mdb_txn_commit(txn));
	if (rc) {
		h->stats.failed++;
		return rc;
	}
	h->last_id = id;
	h->last_ms = stored_ms;
	h->stats.added++;
	if (found)
		h->stats.replaced++;
	return 1;
}

/* ---- replay and acknowledgement ---- */

long rumord_hints_replay(struct rumord_hints *h, uint64_t target,
			 uint64_t after, size_t max, rumord_hint_fn fn,
			 void *arg)
{
	uint8_t kb[HKEY_SIZE];
	MDB_val k = { sizeof(kb), kb }, v;
	struct rumord_hint hint;
	MDB_cursor *c;
	MDB_txn *txn;
	long n = 0;
	int rc, mrc, stop = 0;

	if (!target || !fn)
		return -EINVAL;
	if (after == UINT64_MAX || !max)
		return 0;
	rc = rumord_mdb_reader(&h->mdb, &txn);
	if (rc)
		return rc;
	mrc = mdb_cursor_open(txn, h->hints, &c);
	if (mrc)
		return rumord_mdb_err(mrc);
	rumord_mdb_pair_key(kb, target, after + 1);
	for (mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	     !mrc && (size_t)n < max;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != HKEY_SIZE) {
			rc = -EIO;
			break;
		}
		if (rumord_get_be64(k.mv_data) != target)
			break;
		rc = hint_decode(&k, &v, &hint);
		if (rc)
			break;
		n++;
		stop = fn(&hint, arg);
		if (stop)
			break;
	}
	mdb_cursor_close(c);
	if (stop < 0)
		return stop;
	if (rc)
		return rc;
	if (mrc && mrc != MDB_NOTFOUND)
		return rumord_mdb_err(mrc);
	return n;
}

int rumord_hints_ack(struct rumord_hints *h, uint64_t target, uint64_t id)
{
	uint8_t kb[HKEY_SIZE];
	MDB_val k = { sizeof(kb), kb }, v;
	struct rumord_hint hint;
	struct totals t;
	MDB_txn *txn;
	int rc;

	if (!target)
		return -EINVAL;
	rc = rumord_mdb_writer(&h->mdb, &txn);
	if (rc)
		return rc;
	rumord_mdb_pair_key(kb, target, id);
	rc = mdb_get(txn, h->hints, &k, &v);
	if (rc == MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return 0;
	}
	rc = rc ? rumord_mdb_err(rc) : hint_decode(&k, &v, &hint);
	if (!rc)
		rc = totals_get(h, txn, target, &t) == 1 ? 0 : -EIO;
	if (!rc)
		rc = totals_sub(&t, rumord_hint_size(hint.rec.key_len,
						     hint.rec.value_len));
	if (!rc)
		rc = index_del(h, txn, &hint);
	if (!rc)
		rc = rumord_mdb_err(mdb_del(txn, h->hints, &k, NULL));
	if (!rc)
		rc = totals_put(h, txn, target, &t);
	rc = rumord_mdb_finish(txn, rc);
	if (rc)
		return rc;
	h->stats.replayed++;
	return 1;
}

/* ---- deleting in bulk ---- */

/*
 * One transaction: delete up to DELETE_BATCH of @target's oldest hints
 * stored at or before @cutoff_ms. *more when a full batch went (there may
 * be more). Returns how many, or -errno with nothing deleted.
 */
static long delete_batch(struct rumord_hints *h, uint64_t target,
			 uint64_t cutoff_ms, bool *more)
{
	uint8_t kb[HKEY_SIZE];
	MDB_val k, v;
	struct rumord_hint hint;
	struct totals t;
	MDB_cursor *c;
	MDB_txn *txn;
	long n = 0;
	int rc;

	*more = false;
	rc = rumord_mdb_writer(&h->mdb, &txn);
	if (rc)
		return rc;
	rc = totals_get(h, txn, target, &t);
	if (rc <= 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	rc = mdb_cursor_open(txn, h->hints, &c);
	if (rc) {
		mdb_txn_abort(txn);
		return rumord_mdb_err(rc);
	}
	/* Each round the target's first hint is the oldest one left. */
	while (n < DELETE_BATCH) {
		rumord_mdb_pair_key(kb, target, 0);
		k = (MDB_val){ sizeof(kb), kb };
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc == MDB_NOTFOUND) {
			rc = 0;
			break;
		}
		rc = rc ? rumord_mdb_err(rc) :
		     k.mv_size == HKEY_SIZE ? 0 : -EIO;
		if (rc || rumord_get_be64(k.mv_data) != target)
			break;
		rc = hint_decode(&k, &v, &hint);
		if (rc || hint.stored_ms > cutoff_ms)
			break;
		rc = totals_sub(&t, rumord_hint_size(hint.rec.key_len,
						     hint.rec.value_len));
		if (!rc)
			rc = index_del(h, txn, &hint);
		if (!rc)
			rc = rumord_mdb_err(mdb_cursor_del(c, 0));
		if (rc)
			break;
		n++;
	}
	mdb_cursor_close(c);
	if (!rc)
		rc = totals_put(h, txn, target, &t);
	rc = rumord_mdb_finish(txn, rc);
	if (rc)
		return rc;
	*more = n == DELETE_BATCH;
	return n;
}

static long delete_older(struct rumord_hints *h, uint64_t target,
			 uint64_t cutoff_ms)
{
	long n, total = 0;
	bool more = true;

	while (more) {
		n = delete_batch(h, target, cutoff_ms, &more);
		if (n < 0)
			return n;
		total += n;
	}
	return total;
}

/* The first target above @after: 1 and *node, 0 if none. */
static int next_target(struct rumord_hints *h, uint64_t after, uint64_t *node)
{
	uint8_t kb[8];
	MDB_val k = { sizeof(kb), kb }, v;
	MDB_cursor *c;
	MDB_txn *txn;
	int rc;

	if (after == UINT64_MAX)
		return 0;
	rc = rumord_mdb_reader(&h->mdb, &txn);
	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, h->targets, &c);
	if (rc)
		return rumord_mdb_err(rc);
	rumord_put_be64(kb, after + 1);
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rumord_mdb_err(rc);
	if (k.mv_size != 8)
		return -EIO;
	*node = rumord_get_be64(k.mv_data);
	return 1;
}

long rumord_hints_expire(struct rumord_hints *h, uint64_t now_ms)
{
	uint64_t node = 0;
	long n, total = 0;
	int rc;

	if (now_ms < h->window_ms)
		return 0;
	while ((rc = next_target(h, node, &node)) == 1) {
		n = delete_older(h, node, now_ms - h->window_ms);
		if (n < 0)
			return n;
		h->stats.expired += n;
		total += n;
	}
	return rc < 0 ? rc : total;
}

long rumord_hints_forget(struct rumord_hints *h, uint64_t target)
{
	long n;

	if (!target)
		return -EINVAL;
	n = delete_older(h, target, UINT64_MAX);
	if (n > 0)
		h->stats.forgotten += n;
	return n;
}

/* ---- figures ---- */

/* In @txn, the figures of @node whose totals are @t. */
static int target_fill(struct rumord_hints *h, MDB_txn *txn, uint64_t node,
		       const struct totals *t, struct rumord_hint_target *out)
{
	uint8_t kb[HKEY_SIZE];
	MDB_val k = { sizeof(kb), kb }, v;
	MDB_cursor *c;
	int rc;

	out->node = node;
	out->addr = t->addr;
	out->count = t->count;
	out->bytes = t->bytes;
	rc = mdb_cursor_open(txn, h->hints, &c);
	if (rc)
		return rumord_mdb_err(rc);
	rumord_mdb_pair_key(kb, node, 0);
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	mdb_cursor_close(c);
	if (rc)
		return rc == MDB_NOTFOUND ? -EIO : rumord_mdb_err(rc);
	if (k.mv_size != HKEY_SIZE || rumord_get_be64(k.mv_data) != node ||
	    v.mv_size < H_HDR)
		return -EIO;
	out->oldest_ms = rumord_get_le64((const uint8_t *)v.mv_data + H_STORED_MS);
	return 0;
}

int rumord_hints_target(struct rumord_hints *h, uint64_t node,
			struct rumord_hint_target *out)
{
	struct totals t;
	MDB_txn *txn;
	int rc;

	rc = rumord_mdb_reader(&h->mdb, &txn);
	if (rc)
		return rc;
	rc = totals_get(h, txn, node, &t);
	if (rc <= 0)
		return rc;
	rc = target_fill(h, txn, node, &t, out);
	return rc ? rc : 1;
}

long rumord_hints_targets(struct rumord_hints *h, struct rumord_hint_target *out,
			  size_t max)
{
	struct totals t;
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	long n = 0;
	uint64_t node;
	int rc, mrc;

	rc = rumord_mdb_reader(&h->mdb, &txn);
	if (rc)
		return rc;
	mrc = mdb_cursor_open(txn, h->targets, &c);
	if (mrc)
		return rumord_mdb_err(mrc);
	for (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !mrc;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8) {
			rc = -EIO;
			break;
		}
		if ((size_t)n < max) {
			node = rumord_get_be64(k.mv_data);
			rc = totals_get(h, txn, node, &t);
			rc = rc == 1 ? target_fill(h, txn, node, &t, &out[n]) :
			     rc ? rc : -EIO;
			if (rc)
				break;
		}
		n++;
	}
	mdb_cursor_close(c);
	if (rc)
		return rc;
	if (mrc != MDB_NOTFOUND)
		return rumord_mdb_err(mrc);
	return n;
}

/* ---- open and close ---- */

/* The environment and its databases, opened in the write transaction *txn. */
static int open_env(struct rumord_hints *h, const char *dir, size_t map_size,
		    MDB_txn **txn)
{
	const struct rumord_mdb_db dbs[] = {
		{ "hints", 0, &h->hints },
		{ "index", MDB_DUPSORT, &h->index },
		{ "targets", 0, &h->targets },
		{ "meta", 0, &h->meta },
	};

	return rumord_mdb_open(&h->mdb, dir, map_size, dbs,
			       sizeof(dbs) / sizeof(dbs[0]), txn);
}

static int open_meta(struct rumord_hints *h, MDB_txn *txn)
{
	uint8_t layout[8];
	bool found;
	int rc;

	rumord_put_le64(layout, HINTS_LAYOUT);
	rc = rumord_mdb_layout(txn, h->meta, layout, sizeof(layout));
	if (rc)
		return rc;
	rc = meta_get(h, txn, "last_id", &h->last_id, &found);
	if (!rc)
		rc = meta_get(h, txn, "last_ms", &h->last_ms, &found);
	return rc;
}

int rumord_hints_open(struct rumord_hints **out, const char *dir,
		      const struct rumord_hints_opts *opts)
{
	struct rumord_hints *h;
	MDB_txn *txn;
	int rc;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->quota = opts && opts->quota ? opts->quota : RUMORD_HINTS_QUOTA;
	h->window_ms = opts && opts->window_ms ? opts->window_ms
					       : RUMORD_HINTS_WINDOW_MS;
	h->wall_ms = opts && opts->wall_ms ? opts->wall_ms : rumord_realtime_ms;

	rc = open_env(h, dir, opts && opts->map_size ? opts->map_size
						     : RUMORD_HINTS_MAP_SIZE,
		      &txn);
	if (rc)
		goto err;
	rc = rumord_mdb_finish(txn, open_meta(h, txn));
	if (rc)
		goto err;
	*out = h;
	return 0;

err:
	rumord_hints_close(h);
	return rc;
}

void rumord_hints_close(struct rumord_hints *h)
{
	if (!h)
		return;
	rumord_mdb_close(&h->mdb);
	free(h);
}

const struct rumord_hints_stats *rumord_hints_stats(const struct rumord_hints *h)
{
	return &h->stats;
}
