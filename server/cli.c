/*
 * cli.c: the human command line of mem0-mcp (see cli.h).
 *
 * Each command reads its options, calls one or two functions of core/mem0.h and prints:
 * aligned text with short ids and ages for people, or with --json the core's JSON result
 * on one line.  Policy (what a memory is, scope rules, redaction) stays in core.
 * Exit status: 0 ok, 1 the caller's mistake reported by core (not found, invalid),
 * 2 bad usage, 3 a failure of the store.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "claudemem.h"
#include "doctor.h"
#include "embed.h"
#include "identity.h"
#include "mcp.h"
#include "mem0.h"
#include "model.h"
#include "reindex.h"
#include "settings.h"
#include "timeutil.h"
#include "transfer.h"
#include "util.h"

#define PROG "mem0-mcp"
#define EXIT_DOMAIN 1
#define EXIT_USAGE 2
#define EXIT_STORE 3
#define SHORT_ID 8

/* ---- Arguments ---------------------------------------------------------------------- */

#define MAX_OPTS 32

typedef struct args {
    const char *opt_name[MAX_OPTS]; /* "--top-k" */
    const char *opt_val[MAX_OPTS];  /* NULL for flags */
    int nopts;
    const char **pos; /* positional arguments */
    int npos;
} args;

typedef struct cli cli;
typedef struct command {
    const char *name;
    int (*run)(cli *c, const args *a);
    const char *opts;     /* accepted options; "name=" takes a value */
    int min_pos, max_pos; /* positional arguments (-1: any number) */
    int open_store;       /* 1: the command needs the store open */
    const char *synopsis, *summary, *help;
} command;

struct cli {
    const command *cmd;
    const char *home, *user;
    int json;
    mem0 *m;
};

/* Options every command takes. */
static const char global_opts[] = "home= user= json help";

/* 1 if the option name (without its "--") is in spec; *takes_value says if it needs a value. */
static int spec_has(const char *spec, const char *name, int *takes_value)
{
    size_t n = strlen(name);
    for (const char *p = spec; *p;) {
        while (*p == ' ')
            p++;
        const char *end = p;
        while (*end && *end != ' ')
            end++;
        size_t len = (size_t)(end - p);
        int val = len && p[len - 1] == '=';
        if (len - (size_t)val == n && memcmp(p, name, n) == 0) {
            *takes_value = val;
            return 1;
        }
        p = end;
    }
    return 0;
}

static int usage_error(const char *cmd, const char *why, const char *what)
{
    if (cmd)
        fprintf(stderr, PROG ": %s: %s%s (see `" PROG " %s --help`)\n", cmd, why, what ? what : "",
                cmd);
    else
        fprintf(stderr, PROG ": %s%s (see `" PROG " --help`)\n", why, what ? what : "");
    return EXIT_USAGE;
}

/* Splits argv into options (checked against the command's list) and positionals. */
static int parse_args(const command *cmd, int argc, char **argv, args *a)
{
    int only_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (only_pos || s[0] != '-' || strcmp(s, "-") == 0) {
            a->pos[a->npos++] = s;
            continue;
        }
        if (strcmp(s, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(s, "-h") == 0)
            s = "--help";
        else if (strcmp(s, "-o") == 0)
            s = "--output";
        if (s[1] != '-') return usage_error(cmd->name, "unknown option ", s);
        char name[64];
        const char *eq = strchr(s, '=');
        size_t n = eq ? (size_t)(eq - s - 2) : strlen(s + 2);
        if (n == 0 || n >= sizeof name) return usage_error(cmd->name, "unknown option ", s);
        memcpy(name, s + 2, n);
        name[n] = '\0';
        int takes = 0;
        if (!spec_has(cmd->opts, name, &takes) && !spec_has(global_opts, name, &takes))
            return usage_error(cmd->name, "unknown option ", s);
        const char *val = NULL;
        if (takes) {
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else
                return usage_error(cmd->name, "missing value for ", s);
        } else if (eq) {
            return usage_error(cmd->name, "this option takes no value: ", s);
        }
        if (a->nopts == MAX_OPTS) return usage_error(cmd->name, "too many options", NULL);
        if (!(a->opt_name[a->nopts] = xstrdup(name))) {
            fprintf(stderr, PROG ": out of memory\n");
            return EXIT_STORE;
        }
        a->opt_val[a->nopts++] = val;
    }
    return 0;
}

static void args_free(args *a)
{
    for (int i = 0; i < a->nopts; i++)
        free((char *)a->opt_name[i]);
    free(a->pos);
}

/* The last value given for an option, or NULL. */
static const char *opt(const args *a, const char *name)
{
    for (int i = a->nopts - 1; i >= 0; i--)
        if (strcmp(a->opt_name[i], name) == 0) return a->opt_val[i] ? a->opt_val[i] : "";
    return NULL;
}

static int flag(const args *a, const char *name)
{
    return opt(a, name) != NULL;
}

static int parse_int(const cli *c, const char *name, const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        char why[96];
        snprintf(why, sizeof why, "--%s must be a whole number from %ld to %ld, not ", name, min,
                 max);
        return usage_error(c->cmd->name, why, s);
    }
    *out = v;
    return 0;
}

/* Parses a JSON option value; usage error when it is not JSON (or not an object). */
static int parse_json_opt(const cli *c, const char *name, const char *s, int want_object,
                          cJSON **out)
{
    *out = cJSON_Parse(s);
    if (!*out || (want_object && !cJSON_IsObject(*out))) {
        cJSON_Delete(*out);
        *out = NULL;
        char why[64];
        snprintf(why, sizeof why, "--%s must be a JSON %s: ", name,
                 want_object ? "object" : "value");
        return usage_error(c->cmd->name, why, s);
    }
    return 0;
}

/* ---- Output helpers ----------------------------------------------------------------- */

static int exit_code(int rc)
{
    switch (rc) {
    case MEM0_OK:
        return 0;
    case MEM0_EINVAL:
    case MEM0_ENOTFOUND:
    case MEM0_EMESSAGES_MISSING:
    case MEM0_ESCOPE_MISSING:
    case MEM0_EPERM:
        return EXIT_DOMAIN;
    default:
        return EXIT_STORE;
    }
}

/* Prints "mem0-mcp: what: why" and returns the exit code for rc. */
static int fail(const char *what, int rc, const mem0_err *err)
{
    const char *why = err && err->msg[0] ? err->msg : mem0_strerror(rc);
    fprintf(stderr, PROG ": %s: %s\n", what, why);
    return exit_code(rc);
}

static int print_json(const cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    if (!s) {
        fprintf(stderr, PROG ": out of memory\n");
        return EXIT_STORE;
    }
    puts(s);
    free(s);
    return 0;
}

/* Columns of the terminal when stdout is one; 0 (no cutting) for pipes and files. */
static int term_width(void)
{
    if (!isatty(STDOUT_FILENO)) return 0;
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
    const char *cols = getenv("COLUMNS");
    long n = cols ? strtol(cols, NULL, 10) : 0;
    return n >= 40 && n < 10000 ? (int)n : 80;
}

/* Prints text on one line (controls as spaces), cut with an ellipsis to fit `room`
 * columns (0: no limit).  Counts characters, not display cells. */
static void print_oneline(const char *text, int room)
{
    size_t chars = 0, limit = room > 0 ? (size_t)room : (size_t)-1;
    for (const unsigned char *p = (const unsigned char *)text; *p;) {
        size_t len = 1;
        while ((p[len] & 0xc0) == 0x80)
            len++;
        if (chars + 1 == limit && p[len]) {
            fputs("\xe2\x80\xa6", stdout); /* … */
            return;
        }
        if (*p < 0x20 || *p == 0x7f)
            putchar(' ');
        else
            fwrite(p, 1, len, stdout);
        chars++;
        p += len;
    }
}

/* "45s", "12m", "3h", "5d", "4mo", "2y" since an ISO 8601 time; "?" if unparsable. */
static void age(const char *iso, char *out, size_t n)
{
    int64_t t;
    if (!iso || time_parse(iso, &t) != 0) {
        snprintf(out, n, "?");
        return;
    }
    long long s = (long long)((time_now_us() - t) / 1000000);
    if (s < 0) s = 0;
    if (s < 60)
        snprintf(out, n, "%llds", s);
    else if (s < 3600)
        snprintf(out, n, "%lldm", s / 60);
    else if (s < 86400)
        snprintf(out, n, "%lldh", s / 3600);
    else if (s < 86400LL * 60)
        snprintf(out, n, "%lldd", s / 86400);
    else if (s < 86400LL * 730)
        snprintf(out, n, "%lldmo", s / (86400LL * 30));
    else
        snprintf(out, n, "%lldy", s / (86400LL * 365));
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void short_id(const cJSON *mem, char out[SHORT_ID + 1])
{
    const char *id = jstr(mem, "id");
    snprintf(out, SHORT_ID + 1, "%s", id ? id : "?");
}

/* "alice", "alice/myproject", "agent:bot"...: where a memory lives, shortly. */
static void scope_label(const cJSON *mem, char *out, size_t n)
{
    const char *u = jstr(mem, "user_id"), *ag = jstr(mem, "agent_id"), *ap = jstr(mem, "app_id");
    const char *r = jstr(mem, "run_id");
    strbuf sb = {0};
    if (u) sb_adds(&sb, u);
    if (ag) sb_addf(&sb, "%sagent:%s", sb.len ? "/" : "", ag);
    if (ap) sb_addf(&sb, "%s%s", sb.len ? "/" : "", ap);
    if (r) sb_addf(&sb, "%srun:%s", sb.len ? "/" : "", r);
    snprintf(out, n, "%s", sb.buf ? sb.buf : "-");
    sb_free(&sb);
}

static int is_expired(const cJSON *mem)
{
    return date_expired(jstr(mem, "expiration_date"), time_now_us());
}

/* One memory per line under a header: [SCORE] ID AGE SCOPE TEXT, columns sized to fit. */
static void print_memory_table(const cJSON *list, int with_score, int explain)
{
    int n = cJSON_GetArraySize(list), scope_w = 5, age_w = 3;
    char buf[160];
    const cJSON *mem;
    cJSON_ArrayForEach(mem, list)
    {
        scope_label(mem, buf, sizeof buf);
        int w = (int)strlen(buf) > 24 ? 24 : (int)strlen(buf);
        scope_w = w > scope_w ? w : scope_w;
        age(jstr(mem, "created_at"), buf, sizeof buf);
        age_w = (int)strlen(buf) > age_w ? (int)strlen(buf) : age_w;
    }
    if (n == 0) return;
    int width = term_width();
    if (with_score) printf("%-6s ", "SCORE");
    printf("%-*s %-*s %-*s TEXT\n", SHORT_ID, "ID", age_w, "AGE", scope_w, "SCOPE");
    int used = (with_score ? 7 : 0) + SHORT_ID + 1 + age_w + 1 + scope_w + 1;
    cJSON_ArrayForEach(mem, list)
    {
        char id[SHORT_ID + 1], a[16], scope[160];
        short_id(mem, id);
        age(jstr(mem, "created_at"), a, sizeof a);
        scope_label(mem, scope, sizeof scope);
        if (strlen(scope) > 24) snprintf(scope + 21, sizeof scope - 21, "...");
        if (with_score) {
            const cJSON *s = cJSON_GetObjectItemCaseSensitive(mem, "score");
            printf("%-6.3f ", cJSON_IsNumber(s) ? s->valuedouble : 0.0);
        }
        printf("%-*s %-*s %-*s ", SHORT_ID, id, age_w, a, scope_w, scope);
        strbuf text = {0};
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(mem, "metadata");
        const char *type = jstr(meta, "type");
        if (is_expired(mem)) sb_adds(&text, "[expired] ");
        if (type) sb_addf(&text, "[%s] ", type);
        const char *body = jstr(mem, "memory");
        sb_adds(&text, body ? body : "");
        print_oneline(text.buf ? text.buf : "", width ? width - used : 0);
        sb_free(&text);
        putchar('\n');
        const cJSON *details = cJSON_GetObjectItemCaseSensitive(mem, "score_details");
        if (explain && details) {
            char *d = cJSON_PrintUnformatted(details);
            if (d) printf("%*s%s\n", with_score ? 7 : 0, "", d);
            free(d);
        }
    }
}

static char *read_all(FILE *in)
{
    strbuf sb = {0};
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        sb_add(&sb, buf, n);
    if (ferror(in)) {
        sb_free(&sb);
        return NULL;
    }
    char *s = sb_detach(&sb);
    if (s) { /* `echo text | mem0-mcp add -` should not store the newline */
        size_t len = strlen(s);
        while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
            s[--len] = '\0';
    }
    return s;
}

/* Reads --filters; with --user '*' the filter also says so explicitly, which is how the
 * scope rule lets a search reach every user. */
static int user_filters(const cli *c, const args *a, cJSON **out)
{
    *out = NULL;
    const char *text = opt(a, "filters");
    int rc = text ? parse_json_opt(c, "filters", text, 1, out) : 0;
    if (rc || !c->user || strcmp(c->user, "*") != 0) return rc;
    cJSON *all = cJSON_CreateObject(), *and = cJSON_AddArrayToObject(all, "AND");
    cJSON *any = cJSON_CreateObject();
    cJSON_AddStringToObject(any, "user_id", "*");
    cJSON_AddItemToArray(and, any);
    if (*out) cJSON_AddItemToArray(and, *out);
    *out = all;
    return 0;
}

/* Expands an id or a unique prefix of one (live memories, or the trash). */
static int resolve(cli *c, const char *what, int in_trash, char out[UUID_STR_LEN + 1])
{
    mem0_err err = {0};
    int rc = transfer_resolve_id(c->m, what, in_trash, out, &err);
    if (rc) {
        char label[96];
        snprintf(label, sizeof label, "%s %.64s", c->cmd->name, what);
        return fail(label, rc, &err);
    }
    return 0;
}

/* ---- Commands ----------------------------------------------------------------------- */

static int cmd_add(cli *c, const args *a)
{
    const char *text = a->pos[0];
    char *owned = NULL;
    cJSON *meta = NULL, *res = NULL;
    int ret = 0;
    if (strcmp(text, "-") == 0) {
        if (!(owned = read_all(stdin))) return fail("add: reading stdin", MEM0_EIO, NULL);
        text = owned;
    }
    if (c->user && strcmp(c->user, "*") == 0) {
        ret = usage_error("add", "--user '*' means every user; give one user", NULL);
        goto out;
    }
    if (opt(a, "metadata") && (ret = parse_json_opt(c, "metadata", opt(a, "metadata"), 1, &meta)))
        goto out;
    if (flag(a, "infer") && flag(a, "no-infer")) {
        ret = usage_error("add", "give --infer or --no-infer, not both", NULL);
        goto out;
    }
    mem0_add_req req = {0};
    req.text = text;
    req.scope.user_id = c->user;
    req.scope.agent_id = opt(a, "agent");
    req.scope.app_id = opt(a, "app");
    req.scope.run_id = opt(a, "run");
    req.metadata = meta;
    req.infer = !flag(a, "no-infer");
    req.expiration_date = opt(a, "expires");
    req.actor = "cli";
    mem0_err err = {0};
    int rc = mem0_add(c->m, &req, &res, &err);
    if (rc) {
        ret = fail("add", rc, &err);
        goto out;
    }
    if (c->json) {
        ret = print_json(res);
        goto out;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(res, "results"))
    {
        printf("added %s  ", jstr(item, "id") ? jstr(item, "id") : "?");
        print_oneline(jstr(item, "memory") ? jstr(item, "memory") : "", 0);
        putchar('\n');
    }
    if (jstr(res, "message")) printf("%s\n", jstr(res, "message"));
out:
    cJSON_Delete(res);
    cJSON_Delete(meta);
    free(owned);
    return ret;
}

static int cmd_search(cli *c, const args *a)
{
    cJSON *filters = NULL, *res = NULL;
    int ret = 0;
    long top_k = 10;
    double threshold = -1;
    if ((ret = user_filters(c, a, &filters))) return ret;
    if (opt(a, "top-k") && (ret = parse_int(c, "top-k", opt(a, "top-k"), 1, 1000, &top_k)))
        goto out;
    if (opt(a, "threshold")) {
        char *end;
        threshold = strtod(opt(a, "threshold"), &end);
        if (end == opt(a, "threshold") || *end || threshold < 0 || threshold > 1) {
            ret = usage_error("search", "--threshold must be a number from 0 to 1, not ",
                              opt(a, "threshold"));
            goto out;
        }
    }
    mem0_search_req req = {0};
    req.query = a->pos[0];
    req.filters = filters;
    req.default_user = c->user && strcmp(c->user, "*") != 0 ? c->user : NULL;
    req.top_k = (int)top_k;
    req.threshold = threshold;
    req.show_expired = flag(a, "show-expired");
    req.explain = flag(a, "explain");
    mem0_err err = {0};
    int rc = mem0_search(c->m, &req, &res, &err);
    if (rc) {
        ret = fail("search", rc, &err);
        goto out;
    }
    if (c->json) {
        ret = print_json(res);
        goto out;
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(res, "results");
    if (cJSON_GetArraySize(list) == 0) printf("No memories match \"%s\".\n", req.query);
    print_memory_table(list, 1, req.explain);
out:
    cJSON_Delete(res);
    cJSON_Delete(filters);
    return ret;
}

static int cmd_list(cli *c, const args *a)
{
    cJSON *filters = NULL, *res = NULL;
    int ret = 0;
    long page = 1, size = 10;
    if ((ret = user_filters(c, a, &filters))) return ret;
    if ((opt(a, "page") && (ret = parse_int(c, "page", opt(a, "page"), 1, 1000000000, &page))) ||
        (opt(a, "page-size") &&
         (ret = parse_int(c, "page-size", opt(a, "page-size"), 1, 100, &size))))
        goto out;
    mem0_list_req req = {0};
    req.filters = filters;
    req.default_user = c->user && strcmp(c->user, "*") != 0 ? c->user : NULL;
    req.page = (int)page;
    req.page_size = (int)size;
    req.show_expired = flag(a, "show-expired");
    mem0_err err = {0};
    int rc = mem0_list(c->m, &req, &res, &err);
    if (rc) {
        ret = fail("list", rc, &err);
        goto out;
    }
    if (c->json) {
        ret = print_json(res);
        goto out;
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(res, "results");
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(res, "count");
    long total = cJSON_IsNumber(count) ? (long)count->valuedouble : 0;
    long pages = total ? (total + size - 1) / size : 1;
    print_memory_table(list, 0, 0);
    if (total == 0)
        printf("No memories.\n");
    else
        printf("page %ld of %ld (%ld memor%s)%s", page, pages, total, total == 1 ? "y" : "ies",
               page < pages ? "; next: --page " : "\n");
    if (total && page < pages) printf("%ld\n", page + 1);
out:
    cJSON_Delete(res);
    cJSON_Delete(filters);
    return ret;
}

static void print_field(const char *name, const char *value)
{
    printf("%-11s %s\n", name, value);
}

static void print_memory_full(const cJSON *mem)
{
    static const char *const fields[] = {"id",         "memory",         "user_id", "agent_id",
                                         "app_id",     "run_id",         "hash",    "created_at",
                                         "updated_at", "expiration_date"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        const char *v = jstr(mem, fields[i]);
        char line[128];
        if (i == 1) {
            printf("%-11s ", "memory");
            fputs(v ? v : "", stdout);
            putchar('\n');
            continue;
        }
        if (v && (strcmp(fields[i], "created_at") == 0 || strcmp(fields[i], "updated_at") == 0)) {
            char a[16];
            age(v, a, sizeof a);
            snprintf(line, sizeof line, "%s (%s ago)", v, a);
            v = line;
        } else if (v && strcmp(fields[i], "expiration_date") == 0 && is_expired(mem)) {
            snprintf(line, sizeof line, "%s (expired)", v);
            v = line;
        }
        print_field(strcmp(fields[i], "expiration_date") == 0 ? "expires" : fields[i], v ? v : "-");
    }
    static const char *const json_fields[] = {"metadata", "categories"};
    for (size_t i = 0; i < 2; i++) {
        char *s = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(mem, json_fields[i]));
        print_field(json_fields[i], s ? s : "-");
        free(s);
    }
}

static void print_history(const cJSON *items)
{
    printf("history\n");
    const cJSON *h;
    cJSON_ArrayForEach(h, items)
    {
        const char *ev = jstr(h, "event"), *actor = jstr(h, "actor");
        const char *oldm = jstr(h, "old_memory"), *newm = jstr(h, "new_memory");
        printf("  %-32s %-6s %-8s ", jstr(h, "created_at") ? jstr(h, "created_at") : "?",
               ev ? ev : "?", actor ? actor : "-");
        if (oldm && newm) {
            print_oneline(oldm, 0);
            fputs("  ->  ", stdout);
            print_oneline(newm, 0);
        } else {
            print_oneline(newm ? newm : oldm ? oldm : "", 0);
        }
        putchar('\n');
    }
}

static int cmd_get(cli *c, const args *a)
{
    char id[UUID_STR_LEN + 1];
    mem0_err err = {0};
    int want_history = flag(a, "history");
    /* With --history a deleted memory still has a story: look in the trash too. */
    int rc = transfer_resolve_id(c->m, a->pos[0], 0, id, &err);
    if (rc == MEM0_ENOTFOUND && want_history)
        rc = transfer_resolve_id(c->m, a->pos[0], 1, id, &err);
    if (rc) {
        char label[96];
        snprintf(label, sizeof label, "get %.64s", a->pos[0]);
        return fail(label, rc, &err);
    }
    cJSON *mem = NULL, *hist = NULL;
    int ret = 0;
    rc = mem0_get(c->m, id, &mem, &err);
    if (rc && !(rc == MEM0_ENOTFOUND && want_history)) {
        ret = fail("get", rc, &err);
        goto out;
    }
    if (want_history && (rc = mem0_history(c->m, id, &hist, &err))) {
        ret = fail("get", rc, &err);
        goto out;
    }
    if (c->json) {
        if (!want_history) {
            ret = print_json(mem);
            goto out;
        }
        cJSON *both = cJSON_CreateObject();
        cJSON_AddItemToObject(both, "memory", mem ? mem : cJSON_CreateNull());
        cJSON_AddItemToObject(both, "history",
                              cJSON_DetachItemFromObjectCaseSensitive(hist, "results"));
        mem = NULL;
        ret = print_json(both);
        cJSON_Delete(both);
        goto out;
    }
    if (mem)
        print_memory_full(mem);
    else
        printf("%-11s %s (deleted: in the trash or purged)\n", "id", id);
    if (hist) print_history(cJSON_GetObjectItemCaseSensitive(hist, "results"));
out:
    cJSON_Delete(mem);
    cJSON_Delete(hist);
    return ret;
}

static int cmd_update(cli *c, const args *a)
{
    const char *text = opt(a, "text"), *exp = opt(a, "expires");
    if (!text && !opt(a, "metadata") && !exp)
        return usage_error("update", "nothing to change: give --text, --metadata or --expires",
                           NULL);
    char id[UUID_STR_LEN + 1];
    int ret = resolve(c, a->pos[0], 0, id);
    if (ret) return ret;
    char *owned = NULL;
    cJSON *meta = NULL, *res = NULL;
    if (text && strcmp(text, "-") == 0) {
        if (!(owned = read_all(stdin))) return fail("update: reading stdin", MEM0_EIO, NULL);
        text = owned;
    }
    if (opt(a, "metadata") && (ret = parse_json_opt(c, "metadata", opt(a, "metadata"), 1, &meta)))
        goto out;
    mem0_update_req req = {0};
    req.memory_id = id;
    req.text = text;
    req.metadata = meta;
    req.expiration_date = exp && strcmp(exp, "none") == 0 ? "" : exp;
    req.actor = "cli";
    mem0_err err = {0};
    int rc = mem0_update(c->m, &req, &res, &err);
    if (rc) {
        ret = fail("update", rc, &err);
        goto out;
    }
    if (c->json) {
        ret = print_json(res);
        goto out;
    }
    printf("updated %s  ", id);
    print_oneline(jstr(res, "memory") ? jstr(res, "memory") : "", 0);
    putchar('\n');
out:
    cJSON_Delete(res);
    cJSON_Delete(meta);
    free(owned);
    return ret;
}

/* delete --all: every memory of the given scope goes to the trash. */
static int delete_all(cli *c, const args *a)
{
    if (!c->user && !opt(a, "agent") && !opt(a, "app") && !opt(a, "run"))
        return usage_error("delete", "--all needs --user, --agent, --app or --run", NULL);
    /* Without --user only your own memories go; --user '*' means every user's. */
    char me[IDENTITY_MAX];
    identity_user_id(me, sizeof me);
    const char *user = !c->user ? me : strcmp(c->user, "*") == 0 ? NULL : c->user;
    mem0_scope scope = {user, opt(a, "agent"), opt(a, "app"), opt(a, "run")};
    if (a->npos) return usage_error("delete", "give ids or --all, not both", NULL);
    cJSON *res = NULL, *trash = NULL;
    mem0_err err = {0};
    int64_t t0 = time_now_us();
    int rc = mem0_delete_all(c->m, &scope, "cli", &res, &err);
    if (rc) return fail("delete --all", rc, &err);
    int ret = 0;
    if (c->json) {
        ret = print_json(res);
        goto out;
    }
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(res, "deleted");
    long deleted = cJSON_IsNumber(n) ? (long)n->valuedouble : 0;
    printf("moved %ld memor%s to the trash\n", deleted, deleted == 1 ? "y" : "ies");
    /* Show them: the trash entries this call just made. */
    if (deleted && mem0_trash_list(c->m, &trash, &err) == 0) {
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(trash, "results"))
        {
            int64_t t;
            const cJSON *mem = cJSON_GetObjectItemCaseSensitive(e, "memory");
            const char *actor = jstr(e, "actor"), *reason = jstr(e, "reason");
            if (!jstr(e, "deleted_at") || time_parse(jstr(e, "deleted_at"), &t) != 0 || t < t0 ||
                !actor || strcmp(actor, "cli") != 0 || !reason ||
                strcmp(reason, "delete_all_memories") != 0)
                continue;
            char id[SHORT_ID + 1];
            short_id(mem, id);
            printf("  %s  ", id);
            print_oneline(jstr(mem, "memory") ? jstr(mem, "memory") : "", term_width() - 12);
            putchar('\n');
        }
    }
    if (deleted) printf("undo with `" PROG " restore ID...` (or `" PROG " restore --all`)\n");
out:
    cJSON_Delete(res);
    cJSON_Delete(trash);
    return ret;
}

static int cmd_delete(cli *c, const args *a)
{
    if (flag(a, "all")) return delete_all(c, a);
    if (a->npos == 0)
        return usage_error("delete", "give the ids to delete, or --all with a scope", NULL);
    int ret = 0, deleted = 0;
    cJSON *done = cJSON_CreateArray();
    for (int i = 0; i < a->npos; i++) {
        char id[UUID_STR_LEN + 1];
        int r = resolve(c, a->pos[i], 0, id);
        if (r) {
            ret = ret > r ? ret : r;
            continue;
        }
        cJSON *mem = NULL, *res = NULL;
        mem0_err err = {0};
        mem0_get(c->m, id, &mem, NULL); /* for printing what went; delete reports errors */
        int rc = mem0_delete(c->m, id, "cli", &res, &err);
        if (rc) {
            char label[96];
            snprintf(label, sizeof label, "delete %s", id);
            r = fail(label, rc, &err);
            ret = ret > r ? ret : r;
        } else if (!c->json) {
            deleted++;
            printf("deleted %s  ", id);
            print_oneline(jstr(mem, "memory") ? jstr(mem, "memory") : "", 0);
            putchar('\n');
        } else {
            cJSON *item = cJSON_CreateObject();
            cJSON_AddStringToObject(item, "id", id);
            cJSON_AddStringToObject(item, "message", jstr(res, "message"));
            cJSON_AddItemToArray(done, item);
        }
        cJSON_Delete(mem);
        cJSON_Delete(res);
    }
    if (c->json) {
        cJSON *res = cJSON_CreateObject();
        cJSON_AddItemToObject(res, "results", done);
        done = NULL;
        print_json(res);
        cJSON_Delete(res);
    } else if (deleted) {
        printf("undo with `" PROG " restore ID...` (deleted memories stay in the trash)\n");
    }
    cJSON_Delete(done);
    return ret;
}

static int cmd_restore(cli *c, const args *a)
{
    mem0_err err = {0};
    cJSON *trash = NULL;
    int ret = 0;
    if (a->npos == 0) {
        int rc = mem0_trash_list(c->m, &trash, &err);
        if (rc) return fail("restore", rc, &err);
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(trash, "results");
        if (!flag(a, "all")) {
            if (c->json) {
                ret = print_json(trash);
            } else if (cJSON_GetArraySize(list) == 0) {
                printf("The trash is empty.\n");
            } else {
                int width = term_width();
                printf("%-*s %-19s %-8s TEXT\n", SHORT_ID, "ID", "DELETED", "BY");
                const cJSON *e;
                cJSON_ArrayForEach(e, list)
                {
                    char id[SHORT_ID + 1];
                    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(e, "memory");
                    const char *when = jstr(e, "deleted_at"), *by = jstr(e, "actor");
                    short_id(mem, id);
                    printf("%-*s %-19.19s %-8s ", SHORT_ID, id, when ? when : "?", by ? by : "-");
                    print_oneline(jstr(mem, "memory") ? jstr(mem, "memory") : "",
                                  width ? width - (SHORT_ID + 30) : 0);
                    putchar('\n');
                }
                printf("restore with `" PROG " restore ID...` or `" PROG " restore --all`\n");
            }
            cJSON_Delete(trash);
            return ret;
        }
    } else if (flag(a, "all")) {
        return usage_error("restore", "give ids or --all, not both", NULL);
    }
    /* The ids to restore: the arguments, or every trash entry with --all. */
    int n =
        trash ? cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(trash, "results")) : a->npos;
    cJSON *restored = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        char id[UUID_STR_LEN + 1];
        if (trash) {
            const cJSON *e =
                cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(trash, "results"), i);
            const char *s = jstr(cJSON_GetObjectItemCaseSensitive(e, "memory"), "id");
            snprintf(id, sizeof id, "%s", s ? s : "");
        } else {
            int r = resolve(c, a->pos[i], 1, id);
            if (r) {
                ret = ret > r ? ret : r;
                continue;
            }
        }
        cJSON *mem = NULL;
        int rc = mem0_restore(c->m, id, "cli", &mem, &err);
        if (rc) {
            char label[96];
            snprintf(label, sizeof label, "restore %s", id);
            int r = fail(label, rc, &err);
            ret = ret > r ? ret : r;
            continue;
        }
        if (!c->json) {
            printf("restored %s  ", id);
            print_oneline(jstr(mem, "memory") ? jstr(mem, "memory") : "", 0);
            putchar('\n');
        }
        cJSON_AddItemToArray(restored, mem);
    }
    if (c->json) {
        cJSON *res = cJSON_CreateObject();
        cJSON_AddItemToObject(res, "results", restored);
        restored = NULL;
        print_json(res);
        cJSON_Delete(res);
    } else if (trash && n == 0) {
        printf("The trash is empty.\n");
    }
    cJSON_Delete(restored);
    cJSON_Delete(trash);
    return ret;
}

static int cmd_export(cli *c, const args *a)
{
    const char *path = opt(a, "output");
    FILE *out = stdout;
    if (path && strcmp(path, "-") != 0) {
        /* Exports hold every memory: private to the user like the store. */
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || !(out = fdopen(fd, "w"))) {
            mem0_err err;
            err_set(&err, MEM0_EIO, "%s", strerror(errno));
            if (fd >= 0) close(fd);
            char label[PATH_MAX + 16];
            snprintf(label, sizeof label, "export %s", path);
            return fail(label, MEM0_EIO, &err);
        }
    } else {
        path = NULL;
    }
    mem0_err err = {0};
    int rc = mem0_export(c->m, out, &err);
    if (path && fclose(out) != 0 && !rc)
        rc = err_set(&err, MEM0_EIO, "closing %s: %s", path, strerror(errno));
    if (rc) {
        if (path) unlink(path);
        return fail("export", rc, &err);
    }
    if (path && !c->json) printf("exported to %s\n", path);
    return 0;
}

static int progress_drawn;

/* done/total with a bar on stderr, redrawn in place (stderr is a terminal). */
static void draw_progress(void *ctx, long done, long total)
{
    (void)ctx;
    if (total > 0) {
        int fill = (int)(done * 30 / total);
        char bar[31];
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(30 - fill));
        bar[30] = '\0';
        fprintf(stderr, "\rimporting [%s] %ld/%ld", bar, done, total);
    } else {
        fprintf(stderr, "\rimporting %ld lines", done);
    }
    progress_drawn = 1;
}

/* import --claude-memory / --claude-md: Claude Code's own file memory (core/claudemem.h). */
static int import_claude(cli *c, const args *a)
{
    claudemem_list facts = {0};
    mem0_err err = {0};
    int rc = 0;
    if (flag(a, "claude-memory"))
        rc = claudemem_scan(opt(a, "claude-dir"), &facts, &err);
    const char *md = opt(a, "claude-md");
    if (!rc && md) {
        char project[IDENTITY_MAX];
        const char *app = opt(a, "project");
        if (!app && identity_project_id(NULL, project, sizeof project) == 0) app = project;
        rc = claudemem_scan_file(md, "convention", "claude-md", app, &facts, &err);
    }
    if (rc) {
        claudemem_free(&facts);
        return fail("import", rc, &err);
    }
    if (flag(a, "list")) { /* show the numbered facts so a user (or the skill) can pick */
        for (size_t i = 0; i < facts.n; i++) {
            if (c->json) {
                cJSON *j = cJSON_CreateObject();
                cJSON_AddNumberToObject(j, "n", (double)(i + 1));
                cJSON_AddStringToObject(j, "text", facts.v[i].text);
                cJSON_AddStringToObject(j, "type", facts.v[i].type);
                cJSON_AddStringToObject(j, "file", facts.v[i].file);
                if (facts.v[i].project)
                    cJSON_AddStringToObject(j, "app_id", facts.v[i].project);
                print_json(j);
                cJSON_Delete(j);
            } else {
                printf("%3zu  [%s] %s\n", i + 1, facts.v[i].type, facts.v[i].text);
            }
        }
        claudemem_free(&facts);
        return 0;
    }
    int pick[1024];
    size_t npick = 0;
    const char *p = opt(a, "pick");
    while (p && *p && npick < sizeof pick / sizeof *pick) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || (*end && *end != ',')) {
            claudemem_free(&facts);
            err_set(&err, MEM0_EINVAL, "--pick takes numbers from --list, like 1,3,4");
            return fail("import", MEM0_EINVAL, &err);
        }
        pick[npick++] = (int)v;
        p = *end ? end + 1 : end;
    }
    cJSON *res = NULL;
    rc = claudemem_import(c->m, &facts, opt(a, "pick") ? pick : NULL, npick, "cli", &res, &err);
    claudemem_free(&facts);
    if (rc) return fail("import", rc, &err);
    if (c->json) {
        print_json(res);
    } else {
        int added = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res, "results"));
        int skipped = (int)cJSON_GetObjectItemCaseSensitive(res, "skipped")->valuedouble;
        printf("imported %d fact%s from Claude Code's file memory (%d already present)\n", added,
               added == 1 ? "" : "s", skipped);
    }
    cJSON_Delete(res);
    return 0;
}

static int cmd_import(cli *c, const args *a)
{
    if (flag(a, "claude-memory") || opt(a, "claude-md")) return import_claude(c, a);
    if (a->npos != 1) {
        mem0_err err;
        err_set(&err, MEM0_EINVAL, "give a FILE (or -), or --claude-memory / --claude-md FILE");
        return fail("import", MEM0_EINVAL, &err);
    }
    const char *path = a->pos[0];
    FILE *in = stdin;
    if (strcmp(path, "-") != 0 && !(in = fopen(path, "r"))) {
        mem0_err err;
        err_set(&err, MEM0_EINVAL, "%s", strerror(errno));
        char label[PATH_MAX + 16];
        snprintf(label, sizeof label, "import %s", path);
        return fail(label, errno == ENOENT ? MEM0_ENOTFOUND : MEM0_EINVAL, &err);
    }
    mem0_import_stats st = {0};
    mem0_err err = {0};
    progress_drawn = 0;
    int rc = mem0_import(c->m, in, isatty(STDERR_FILENO) ? draw_progress : NULL, NULL, &st, &err);
    if (progress_drawn) fputc('\n', stderr);
    if (in != stdin) fclose(in);
    if (rc) return fail("import", rc, &err);
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "memories_added", (double)st.memories_added);
        cJSON_AddNumberToObject(j, "memories_skipped", (double)st.memories_skipped);
        cJSON_AddNumberToObject(j, "history_added", (double)st.history_added);
        cJSON_AddNumberToObject(j, "lines_rejected", (double)st.lines_rejected);
        print_json(j);
        cJSON_Delete(j);
    } else {
        printf("imported %ld memor%s (%ld already present), %ld history item%s\n",
               st.memories_added, st.memories_added == 1 ? "y" : "ies", st.memories_skipped,
               st.history_added, st.history_added == 1 ? "" : "s");
    }
    if (st.lines_rejected) {
        fprintf(stderr,
                PROG ": import: %ld line%s rejected (not JSON, or not a valid memory, "
                     "trash or history line)\n",
                st.lines_rejected, st.lines_rejected == 1 ? "" : "s");
        return EXIT_DOMAIN;
    }
    return 0;
}

static int cmd_backup(cli *c, const args *a)
{
    mem0_err err = {0};
    int rc = mem0_backup(c->m, a->pos[0], &err);
    if (rc) return fail("backup", rc, &err);
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "backup", a->pos[0]);
        print_json(j);
        cJSON_Delete(j);
    } else {
        printf("backed up to %s (use it with --home %s, or MEM0_HOME)\n", a->pos[0], a->pos[0]);
    }
    return 0;
}

static int cmd_stats(cli *c, const args *a)
{
    (void)a;
    cJSON *res = NULL;
    mem0_err err = {0};
    int rc = mem0_stats(c->m, &res, &err);
    if (rc) return fail("stats", rc, &err);
    if (c->json) {
        rc = print_json(res);
        cJSON_Delete(res);
        return rc;
    }
    const cJSON *f;
    cJSON_ArrayForEach(f, res)
    {
        if (cJSON_IsNumber(f)) {
            double v = f->valuedouble;
            if (strstr(f->string, "size") && v >= 1024 * 1024)
                printf("%-15s %.1f MiB\n", f->string, v / (1024.0 * 1024.0));
            else
                printf("%-15s %.0f\n", f->string, v);
        } else if (cJSON_IsString(f)) {
            printf("%-15s %s\n", f->string, f->valuestring);
        } else {
            char *s = cJSON_PrintUnformatted(f);
            printf("%-15s %s\n", f->string, s ? s : "?");
            free(s);
        }
    }
    cJSON_Delete(res);
    return 0;
}

static int cmd_doctor(cli *c, const args *a)
{
    (void)a;
    cJSON *report = NULL;
    mem0_err err = {0};
    int rc = doctor_run(c->home, &report, &err);
    if (rc) return fail("doctor", rc, &err);
    int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(report, "ok"));
    if (c->json) {
        print_json(report);
    } else {
        const cJSON *ch;
        cJSON_ArrayForEach(ch, cJSON_GetObjectItemCaseSensitive(report, "checks"))
        {
            const char *level = jstr(ch, "level"), *fix = jstr(ch, "fix");
            printf("%-4s  %-8s  %s\n",
                   level && strcmp(level, "fail") == 0   ? "FAIL"
                   : level && strcmp(level, "warn") == 0 ? "warn"
                                                         : "ok",
                   jstr(ch, "name") ? jstr(ch, "name") : "?",
                   jstr(ch, "detail") ? jstr(ch, "detail") : "");
            if (fix) printf("%-4s  %-8s  fix: %s\n", "", "", fix);
        }
        printf(ok ? "No problems found.\n" : "Problems found: see the fix lines above.\n");
    }
    cJSON_Delete(report);
    return ok ? 0 : EXIT_DOMAIN;
}

static int cmd_sweep(cli *c, const args *a)
{
    long budget = 0;
    int ret;
    if (opt(a, "budget-ms") &&
        (ret = parse_int(c, "budget-ms", opt(a, "budget-ms"), 0, 86400000, &budget)))
        return ret;
    mem0_sweep_stats st = {0};
    mem0_err err = {0};
    int rc = mem0_sweep(c->m, budget, &st, &err);
    if (rc) return fail("sweep", rc, &err);
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "purged_expired", (double)st.purged_expired);
        cJSON_AddNumberToObject(j, "purged_trash", (double)st.purged_trash);
        cJSON_AddBoolToObject(j, "complete", st.complete);
        print_json(j);
        cJSON_Delete(j);
        return 0;
    }
    printf("purged %ld expired memor%s past the grace period and %ld trash entr%s past "
           "retention%s\n",
           st.purged_expired, st.purged_expired == 1 ? "y" : "ies", st.purged_trash,
           st.purged_trash == 1 ? "y" : "ies",
           st.complete ? "" : "; the time budget ran out: run it again to finish");
    return 0;
}

/* ---- Models and reindex ------------------------------------------------------------- */

/* "12.3 MB" */
static void human_bytes(long long n, char *out, size_t size)
{
    if (n >= 1000LL * 1000)
        snprintf(out, size, "%.1f MB", (double)n / 1e6);
    else if (n >= 1000)
        snprintf(out, size, "%.1f kB", (double)n / 1e3);
    else
        snprintf(out, size, "%lld B", n);
}

/* A bar of 30 cells for done/total. */
static void bar(char out[31], long long done, long long total)
{
    int fill = total > 0 ? (int)(done * 30 / total) : 0;
    if (fill > 30) fill = 30;
    memset(out, '#', (size_t)fill);
    memset(out + fill, '.', (size_t)(30 - fill));
    out[30] = '\0';
}

/* Download progress on stderr (a terminal), redrawn at most every 100 ms. */
static void draw_download(void *ctx, const char *file, long long done, long long total)
{
    static double last;
    (void)ctx;
    double now = time_mono_ms();
    if (now - last < 100 && done != total) return;
    last = now;
    char b[31], d[32], t[32];
    bar(b, done, total);
    human_bytes(done, d, sizeof d);
    human_bytes(total, t, sizeof t);
    if (total > 0)
        fprintf(stderr, "\r%-18s [%s] %s / %s   ", file, b, d, t);
    else
        fprintf(stderr, "\r%-18s %s   ", file, d);
    progress_drawn = 1;
}

static int model_install_cmd(cli *c, const args *a)
{
    if (a->npos != 2)
        return usage_error("model", "missing model; usage: " PROG " ",
                           "model install NAME|URL [--sha256 HEX --tokenizer-sha256 HEX]");
    model_install_req req = {0};
    req.source = a->pos[1];
    req.name = opt(a, "name");
    req.sha256 = opt(a, "sha256");
    req.tokenizer_sha256 = opt(a, "tokenizer-sha256");
    req.force = flag(a, "force");
    if (isatty(STDERR_FILENO) && !c->json) req.progress = draw_download;
    char name[MODEL_NAME_MAX + 1] = "";
    mem0_err err = {0};
    progress_drawn = 0;
    int rc = model_install(c->home, &req, name, sizeof name, &err);
    if (progress_drawn) fputc('\n', stderr);
    if (rc) return fail("model install", rc, &err);
    char dir[PATH_MAX];
    model_dir(c->home, name, dir, sizeof dir, NULL);
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "installed", name);
        cJSON_AddStringToObject(j, "path", dir);
        char spec[MODEL_NAME_MAX + 8];
        snprintf(spec, sizeof spec, "static:%s", name);
        cJSON_AddStringToObject(j, "embedder", spec);
        int ret = print_json(j);
        cJSON_Delete(j);
        return ret;
    }
    printf("installed %s in %s (checksums verified)\n"
           "To use it: set \"embedder\": \"static:%s\" in settings.json (or "
           "MEM0_EMBEDDER=static:%s),\nthen run `" PROG " reindex`.\n",
           name, dir, name, name);
    return 0;
}

static int model_list_cmd(cli *c)
{
    cJSON *res = NULL;
    mem0_err err = {0};
    int rc = model_list(c->home, &res, &err);
    if (rc) return fail("model list", rc, &err);
    if (c->json) {
        rc = print_json(res);
        cJSON_Delete(res);
        return rc;
    }
    const cJSON *m, *inst = cJSON_GetObjectItemCaseSensitive(res, "installed");
    char home[PATH_MAX];
    settings_home(home, sizeof home); /* --home was put in MEM0_HOME */
    printf("Installed (in %s/models):\n", home);
    if (cJSON_GetArraySize(inst) == 0) printf("  none\n");
    cJSON_ArrayForEach(m, inst)
    {
        char size[32];
        const cJSON *dim = cJSON_GetObjectItemCaseSensitive(m, "dim");
        const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(m, "bytes");
        human_bytes(cJSON_IsNumber(bytes) ? (long long)bytes->valuedouble : 0, size, sizeof size);
        printf("  %-26s %4d dims  %9s  %s\n", jstr(m, "name") ? jstr(m, "name") : "?",
               cJSON_IsNumber(dim) ? dim->valueint : 0, size,
               jstr(m, "source") ? jstr(m, "source") : "");
    }
    printf("Known (`" PROG " model install NAME`):\n");
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(res, "catalogue"))
    {
        printf("  %-26s %s%s\n", jstr(m, "name") ? jstr(m, "name") : "?",
               jstr(m, "description") ? jstr(m, "description") : "",
               cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "installed")) ? " [installed]"
                                                                              : "");
    }
    printf("Use one with \"embedder\": \"static:NAME\" in settings.json (or MEM0_EMBEDDER), "
           "then `" PROG " reindex`.\n");
    cJSON_Delete(res);
    return 0;
}

static int cmd_model(cli *c, const args *a)
{
    if (strcmp(a->pos[0], "install") == 0) return model_install_cmd(c, a);
    if (strcmp(a->pos[0], "list") == 0) {
        if (a->npos > 1) return usage_error("model", "list takes no argument", NULL);
        return model_list_cmd(c);
    }
    return usage_error("model", "unknown subcommand (install or list): ", a->pos[0]);
}

static void draw_reindex(void *ctx, long done, long total)
{
    (void)ctx;
    char b[31];
    bar(b, done, total);
    fprintf(stderr, "\rembedding [%s] %ld/%ld", b, done, total);
    progress_drawn = 1;
}

static int cmd_reindex(cli *c, const args *a)
{
    long batch = REINDEX_DEFAULT_BATCH;
    int ret;
    if (opt(a, "batch") && (ret = parse_int(c, "batch", opt(a, "batch"), 1, 4096, &batch)))
        return ret;
    mem0_settings s;
    mem0_err err = {0};
    char *warnings = NULL;
    int rc = settings_load(mem0_home(c->m), &s, &warnings, &err);
    free(warnings);
    if (rc) return fail("reindex", rc, &err);
    const char *spec = embed_spec(&s);
    embedder *e = NULL;
    if ((rc = embed_open(mem0_home(c->m), spec, &e, &err))) return fail("reindex", rc, &err);
    reindex_opts o = {(int)batch, NULL, NULL, 0};
    if (isatty(STDERR_FILENO) && !c->json) {
        o.progress = draw_reindex;
        if (e)
            fprintf(stderr, "re-embedding with %s; safe to interrupt: run it again to resume\n",
                    embed_describe(e));
    }
    reindex_stats st;
    progress_drawn = 0;
    rc = reindex_run(c->m, e, &o, &st, &err);
    if (progress_drawn) fputc('\n', stderr);
    if (rc) {
        embed_close(e);
        if (st.embedded || st.resumed)
            fprintf(stderr,
                    PROG ": reindex: stopped after %ld of %ld memories; run it again "
                         "to resume\n",
                    st.embedded + st.resumed, st.total);
        return fail("reindex", rc, &err);
    }
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "embedder", e ? embed_id(e) : "none");
        cJSON_AddNumberToObject(j, "dim", embed_dim(e));
        cJSON_AddNumberToObject(j, "total", (double)st.total);
        cJSON_AddNumberToObject(j, "embedded", (double)st.embedded);
        cJSON_AddNumberToObject(j, "resumed", (double)st.resumed);
        cJSON_AddBoolToObject(j, "complete", st.complete);
        ret = print_json(j);
        cJSON_Delete(j);
    } else if (!e) {
        printf("no embedder configured (\"embedder\" in settings.json, or MEM0_EMBEDDER): "
               "removed every vector; search is lexical only\n");
    } else {
        printf("embedded %ld memor%s with %s", st.embedded, st.embedded == 1 ? "y" : "ies",
               embed_id(e));
        if (st.resumed) printf(" (%ld done by an earlier, interrupted run)", st.resumed);
        printf("\n");
    }
    embed_close(e);
    return ret;
}

static int cmd_serve(cli *c, const args *a)
{
    (void)c;
    (void)a;
    return mcp_serve();
}

static int cmd_help(cli *c, const args *a);

/* ---- Command table and help --------------------------------------------------------- */

static const command commands[] = {
    {"add", cmd_add, "agent= app= run= metadata= expires= infer no-infer", 1, 1, 1,
     "add [options] TEXT|-", "store a memory (TEXT, or - to read it from stdin)",
     "  --agent ID, --app ID, --run ID   the memory's scope besides the user\n"
     "  --metadata JSON    an object, e.g. '{\"type\":\"decision\"}'\n"
     "  --expires DATE     hide it after this UTC day (YYYY-MM-DD)\n"
     "  --infer            skip it if the same text is already stored in this scope (default)\n"
     "  --no-infer         store it verbatim, even if it is a duplicate\n"
     "Example:\n"
     "  " PROG " add \"Deploys go through make release\" --app myproject \\\n"
     "      --metadata '{\"type\":\"convention\"}'\n"},
    {"search", cmd_search, "filters= top-k= threshold= show-expired explain", 1, 1, 1,
     "search [options] QUERY", "find the memories that best match a query",
     "  --filters JSON     a Mem0 v2 filter, e.g. '{\"AND\":[{\"app_id\":\"myproject\"}]}'\n"
     "                     (your user is added unless the filter names one; --user '*' for "
     "all)\n"
     "  --top-k N          at most N results (default 10)\n"
     "  --threshold X      only results scoring at least X (0..1)\n"
     "  --show-expired     include memories past their expiration date\n"
     "  --explain          show how each score was made\n"
     "Example:\n"
     "  " PROG " search \"how do we deploy\" --filters '{\"metadata\":{\"type\":\"decision\"}}'\n"},
    {"list", cmd_list, "filters= page= page-size= show-expired", 0, 0, 1, "list [options]",
     "page through memories, newest first",
     "  --filters JSON     a Mem0 v2 filter (see search --help)\n"
     "  --page N           page number, from 1 (default 1)\n"
     "  --page-size N      memories per page, 1..100 (default 10)\n"
     "  --show-expired     include memories past their expiration date\n"
     "Example:\n"
     "  " PROG " list --filters '{\"app_id\":\"myproject\"}' --page 2\n"},
    {"get", cmd_get, "history", 1, 1, 1, "get [--history] ID",
     "show one memory (ID, or its first 4+ characters)",
     "  --history          also show every change (ADD, UPDATE, DELETE), oldest first;\n"
     "                     works for deleted memories too\n"
     "Example:\n"
     "  " PROG " get 1a2b3c4d --history\n"},
    {"update", cmd_update, "text= metadata= expires=", 1, 1, 1, "update ID [options]",
     "change a memory's text, metadata or expiration",
     "  --text TEXT        new text (- reads it from stdin)\n"
     "  --metadata JSON    new metadata object (replaces the old one)\n"
     "  --expires DATE     new expiration day (YYYY-MM-DD), or none to clear it\n"
     "Example:\n"
     "  " PROG " update 1a2b3c4d --text \"Deploys go through make ship\" --expires none\n"},
    {"delete", cmd_delete, "all agent= app= run=", 0, -1, 1,
     "delete ID... | delete --all --user ID|--agent ID|--app ID|--run ID",
     "move memories to the trash (undo with restore)",
     "  --all              every memory of the scope given by --user/--agent/--app/--run\n"
     "                     (all of them must match); asks nothing, prints what went\n"
     "Deleted memories stay in the trash (settings: trash_days, default 30) until `sweep`\n"
     "purges them; `" PROG " restore` lists and restores them.\n"
     "Example:\n"
     "  " PROG " delete 1a2b3c4d\n"
     "  " PROG " delete --all --user alice --app oldproject\n"},
    {"restore", cmd_restore, "all", 0, -1, 1, "restore [ID... | --all]",
     "list the trash, or bring deleted memories back",
     "  (no argument)      list the trash: id, time of deletion, who deleted it, text\n"
     "  ID...              restore these memories with their ids, text and timestamps\n"
     "  --all              restore everything in the trash\n"
     "Example:\n"
     "  " PROG " restore 1a2b3c4d\n"},
    {"export", cmd_export, "output=", 0, 0, 1, "export [--output FILE]",
     "write every memory, the trash and the history as JSONL",
     "  -o, --output FILE  write to FILE (created 0600) instead of stdout\n"
     "Lines: {\"type\":\"memory\",...}, then {\"type\":\"trash\",...}, then "
     "{\"type\":\"history\",...}.\n"
     "Example:\n"
     "  " PROG " export --output memories.jsonl\n"},
    {"import", cmd_import, "claude-memory claude-dir= claude-md= project= list pick=", 0, 1, 1,
     "import FILE|-  |  import --claude-memory | --claude-md FILE [--list] [--pick N,...]",
     "add the memories of an export, or Claude Code's own file memory, to this store",
     "Keeps ids and timestamps; skips what is already present, so importing twice adds\n"
     "nothing; redacts secrets as settings say; shows progress when stderr is a terminal.\n"
     "Exits 1 if any line was rejected.\n"
     "  --claude-memory     import the MEMORY.md files (and topic files) Claude Code keeps\n"
     "                      under ~/.claude/projects/*/memory/ and ~/.claude/memory/\n"
     "  --claude-dir DIR    read them from DIR instead of ~/.claude\n"
     "  --claude-md FILE    import facts from a CLAUDE.md (bullets and paragraphs) as\n"
     "                      conventions of this project (or --project ID)\n"
     "  --list              only show the numbered facts found\n"
     "  --pick N,...        import only these numbers from --list\n"
     "Example:\n"
     "  " PROG " --home ~/.mem0-new import memories.jsonl\n"
     "  " PROG " import --claude-md CLAUDE.md --list\n"
     "  " PROG " import --claude-md CLAUDE.md --pick 1,4\n"},
    {"backup", cmd_backup, "", 1, 1, 1, "backup DEST",
     "write a compacted copy of the store into a new or empty folder",
     "Safe while the server and hooks are running.  DEST gets data.mdb (and settings.json);\n"
     "use it with --home DEST or MEM0_HOME=DEST.\n"
     "Example:\n"
     "  " PROG " backup ~/mem0-backup-$(date +%F)\n"},
    {"stats", cmd_stats, "", 0, 0, 1, "stats", "count memories, trash, history and entities",
     "Example:\n"
     "  " PROG " stats --json\n"},
    {"doctor", cmd_doctor, "", 0, 0, 0, "doctor",
     "check the store, its permissions, schema and settings, and say what to fix",
     "Exits 1 if a check failed.  Never changes the store.\n"
     "Example:\n"
     "  " PROG " doctor\n"},
    {"sweep", cmd_sweep, "budget-ms=", 0, 0, 1, "sweep [--budget-ms N]",
     "purge expired memories and old trash past their grace periods",
     "  --budget-ms N      stop after N milliseconds (default: no limit); run again to finish\n"
     "Expired memories are hidden at once and purged after expired_grace_days (default 30).\n"
     "Example:\n"
     "  " PROG " sweep --budget-ms 200\n"},
    {"model", cmd_model, "sha256= tokenizer-sha256= name= force", 1, 2, 0,
     "model install NAME|URL [options] | model list",
     "install a local embedding model, or list them",
     "  install NAME       download a known model (see `model list`) with pinned SHA-256s\n"
     "  install URL        a folder (http/https) holding model.safetensors and tokenizer.json;\n"
     "                     needs --sha256 and --tokenizer-sha256 from a source you trust\n"
     "  --sha256 HEX       SHA-256 of model.safetensors\n"
     "  --tokenizer-sha256 HEX   SHA-256 of tokenizer.json\n"
     "  --name NAME        install under this name (default: from the URL)\n"
     "  --force            replace an installed model of the same name\n"
     "  list               installed and known models\n"
     "Models go to $MEM0_HOME/models/NAME and work offline from then on.  MEM0_MODEL_MIRROR\n"
     "replaces the download address of known models (checksums still apply).\n"
     "Example:\n"
     "  " PROG " model install potion-base-8M\n"
     "  " PROG " model list\n"},
    {"reindex", cmd_reindex, "batch=", 0, 0, 1, "reindex [--batch N]",
     "re-embed every memory with the configured embedder",
     "Uses \"embedder\" from settings.json or MEM0_EMBEDDER (none, hash, static:NAME, openai).\n"
     "Needed after changing the embedder: the store never mixes vectors of two embedders,\n"
     "and searches fall back to lexical until it is done.  Shows progress on a terminal;\n"
     "safe to interrupt (even kill -9): run it again and it resumes where it stopped.\n"
     "  --batch N          memories embedded per step, 1..4096 (default 64)\n"
     "Example:\n"
     "  MEM0_EMBEDDER=static:potion-base-8M " PROG " reindex\n"},
    {"serve", cmd_serve, "", 0, 0, 0, "serve",
     "run the MCP server on stdin/stdout (the same as no command)",
     "Example:\n"
     "  claude mcp add mem0 -- " PROG " serve\n"},
    {"help", cmd_help, "", 0, 1, 0, "help [COMMAND]", "show this help, or a command's", ""},
};

#define NCOMMANDS (sizeof commands / sizeof *commands)

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static void program_help(void)
{
    printf(PROG " " MEM0_VERSION ": local memory for Claude Code, with Mem0's MCP tools\n\n"
                "Usage:\n"
                "  " PROG "                       run the MCP server on stdin/stdout\n"
                "  " PROG " COMMAND [options]     work with the memory store by hand\n"
                "  " PROG " COMMAND --help        options and an example for one command\n\n"
                "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  %-8s %s\n", commands[i].name, commands[i].summary);
    printf("\nOptions for every command:\n"
           "  --home DIR         the store folder (default $MEM0_HOME, else ~/.mem0)\n"
           "  --user ID          act as this user (default $MEM0_USER_ID, else $USER);\n"
           "                     '*' searches and lists every user\n"
           "  --json             print JSON on one line (Mem0's shapes) instead of text\n"
           "  -h, --help         show help\n\n"
           "Ids: a full id, or its first 4 or more characters when that is unique.\n"
           "Exit status: 0 ok, 1 not found or invalid input, 2 bad usage, 3 store failure.\n\n"
           "Example:\n"
           "  " PROG " add \"We deploy with make release\" --metadata '{\"type\":\"decision\"}'\n"
           "  " PROG " search deploy\n");
}

static void command_help(const command *cmd)
{
    printf("Usage: " PROG " %s\n\n%c%s.\n\n", cmd->synopsis, cmd->summary[0] - 32,
           cmd->summary + 1);
    if (*cmd->help) printf("Options:\n%s", cmd->help);
    printf("\nAlso: --home DIR, --user ID, --json, --help (see `" PROG " --help`).\n");
}

static int cmd_help(cli *c, const args *a)
{
    (void)c;
    if (a->npos == 0) {
        program_help();
        return 0;
    }
    const command *cmd = find_command(a->pos[0]);
    if (!cmd) return usage_error(NULL, "unknown command: ", a->pos[0]);
    command_help(cmd);
    return 0;
}

/* ---- Entry -------------------------------------------------------------------------- */

int cli_main(int argc, char **argv)
{
    /* Options may come before the command (`mem0-mcp --home DIR list`): the command is the
     * first argument that is neither an option nor the value of one. */
    int first = 1;
    while (first < argc && argv[first][0] == '-') {
        int takes = 0;
        const char *name = argv[first] + 2;
        if (argv[first][1] == '-' && !strchr(name, '=') && spec_has(global_opts, name, &takes) &&
            takes)
            first++;
        first++;
    }
    if (first >= argc) {
        for (int i = 1; i < argc; i++) {
            if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                program_help();
                return 0;
            }
            if (strcmp(argv[i], "--version") == 0) {
                printf(PROG " " MEM0_VERSION "\n");
                return 0;
            }
        }
        return usage_error(NULL, "missing command", NULL);
    }
    const command *cmd = find_command(argv[first]);
    if (!cmd) return usage_error(NULL, "unknown command: ", argv[first]);

    /* Arguments of the command: the leading global options, then what follows it. */
    char **rest = malloc((size_t)argc * sizeof *rest);
    args a = {{0}, {0}, 0, calloc((size_t)argc, sizeof(char *)), 0};
    if (!rest || !a.pos) {
        free(rest);
        free(a.pos);
        fprintf(stderr, PROG ": out of memory\n");
        return EXIT_STORE;
    }
    int nrest = 0;
    for (int i = 1; i < argc; i++)
        if (i != first) rest[nrest++] = argv[i];
    cli c = {cmd, NULL, NULL, 0, NULL};
    int ret = parse_args(cmd, nrest, rest, &a);
    if (ret) goto out;
    if (flag(&a, "help")) {
        if (cmd->run == cmd_help)
            program_help();
        else
            command_help(cmd);
        goto out;
    }
    if (a.npos < cmd->min_pos || (cmd->max_pos >= 0 && a.npos > cmd->max_pos)) {
        ret = usage_error(cmd->name,
                          a.npos < cmd->min_pos ? "missing argument; usage: " PROG " "
                                                : "too many arguments; usage: " PROG " ",
                          cmd->synopsis);
        goto out;
    }
    c.home = opt(&a, "home");
    c.user = opt(&a, "user");
    c.json = flag(&a, "json");
    if (c.home && !*c.home) {
        ret = usage_error(cmd->name, "--home needs a folder", NULL);
        goto out;
    }
    if (c.user && !*c.user) {
        ret = usage_error(cmd->name, "--user needs an id", NULL);
        goto out;
    }
    /* The whole process acts for this home and user: the server (serve) and core's
     * defaults read them from the environment. */
    if (c.home) setenv("MEM0_HOME", c.home, 1);
    if (c.user && strcmp(c.user, "*") != 0) setenv("MEM0_USER_ID", c.user, 1);
    if (cmd->open_store) {
        mem0_options o = {0};
        mem0_err err = {0};
        o.home = c.home;
        int rc = mem0_open(&o, &c.m, &err);
        if (rc) {
            ret = fail("cannot open the memory store", rc, &err);
            goto out;
        }
    }
    ret = cmd->run(&c, &a);
out:
    mem0_close(c.m);
    args_free(&a);
    free(rest);
    if (fflush(stdout) != 0 && ret == 0) {
        fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
        ret = EXIT_STORE;
    }
    return ret;
}
