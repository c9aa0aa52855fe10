// SPDX-License-Identifier: GPL-2.0
/*
 * Versions and records: the order last-writer-wins uses, and the checks a
 * record must pass before any replica takes it in.
 */
#include "version.h"

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

int rumord_version_cmp(const struct rumord_version *a,
		       const struct rumord_version *b)
{
	int c;

	c = cmp_u64(a->hlc, b->hlc);
	if (!c)
		c = cmp_u64(a->dot.node, b->dot.node);
	/*
	 * One node never issues the same timestamp twice, so the counter only
	 * decides between copies of a corrupt or hostile history; it still
	 * has to decide the same way everywhere.
	 */
	if (!c)
		c = cmp_u64(a->dot.counter, b->dot.counter);
	if (!c)
		c = (int)a->tombstone - (int)b->tombstone;
	return c;
}

bool rumord_record_valid(const struct rumord_record *rec)
{
	if (!rec->key || rec->key_len < 1 || rec->key_len > RUMORD_MAX_KEY)
		return false;
	if (rec->value_len > RUMORD_MAX_VALUE || (rec->value_len && !rec->value))
		return false;
	if (rec->version.tombstone && rec->value_len)
		return false;
	return rec->version.dot.node && rec->version.dot.counter;
}
