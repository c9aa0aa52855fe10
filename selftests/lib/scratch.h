/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Scratch directories for the unit tests of rumord's LMDB stores
 * (test_store.c, test_hints.c): removed whole, whatever they hold.
 */
#ifndef _RUMOR_SELFTEST_SCRATCH_H
#define _RUMOR_SELFTEST_SCRATCH_H

#include <ftw.h>
#include <stdio.h>

static inline int scratch_rm_cb(const char *path, const struct stat *st,
				int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void rm_rf(const char *dir)
{
	nftw(dir, scratch_rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

#endif /* _RUMOR_SELFTEST_SCRATCH_H */
