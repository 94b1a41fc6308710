/*
 * eval_coding: the coding-memory retrieval evaluation (tests/eval/coding.json) through the
 * public API (mem0_open, mem0_add, mem0_search).  Run by scripts/eval-coding.sh.
 *
 *   eval_coding --data tests/eval/coding.json --home DIR [--systems core,bm25,ref] [--detail]
 *
 * 1. One empty store under DIR (must not exist yet).  Every memory, in file order, is
 *    added with infer=false: user_id = the file's user_id, app_id = project,
 *    run_id = session, metadata {"type": type}.  The id mem0_add returns is kept to score
 *    results; nothing else of the file reaches the store.
 * 2. Every query is searched verbatim with top_k 10 and the filter
 *    {"AND":[{"user_id":U}]} (scope "user") or {"AND":[{"user_id":U},{"app_id":P}]}
 *    (scope "project", P = the query's project).
 * 3. any@1/5/10, all@5/10, MRR@10 per query kind and overall.  Also the mean share of a
 *    query's analysed terms (reference analyser) found in its gold memories, to show how
 *    far the queries paraphrase.
 *
 * Systems as in eval_locomo: "core" (MEM0_RANKING unset), "bm25" (MEM0_RANKING=bm25),
 * "ref" (the reference BM25 of eval_common.h over the same texts and the same scopes).
 * --detail adds a table of each query's first gold rank per system (for tuning).
 * Prints markdown on stdout; exit 0, or 1 on any failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "eval_common.h"
#include "mem0.h"

#define MAX_KINDS 16
#define MAX_SYSTEMS 3
#define MAX_GOLD 8

typedef struct memory {
    const char *key, *project, *session, *type, *text;
    char uuid[64]; /* the id the store gave it */
} memory;

typedef struct query {
    const char *key, *kind, *scope, *project, *text;
    int gold[MAX_GOLD];
    int ngold;
    int kind_idx;
} query;

typedef struct dataset {
    const char *user;
    memory *mems;
    int nmems;
    query *qs;
    int nqs;
    const char *kinds[MAX_KINDS];
    int nkinds;
} dataset;

typedef struct system {
    const char *key, *label;
    ev_acc acc[MAX_KINDS];
    double secs;
    int *first; /* per query: rank of the first gold result (1..10), 0 if none */
} system_t;

static const char *str_field(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int find_memory(const dataset *d, const char *key)
{
    for (int i = 0; i < d->nmems; i++)
        if (strcmp(d->mems[i].key, key) == 0) return i;
    return -1;
}

static int load(const cJSON *root, dataset *d)
{
    const cJSON *mems = cJSON_GetObjectItemCaseSensitive(root, "memories");
    const cJSON *qs = cJSON_GetObjectItemCaseSensitive(root, "queries");
    d->user = str_field(root, "user_id");
    if (!d->user || !cJSON_IsArray(mems) || !cJSON_IsArray(qs)) {
        fprintf(stderr, "eval_coding: the data needs user_id, memories and queries\n");
        return -1;
    }
    d->mems = calloc((size_t)cJSON_GetArraySize(mems) + 1, sizeof *d->mems);
    d->qs = calloc((size_t)cJSON_GetArraySize(qs) + 1, sizeof *d->qs);
    if (!d->mems || !d->qs) return -1;
    const cJSON *m;
    cJSON_ArrayForEach(m, mems)
    {
        memory *x = &d->mems[d->nmems];
        x->key = str_field(m, "id");
        x->project = str_field(m, "project");
        x->session = str_field(m, "session");
        x->type = str_field(m, "type");
        x->text = str_field(m, "text");
        if (!x->key || !x->project || !x->session || !x->type || !x->text ||
            find_memory(d, x->key) >= 0) {
            fprintf(stderr, "eval_coding: memory %d lacks a field or repeats an id\n",
                    d->nmems + 1);
            return -1;
        }
        d->nmems++;
    }
    const cJSON *q;
    cJSON_ArrayForEach(q, qs)
    {
        query *x = &d->qs[d->nqs];
        x->key = str_field(q, "id");
        x->kind = str_field(q, "kind");
        x->scope = str_field(q, "scope");
        x->project = str_field(q, "project");
        x->text = str_field(q, "query");
        const cJSON *gold = cJSON_GetObjectItemCaseSensitive(q, "gold");
        if (!x->key || !x->kind || !x->scope || !x->project || !x->text || !cJSON_IsArray(gold) ||
            (strcmp(x->scope, "user") != 0 && strcmp(x->scope, "project") != 0)) {
            fprintf(stderr, "eval_coding: query %d lacks a field or has a bad scope\n", d->nqs + 1);
            return -1;
        }
        const cJSON *g;
        cJSON_ArrayForEach(g, gold)
        {
            int idx = cJSON_IsString(g) ? find_memory(d, g->valuestring) : -1;
            if (idx < 0 || x->ngold == MAX_GOLD) {
                fprintf(stderr, "eval_coding: query %s: unknown gold id\n", x->key);
                return -1;
            }
            x->gold[x->ngold++] = idx;
        }
        if (x->ngold == 0) {
            fprintf(stderr, "eval_coding: query %s has no gold\n", x->key);
            return -1;
        }
        int k = 0;
        while (k < d->nkinds && strcmp(d->kinds[k], x->kind) != 0)
            k++;
        if (k == d->nkinds) {
            if (d->nkinds == MAX_KINDS) return -1;
            d->kinds[d->nkinds++] = x->kind;
        }
        x->kind_idx = k;
        d->nqs++;
    }
    return 0;
}

static int ingest(dataset *d, const char *dir)
{
    mem0_options opt = {dir, 0, 0};
    mem0 *m = NULL;
    mem0_err err = {0};
    int ret = -1;
    if (mem0_open(&opt, &m, &err)) {
        fprintf(stderr, "eval_coding: open %s: %s\n", dir, err.msg);
        return -1;
    }
    for (int i = 0; i < d->nmems; i++) {
        memory *x = &d->mems[i];
        cJSON *md = cJSON_CreateObject();
        cJSON_AddStringToObject(md, "type", x->type);
        mem0_add_req req = {0};
        req.text = x->text;
        req.scope.user_id = d->user;
        req.scope.app_id = x->project;
        req.scope.run_id = x->session;
        req.metadata = md;
        req.infer = 0;
        req.actor = "eval";
        cJSON *res = NULL;
        int rc = mem0_add(m, &req, &res, &err);
        cJSON_Delete(md);
        const cJSON *first =
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "results"), 0);
        const char *id = str_field(first, "id");
        if (!rc && id) snprintf(x->uuid, sizeof x->uuid, "%s", id);
        cJSON_Delete(res);
        if (rc || !id) {
            fprintf(stderr, "eval_coding: add %s: %s\n", x->key, rc ? err.msg : "no id returned");
            goto out;
        }
    }
    ret = 0;
out:
    mem0_close(m);
    return ret;
}

static int core_search(mem0 *m, const dataset *d, const query *q, int *ranked)
{
    cJSON *filters = cJSON_CreateObject();
    cJSON *and = cJSON_AddArrayToObject(filters, "AND");
    cJSON *u = cJSON_CreateObject();
    cJSON_AddStringToObject(u, "user_id", d->user);
    cJSON_AddItemToArray(and, u);
    if (strcmp(q->scope, "project") == 0) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "app_id", q->project);
        cJSON_AddItemToArray(and, a);
    }
    mem0_search_req req = {0};
    req.query = q->text;
    req.filters = filters;
    req.top_k = EV_TOPK;
    req.threshold = -1;
    cJSON *res = NULL;
    mem0_err err = {0};
    int rc = mem0_search(m, &req, &res, &err);
    cJSON_Delete(filters);
    if (rc) {
        fprintf(stderr, "eval_coding: search %s: %s\n", q->key, err.msg);
        return -1;
    }
    int n = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(res, "results"))
    {
        if (n == EV_TOPK) break;
        const char *id = str_field(r, "id");
        int idx = -1;
        for (int i = 0; id && i < d->nmems && idx < 0; i++)
            if (strcmp(d->mems[i].uuid, id) == 0) idx = i;
        ranked[n++] = idx;
    }
    cJSON_Delete(res);
    return n;
}

/* The reference BM25 over every memory; the scope filter is applied to its ranking. */
static int ref_search(ev_bm25 *ix, const dataset *d, const query *q, int *ranked)
{
    int *all = malloc((size_t)d->nmems * sizeof *all);
    double *scores = malloc((size_t)d->nmems * sizeof *scores);
    int n = 0;
    if (all && scores) {
        int got = ev_bm25_search(ix, q->text, d->nmems, all, scores);
        for (int i = 0; i < got && n < EV_TOPK; i++)
            if (strcmp(q->scope, "user") == 0 || strcmp(d->mems[all[i]].project, q->project) == 0)
                ranked[n++] = all[i];
    }
    free(all);
    free(scores);
    return all && scores ? n : -1;
}

static int run_system(system_t *sys, const dataset *d, const char *dir, ev_bm25 *ix)
{
    mem0 *m = NULL;
    if (strcmp(sys->key, "bm25") == 0)
        setenv("MEM0_RANKING", "bm25", 1);
    else
        unsetenv("MEM0_RANKING");
    if (strcmp(sys->key, "ref") != 0) {
        mem0_options opt = {dir, 0, 0};
        mem0_err err = {0};
        if (mem0_open(&opt, &m, &err)) {
            fprintf(stderr, "eval_coding: open %s: %s\n", dir, err.msg);
            return -1;
        }
    }
    double t0 = ev_now();
    int ret = 0;
    for (int i = 0; i < d->nqs && !ret; i++) {
        const query *q = &d->qs[i];
        int ranked[EV_TOPK];
        int n = m ? core_search(m, d, q, ranked) : ref_search(ix, d, q, ranked);
        if (n < 0) {
            ret = -1;
            break;
        }
        ev_score(&sys->acc[q->kind_idx], ranked, n, q->gold, q->ngold);
        for (int r = 0; r < n && sys->first && !sys->first[i]; r++)
            for (int g = 0; g < q->ngold; g++)
                if (ranked[r] == q->gold[g]) sys->first[i] = r + 1;
    }
    sys->secs = ev_now() - t0;
    mem0_close(m);
    return ret;
}

/* ---- Paraphrase measure: the share of a query's terms found in its gold memories ---- */

typedef struct terms {
    char t[64][48];
    int n;
} terms;

static void collect_term(const char *s, size_t n, void *ctx)
{
    terms *ts = ctx;
    if (n >= sizeof ts->t[0] || ts->n == 64) return;
    for (int i = 0; i < ts->n; i++)
        if (strlen(ts->t[i]) == n && memcmp(ts->t[i], s, n) == 0) return;
    memcpy(ts->t[ts->n], s, n);
    ts->t[ts->n++][n] = '\0';
}

static double overlap(ev_bm25 *ix, const dataset *d, const query *q)
{
    terms qt = {0}, gt = {0};
    ev_analyse(ix, q->text, collect_term, &qt);
    for (int g = 0; g < q->ngold; g++)
        ev_analyse(ix, d->mems[q->gold[g]].text, collect_term, &gt);
    if (qt.n == 0) return 0;
    int shared = 0;
    for (int i = 0; i < qt.n; i++)
        for (int j = 0; j < gt.n; j++)
            if (strcmp(qt.t[i], gt.t[j]) == 0) {
                shared++;
                break;
            }
    return (double)shared / qt.n;
}

static void usage(void)
{
    fprintf(
        stderr,
        "usage: eval_coding --data coding.json --home DIR [--systems core,bm25,ref] [--detail]\n");
}

int main(int argc, char **argv)
{
    const char *data = NULL, *home = NULL, *systems_arg = "core,bm25,ref";
    int detail = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--data") == 0)
            data = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--home") == 0)
            home = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--systems") == 0)
            systems_arg = argv[++i];
        else if (strcmp(argv[i], "--detail") == 0)
            detail = 1;
        else {
            usage();
            return 2;
        }
    }
    if (!data || !home) {
        usage();
        return 2;
    }
    static system_t systems[MAX_SYSTEMS];
    static const struct {
        const char *key, *label;
    } known[] = {{"core", "core (default ranking)"},
                 {"bm25", "core BM25 (MEM0_RANKING=bm25)"},
                 {"ref", "reference BM25 (harness)"}};
    int nsys = 0, need_store = 0;
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        const char *p = strstr(systems_arg, known[k].key);
        size_t n = strlen(known[k].key);
        if (p && (p == systems_arg || p[-1] == ',') && (p[n] == '\0' || p[n] == ',')) {
            systems[nsys].key = known[k].key;
            systems[nsys].label = known[k].label;
            need_store |= strcmp(known[k].key, "ref") != 0;
            nsys++;
        }
    }
    if (nsys == 0) {
        usage();
        return 2;
    }

    int ret = 1;
    char *raw = ev_read_file(data);
    cJSON *root = raw ? cJSON_Parse(raw) : NULL;
    static dataset d;
    ev_bm25 *ix = NULL;
    struct stat st;
    if (!root) {
        fprintf(stderr, "eval_coding: %s is not JSON\n", data);
        goto out;
    }
    if (load(root, &d)) goto out;
    if (!(ix = ev_bm25_new())) goto out;
    for (int i = 0; i < d.nmems; i++)
        if (ev_bm25_add(ix, d.mems[i].text)) goto out;
    double ingest_secs = 0;
    if (need_store) {
        if (stat(home, &st) == 0) {
            fprintf(stderr, "eval_coding: %s exists; give a new --home\n", home);
            goto out;
        }
        double t0 = ev_now();
        if (ingest(&d, home)) goto out;
        ingest_secs = ev_now() - t0;
    }
    for (int s = 0; s < nsys; s++) {
        if (!(systems[s].first = calloc((size_t)d.nqs + 1, sizeof(int)))) goto out;
        fprintf(stderr, "eval_coding: searching with %s\n", systems[s].label);
        if (run_system(&systems[s], &d, home, ix)) goto out;
    }

    int scoped = 0;
    for (int i = 0; i < d.nqs; i++)
        scoped += strcmp(d.qs[i].scope, "project") == 0;
    printf("## Coding-memory retrieval (tests/eval/coding.json), top_k %d\n\n", EV_TOPK);
    printf("%d memories, %d queries (%d scoped to the current project, %d to the user).", d.nmems,
           d.nqs, scoped, d.nqs - scoped);
    if (need_store) printf(" Ingest through mem0_add in %.2f s.", ingest_secs);
    printf("\n\n");
    printf("| ranking | kind | queries | any@1 | any@5 | any@10 | all@5 | all@10 | MRR@10 |\n");
    printf("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int s = 0; s < nsys; s++) {
        ev_acc all = {0};
        for (int k = 0; k < d.nkinds; k++) {
            printf("| %s | %s | %ld |", systems[s].label, d.kinds[k], systems[s].acc[k].n);
            ev_print_cells(stdout, &systems[s].acc[k]);
            printf("\n");
            ev_acc_merge(&all, &systems[s].acc[k]);
        }
        printf("| %s | **overall** | %ld |", systems[s].label, all.n);
        ev_print_cells(stdout, &all);
        printf("\n");
    }
    printf("\n");

    /* Target: no query kind of the default ranking below BM25 (MRR@10 and any@5). */
    for (int s = 0; s < nsys; s++) {
        if (strcmp(systems[s].key, "core") == 0) continue;
        int below = 0;
        printf("- core (default ranking) vs %s:", systems[s].label);
        for (int c = 0; c < nsys; c++) {
            if (strcmp(systems[c].key, "core") != 0) continue;
            for (int k = 0; k < d.nkinds; k++) {
                const ev_acc *a = &systems[c].acc[k], *b = &systems[s].acc[k];
                if (a->mrr < b->mrr - 1e-9 || a->any5 < b->any5) {
                    printf(" %s below (MRR@10 %.1f vs %.1f, any@5 %.1f vs %.1f);", d.kinds[k],
                           100 * a->mrr / (double)a->n, 100 * b->mrr / (double)b->n,
                           100 * a->any5 / (double)a->n, 100 * b->any5 / (double)b->n);
                    below++;
                }
            }
        }
        printf(below ? "\n" : " no kind below it (MRR@10 and any@5).\n");
    }
    printf("\nParaphrase: mean share of a query's analysed terms (stop words out, stemmed) "
           "that occur in its gold memories.\n\n");
    printf("| kind | queries | term overlap |\n|---|---:|---:|\n");
    double total = 0;
    for (int k = 0; k < d.nkinds; k++) {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < d.nqs; i++)
            if (d.qs[i].kind_idx == k) {
                sum += overlap(ix, &d, &d.qs[i]);
                n++;
            }
        total += sum;
        printf("| %s | %d | %.2f |\n", d.kinds[k], n, n ? sum / n : 0);
    }
    printf("| overall | %d | %.2f |\n\n", d.nqs, d.nqs ? total / d.nqs : 0);
    if (detail) {
        printf("Per query: rank of the first gold memory in the top %d (- = not found).\n\n| query "
               "| kind | scope |",
               EV_TOPK);
        for (int s = 0; s < nsys; s++)
            printf(" %s |", systems[s].key);
        printf(" text |\n|---|---|---|");
        for (int s = 0; s < nsys; s++)
            printf("---:|");
        printf("---|\n");
        for (int i = 0; i < d.nqs; i++) {
            printf("| %s | %s | %s |", d.qs[i].key, d.qs[i].kind, d.qs[i].scope);
            for (int s = 0; s < nsys; s++)
                if (systems[s].first[i])
                    printf(" %d |", systems[s].first[i]);
                else
                    printf(" - |");
            printf(" %s |\n", d.qs[i].text);
        }
        printf("\n");
    }
    ret = 0;
out:
    for (int s = 0; s < nsys; s++)
        free(systems[s].first);
    ev_bm25_free(ix);
    free(d.mems);
    free(d.qs);
    cJSON_Delete(root);
    free(raw);
    return ret;
}
