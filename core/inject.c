/* inject.c: the session-start and prompt context (see inject.h). */
#include "inject.h"
#include "memory.h"
#include "record.h"
#include "timeutil.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const durable_types[] = {"decision",        "convention",    "anti_pattern",
                                            "user_preference", "task_learning", "environmental"};
static const char *const noise_types[] = {"session_state", "compact_summary", "session_summary",
                                          "auto_capture"};

static int in_list(const char *v, const char *const *list, size_t n)
{
    if (!v) return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, list[i]) == 0) return 1;
    return 0;
}

int inject_is_durable_type(const char *type)
{
    return in_list(type, durable_types, sizeof durable_types / sizeof durable_types[0]);
}

int inject_is_noise_type(const char *type)
{
    return in_list(type, noise_types, sizeof noise_types / sizeof noise_types[0]);
}

/* metadata.<key> of a memory as a string, or NULL. */
static const char *meta_str(const cJSON *rec, const char *key)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(rec, "metadata");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(md, key);
    return cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
}

static int meta_true(const cJSON *rec, const char *key)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(rec, "metadata");
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(md, key));
}

void inject_age(int64_t created_us, int64_t now_us, char *out, size_t n)
{
    int64_t days =
        created_us > 0 && now_us > created_us ? (now_us - created_us) / 86400000000LL : 0;
    if (days <= 0)
        snprintf(out, n, "today");
    else if (days < 14)
        snprintf(out, n, "%lldd ago", (long long)days);
    else if (days < 60)
        snprintf(out, n, "%lldw ago", (long long)(days / 7));
    else if (days < 730)
        snprintf(out, n, "%lldmo ago", (long long)(days / 30));
    else
        snprintf(out, n, "%lldy ago", (long long)(days / 365));
}

char *inject_memory_line(const cJSON *memory, size_t max_text, int64_t now_us)
{
    const char *text = record_str(memory, "memory");
    const char *id = record_str(memory, "id");
    const char *type = meta_str(memory, "type");
    char age[32];
    inject_age(record_created_us(memory), now_us ? now_us : time_now_us(), age, sizeof age);
    strbuf sb = {0};
    sb_addf(&sb, "- [%s] ", type ? type : "memory");
    /* One line: whitespace runs (newlines included) become one space. */
    size_t cut = text ? utf8_clip(text, max_text) : 0;
    int space = 0;
    for (size_t i = 0; i < cut; i++) {
        if (isspace((unsigned char)text[i])) {
            space = 1;
            continue;
        }
        if (space && sb.len && sb.buf[sb.len - 1] != ' ') sb_add(&sb, " ", 1);
        space = 0;
        sb_add(&sb, text + i, 1);
    }
    if (text && cut < strlen(text)) sb_adds(&sb, "...");
    sb_addf(&sb, " (%s) [mem0:%.8s]", age, id ? id : "");
    return sb_detach(&sb);
}

/* ---- Session start --------------------------------------------------------------------- */

/* An eligible memory with its sort key, computed once. */
typedef struct pick {
    cJSON *rec; /* owned */
    int rank;   /* 0 pinned, 1 durable type, 2 other */
    int64_t created_us;
} pick;

typedef struct pick_ctx {
    const char *user, *project, *session_id;
    int want_recovery;
    int64_t now;
    pick *recs; /* eligible memories */
    size_t n, cap;
    int scanned;
    int app_pass;           /* scanning the project's index (else the user's) */
    cJSON *summary, *state; /* newest compact_summary / session_state of this session */
    int oom;
} pick_ctx;

static void pick_reset(pick_ctx *c)
{
    for (size_t i = 0; i < c->n; i++)
        cJSON_Delete(c->recs[i].rec);
    c->n = 0;
    cJSON_Delete(c->summary);
    cJSON_Delete(c->state);
    c->summary = c->state = NULL;
}

static int pick_visit(cJSON *rec, void *vctx, int *keep)
{
    pick_ctx *c = vctx;
    if (++c->scanned > INJECT_SCAN_MAX) return 1;
    const char *uid = record_str(rec, "user_id");
    const char *app = record_str(rec, "app_id");
    if (!uid || strcmp(uid, c->user) != 0) return 0;
    if (c->app_pass ? !app || strcmp(app, c->project) != 0 : app != NULL) return 0;
    if (record_expired(rec, c->now)) return 0;
    const char *type = meta_str(rec, "type");
    if (inject_is_noise_type(type)) {
        /* Newest first: the first seen of this session is the newest. */
        const char *sid = meta_str(rec, "session_id");
        if (!c->want_recovery || !sid || !c->session_id || strcmp(sid, c->session_id) != 0)
            return 0;
        cJSON **slot = !strcmp(type, "compact_summary") ? &c->summary
                       : !strcmp(type, "session_state") ? &c->state
                                                        : NULL;
        if (slot && !*slot) {
            *slot = rec;
            *keep = 1;
        }
        return 0;
    }
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        pick *nr = realloc(c->recs, ncap * sizeof *nr);
        if (!nr) {
            c->oom = 1;
            return 1;
        }
        c->recs = nr;
        c->cap = ncap;
    }
    pick *p = &c->recs[c->n++];
    p->rec = rec;
    p->rank = meta_true(rec, "pinned") ? 0 : inject_is_durable_type(type) ? 1 : 2;
    p->created_us = record_created_us(rec);
    *keep = 1;
    return 0;
}

static int pick_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    pick_ctx *c = vctx;
    pick_reset(c); /* the transaction may be retried */
    c->scanned = 0;
    c->app_pass = 0;
    int rc = memory_scan(txn, db, 'u', c->user, pick_visit, c, err);
    if (rc == 0 && c->project && *c->project) {
        c->scanned = 0;
        c->app_pass = 1;
        rc = memory_scan(txn, db, 'p', c->project, pick_visit, c, err);
    }
    if (rc == 0 && c->oom) rc = err_set(err, MEM0_ENOMEM, "out of memory");
    return rc;
}

static int pick_cmp(const void *a, const void *b)
{
    const pick *x = a, *y = b;
    if (x->rank != y->rank) return x->rank - y->rank;
    if (x->created_us != y->created_us) return x->created_us > y->created_us ? -1 : 1;
    const char *ix = record_str(x->rec, "id"), *iy = record_str(y->rec, "id");
    return strcmp(ix ? ix : "", iy ? iy : "");
}

/* The example filter, properly escaped: {"AND":[{"user_id":u},{"metadata":{"type":"decision"}}]} */
static char *example_filter(const char *user)
{
    cJSON *f = cJSON_CreateObject();
    cJSON *and = cJSON_AddArrayToObject(f, "AND");
    cJSON *u = cJSON_CreateObject();
    cJSON_AddStringToObject(u, "user_id", user);
    cJSON_AddItemToArray(and, u);
    cJSON *m = cJSON_CreateObject();
    cJSON *md = cJSON_AddObjectToObject(m, "metadata");
    cJSON_AddStringToObject(md, "type", "decision");
    cJSON_AddItemToArray(and, m);
    char *s = cJSON_PrintUnformatted(f);
    cJSON_Delete(f);
    return s;
}

static void add_rubric(strbuf *sb, const char *user, const char *project)
{
    char *filter = example_filter(user);
    sb_addf(sb,
            "## Mem0 memory\n"
            "Active user_id: `%s`; project (app_id): `%s`. Long-term memory for this session "
            "is the mem0 MCP server (search_memories, add_memory, get_memories, get_memory, "
            "update_memory, delete_memory); it is local and needs no key.\n\n",
            user, project && *project ? project : "(none)");
    sb_adds(sb, "When to search: the user refers to earlier work or to \"we\", asks how "
                "something should be done here, hits an error, touches their tools, stack or "
                "preferences, or starts a non-trivial task. Searching is not needed for "
                "acknowledgements, general-knowledge questions, new facts the user is stating "
                "(those are for add_memory), or a scope already searched this turn.\n");
    sb_addf(sb,
            "How to search: 2-4 parallel search_memories calls with short noun-phrase "
            "queries (\"database migration tool\", not a question). The filters root is AND "
            "or OR with an array, metadata nested, one type per call, e.g. %s",
            filter ? filter : "");
    if (project && *project)
        sb_addf(sb, "; add {\"app_id\":\"%s\"} for this project only", project);
    sb_adds(sb, ". Empty results are normal.\n");
    sb_addf(sb,
            "What to store: durable learnings, with add_memory and metadata.type one of "
            "decision, convention, anti_pattern, user_preference, task_learning, "
            "environmental%s. Structured text (summaries, lists, code facts) goes with "
            "infer=false so it is kept verbatim. Claude Code's file memory (MEMORY.md) is not "
            "used; memories live in mem0.\n",
            project && *project ? "; project facts carry this app_id, personal preferences none"
                                : "");
    free(filter);
}

static void add_recovery(strbuf *sb, const pick_ctx *c, int64_t now)
{
    char age[32];
    sb_adds(sb, "## Mem0 post-compaction recovery\nThe conversation was just compacted.");
    if (c->summary) {
        inject_age(record_created_us(c->summary), now, age, sizeof age);
        sb_addf(sb, " Its summary is stored as compact_summary memory %s (%s) [mem0:%.8s].",
                record_str(c->summary, "id"), age, record_str(c->summary, "id"));
    }
    if (c->state) {
        inject_age(record_created_us(c->state), now, age, sizeof age);
        sb_addf(sb,
                " The session state saved before compaction is session_state memory %s (%s) "
                "[mem0:%.8s].",
                record_str(c->state, "id"), age, record_str(c->state, "id"));
    }
    if (c->summary || c->state)
        sb_adds(sb, " get_memory with these ids returns the full text.");
    else
        sb_adds(sb, " No summary of it is stored yet; search_memories with metadata.type "
                    "session_state or compact_summary finds earlier ones.");
    sb_adds(sb, "\n\n");
}

int inject_session_start(mem0 *m, const inject_ctx *c, char **text, cJSON *ids, mem0_err *err)
{
    char user[IDENTITY_MAX];
    int64_t now = c->now_us ? c->now_us : time_now_us();
    int compact = c->source && strcmp(c->source, "compact") == 0;
    strbuf sb = {0};
    int rc = 0;
    *text = NULL;
    if (c->user_id && *c->user_id)
        snprintf(user, sizeof user, "%s", c->user_id);
    else if (m)
        snprintf(user, sizeof user, "%s", m->user);
    else
        identity_user_id(user, sizeof user);

    pick_ctx p = {0};
    p.user = user;
    p.project = c->project;
    p.session_id = c->session_id;
    p.want_recovery = compact;
    p.now = now;
    if (m && (c->with_memories || compact)) {
        rc = store_read(m->st, pick_txn, &p, err);
        if (rc) goto done;
    }
    if (compact) add_recovery(&sb, &p, now);
    add_rubric(&sb, user, c->project);

    if (c->with_memories && p.n) {
        qsort(p.recs, p.n, sizeof *p.recs, pick_cmp);
        size_t budget = (c->budget_tokens ? c->budget_tokens : INJECT_START_TOKENS) * 4;
        size_t used = 0;
        int listed = 0, misfits = 0;
        /* Stop when the budget is about full; a shorter line further down may still fit
         * a gap, but looking through every candidate for one is not worth it. */
        for (size_t i = 0; i < p.n && budget - used > 64 && misfits < 16; i++) {
            char *line = inject_memory_line(p.recs[i].rec, INJECT_LINE_TEXT, now);
            if (!line) continue;
            size_t len = strlen(line) + 1;
            if (used + len > budget) {
                free(line);
                misfits++;
                continue;
            }
            if (!listed++)
                sb_addf(&sb, "\n### Memories of %s%s%s (pinned first, then newest)\n", user,
                        c->project && *c->project ? " and project " : "",
                        c->project && *c->project ? c->project : "");
            sb_adds(&sb, line);
            sb_adds(&sb, "\n");
            used += len;
            free(line);
            if (ids) cJSON_AddItemToArray(ids, cJSON_CreateString(record_str(p.recs[i].rec, "id")));
        }
    }
    if (sb.oom) {
        rc = err_set(err, MEM0_ENOMEM, "out of memory");
        goto done;
    }
    *text = sb_detach(&sb);
done:
    pick_reset(&p);
    free(p.recs);
    sb_free(&sb);
    return rc;
}

/* ---- Prompt ---------------------------------------------------------------------------- */

/* Words that carry no topic of their own. */
static int is_filler(const char *w, size_t n)
{
    static const char *const fill[] = {
        "a",     "an",   "and",  "are",   "as",   "at",   "be",     "but",   "by",    "can",
        "could", "do",   "does", "for",   "from", "have", "how",    "i",     "if",    "in",
        "is",    "it",   "its",  "just",  "let",  "me",   "my",     "no",    "not",   "now",
        "of",    "ok",   "okay", "on",    "or",   "our",  "please", "so",    "that",  "the",
        "then",  "this", "to",   "us",    "we",   "what", "when",   "where", "which", "who",
        "why",   "will", "with", "would", "yes",  "you",  "your",
    };
    for (size_t i = 0; i < sizeof fill / sizeof fill[0]; i++)
        if (strlen(fill[i]) == n && strncmp(w, fill[i], n) == 0) return 1;
    return 0;
}

/* Counts words (runs of letters and digits; non-ASCII bytes are letters) that are not
 * filler, compared lowercase. */
static int content_words(const char *s)
{
    char w[32];
    int count = 0;
    while (*s) {
        size_t n = 0, len = 0;
        while (s[len] && (isalnum((unsigned char)s[len]) || (unsigned char)s[len] >= 0x80)) {
            if (n < sizeof w) w[n++] = (char)tolower((unsigned char)s[len]);
            len++;
        }
        if (len == 0) {
            s++;
            continue;
        }
        if (len >= 2 && (len > sizeof w || !is_filler(w, n))) count++;
        s += len;
    }
    return count;
}

int inject_prompt_worth(const char *prompt)
{
    static const char *const acks[] = {
        "ok",          "okay",      "k",
        "yes",         "y",         "no",
        "n",           "sure",      "thanks",
        "thank you",   "thx",       "ty",
        "continue",    "go on",     "go ahead",
        "proceed",     "do it",     "yes do it",
        "yes please",  "please do", "sounds good",
        "looks good",  "lgtm",      "great",
        "nice",        "perfect",   "cool",
        "got it",      "done",      "next",
        "ok continue", "ok thanks", "yes go ahead",
        "keep going",  "carry on",  "ok do it",
    };
    char norm[128];
    size_t j = 0;
    if (!prompt) return 0;
    const char *p = prompt;
    while (isspace((unsigned char)*p))
        p++;
    /* A bare slash command ("/compact") is for Claude Code, not a question. */
    if (*p == '/' && !strpbrk(p, " \t\n")) return 0;
    /* Lowercase letters, digits and single spaces: "OK, thanks!" -> "ok thanks". */
    for (; *p && j + 1 < sizeof norm; p++) {
        unsigned char ch = (unsigned char)*p;
        if (isalnum(ch) || ch >= 0x80)
            norm[j++] = (char)tolower(ch);
        else if (j && norm[j - 1] != ' ')
            norm[j++] = ' ';
    }
    while (j && norm[j - 1] == ' ')
        j--;
    norm[j] = '\0';
    if (!*p)
        for (size_t i = 0; i < sizeof acks / sizeof acks[0]; i++)
            if (strcmp(norm, acks[i]) == 0) return 0;
    return content_words(prompt) >= 3;
}

static int excluded(const cJSON *exclude, const char *id)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, exclude)
    {
        if (cJSON_IsString(it) && id && strcmp(it->valuestring, id) == 0) return 1;
    }
    return 0;
}

/* {"AND":[{"user_id":u},{"OR":[{"app_id":null},{"app_id":p}]},{"NOT":[{"metadata":...}]}]} */
static cJSON *prompt_filter(const char *user, const char *project)
{
    cJSON *f = cJSON_CreateObject();
    cJSON *and = cJSON_AddArrayToObject(f, "AND");
    cJSON *u = cJSON_CreateObject();
    cJSON_AddStringToObject(u, "user_id", user);
    cJSON_AddItemToArray(and, u);
    cJSON *scope = cJSON_CreateObject();
    cJSON * or = cJSON_AddArrayToObject(scope, "OR");
    cJSON *none = cJSON_CreateObject();
    cJSON_AddNullToObject(none, "app_id");
    cJSON_AddItemToArray(or, none);
    if (project && *project) {
        cJSON *mine = cJSON_CreateObject();
        cJSON_AddStringToObject(mine, "app_id", project);
        cJSON_AddItemToArray(or, mine);
    }
    cJSON_AddItemToArray(and, scope);
    cJSON *not = cJSON_CreateObject();
    cJSON *neg = cJSON_AddArrayToObject(not, "NOT");
    cJSON *m = cJSON_CreateObject();
    cJSON *md = cJSON_AddObjectToObject(m, "metadata");
    cJSON *t = cJSON_AddObjectToObject(md, "type");
    cJSON *in = cJSON_AddArrayToObject(t, "in");
    for (size_t i = 0; i < sizeof noise_types / sizeof noise_types[0]; i++)
        cJSON_AddItemToArray(in, cJSON_CreateString(noise_types[i]));
    cJSON_AddItemToArray(neg, m);
    cJSON_AddItemToArray(and, not );
    return f;
}

int inject_prompt(mem0 *m, const inject_ctx *c, const char *prompt, int limit, double threshold,
                  const cJSON *exclude, char **text, cJSON *ids, mem0_err *err)
{
    char user[IDENTITY_MAX], query[2048];
    int64_t now = c->now_us ? c->now_us : time_now_us();
    *text = NULL;
    if (!m || !prompt || !*prompt) return 0;
    snprintf(user, sizeof user, "%s", c->user_id && *c->user_id ? c->user_id : m->user);
    size_t qn = utf8_clip(prompt, sizeof query - 1);
    memcpy(query, prompt, qn);
    query[qn] = '\0';
    if (!utf8_valid(query, qn)) return 0;

    if (limit <= 0 || limit > INJECT_PROMPT_MAX) limit = INJECT_PROMPT_MAX;
    int n_ex = cJSON_GetArraySize(exclude);
    cJSON *filters = prompt_filter(user, c->project);
    mem0_search_req req = {0};
    req.query = query;
    req.filters = filters;
    req.default_user = user;
    req.top_k = limit + (n_ex < 100 ? n_ex : 100);
    req.threshold = threshold >= 0 ? threshold : 0;
    cJSON *res = NULL;
    int rc = filters ? mem0_search(m, &req, &res, err) : err_set(err, MEM0_ENOMEM, "out of memory");
    cJSON_Delete(filters);
    if (rc) return rc;

    strbuf sb = {0};
    size_t used = 0;
    int listed = 0;
    const cJSON *hit;
    cJSON_ArrayForEach(hit, cJSON_GetObjectItemCaseSensitive(res, "results"))
    {
        if (listed >= limit) break;
        const char *id = record_str(hit, "id");
        if (!id || excluded(exclude, id)) continue;
        char *line = inject_memory_line(hit, INJECT_LINE_TEXT, now);
        if (!line) continue;
        size_t len = strlen(line) + 1;
        if (used + len > INJECT_PROMPT_BUDGET) {
            free(line);
            continue;
        }
        if (!listed++) sb_adds(&sb, "Memories (mem0) related to this prompt, best match first:\n");
        sb_adds(&sb, line);
        sb_adds(&sb, "\n");
        used += len;
        free(line);
        if (ids) cJSON_AddItemToArray(ids, cJSON_CreateString(id));
    }
    cJSON_Delete(res);
    if (sb.oom) {
        sb_free(&sb);
        return err_set(err, MEM0_ENOMEM, "out of memory");
    }
    if (listed) *text = sb_detach(&sb);
    sb_free(&sb);
    return 0;
}
