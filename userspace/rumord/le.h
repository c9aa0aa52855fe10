/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Little-endian fields in byte buffers, for every rumord wire and disk
 * format: unaligned, whatever the host's byte order.
 */
#ifndef _RUMORD_LE_H
#define _RUMORD_LE_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

static inline void rumord_put_le16(void *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void rumord_put_le32(void *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void rumord_put_le64(void *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

static inline uint16_t rumord_get_le16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static inline uint32_t rumord_get_le32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline uint64_t rumord_get_le64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

#endif /* _RUMORD_LE_H */
