/*
 * transcript.c: reading a session transcript's tail (see transcript.h).
 *
 * The tail is found by scanning backwards for newlines with pread() in 64 KiB steps, then
 * read forwards in one go.  Lines are parsed only when a cheap substring test says they
 * can matter ("tool_use", "isCompactSummary"): tool results in user records can be
 * megabytes, and the stop hook has 200 ms.
 */
#include "transcript.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCAN_CHUNK 65536

/* The part of the file the tail covers: buf[0..len) is the file from offset base on. */
typedef struct tail {
    char *buf;
    size_t len;
    int64_t base;
} tail;

/* Reads the last max_lines lines after offset since (at most TRANSCRIPT_MAX_BYTES). */
static int tail_read(const char *path, int64_t since, int max_lines, tail *t, mem0_err *err)
{
    char *chunk = NULL;
    int ret = 0;
    memset(t, 0, sizeof *t);
    if (!path || !*path) return err_set(err, MEM0_EIO, "no transcript path");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_set(err, MEM0_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        ret = err_set(err, MEM0_EIO, "%s is not a readable file", path);
        goto out;
    }
    int64_t size = (int64_t)st.st_size;
    if (since < 0 || since > size) since = 0;
    chunk = malloc(SCAN_CHUNK);
    if (!chunk) {
        ret = err_set(err, MEM0_ENOMEM, "out of memory");
        goto out;
    }
    /* Backwards: stop after max_lines newlines (a newline ending the file starts no line),
     * at `since`, or at the byte cap (then the cut line is dropped). */
    int64_t start = since, pos = size;
    int lines = 0;
    while (pos > since) {
        size_t want = (size_t)(pos - since < SCAN_CHUNK ? pos - since : SCAN_CHUNK);
        pos -= (int64_t)want;
        ssize_t got = pread(fd, chunk, want, (off_t)pos);
        if (got != (ssize_t)want) {
            ret = err_set(err, MEM0_EIO, "cannot read %s", path);
            goto out;
        }
        int64_t first_nl = -1;
        for (size_t i = want; i-- > 0;) {
            if (chunk[i] != '\n') continue;
            first_nl = pos + (int64_t)i;
            if (pos + (int64_t)i == size - 1) continue;
            if (++lines >= max_lines) {
                start = pos + (int64_t)i + 1;
                goto found;
            }
        }
        if (size - pos >= TRANSCRIPT_MAX_BYTES) {
            start = first_nl >= 0 ? first_nl + 1 : size;
            goto found;
        }
    }
found:
    t->base = start;
    t->len = (size_t)(size - start);
    t->buf = malloc(t->len + 1);
    if (!t->buf) {
        ret = err_set(err, MEM0_ENOMEM, "out of memory");
        goto out;
    }
    size_t done = 0;
    while (done < t->len) {
        ssize_t got = pread(fd, t->buf + done, t->len - done, (off_t)(start + (int64_t)done));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        done += (size_t)got;
    }
    t->len = done; /* a file truncated meanwhile: what was there */
    t->buf[t->len] = '\0';
out:
    if (ret) {
        free(t->buf);
        t->buf = NULL;
    }
    free(chunk);
    close(fd);
    return ret;
}

/* Calls fn for each line of the tail, with the offset just past it in the file (complete:
 * it ends with '\n'); fn returns 1 to stop. */
typedef int (*line_fn)(const char *line, size_t n, int64_t end, int complete, void *ctx);
static void each_line(const tail *t, line_fn fn, void *ctx)
{
    const char *p = t->buf, *end = t->buf + t->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        int64_t after = t->base + (int64_t)(p - t->buf) + (int64_t)n + 1;
        if (n && fn(p, n, after, nl != NULL, ctx)) return;
        p += n + 1;
    }
}

static int has(const char *line, size_t n, const char *needle)
{
    return memmem(line, n, needle, strlen(needle)) != NULL;
}

/* A conversational record of the main chain ("user" or "assistant"), or NULL. */
static const cJSON *main_record(const cJSON *rec, const char *type)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "type");
    if (!cJSON_IsString(t) || strcmp(t->valuestring, type) != 0) return NULL;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "isSidechain"))) return NULL;
    return cJSON_GetObjectItemCaseSensitive(rec, "message");
}

static const cJSON *content_of(const cJSON *msg)
{
    return cJSON_GetObjectItemCaseSensitive(msg, "content");
}

/* The text of a content value: a string, or its text blocks joined by blank lines. */
static void content_text(const cJSON *content, strbuf *sb)
{
    if (cJSON_IsString(content)) {
        sb_adds(sb, content->valuestring);
        return;
    }
    const cJSON *b;
    cJSON_ArrayForEach(b, content)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(b, "type");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(b, "text");
        if (!cJSON_IsString(type) || strcmp(type->valuestring, "text") != 0) continue;
        if (!cJSON_IsString(text) || !*text->valuestring) continue;
        if (sb->len) sb_adds(sb, "\n\n");
        sb_adds(sb, text->valuestring);
    }
}

/* A malloc'd copy of s cut to max bytes at a character boundary, without the whitespace
 * around it; NULL on allocation failure. */
static char *clip_dup(const char *s, size_t max)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n > max) n = utf8_clip(s, max);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

/* ---- Tool names ----------------------------------------------------------------------- */

int transcript_is_file_tool(const char *name)
{
    static const char *const tools[] = {"Write", "Edit", "MultiEdit", "NotebookEdit"};
    if (!name) return 0;
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
        if (strcmp(name, tools[i]) == 0) return 1;
    return 0;
}

int transcript_is_add_memory(const char *name)
{
    static const char suffix[] = "__add_memory";
    if (!name || strncmp(name, "mcp__", 5) != 0) return 0;
    size_t n = strlen(name), sl = sizeof suffix - 1;
    if (n <= 5 + sl || strcmp(name + n - sl, suffix) != 0) return 0;
    /* The server part, "plugin_<plugin>_<server>" or "<server>", must name mem0. */
    size_t server_len = n - 5 - sl;
    for (size_t i = 0; i + 4 <= server_len; i++)
        if (strncasecmp(name + 5 + i, "mem0", 4) == 0) return 1;
    return 0;
}

/* ---- Compaction summary --------------------------------------------------------------- */

static const char wrapper_lead[] = "This session is being continued from a previous conversation";

char *transcript_unwrap_summary(const char *text)
{
    static const char *const tails[] = {
        "\nIf you need specific details from before compaction",
        "\nPlease continue the conversation from where we left",
        "\nContinue the conversation from where it left off",
    };
    if (!text) return NULL;
    const char *s = text;
    while (isspace((unsigned char)*s))
        s++;
    if (strncmp(s, wrapper_lead, sizeof wrapper_lead - 1) != 0) return clip_dup(s, strlen(s));
    /* The wrapper's first paragraph ends at the first blank line; without one, after the
     * sentence that introduces the summary. */
    const char *body = strstr(s, "\n\n");
    if (!body) {
        const char *intro = strstr(s, "earlier portion of the conversation.");
        body = intro ? intro + strlen("earlier portion of the conversation.") : NULL;
    }
    if (!body) {
        const char *nl = strchr(s, '\n');
        body = nl ? nl : s + strlen(s);
    }
    size_t len = strlen(body);
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        /* The last occurrence: the summary itself may quote the phrase. */
        const char *hit = NULL, *p = body;
        while ((p = strstr(p, tails[i])) != NULL) {
            hit = p;
            p++;
        }
        if (hit && (size_t)(hit - body) < len) len = (size_t)(hit - body);
    }
    char *cut = malloc(len + 1);
    if (!cut) return NULL;
    memcpy(cut, body, len);
    cut[len] = '\0';
    char *out = clip_dup(cut, len);
    free(cut);
    return out;
}

typedef struct summary_ctx {
    char *text; /* the newest summary's raw text */
    int oom;
} summary_ctx;

static int summary_line(const char *line, size_t n, int64_t end, int complete, void *vctx)
{
    summary_ctx *c = vctx;
    (void)end;
    (void)complete;
    if (!has(line, n, "isCompactSummary") && !has(line, n, wrapper_lead)) return 0;
    cJSON *rec = cJSON_ParseWithLength(line, n);
    const cJSON *msg = main_record(rec, "user");
    int flagged = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "isCompactSummary"));
    if (msg) {
        strbuf sb = {0};
        content_text(content_of(msg), &sb);
        const char *t = sb.buf ? sb.buf : "";
        while (isspace((unsigned char)*t))
            t++;
        /* The flag, or (versions without it) the wrapper's opening words. */
        if (*t && (flagged || strncmp(t, wrapper_lead, sizeof wrapper_lead - 1) == 0)) {
            char *keep = sb_detach(&sb);
            if (keep) {
                free(c->text);
                c->text = keep;
            } else {
                c->oom = 1;
            }
        }
        sb_free(&sb);
    }
    cJSON_Delete(rec);
    return 0;
}

int transcript_compact_summary(const char *path, char **out, mem0_err *err)
{
    tail t;
    *out = NULL;
    int rc = tail_read(path, 0, TRANSCRIPT_MAX_LINES, &t, err);
    if (rc) return rc;
    summary_ctx c = {NULL, 0};
    each_line(&t, summary_line, &c);
    free(t.buf);
    if (c.oom) {
        free(c.text);
        return err_set(err, MEM0_ENOMEM, "out of memory");
    }
    if (!c.text) return 0;
    char *plain = transcript_unwrap_summary(c.text);
    free(c.text);
    if (!plain) return err_set(err, MEM0_ENOMEM, "out of memory");
    if (!*plain) {
        free(plain);
        return 0;
    }
    plain[utf8_clip(plain, TRANSCRIPT_SUMMARY_MAX)] = '\0';
    *out = plain;
    return 0;
}

/* ---- Snapshot ------------------------------------------------------------------------- */

typedef struct snap_ctx {
    transcript_snapshot *s;
    int oom;
} snap_ctx;

/* Appends v to a list of at most max, dropping the oldest when full; takes ownership. */
static void push(char **list, int *n, int max, char *v)
{
    if (*n == max) {
        free(list[0]);
        memmove(list, list + 1, (size_t)(max - 1) * sizeof *list);
        (*n)--;
    }
    list[(*n)++] = v;
}

static void add_file(snap_ctx *c, const char *path)
{
    transcript_snapshot *s = c->s;
    for (int i = 0; i < s->n_files; i++)
        if (strcmp(s->files[i], path) == 0) return;
    char *v = xstrdup(path);
    if (!v) {
        c->oom = 1;
        return;
    }
    push(s->files, &s->n_files, SNAPSHOT_MAX_FILES, v);
}

static void snap_user(snap_ctx *c, const cJSON *rec, const cJSON *msg)
{
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "isMeta")) ||
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "isCompactSummary")))
        return;
    strbuf sb = {0};
    content_text(content_of(msg), &sb);
    const char *t = sb.buf ? sb.buf : "";
    while (isspace((unsigned char)*t))
        t++;
    size_t n = strlen(t);
    while (n && isspace((unsigned char)t[n - 1]))
        n--;
    if (n > 10 && *t != '<' && strncmp(t, wrapper_lead, sizeof wrapper_lead - 1) != 0) {
        char *v = clip_dup(t, SNAPSHOT_ASK_MAX);
        if (v)
            push(c->s->asks, &c->s->n_asks, SNAPSHOT_MAX_ASKS, v);
        else
            c->oom = 1;
    }
    sb_free(&sb);
}

static void snap_assistant(snap_ctx *c, const cJSON *msg)
{
    transcript_snapshot *s = c->s;
    const cJSON *content = content_of(msg);
    strbuf text = {0};
    content_text(content, &text);
    if (text.len) {
        char *v = clip_dup(text.buf, SNAPSHOT_LAST_MAX);
        if (v && *v) {
            free(s->last_assistant);
            s->last_assistant = v;
        } else {
            if (!v) c->oom = 1;
            free(v);
        }
    }
    sb_free(&text);
    const cJSON *b;
    cJSON_ArrayForEach(b, content)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(b, "type");
        if (!cJSON_IsString(type) || strcmp(type->valuestring, "tool_use") != 0) continue;
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(b, "name");
        const cJSON *input = cJSON_GetObjectItemCaseSensitive(b, "input");
        if (!cJSON_IsString(name)) continue;
        if (transcript_is_file_tool(name->valuestring)) {
            const cJSON *fp = cJSON_GetObjectItemCaseSensitive(input, "file_path");
            if (!cJSON_IsString(fp)) fp = cJSON_GetObjectItemCaseSensitive(input, "notebook_path");
            if (cJSON_IsString(fp) && *fp->valuestring) add_file(c, fp->valuestring);
        } else if (strcmp(name->valuestring, "Bash") == 0) {
            const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(input, "command");
            if (!cJSON_IsString(cmd) || !*cmd->valuestring) continue;
            char *v = clip_dup(cmd->valuestring, SNAPSHOT_COMMAND_MAX);
            if (v && *v)
                push(s->commands, &s->n_commands, SNAPSHOT_MAX_COMMANDS, v);
            else {
                if (!v) c->oom = 1;
                free(v);
            }
        }
    }
}

static int snap_line(const char *line, size_t n, int64_t end, int complete, void *vctx)
{
    snap_ctx *c = vctx;
    (void)end;
    (void)complete;
    /* Tool results are the bulk of a transcript and never part of the snapshot. */
    if (has(line, n, "\"tool_result\"")) return 0;
    if (!has(line, n, "\"user\"") && !has(line, n, "\"assistant\"")) return 0;
    cJSON *rec = cJSON_ParseWithLength(line, n);
    const cJSON *msg;
    if ((msg = main_record(rec, "user")) != NULL)
        snap_user(c, rec, msg);
    else if ((msg = main_record(rec, "assistant")) != NULL)
        snap_assistant(c, msg);
    cJSON_Delete(rec);
    return c->oom;
}

int transcript_snapshot_read(const char *path, transcript_snapshot *s, mem0_err *err)
{
    tail t;
    memset(s, 0, sizeof *s);
    int rc = tail_read(path, 0, TRANSCRIPT_MAX_LINES, &t, err);
    if (rc) return rc;
    snap_ctx c = {s, 0};
    each_line(&t, snap_line, &c);
    free(t.buf);
    if (c.oom) {
        transcript_snapshot_free(s);
        return err_set(err, MEM0_ENOMEM, "out of memory");
    }
    return 0;
}

void transcript_snapshot_free(transcript_snapshot *s)
{
    if (!s) return;
    for (int i = 0; i < s->n_asks; i++)
        free(s->asks[i]);
    for (int i = 0; i < s->n_files; i++)
        free(s->files[i]);
    for (int i = 0; i < s->n_commands; i++)
        free(s->commands[i]);
    free(s->last_assistant);
    memset(s, 0, sizeof *s);
}

int transcript_snapshot_worth(const transcript_snapshot *s)
{
    return s && (s->n_asks > 0 || s->n_files > 0);
}

/* Adds s as one markdown list item, continuation lines indented. */
static void list_item(strbuf *sb, const char *s, int code)
{
    sb_adds(sb, code ? "- `" : "- ");
    for (const char *p = s; *p; p++) {
        if (*p == '\n')
            sb_adds(sb, code ? " " : "\n  ");
        else if (*p != '\r' && !(code && *p == '`'))
            sb_add(sb, p, 1);
        else if (code && *p == '`')
            sb_adds(sb, "'");
    }
    sb_adds(sb, code ? "`\n" : "\n");
}

char *transcript_snapshot_markdown(const transcript_snapshot *s, const char *source)
{
    strbuf sb = {0};
    sb_addf(&sb, "## Session State (%s)\n", source && *source ? source : "snapshot");
    if (s->n_asks) {
        sb_adds(&sb, "\n### What the user was working on\n");
        for (int i = 0; i < s->n_asks; i++)
            list_item(&sb, s->asks[i], 0);
    }
    if (s->n_files) {
        sb_adds(&sb, "\n### Files modified this session\n");
        for (int i = 0; i < s->n_files; i++)
            list_item(&sb, s->files[i], 0);
    }
    if (s->n_commands) {
        sb_adds(&sb, "\n### Recent commands\n");
        for (int i = 0; i < s->n_commands; i++)
            list_item(&sb, s->commands[i], 1);
    }
    if (s->last_assistant) {
        sb_adds(&sb, "\n### Last context\n");
        sb_adds(&sb, s->last_assistant);
        sb_adds(&sb, "\n");
    }
    return sb_detach(&sb);
}

/* ---- Activity -------------------------------------------------------------------------- */

static int act_line(const char *line, size_t n, int64_t end, int complete, void *vctx)
{
    transcript_activity *a = vctx;
    /* A half-written last line is read again next time, once complete. */
    if (!complete) return 1;
    a->end = end;
    if (!has(line, n, "tool_use")) return 0;
    cJSON *rec = cJSON_ParseWithLength(line, n);
    const cJSON *msg = main_record(rec, "assistant");
    const cJSON *b;
    cJSON_ArrayForEach(b, content_of(msg))
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(b, "type");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(b, "name");
        if (!cJSON_IsString(type) || strcmp(type->valuestring, "tool_use") != 0) continue;
        if (!cJSON_IsString(name)) continue;
        if (transcript_is_file_tool(name->valuestring)) a->files_changed++;
        if (transcript_is_add_memory(name->valuestring)) a->memories_added++;
    }
    cJSON_Delete(rec);
    return 0;
}

int transcript_activity_since(const char *path, int64_t since, transcript_activity *out,
                              mem0_err *err)
{
    tail t;
    memset(out, 0, sizeof *out);
    int rc = tail_read(path, since, TRANSCRIPT_MAX_LINES, &t, err);
    if (rc) return rc;
    out->end = t.base;
    each_line(&t, act_line, out);
    free(t.buf);
    return 0;
}

/* Returns a trimmed malloc'd copy of s[0..n), at most TRANSCRIPT_SUMMARY_MAX bytes. */
static char *trimmed_dup(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return clip_dup(s, n < TRANSCRIPT_SUMMARY_MAX ? n : TRANSCRIPT_SUMMARY_MAX);
}

char *transcript_summary_text(const char *raw)
{
    char *text = transcript_unwrap_summary(raw);
    if (!text) return NULL;
    const char *open = strstr(text, "<summary>"), *close = NULL;
    if (open) close = strstr(open, "</summary>");
    char *out;
    if (open && close) {
        open += strlen("<summary>");
        out = trimmed_dup(open, (size_t)(close - open));
    } else {
        const char *s = text;
        /* Without tags: drop an analysis block, then Claude Code's "Summary:" heading. */
        const char *end_analysis = strstr(s, "</analysis>");
        if (!strncmp(s, "<analysis>", 10) && end_analysis) s = end_analysis + strlen("</analysis>");
        while (isspace((unsigned char)*s))
            s++;
        if (!strncmp(s, "Summary:", 8)) s += 8;
        out = trimmed_dup(s, strlen(s));
    }
    free(text);
    return out;
}
