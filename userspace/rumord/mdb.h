/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What rumord's LMDB stores (store.c, hints.c) share: an environment of
 * named databases in a directory of its own, the read snapshot kept
 * between calls, LMDB's codes as -errno, and keys that sort numerically.
 *
 * Each store is single-threaded; what a read hands out points into the
 * snapshot and stays valid until the store's next read or write.
 */
#ifndef _RUMORD_MDB_H
#define _RUMORD_MDB_H

#include <endian.h>
#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rumord_mdb {
	MDB_env *env;
	/* The read snapshot kept between calls: what reads hand out. */
	MDB_txn *rtxn;
	bool rtxn_live;
};

struct rumord_mdb_db {
	const char *name;
	unsigned int flags;	/* MDB_CREATE is implied */
	MDB_dbi *dbi;
};

/* An LMDB return code as 0 or -errno. */
int rumord_mdb_err(int rc);

/* CLOCK_REALTIME in milliseconds: the stores' default wall clock, the daemon's. */
uint64_t rumord_realtime_ms(void);

/*
 * Open (creating it if needed) the environment in directory @dir with
 * room for @ndbs databases, and open (creating) @dbs in a write
 * transaction, left in *txn for the caller to finish. -errno with no
 * transaction left open; rumord_mdb_close() frees what was set up.
 */
int rumord_mdb_open(struct rumord_mdb *m, const char *dir, size_t map_size,
		    const struct rumord_mdb_db *dbs, unsigned int ndbs,
		    MDB_txn **txn);
void rumord_mdb_close(struct rumord_mdb *m);

/* A fresh read snapshot; what the previous one handed out is invalid. */
int rumord_mdb_reader(struct rumord_mdb *m, MDB_txn **txn);
/* Drop the snapshot, so that LMDB may reuse the pages it pins. */
void rumord_mdb_reader_end(struct rumord_mdb *m);
/* A write transaction; the snapshot goes first. */
int rumord_mdb_writer(struct rumord_mdb *m, MDB_txn **txn);
/* Commit @txn if @rc is 0, else abort it: the write's outcome. */
int rumord_mdb_finish(MDB_txn *txn, int rc);

/*
 * In @txn, the @size bytes under the string key @name of @dbi into @buf
 * and *found; 0 and !*found if there are none, -EIO if not @size bytes.
 */
int rumord_mdb_get_named(MDB_txn *txn, MDB_dbi dbi, const char *name,
			 void *buf, size_t size, bool *found);
int rumord_mdb_put_named(MDB_txn *txn, MDB_dbi dbi, const char *name,
			 const void *buf, size_t size);

/*
 * In @txn, check the "layout" in @dbi against @layout (@size bytes, as
 * stored), recording it if there is none yet. -EPROTO: another layout.
 */
int rumord_mdb_layout(MDB_txn *txn, MDB_dbi dbi, const void *layout,
		      size_t size);

/* Big-endian keys, so that LMDB's byte order is numeric order. */
static inline void rumord_put_be64(void *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

static inline uint64_t rumord_get_be64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

/* A key of two numbers, sorting by @a then @b. */
static inline void rumord_mdb_pair_key(uint8_t out[16], uint64_t a, uint64_t b)
{
	rumord_put_be64(out, a);
	rumord_put_be64(out + 8, b);
}

#endif /* _RUMORD_MDB_H */
