/* claudemem.c: facts from Claude Code's MEMORY.md files and CLAUDE.md (see claudemem.h). */
#include "claudemem.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define FACT_MIN 8                 /* shorter chunks are headings or noise */
#define FILE_MAX (4 * 1024 * 1024) /* a memory file larger than this is not notes */

static int list_push(claudemem_list *l, const char *text, size_t n, const char *type,
                     const char *file, const char *project, const char *source)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        claudemem_fact *v = realloc(l->v, cap * sizeof *v);
        if (!v) return MEM0_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    claudemem_fact *f = &l->v[l->n];
    f->text = malloc(n + 1);
    f->type = xstrdup(type);
    f->file = xstrdup(file);
    f->project = project ? xstrdup(project) : NULL;
    if (!f->text || !f->type || !f->file || (project && !f->project)) {
        free(f->text);
        free(f->type);
        free(f->file);
        free(f->project);
        return MEM0_ENOMEM;
    }
    memcpy(f->text, text, n);
    f->text[n] = '\0';
    f->source = source;
    l->n++;
    return 0;
}

void claudemem_free(claudemem_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].text);
        free(l->v[i].type);
        free(l->v[i].file);
        free(l->v[i].project);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static char *read_file(const char *path, mem0_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(err, MEM0_EIO, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    strbuf sb = {0};
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && sb.len <= FILE_MAX)
        sb_add(&sb, buf, n);
    fclose(f);
    if (sb.len > FILE_MAX) {
        sb_free(&sb);
        err_set(err, MEM0_EINVAL, "%s is larger than %d bytes", path, FILE_MAX);
        return NULL;
    }
    char *text = sb_detach(&sb);
    if (!text)
        err_set(err, MEM0_ENOMEM, "out of memory");
    else if (!utf8_valid(text, strlen(text))) {
        free(text);
        err_set(err, MEM0_EINVAL, "%s is not valid UTF-8", path);
        return NULL;
    }
    return text;
}

static const char *map_type(const char *front_type, const char *dflt)
{
    if (!front_type) return dflt;
    if (!strcmp(front_type, "user") || !strcmp(front_type, "feedback")) return "user_preference";
    if (!strcmp(front_type, "project")) return "decision";
    if (!strcmp(front_type, "reference")) return "environmental";
    return dflt;
}

/* 1 if the line holds nothing but a Markdown link (an index entry pointing elsewhere). */
static int link_only(const char *s, size_t n)
{
    while (n && (*s == '-' || *s == '*' || *s == ' '))
        s++, n--;
    if (!n || *s != '[') return 0;
    const char *close = memchr(s, ']', n);
    if (!close || (size_t)(close - s) + 1 >= n || close[1] != '(') return 0;
    const char *end = memchr(close, ')', n - (size_t)(close - s));
    if (!end) return 0;
    /* "[x](y) — a description" still says something; keep those */
    size_t rest = n - (size_t)(end - s) - 1;
    return rest < FACT_MIN;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t' || **s == '\r'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
        (*n)--;
}

/* Splits Markdown into facts: each bullet is one; consecutive plain lines form a paragraph;
 * headings, code fences' markers, front matter and link-only lines are dropped. */
static int split_facts(const char *text, const char *type, const char *file, const char *project,
                       const char *source, claudemem_list *out)
{
    const char *p = text;
    char front_type[64] = "";
    if (!strncmp(p, "---\n", 4)) { /* YAML front matter */
        const char *end = strstr(p + 4, "\n---");
        if (end) {
            const char *t = strstr(p, "\ntype:");
            if (t && t < end) {
                t += 6;
                while (*t == ' ')
                    t++;
                size_t k = strcspn(t, "\r\n");
                snprintf(front_type, sizeof front_type, "%.*s", (int)k, t);
            }
            p = end + 4;
            p += strcspn(p, "\n");
        }
    }
    const char *ftype = map_type(front_type[0] ? front_type : NULL, type);
    strbuf para = {0};
    int rc = 0, in_code = 0;
    for (;;) {
        size_t n = strcspn(p, "\n");
        const char *line = p;
        size_t len = n;
        trim(&line, &len);
        int bullet =
            len > 1 && (line[0] == '-' || line[0] == '*' || line[0] == '+') && line[1] == ' ';
        int fence = len >= 3 && !strncmp(line, "```", 3);
        int boundary = !len || line[0] == '#' || bullet || fence || !*p;
        if (boundary && para.len >= FACT_MIN)
            rc = list_push(out, para.buf, para.len, ftype, file, project, source);
        if (boundary) para.len = 0;
        if (rc) break;
        if (fence)
            in_code = !in_code;
        else if (bullet && !in_code && !link_only(line, len)) {
            const char *b = line + 2;
            size_t bl = len - 2;
            trim(&b, &bl);
            if (bl >= FACT_MIN) sb_add(&para, b, bl);
        } else if (len && line[0] != '#' && !in_code && !link_only(line, len)) {
            if (para.len) sb_add(&para, " ", 1);
            sb_add(&para, line, len);
        }
        if (!p[n]) break;
        p += n + 1;
    }
    if (!rc && para.len >= FACT_MIN)
        rc = list_push(out, para.buf, para.len, ftype, file, project, source);
    sb_free(&para);
    return rc;
}

int claudemem_scan_file(const char *path, const char *default_type, const char *source,
                        const char *project, claudemem_list *out, mem0_err *err)
{
    char *text = read_file(path, err);
    if (!text) return err ? err->code : MEM0_EIO;
    int rc = split_facts(text, default_type ? default_type : "convention", path, project,
                         source ? source : "claude-md", out);
    free(text);
    return rc ? err_set(err, rc, "out of memory") : 0;
}

/* The project a memory folder belongs to: the last component of the encoded cwd
 * ("-home-user-proj" -> "proj"). */
static void project_of(const char *encoded, char *out, size_t n)
{
    const char *last = strrchr(encoded, '-');
    snprintf(out, n, "%s", last && last[1] ? last + 1 : encoded);
}

static int scan_memory_dir(const char *dir, const char *project, claudemem_list *out, mem0_err *err)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".md") != 0) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        char *text = read_file(path, err);
        if (!text) continue; /* one unreadable file does not stop the others */
        rc = split_facts(text, "task_learning", path, project, "claude-memory", out);
        free(text);
    }
    closedir(d);
    return rc ? err_set(err, rc, "out of memory") : 0;
}

int claudemem_scan(const char *claude_dir, claudemem_list *out, mem0_err *err)
{
    char base[4096];
    if (claude_dir && *claude_dir)
        snprintf(base, sizeof base, "%s", claude_dir);
    else
        snprintf(base, sizeof base, "%s/.claude", getenv("HOME") ? getenv("HOME") : ".");
    char path[4096 + 300];
    snprintf(path, sizeof path, "%s/memory", base);
    int rc = scan_memory_dir(path, NULL, out, err);
    snprintf(path, sizeof path, "%s/projects", base);
    DIR *d = opendir(path);
    if (!d) return rc;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char dir[4096 + 600], project[256];
        snprintf(dir, sizeof dir, "%s/projects/%s/memory", base, e->d_name);
        project_of(e->d_name, project, sizeof project);
        rc = scan_memory_dir(dir, project, out, err);
    }
    closedir(d);
    return rc;
}

static int picked(const int *pick, size_t npick, size_t index)
{
    if (!pick) return 1;
    for (size_t i = 0; i < npick; i++)
        if (pick[i] == (int)index + 1) return 1;
    return 0;
}

int claudemem_import(mem0 *m, const claudemem_list *facts, const int *pick, size_t npick,
                     const char *actor, cJSON **result, mem0_err *err)
{
    *result = NULL;
    cJSON *res = cJSON_CreateObject(), *added = cJSON_AddArrayToObject(res, "results");
    long skipped = 0;
    for (size_t i = 0; i < facts->n; i++) {
        if (!picked(pick, npick, i)) continue;
        const claudemem_fact *f = &facts->v[i];
        cJSON *meta = cJSON_CreateObject();
        cJSON_AddStringToObject(meta, "type", f->type);
        cJSON_AddStringToObject(meta, "source", f->source);
        cJSON_AddStringToObject(meta, "file", f->file);
        mem0_add_req req = {0};
        req.text = f->text;
        req.scope.app_id = f->project;
        req.metadata = meta;
        req.infer = 1;
        req.actor = actor;
        cJSON *one = NULL;
        int rc = mem0_add(m, &req, &one, err);
        cJSON_Delete(meta);
        if (rc) {
            cJSON_Delete(res);
            return rc;
        }
        cJSON *items = cJSON_GetObjectItemCaseSensitive(one, "results"), *it;
        if (cJSON_GetArraySize(items) == 0) skipped++;
        while ((it = cJSON_DetachItemFromArray(items, 0)))
            cJSON_AddItemToArray(added, it);
        cJSON_Delete(one);
    }
    cJSON_AddNumberToObject(res, "skipped", (double)skipped);
    *result = res;
    return 0;
}
