/*
 * embed_static.c: the in-process static embedder (spec "static:NAME|PATH") for model2vec
 * models: a folder with model.safetensors and tokenizer.json.
 *
 * model.safetensors: 8 bytes little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then the data; the file is mapped, never copied.  Tensors:
 *   "embeddings"  [rows, dim], F32, F16, BF16 or I8 (a global scale does not change cosines)
 *   "weights"     [vocab] F32/F16, optional: a per-token weight (newer model2vec exports)
 *   "mapping"     [vocab] I32/I64, optional: token id -> row (vocabulary quantization)
 * tokenizer.json (Hugging Face): the subset model2vec models use:
 *   normalizer     BertNormalizer, Lowercase, StripAccents, NFC/NFD/NFKC/NFKD, Strip,
 *                  Replace (plain string), Precompiled (taken as NFKC), Sequence, null
 *   pre_tokenizer  BertPreTokenizer, Whitespace, WhitespaceSplit, Punctuation, Digits,
 *                  Metaspace, Sequence, null
 *   model          WordPiece ("##" continuation, [UNK] for a word it cannot cover),
 *                  WordLevel, Unigram (Viterbi over piece scores)
 * Anything else is refused at open with a message naming it.  As model2vec does: no special
 * tokens, the unknown token is dropped, text is cut to 512 tokens (and first to 512 times
 * the median token length in characters), token vectors are averaged; embed.c normalises.
 */
#include "embed_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>
#include <xxhash.h>
#include <cjson/cJSON.h>

#include "model.h"
#include "settings.h"
#include "util.h"

#define MAX_TOKENS 512                  /* model2vec's default max_length */
#define MAX_TOKENIZER_BYTES (64L << 20) /* tokenizer.json */
#define MAX_HEADER_BYTES (16L << 20)    /* safetensors JSON header */
#define MAX_STEPS 16
#define METASPACE 0x2581 /* ▁ */

/* ---- Text as code points, cut into pieces -------------------------------------------- */

typedef struct piece {
    size_t off, len;
} piece;

typedef struct ttext {
    int32_t *cp;
    size_t n, cap;
    piece *ps;
    size_t np, pcap;
    size_t open; /* start of the piece being built */
    int oom;
} ttext;

static void t_free(ttext *t)
{
    free(t->cp);
    free(t->ps);
    memset(t, 0, sizeof *t);
}

static void t_cp(ttext *t, int32_t c)
{
    if (t->oom) return;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        int32_t *p = realloc(t->cp, cap * sizeof *p);
        if (!p) {
            t->oom = 1;
            return;
        }
        t->cp = p;
        t->cap = cap;
    }
    t->cp[t->n++] = c;
}

/* Ends the piece being built (if not empty) and starts the next one. */
static void t_cut(ttext *t)
{
    if (t->oom) return;
    if (t->n > t->open) {
        if (t->np == t->pcap) {
            size_t cap = t->pcap ? t->pcap * 2 : 16;
            piece *p = realloc(t->ps, cap * sizeof *p);
            if (!p) {
                t->oom = 1;
                return;
            }
            t->ps = p;
            t->pcap = cap;
        }
        t->ps[t->np].off = t->open;
        t->ps[t->np++].len = t->n - t->open;
    }
    t->open = t->n;
}

/* Decodes UTF-8 (invalid bytes become U+FFFD) into t as one piece, at most max code points. */
static void t_decode(ttext *t, const char *s, size_t len, size_t max)
{
    size_t i = 0;
    while (i < len && t->n < max) {
        utf8proc_int32_t c;
        utf8proc_ssize_t step =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &c);
        if (step <= 0) step = 1, c = 0xFFFD;
        t_cp(t, c);
        i += (size_t)step;
    }
    t_cut(t);
}

/* UTF-8 of cp[0..n) into a growable buffer; returns the length or -1 when out of memory. */
static long encode(const int32_t *cp, size_t n, char **buf, size_t *cap)
{
    size_t need = n * 4 + 1;
    if (need > *cap) {
        char *p = realloc(*buf, need);
        if (!p) return -1;
        *buf = p;
        *cap = need;
    }
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)utf8proc_encode_char(cp[i], (utf8proc_uint8_t *)*buf + len);
    (*buf)[len] = '\0';
    return (long)len;
}

/* ---- Character classes (as Hugging Face tokenizers define them) ---------------------- */

static int is_ws(int32_t c)
{
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') return 1;
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_ZL || k == UTF8PROC_CATEGORY_ZP ||
           c == 0x85;
}

static int is_punct(int32_t c)
{
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
        (c >= 123 && c <= 126))
        return 1;
    utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO;
}

/* "Other" characters (controls, format, surrogates, private use, unassigned), as
 * BertNormalizer's clean_text removes them; tab and newlines are whitespace instead. */
static int is_control(int32_t c)
{
    if (c == '\t' || c == '\n' || c == '\r') return 0;
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_CN || (k >= UTF8PROC_CATEGORY_CC && k <= UTF8PROC_CATEGORY_CO);
}

static int is_cjk(int32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* Rust regex \w: letters, marks, decimal digits, connector punctuation. */
static int is_word(int32_t c)
{
    utf8proc_category_t k = utf8proc_category(c);
    return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_ND) || k == UTF8PROC_CATEGORY_NL ||
           k == UTF8PROC_CATEGORY_PC;
}

static int is_digit(int32_t c)
{
    return utf8proc_category(c) == UTF8PROC_CATEGORY_ND;
}

/* ---- Normalizers --------------------------------------------------------------------- */

enum norm_kind { N_BERT, N_LOWER, N_STRIP_ACCENTS, N_FORM, N_STRIP, N_REPLACE };

typedef struct norm_step {
    enum norm_kind kind;
    int clean, chinese, strip_accents, lowercase; /* N_BERT */
    utf8proc_option_t form;                       /* N_FORM */
    int left, right;                              /* N_STRIP */
    char *from, *to;                              /* N_REPLACE (owned) */
} norm_step;

/* Applies a Unicode normalisation form to t's code points (t is one piece). */
static void apply_form(ttext *t, utf8proc_option_t form)
{
    char *utf = NULL;
    size_t cap = 0;
    long len = encode(t->cp, t->n, &utf, &cap);
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t out =
        len < 0 ? -1
                : utf8proc_map((const utf8proc_uint8_t *)utf, len, &dst, UTF8PROC_STABLE | form);
    if (out < 0) {
        t->oom = len < 0;
        free(utf);
        free(dst);
        return;
    }
    t->n = t->np = t->open = 0;
    t_decode(t, (const char *)dst, (size_t)out, (size_t)-1);
    free(utf);
    free(dst);
}

/* NFD, then drops nonspacing marks. */
static void strip_accents(ttext *t)
{
    apply_form(t, UTF8PROC_DECOMPOSE);
    size_t w = 0;
    for (size_t i = 0; i < t->n; i++)
        if (utf8proc_category(t->cp[i]) != UTF8PROC_CATEGORY_MN) t->cp[w++] = t->cp[i];
    t->n = w;
    t->np = t->open = 0;
    t_cut(t);
}

static void lowercase(ttext *t)
{
    for (size_t i = 0; i < t->n; i++)
        t->cp[i] = utf8proc_tolower(t->cp[i]);
}

static void bert_normalise(ttext *t, const norm_step *s)
{
    if (s->clean || s->chinese) {
        ttext o = {0};
        for (size_t i = 0; i < t->n; i++) {
            int32_t c = t->cp[i];
            if (s->clean && (c == 0 || c == 0xFFFD || is_control(c))) continue;
            if (s->clean && is_ws(c)) c = ' ';
            if (s->chinese && is_cjk(c)) {
                t_cp(&o, ' ');
                t_cp(&o, c);
                t_cp(&o, ' ');
            } else {
                t_cp(&o, c);
            }
        }
        t_cut(&o);
        int oom = o.oom;
        t_free(t);
        *t = o;
        t->oom = oom;
    }
    if (s->strip_accents) strip_accents(t);
    if (s->lowercase) lowercase(t);
}

static void replace_all(ttext *t, const char *from, const char *to)
{
    ttext f = {0}, r = {0}, o = {0};
    t_decode(&f, from, strlen(from), (size_t)-1);
    t_decode(&r, to, strlen(to), (size_t)-1);
    for (size_t i = 0; i < t->n;) {
        if (f.n && i + f.n <= t->n && memcmp(t->cp + i, f.cp, f.n * sizeof *f.cp) == 0) {
            for (size_t j = 0; j < r.n; j++)
                t_cp(&o, r.cp[j]);
            i += f.n;
        } else {
            t_cp(&o, t->cp[i++]);
        }
    }
    t_cut(&o);
    int oom = o.oom || f.oom || r.oom;
    t_free(&f);
    t_free(&r);
    t_free(t);
    *t = o;
    t->oom = oom;
}

static void normalise(ttext *t, const norm_step *steps, int n)
{
    for (int i = 0; i < n && !t->oom; i++) {
        const norm_step *s = &steps[i];
        switch (s->kind) {
        case N_BERT:
            bert_normalise(t, s);
            break;
        case N_LOWER:
            lowercase(t);
            break;
        case N_STRIP_ACCENTS:
            strip_accents(t);
            break;
        case N_FORM:
            apply_form(t, s->form);
            break;
        case N_STRIP: {
            size_t a = 0, b = t->n;
            while (s->left && a < b && is_ws(t->cp[a]))
                a++;
            while (s->right && b > a && is_ws(t->cp[b - 1]))
                b--;
            memmove(t->cp, t->cp + a, (b - a) * sizeof *t->cp);
            t->n = b - a;
            t->np = t->open = 0;
            t_cut(t);
            break;
        }
        case N_REPLACE:
            replace_all(t, s->from, s->to);
            break;
        }
    }
}

/* ---- Pre-tokenizers ------------------------------------------------------------------ */

enum pre_kind { P_BERT, P_WHITESPACE, P_WSSPLIT, P_PUNCT, P_DIGITS, P_METASPACE };

typedef struct pre_step {
    enum pre_kind kind;
    int individual_digits; /* P_DIGITS */
    int32_t replacement;   /* P_METASPACE */
    int prepend;           /* 0 never, 1 always, 2 first */
    int split;
} pre_step;

/* Character classes of the splitting pre-tokenizers: 0 drop (whitespace), 1 keep in runs,
 * 2 a piece of its own; runs break where the class (or `group`) changes. */
static void split_pieces(const ttext *in, ttext *out, const pre_step *s)
{
    for (size_t p = 0; p < in->np; p++) {
        const int32_t *c = in->cp + in->ps[p].off;
        size_t len = in->ps[p].len;
        int last_group = -1;
        for (size_t i = 0; i < len; i++) {
            int cls = 1, group = 0;
            switch (s->kind) {
            case P_BERT:
                cls = is_ws(c[i]) ? 0 : is_punct(c[i]) ? 2 : 1;
                break;
            case P_WSSPLIT:
                cls = is_ws(c[i]) ? 0 : 1;
                break;
            case P_WHITESPACE: /* \w+|[^\w\s]+ */
                cls = is_ws(c[i]) ? 0 : 1;
                group = is_word(c[i]);
                break;
            case P_PUNCT:
                cls = is_punct(c[i]) ? 2 : 1;
                break;
            case P_DIGITS:
                cls = is_digit(c[i]) && s->individual_digits ? 2 : 1;
                group = is_digit(c[i]);
                break;
            case P_METASPACE:
                break;
            }
            if (cls == 0) {
                t_cut(out);
                last_group = -1;
                continue;
            }
            if (cls == 2 || (last_group >= 0 && group != last_group)) t_cut(out);
            t_cp(out, c[i]);
            if (cls == 2) {
                t_cut(out);
                last_group = -1;
            } else {
                last_group = group;
            }
        }
        t_cut(out);
    }
}

/* Metaspace: spaces become the replacement, which may be prepended, and pieces may be split
 * before each replacement (kept at the start of the following piece). */
static void metaspace(const ttext *in, ttext *out, const pre_step *s)
{
    for (size_t p = 0; p < in->np; p++) {
        const int32_t *c = in->cp + in->ps[p].off;
        size_t len = in->ps[p].len;
        int32_t first = len ? (c[0] == ' ' ? s->replacement : c[0]) : 0;
        if ((s->prepend == 1 || (s->prepend == 2 && p == 0)) && first != s->replacement)
            t_cp(out, s->replacement);
        for (size_t i = 0; i < len; i++) {
            int32_t ch = c[i] == ' ' ? s->replacement : c[i];
            if (s->split && ch == s->replacement) t_cut(out);
            t_cp(out, ch);
        }
        t_cut(out);
    }
}

/* Runs the pre-tokenizer steps; t ends as the final pieces. */
static void pre_tokenise(ttext *t, const pre_step *steps, int n)
{
    for (int i = 0; i < n && !t->oom; i++) {
        ttext out = {0};
        if (steps[i].kind == P_METASPACE)
            metaspace(t, &out, &steps[i]);
        else
            split_pieces(t, &out, &steps[i]);
        int oom = out.oom;
        t_free(t);
        *t = out;
        t->oom = oom;
    }
}

/* ---- Vocabulary: token string -> id (open addressing over an arena) ------------------ */

typedef struct vocab_t {
    char *arena;
    size_t used, cap;
    struct ventry {
        uint32_t off, len;
        int32_t id;
    } * entries;
    size_t n, ecap;
    uint32_t *slots; /* entry index + 1; 0 is empty */
    size_t nslots;   /* a power of two, at least twice n */
    int max_chars;   /* longest token in code points (Unigram's search window) */
    int mapped;      /* arena, entries and slots point into the tokenizer cache's mapping */
} vocab_t;

static void vocab_free(vocab_t *v)
{
    if (!v->mapped) {
        free(v->arena);
        free(v->entries);
        free(v->slots);
    }
    memset(v, 0, sizeof *v);
}

static int vocab_add(vocab_t *v, const char *s, int32_t id)
{
    size_t len = strlen(s);
    if (len > UINT32_MAX / 2 || v->used + len + 1 > UINT32_MAX) return -1;
    if (v->used + len + 1 > v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 1 << 16;
        while (cap < v->used + len + 1)
            cap *= 2;
        char *a = realloc(v->arena, cap);
        if (!a) return -1;
        v->arena = a;
        v->cap = cap;
    }
    if (v->n == v->ecap) {
        size_t cap = v->ecap ? v->ecap * 2 : 1024;
        struct ventry *e = realloc(v->entries, cap * sizeof *e);
        if (!e) return -1;
        v->entries = e;
        v->ecap = cap;
    }
    memcpy(v->arena + v->used, s, len + 1);
    v->entries[v->n].off = (uint32_t)v->used;
    v->entries[v->n].len = (uint32_t)len;
    v->entries[v->n++].id = id;
    v->used += len + 1;
    int chars = 0;
    for (size_t i = 0; i < len; i++)
        chars += (s[i] & 0xc0) != 0x80;
    if (chars > v->max_chars) v->max_chars = chars;
    return 0;
}

static int vocab_index(vocab_t *v)
{
    size_t ns = 16;
    while (ns < v->n * 2)
        ns *= 2;
    v->slots = calloc(ns, sizeof *v->slots);
    if (!v->slots) return -1;
    v->nslots = ns;
    for (size_t i = 0; i < v->n; i++) {
        size_t h = (size_t)XXH3_64bits(v->arena + v->entries[i].off, v->entries[i].len);
        size_t j = h & (ns - 1);
        while (v->slots[j])
            j = (j + 1) & (ns - 1);
        v->slots[j] = (uint32_t)(i + 1);
    }
    return 0;
}

/* The id of token s[0..len), or -1. */
static int32_t vocab_find(const vocab_t *v, const char *s, size_t len)
{
    if (!v->nslots) return -1;
    size_t j = (size_t)XXH3_64bits(s, len) & (v->nslots - 1);
    for (uint32_t e; (e = v->slots[j]) != 0; j = (j + 1) & (v->nslots - 1)) {
        if (e > v->n) return -1; /* a damaged cache: never read out of bounds */
        const struct ventry *en = &v->entries[e - 1];
        if ((size_t)en->off + en->len > v->used) return -1;
        if (en->len == len && memcmp(v->arena + en->off, s, len) == 0) return en->id;
    }
    return -1;
}

/* ---- The model ----------------------------------------------------------------------- */

enum model_kind { M_WORDPIECE, M_WORDLEVEL, M_UNIGRAM };
enum dtype { DT_F32, DT_F16, DT_BF16, DT_I8, DT_I32, DT_I64 };

typedef struct tensor {
    const uint8_t *data;
    enum dtype dtype;
    int64_t rows, cols; /* cols 1 for a vector */
} tensor;

typedef struct static_model {
    /* model.safetensors, mapped */
    void *map;
    size_t map_len;
    tensor emb, weights, mapping; /* weights/mapping: data NULL when absent */
    int64_t vocab_size;           /* ids are < vocab_size */
    /* tokenizer.json */
    norm_step norm[MAX_STEPS];
    int nnorm;
    pre_step pre[MAX_STEPS];
    int npre;
    enum model_kind kind;
    vocab_t vocab;
    int32_t unk;        /* -1: none */
    char prefix[16];    /* WordPiece continuing_subword_prefix */
    int max_word_chars; /* WordPiece max_input_chars_per_word */
    float *scores;      /* Unigram: score by id (vocab_size entries) */
    void *cache_map;    /* the tokenizer cache, mapped (vocab and scores point into it) */
    size_t cache_len;
    uint64_t src_lo, src_hi; /* XXH3-128 of tokenizer.json (part of the fingerprint) */
    float unk_score;
    size_t max_chars; /* text cut to this many code points before tokenising */
} static_model;

static float f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            exp = 127 - 15 + 1;
            while (!(man & 0x400)) {
                man <<= 1;
                exp--;
            }
            bits = sign | (exp << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Element i of a float-like tensor (little-endian data, unaligned reads). */
static float tensor_f(const tensor *t, size_t i)
{
    const uint8_t *p = t->data;
    switch (t->dtype) {
    case DT_F32: {
        uint32_t b = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
                     (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
        float f;
        memcpy(&f, &b, sizeof f);
        return f;
    }
    case DT_F16:
        return f16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
    case DT_BF16: {
        uint32_t b = ((uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8) << 16;
        float f;
        memcpy(&f, &b, sizeof f);
        return f;
    }
    case DT_I8:
        return (float)(int8_t)p[i];
    default:
        return 0;
    }
}

static int64_t tensor_i(const tensor *t, size_t i)
{
    const uint8_t *p = t->data;
    if (t->dtype == DT_I32)
        return (int32_t)((uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
                         (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24);
    uint64_t v = 0;
    for (int b = 7; b >= 0; b--)
        v = v << 8 | p[8 * i + (size_t)b];
    return (int64_t)v;
}

/* Adds weight * row `row` of the embeddings to acc. */
static void add_row(const static_model *m, int64_t row, float weight, float *acc)
{
    size_t base = (size_t)row * (size_t)m->emb.cols;
    if (m->emb.dtype == DT_F32 && ((uintptr_t)m->emb.data & 3) == 0) {
        const float *r = (const float *)(const void *)m->emb.data + base;
        for (int64_t j = 0; j < m->emb.cols; j++)
            acc[j] += weight * r[j];
        return;
    }
    for (int64_t j = 0; j < m->emb.cols; j++)
        acc[j] += weight * tensor_f(&m->emb, base + (size_t)j);
}

/* ---- Tokenising ---------------------------------------------------------------------- */

typedef struct ids {
    int32_t *v;
    size_t n, cap;
    int oom;
} ids;

static void ids_push(ids *o, int32_t id)
{
    if (o->oom) return;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        int32_t *p = realloc(o->v, cap * sizeof *p);
        if (!p) {
            o->oom = 1;
            return;
        }
        o->v = p;
        o->cap = cap;
    }
    o->v[o->n++] = id;
}

typedef struct scratch {
    char *utf;
    size_t cap;
    size_t *offs; /* byte offset of each code point of the piece, and the end */
    size_t ocap;
    double *best;
    int32_t *best_id;
    size_t *best_from;
    size_t bcap;
    char *tmp;
    size_t tcap;
} scratch;

static void scratch_free(scratch *s)
{
    free(s->utf);
    free(s->offs);
    free(s->best);
    free(s->best_id);
    free(s->best_from);
    free(s->tmp);
}

/* Encodes a piece into s->utf with s->offs[i] the byte offset of code point i. */
static int piece_utf8(scratch *s, const int32_t *cp, size_t n)
{
    if (encode(cp, n, &s->utf, &s->cap) < 0) return -1;
    if (n + 1 > s->ocap) {
        size_t *o = realloc(s->offs, (n + 1) * sizeof *o);
        if (!o) return -1;
        s->offs = o;
        s->ocap = n + 1;
    }
    size_t off = 0;
    uint8_t tmp[4];
    for (size_t i = 0; i < n; i++) {
        s->offs[i] = off;
        off += (size_t)utf8proc_encode_char(cp[i], tmp);
    }
    s->offs[n] = off;
    return 0;
}

static void wordpiece(const static_model *m, scratch *s, size_t n, ids *out)
{
    if ((int)n > m->max_word_chars) {
        ids_push(out, m->unk);
        return;
    }
    size_t plen = strlen(m->prefix), first = out->n;
    size_t need = s->offs[n] + plen + 1;
    if (need > s->tcap) {
        char *p = realloc(s->tmp, need);
        if (!p) {
            out->oom = 1;
            return;
        }
        s->tmp = p;
        s->tcap = need;
    }
    for (size_t start = 0; start < n;) {
        int32_t found = -1;
        size_t end = n;
        for (; end > start; end--) {
            const char *sub = s->utf + s->offs[start];
            size_t len = s->offs[end] - s->offs[start];
            if (start > 0) {
                memcpy(s->tmp, m->prefix, plen);
                memcpy(s->tmp + plen, sub, len);
                sub = s->tmp;
                len += plen;
            }
            if ((found = vocab_find(&m->vocab, sub, len)) >= 0) break;
        }
        if (found < 0) { /* the word cannot be covered: it is one unknown token */
            out->n = first;
            ids_push(out, m->unk);
            return;
        }
        ids_push(out, found);
        start = end;
    }
}

/* Best segmentation of the piece by the sum of piece scores (Viterbi); an uncovered
 * character is the unknown token at a heavy penalty. */
static void unigram(const static_model *m, scratch *s, size_t n, ids *out)
{
    if (n + 1 > s->bcap) {
        double *b = realloc(s->best, (n + 1) * sizeof *b);
        if (b) s->best = b;
        int32_t *bi = realloc(s->best_id, (n + 1) * sizeof *bi);
        if (bi) s->best_id = bi;
        size_t *bf = realloc(s->best_from, (n + 1) * sizeof *bf);
        if (bf) s->best_from = bf;
        if (!b || !bi || !bf) {
            out->oom = 1;
            return;
        }
        s->bcap = n + 1;
    }
    for (size_t i = 0; i <= n; i++)
        s->best[i] = -INFINITY;
    s->best[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (s->best[i] == -INFINITY) continue;
        int covered = 0;
        for (size_t len = 1; len <= (size_t)m->vocab.max_chars && i + len <= n; len++) {
            int32_t id = vocab_find(&m->vocab, s->utf + s->offs[i], s->offs[i + len] - s->offs[i]);
            if (id < 0) continue;
            if (len == 1) covered = 1;
            double sc = s->best[i] + m->scores[id];
            if (sc > s->best[i + len]) {
                s->best[i + len] = sc;
                s->best_id[i + len] = id;
                s->best_from[i + len] = i;
            }
        }
        if (!covered && s->best[i] + m->unk_score > s->best[i + 1]) {
            s->best[i + 1] = s->best[i] + m->unk_score;
            s->best_id[i + 1] = m->unk;
            s->best_from[i + 1] = i;
        }
    }
    /* Walk back from the end, then append in order. */
    size_t count = 0;
    for (size_t i = n; i > 0; i = s->best_from[i])
        count++;
    size_t base = out->n;
    for (size_t k = 0; k < count; k++)
        ids_push(out, 0);
    if (out->oom) return;
    size_t k = count;
    for (size_t i = n; i > 0; i = s->best_from[i])
        out->v[base + --k] = s->best_id[i];
}

/* Token ids of text, the unknown token dropped, at most MAX_TOKENS. */
static int tokenise(const static_model *m, const char *textin, ids *out, mem0_err *err)
{
    ttext t = {0};
    scratch s = {0};
    int rc = 0;
    t_decode(&t, textin, strlen(textin), m->max_chars);
    normalise(&t, m->norm, m->nnorm);
    if (!t.oom && t.np == 0 && t.n) t_cut(&t);
    pre_tokenise(&t, m->pre, m->npre);
    for (size_t p = 0; p < t.np && !t.oom && !out->oom && out->n < MAX_TOKENS; p++) {
        const int32_t *cp = t.cp + t.ps[p].off;
        size_t n = t.ps[p].len;
        if (piece_utf8(&s, cp, n) < 0) {
            out->oom = 1;
            break;
        }
        size_t before = out->n;
        if (m->kind == M_WORDPIECE) {
            wordpiece(m, &s, n, out);
        } else if (m->kind == M_UNIGRAM) {
            unigram(m, &s, n, out);
        } else {
            int32_t id = vocab_find(&m->vocab, s.utf, s.offs[n]);
            ids_push(out, id >= 0 ? id : m->unk);
        }
        /* Drop unknown tokens (model2vec does) and anything outside the table. */
        size_t w = before;
        for (size_t i = before; i < out->n && !out->oom; i++)
            if (out->v[i] >= 0 && out->v[i] != m->unk && out->v[i] < m->vocab_size)
                out->v[w++] = out->v[i];
        out->n = w;
    }
    if (out->n > MAX_TOKENS) out->n = MAX_TOKENS;
    if (t.oom || out->oom) rc = err_set(err, MEM0_ENOMEM, "static embedder: out of memory");
    t_free(&t);
    scratch_free(&s);
    return rc;
}

static int static_batch(embedder *e, const char *const *texts, int n, double deadline_ms,
                        float **out, mem0_err *err)
{
    (void)deadline_ms;
    const static_model *m = e->impl;
    float *v = calloc((size_t)(n > 0 ? n : 1) * (size_t)e->dim, sizeof *v);
    if (!v) return err_set(err, MEM0_ENOMEM, "static embedder: out of memory");
    ids tok = {0};
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        tok.n = 0;
        if ((rc = tokenise(m, texts[i], &tok, err))) break;
        float *acc = v + (size_t)i * (size_t)e->dim;
        for (size_t k = 0; k < tok.n; k++) {
            int32_t id = tok.v[k];
            int64_t row = m->mapping.data ? tensor_i(&m->mapping, (size_t)id) : id;
            float w = m->weights.data ? tensor_f(&m->weights, (size_t)id) : 1.0f;
            add_row(m, row, w, acc);
        }
        if (tok.n)
            for (int j = 0; j < e->dim; j++)
                acc[j] /= (float)tok.n;
    }
    free(tok.v);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    return 0;
}

static void model_free(static_model *m)
{
    if (!m) return;
    if (m->map) munmap(m->map, m->map_len);
    for (int i = 0; i < m->nnorm; i++) {
        free(m->norm[i].from);
        free(m->norm[i].to);
    }
    vocab_free(&m->vocab);
    if (m->cache_map)
        munmap(m->cache_map, m->cache_len);
    else
        free(m->scores);
    free(m);
}

static void static_close(embedder *e)
{
    model_free(e->impl);
    e->impl = NULL;
}

static const embed_ops static_ops = {static_batch, static_close};

int embed_static_tokenize(const embedder *e, const char *text, int32_t **out, int *n, mem0_err *err)
{
    *out = NULL;
    *n = 0;
    if (!e || e->ops != &static_ops) return err_set(err, MEM0_EINVAL, "not a static embedder");
    ids tok = {0};
    int rc = tokenise(e->impl, text, &tok, err);
    if (rc) {
        free(tok.v);
        return rc;
    }
    *out = tok.v;
    *n = (int)tok.n;
    return 0;
}

/* ---- Loading: safetensors ------------------------------------------------------------ */

static int dtype_of(const char *s, enum dtype *dt, size_t *size)
{
    static const struct {
        const char *name;
        enum dtype dt;
        size_t size;
    } types[] = {{"F32", DT_F32, 4}, {"F16", DT_F16, 2}, {"BF16", DT_BF16, 2},
                 {"I8", DT_I8, 1},   {"I32", DT_I32, 4}, {"I64", DT_I64, 8}};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (strcmp(s, types[i].name) == 0) {
            *dt = types[i].dt;
            *size = types[i].size;
            return 0;
        }
    return -1;
}

/* Reads one tensor's description; absent is 0 with t->data NULL when optional. */
static int read_tensor(const cJSON *hdr, const char *name, int want_dims, int optional,
                       const uint8_t *data, size_t data_len, const char *path, tensor *t,
                       mem0_err *err)
{
    memset(t, 0, sizeof *t);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(hdr, name);
    if (!d) {
        if (optional) return 0;
        return err_set(err, MEM0_EINVAL,
                       "%s has no \"%s\" tensor: not a model2vec model (expected a 2-D "
                       "\"embeddings\" table)",
                       path, name);
    }
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(d, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(d, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(d, "data_offsets");
    size_t esize;
    if (!cJSON_IsString(dt) || dtype_of(dt->valuestring, &t->dtype, &esize) != 0)
        return err_set(err, MEM0_EINVAL, "%s: tensor \"%s\" has an unsupported dtype %s", path,
                       name, cJSON_IsString(dt) ? dt->valuestring : "(none)");
    if (!cJSON_IsArray(shape) || cJSON_GetArraySize(shape) != want_dims || !cJSON_IsArray(offs) ||
        cJSON_GetArraySize(offs) != 2)
        return err_set(err, MEM0_EINVAL, "%s: tensor \"%s\" is not %d-D or has no data_offsets",
                       path, name, want_dims);
    double rows = cJSON_GetArrayItem(shape, 0)->valuedouble;
    double cols = want_dims == 2 ? cJSON_GetArrayItem(shape, 1)->valuedouble : 1;
    double b = cJSON_GetArrayItem(offs, 0)->valuedouble,
           e = cJSON_GetArrayItem(offs, 1)->valuedouble;
    if (!(rows >= 1 && rows < 1e9 && cols >= 1 && cols <= EMBED_DIM_MAX && b >= 0 && e >= b &&
          e <= (double)data_len && rows == floor(rows) && cols == floor(cols)) ||
        (e - b) != rows * cols * (double)esize)
        return err_set(err, MEM0_EINVAL,
                       "%s: tensor \"%s\" has a bad shape or byte range (file truncated?)", path,
                       name);
    t->data = data + (size_t)b;
    t->rows = (int64_t)rows;
    t->cols = (int64_t)cols;
    return 0;
}

static int load_safetensors(static_model *m, const char *path, XXH3_state_t *fp, mem0_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_set(err, MEM0_EINVAL, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    cJSON *hdr = NULL;
    int rc = 0;
    if (fstat(fd, &st) < 0 || st.st_size < 8) {
        rc = err_set(err, MEM0_EINVAL, "%s is not a safetensors file (too short)", path);
        goto done;
    }
    m->map_len = (size_t)st.st_size;
    m->map = mmap(NULL, m->map_len, PROT_READ, MAP_SHARED, fd, 0);
    if (m->map == MAP_FAILED) {
        m->map = NULL;
        rc = err_set(err, MEM0_EIO, "cannot map %s: %s", path, strerror(errno));
        goto done;
    }
    const uint8_t *p = m->map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | p[i];
    if (hlen > MAX_HEADER_BYTES || hlen > m->map_len - 8) {
        rc = err_set(err, MEM0_EINVAL, "%s is not a safetensors file (bad header length)", path);
        goto done;
    }
    hdr = cJSON_ParseWithLength((const char *)p + 8, (size_t)hlen);
    if (!cJSON_IsObject(hdr)) {
        rc = err_set(err, MEM0_EINVAL, "%s: the safetensors header is not a JSON object", path);
        goto done;
    }
    const uint8_t *data = p + 8 + hlen;
    size_t data_len = m->map_len - 8 - (size_t)hlen;
    const char *emb_name = cJSON_GetObjectItemCaseSensitive(hdr, "embeddings") ? "embeddings"
                           : cJSON_GetObjectItemCaseSensitive(hdr, "embedding.weight")
                               ? "embedding.weight"
                               : "embeddings";
    if ((rc = read_tensor(hdr, emb_name, 2, 0, data, data_len, path, &m->emb, err)) ||
        (rc = read_tensor(hdr, "weights", 1, 1, data, data_len, path, &m->weights, err)) ||
        (rc = read_tensor(hdr, "mapping", 1, 1, data, data_len, path, &m->mapping, err)))
        goto done;
    if (m->emb.dtype == DT_I32 || m->emb.dtype == DT_I64 ||
        (m->weights.data && (m->weights.dtype != DT_F32 && m->weights.dtype != DT_F16)) ||
        (m->mapping.data && m->mapping.dtype != DT_I32 && m->mapping.dtype != DT_I64)) {
        rc = err_set(err, MEM0_EINVAL, "%s: unsupported tensor types", path);
        goto done;
    }
    m->vocab_size = m->mapping.data ? m->mapping.rows : m->emb.rows;
    if (m->weights.data && m->weights.rows < m->vocab_size) m->vocab_size = m->weights.rows;
    if (m->mapping.data)
        for (int64_t i = 0; i < m->mapping.rows; i++) {
            int64_t r = tensor_i(&m->mapping, (size_t)i);
            if (r < 0 || r >= m->emb.rows) {
                rc = err_set(err, MEM0_EINVAL, "%s: \"mapping\" points outside the table", path);
                goto done;
            }
        }
    /* Fingerprint: the header and 16 evenly spaced 4 KiB samples of the data. */
    XXH3_64bits_update(fp, p, 8 + (size_t)hlen);
    for (size_t i = 0; i < 16 && data_len; i++) {
        size_t at = (size_t)((double)data_len * (double)i / 16.0);
        size_t len = data_len - at < 4096 ? data_len - at : 4096;
        XXH3_64bits_update(fp, data + at, len);
    }
done:
    cJSON_Delete(hdr);
    close(fd);
    return rc;
}

/* ---- Loading: tokenizer.json --------------------------------------------------------- */

static int jbool(const cJSON *o, const char *k, int def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int add_norm(static_model *m, const cJSON *n, const char *path, mem0_err *err)
{
    if (!n || cJSON_IsNull(n)) return 0;
    const char *type = jstr(n, "type");
    if (!type) return err_set(err, MEM0_EINVAL, "%s: a normalizer without a type", path);
    if (strcmp(type, "Sequence") == 0) {
        const cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(n, "normalizers"))
        {
            int rc = add_norm(m, s, path, err);
            if (rc) return rc;
        }
        return 0;
    }
    if (m->nnorm == MAX_STEPS) return err_set(err, MEM0_EINVAL, "%s: too many normalizers", path);
    norm_step *s = &m->norm[m->nnorm];
    memset(s, 0, sizeof *s);
    if (strcmp(type, "BertNormalizer") == 0) {
        s->kind = N_BERT;
        s->clean = jbool(n, "clean_text", 1);
        s->chinese = jbool(n, "handle_chinese_chars", 1);
        s->lowercase = jbool(n, "lowercase", 1);
        s->strip_accents = jbool(n, "strip_accents", s->lowercase); /* null follows lowercase */
    } else if (strcmp(type, "Lowercase") == 0) {
        s->kind = N_LOWER;
    } else if (strcmp(type, "StripAccents") == 0) {
        s->kind = N_STRIP_ACCENTS;
    } else if (strcmp(type, "NFD") == 0 || strcmp(type, "NFKD") == 0 || strcmp(type, "NFC") == 0 ||
               strcmp(type, "NFKC") == 0 || strcmp(type, "Precompiled") == 0) {
        s->kind = N_FORM;
        s->form = type[2] == 'D' || type[3] == 'D' ? UTF8PROC_DECOMPOSE : UTF8PROC_COMPOSE;
        if (type[2] == 'K' || type[0] == 'P') s->form |= UTF8PROC_COMPAT;
    } else if (strcmp(type, "Strip") == 0) {
        s->kind = N_STRIP;
        s->left = jbool(n, "strip_left", 1);
        s->right = jbool(n, "strip_right", 1);
    } else if (strcmp(type, "Replace") == 0) {
        const cJSON *pat = cJSON_GetObjectItemCaseSensitive(n, "pattern");
        const char *lit = jstr(pat, "String"), *re = jstr(pat, "Regex"), *to = jstr(n, "content");
        if (re && strcmp(re, " {2,}") == 0) return 0; /* runs of spaces: splitting ignores them */
        if (!lit || !*lit || !to)
            return err_set(err, MEM0_EINVAL,
                           "%s: a Replace normalizer with a regular expression is not supported",
                           path);
        s->kind = N_REPLACE;
        s->from = xstrdup(lit);
        s->to = xstrdup(to);
        if (!s->from || !s->to) {
            free(s->from);
            free(s->to);
            return err_set(err, MEM0_ENOMEM, "static embedder: out of memory");
        }
    } else {
        return err_set(err, MEM0_EINVAL, "%s: the %s normalizer is not supported", path, type);
    }
    m->nnorm++;
    return 0;
}

static int add_pre(static_model *m, const cJSON *n, const char *path, mem0_err *err)
{
    if (!n || cJSON_IsNull(n)) return 0;
    const char *type = jstr(n, "type");
    if (!type) return err_set(err, MEM0_EINVAL, "%s: a pre_tokenizer without a type", path);
    if (strcmp(type, "Sequence") == 0) {
        const cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(n, "pretokenizers"))
        {
            int rc = add_pre(m, s, path, err);
            if (rc) return rc;
        }
        return 0;
    }
    if (m->npre == MAX_STEPS) return err_set(err, MEM0_EINVAL, "%s: too many pre_tokenizers", path);
    pre_step *s = &m->pre[m->npre];
    memset(s, 0, sizeof *s);
    if (strcmp(type, "BertPreTokenizer") == 0) {
        s->kind = P_BERT;
    } else if (strcmp(type, "Whitespace") == 0) {
        s->kind = P_WHITESPACE;
    } else if (strcmp(type, "WhitespaceSplit") == 0) {
        s->kind = P_WSSPLIT;
    } else if (strcmp(type, "Punctuation") == 0) {
        const char *b = jstr(n, "behavior");
        if (b && strcmp(b, "Isolated") != 0)
            return err_set(err, MEM0_EINVAL, "%s: Punctuation behavior %s is not supported", path,
                           b);
        s->kind = P_PUNCT;
    } else if (strcmp(type, "Digits") == 0) {
        s->kind = P_DIGITS;
        s->individual_digits = jbool(n, "individual_digits", 0);
    } else if (strcmp(type, "Metaspace") == 0) {
        s->kind = P_METASPACE;
        const char *r = jstr(n, "replacement");
        utf8proc_int32_t c = METASPACE;
        if (r && *r && utf8proc_iterate((const utf8proc_uint8_t *)r, -1, &c) <= 0) c = METASPACE;
        s->replacement = c;
        const char *scheme = jstr(n, "prepend_scheme");
        s->prepend = scheme ? (strcmp(scheme, "always") == 0  ? 1
                               : strcmp(scheme, "first") == 0 ? 2
                                                              : 0)
                            : jbool(n, "add_prefix_space", 1);
        s->split = jbool(n, "split", 1);
    } else {
        return err_set(err, MEM0_EINVAL, "%s: the %s pre_tokenizer is not supported", path, type);
    }
    m->npre++;
    return 0;
}

static int load_model_section(static_model *m, const cJSON *model, const char *path, mem0_err *err)
{
    const char *type = jstr(model, "type");
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    m->unk = -1;
    if (!type) return err_set(err, MEM0_EINVAL, "%s has no model.type: not a tokenizer.json", path);
    if (strcmp(type, "WordPiece") == 0 || strcmp(type, "WordLevel") == 0) {
        m->kind = type[4] == 'P' ? M_WORDPIECE : M_WORDLEVEL;
        if (!cJSON_IsObject(vocab))
            return err_set(err, MEM0_EINVAL, "%s: model.vocab is not an object", path);
        const cJSON *t;
        cJSON_ArrayForEach(t, vocab)
        {
            double id = cJSON_IsNumber(t) ? t->valuedouble : -1;
            if (!(id >= 0 && id < 2147483647.0) || id != floor(id))
                return err_set(err, MEM0_EINVAL, "%s: token \"%.40s\" has a bad id", path,
                               t->string);
            if (vocab_add(&m->vocab, t->string, (int32_t)id) < 0)
                return err_set(err, MEM0_ENOMEM, "static embedder: out of memory");
        }
        const char *prefix = jstr(model, "continuing_subword_prefix");
        snprintf(m->prefix, sizeof m->prefix, "%s", prefix ? prefix : "##");
        const cJSON *mx = cJSON_GetObjectItemCaseSensitive(model, "max_input_chars_per_word");
        m->max_word_chars = cJSON_IsNumber(mx) && mx->valuedouble >= 1 ? (int)mx->valuedouble : 100;
    } else if (strcmp(type, "Unigram") == 0) {
        m->kind = M_UNIGRAM;
        int n = cJSON_GetArraySize(vocab);
        if (!cJSON_IsArray(vocab) || n == 0)
            return err_set(err, MEM0_EINVAL, "%s: model.vocab is not a list of pieces", path);
        m->scores = malloc((size_t)n * sizeof *m->scores);
        if (!m->scores) return err_set(err, MEM0_ENOMEM, "static embedder: out of memory");
        float min_score = 0;
        int i = 0;
        const cJSON *pair;
        cJSON_ArrayForEach(pair, vocab)
        {
            const cJSON *p = cJSON_GetArrayItem(pair, 0), *sc = cJSON_GetArrayItem(pair, 1);
            if (!cJSON_IsString(p) || !cJSON_IsNumber(sc))
                return err_set(err, MEM0_EINVAL, "%s: Unigram piece %d is not [text, score]", path,
                               i);
            if (vocab_add(&m->vocab, p->valuestring, i) < 0)
                return err_set(err, MEM0_ENOMEM, "static embedder: out of memory");
            m->scores[i] = (float)sc->valuedouble;
            if (m->scores[i] < min_score) min_score = m->scores[i];
            i++;
        }
        m->unk_score = min_score - 10.0f;
        const cJSON *unk = cJSON_GetObjectItemCaseSensitive(model, "unk_id");
        m->unk = cJSON_IsNumber(unk) && unk->valuedouble >= 0 && unk->valuedouble < n
                     ? (int32_t)unk->valuedouble
                     : -1;
    } else {
        return err_set(err, MEM0_EINVAL,
                       "%s: tokenizer model %s is not supported (model2vec models use WordPiece, "
                       "Unigram or WordLevel)",
                       path, type);
    }
    if (m->vocab.n == 0) return err_set(err, MEM0_EINVAL, "%s: the vocabulary is empty", path);
    if (vocab_index(&m->vocab) < 0)
        return err_set(err, MEM0_ENOMEM, "static embedder: out of memory");
    const char *unk = jstr(model, "unk_token");
    if (m->kind != M_UNIGRAM && unk) m->unk = vocab_find(&m->vocab, unk, strlen(unk));
    return 0;
}

/* Reads a whole file (at most max bytes) into a malloc'd NUL-terminated buffer. */
static int slurp(const char *path, long max, char **out, size_t *len, mem0_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(err, MEM0_EINVAL, "cannot open %s: %s", path, strerror(errno));
    strbuf sb = {0};
    char chunk[65536];
    size_t got;
    int rc = 0;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        sb_add(&sb, chunk, got);
        if ((long)sb.len > max) {
            rc = err_set(err, MEM0_EINVAL, "%s is larger than %ld bytes", path, max);
            break;
        }
    }
    if (!rc && ferror(f)) rc = err_set(err, MEM0_EIO, "cannot read %s", path);
    if (!rc && sb.oom) rc = err_set(err, MEM0_ENOMEM, "static embedder: out of memory");
    fclose(f);
    if (rc) {
        sb_free(&sb);
        return rc;
    }
    *len = sb.len;
    *out = sb_detach(&sb);
    return *out ? 0 : err_set(err, MEM0_ENOMEM, "static embedder: out of memory");
}

/* model2vec cuts the raw text to max_length times the median token length (characters). */
static void set_max_chars(static_model *m)
{
    size_t counts[65] = {0};
    for (size_t i = 0; i < m->vocab.n; i++) {
        const char *s = m->vocab.arena + m->vocab.entries[i].off;
        size_t chars = 0;
        for (size_t j = 0; j < m->vocab.entries[i].len; j++)
            chars += (s[j] & 0xc0) != 0x80;
        counts[chars > 64 ? 64 : chars]++;
    }
    size_t half = (m->vocab.n + 1) / 2, seen = 0, median = 1;
    for (size_t c = 0; c <= 64; c++) {
        seen += counts[c];
        if (seen >= half) {
            median = c ? c : 1;
            break;
        }
    }
    m->max_chars = MAX_TOKENS * median;
}

/* ---- The tokenizer cache -------------------------------------------------------------
 * Parsing a 700 KB tokenizer.json with cJSON costs 10 ms or more, too much for a hook's cold
 * start.  So the parsed tokenizer is kept in $MEM0_HOME/models/.cache/tokenizer-<key>.bin,
 * written once (to a temporary file, then renamed) by the first process that parses it and
 * mapped by the others, which then touch only the pages their lookups need.  The key hashes
 * the file's identity (device, inode, size, modification and change times), so an edited
 * tokenizer.json gets a new cache.  It is derived data: a missing or damaged cache is
 * ignored (and rewritten); lookups bound-check every entry; deleting it is always safe.
 * Layout (native byte order, checked by `endian`): cache_head, cache_norm[nnorm],
 * cache_pre[npre], entries[n], slots[nslots], scores[n] (Unigram), strings, arena. */

#define CACHE_VERSION 1
#define CACHE_ENDIAN 0x01020304u

typedef struct cache_head {
    char magic[8]; /* "mem0tok" */
    uint32_t version, endian;
    uint64_t src_lo, src_hi; /* XXH3-128 of the tokenizer.json it was made from */
    int32_t kind, unk, max_word_chars, nnorm, npre, vmax_chars;
    float unk_score;
    uint32_t has_scores;
    char prefix[16];
    uint64_t max_chars, n, nslots, arena_len, strings_len;
} cache_head;

typedef struct cache_norm {
    int32_t kind, clean, chinese, strip_accents, lowercase, left, right;
    uint32_t form, from_len, to_len;
} cache_norm;

typedef struct cache_pre {
    int32_t kind, individual_digits, replacement, prepend, split;
} cache_pre;

/* The cache file for the tokenizer.json at path; -1 if it cannot be stat'ed. */
static int cache_path(const char *home, const char *path, char *out, size_t n)
{
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    uint64_t id[8] = {(uint64_t)st.st_dev,          (uint64_t)st.st_ino,
                      (uint64_t)st.st_size,         (uint64_t)st.st_mtim.tv_sec,
                      (uint64_t)st.st_mtim.tv_nsec, (uint64_t)st.st_ctim.tv_sec,
                      (uint64_t)st.st_ctim.tv_nsec, CACHE_VERSION};
    XXH128_hash_t h = XXH3_128bits(id, sizeof id);
    snprintf(out, n, "%s/models/.cache/tokenizer-%016llx%016llx.bin", home,
             (unsigned long long)h.high64, (unsigned long long)h.low64);
    return 0;
}

/* Maps the cache into m; 0 on success, -1 when there is no usable cache (m unchanged). */
static int cache_load(static_model *m, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    void *map = NULL;
    size_t len = 0;
    if (fstat(fd, &st) == 0 && st.st_size >= (off_t)sizeof(cache_head)) {
        len = (size_t)st.st_size;
        map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) map = NULL;
    }
    close(fd);
    if (!map) return -1;
    const cache_head *h = map;
    const uint8_t *p = (const uint8_t *)map + sizeof *h;
    int ok = memcmp(h->magic, "mem0tok", 8) == 0 && h->version == CACHE_VERSION &&
             h->endian == CACHE_ENDIAN && h->nnorm >= 0 && h->nnorm <= MAX_STEPS && h->npre >= 0 &&
             h->npre <= MAX_STEPS && h->kind >= M_WORDPIECE && h->kind <= M_UNIGRAM && h->n > 0 &&
             h->n < (1u << 26) && h->nslots >= h->n * 2 && h->nslots < (1u << 28) &&
             (h->nslots & (h->nslots - 1)) == 0 && h->arena_len < (1u << 30) &&
             h->strings_len < (1u << 20) && h->prefix[15] == '\0' &&
             (h->kind == M_UNIGRAM) == (h->has_scores != 0);
    if (ok) {
        uint64_t need = sizeof *h + (uint64_t)h->nnorm * sizeof(cache_norm) +
                        (uint64_t)h->npre * sizeof(cache_pre) + h->n * sizeof(struct ventry) +
                        h->nslots * sizeof(uint32_t) + (h->has_scores ? h->n * sizeof(float) : 0) +
                        h->strings_len + h->arena_len;
        ok = need == len;
    }
    static_model t; /* filled here, moved into m only when complete */
    memset(&t, 0, sizeof t);
    const cache_norm *cn = (const cache_norm *)(const void *)p;
    const cache_pre *cp = (const cache_pre *)(const void *)(cn + (ok ? h->nnorm : 0));
    p = (const uint8_t *)(cp + (ok ? h->npre : 0));
    if (ok) {
        t.vocab.entries = (struct ventry *)(uintptr_t)p;
        p += h->n * sizeof(struct ventry);
        t.vocab.slots = (uint32_t *)(uintptr_t)p;
        p += h->nslots * sizeof(uint32_t);
        if (h->has_scores) {
            t.scores = (float *)(uintptr_t)p;
            p += h->n * sizeof(float);
        }
    }
    const char *strings = (const char *)p;
    size_t soff = 0;
    for (int i = 0; ok && i < h->nnorm; i++) {
        norm_step *s = &t.norm[i];
        s->kind = (enum norm_kind)cn[i].kind;
        s->clean = cn[i].clean;
        s->chinese = cn[i].chinese;
        s->strip_accents = cn[i].strip_accents;
        s->lowercase = cn[i].lowercase;
        s->left = cn[i].left;
        s->right = cn[i].right;
        s->form = (utf8proc_option_t)cn[i].form;
        t.nnorm = i + 1;
        ok = cn[i].kind >= N_BERT && cn[i].kind <= N_REPLACE &&
             soff + cn[i].from_len + cn[i].to_len <= h->strings_len;
        if (ok && s->kind == N_REPLACE) {
            s->from = strndup(strings + soff, cn[i].from_len);
            s->to = strndup(strings + soff + cn[i].from_len, cn[i].to_len);
            ok = s->from && s->to;
        }
        soff += ok ? cn[i].from_len + cn[i].to_len : 0;
    }
    for (int i = 0; ok && i < h->npre; i++) {
        t.pre[i].kind = (enum pre_kind)cp[i].kind;
        t.pre[i].individual_digits = cp[i].individual_digits;
        t.pre[i].replacement = cp[i].replacement;
        t.pre[i].prepend = cp[i].prepend;
        t.pre[i].split = cp[i].split;
        ok = cp[i].kind >= P_BERT && cp[i].kind <= P_METASPACE;
    }
    if (!ok) {
        for (int i = 0; i < t.nnorm; i++) {
            free(t.norm[i].from);
            free(t.norm[i].to);
        }
        munmap(map, len);
        return -1;
    }
    t.vocab.arena = (char *)(uintptr_t)(strings + h->strings_len);
    t.vocab.used = t.vocab.cap = h->arena_len;
    t.vocab.n = t.vocab.ecap = h->n;
    t.vocab.nslots = h->nslots;
    t.vocab.max_chars = h->vmax_chars;
    t.vocab.mapped = 1;
    memcpy(m->norm, t.norm, sizeof m->norm);
    memcpy(m->pre, t.pre, sizeof m->pre);
    m->nnorm = h->nnorm;
    m->npre = h->npre;
    m->kind = (enum model_kind)h->kind;
    m->vocab = t.vocab;
    m->unk = h->unk;
    memcpy(m->prefix, h->prefix, sizeof m->prefix);
    m->max_word_chars = h->max_word_chars;
    m->scores = t.scores;
    m->unk_score = h->unk_score;
    m->max_chars = (size_t)h->max_chars;
    m->src_lo = h->src_lo;
    m->src_hi = h->src_hi;
    m->cache_map = map;
    m->cache_len = len;
    return 0;
}

/* Writes the cache for a freshly parsed tokenizer; best effort (a read-only home is fine). */
static void cache_save(const static_model *m, const char *home, const char *path)
{
    char dir[PATH_MAX + 32], tmp[PATH_MAX + 128];
    snprintf(dir, sizeof dir, "%s/models", home);
    mkdir(dir, 0700);
    snprintf(dir, sizeof dir, "%s/models/.cache", home);
    mkdir(dir, 0700);
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) return;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        return;
    }
    cache_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, "mem0tok", 8);
    h.version = CACHE_VERSION;
    h.endian = CACHE_ENDIAN;
    h.src_lo = m->src_lo;
    h.src_hi = m->src_hi;
    h.kind = (int32_t)m->kind;
    h.unk = m->unk;
    h.max_word_chars = m->max_word_chars;
    h.nnorm = m->nnorm;
    h.npre = m->npre;
    h.vmax_chars = m->vocab.max_chars;
    h.unk_score = m->unk_score;
    h.has_scores = m->scores != NULL;
    memcpy(h.prefix, m->prefix, sizeof h.prefix);
    h.max_chars = m->max_chars;
    h.n = m->vocab.n;
    h.nslots = m->vocab.nslots;
    h.arena_len = m->vocab.used;
    cache_norm cn[MAX_STEPS];
    cache_pre cp[MAX_STEPS];
    memset(cn, 0, sizeof cn);
    memset(cp, 0, sizeof cp);
    for (int i = 0; i < m->nnorm; i++) {
        const norm_step *s = &m->norm[i];
        cn[i] = (cache_norm){(int32_t)s->kind,
                             s->clean,
                             s->chinese,
                             s->strip_accents,
                             s->lowercase,
                             s->left,
                             s->right,
                             (uint32_t)s->form,
                             s->from ? (uint32_t)strlen(s->from) : 0,
                             s->to ? (uint32_t)strlen(s->to) : 0};
        h.strings_len += cn[i].from_len + cn[i].to_len;
    }
    for (int i = 0; i < m->npre; i++)
        cp[i] = (cache_pre){(int32_t)m->pre[i].kind, m->pre[i].individual_digits,
                            m->pre[i].replacement, m->pre[i].prepend, m->pre[i].split};
    int ok =
        fwrite(&h, sizeof h, 1, f) == 1 &&
        fwrite(cn, sizeof *cn, (size_t)m->nnorm, f) == (size_t)m->nnorm &&
        fwrite(cp, sizeof *cp, (size_t)m->npre, f) == (size_t)m->npre &&
        fwrite(m->vocab.entries, sizeof *m->vocab.entries, m->vocab.n, f) == m->vocab.n &&
        fwrite(m->vocab.slots, sizeof *m->vocab.slots, m->vocab.nslots, f) == m->vocab.nslots &&
        (!m->scores || fwrite(m->scores, sizeof *m->scores, m->vocab.n, f) == m->vocab.n);
    for (int i = 0; ok && i < m->nnorm; i++)
        ok = (!m->norm[i].from || fputs(m->norm[i].from, f) >= 0) &&
             (!m->norm[i].to || fputs(m->norm[i].to, f) >= 0);
    ok = ok && fwrite(m->vocab.arena, 1, m->vocab.used, f) == m->vocab.used;
    if (fclose(f) != 0) ok = 0;
    if (!ok || rename(tmp, path) != 0) unlink(tmp);
}

static int load_tokenizer(static_model *m, const char *path, const char *home, mem0_err *err)
{
    char *text = NULL, cpath[PATH_MAX + 96];
    size_t len = 0;
    int cached = cache_path(home, path, cpath, sizeof cpath) == 0;
    if (cached && cache_load(m, cpath) == 0) return 0;
    int rc = slurp(path, MAX_TOKENIZER_BYTES, &text, &len, err);
    if (rc) return rc;
    XXH128_hash_t src = XXH3_128bits(text, len);
    m->src_lo = src.low64;
    m->src_hi = src.high64;
    cJSON *j = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return err_set(err, MEM0_EINVAL, "%s is not JSON", path);
    }
    if ((rc = add_norm(m, cJSON_GetObjectItemCaseSensitive(j, "normalizer"), path, err)) ||
        (rc = add_pre(m, cJSON_GetObjectItemCaseSensitive(j, "pre_tokenizer"), path, err)) ||
        (rc = load_model_section(m, cJSON_GetObjectItemCaseSensitive(j, "model"), path, err)))
        goto done;
    set_max_chars(m);
    if (cached) cache_save(m, home, cpath);
done:
    cJSON_Delete(j);
    return rc;
}

/* ---- Opening ------------------------------------------------------------------------- */

int embed_static_open(embedder *e, const char *home, const char *name_or_path, mem0_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX + 32], name[128];
    int rc = 0;
    if (strchr(name_or_path, '/')) {
        if (snprintf(dir, sizeof dir, "%s", name_or_path) >= (int)sizeof dir)
            return err_set(err, MEM0_EINVAL, "model path is too long");
        size_t l = strlen(dir);
        while (l > 1 && dir[l - 1] == '/')
            dir[--l] = '\0';
        const char *base = strrchr(dir, '/');
        snprintf(name, sizeof name, "%.127s", base && base[1] ? base + 1 : dir);
    } else {
        if ((rc = model_dir(home, name_or_path, dir, sizeof dir, err))) return rc;
        snprintf(name, sizeof name, "%.127s", name_or_path);
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (!strchr(name_or_path, '/'))
            return err_set(err, MEM0_EINVAL,
                           "model %s is not installed (no folder %s): run `mem0-mcp model install "
                           "%s`, or set MEM0_EMBEDDER to another embedder",
                           name_or_path, dir, name_or_path);
        return err_set(err, MEM0_EINVAL, "model folder %s does not exist", dir);
    }
    static_model *m = calloc(1, sizeof *m);
    if (!m) return err_set(err, MEM0_ENOMEM, "static embedder: out of memory");
    XXH3_state_t *fp = XXH3_createState();
    if (!fp) {
        free(m);
        return err_set(err, MEM0_ENOMEM, "static embedder: out of memory");
    }
    XXH3_64bits_reset(fp);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if ((rc = load_safetensors(m, path, fp, err))) goto fail;
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    char h[PATH_MAX];
    if (!home || !*home) {
        settings_home(h, sizeof h);
        home = h;
    }
    if ((rc = load_tokenizer(m, path, home, err))) goto fail;
    XXH3_64bits_update(fp, &m->src_lo, sizeof m->src_lo);
    XXH3_64bits_update(fp, &m->src_hi, sizeof m->src_hi);
    if (m->unk >= 0 && m->unk >= m->vocab_size) m->unk = -1;
    if ((int64_t)m->vocab.n > m->vocab_size + 1024) {
        /* model2vec keeps one row per token; far fewer rows than tokens is a mismatch */
        rc = err_set(err, MEM0_EINVAL,
                     "%s: the tokenizer has %zu tokens but the table only %lld rows: the two "
                     "files are not from the same model",
                     dir, m->vocab.n, (long long)m->vocab_size);
        goto fail;
    }
    e->ops = &static_ops;
    e->impl = m;
    e->dim = (int)m->emb.cols;
    snprintf(e->id, sizeof e->id, "static:%.120s@%016llx", name,
             (unsigned long long)XXH3_64bits_digest(fp));
    snprintf(e->describe, sizeof e->describe, "static model %s (%d dims, %zu tokens) at %.3900s",
             name, e->dim, m->vocab.n, dir);
    XXH3_freeState(fp);
    return 0;
fail:
    XXH3_freeState(fp);
    model_free(m);
    return rc;
}
