// SPDX-License-Identifier: GPL-2.0
/*
 * The anti-entropy session (docs/repair.md). Both ends run the same code;
 * which end speaks first, and what each flight holds, follows from the
 * method and from what the other end said:
 *
 *   auto     HELLO+vector >   < HELLO+vector, records for missing dots
 *            records, level-1 hashes >   < BYE if they all match, else
 *            the walk
 *   bvv      the same, without hashes: the initiator ends with BYE
 *   merkle   HELLO, level-1 hashes >   < HELLO, then BYE or the walk
 *   walk     DIFF (which of the peer's nodes differ from mine) and my
 *            hashes one level down, in turns, to the leaf level; then
 *            the key versions under the differing leaves (KEYS); the
 *            other end sends what wins and asks (WANT) for what loses;
 *            the last flight carries the records asked for and BYE
 *   naive    HELLO, every key's version >   < records, WANT   > records
 *
 * Every incoming frame is checked against the phase (rx) before any of it
 * is used; a RECORDS frame is checked whole before its first record is
 * applied. Outgoing flights are a plan of items produced lazily, a frame
 * at a time, so a session holds at most about two frames of output
 * whatever it sends.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sync.h"
#include "le.h"

#define HELLO_HEAD	3	/* version, method, flags */
#define HELLO_TREE	24	/* count, root: for the methods that walk */
#define HELLO_HAS_BVV	0x01
#define REC_HEAD	31	/* key_len, value_len, hlc, node, counter, flags */
#define REC_TOMBSTONE	0x01
#define KEY_ENTRY	32	/* key hash, hlc, node, counter */
#define WALK_HEAD	9	/* level, first, count */
#define NODE_MAX	(2 + 16 * 16)
#define OUT_MAX		(2 * (RUMORD_SYNC_HEADER + RUMORD_SYNC_MAX_FRAME) + \
			 RUMORD_SYNC_FRAME_TARGET)

/* What an outgoing flight is made of, in order. */
enum out_item {
	O_DOTS,		/* records for dots the peer lacks */
	O_DIFF,		/* my masks for the peer's NODES */
	O_NODES,	/* my hashes under the frontier */
	O_KEYS,		/* my key versions under the frontier */
	O_SEND,		/* records by key hash */
	O_WANT,
	O_END,
	O_BYE,
};

/* The incoming flight being read. */
enum rx_phase {
	RX_HELLO,	/* first, the peer's HELLO */
	RX_FIRST,	/* responder: END of the initiator's first flight */
	RX_DOTS,	/* initiator: records for its missing dots, END or BYE */
	RX_DOTS_LAST,	/* responder: records, level-1 NODES, END; BYE (bvv) */
	RX_WALK,	/* DIFF for my NODES, then NODES or KEYS; or BYE */
	RX_REPLY,	/* I sent KEYS: records, WANT, END or BYE */
	RX_FINAL,	/* I sent WANT: records, BYE */
	RX_NONE,
};

struct key_ent {
	uint64_t hash, hlc, node, counter;
};

struct rumord_sync {
	struct rumord_replica rep;
	bool initiator;
	enum rumord_sync_method method;
	int err;
	const char *why;
	bool finished;			/* BYE sent or received */

	/* what the hellos said */
	bool hello_sent;
	uint64_t my_count, peer_count;
	struct rumord_hash my_root, peer_root;
	struct rumord_bvv peer_bvv;
	bool have_peer_bvv;
	unsigned int leaf;		/* the walk's last level */

	/* receiving */
	enum rx_phase rx;
	unsigned char *in;
	size_t in_len, in_cap;

	/* the walk: the differing nodes of one level, both ends agree */
	unsigned int level;
	uint32_t *front, *next;
	size_t nfront, capfront, nnext, capnext;
	uint16_t *masks;		/* mine for the peer's NODES, sent as DIFF */
	size_t nmasks, capmasks;
	size_t rx_pos;			/* parents done in the incoming DIFF/NODES */
	bool diff_done;			/* the frontier is this flight's */
	bool bye_ok;			/* the peer may end the walk here */
	bool opening;			/* the initiator's level 1 comes first */

	/* the peer's KEYS against mine, a frontier node at a time */
	size_t kc_node, mi, nmine, capmine;
	bool kc_loaded;
	struct key_ent *mine;
	uint64_t k_last, w_last;
	bool k_any, w_any;
	uint64_t peer_keys, peer_wants;
	size_t wc_node;
	uint64_t *sendq, *wantq;
	size_t nsend, capsend, nwant, capwant;
	bool got_want;

	/* dots the peer lacks that the log can give */
	struct rumord_dot *dotq;
	size_t ndot, capdot;

	/* sending */
	unsigned char *out;
	size_t out_len, out_off, out_cap;
	size_t fstart;			/* the frame being built */
	uint8_t plan[6];
	unsigned int nplan, iplan;
	size_t cur;			/* position in the current item */
	uint64_t cur_hash, cur_skip;	/* O_KEYS, O_SEND: resume point */

	struct rumord_sync_stats st;
};

static int fail(struct rumord_sync *s, int err, const char *why)
{
	if (!s->err) {
		s->err = err;
		s->why = why;
	}
	return s->err;
}

#define BAD(s, why)	fail((s), -EPROTO, (why))

/*
 * @p with room for @need elements of @size bytes (it has *@cap), moved
 * if need be; NULL if out of memory, @p then still valid.
 */
static void *grow_to(void *p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 16;

	if (need <= *cap)
		return p;
	while (c < need)
		c *= 2;
	if (c > SIZE_MAX / size)
		return NULL;
	p = realloc(p, c * size);
	if (p)
		*cap = c;
	return p;
}

#define RESERVE(s, arr, cap, need) ({					\
	void *_p = grow_to((arr), &(cap), (need), sizeof(*(arr)));	\
	if (_p)								\
		(arr) = _p;						\
	_p ? 0 : fail((s), -ENOMEM, "out of memory");			\
})





/* ---- building frames: reserve first, then the unchecked writers ---- */

static int out_reserve(struct rumord_sync *s, size_t more)
{
	size_t need = s->out_len + more, cap;
	unsigned char *p;

	if (need <= s->out_cap)
		return 0;
	if (need > OUT_MAX)
		return fail(s, -EMSGSIZE, "output beyond its bound");
	cap = s->out_cap ? s->out_cap : 4096;
	while (cap < need)
		cap *= 2;
	p = realloc(s->out, cap);
	if (!p)
		return fail(s, -ENOMEM, "out of memory");
	s->out = p;
	s->out_cap = cap;
	return 0;
}

/* Drop what was sent; only between frames. */
static void out_compact(struct rumord_sync *s)
{
	if (!s->out_off)
		return;
	memmove(s->out, s->out + s->out_off, s->out_len - s->out_off);
	s->out_len -= s->out_off;
	s->out_off = 0;
}

static void w8(struct rumord_sync *s, uint8_t x)
{
	s->out[s->out_len++] = x;
}

static void w16(struct rumord_sync *s, uint16_t x)
{
	w8(s, (uint8_t)x);
	w8(s, (uint8_t)(x >> 8));
}

static void w32(struct rumord_sync *s, uint32_t x)
{
	rumord_put_le32(s->out + s->out_len, x);
	s->out_len += 4;
}

static void w64(struct rumord_sync *s, uint64_t x)
{
	w32(s, (uint32_t)x);
	w32(s, (uint32_t)(x >> 32));
}

static void wbytes(struct rumord_sync *s, const void *p, size_t n)
{
	if (n)
		memcpy(s->out + s->out_len, p, n);
	s->out_len += n;
}

static int f_open(struct rumord_sync *s, enum rumord_sync_type type,
		  size_t body)
{
	if (out_reserve(s, RUMORD_SYNC_HEADER + body))
		return s->err;
	s->fstart = s->out_len;
	s->out_len += 4;
	w8(s, (uint8_t)type);
	return 0;
}

static size_t f_body(const struct rumord_sync *s)
{
	return s->out_len - s->fstart - RUMORD_SYNC_HEADER;
}

static void f_close(struct rumord_sync *s)
{
	size_t len = s->out_len - s->fstart - 4;

	rumord_put_le32(s->out + s->fstart, (uint32_t)len);
	s->st.frames_sent++;
	s->st.bytes_sent += len + 4;
}

/* Close a frame with @n items counted at @at, or drop it if it has none. */
static void f_close_counted(struct rumord_sync *s, size_t at, uint32_t n)
{
	if (!n) {
		s->out_len = s->fstart;
		return;
	}
	rumord_put_le32(s->out + at, n);
	f_close(s);
}

static int emit_empty(struct rumord_sync *s, enum rumord_sync_type type)
{
	if (f_open(s, type, 0))
		return s->err;
	f_close(s);
	return 0;
}

static void plan(struct rumord_sync *s, const uint8_t *items, unsigned int n)
{
	memcpy(s->plan, items, n);
	s->nplan = n;
	s->iplan = 0;
	s->cur = 0;
	s->cur_hash = 0;
	s->cur_skip = 0;
}

#define PLAN(s, ...) do {						\
	static const uint8_t _items[] = { __VA_ARGS__ };		\
	plan((s), _items, sizeof(_items));				\
} while (0)

static const struct rumord_merkle *tree(const struct rumord_sync *s)
{
	return s->rep.ops->merkle(s->rep.r);
}

static struct rumord_hash root_now(const struct rumord_sync *s)
{
	return rumord_merkle_node(tree(s), 0, 0);
}

unsigned int rumord_sync_leaf_level(uint64_t n)
{
	unsigned int l = 0;

	while (l < RUMORD_MERKLE_DEPTH && (1ULL << (4 * l)) < n)
		l++;
	return l;
}

/*
 * The count and root this end's HELLO states, read together; the walk's
 * leaf level follows from the two counts.
 */
static void snapshot(struct rumord_sync *s)
{
	s->my_count = rumord_merkle_count(tree(s));
	s->my_root = root_now(s);
	if (s->method != RUMORD_SYNC_NAIVE)
		s->leaf = rumord_sync_leaf_level(s->my_count > s->peer_count ?
						 s->my_count : s->peer_count);
}

/*
 * HELLO goes out at once, not lazily: the vector it carries must be read
 * with the snapshot, so that a peer that finds our roots equal may take
 * the vector as covered by what it holds.
 */
static bool walks(enum rumord_sync_method method)
{
	return method == RUMORD_SYNC_AUTO || method == RUMORD_SYNC_MERKLE;
}

static int emit_hello(struct rumord_sync *s)
{
	size_t fixed = HELLO_HEAD + (walks(s->method) ? HELLO_TREE : 0);
	const struct rumord_bvv *v = NULL;
	size_t vsize = 0;
	uint8_t flags = 0;

	if (s->method == RUMORD_SYNC_AUTO || s->method == RUMORD_SYNC_BVV) {
		v = s->rep.ops->bvv(s->rep.r);
		vsize = rumord_bvv_encode(v, NULL, 0);
		/* Too big for a frame: then the walk finds everything. */
		if (1 + fixed + vsize > RUMORD_SYNC_MAX_FRAME) {
			v = NULL;
			vsize = 0;
		} else {
			flags |= HELLO_HAS_BVV;
		}
	}
	out_compact(s);
	if (f_open(s, RUMORD_SYNC_HELLO, fixed + vsize))
		return s->err;
	w8(s, RUMORD_SYNC_VERSION);
	w8(s, (uint8_t)s->method);
	w8(s, flags);
	if (walks(s->method)) {
		w64(s, s->my_count);
		w64(s, s->my_root.lo);
		w64(s, s->my_root.hi);
	}
	if (v)
		s->out_len += rumord_bvv_encode(v, s->out + s->out_len, vsize);
	f_close(s);
	s->hello_sent = true;
	return 0;
}

/* ---- records ---- */

static size_t record_size(const struct rumord_record *rec)
{
	return REC_HEAD + rec->key_len + rec->value_len;
}

/*
 * Add @rec to the RECORDS frame being built, which holds @n so far: 0, 1
 * if it belongs in the next frame, < 0.
 */
static int put_record(struct rumord_sync *s, const struct rumord_record *rec,
		      uint32_t n)
{
	size_t size = record_size(rec);

	if (n && f_body(s) + size > RUMORD_SYNC_FRAME_TARGET)
		return 1;
	if (out_reserve(s, size))
		return s->err;
	w16(s, (uint16_t)rec->key_len);
	w32(s, (uint32_t)rec->value_len);
	w64(s, rec->version.hlc);
	w64(s, rec->version.dot.node);
	w64(s, rec->version.dot.counter);
	w8(s, rec->version.tombstone ? REC_TOMBSTONE : 0);
	wbytes(s, rec->key, rec->key_len);
	wbytes(s, rec->value, rec->value_len);
	s->st.keys_sent++;
	return 0;
}

/* Start a frame with a u32 count to fill in later; its offset in *@at. */
static int open_counted(struct rumord_sync *s, enum rumord_sync_type type,
			size_t *at)
{
	if (f_open(s, type, 4))
		return s->err;
	*at = s->out_len;
	s->out_len += 4;
	return 0;
}

/* O_DOTS: 1 when every queued dot is out, 0 if more frames follow. */
static int emit_dots(struct rumord_sync *s)
{
	struct rumord_record rec;
	uint32_t n = 0;
	size_t at;
	int rc;

	if (open_counted(s, RUMORD_SYNC_RECORDS, &at))
		return s->err;
	while (s->cur < s->ndot) {
		rc = s->rep.ops->by_dot(s->rep.r, s->dotq[s->cur], &rec);
		if (rc < 0)
			return fail(s, rc, "reading the dot log");
		/* Overwritten since it was looked up: the walk will see. */
		if (!rc || !rumord_record_valid(&rec)) {
			s->st.dots_unserved++;
			s->cur++;
			continue;
		}
		rc = put_record(s, &rec, n);
		if (rc < 0)
			return rc;
		if (rc)
			break;
		n++;
		s->cur++;
	}
	f_close_counted(s, at, n);
	return s->cur == s->ndot;
}

struct send_ctx {
	struct rumord_sync *s;
	uint32_t n;
	uint64_t seen;
	bool full;
};

static int send_one(const struct rumord_record *rec, void *arg)
{
	struct send_ctx *c = arg;
	struct rumord_sync *s = c->s;
	int rc;

	/* Records of this key hash already in an earlier frame. */
	if (c->seen++ < s->cur_skip)
		return 0;
	if (rumord_record_valid(rec)) {
		rc = put_record(s, rec, c->n);
		if (rc < 0)
			return rc;
		if (rc) {
			c->full = true;
			return 1;
		}
		c->n++;
	}
	s->cur_skip++;
	return 0;
}

/* O_SEND: the records of every key hash in sendq. */
static int emit_send(struct rumord_sync *s)
{
	struct send_ctx c = { .s = s };
	size_t at;
	int rc;

	if (open_counted(s, RUMORD_SYNC_RECORDS, &at))
		return s->err;
	while (s->cur < s->nsend) {
		uint64_t h = s->sendq[s->cur];

		c.seen = 0;
		c.full = false;
		rc = s->rep.ops->range(s->rep.r, h, h, send_one, &c);
		if (rc < 0)
			return fail(s, rc, "reading records");
		if (c.full)
			break;
		s->cur++;
		s->cur_skip = 0;
	}
	f_close_counted(s, at, c.n);
	return s->cur == s->nsend;
}

/* ---- the walk, sending ---- */

static uint64_t child(uint32_t parent, unsigned int c)
{
	return (uint64_t)parent * RUMORD_MERKLE_FANOUT + c;
}

/* O_NODES: for each frontier node, which children are non-empty, and their hashes. */
static int emit_nodes(struct rumord_sync *s)
{
	const struct rumord_merkle *m = tree(s);
	uint32_t n = 0;
	size_t at;

	if (s->cur >= s->nfront)
		return 1;
	if (f_open(s, RUMORD_SYNC_NODES, WALK_HEAD))
		return s->err;
	w8(s, (uint8_t)(s->level + 1));
	w32(s, (uint32_t)s->cur);
	at = s->out_len;
	s->out_len += 4;
	while (s->cur < s->nfront &&
	       (!n || f_body(s) + NODE_MAX <= RUMORD_SYNC_FRAME_TARGET)) {
		struct rumord_hash h[RUMORD_MERKLE_FANOUT];
		uint16_t mask = 0;

		for (unsigned int c = 0; c < RUMORD_MERKLE_FANOUT; c++) {
			h[c] = rumord_merkle_node(m, s->level + 1,
						  child(s->front[s->cur], c));
			if (!rumord_hash_zero(h[c]))
				mask |= (uint16_t)(1u << c);
		}
		if (out_reserve(s, NODE_MAX))
			return s->err;
		w16(s, mask);
		for (unsigned int c = 0; c < RUMORD_MERKLE_FANOUT; c++) {
			if (mask >> c & 1) {
				w64(s, h[c].lo);
				w64(s, h[c].hi);
			}
		}
		n++;
		s->cur++;
	}
	f_close_counted(s, at, n);
	return s->cur == s->nfront;
}

/* O_DIFF: for each parent of the peer's last NODES, the children that differ. */
static int emit_diff(struct rumord_sync *s)
{
	uint32_t n = 0;
	size_t at;

	if (s->cur >= s->nmasks)
		return 1;
	if (f_open(s, RUMORD_SYNC_DIFF, WALK_HEAD))
		return s->err;
	w8(s, (uint8_t)s->level);
	w32(s, (uint32_t)s->cur);
	at = s->out_len;
	s->out_len += 4;
	while (s->cur < s->nmasks &&
	       f_body(s) + 2 <= RUMORD_SYNC_FRAME_TARGET) {
		if (out_reserve(s, 2))
			return s->err;
		w16(s, s->masks[s->cur++]);
		n++;
	}
	f_close_counted(s, at, n);
	return s->cur == s->nmasks;
}

struct keys_ctx {
	struct rumord_sync *s;
	uint32_t n;
	uint64_t skip_left;		/* records at cur_hash sent before */
	uint64_t run_hash, run_len;	/* records so far with the last hash */
	bool full;
};

static int key_one(const struct rumord_record *rec, void *arg)
{
	struct keys_ctx *c = arg;
	struct rumord_sync *s = c->s;
	uint64_t h = rumord_key_hash(rec->key, rec->key_len);

	if (h == s->cur_hash && c->skip_left) {
		c->skip_left--;
		c->run_len++;
		return 0;
	}
	if (c->n && 4 + (c->n + 1) * (size_t)KEY_ENTRY > RUMORD_SYNC_FRAME_TARGET) {
		/* Resume at this record: after the ones with its hash sent. */
		s->cur_skip = c->run_hash == h ? c->run_len : 0;
		s->cur_hash = h;
		c->full = true;
		return 1;
	}
	if (out_reserve(s, KEY_ENTRY))
		return s->err;
	w64(s, h);
	w64(s, rec->version.hlc);
	w64(s, rec->version.dot.node);
	w64(s, rec->version.dot.counter);
	c->n++;
	s->st.keys_listed++;
	if (c->run_hash == h) {
		c->run_len++;
	} else {
		c->run_hash = h;
		c->run_len = 1;
	}
	return 0;
}

/* O_KEYS: the version of every key under the frontier, in key-hash order. */
static int emit_keys(struct rumord_sync *s)
{
	struct keys_ctx c = { .s = s };
	uint64_t lo, hi;
	size_t at;
	int rc;

	if (open_counted(s, RUMORD_SYNC_KEYS, &at))
		return s->err;
	while (s->cur < s->nfront) {
		rumord_merkle_range(s->level, s->front[s->cur], &lo, &hi);
		if (s->cur_hash < lo) {
			s->cur_hash = lo;
			s->cur_skip = 0;
		}
		c.skip_left = s->cur_skip;
		c.run_hash = s->cur_hash;
		c.run_len = 0;
		rc = s->rep.ops->range(s->rep.r, s->cur_hash, hi, key_one, &c);
		if (rc < 0)
			return fail(s, rc, "reading records");
		if (c.full)
			break;
		s->cur++;
		s->cur_hash = 0;
		s->cur_skip = 0;
	}
	f_close_counted(s, at, c.n);
	return s->cur == s->nfront;
}

static int emit_want(struct rumord_sync *s)
{
	uint32_t n = 0;
	size_t at;

	if (open_counted(s, RUMORD_SYNC_WANT, &at))
		return s->err;
	while (s->cur < s->nwant && f_body(s) + 8 <= RUMORD_SYNC_FRAME_TARGET) {
		if (out_reserve(s, 8))
			return s->err;
		w64(s, s->wantq[s->cur++]);
		n++;
	}
	f_close_counted(s, at, n);
	return s->cur == s->nwant;
}

/* One frame (or none) of the plan's current item: 1 when it is done. */
static int emit(struct rumord_sync *s, enum out_item item)
{
	switch (item) {
	case O_DOTS:
		return emit_dots(s);
	case O_DIFF:
		return emit_diff(s);
	case O_NODES:
		return emit_nodes(s);
	case O_KEYS:
		return emit_keys(s);
	case O_SEND:
		return emit_send(s);
	case O_WANT:
		return emit_want(s);
	case O_END:
	case O_BYE:
		if (emit_empty(s, item == O_END ? RUMORD_SYNC_END : RUMORD_SYNC_BYE))
			return s->err;
		s->st.flights_sent++;
		if (item == O_BYE) {
			s->finished = true;
			s->rx = RX_NONE;
		}
		return 1;
	}
	return fail(s, -EINVAL, "bad plan");
}

static void fill(struct rumord_sync *s)
{
	out_compact(s);
	while (!s->err && s->iplan < s->nplan &&
	       s->out_len - s->out_off < RUMORD_SYNC_FRAME_TARGET) {
		int rc = emit(s, s->plan[s->iplan]);

		if (rc > 0) {
			s->iplan++;
			s->cur = 0;
			s->cur_hash = 0;
			s->cur_skip = 0;
		}
	}
}

/* ---- decisions at the end of a flight ---- */

/* The peer's vector joins ours where this end now holds all it had. */
static int cover(struct rumord_sync *s)
{
	int rc;

	if (s->method != RUMORD_SYNC_AUTO || !s->have_peer_bvv ||
	    !s->rep.ops->cover)
		return 0;
	rc = s->rep.ops->cover(s->rep.r, &s->peer_bvv);
	if (rc < 0)
		return fail(s, rc, "merging the peer's version vector");
	s->st.covered = true;
	return 0;
}

static void finish(struct rumord_sync *s)
{
	s->finished = true;
	s->rx = RX_NONE;
}

static int missing_dot(struct rumord_dot d, void *arg)
{
	struct rumord_sync *s = arg;
	struct rumord_record rec;
	int rc;

	/* Past the bound the rest is left to the walk. */
	if (s->st.dots_missing >= RUMORD_SYNC_MAX_DOTS)
		return 1;
	s->st.dots_missing++;
	rc = s->rep.ops->by_dot(s->rep.r, d, &rec);
	if (rc < 0)
		return fail(s, rc, "reading the dot log");
	if (!rc) {
		s->st.dots_unserved++;
		return 0;
	}
	if (RESERVE(s, s->dotq, s->capdot, s->ndot + 1))
		return s->err;
	s->dotq[s->ndot++] = d;
	return 0;
}

/* Which of our dots the peer lacks, and which of those the log can give. */
static int collect_dots(struct rumord_sync *s)
{
	int rc;

	s->ndot = 0;
	if (!s->have_peer_bvv)
		return 0;
	rc = rumord_bvv_missing(s->rep.ops->bvv(s->rep.r), &s->peer_bvv,
				missing_dot, s);
	return rc < 0 ? rc : s->err;
}

/* The frontier is the root; the walk goes down from it. */
static int walk_begin(struct rumord_sync *s)
{
	if (RESERVE(s, s->front, s->capfront, 1))
		return s->err;
	s->front[0] = 0;
	s->nfront = 1;
	s->nnext = 0;
	s->level = 0;
	s->rx_pos = 0;
	s->diff_done = true;
	s->bye_ok = true;
	s->opening = false;
	s->rx = RX_WALK;
	s->kc_node = 0;
	s->kc_loaded = false;
	s->st.leaf_level = s->leaf;
	return 0;
}

static void swap_front(struct rumord_sync *s)
{
	uint32_t *t = s->front;
	size_t c = s->capfront;

	s->front = s->next;
	s->capfront = s->capnext;
	s->nfront = s->nnext;
	s->next = t;
	s->capnext = c;
	s->nnext = 0;
	s->rx_pos = 0;
	s->level++;
}

/* The peer's NODES are all compared: answer with DIFF and one level down. */
static int walk_next(struct rumord_sync *s)
{
	s->nmasks = s->nfront;
	swap_front(s);
	if (!s->nfront) {
		/* Equal after all (the trees moved since the level above). */
		if (cover(s))
			return s->err;
		PLAN(s, O_BYE);
	} else if (s->level == s->leaf) {
		s->kc_node = 0;
		s->kc_loaded = false;
		PLAN(s, O_DIFF, O_KEYS, O_END);
		s->rx = RX_REPLY;
	} else {
		PLAN(s, O_DIFF, O_NODES, O_END);
		s->rx = RX_WALK;
		s->diff_done = false;
		s->bye_ok = true;
	}
	return 0;
}

/*
 * Responder: the initiator's level-1 hashes are compared (they add up to
 * its root). All equal ends the session; else the walk goes on from here,
 * or, when the leaf level is the root's, straight to the keys.
 */
static int walk_open_reply(struct rumord_sync *s)
{
	if (s->rx_pos != s->nfront)
		return BAD(s, "END before the level-1 hashes");
	s->opening = false;
	if (!s->hello_sent && emit_hello(s))
		return s->err;
	if (s->nnext && !s->leaf) {
		s->nnext = 0;
		s->st.merkle_used = true;
		PLAN(s, O_KEYS, O_END);
		s->rx = RX_REPLY;
		return 0;
	}
	s->st.merkle_used = s->nnext > 0;
	return walk_next(s);
}

static int push_next(struct rumord_sync *s, uint64_t index)
{
	if (RESERVE(s, s->next, s->capnext, s->nnext + 1))
		return s->err;
	s->next[s->nnext++] = (uint32_t)index;
	return 0;
}

static int queue(struct rumord_sync *s, uint64_t **q, size_t *n, size_t *cap,
		 uint64_t h)
{
	uint64_t *p;

	if (*n && (*q)[*n - 1] == h)
		return 0;
	p = grow_to(*q, cap, *n + 1, sizeof(**q));
	if (!p)
		return fail(s, -ENOMEM, "out of memory");
	*q = p;
	p[(*n)++] = h;
	return 0;
}

static int queue_send(struct rumord_sync *s, uint64_t h)
{
	return queue(s, &s->sendq, &s->nsend, &s->capsend, h);
}

static int queue_want(struct rumord_sync *s, uint64_t h)
{
	return queue(s, &s->wantq, &s->nwant, &s->capwant, h);
}

static int collect_key(const struct rumord_record *rec, void *arg)
{
	struct rumord_sync *s = arg;

	if (RESERVE(s, s->mine, s->capmine, s->nmine + 1))
		return s->err;
	s->mine[s->nmine++] = (struct key_ent){
		rumord_key_hash(rec->key, rec->key_len), rec->version.hlc,
		rec->version.dot.node, rec->version.dot.counter,
	};
	return 0;
}

/* My keys under frontier node kc_node, to merge with the peer's. */
static int load_node(struct rumord_sync *s)
{
	uint64_t lo, hi;
	int rc;

	if (s->kc_loaded)
		return 0;
	rumord_merkle_range(s->level, s->front[s->kc_node], &lo, &hi);
	s->nmine = 0;
	s->mi = 0;
	rc = s->rep.ops->range(s->rep.r, lo, hi, collect_key, s);
	if (rc < 0)
		return fail(s, rc, "reading records");
	s->kc_loaded = true;
	return 0;
}

/* The peer listed everything under node kc_node: the rest of mine it lacks. */
static int finish_node(struct rumord_sync *s)
{
	if (load_node(s))
		return s->err;
	while (s->mi < s->nmine)
		if (queue_send(s, s->mine[s->mi++].hash))
			return s->err;
	s->kc_node++;
	s->kc_loaded = false;
	return 0;
}

static int ent_cmp(const struct key_ent *a, const struct key_ent *b)
{
	if (a->hlc != b->hlc)
		return a->hlc < b->hlc ? -1 : 1;
	if (a->node != b->node)
		return a->node < b->node ? -1 : 1;
	if (a->counter != b->counter)
		return a->counter < b->counter ? -1 : 1;
	return 0;
}

/*
 * One of the peer's key versions against mine: whoever's wins is sent,
 * the loser's never. Two keys with one hash (rare) are paired in order;
 * a mismatch then moves every record with that hash, which is harmless.
 */
static int compare_key(struct rumord_sync *s, const struct key_ent *e)
{
	uint64_t lo = 0, hi = 0;
	int c;

	while (s->kc_node < s->nfront) {
		rumord_merkle_range(s->level, s->front[s->kc_node], &lo, &hi);
		if (e->hash <= hi)
			break;
		if (finish_node(s))
			return s->err;
	}
	if (s->kc_node == s->nfront || e->hash < lo)
		return BAD(s, "key outside the differing nodes");
	if (load_node(s))
		return s->err;
	while (s->mi < s->nmine && s->mine[s->mi].hash < e->hash)
		if (queue_send(s, s->mine[s->mi++].hash))
			return s->err;
	if (s->mi < s->nmine && s->mine[s->mi].hash == e->hash) {
		c = ent_cmp(&s->mine[s->mi++], e);
		if (c > 0)
			return queue_send(s, e->hash);
		return c < 0 ? queue_want(s, e->hash) : 0;
	}
	return queue_want(s, e->hash);
}

/* The peer's KEYS are all in: send what wins here, ask for what wins there. */
static int keys_finish(struct rumord_sync *s)
{
	while (s->kc_node < s->nfront)
		if (finish_node(s))
			return s->err;
	if (!s->hello_sent) {
		snapshot(s);		/* naive: the responder speaks last */
		if (emit_hello(s))
			return s->err;
	}
	if (!s->nwant) {
		/* Nothing there is newer: this end holds everything the peer does. */
		if (cover(s))
			return s->err;
		PLAN(s, O_SEND, O_BYE);
	} else {
		PLAN(s, O_SEND, O_WANT, O_END);
		s->rx = RX_FINAL;
	}
	return 0;
}

/* ---- parsing ---- */

struct cursor {
	const unsigned char *p;
	size_t left;
};

static bool take(struct cursor *c, size_t n, const unsigned char **out)
{
	if (c->left < n)
		return false;
	*out = c->p;
	c->p += n;
	c->left -= n;
	return true;
}

/* One record from @c, checked; false if it is not a valid record. */
static bool parse_record(struct cursor *c, struct rumord_record *rec)
{
	const unsigned char *h;
	uint8_t flags;

	if (!take(c, REC_HEAD, &h))
		return false;
	rec->key_len = rumord_get_le16(h);
	rec->value_len = rumord_get_le32(h + 2);
	rec->version.hlc = rumord_get_le64(h + 6);
	rec->version.dot.node = rumord_get_le64(h + 14);
	rec->version.dot.counter = rumord_get_le64(h + 22);
	flags = h[30];
	if (flags & ~REC_TOMBSTONE)
		return false;
	rec->version.tombstone = flags & REC_TOMBSTONE;
	if (rec->key_len > RUMORD_MAX_KEY || rec->value_len > RUMORD_MAX_VALUE ||
	    rec->version.dot.counter > RUMORD_MAX_COUNTER)
		return false;
	if (!take(c, rec->key_len, &h))
		return false;
	rec->key = h;
	if (!take(c, rec->value_len, &h))
		return false;
	rec->value = h;
	return rumord_record_valid(rec);
}

/* RECORDS: checked whole, then applied, so a bad frame applies nothing. */
static int on_records(struct rumord_sync *s, const unsigned char *b, size_t n)
{
	struct rumord_record rec;
	struct cursor c;
	uint32_t count;
	int rc;

	if (n < 4)
		return BAD(s, "short RECORDS");
	c = (struct cursor){ b + 4, n - 4 };
	count = rumord_get_le32(b);
	if (!count || count > (n - 4) / REC_HEAD)
		return BAD(s, "bad record count");
	if (s->st.keys_received + count > RUMORD_SYNC_MAX_KEYS)
		return BAD(s, "too many records");
	for (uint32_t i = 0; i < count; i++)
		if (!parse_record(&c, &rec))
			return BAD(s, "bad record");
	if (c.left)
		return BAD(s, "RECORDS longer than its records");
	c = (struct cursor){ b + 4, n - 4 };
	for (uint32_t i = 0; i < count; i++) {
		parse_record(&c, &rec);
		rc = s->rep.ops->apply(s->rep.r, &rec);
		if (rc < 0)
			return fail(s, rc, "applying a record");
		s->st.keys_applied += rc > 0;
	}
	s->st.keys_received += count;
	return 0;
}

static int resp_hello(struct rumord_sync *s);
static int walk_wait(struct rumord_sync *s);

static int on_hello(struct rumord_sync *s, const unsigned char *b, size_t n)
{
	unsigned int method;
	size_t fixed;
	uint8_t flags;
	long used;

	if (n < HELLO_HEAD)
		return BAD(s, "short HELLO");
	if (b[0] != RUMORD_SYNC_VERSION)
		return BAD(s, "unknown protocol version");
	method = b[1];
	flags = b[2];
	if (method < RUMORD_SYNC_AUTO || method > RUMORD_SYNC_METHOD_MAX)
		return BAD(s, "unknown method");
	if (s->initiator ? method != s->method :
	    s->method != RUMORD_SYNC_ANY && method != s->method)
		return BAD(s, "method refused");
	if (flags & ~HELLO_HAS_BVV)
		return BAD(s, "unknown HELLO flags");
	if ((flags & HELLO_HAS_BVV) && method != RUMORD_SYNC_AUTO &&
	    method != RUMORD_SYNC_BVV)
		return BAD(s, "a version vector the method has no use for");
	fixed = HELLO_HEAD + (walks(method) ? HELLO_TREE : 0);
	if (n < fixed)
		return BAD(s, "short HELLO");
	if (flags & HELLO_HAS_BVV) {
		used = rumord_bvv_decode(&s->peer_bvv, b + fixed, n - fixed);
		if (used == -ENOMEM)
			return fail(s, -ENOMEM, "out of memory");
		if (used < 0 || (size_t)used != n - fixed)
			return BAD(s, "bad version vector");
		s->have_peer_bvv = true;
	} else if (n != fixed) {
		return BAD(s, "HELLO longer than its fields");
	}
	s->method = (enum rumord_sync_method)method;
	if (walks(method)) {
		s->peer_count = rumord_get_le64(b + 3);
		s->peer_root.lo = rumord_get_le64(b + 11);
		s->peer_root.hi = rumord_get_le64(b + 19);
	}

	if (!s->initiator)
		return resp_hello(s);
	switch (s->method) {
	case RUMORD_SYNC_AUTO:
	case RUMORD_SYNC_BVV:
		s->leaf = rumord_sync_leaf_level(s->my_count > s->peer_count ?
						 s->my_count : s->peer_count);
		s->rx = RX_DOTS;
		return 0;
	case RUMORD_SYNC_MERKLE:
		s->leaf = rumord_sync_leaf_level(s->my_count > s->peer_count ?
						 s->my_count : s->peer_count);
		return walk_wait(s);
	default:
		s->rx = RX_REPLY;
		return 0;
	}
}

/* Responder, the initiator's HELLO read: what the rest of its flight holds. */
static int resp_hello(struct rumord_sync *s)
{
	switch (s->method) {
	case RUMORD_SYNC_NAIVE:
		/* The initiator's keys follow: the root's, all of them. */
		s->leaf = 0;
		if (walk_begin(s))
			return s->err;
		s->bye_ok = false;
		return 0;
	case RUMORD_SYNC_MERKLE:
		/* Its level-1 hashes follow, compared against this snapshot. */
		snapshot(s);
		if (walk_begin(s))
			return s->err;
		s->opening = true;
		s->bye_ok = false;
		return 0;
	default:
		s->rx = RX_FIRST;
		return 0;
	}
}

/* Initiator, level 1 sent: DIFF comes back, or KEYS if the root is the leaf. */
static int walk_wait(struct rumord_sync *s)
{
	if (walk_begin(s))
		return s->err;
	s->diff_done = !s->leaf;
	return 0;
}

/* Responder, the initiator's first flight over: answer it. */
static int resp_start(struct rumord_sync *s)
{
	snapshot(s);
	if (emit_hello(s))
		return s->err;
	if (s->method == RUMORD_SYNC_AUTO &&
	    rumord_hash_eq(s->my_root, s->peer_root)) {
		if (cover(s))
			return s->err;
		PLAN(s, O_BYE);
		return 0;
	}
	if (collect_dots(s))
		return s->err;
	PLAN(s, O_DOTS, O_END);
	s->rx = RX_DOTS_LAST;
	if (s->method == RUMORD_SYNC_AUTO) {
		if (walk_begin(s))
			return s->err;
		s->rx = RX_DOTS_LAST;
		s->opening = true;
		s->bye_ok = false;
	}
	return 0;
}

/* Initiator, the responder's records in: send the peer's, and our level 1. */
static int init_dots_done(struct rumord_sync *s)
{
	if (collect_dots(s))
		return s->err;
	if (s->method == RUMORD_SYNC_BVV) {
		PLAN(s, O_DOTS, O_BYE);
		return 0;
	}
	if (walk_wait(s))
		return s->err;
	PLAN(s, O_DOTS, O_NODES, O_END);
	return 0;
}

static int on_diff(struct rumord_sync *s, const unsigned char *b, size_t n)
{
	uint32_t first, count;

	if (s->diff_done)
		return BAD(s, "unexpected DIFF");
	if (n < WALK_HEAD)
		return BAD(s, "short DIFF");
	first = rumord_get_le32(b + 1);
	count = rumord_get_le32(b + 5);
	if (b[0] != s->level + 1 || first != s->rx_pos || !count ||
	    count > s->nfront - s->rx_pos || n != WALK_HEAD + 2 * (size_t)count)
		return BAD(s, "DIFF out of place");
	for (uint32_t i = 0; i < count; i++) {
		uint16_t mask = rumord_get_le16(b + WALK_HEAD + 2 * i);

		for (unsigned int c = 0; c < RUMORD_MERKLE_FANOUT; c++)
			if ((mask >> c & 1) &&
			    push_next(s, child(s->front[s->rx_pos], c)))
				return s->err;
		s->rx_pos++;
	}
	if (s->rx_pos == s->nfront) {
		swap_front(s);
		s->diff_done = true;
	}
	s->bye_ok = false;
	return 0;
}

static int on_nodes(struct rumord_sync *s, const unsigned char *b, size_t n)
{
	const struct rumord_merkle *m = tree(s);
	uint32_t first, count;
	struct cursor c;

	if (!s->diff_done || (s->level >= s->leaf && !s->opening))
		return BAD(s, "unexpected NODES");
	if (n < WALK_HEAD)
		return BAD(s, "short NODES");
	c = (struct cursor){ b + WALK_HEAD, n - WALK_HEAD };
	first = rumord_get_le32(b + 1);
	count = rumord_get_le32(b + 5);
	if (b[0] != s->level + 1 || first != s->rx_pos || !count ||
	    count > s->nfront - s->rx_pos)
		return BAD(s, "NODES out of place");
	if (RESERVE(s, s->masks, s->capmasks, s->nfront))
		return s->err;
	for (uint32_t i = 0; i < count; i++, s->rx_pos++) {
		uint32_t parent = s->front[s->rx_pos];
		const unsigned char *p;
		uint16_t mask, mine = 0;

		if (!take(&c, 2, &p))
			return BAD(s, "short NODES");
		mask = rumord_get_le16(p);
		for (unsigned int k = 0; k < RUMORD_MERKLE_FANOUT; k++) {
			struct rumord_hash theirs = { 0, 0 };

			if (mask >> k & 1) {
				if (!take(&c, 16, &p))
					return BAD(s, "short NODES");
				theirs.lo = rumord_get_le64(p);
				theirs.hi = rumord_get_le64(p + 8);
				if (rumord_hash_zero(theirs))
					return BAD(s, "a zero hash for a non-empty node");
			}
			if (rumord_hash_eq(theirs, rumord_merkle_node(m,
						s->level + 1, child(parent, k))))
				continue;
			mine |= (uint16_t)(1u << k);
			if (push_next(s, child(parent, k)))
				return s->err;
		}
		s->masks[s->rx_pos] = mine;
	}
	if (c.left)
		return BAD(s, "NODES longer than its nodes");
	s->bye_ok = false;
	s->st.merkle_used = true;
	return 0;
}

static int on_keys(struct rumord_sync *s, const unsigned char *b, size_t n)
{
	uint32_t count;

	if (!s->diff_done || s->level != s->leaf || s->opening)
		return BAD(s, "unexpected KEYS");
	if (n < 4)
		return BAD(s, "short KEYS");
	count = rumord_get_le32(b);
	if (!count || n != 4 + (size_t)count * KEY_ENTRY)
		return BAD(s, "bad KEYS length");
	if (s->peer_keys + count > RUMORD_SYNC_MAX_KEYS)
		return BAD(s, "too many keys");
	s->peer_keys += count;
	for (uint32_t i = 0; i < count; i++) {
		const unsigned char *p = b + 4 + (size_t)i * KEY_ENTRY;
		struct key_ent e = {
			rumord_get_le64(p), rumord_get_le64(p + 8), rumord_get_le64(p + 16),
			rumord_get_le64(p + 24),
		};

		if (!e.node || !e.counter || e.counter > RUMORD_MAX_COUNTER)
			return BAD(s, "bad version in KEYS");
		if (s->k_any && e.hash < s->k_last)
			return BAD(s, "KEYS out of order");
		s->k_any = true;
		s->k_last = e.hash;
		if (compare_key(s, &e))
			return s->err;
	}
	s->bye_ok = false;
	s->st.merkle_used = s->method != RUMORD_SYNC_NAIVE;
	return 0;
}

/* WANT: key hashes this end listed, in order, no more than it listed. */
static int on_want(struct rumord_sync *s, const unsigned char *b, size_t n)
{
	uint64_t lo = 0, hi = 0;
	uint32_t count;

	if (n < 4)
		return BAD(s, "short WANT");
	count = rumord_get_le32(b);
	if (!count || n != 4 + (size_t)count * 8)
		return BAD(s, "bad WANT length");
	if (s->peer_wants + count > s->st.keys_listed)
		return BAD(s, "WANT for more keys than were listed");
	s->peer_wants += count;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t h = rumord_get_le64(b + 4 + 8 * (size_t)i);

		if (s->w_any && h <= s->w_last)
			return BAD(s, "WANT out of order");
		s->w_any = true;
		s->w_last = h;
		while (s->wc_node < s->nfront) {
			rumord_merkle_range(s->level, s->front[s->wc_node], &lo, &hi);
			if (h <= hi)
				break;
			s->wc_node++;
		}
		if (s->wc_node == s->nfront || h < lo)
			return BAD(s, "WANT outside the differing nodes");
		if (queue_send(s, h))
			return s->err;
	}
	s->got_want = true;
	return 0;
}

/* BYE from the peer: the session is over, whole. */
static int on_bye(struct rumord_sync *s, bool may_cover)
{
	finish(s);
	return may_cover ? cover(s) : 0;
}

static int rx_dots(struct rumord_sync *s, uint8_t type,
		   const unsigned char *b, size_t n)
{
	switch (type) {
	case RUMORD_SYNC_RECORDS:
		return on_records(s, b, n);
	case RUMORD_SYNC_END:
		return init_dots_done(s);
	case RUMORD_SYNC_BYE:
		if (s->method != RUMORD_SYNC_AUTO)
			break;
		/* The peer saw our roots equal; cover only if they still are. */
		return on_bye(s, rumord_hash_eq(root_now(s), s->peer_root));
	}
	return BAD(s, "unexpected frame for the version-vector step");
}

static int rx_dots_last(struct rumord_sync *s, uint8_t type,
			const unsigned char *b, size_t n)
{
	switch (type) {
	case RUMORD_SYNC_RECORDS:
		if (s->rx_pos)
			break;
		return on_records(s, b, n);
	case RUMORD_SYNC_NODES:
		if (s->method != RUMORD_SYNC_AUTO)
			break;
		return on_nodes(s, b, n);
	case RUMORD_SYNC_END:
		if (s->method != RUMORD_SYNC_AUTO)
			break;
		return walk_open_reply(s);
	case RUMORD_SYNC_BYE:
		if (s->method != RUMORD_SYNC_BVV)
			break;
		return on_bye(s, false);
	}
	return BAD(s, "unexpected frame for the version-vector step");
}

static int rx_walk(struct rumord_sync *s, uint8_t type,
		   const unsigned char *b, size_t n)
{
	switch (type) {
	case RUMORD_SYNC_DIFF:
		return on_diff(s, b, n);
	case RUMORD_SYNC_NODES:
		return on_nodes(s, b, n);
	case RUMORD_SYNC_KEYS:
		return on_keys(s, b, n);
	case RUMORD_SYNC_END:
		if (s->opening)
			return walk_open_reply(s);
		if (!s->diff_done)
			return BAD(s, "END before the DIFF was complete");
		if (s->level == s->leaf)
			return keys_finish(s);
		if (s->rx_pos != s->nfront)
			return BAD(s, "END before every node's children");
		return walk_next(s);
	case RUMORD_SYNC_BYE:
		if (!s->bye_ok)
			break;
		return on_bye(s, true);
	}
	return BAD(s, "unexpected frame in the Merkle walk");
}

static int rx_reply(struct rumord_sync *s, uint8_t type,
		    const unsigned char *b, size_t n)
{
	switch (type) {
	case RUMORD_SYNC_RECORDS:
		if (s->got_want)
			break;
		return on_records(s, b, n);
	case RUMORD_SYNC_WANT:
		return on_want(s, b, n);
	case RUMORD_SYNC_END:
		/* The peer's records are in: we hold all it has; now ours. */
		if (cover(s))
			return s->err;
		PLAN(s, O_SEND, O_BYE);
		return 0;
	case RUMORD_SYNC_BYE:
		return on_bye(s, true);
	}
	return BAD(s, "unexpected frame after KEYS");
}

static int on_frame(struct rumord_sync *s, uint8_t type,
		    const unsigned char *b, size_t n)
{
	if (!type || type > RUMORD_SYNC_TYPE_MAX)
		return BAD(s, "unknown frame type");
	if (s->finished)
		return BAD(s, "frame after the end of the session");
	if (s->iplan < s->nplan)
		return BAD(s, "frame out of turn");
	if ((type == RUMORD_SYNC_END || type == RUMORD_SYNC_BYE) && n)
		return BAD(s, "END or BYE with a body");
	if (type == RUMORD_SYNC_END || type == RUMORD_SYNC_BYE)
		s->st.flights_received++;
	switch (s->rx) {
	case RX_HELLO:
		if (type != RUMORD_SYNC_HELLO)
			break;
		return on_hello(s, b, n);
	case RX_FIRST:
		if (type != RUMORD_SYNC_END)
			break;
		return resp_start(s);
	case RX_DOTS:
		return rx_dots(s, type, b, n);
	case RX_DOTS_LAST:
		return rx_dots_last(s, type, b, n);
	case RX_WALK:
		return rx_walk(s, type, b, n);
	case RX_REPLY:
		return rx_reply(s, type, b, n);
	case RX_FINAL:
		if (type == RUMORD_SYNC_RECORDS)
			return on_records(s, b, n);
		if (type == RUMORD_SYNC_BYE)
			return on_bye(s, true);
		break;
	case RX_NONE:
		break;
	}
	return BAD(s, "unexpected frame");
}

static int frame(struct rumord_sync *s, const unsigned char *f, size_t len)
{
	s->st.frames_received++;
	s->st.bytes_received += 4 + len;
	on_frame(s, f[0], f + 1, len - 1);
	return s->err;
}

static bool length_ok(uint32_t len)
{
	return len >= 1 && len <= RUMORD_SYNC_MAX_FRAME;
}

int rumord_sync_input(struct rumord_sync *s, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len && !s->err) {
		uint32_t flen;
		size_t need, n;

		/* Whole frames straight from the caller's buffer. */
		if (!s->in_len && len >= 4) {
			flen = rumord_get_le32(p);
			if (!length_ok(flen))
				return BAD(s, "bad frame length");
			if (len - 4 >= flen) {
				frame(s, p + 4, flen);
				p += 4 + (size_t)flen;
				len -= 4 + (size_t)flen;
				continue;
			}
		}
		/* Else gather one frame, no more, in our own buffer. */
		need = 4;
		if (s->in_len >= 4) {
			flen = rumord_get_le32(s->in);
			need = 4 + (size_t)flen;
		}
		if (RESERVE(s, s->in, s->in_cap, need))
			break;
		n = need - s->in_len < len ? need - s->in_len : len;
		memcpy(s->in + s->in_len, p, n);
		s->in_len += n;
		p += n;
		len -= n;
		if (s->in_len == 4 && !length_ok(rumord_get_le32(s->in)))
			return BAD(s, "bad frame length");
		if (s->in_len > 4 && s->in_len == 4 + (size_t)rumord_get_le32(s->in)) {
			s->in_len = 0;
			frame(s, s->in + 4, rumord_get_le32(s->in));
		}
	}
	return s->err;
}

long rumord_sync_output(struct rumord_sync *s, const void **buf)
{
	if (s->err)
		return s->err;
	fill(s);
	if (s->err)
		return s->err;
	*buf = s->out ? s->out + s->out_off : s->out;
	return (long)(s->out_len - s->out_off);
}

void rumord_sync_sent(struct rumord_sync *s, size_t n)
{
	size_t left = s->out_len - s->out_off;

	s->out_off += n < left ? n : left;
}

int rumord_sync_status(const struct rumord_sync *s)
{
	if (s->err)
		return s->err;
	return s->finished && s->iplan == s->nplan && s->out_off == s->out_len;
}

const char *rumord_sync_error(const struct rumord_sync *s)
{
	return s->why ? s->why : "";
}

const struct rumord_sync_stats *rumord_sync_stats(const struct rumord_sync *s)
{
	return &s->st;
}

const struct rumord_bvv *rumord_sync_peer_bvv(const struct rumord_sync *s)
{
	return s->have_peer_bvv ? &s->peer_bvv : NULL;
}

enum rumord_sync_method rumord_sync_method(const struct rumord_sync *s)
{
	return s->method;
}

struct rumord_sync *rumord_sync_new(const struct rumord_replica *rep,
				    bool initiator,
				    enum rumord_sync_method method)
{
	struct rumord_sync *s;

	if (method > RUMORD_SYNC_METHOD_MAX ||
	    (initiator && method == RUMORD_SYNC_ANY))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->rep = *rep;
	s->initiator = initiator;
	s->method = method;
	s->rx = RX_HELLO;
	rumord_bvv_init(&s->peer_bvv);
	if (!initiator)
		return s;
	snapshot(s);
	if (emit_hello(s))
		goto fail;
	if (method == RUMORD_SYNC_NAIVE || method == RUMORD_SYNC_MERKLE) {
		/* The root is the only node of the frontier, for now. */
		if (walk_begin(s))
			goto fail;
		s->rx = RX_HELLO;
	}
	if (method == RUMORD_SYNC_NAIVE)
		PLAN(s, O_KEYS, O_END);		/* every key's version */
	else if (method == RUMORD_SYNC_MERKLE)
		PLAN(s, O_NODES, O_END);	/* level 1: the root, in 16 */
	else
		PLAN(s, O_END);
	return s;
fail:
	rumord_sync_free(s);
	return NULL;
}

void rumord_sync_free(struct rumord_sync *s)
{
	if (!s)
		return;
	rumord_bvv_free(&s->peer_bvv);
	free(s->in);
	free(s->front);
	free(s->next);
	free(s->masks);
	free(s->mine);
	free(s->sendq);
	free(s->wantq);
	free(s->dotq);
	free(s->out);
	free(s);
}

/* Move what @from has to send into @to: bytes moved, or < 0. */
static long pump(struct rumord_sync *from, struct rumord_sync *to)
{
	const void *p = NULL;
	long n = rumord_sync_output(from, &p);
	int rc;

	if (n <= 0)
		return n;
	rc = rumord_sync_input(to, p, (size_t)n);
	rumord_sync_sent(from, (size_t)n);
	return rc < 0 ? rc : n;
}

int rumord_sync_pair(const struct rumord_replica *a,
		     const struct rumord_replica *b,
		     enum rumord_sync_method method,
		     struct rumord_sync_stats *sa, struct rumord_sync_stats *sb)
{
	struct rumord_sync *x = rumord_sync_new(a, true, method);
	struct rumord_sync *y = rumord_sync_new(b, false, RUMORD_SYNC_ANY);
	long n1, n2;
	int rc = 0;

	if (!x || !y)
		rc = -ENOMEM;
	while (!rc) {
		n1 = pump(x, y);
		n2 = n1 < 0 ? 0 : pump(y, x);
		if (n1 < 0 || n2 < 0) {
			rc = rumord_sync_status(x) < 0 ? rumord_sync_status(x) :
			     rumord_sync_status(y);
			break;
		}
		if (rumord_sync_status(x) == 1 && rumord_sync_status(y) == 1)
			break;
		if (!n1 && !n2)
			rc = -EPROTO;	/* neither can move: a bug, not the peer */
	}
	if (sa && x)
		*sa = x->st;
	if (sb && y)
		*sb = y->st;
	rumord_sync_free(x);
	rumord_sync_free(y);
	return rc;
}
