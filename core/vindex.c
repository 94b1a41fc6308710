/* vindex.c: the quantized vector index in the `vectors` database (layout in vindex.h). */
#include "vindex.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define HEAD_LEN 32
/* Codes start at byte 304 of a code block: LMDB's overflow pages carry their value 16
 * bytes into the page, so rows of a multiple of 64 codes start on a cache line. */
#define C_CODES 304
#define FULL_MASK (~(uint64_t)0)

typedef struct vx_head {
    uint32_t version, dim, block, next_slot;
    uint64_t live;
    uint32_t head; /* slots per head block */
} vx_head;

/* Byte sizes and offsets of the three blocks for one dimension. */
typedef struct vx_geom {
    size_t dim, w;                                /* codes and sign-bit bytes per vector */
    size_t h_size, h_tags, h_norm, h_err, h_bits; /* head block (live masks at 0) */
    size_t c_size, c_codes;                       /* code block (scales at 0) */
    size_t d_size;                                /* id block */
} vx_geom;

static void geom_init(vx_geom *g, uint32_t dim)
{
    g->dim = dim;
    g->w = 8 * (((size_t)dim + 63) / 64);
    g->h_tags = 8 * (VINDEX_HEAD / VINDEX_BLOCK);
    g->h_norm = g->h_tags + 8 * VINDEX_HEAD;
    g->h_err = g->h_norm + 4 * VINDEX_HEAD;
    g->h_bits = g->h_err + VINDEX_HEAD;
    g->h_size = g->h_bits + g->w * VINDEX_HEAD;
    g->c_codes = C_CODES;
    g->c_size = g->c_codes + (size_t)dim * VINDEX_BLOCK;
    g->d_size = 16 * VINDEX_BLOCK;
}

/* ---- Encoding ----------------------------------------------------------------------- */

/* Little-endian fields: a plain load on little-endian hosts (every supported one). */
static inline uint32_t le32_get(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline void le32_put(uint8_t *p, uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    memcpy(p, &v, 4);
}

static inline uint64_t le64_get(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline void le64_put(uint8_t *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

static inline float f32_get(const uint8_t *p)
{
    uint32_t u = le32_get(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline void f32_put(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    le32_put(p, u);
}

static MDB_val key_num(uint8_t *buf, char kind, uint32_t n)
{
    buf[0] = (uint8_t)kind;
    buf[1] = (uint8_t)(n >> 24);
    buf[2] = (uint8_t)(n >> 16);
    buf[3] = (uint8_t)(n >> 8);
    buf[4] = (uint8_t)n;
    return (MDB_val){5, buf};
}

static uint32_t key_num_get(const MDB_val *k)
{
    const uint8_t *p = k->mv_data;
    return (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
}

static MDB_val key_id(uint8_t *buf, const uint8_t id[16])
{
    buf[0] = 'I';
    memcpy(buf + 1, id, 16);
    return (MDB_val){17, buf};
}

static const uint8_t key_head_byte = 'G';

static int damaged(mem0_err *err, const char *what)
{
    return err_set(err, MEM0_EIO, "the vector index is damaged (%s); run `mem0-mcp reindex`", what);
}

/* 1 and *h when the header exists, 0 when the index is empty, negative on error. */
static int head_read(MDB_txn *txn, const store_dbs *db, vx_head *h, mem0_err *err)
{
    MDB_val k = {1, (void *)&key_head_byte}, v;
    memset(h, 0, sizeof *h);
    int rc = mdb_get(txn, db->vectors, &k, &v);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return store_fail(err, rc, "mdb_get(vectors header)");
    const uint8_t *p = v.mv_data;
    if (v.mv_size < HEAD_LEN) return damaged(err, "short header");
    h->version = le32_get(p);
    h->dim = le32_get(p + 4);
    h->block = le32_get(p + 8);
    h->next_slot = le32_get(p + 12);
    h->live = le64_get(p + 16);
    h->head = le32_get(p + 24);
    if (h->version != VINDEX_VERSION)
        return err_set(err, MEM0_ESCHEMA,
                       "the vector index has version %u, this build reads %d; run `mem0-mcp "
                       "reindex`",
                       h->version, VINDEX_VERSION);
    if (h->block != VINDEX_BLOCK || h->head != VINDEX_HEAD || h->dim == 0 ||
        h->dim > VINDEX_DIM_MAX || h->live > h->next_slot)
        return damaged(err, "bad header");
    return 1;
}

static int head_write(MDB_txn *txn, const store_dbs *db, const vx_head *h, mem0_err *err)
{
    uint8_t buf[HEAD_LEN] = {0};
    le32_put(buf, h->version);
    le32_put(buf + 4, h->dim);
    le32_put(buf + 8, h->block);
    le32_put(buf + 12, h->next_slot);
    le64_put(buf + 16, h->live);
    le32_put(buf + 24, h->head);
    MDB_val k = {1, (void *)&key_head_byte}, v = {HEAD_LEN, buf};
    int rc = mdb_put(txn, db->vectors, &k, &v, 0);
    return rc ? store_fail(err, rc, "mdb_put(vectors header)") : 0;
}

/* The slot of id: 1 and *slot, 0 when id has no vector, negative on error. */
static int slot_of(MDB_txn *txn, const store_dbs *db, const uint8_t id[16], uint32_t *slot,
                   mem0_err *err)
{
    uint8_t kb[17];
    MDB_val k = key_id(kb, id), v;
    int rc = mdb_get(txn, db->vectors, &k, &v);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return store_fail(err, rc, "mdb_get(vectors id)");
    if (v.mv_size != 4) return damaged(err, "id map entry");
    *slot = le32_get(v.mv_data);
    return 1;
}

/* Block `kind` number b: *p points at it (its size checked), or NULL when absent. */
static int block_get(MDB_txn *txn, const store_dbs *db, char kind, uint32_t b, size_t size,
                     const uint8_t **p, mem0_err *err)
{
    uint8_t kb[5];
    MDB_val k = key_num(kb, kind, b), v;
    *p = NULL;
    int rc = mdb_get(txn, db->vectors, &k, &v);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return store_fail(err, rc, "mdb_get(vectors block)");
    if (v.mv_size != size) return damaged(err, "block size");
    *p = v.mv_data;
    return 0;
}

/* Whether slot is live in its head block hb. */
static int head_live(const uint8_t *hb, uint32_t slot)
{
    uint32_t i = slot % VINDEX_HEAD;
    return (int)(le64_get(hb + 8 * (i / VINDEX_BLOCK)) >> (i % VINDEX_BLOCK) & 1);
}

/* ---- Maintenance -------------------------------------------------------------------- */

typedef struct slot_data {
    const uint8_t *id; /* NULL: clear the slot */
    uint64_t tag;
    float scale, nf; /* nf: |v|^2 / |v|_1, the coarse estimate's factor */
    uint8_t err;     /* its error scale in 1/512ths */
    const int8_t *codes;
    const uint8_t *bits;
} slot_data;

/* Writes slot idx of one block, or zeroes it (s->id NULL). */
typedef void (*slot_edit_fn)(uint8_t *block, size_t idx, const vx_geom *g, const slot_data *s);

static void edit_head(uint8_t *blk, size_t idx, const vx_geom *g, const slot_data *s)
{
    uint8_t *word = blk + 8 * (idx / VINDEX_BLOCK);
    uint64_t mask = le64_get(word), bit = (uint64_t)1 << (idx % VINDEX_BLOCK);
    le64_put(word, s->id ? mask | bit : mask & ~bit);
    le64_put(blk + g->h_tags + 8 * idx, s->id ? s->tag : 0);
    f32_put(blk + g->h_norm + 4 * idx, s->id ? s->nf : 0.0f);
    blk[g->h_err + idx] = s->id ? s->err : 0;
    uint8_t *group = blk + g->h_bits + g->w * VINDEX_GROUP * (idx / VINDEX_GROUP);
    vindex_group_set(group, g->w, (int)(idx % VINDEX_GROUP), s->id ? s->bits : NULL);
}

static void edit_codes(uint8_t *blk, size_t idx, const vx_geom *g, const slot_data *s)
{
    f32_put(blk + 4 * idx, s->id ? s->scale : 0.0f);
    if (s->id)
        memcpy(blk + g->c_codes + g->dim * idx, s->codes, g->dim);
    else
        memset(blk + g->c_codes + g->dim * idx, 0, g->dim);
}

static void edit_ids(uint8_t *blk, size_t idx, const vx_geom *g, const slot_data *s)
{
    (void)g;
    if (s->id)
        memcpy(blk + 16 * idx, s->id, 16);
    else
        memset(blk + 16 * idx, 0, 16);
}

/* Rewrites slot idx of block `kind` b through a scratch copy of the block: blocks are
 * fixed-size, so LMDB rewrites a block changed twice in one transaction in place. */
static int block_edit(MDB_txn *txn, const store_dbs *db, char kind, uint32_t b, size_t size,
                      size_t idx, const vx_geom *g, slot_edit_fn edit, const slot_data *s,
                      uint8_t *scratch, mem0_err *err)
{
    const uint8_t *old;
    int rc = block_get(txn, db, kind, b, size, &old, err);
    if (rc) return rc;
    if (old)
        memcpy(scratch, old, size);
    else
        memset(scratch, 0, size);
    edit(scratch, idx, g, s);
    uint8_t kb[5];
    MDB_val k = key_num(kb, kind, b), v = {size, scratch};
    rc = mdb_put(txn, db->vectors, &k, &v, 0);
    return rc ? store_fail(err, rc, "mdb_put(vectors block)") : 0;
}

/* Writes (or clears, s->id NULL) slot `slot` in its three blocks. */
static int slot_write(MDB_txn *txn, const store_dbs *db, const vx_geom *g, uint32_t slot,
                      const slot_data *s, mem0_err *err)
{
    uint8_t *scratch = malloc(g->c_size > g->h_size ? g->c_size : g->h_size);
    if (!scratch) return err_set(err, MEM0_ENOMEM, "vector index: out of memory");
    uint32_t b = slot / VINDEX_BLOCK;
    size_t i = slot % VINDEX_BLOCK;
    int rc = block_edit(txn, db, 'H', slot / VINDEX_HEAD, g->h_size, slot % VINDEX_HEAD, g,
                        edit_head, s, scratch, err);
    if (rc == 0) rc = block_edit(txn, db, 'C', b, g->c_size, i, g, edit_codes, s, scratch, err);
    if (rc == 0) rc = block_edit(txn, db, 'D', b, g->d_size, i, g, edit_ids, s, scratch, err);
    free(scratch);
    return rc;
}

/* Takes the lowest free slot, or a new one at the high-water mark. */
static int slot_alloc(MDB_txn *txn, const store_dbs *db, vx_head *h, uint32_t *slot, mem0_err *err)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->vectors, &cur);
    if (rc) return store_fail(err, rc, "mdb_cursor_open(vectors)");
    uint8_t kb[5];
    MDB_val k = key_num(kb, 'F', 0), v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (rc == 0 && k.mv_size == 5 && ((const uint8_t *)k.mv_data)[0] == 'F') {
        *slot = key_num_get(&k);
        rc = mdb_cursor_del(cur, 0);
        mdb_cursor_close(cur);
        return rc ? store_fail(err, rc, "mdb_cursor_del(vectors free)") : 0;
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return store_fail(err, rc, "mdb_cursor_get(vectors free)");
    if (h->next_slot == UINT32_MAX) return err_set(err, MEM0_EINVAL, "the vector index is full");
    *slot = h->next_slot++;
    return 0;
}

/* The coarse estimate of <q, v> is <q, sign(v)> * nf with nf = |v|^2 / |v|_1 (exact when v
 * is its own sign pattern).  For a unit v whose normalised sign vector x has cosine
 * f = |v|_1 / sqrt(dim) with v, the error is sqrt(1 / f^2 - 1) times the component of q
 * along a direction orthogonal to x, about 1 / sqrt(dim - 1) for a query in no special
 * direction (the analysis of RaBitQ, Gao & Long, SIGMOD 2024); *err is that scale in
 * 1/512ths, rounded up. */
static void coarse_factors(const float *v, int dim, float l1, float *nf, uint8_t *err)
{
    double n2 = 0;
    for (int i = 0; i < dim; i++)
        if (isfinite(v[i])) n2 += (double)v[i] * v[i];
    *nf = 0;
    *err = 0;
    if (l1 <= 0 || n2 <= 0) return;
    *nf = (float)(n2 / l1);
    if (dim < 2) return;
    double f = l1 / sqrt((double)dim * n2);
    double e = sqrt(n2) * sqrt(fmax(0, 1 / (f * f) - 1) / (dim - 1));
    double u = ceil(e * 512);
    *err = (uint8_t)(u > 255 ? 255 : u);
}

int vindex_put(MDB_txn *txn, const store_dbs *db, const uint8_t id[16], uint64_t tag,
               const float *vec, int dim, mem0_err *err)
{
    if (dim < 1 || dim > VINDEX_DIM_MAX)
        return err_set(err, MEM0_EINVAL, "vector dimension %d is out of 1..%d", dim,
                       VINDEX_DIM_MAX);
    vx_head h;
    int rc = head_read(txn, db, &h, err);
    if (rc < 0) return rc;
    if (rc == 1 && h.dim != (uint32_t)dim && h.live == 0) {
        if ((rc = vindex_clear(txn, db, err))) return rc; /* nothing to mix with */
    }
    if (rc == 0) {
        h = (vx_head){VINDEX_VERSION, (uint32_t)dim, VINDEX_BLOCK, 0, 0, VINDEX_HEAD};
    } else if (h.dim != (uint32_t)dim) {
        return err_set(err, MEM0_EINVAL,
                       "the vector index holds %u-dimensional vectors, not %d; run `mem0-mcp "
                       "reindex`",
                       h.dim, dim);
    }
    vx_geom g;
    geom_init(&g, (uint32_t)dim);
    int8_t *codes = malloc((size_t)dim + g.w);
    if (!codes) return err_set(err, MEM0_ENOMEM, "vector index: out of memory");
    uint8_t *bits = (uint8_t *)codes + dim;
    slot_data s = {id, tag, vindex_quantize(vec, dim, codes), 0, 0, codes, bits};
    coarse_factors(vec, dim, vindex_signs(vec, dim, bits, g.w), &s.nf, &s.err);

    uint32_t slot;
    rc = slot_of(txn, db, id, &slot, err);
    if (rc == 0) { /* a new vector */
        uint8_t kb[17], vb[4];
        if ((rc = slot_alloc(txn, db, &h, &slot, err))) goto out;
        le32_put(vb, slot);
        MDB_val k = key_id(kb, id), v = {4, vb};
        if ((rc = mdb_put(txn, db->vectors, &k, &v, 0))) {
            rc = store_fail(err, rc, "mdb_put(vectors id)");
            goto out;
        }
        h.live++;
    } else if (rc < 0) {
        goto out;
    }
    if ((rc = slot_write(txn, db, &g, slot, &s, err))) goto out;
    rc = head_write(txn, db, &h, err);
out:
    free(codes);
    return rc;
}

int vindex_delete(MDB_txn *txn, const store_dbs *db, const uint8_t id[16], mem0_err *err)
{
    vx_head h;
    uint32_t slot;
    int rc = head_read(txn, db, &h, err);
    if (rc <= 0) return rc;
    if ((rc = slot_of(txn, db, id, &slot, err)) <= 0) return rc;
    if (slot >= h.next_slot || h.live == 0) return damaged(err, "id map past the slots");
    vx_geom g;
    geom_init(&g, h.dim);
    slot_data s = {0};
    if ((rc = slot_write(txn, db, &g, slot, &s, err))) return rc;
    uint8_t kb[17], fb[5];
    MDB_val k = key_id(kb, id), fk = key_num(fb, 'F', slot), empty = {0, NULL};
    if ((rc = mdb_del(txn, db->vectors, &k, NULL)))
        return store_fail(err, rc, "mdb_del(vectors id)");
    if ((rc = mdb_put(txn, db->vectors, &fk, &empty, 0)))
        return store_fail(err, rc, "mdb_put(vectors free)");
    h.live--;
    return head_write(txn, db, &h, err);
}

int vindex_clear(MDB_txn *txn, const store_dbs *db, mem0_err *err)
{
    int rc = mdb_drop(txn, db->vectors, 0);
    return rc ? store_fail(err, rc, "mdb_drop(vectors)") : 0;
}

/* ---- Reading ------------------------------------------------------------------------ */

int vindex_get_info(MDB_txn *txn, const store_dbs *db, vindex_info *info, mem0_err *err)
{
    vx_head h;
    memset(info, 0, sizeof *info);
    int rc = head_read(txn, db, &h, err);
    if (rc < 0) return rc;
    info->dim = (int)h.dim;
    info->live = h.live;
    info->slots = h.next_slot;
    MDB_stat st;
    if ((rc = mdb_stat(txn, db->vectors, &st))) return store_fail(err, rc, "mdb_stat(vectors)");
    info->bytes = (uint64_t)st.ms_psize *
                  ((uint64_t)st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages);
    return 0;
}

int vindex_get(MDB_txn *txn, const store_dbs *db, const uint8_t id[16], int8_t *codes, int dim,
               float *scale, uint64_t *tag, mem0_err *err)
{
    vx_head h;
    uint32_t slot;
    int rc = head_read(txn, db, &h, err);
    if (rc < 0) return rc;
    if (rc == 0 || (rc = slot_of(txn, db, id, &slot, err)) == 0)
        return err_set(err, MEM0_ENOTFOUND, "no vector for this memory");
    if (rc < 0) return rc;
    if (h.dim != (uint32_t)dim)
        return err_set(err, MEM0_EINVAL, "the vector index holds %u-dimensional vectors, not %d",
                       h.dim, dim);
    vx_geom g;
    geom_init(&g, h.dim);
    const uint8_t *hb, *cb, *db_;
    uint32_t b = slot / VINDEX_BLOCK;
    size_t i = slot % VINDEX_BLOCK;
    if ((rc = block_get(txn, db, 'H', slot / VINDEX_HEAD, g.h_size, &hb, err)) ||
        (rc = block_get(txn, db, 'C', b, g.c_size, &cb, err)) ||
        (rc = block_get(txn, db, 'D', b, g.d_size, &db_, err)))
        return rc;
    if (!hb || !cb || !db_ || !head_live(hb, slot) || memcmp(db_ + 16 * i, id, 16) != 0)
        return damaged(err, "id map points at another slot");
    memcpy(codes, cb + g.c_codes + g.dim * i, g.dim);
    *scale = f32_get(cb + 4 * i);
    if (tag) *tag = le64_get(hb + g.h_tags + 8 * (slot % VINDEX_HEAD));
    return 0;
}

/* ---- Search: ranking helpers -------------------------------------------------------- */

/* Exact results are ranked by key = dot(query codes, codes) * scale (the query's scale is
 * common to all), then by id; the heap keeps the best `cap`, its root the worst kept. */
typedef struct hit_ent {
    double key;
    uint8_t id[16];
} hit_ent;

typedef struct hit_heap {
    hit_ent *v;
    size_t n, cap;
} hit_heap;

/* 1 if a ranks below b. */
static int hit_worse(const hit_ent *a, const hit_ent *b)
{
    if (a->key != b->key) return a->key < b->key;
    return memcmp(a->id, b->id, 16) > 0;
}

static void hit_offer(hit_heap *hp, double key, const uint8_t *id)
{
    hit_ent e;
    size_t i;
    if (hp->n == hp->cap) {
        if (key < hp->v[0].key) return; /* the common case, decided without the id */
        e.key = key;
        memcpy(e.id, id, 16);
        if (!hit_worse(&hp->v[0], &e)) return;
        hp->v[0] = e;
        for (i = 0;;) { /* sift down */
            size_t l = 2 * i + 1, r = l + 1, m = i;
            if (l < hp->n && hit_worse(&hp->v[l], &hp->v[m])) m = l;
            if (r < hp->n && hit_worse(&hp->v[r], &hp->v[m])) m = r;
            if (m == i) return;
            hit_ent t = hp->v[i];
            hp->v[i] = hp->v[m];
            hp->v[m] = t;
            i = m;
        }
    }
    i = hp->n++;
    hp->v[i].key = key;
    memcpy(hp->v[i].id, id, 16);
    while (i > 0) { /* sift up */
        size_t p = (i - 1) / 2;
        if (!hit_worse(&hp->v[i], &hp->v[p])) break;
        hit_ent t = hp->v[i];
        hp->v[i] = hp->v[p];
        hp->v[p] = t;
        i = p;
    }
}

static int hit_cmp_best_first(const void *a, const void *b)
{
    const hit_ent *x = a, *y = b;
    return hit_worse(x, y) ? 1 : hit_worse(y, x) ? -1 : 0;
}

/* Coarse candidates, ranked by their estimate, then by slot (a strict order). */
typedef struct cand {
    double key;
    uint32_t slot;
} cand;

static int cand_better(const cand *a, const cand *b)
{
    return a->key != b->key ? a->key > b->key : a->slot < b->slot;
}

static void cand_swap(cand *a, cand *b)
{
    cand t = *a;
    *a = *b;
    *b = t;
}

/* Reorders v[0..n) so that its best k (0 < k <= n) come first, in no particular order
 * (quickselect; the order is strict, so the set is the same on every run). */
static void cand_select(cand *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        /* Median of three as the pivot, moved to v[hi]. */
        if (cand_better(&v[mid], &v[lo])) cand_swap(&v[mid], &v[lo]);
        if (cand_better(&v[hi], &v[lo])) cand_swap(&v[hi], &v[lo]);
        if (cand_better(&v[mid], &v[hi])) cand_swap(&v[mid], &v[hi]);
        cand pivot = v[hi];
        size_t p = lo;
        for (size_t i = lo; i < hi; i++)
            if (cand_better(&v[i], &pivot)) cand_swap(&v[i], &v[p++]);
        cand_swap(&v[p], &v[hi]); /* v[lo..p) are better than v[p], v(p..hi] worse */
        if (p + 1 == k || p == k) return;
        if (p > k)
            hi = p - 1;
        else
            lo = p + 1;
    }
}

static int cand_by_slot(const void *a, const void *b)
{
    uint32_t x = ((const cand *)a)->slot, y = ((const cand *)b)->slot;
    return x < y ? -1 : x > y;
}

/* ---- Search: scans ------------------------------------------------------------------ */

#define COARSE_SIGMAS 2.5 /* the bound: estimate + this many error scales */
#define COARSE_FIRST 64   /* candidates scored exactly at a time, at least */
#define COARSE_PILOT 512  /* the first candidates, scored early to start dropping others */

typedef struct search_state {
    MDB_txn *txn;
    const store_dbs *db;
    const vindex_query *q;
    const vindex_kernels *k;
    vx_geom g;
    int8_t *qcodes; /* dim int8 codes of the query */
    uint8_t *lut;   /* the coarse pass's tables: 32 * w bytes */
    int32_t csum;
    double qscale, delta; /* of the int8 codes and of the coarse codes */
    uint32_t sums[VINDEX_BLOCK];
    vindex_stats st;
    int32_t dots[VINDEX_BLOCK];
    MDB_cursor *cur[3]; /* H, C, D */
    uint32_t nblocks;   /* code (and id) blocks: ceil(high-water slot / 64) */
} search_state;

/* One cursor move among the blocks of one kind: MDB_NOTFOUND past the last of them. */
static int block_step(MDB_cursor *c, char kind, MDB_cursor_op op, uint32_t want, uint32_t *b,
                      MDB_val *v)
{
    uint8_t kb[5];
    MDB_val k = key_num(kb, kind, want);
    int rc = mdb_cursor_get(c, &k, v, op);
    if (rc) return rc;
    if (k.mv_size != 5 || ((const uint8_t *)k.mv_data)[0] != (uint8_t)kind) return MDB_NOTFOUND;
    *b = key_num_get(&k);
    return 0;
}

/* The live slots of the 64 of code block b, sub-block j of head block hb, that pass the
 * tag set and the keep predicate (which reads the id block, into *dblk). */
static uint64_t block_kept(search_state *s, const uint8_t *hb, size_t j, uint32_t b,
                           const uint8_t **dblk, int *rc, mem0_err *err)
{
    uint64_t mask = le64_get(hb + 8 * j);
    const uint8_t *tags = hb + s->g.h_tags + 8 * VINDEX_BLOCK * j;
    const vindex_query *q = s->q;
    if (mask && q->ntags > 0 && q->tags) {
        for (uint64_t m = mask; m; m &= m - 1) {
            int i = __builtin_ctzll(m);
            uint64_t tag = le64_get(tags + 8 * (size_t)i);
            int hit = 0;
            for (int t = 0; t < q->ntags && !hit; t++)
                hit = q->tags[t] == tag;
            if (!hit) mask &= ~((uint64_t)1 << i);
        }
    }
    if (mask && q->keep) {
        if (!*dblk && (*rc = block_get(s->txn, s->db, 'D', b, s->g.d_size, dblk, err))) return 0;
        if (!*dblk) {
            *rc = damaged(err, "missing id block");
            return 0;
        }
        for (uint64_t m = mask; m; m &= m - 1) {
            int i = __builtin_ctzll(m);
            if (!q->keep(*dblk + 16 * (size_t)i, le64_get(tags + 8 * (size_t)i), q->keep_ctx))
                mask &= ~((uint64_t)1 << i);
        }
    }
    s->st.kept += (uint64_t)__builtin_popcountll(mask);
    return mask;
}

/* Moves cursor c (walking blocks of kind forward) to block want: a few steps when it is
 * near, a lookup otherwise.  *at is the block it is on (UINT32_MAX before the first). */
static int block_seek(MDB_cursor *c, char kind, uint32_t want, uint32_t *at, size_t size,
                      const uint8_t **p, mem0_err *err)
{
    MDB_val v;
    uint32_t b = *at;
    int rc = MDB_NOTFOUND;
    if (b != UINT32_MAX && want > b && want - b <= 8) {
        while (b < want && (rc = block_step(c, kind, MDB_NEXT, 0, &b, &v)) == 0)
            ;
    } else {
        rc = block_step(c, kind, MDB_SET_KEY, want, &b, &v);
    }
    if (rc && rc != MDB_NOTFOUND) return store_fail(err, rc, "mdb_cursor_get(vectors)");
    if (rc || b != want || v.mv_size != size) return damaged(err, "missing block");
    *at = b;
    *p = v.mv_data;
    return 0;
}

/* Blocks of one kind in key order, read STREAM_AHEAD ahead: a block's bytes
 * [pf_from, pf_from + pf_len) are prefetched when it is read, so that memory works while
 * the blocks before it are scored (the pages of one block are not contiguous in memory
 * with the previous block's, so the hardware cannot guess them). */
#define STREAM_AHEAD 4

typedef struct stream {
    MDB_cursor *c;
    char kind;
    size_t size, pf_from, pf_len;
    int started, ended;
    unsigned head, count; /* a ring of blocks read ahead */
    uint32_t nb[STREAM_AHEAD];
    MDB_val nv[STREAM_AHEAD];
} stream;

static void stream_init(stream *st, MDB_cursor *c, char kind, size_t size, size_t pf_from,
                        size_t pf_len)
{
    memset(st, 0, sizeof *st);
    st->c = c;
    st->kind = kind;
    st->size = size;
    st->pf_from = pf_from;
    st->pf_len = pf_len;
}

/* 1 and the next block, 0 past the last, negative on error. */
static int stream_next(stream *st, uint32_t *b, const uint8_t **p, mem0_err *err)
{
    while (!st->ended && st->count < STREAM_AHEAD) {
        unsigned at = (st->head + st->count) % STREAM_AHEAD;
        int rc = block_step(st->c, st->kind, st->started ? MDB_NEXT : MDB_SET_RANGE, 0, &st->nb[at],
                            &st->nv[at]);
        st->started = 1;
        if (rc == MDB_NOTFOUND) {
            st->ended = 1;
            break;
        }
        if (rc) return store_fail(err, rc, "mdb_cursor_get(vectors)");
        if (st->nv[at].mv_size == st->size) {
            const char *q = (const char *)st->nv[at].mv_data + st->pf_from;
            for (size_t off = 0; off < st->pf_len; off += 64)
                __builtin_prefetch(q + off, 0, 1);
        }
        st->count++;
    }
    if (st->count == 0) return 0;
    unsigned at = st->head;
    if (st->nv[at].mv_size != st->size) return damaged(err, "block size");
    *b = st->nb[at];
    *p = st->nv[at].mv_data;
    st->head = (st->head + 1) % STREAM_AHEAD;
    st->count--;
    return 1;
}

/* Exact: head and code blocks walked in step, every kept vector scored; the id block is
 * read only for vectors that enter the heap. */
static int scan_exact(search_state *s, hit_heap *hp, mem0_err *err)
{
    uint32_t at_d = UINT32_MAX;
    stream sh, sc;
    stream_init(&sh, s->cur[0], 'H', s->g.h_size, 0, s->g.h_norm);
    stream_init(&sc, s->cur[1], 'C', s->g.c_size, s->g.c_codes, 2048);
    for (;;) {
        uint32_t bh;
        const uint8_t *hb;
        int rh = stream_next(&sh, &bh, &hb, err);
        if (rh <= 0) return rh;
        for (size_t j = 0; j < VINDEX_HEAD / VINDEX_BLOCK; j++) {
            uint32_t want = bh * (VINDEX_HEAD / VINDEX_BLOCK) + (uint32_t)j, bc;
            if (want >= s->nblocks) break;
            const uint8_t *cb, *dblk = NULL;
            int rc = stream_next(&sc, &bc, &cb, err);
            if (rc < 0) return rc;
            if (rc == 0 || bc != want) return damaged(err, "blocks out of step");
            int krc = 0;
            uint64_t mask = block_kept(s, hb, j, bc, &dblk, &krc, err);
            if (krc) return krc;
            if (!mask) continue;
            const int8_t *codes = (const int8_t *)(cb + s->g.c_codes);
            s->st.rescored += (uint64_t)__builtin_popcountll(mask);
            if (mask == FULL_MASK) {
                s->k->dot_rows(s->qcodes, codes, s->g.dim, VINDEX_BLOCK, s->dots);
            } else {
                for (uint64_t m = mask; m; m &= m - 1) {
                    size_t i = (size_t)__builtin_ctzll(m);
                    s->dots[i] = s->k->dot(s->qcodes, codes + s->g.dim * i, s->g.dim);
                }
            }
            for (; mask; mask &= mask - 1) {
                size_t i = (size_t)__builtin_ctzll(mask);
                double key = (double)s->dots[i] * f32_get(cb + 4 * i);
                if (hp->n == hp->cap && key < hp->v[0].key) continue;
                if (!dblk) {
                    int r = block_seek(s->cur[2], 'D', bc, &at_d, s->g.d_size, &dblk, err);
                    if (r) return r;
                }
                hit_offer(hp, key, dblk + 16 * i);
            }
        }
    }
}

/* Re-scores the candidates cv[0..n) exactly into the heap: first each one's row is found
 * (blocks in slot order) and prefetched, then scored, so the memory latency of rows
 * scattered over the file overlaps; the id block is read only for rows that enter the
 * heap. */
static int rerank_exact(search_state *s, cand *cv, size_t n, hit_heap *hp, mem0_err *err)
{
    s->st.rescored += n;
    if (n == 0) return 0;
    qsort(cv, n, sizeof *cv, cand_by_slot);
    const uint8_t **rows = malloc(2 * n * sizeof *rows); /* each: its codes, its scale */
    if (!rows) return err_set(err, MEM0_ENOMEM, "vector search: out of memory");
    uint32_t at_c = UINT32_MAX, at_d = UINT32_MAX;
    const uint8_t *cb = NULL, *dblk = NULL;
    int rc = 0;
    for (size_t j = 0; j < n; j++) {
        uint32_t b = cv[j].slot / VINDEX_BLOCK;
        size_t i = cv[j].slot % VINDEX_BLOCK;
        if (b != at_c && (rc = block_seek(s->cur[1], 'C', b, &at_c, s->g.c_size, &cb, err)))
            goto out;
        rows[2 * j] = cb + s->g.c_codes + s->g.dim * i;
        rows[2 * j + 1] = cb + 4 * i;
        __builtin_prefetch(rows[2 * j + 1], 0, 1);
        for (size_t off = 0; off < s->g.dim; off += 64)
            __builtin_prefetch(rows[2 * j] + off, 0, 1);
    }
    for (size_t j = 0; j < n; j++) {
        double key = (double)s->k->dot(s->qcodes, (const int8_t *)rows[2 * j], s->g.dim) *
                     f32_get(rows[2 * j + 1]);
        if (hp->n == hp->cap && key < hp->v[0].key) continue;
        uint32_t b = cv[j].slot / VINDEX_BLOCK;
        if (b != at_d && (rc = block_seek(s->cur[2], 'D', b, &at_d, s->g.d_size, &dblk, err)))
            goto out;
        hit_offer(hp, key, dblk + 16 * (cv[j].slot % VINDEX_BLOCK));
    }
out:
    free(rows);
    return rc;
}

/* The coarse candidates in flight: bounds at or above `cut` may still make the results. */
typedef struct coarse_buf {
    cand *v;
    size_t n, size;
    size_t left;      /* how many more may be scored exactly (the cap) */
    size_t scan_left; /* of them, how many while the scan runs (half the cap): the rest is
                         kept for the best bounds of the whole scan */
    double cut;       /* the n-th best exact score so far, or the worst bound kept once `left`
                         candidates are held, whichever is higher */
} coarse_buf;

/* Scores the best k bounds exactly, drops the candidates whose bound falls below the n-th
 * best exact score, and keeps at most `left` of the rest (the best bounds). */
static int coarse_flush(search_state *s, coarse_buf *cb, size_t k, hit_heap *hp, mem0_err *err)
{
    if (k > cb->n) k = cb->n;
    if (k > cb->left) k = cb->left;
    if (k < cb->n) cand_select(cb->v, cb->n, k);
    int rc = rerank_exact(s, cb->v, k, hp, err);
    if (rc) return rc;
    cb->left -= k;
    cb->scan_left = cb->scan_left > k ? cb->scan_left - k : 0;
    if (hp->n == hp->cap && hp->v[0].key * s->qscale > cb->cut) cb->cut = hp->v[0].key * s->qscale;
    size_t m = 0;
    for (size_t j = k; j < cb->n; j++)
        if (cb->v[j].key >= cb->cut) cb->v[m++] = cb->v[j];
    cb->n = m;
    if (cb->n > cb->left) {
        if (cb->left) cand_select(cb->v, cb->n, cb->left);
        cb->n = cb->left;
        double worst = INFINITY;
        for (size_t j = 0; j < cb->n; j++)
            worst = fmin(worst, cb->v[j].key);
        if (cb->n && worst > cb->cut) cb->cut = worst;
        if (!cb->n) cb->cut = INFINITY;
    }
    return 0;
}

/* Coarse: from the head blocks alone, each kept vector gets an estimate of its cosine
 * (sign bits against the query's 4-bit codes) and an upper bound (estimate + COARSE_SIGMAS
 * times its error scale).  Candidates gather in a buffer; when it fills, the best bounds
 * are scored exactly, which raises the n-th best exact score, and every candidate whose
 * bound falls below it is dropped (and later ones are never kept).  At the end the rest
 * are scored best bound first until none can reach the results, or `cap` are scored. */
static int scan_coarse(search_state *s, size_t cap, hit_heap *hp, mem0_err *err)
{
    coarse_buf cb = {NULL, 0, 2 * cap, cap, cap / 2, -INFINITY};
    size_t trigger = cb.size < COARSE_PILOT ? cb.size : COARSE_PILOT;
    int rc = 0;
    if (!(cb.v = malloc(cb.size * sizeof *cb.v)))
        return err_set(err, MEM0_ENOMEM, "vector search: out of memory");
    /* Per query: the estimate is delta * (2 t - csum) * nf; its error scale is
     * err / 512 (the vector's sign quantization) + cq * nf (the query's 4-bit codes). */
    float fdelta = (float)s->delta,
          fcq = (float)(s->delta * sqrt((double)s->g.dim / 12.0)) * (float)COARSE_SIGMAS,
          fce = (float)(COARSE_SIGMAS / 512.0), ubs[VINDEX_BLOCK];
    uint32_t bias = (uint32_t)VINDEX_LUT_BIAS * 2 * (uint32_t)s->g.w;
    stream sh;
    stream_init(&sh, s->cur[0], 'H', s->g.h_size, 0, s->g.h_size);
    for (;;) {
        uint32_t bh;
        const uint8_t *hb;
        if ((rc = stream_next(&sh, &bh, &hb, err)) <= 0) break;
        rc = 0;
        for (size_t j = 0; j < VINDEX_HEAD / VINDEX_BLOCK; j++) {
            uint32_t b = bh * (VINDEX_HEAD / VINDEX_BLOCK) + (uint32_t)j;
            const uint8_t *dblk = NULL;
            if (b >= s->nblocks) break;
            uint64_t mask = block_kept(s, hb, j, b, &dblk, &rc, err);
            if (rc) goto out;
            if (!mask) continue;
            const uint8_t *bits = hb + s->g.h_bits + s->g.w * VINDEX_BLOCK * j;
            for (size_t gi = 0; gi < VINDEX_BLOCK / VINDEX_GROUP; gi++)
                if (mask >> (gi * VINDEX_GROUP) & 0xffffffffu)
                    s->k->coarse_group(s->lut, bits + s->g.w * VINDEX_GROUP * gi, s->g.w,
                                       s->sums + VINDEX_GROUP * gi);
            /* Bounds of the 64 in float (a loop the compiler vectorises), then the kept rows
             * that reach the cut join the candidates. */
            const uint8_t *nfs = hb + s->g.h_norm + 4 * VINDEX_BLOCK * j,
                          *errs = hb + s->g.h_err + VINDEX_BLOCK * j;
            for (size_t i = 0; i < VINDEX_BLOCK; i++) {
                float nf = f32_get(nfs + 4 * i);
                int32_t t2 = 2 * (int32_t)(s->sums[i] - bias) - s->csum;
                ubs[i] = fdelta * (float)t2 * nf + fce * (float)errs[i] + fcq * nf;
            }
            for (; mask; mask &= mask - 1) {
                size_t i = (size_t)__builtin_ctzll(mask);
                if (ubs[i] < cb.cut) continue;
                cb.v[cb.n++] = (cand){ubs[i], b * VINDEX_BLOCK + (uint32_t)i};
                if (cb.n == trigger) { /* flush whenever the buffer doubles: linear work */
                    size_t k = cb.scan_left < COARSE_FIRST ? cb.scan_left : COARSE_FIRST;
                    if ((rc = coarse_flush(s, &cb, k, hp, err))) goto out;
                    trigger = 2 * cb.n < COARSE_PILOT ? COARSE_PILOT : 2 * cb.n;
                    if (trigger > cb.size) trigger = cb.size;
                }
            }
        }
    }
    if (rc < 0) goto out;
    rc = 0;
    while (cb.n && cb.left && rc == 0)
        rc = coarse_flush(s, &cb, cb.n / 4 > COARSE_FIRST ? cb.n / 4 : COARSE_FIRST, hp, err);
out:
    free(cb.v);
    return rc;
}

int vindex_search(MDB_txn *txn, const store_dbs *db, const vindex_query *q, vindex_hit *out,
                  int *nout, mem0_err *err)
{
    *nout = 0;
    if (q->n <= 0) return 0;
    vx_head h;
    int rc = head_read(txn, db, &h, err);
    if (rc <= 0) return rc;
    if (h.dim != (uint32_t)q->dim)
        return err_set(err, MEM0_EINVAL,
                       "the query has %d dimensions but the vector index holds %u-dimensional "
                       "vectors",
                       q->dim, h.dim);
    if (h.live == 0) return 0;
    search_state s;
    memset(&s, 0, sizeof s);
    s.txn = txn;
    s.db = db;
    s.q = q;
    s.k = vindex_kernels_active();
    geom_init(&s.g, h.dim);
    s.nblocks = (uint32_t)(((uint64_t)h.next_slot + VINDEX_BLOCK - 1) / VINDEX_BLOCK);
    hit_heap hp = {calloc((size_t)q->n, sizeof(hit_ent)), 0, (size_t)q->n};
    s.qcodes = malloc(s.g.dim + 32 * s.g.w);
    if (!hp.v || !s.qcodes) {
        rc = err_set(err, MEM0_ENOMEM, "vector search: out of memory");
        goto out;
    }
    for (int j = 0; j < 3; j++)
        if ((rc = mdb_cursor_open(txn, db->vectors, &s.cur[j]))) {
            rc = store_fail(err, rc, "mdb_cursor_open(vectors)");
            goto out;
        }
    s.lut = (uint8_t *)s.qcodes + s.g.dim;
    s.qscale = vindex_quantize(q->vec, q->dim, s.qcodes);

    size_t cap = (size_t)(VINDEX_RERANK_SQRT * sqrt((double)h.live));
    if (cap < VINDEX_RERANK_MIN) cap = VINDEX_RERANK_MIN;
    if (q->rerank > 0) cap = (size_t)q->rerank;
    if (cap < (size_t)q->n) cap = (size_t)q->n;
    int mode = q->mode;
    if (mode == VINDEX_AUTO) mode = h.live <= VINDEX_EXACT_MAX ? VINDEX_EXACT : VINDEX_COARSE;
    /* A zero query scores 0 everywhere: only the exact scan orders those ties by id. */
    s.st.mode =
        mode == VINDEX_COARSE && h.live > cap && s.qscale > 0 ? VINDEX_COARSE : VINDEX_EXACT;
    if (s.st.mode == VINDEX_COARSE) {
        s.delta = vindex_coarse_query(q->vec, q->dim, s.g.w, s.lut, &s.csum);
        rc = scan_coarse(&s, cap, &hp, err);
    } else {
        rc = scan_exact(&s, &hp, err);
    }
    if (rc) goto out;

    qsort(hp.v, hp.n, sizeof *hp.v, hit_cmp_best_first);
    for (size_t i = 0; i < hp.n; i++) {
        double score = hp.v[i].key * s.qscale;
        memcpy(out[i].id, hp.v[i].id, 16);
        out[i].score = (float)(score > 1 ? 1 : score < -1 ? -1 : score);
    }
    *nout = (int)hp.n;
    if (q->stats) *q->stats = s.st;
out:
    for (int j = 0; j < 3; j++)
        mdb_cursor_close(s.cur[j]);
    free(hp.v);
    free(s.qcodes);
    return rc;
}

int vindex_score(MDB_txn *txn, const store_dbs *db, const float *vec, int dim,
                 const uint8_t (*ids)[16], size_t n, float *scores, mem0_err *err)
{
    for (size_t i = 0; i < n; i++)
        scores[i] = NAN;
    vx_head h;
    int rc = head_read(txn, db, &h, err);
    if (rc <= 0) return rc;
    if (h.dim != (uint32_t)dim)
        return err_set(err, MEM0_EINVAL,
                       "the query has %d dimensions but the vector index holds %u-dimensional "
                       "vectors",
                       dim, h.dim);
    vx_geom g;
    geom_init(&g, h.dim);
    int8_t *qc = malloc(g.dim);
    if (!qc) return err_set(err, MEM0_ENOMEM, "vector search: out of memory");
    float qscale = vindex_quantize(vec, dim, qc);
    const vindex_kernels *k = vindex_kernels_active();
    for (size_t i = 0; i < n; i++) {
        uint32_t slot;
        const uint8_t *cb;
        if ((rc = slot_of(txn, db, ids[i], &slot, err)) < 0) goto out;
        if (rc == 0) continue;
        if ((rc = block_get(txn, db, 'C', slot / VINDEX_BLOCK, g.c_size, &cb, err))) goto out;
        if (!cb) {
            rc = damaged(err, "missing block");
            goto out;
        }
        size_t j = slot % VINDEX_BLOCK;
        int32_t d = k->dot(qc, (const int8_t *)(cb + g.c_codes) + g.dim * j, g.dim);
        double score = (double)d * f32_get(cb + 4 * j) * qscale;
        scores[i] = (float)(score > 1 ? 1 : score < -1 ? -1 : score);
    }
    rc = 0;
out:
    free(qc);
    return rc;
}

/* ---- Verification ------------------------------------------------------------------- */

static void problem(vindex_verify_report *rep, const char *what, uint32_t slot)
{
    if (rep->problems++ == 0) snprintf(rep->first, sizeof rep->first, "%s (slot %u)", what, slot);
}

/* One entry of the walk in vindex_verify. */
static int verify_entry(MDB_txn *txn, const store_dbs *db, const vx_head *h, const vx_geom *g,
                        const MDB_val *k, const MDB_val *v, long counts[4],
                        vindex_verify_report *rep, mem0_err *err)
{
    const uint8_t *kp = k->mv_data, *hb, *dblk;
    char kind = k->mv_size ? (char)kp[0] : 0;
    int rc;
    if (kind == 'G' && k->mv_size == 1) return 0;
    if (kind == 'I' && k->mv_size == 17 && v->mv_size == 4) { /* id -> a live slot holding it */
        uint32_t slot = le32_get(v->mv_data), b = slot / VINDEX_BLOCK;
        size_t i = slot % VINDEX_BLOCK;
        counts[0]++;
        if (slot >= h->next_slot) {
            problem(rep, "an id maps past the high-water slot", slot);
            return 0;
        }
        if ((rc = block_get(txn, db, 'H', slot / VINDEX_HEAD, g->h_size, &hb, err)) ||
            (rc = block_get(txn, db, 'D', b, g->d_size, &dblk, err)))
            return rc;
        if (!hb || !dblk || !head_live(hb, slot))
            problem(rep, "an id maps to a dead slot", slot);
        else if (memcmp(dblk + 16 * i, kp + 1, 16) != 0)
            problem(rep, "an id maps to another memory's slot", slot);
        return 0;
    }
    if (kind == 'F' && k->mv_size == 5) { /* free slot -> dead */
        uint32_t slot = key_num_get(k);
        counts[1]++;
        if ((rc = block_get(txn, db, 'H', slot / VINDEX_HEAD, g->h_size, &hb, err))) return rc;
        if (slot >= h->next_slot || (hb && head_live(hb, slot)))
            problem(rep, "a free slot is live or past the high-water slot", slot);
        return 0;
    }
    if (kind == 'H' && k->mv_size == 5 && v->mv_size == g->h_size) { /* live slot -> id */
        counts[2]++;
        for (uint32_t j = 0; j < VINDEX_HEAD / VINDEX_BLOCK; j++) {
            uint32_t b = key_num_get(k) * (VINDEX_HEAD / VINDEX_BLOCK) + j;
            uint64_t mask = le64_get((const uint8_t *)v->mv_data + 8 * j);
            if (!mask) continue;
            rep->vectors += __builtin_popcountll(mask);
            if ((rc = block_get(txn, db, 'D', b, g->d_size, &dblk, err))) return rc;
            if (!dblk) {
                problem(rep, "live slots have no id block", b * VINDEX_BLOCK);
                continue;
            }
            for (; mask; mask &= mask - 1) {
                int i = __builtin_ctzll(mask);
                uint32_t slot = b * VINDEX_BLOCK + (uint32_t)i, got = 0;
                if ((rc = slot_of(txn, db, dblk + 16 * (size_t)i, &got, err)) < 0) return rc;
                if (rc == 0 || got != slot)
                    problem(rep, "a live slot is missing from the id map", slot);
                if (slot >= h->next_slot)
                    problem(rep, "a live slot is past the high-water slot", slot);
            }
        }
        return 0;
    }
    if ((kind == 'C' && k->mv_size == 5 && v->mv_size == g->c_size) ||
        (kind == 'D' && k->mv_size == 5 && v->mv_size == g->d_size)) {
        counts[3]++;
        return 0;
    }
    problem(rep, "an entry of unknown shape", 0);
    return 0;
}

int vindex_verify(MDB_txn *txn, const store_dbs *db, vindex_verify_report *rep, mem0_err *err)
{
    memset(rep, 0, sizeof *rep);
    vx_head h;
    int rc = head_read(txn, db, &h, err);
    if (rc < 0) return rc;
    vx_geom g;
    geom_init(&g, h.dim ? h.dim : 1);
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(txn, db->vectors, &c)))
        return store_fail(err, rc, "mdb_cursor_open(vectors)");
    MDB_val k, v;
    long counts[4] = {0}; /* ids, free slots, head blocks, code + id blocks */
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        if ((rc = verify_entry(txn, db, &h, &g, &k, &v, counts, rep, err))) break;
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return rc > 0 ? store_fail(err, rc, "mdb_cursor_get(vectors)") : rc;
    uint64_t blocks = ((uint64_t)h.next_slot + VINDEX_BLOCK - 1) / VINDEX_BLOCK,
             heads = ((uint64_t)h.next_slot + VINDEX_HEAD - 1) / VINDEX_HEAD;
    if ((uint64_t)counts[0] != h.live || rep->vectors != counts[0])
        problem(rep, "the live count, the id map and the blocks disagree", 0);
    if ((uint64_t)counts[0] + (uint64_t)counts[1] != h.next_slot)
        problem(rep, "slots are neither live nor free", h.next_slot);
    if ((uint64_t)counts[2] != heads || (uint64_t)counts[3] != 2 * blocks)
        problem(rep, "a block is missing or extra", h.next_slot);
    return 0;
}
