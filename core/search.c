/* search.c: candidate generation, context features and fusion (formula in search.h). */
#include "search.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lexical.h"
#include "record.h"
#include "timeutil.h"
#include "util.h"

#define BM25_K1 1.2
#define BM25_B 0.75
#define MAX_QUERY_TERMS 64
#define MAX_WINDOW 8

void search_params_load(search_params *p)
{
    memset(p, 0, sizeof *p);
    p->window = 2;
    p->decay = 0.8;
    p->w_neighbour = 0.5;
    p->w_run = 0.3;
    p->w_entity = 0.25;
    p->w_date = 0.2;
    p->w_when = 0.1;
    p->w_project = 0.05;
    p->w_recency = 0.02;
    p->w_vector = 1.0;
    p->pool = 256;
    p->fusion = 1;
    p->ahead = 0.75;
    const char *mode = getenv("MEM0_RANKING");
    if (mode && strcasecmp(mode, "bm25") == 0) p->bm25_only = 1;
    const char *s = getenv("MEM0_RANK_PARAMS");
    while (s && *s) {
        char name[32];
        double v;
        int used = 0;
        if (sscanf(s, " %31[a-z_] = %lf%n", name, &v, &used) == 2 && used > 0) {
            if (strcmp(name, "window") == 0)
                p->window = v < 0 ? 0 : v > MAX_WINDOW ? MAX_WINDOW : (int)v;
            else if (strcmp(name, "decay") == 0)
                p->decay = v;
            else if (strcmp(name, "neighbour") == 0)
                p->w_neighbour = v;
            else if (strcmp(name, "run") == 0)
                p->w_run = v;
            else if (strcmp(name, "entity") == 0)
                p->w_entity = v;
            else if (strcmp(name, "date") == 0)
                p->w_date = v;
            else if (strcmp(name, "when") == 0)
                p->w_when = v;
            else if (strcmp(name, "project") == 0)
                p->w_project = v;
            else if (strcmp(name, "recency") == 0)
                p->w_recency = v;
            else if (strcmp(name, "vector") == 0)
                p->w_vector = v;
            else if (strcmp(name, "ahead") == 0)
                p->ahead = v;
            else if (strcmp(name, "fusion") == 0)
                p->fusion = (int)v;
            else if (strcmp(name, "pool") == 0 && v >= 16)
                p->pool = (int)v;
            s += used;
        }
        const char *comma = strchr(s, ',');
        s = comma ? comma + 1 : NULL;
    }
}

/* ---- Accumulator: docnum -> candidate ---------------------------------------------- */

typedef struct cand {
    uint32_t num;
    uint32_t matched; /* distinct query terms found */
    double bm25, ent, vec;
    int has_vec;
    double pre; /* lexical + entity, for choosing the pool */
} cand;

typedef struct accum {
    cand *c;
    size_t n, cap;
    uint32_t *slot; /* open addressing: index + 1 into c, 0 empty */
    size_t mask;
} accum;

static int accum_init(accum *a, size_t expect)
{
    size_t size = 64;
    while (size < expect * 2)
        size <<= 1;
    a->slot = calloc(size, sizeof *a->slot);
    a->mask = size - 1;
    a->cap = expect > 16 ? expect : 16;
    a->c = malloc(a->cap * sizeof *a->c);
    a->n = 0;
    return a->slot && a->c ? 0 : MEM0_ENOMEM;
}

static void accum_free(accum *a)
{
    free(a->slot);
    free(a->c);
}

static cand *accum_find(const accum *a, uint32_t num)
{
    size_t h = (num * 2654435761u) & a->mask;
    while (a->slot[h]) {
        cand *c = &a->c[a->slot[h] - 1];
        if (c->num == num) return c;
        h = (h + 1) & a->mask;
    }
    return NULL;
}

static int accum_grow(accum *a)
{
    size_t size = (a->mask + 1) * 2;
    uint32_t *slot = calloc(size, sizeof *slot);
    if (!slot) return MEM0_ENOMEM;
    for (size_t i = 0; i < a->n; i++) {
        size_t h = (a->c[i].num * 2654435761u) & (size - 1);
        while (slot[h])
            h = (h + 1) & (size - 1);
        slot[h] = (uint32_t)i + 1;
    }
    free(a->slot);
    a->slot = slot;
    a->mask = size - 1;
    return 0;
}

/* The candidate for num, created (zeroed) if new; NULL on allocation failure. */
static cand *accum_get(accum *a, uint32_t num)
{
    if ((a->n + 1) * 2 > a->mask + 1 && accum_grow(a)) return NULL;
    size_t h = (num * 2654435761u) & a->mask;
    while (a->slot[h]) {
        cand *c = &a->c[a->slot[h] - 1];
        if (c->num == num) return c;
        h = (h + 1) & a->mask;
    }
    if (a->n == a->cap) {
        size_t cap = a->cap * 2;
        cand *c = realloc(a->c, cap * sizeof *c);
        if (!c) return NULL;
        a->c = c;
        a->cap = cap;
    }
    cand *c = &a->c[a->n];
    memset(c, 0, sizeof *c);
    c->num = num;
    a->slot[h] = (uint32_t)++a->n;
    return c;
}

/* ---- Docs cache --------------------------------------------------------------------- */

typedef struct doc_cache {
    lex_doc *d;
    uint32_t *num;
    int *present; /* 1 found, 0 missing */
    size_t n, cap;
    uint32_t *slot;
    size_t mask;
} doc_cache;

static void cache_free(doc_cache *c)
{
    free(c->d);
    free(c->num);
    free(c->present);
    free(c->slot);
}

/* The docs entry of num through the cache; NULL if missing. *rc set on error. */
static const lex_doc *cache_get(MDB_txn *txn, const store_dbs *db, doc_cache *c, uint32_t num,
                                int *rc, mem0_err *err)
{
    if (!num) return NULL;
    if (!c->slot || (c->n + 1) * 2 > c->mask + 1) {
        size_t size = c->slot ? (c->mask + 1) * 2 : 1024;
        uint32_t *slot = calloc(size, sizeof *slot);
        if (!slot) {
            *rc = err_set(err, MEM0_ENOMEM, "out of memory");
            return NULL;
        }
        for (size_t i = 0; i < c->n; i++) {
            size_t h = (c->num[i] * 2654435761u) & (size - 1);
            while (slot[h])
                h = (h + 1) & (size - 1);
            slot[h] = (uint32_t)i + 1;
        }
        free(c->slot);
        c->slot = slot;
        c->mask = size - 1;
    }
    size_t h = (num * 2654435761u) & c->mask;
    while (c->slot[h]) {
        size_t i = c->slot[h] - 1;
        if (c->num[i] == num) return c->present[i] ? &c->d[i] : NULL;
        h = (h + 1) & c->mask;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        lex_doc *d = realloc(c->d, cap * sizeof *d);
        if (d) c->d = d;
        uint32_t *nn = realloc(c->num, cap * sizeof *nn);
        if (nn) c->num = nn;
        int *pp = realloc(c->present, cap * sizeof *pp);
        if (pp) c->present = pp;
        if (!d || !nn || !pp) {
            *rc = err_set(err, MEM0_ENOMEM, "out of memory");
            return NULL;
        }
        c->cap = cap;
    }
    size_t i = c->n;
    int r = lexical_doc(txn, db, num, &c->d[i], err);
    if (r && r != MEM0_ENOTFOUND) {
        *rc = r;
        return NULL;
    }
    c->num[i] = num;
    c->present[i] = r == 0;
    c->slot[h] = (uint32_t)++c->n;
    return r == 0 ? &c->d[i] : NULL;
}

/* ---- Query analysis ----------------------------------------------------------------- */

typedef struct qterm {
    char text[LEX_MAX_TERM + 2];
    size_t len;
    double qw, idf;
    long df;
    int entity;
} qterm;

/* Words before names; rarer words first. */
static int term_before(const qterm *a, const qterm *b)
{
    if (a->entity != b->entity) return !a->entity;
    return a->df < b->df;
}

typedef struct collect_post {
    accum *a;
    int use_tag;
    uint16_t tag;
    int pass; /* 0: count df; 1: accumulate */
    long df;
    double idf, qw, avgdl;
    int entity;
    int update_only; /* add to existing candidates only */
} collect_post;

static int post_visit(const lex_posting *p, void *vctx)
{
    collect_post *c = vctx;
    if (c->use_tag && p->tag != c->tag) return 0;
    if (c->pass == 0) {
        c->df++;
        return 0;
    }
    cand *k = c->update_only ? accum_find(c->a, p->num) : accum_get(c->a, p->num);
    if (!k) return c->update_only ? 0 : MEM0_ENOMEM;
    if (c->entity) {
        k->ent += c->qw * c->idf;
        return 0;
    }
    double tf = p->tf / 4.0, len = lex_len_decode((uint8_t)p->len);
    k->bm25 += c->qw * c->idf * tf * (BM25_K1 + 1) /
               (tf + BM25_K1 * (1 - BM25_B + BM25_B * len / c->avgdl));
    k->matched++;
    return 0;
}

typedef struct run_score {
    uint32_t num;
    double score;
} run_score;

typedef struct run_post {
    run_score *v;
    size_t n, cap;
    int use_tag;
    uint16_t tag;
    int pass;
    long df;
    double idf, qw, avgrl;
    lex_stats stats;
} run_post;

static int run_cmp(const void *pa, const void *pb)
{
    const run_score *a = pa, *b = pb;
    return a->num < b->num ? -1 : a->num > b->num;
}

static int run_visit(const lex_posting *p, void *vctx)
{
    run_post *c = vctx;
    if (c->use_tag && p->tag != c->tag) return 0;
    if (c->pass == 0) {
        c->df++;
        return 0;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        run_score *v = realloc(c->v, cap * sizeof *v);
        if (!v) return MEM0_ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    /* Run length is not in the posting: tf relative to an average run (no length norm). */
    double tf = p->tf / 4.0;
    c->v[c->n].num = p->num;
    c->v[c->n].score = c->qw * c->idf * tf * (BM25_K1 + 1) / (tf + BM25_K1);
    c->n++;
    return 0;
}

static double idf_of(double n, double df)
{
    return log(1.0 + (n - df + 0.5) / (df + 0.5));
}

/* 1 if the query asks for a time ("when ...", "what date", "how long ago"). */
static int asks_when(const char *q)
{
    while (*q && !isalpha((unsigned char)*q))
        q++;
    if (strncasecmp(q, "when", 4) == 0 && !isalpha((unsigned char)q[4])) return 1;
    static const char *const phrases[] = {"what date",    "what year", "what month", "what day",
                                          "how long ago", "what time", NULL};
    for (int i = 0; phrases[i]; i++)
        if (strcasestr(q, phrases[i])) return 1;
    return 0;
}

/* ---- The search --------------------------------------------------------------------- */

typedef struct ranked {
    uint32_t num;
    const lex_doc *doc; /* into the cache (stable only until the cache grows: copied) */
    lex_doc d;
    double score, lexical, neighbour, run, entity, date, when, project, recency, vector;
    double bm25, raw;
    uint32_t matched;
} ranked;

static int ranked_cmp(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->score != b->score) return a->score < b->score ? 1 : -1;
    if (a->d.created_us != b->d.created_us) return a->d.created_us < b->d.created_us ? 1 : -1;
    return memcmp(a->d.id, b->d.id, 16);
}

static int pre_cmp(const void *pa, const void *pb)
{
    const cand *const *a = pa, *const *b = pb;
    if ((*a)->pre != (*b)->pre) return (*a)->pre < (*b)->pre ? 1 : -1;
    return (*a)->num < (*b)->num ? 1 : (*a)->num > (*b)->num ? -1 : 0;
}

/* Moves the k best candidates (pre_cmp order) to order[0..k), in no particular order. */
static void select_top(cand **order, size_t n, size_t k)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        cand *pivot = order[lo + (hi - lo) / 2];
        size_t lt = lo, i = lo, gt = hi;
        while (i < gt) {
            int c = pre_cmp(&order[i], &pivot);
            cand *tmp;
            if (c < 0) {
                tmp = order[lt], order[lt++] = order[i], order[i++] = tmp;
            } else if (c > 0) {
                tmp = order[--gt], order[gt] = order[i], order[i] = tmp;
            } else {
                i++;
            }
        }
        if (k < lt)
            hi = lt;
        else if (k <= gt)
            return;
        else
            lo = gt;
    }
}

static double round6(double v)
{
    return round(v * 1e6) / 1e6;
}

typedef struct search_state {
    MDB_txn *txn;
    const store_dbs *db;
    const search_query *q;
    const search_params *p;
    accum acc;
    doc_cache cache;
    run_score *runs;
    size_t nruns;
    double best, rbest, ebest;
    qterm *terms;
    size_t nterms;
    uint64_t user_hash, app_hash;
    int use_tag, when, has_date;
    int32_t date_lo, date_hi, today;
} search_state;

static double lexical_of(search_state *s, uint32_t num)
{
    const cand *c = num ? accum_find(&s->acc, num) : NULL;
    return c && s->best > 0 ? c->bm25 / s->best : 0;
}

static double run_of(const search_state *s, uint32_t runnum)
{
    if (!runnum || !s->nruns || s->rbest <= 0) return 0;
    run_score key = {runnum, 0};
    const run_score *r = bsearch(&key, s->runs, s->nruns, sizeof *s->runs, run_cmp);
    return r ? r->score / s->rbest : 0;
}

/* Neighbour evidence of doc d: lexical scores along its run, by distance. */
static int neighbour_of(search_state *s, const lex_doc *d, double *out, mem0_err *err)
{
    double sum = 0;
    int rc = 0;
    for (int dir = 0; dir < 2; dir++) {
        uint32_t at = dir ? d->next : d->prev;
        double w = dir ? s->p->ahead : 1; /* evidence after d (its replies) vs before it */
        for (int k = 0; k < s->p->window && at; k++) {
            const lex_doc *n = cache_get(s->txn, s->db, &s->cache, at, &rc, err);
            if (rc) return rc;
            if (!n || n->user_hash != d->user_hash) break;
            sum += w * lexical_of(s, at);
            w *= s->p->decay;
            at = dir ? n->next : n->prev;
        }
    }
    *out = sum;
    return 0;
}

static double neighbour_max(const search_params *p)
{
    double m = 0, w = 1;
    for (int k = 0; k < p->window; k++, w *= p->decay)
        m += (1 + p->ahead) * w;
    return m;
}

static int score_one(search_state *s, uint32_t num, ranked *r, mem0_err *err)
{
    int rc = 0;
    const lex_doc *cached = cache_get(s->txn, s->db, &s->cache, num, &rc, err);
    if (rc) return rc;
    if (!cached) return 1; /* not indexed: skip */
    /* A copy: walking the run below may grow (move) the cache. */
    const lex_doc self = *cached, *d = &self;
    memset(r, 0, sizeof *r);
    r->num = num;
    r->d = *d;
    const cand *c = accum_find(&s->acc, num);
    const search_params *p = s->p;
    r->bm25 = c ? c->bm25 : 0;
    r->matched = c ? c->matched : 0;
    r->lexical = s->best > 0 ? r->bm25 / s->best : 0;
    if (r->lexical > 1) r->lexical = 1;
    double num_sum = r->lexical, den = 1;
    if (!p->bm25_only) {
        double nmax = neighbour_max(p);
        if (nmax > 0 && p->w_neighbour > 0) {
            double nb;
            if ((rc = neighbour_of(s, d, &nb, err))) return rc;
            r->neighbour = nb / nmax;
            num_sum += p->w_neighbour * nmax * r->neighbour;
            den += p->w_neighbour * nmax;
        }
        if (p->w_run > 0 && s->rbest > 0) {
            r->run = run_of(s, d->runnum);
            num_sum += p->w_run * r->run;
            den += p->w_run;
        }
        if (p->w_entity > 0 && s->ebest > 0) {
            r->entity = c ? c->ent / s->ebest : 0;
            num_sum += p->w_entity * r->entity;
            den += p->w_entity;
        }
        if (p->w_date > 0 && s->has_date) {
            r->date = d->date_day >= s->date_lo && d->date_day <= s->date_hi;
            num_sum += p->w_date * r->date;
            den += p->w_date;
        }
        if (p->w_when > 0 && s->when) {
            r->when = (d->flags & LEX_DOC_TEMPORAL) != 0;
            num_sum += p->w_when * r->when;
            den += p->w_when;
        }
        if (p->w_project > 0 && s->app_hash) {
            r->project = d->app_hash == s->app_hash;
            num_sum += p->w_project * r->project;
            den += p->w_project;
        }
        if (p->w_recency > 0) {
            double age = (double)(s->q->now_us - d->created_us) / 86400e6;
            r->recency = age <= 0 ? 1 : pow(0.5, age / 30.0);
            num_sum += p->w_recency * r->recency;
            den += p->w_recency;
        }
    }
    if (s->q->vec_n && p->w_vector > 0) {
        r->vector = c && c->has_vec ? (c->vec > 0 ? c->vec : 0) : 0;
        num_sum += p->w_vector * r->vector;
        den += p->w_vector;
    }
    /* raw ranks as the linear sum; the map keeps small scores as they are (slope 1 at 0)
     * and the largest possible raw at 1 (see search.h). */
    r->raw = num_sum;
    if (p->fusion == 0 || den <= 1)
        r->score = num_sum / den;
    else
        r->score = 1 - pow(1 - num_sum / den, den);
    if (r->score > 1) r->score = 1;
    return 0;
}

static cJSON *details(const search_state *s, const ranked *r)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "ranking", s->p->bm25_only ? "bm25" : "hybrid");
    cJSON_AddNumberToObject(d, "lexical", round6(r->lexical));
    cJSON_AddNumberToObject(d, "bm25", round6(r->bm25));
    cJSON_AddNumberToObject(d, "matched_terms", r->matched);
    if (!s->p->bm25_only) {
        cJSON_AddNumberToObject(d, "neighbour", round6(r->neighbour));
        cJSON_AddNumberToObject(d, "run", round6(r->run));
        cJSON_AddNumberToObject(d, "entity", round6(r->entity));
        cJSON_AddNumberToObject(d, "date", r->date);
        cJSON_AddNumberToObject(d, "when", r->when);
        cJSON_AddNumberToObject(d, "project", r->project);
        cJSON_AddNumberToObject(d, "recency", round6(r->recency));
    }
    if (s->q->vec_n) cJSON_AddNumberToObject(d, "vector", round6(r->vector));
    return d;
}

/* Query terms, their idf over the scope, and the lexical/entity accumulators. */
static int gather(search_state *s, mem0_err *err)
{
    const search_query *q = s->q;
    lex_terms t;
    memset(&t, 0, sizeof t);
    int rc = lexical_tokenize(q->query, &t, err);
    if (rc) {
        lexical_terms_free(&t);
        return rc;
    }
    lexical_merge(&t);
    s->terms = calloc(t.n ? t.n : 1, sizeof *s->terms);
    if (!s->terms) {
        lexical_terms_free(&t);
        return err_set(err, MEM0_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < t.n && s->nterms < MAX_QUERY_TERMS; i++) {
        qterm *x = &s->terms[s->nterms++];
        memcpy(x->text, t.v[i].text, t.v[i].len);
        x->len = t.v[i].len;
        x->qw = t.v[i].weight < 1 ? t.v[i].weight : 1; /* a term counts once, as in BM25 */
        x->entity = t.v[i].text[0] == LEX_ENTITY_PREFIX;
    }
    lexical_terms_free(&t);

    lex_stats st;
    const char *user = filter_pinned_user(q->f);
    if (user) {
        s->user_hash = lexical_hash(user);
        s->use_tag = 1;
        rc = lexical_user_stats(s->txn, s->db, s->user_hash, &st, err);
    } else {
        lex_global g;
        rc = lexical_global(s->txn, s->db, &g, err);
        st = g.all;
    }
    if (rc) return rc;
    double n = (double)st.docs;
    double avgdl = st.docs ? (double)st.length / (double)st.docs : 1;
    if (avgdl <= 0) avgdl = 1;
    if ((rc = accum_init(&s->acc, 1024))) return err_set(err, rc, "out of memory");
    run_post rp;
    memset(&rp, 0, sizeof rp);
    rp.use_tag = s->use_tag;
    rp.tag = (uint16_t)s->user_hash;
    double rn = (double)st.runs;
    /* Document frequencies first, so that terms can be taken rarest first. */
    size_t order[MAX_QUERY_TERMS] = {0};
    for (size_t i = 0; i < s->nterms; i++) {
        qterm *x = &s->terms[i];
        collect_post c = {&s->acc,   s->use_tag, (uint16_t)s->user_hash, 0, 0, 0, x->qw, avgdl,
                          x->entity, 0};
        if ((rc = lexical_postings(s->txn, s->db, 'd', x->text, x->len, post_visit, &c, err)))
            goto fail;
        x->df = c.df;
        x->idf = idf_of(n, (double)c.df);
        if (x->entity && c.df) /* a name the store never saw says nothing about any memory */
            s->ebest += x->qw * x->idf;
        else if (!x->entity)
            s->best += x->qw * x->idf * (BM25_K1 + 1);
        order[i] = i;
    }
    for (size_t i = 1; i < s->nterms; i++) { /* insertion sort: words by df, then names */
        size_t v = order[i], j = i;
        while (j > 0 && term_before(&s->terms[v], &s->terms[order[j - 1]])) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
    for (size_t oi = 0; oi < s->nterms; oi++) {
        qterm *x = &s->terms[order[oi]];
        if (x->df == 0) continue;
        /* A very common term (in over 1/8 of the memories) adds its score to the candidates
         * rarer terms found but creates none once there are enough of them: a memory holding
         * only common query terms cannot reach the pool.  Names never create candidates. */
        int update_only =
            x->entity || (oi > 0 && s->acc.n >= (size_t)s->p->pool && (double)x->df * 8 > n);
        collect_post c = {&s->acc,   s->use_tag, (uint16_t)s->user_hash, 1, 0, x->idf, x->qw, avgdl,
                          x->entity, update_only};
        if ((rc = lexical_postings(s->txn, s->db, 'd', x->text, x->len, post_visit, &c, err)))
            goto fail;
        if (x->entity || s->p->bm25_only || s->p->w_run <= 0 || rn <= 0) continue;
        rp.pass = 0;
        rp.df = 0;
        rp.qw = x->qw;
        if ((rc = lexical_postings(s->txn, s->db, 'r', x->text, x->len, run_visit, &rp, err)))
            goto fail;
        if (rp.df == 0) continue;
        rp.idf = idf_of(rn, (double)rp.df);
        s->rbest += x->qw * rp.idf * (BM25_K1 + 1);
        rp.pass = 1;
        if ((rc = lexical_postings(s->txn, s->db, 'r', x->text, x->len, run_visit, &rp, err)))
            goto fail;
    }
    /* Sum the per-term run scores into one per run. */
    if (rp.n) {
        qsort(rp.v, rp.n, sizeof *rp.v, run_cmp);
        size_t w = 0;
        for (size_t i = 1; i < rp.n; i++) {
            if (rp.v[i].num == rp.v[w].num)
                rp.v[w].score += rp.v[i].score;
            else
                rp.v[++w] = rp.v[i];
        }
        s->nruns = w + 1;
    }
    s->runs = rp.v;
    return 0;
fail:
    free(rp.v);
    return rc == MEM0_ENOMEM ? err_set(err, rc, "out of memory") : rc;
}

/* Adds the vector hits to the accumulator (ids resolved through the docs index). */
static int add_vectors(search_state *s, mem0_err *err)
{
    for (size_t i = 0; i < s->q->vec_n; i++) {
        uint8_t key[17] = {'I'};
        memcpy(key + 1, s->q->vec[i].id, 16);
        MDB_val k = {17, key}, v;
        int rc = mdb_get(s->txn, s->db->docs, &k, &v);
        if (rc == MDB_NOTFOUND || v.mv_size != 4) continue;
        if (rc) return store_fail(err, rc, "mdb_get(docs)");
        const uint8_t *p = v.mv_data;
        uint32_t num = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        cand *c = accum_get(&s->acc, num);
        if (!c) return err_set(err, MEM0_ENOMEM, "out of memory");
        c->vec = s->q->vec[i].sim;
        c->has_vec = 1;
    }
    return 0;
}

/* Ranks the best `pool` candidates (and their run neighbours); fills *out, *nout. */
static int rank_pool(search_state *s, size_t pool, ranked **out, size_t *nout, int *more,
                     mem0_err *err)
{
    *out = NULL;
    *nout = 0;
    size_t n = s->acc.n;
    cand **order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return err_set(err, MEM0_ENOMEM, "out of memory");
    size_t m = 0;
    double ew = s->p->bm25_only ? 0 : s->p->w_entity;
    for (size_t i = 0; i < n; i++) {
        cand *c = &s->acc.c[i];
        c->pre = (s->best > 0 ? c->bm25 / s->best : 0) +
                 (s->ebest > 0 ? ew * c->ent / s->ebest : 0) +
                 (c->has_vec ? s->p->w_vector * c->vec : 0);
        if (c->bm25 > 0 || c->has_vec || (!s->p->bm25_only && c->ent > 0 && c->matched))
            order[m++] = c;
    }
    /* Only the best `pool` need an order: select them in linear time, then sort those. */
    *more = m > pool;
    if (m > pool) {
        select_top(order, m, pool);
        m = pool;
    }
    qsort(order, m, sizeof *order, pre_cmp);
    /* The pool plus, for context, the run neighbours of each pool member. */
    size_t cap = m * (1 + (s->p->bm25_only ? 0 : 2 * (size_t)s->p->window)) + 1;
    uint32_t *nums = malloc(cap * sizeof *nums);
    ranked *r = calloc(cap, sizeof *r);
    int rc = 0;
    if (!nums || !r) {
        rc = err_set(err, MEM0_ENOMEM, "out of memory");
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        nums[k++] = order[i]->num;
    if (!s->p->bm25_only && s->p->w_neighbour > 0) {
        for (size_t i = 0; i < m; i++) {
            const lex_doc *d = cache_get(s->txn, s->db, &s->cache, order[i]->num, &rc, err);
            if (rc) goto out;
            if (!d) continue;
            lex_doc self = *d;
            for (int dir = 0; dir < 2; dir++) {
                uint32_t at = dir ? self.next : self.prev;
                for (int j = 0; j < s->p->window && at; j++) {
                    const lex_doc *nd = cache_get(s->txn, s->db, &s->cache, at, &rc, err);
                    if (rc) goto out;
                    if (!nd || nd->user_hash != self.user_hash) break;
                    nums[k++] = at;
                    at = dir ? nd->next : nd->prev;
                }
            }
        }
    }
    /* Dedupe the numbers, then score each. */
    size_t nr = 0;
    accum seen;
    if (accum_init(&seen, k)) {
        accum_free(&seen);
        rc = err_set(err, MEM0_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < k; i++) {
        if (accum_find(&seen, nums[i])) continue;
        if (!accum_get(&seen, nums[i])) {
            rc = err_set(err, MEM0_ENOMEM, "out of memory");
            break;
        }
        int x = score_one(s, nums[i], &r[nr], err);
        if (x < 0) {
            rc = x;
            break;
        }
        if (x == 0 && r[nr].score > 0) nr++;
    }
    accum_free(&seen);
    if (rc) goto out;
    qsort(r, nr, sizeof *r, ranked_cmp);
    *out = r;
    *nout = nr;
    r = NULL;
out:
    free(order);
    free(nums);
    free(r);
    return rc;
}

static int32_t today_day(int64_t now_us)
{
    int64_t d = now_us / 86400000000LL;
    if (now_us < 0 && now_us % 86400000000LL) d--;
    return (int32_t)d;
}

int search_run(MDB_txn *txn, const store_dbs *db, const search_query *q, cJSON *out, mem0_err *err)
{
    search_state s;
    memset(&s, 0, sizeof s);
    s.txn = txn;
    s.db = db;
    s.q = q;
    s.p = q->params;
    s.today = today_day(q->now_us);
    s.when = asks_when(q->query);
    s.has_date = lexical_find_date(q->query, &s.date_lo, &s.date_hi);
    s.app_hash = lexical_hash(q->project);
    int top_k = q->top_k > 0 ? q->top_k : 10;
    ranked *r = NULL;
    int rc = gather(&s, err);
    if (rc == 0) rc = add_vectors(&s, err);
    size_t pool = (size_t)(s.p->pool > 8 * top_k ? s.p->pool : 8 * top_k);
    while (rc == 0) {
        size_t nr = 0;
        int more = 0;
        free(r);
        if ((rc = rank_pool(&s, pool, &r, &nr, &more, err))) break;
        int got = 0;
        int stop_early = 0;
        cJSON *items = cJSON_CreateArray();
        for (size_t i = 0; i < nr && got < top_k; i++) {
            const ranked *x = &r[i];
            /* Compared as shown: a caller passing back a score it saw keeps that result. */
            if (q->threshold >= 0 && round6(x->score) < q->threshold) {
                stop_early = 1; /* sorted: nothing further passes */
                break;
            }
            if (s.use_tag && x->d.user_hash != s.user_hash) continue;
            if (!q->show_expired && x->d.expiry_day != INT32_MAX && x->d.expiry_day < s.today)
                continue;
            cJSON *rec;
            int lr = record_load(txn, db, x->d.id, &rec, err);
            if (lr == MEM0_ENOTFOUND) continue;
            if (lr) {
                rc = lr;
                break;
            }
            if ((!q->show_expired && record_expired(rec, q->now_us)) || !filter_eval(q->f, rec)) {
                cJSON_Delete(rec);
                continue;
            }
            cJSON_AddNumberToObject(rec, "score", round6(x->score));
            if (q->explain) cJSON_AddItemToObject(rec, "score_details", details(&s, x));
            cJSON_AddItemToArray(items, rec);
            got++;
        }
        if (rc) {
            cJSON_Delete(items);
            break;
        }
        if (got < top_k && more && !stop_early) {
            cJSON_Delete(items);
            pool *= 4; /* filters rejected too many of the pool: look deeper */
            continue;
        }
        cJSON *it;
        while ((it = cJSON_DetachItemFromArray(items, 0)))
            cJSON_AddItemToArray(out, it);
        cJSON_Delete(items);
        break;
    }
    free(r);
    free(s.terms);
    free(s.runs);
    accum_free(&s.acc);
    cache_free(&s.cache);
    return rc;
}
