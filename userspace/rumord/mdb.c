// SPDX-License-Identifier: GPL-2.0
/*
 * LMDB plumbing shared by rumord's store and its hints (mdb.h).
 */
#include <errno.h>
#include <time.h>

#include "mdb.h"

int rumord_mdb_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
	case MDB_DBS_FULL:
	case MDB_PAGE_FULL:
		return -ENOSPC;
	case MDB_READERS_FULL:
	case MDB_MAP_RESIZED:
		return -EAGAIN;
	case MDB_BAD_VALSIZE:
		return -EINVAL;
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
		return -EPROTO;
	default:
		/* LMDB passes system errors through as positive errno. */
		return rc > 0 ? -rc : -EIO;
	}
}

uint64_t rumord_realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int rumord_mdb_open(struct rumord_mdb *m, const char *dir, size_t map_size,
		    const struct rumord_mdb_db *dbs, unsigned int ndbs,
		    MDB_txn **txn)
{
	unsigned int i;
	int rc;

	rc = mdb_env_create(&m->env);
	if (rc)
		return rumord_mdb_err(rc);
	rc = mdb_env_set_mapsize(m->env, map_size);
	if (!rc)
		rc = mdb_env_set_maxdbs(m->env, ndbs);
	/*
	 * MDB_NOTLS: the read snapshot that handed-out records point into may
	 * stay open while the same thread writes. No MDB_NOSYNC: a commit is
	 * on disk when it returns.
	 */
	if (!rc)
		rc = mdb_env_open(m->env, dir, MDB_NOTLS, 0600);
	/* Reader slots of a process killed while reading are freed. */
	if (!rc)
		rc = mdb_reader_check(m->env, NULL);
	if (!rc)
		rc = mdb_txn_begin(m->env, NULL, 0, txn);
	if (rc)
		return rumord_mdb_err(rc);
	for (i = 0; i < ndbs; i++) {
		rc = mdb_dbi_open(*txn, dbs[i].name, MDB_CREATE | dbs[i].flags,
				  dbs[i].dbi);
		if (rc) {
			mdb_txn_abort(*txn);
			return rumord_mdb_err(rc);
		}
	}
	return 0;
}

void rumord_mdb_close(struct rumord_mdb *m)
{
	if (m->rtxn)
		mdb_txn_abort(m->rtxn);
	if (m->env)
		mdb_env_close(m->env);
}

int rumord_mdb_reader(struct rumord_mdb *m, MDB_txn **txn)
{
	int rc;

	rumord_mdb_reader_end(m);
	if (m->rtxn)
		rc = mdb_txn_renew(m->rtxn);
	else
		rc = mdb_txn_begin(m->env, NULL, MDB_RDONLY, &m->rtxn);
	if (rc)
		return rumord_mdb_err(rc);
	m->rtxn_live = true;
	*txn = m->rtxn;
	return 0;
}

void rumord_mdb_reader_end(struct rumord_mdb *m)
{
	if (m->rtxn_live) {
		mdb_txn_reset(m->rtxn);
		m->rtxn_live = false;
	}
}

int rumord_mdb_writer(struct rumord_mdb *m, MDB_txn **txn)
{
	rumord_mdb_reader_end(m);
	return rumord_mdb_err(mdb_txn_begin(m->env, NULL, 0, txn));
}

int rumord_mdb_finish(MDB_txn *txn, int rc)
{
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	return rumord_mdb_err(mdb_txn_commit(txn));
}

int rumord_mdb_get_named(MDB_txn *txn, MDB_dbi dbi, const char *name,
			 void *buf, size_t size, bool *found)
{
	MDB_val k = { strlen(name), (void *)name }, d;
	int rc;

	*found = false;
	rc = mdb_get(txn, dbi, &k, &d);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rumord_mdb_err(rc);
	if (d.mv_size != size)
		return -EIO;
	memcpy(buf, d.mv_data, size);
	*found = true;
	return 0;
}

int rumord_mdb_put_named(MDB_txn *txn, MDB_dbi dbi, const char *name,
			 const void *buf, size_t size)
{
	MDB_val k = { strlen(name), (void *)name }, d = { size, (void *)buf };

	return rumord_mdb_err(mdb_put(txn, dbi, &k, &d, 0));
}

int rumord_mdb_layout(MDB_txn *txn, MDB_dbi dbi, const void *layout,
		      size_t size)
{
	static const char name[] = "layout";
	MDB_val k = { sizeof(name) - 1, (void *)name }, d;
	int rc;

	rc = mdb_get(txn, dbi, &k, &d);
	if (rc == MDB_NOTFOUND)
		return rumord_mdb_put_named(txn, dbi, name, layout, size);
	if (rc)
		return rumord_mdb_err(rc);
	if (d.mv_size != size)
		return -EIO;
	return memcmp(d.mv_data, layout, size) ? -EPROTO : 0;
}
