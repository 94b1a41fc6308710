/* session.c: per-session hook state under $MEM0_HOME/sessions (see session.h). */
#include "session.h"
#include "settings.h"
#include "timeutil.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define STEM_MAX 128
#define FP_LINES 16
#define FP_MIN_LINE 40

struct session {
    char path[PATH_MAX]; /* the state file */
    int lock_fd;
    cJSON *state; /* {"session_id","injected":[],"stop_offset","compactions":[],"tasks":[]} */
};

void session_file_stem(const char *session_id, char *out, size_t n)
{
    size_t j = 0;
    if (n < 2) return;
    for (const char *p = session_id ? session_id : ""; *p && j + 1 < n && j < STEM_MAX; p++) {
        unsigned char c = (unsigned char)*p;
        out[j++] = (char)(isalnum(c) || c == '.' || c == '_' || c == '-' ? c : '_');
    }
    if (j == 0) out[j++] = '_';
    out[j] = '\0';
    if (out[0] == '.') out[0] = '_';
}

/* home/sessions, created private if missing. */
static int sessions_dir(const char *home, char *out, size_t n, mem0_err *err)
{
    int rc = settings_home_ensure(home, err);
    if (rc) return rc;
    if ((size_t)snprintf(out, n, "%s/sessions", home) >= n)
        return err_set(err, MEM0_EIO, "home folder path is too long");
    if (mkdir(out, 0700) < 0 && errno != EEXIST)
        return err_set(err, MEM0_EIO, "cannot create %s: %s", out, strerror(errno));
    return 0;
}

/* Opens and flocks dir/<stem><suffix>; fd or a negative status. */
static int lock_file(const char *dir, const char *stem, const char *suffix, mem0_err *err)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s%s", dir, stem, suffix) >= sizeof path)
        return err_set(err, MEM0_EIO, "session path is too long");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return err_set(err, MEM0_EIO, "cannot open %s: %s", path, strerror(errno));
    while (flock(fd, LOCK_EX) < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        close(fd);
        return err_set(err, MEM0_EIO, "cannot lock %s: %s", path, strerror(e));
    }
    return fd;
}

int session_lock_purpose(const char *home, const char *session_id, const char *purpose,
                         mem0_err *err)
{
    char dir[PATH_MAX], stem[STEM_MAX + 1], suffix[64];
    if (!session_id || !*session_id) return err_set(err, MEM0_EINVAL, "no session id");
    int rc = sessions_dir(home, dir, sizeof dir, err);
    if (rc) return rc;
    session_file_stem(session_id, stem, sizeof stem);
    snprintf(suffix, sizeof suffix, ".%s.lock", purpose && *purpose ? purpose : "misc");
    return lock_file(dir, stem, suffix, err);
}

void session_unlock(int fd)
{
    if (fd >= 0) close(fd); /* closing the last descriptor releases the flock */
}

/* Makes sure every member has the right type, so accessors need no checks. */
static void normalise_state(cJSON *st, const char *session_id)
{
    static const char *const arrays[] = {"injected", "compactions", "tasks"};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        cJSON *a = cJSON_GetObjectItemCaseSensitive(st, arrays[i]);
        if (!cJSON_IsArray(a)) {
            cJSON_DeleteItemFromObjectCaseSensitive(st, arrays[i]);
            cJSON_AddArrayToObject(st, arrays[i]);
        }
    }
    cJSON *off = cJSON_GetObjectItemCaseSensitive(st, "stop_offset");
    if (!cJSON_IsNumber(off) || off->valuedouble < 0) {
        cJSON_DeleteItemFromObjectCaseSensitive(st, "stop_offset");
        cJSON_AddNumberToObject(st, "stop_offset", 0);
    }
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(st, "session_id"))) {
        cJSON_DeleteItemFromObjectCaseSensitive(st, "session_id");
        cJSON_AddStringToObject(st, "session_id", session_id);
    }
}

static cJSON *load_state(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    strbuf sb = {0};
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 && sb.len < ((size_t)4 << 20))
        sb_add(&sb, chunk, got);
    fclose(f);
    cJSON *st = sb.buf ? cJSON_ParseWithLength(sb.buf, sb.len) : NULL;
    sb_free(&sb);
    if (!cJSON_IsObject(st)) {
        cJSON_Delete(st);
        return NULL;
    }
    return st;
}

int session_open(const char *home, const char *session_id, session **out, mem0_err *err)
{
    char dir[PATH_MAX], stem[STEM_MAX + 1];
    *out = NULL;
    if (!session_id || !*session_id) return err_set(err, MEM0_EINVAL, "no session id");
    int rc = sessions_dir(home, dir, sizeof dir, err);
    if (rc) return rc;
    session_file_stem(session_id, stem, sizeof stem);
    session *s = calloc(1, sizeof *s);
    if (!s) return err_set(err, MEM0_ENOMEM, "out of memory");
    if ((size_t)snprintf(s->path, sizeof s->path, "%s/%s.json", dir, stem) >= sizeof s->path) {
        free(s);
        return err_set(err, MEM0_EIO, "session path is too long");
    }
    s->lock_fd = lock_file(dir, stem, ".lock", err);
    if (s->lock_fd < 0) {
        rc = s->lock_fd;
        free(s);
        return rc;
    }
    s->state = load_state(s->path);
    if (!s->state) s->state = cJSON_CreateObject();
    if (!s->state) {
        session_close(s);
        return err_set(err, MEM0_ENOMEM, "out of memory");
    }
    normalise_state(s->state, session_id);
    *out = s;
    return 0;
}

int session_save(session *s, mem0_err *err)
{
    char tmp[PATH_MAX + 32];
    char stamp[ISO_TIME_LEN + 1];
    time_format_iso(time_now_us(), stamp);
    cJSON_DeleteItemFromObjectCaseSensitive(s->state, "updated_at");
    cJSON_AddStringToObject(s->state, "updated_at", stamp);
    char *text = cJSON_PrintUnformatted(s->state);
    if (!text) return err_set(err, MEM0_ENOMEM, "out of memory");
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", s->path, (long)getpid());
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = err_set(err, MEM0_EIO, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    size_t n = strlen(text), done = 0;
    while (done < n) {
        ssize_t w = write(fd, text + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        done += (size_t)w;
    }
    if (close(fd) < 0 || done != n) {
        rc = err_set(err, MEM0_EIO, "cannot write %s", tmp);
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, s->path) < 0) {
        rc = err_set(err, MEM0_EIO, "cannot rename %s: %s", tmp, strerror(errno));
        unlink(tmp);
    }
out:
    free(text);
    return rc;
}

void session_close(session *s)
{
    if (!s) return;
    session_unlock(s->lock_fd);
    cJSON_Delete(s->state);
    free(s);
}

int session_prune(const char *home, int days)
{
    char dir[PATH_MAX], path[PATH_MAX + 300];
    if ((size_t)snprintf(dir, sizeof dir, "%s/sessions", home) >= sizeof dir) return 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    time_t cutoff = time(NULL) - (time_t)days * 86400;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime < cutoff &&
            unlink(path) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

int session_housekeeping_due(const char *home, long interval_s)
{
    char dir[PATH_MAX], path[PATH_MAX + 32];
    if (sessions_dir(home, dir, sizeof dir, NULL)) return 0;
    snprintf(path, sizeof path, "%s/.housekeeping", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return 0;
    struct stat st;
    int due = 0;
    /* A new file (size 0, never stamped) is due at once. */
    if (fstat(fd, &st) == 0 && (st.st_size == 0 || time(NULL) - st.st_mtime >= interval_s)) {
        due = 1;
        ssize_t w = pwrite(fd, "1", 1, 0);
        (void)w;
        futimens(fd, NULL);
    }
    close(fd);
    return due;
}

/* ---- Lists ---------------------------------------------------------------------------- */

static cJSON *list(const session *s, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(s->state, name);
}

static int list_has(const cJSON *a, const char *v)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        if (cJSON_IsString(it) && strcmp(it->valuestring, v) == 0) return 1;
    }
    return 0;
}

/* Appends item, dropping the oldest entries beyond max; takes ownership. */
static void list_push(cJSON *a, cJSON *item, int max)
{
    if (!item) return;
    cJSON_AddItemToArray(a, item);
    while (cJSON_GetArraySize(a) > max)
        cJSON_DeleteItemFromArray(a, 0);
}

int session_injected_has(const session *s, const char *memory_id)
{
    return memory_id && list_has(list(s, "injected"), memory_id);
}

void session_injected_add(session *s, const char *memory_id)
{
    if (!memory_id || !*memory_id || session_injected_has(s, memory_id)) return;
    list_push(list(s, "injected"), cJSON_CreateString(memory_id), SESSION_MAX_INJECTED);
}

void session_injected_clear(session *s)
{
    cJSON_ReplaceItemInObjectCaseSensitive(s->state, "injected", cJSON_CreateArray());
    normalise_state(s->state, "");
}

const cJSON *session_injected(const session *s)
{
    return list(s, "injected");
}

int64_t session_stop_offset(const session *s)
{
    return (int64_t)cJSON_GetObjectItemCaseSensitive(s->state, "stop_offset")->valuedouble;
}

void session_set_stop_offset(session *s, int64_t offset)
{
    cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(s->state, "stop_offset"),
                         (double)(offset < 0 ? 0 : offset));
}

void session_task_add(session *s, const char *subject)
{
    char buf[SESSION_TASK_MAX + 1];
    if (!subject) return;
    while (isspace((unsigned char)*subject))
        subject++;
    if (!*subject) return;
    size_t n = utf8_clip(subject, SESSION_TASK_MAX);
    memcpy(buf, subject, n);
    buf[n] = '\0';
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20) *p = ' ';
    list_push(list(s, "tasks"), cJSON_CreateString(buf), SESSION_MAX_TASKS);
}

int session_task_count(const session *s)
{
    return cJSON_GetArraySize(list(s, "tasks"));
}

const char *session_task_last(const session *s)
{
    const cJSON *a = list(s, "tasks");
    int n = cJSON_GetArraySize(a);
    const cJSON *last = n ? cJSON_GetArrayItem(a, n - 1) : NULL;
    return cJSON_IsString(last) ? last->valuestring : NULL;
}

void session_tasks_clear(session *s)
{
    cJSON_ReplaceItemInObjectCaseSensitive(s->state, "tasks", cJSON_CreateArray());
    normalise_state(s->state, "");
}

/* ---- Compaction fingerprints ---------------------------------------------------------- */

/* Appends the hex XXH64 of s[0..n) to fp unless already there. */
static void fp_add(cJSON *fp, const char *s, size_t n)
{
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)XXH64(s, n, 0));
    if (!list_has(fp, hex)) cJSON_AddItemToArray(fp, cJSON_CreateString(hex));
}

/* The fingerprint of a summary (see session.h); NULL on allocation failure. */
static cJSON *fingerprint(const char *summary)
{
    cJSON *fp = cJSON_CreateArray();
    strbuf all = {0}, line = {0};
    if (!fp) return NULL;
    for (const char *p = summary ? summary : "";; p++) {
        if (*p == '\n' || *p == '\0') {
            while (line.len && line.buf[line.len - 1] == ' ')
                line.len--;
            if (line.len >= FP_MIN_LINE && cJSON_GetArraySize(fp) < FP_LINES)
                fp_add(fp, line.buf, line.len);
            sb_free(&line);
            if (!*p) break;
            if (all.len && all.buf[all.len - 1] != ' ') sb_add(&all, " ", 1);
            continue;
        }
        /* Whitespace runs collapse to one space; none at either end. */
        if (isspace((unsigned char)*p)) {
            if (line.len && line.buf[line.len - 1] != ' ') sb_add(&line, " ", 1);
            if (all.len && all.buf[all.len - 1] != ' ') sb_add(&all, " ", 1);
            continue;
        }
        sb_add(&line, p, 1);
        sb_add(&all, p, 1);
    }
    if (cJSON_GetArraySize(fp) == 0 && all.len) {
        while (all.len && all.buf[all.len - 1] == ' ')
            all.len--;
        fp_add(fp, all.buf, all.len);
    }
    sb_free(&all);
    sb_free(&line);
    return fp;
}

int session_compact_seen(const session *s, const char *summary)
{
    cJSON *fp = fingerprint(summary);
    int seen = 0, n = cJSON_GetArraySize(fp);
    const cJSON *c;
    cJSON_ArrayForEach(c, list(s, "compactions"))
    {
        const cJSON *lines = cJSON_GetObjectItemCaseSensitive(c, "lines");
        int m = cJSON_GetArraySize(lines), common = 0;
        const cJSON *h;
        cJSON_ArrayForEach(h, fp)
        {
            common += list_has(lines, h->valuestring);
        }
        int smaller = n < m ? n : m;
        /* Most lines in common: the same summary, whatever wrapper surrounded it. */
        if (common > 0 && common * 4 >= smaller * 3) {
            seen = 1;
            break;
        }
    }
    cJSON_Delete(fp);
    return seen;
}

void session_compact_mark(session *s, const char *summary, const char *memory_id)
{
    char stamp[ISO_TIME_LEN + 1];
    cJSON *c = cJSON_CreateObject();
    cJSON *fp = fingerprint(summary);
    if (!c || !fp) {
        cJSON_Delete(c);
        cJSON_Delete(fp);
        return;
    }
    time_format_iso(time_now_us(), stamp);
    cJSON_AddItemToObject(c, "lines", fp);
    if (memory_id) cJSON_AddStringToObject(c, "memory_id", memory_id);
    cJSON_AddStringToObject(c, "at", stamp);
    list_push(list(s, "compactions"), c, SESSION_MAX_COMPACTIONS);
}
