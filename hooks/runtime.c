/*
 * runtime.c: the hook runtime (see runtime.h).
 *
 * The watchdog is a thread sleeping until the deadline on the monotonic clock.  A thread
 * rather than SIGALRM, because the main thread may sit in LMDB's robust mutex or in
 * flock(), and the watchdog must log its line (not async-signal-safe) before _exit(0).
 * One atomic word decides who ends the process: the watchdog claims it only while the
 * main thread is not writing stdout, so stdout carries either nothing or one whole JSON.
 */
#include "runtime.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "identity.h"
#include "log.h"
#include "optout.h"
#include "timeutil.h"
#include "util.h"

enum { RT_RUNNING, RT_WRITING, RT_DONE, RT_DEAD };

/* One hook per process: the runtime's own state lives here, beside the caller's struct. */
static struct {
    hook *h;
    atomic_int state;
    pthread_t watchdog;
    int watchdog_started;
    pthread_mutex_t mu; /* with cv: hook_finish wakes the watchdog to end it */
    pthread_cond_t cv;
    int stopping;
    mem0 *store;
    int store_ro;
    int store_failed;
    cJSON *out;     /* queued stdout */
    int flushed;    /* stdout already written */
    int blocked;    /* hook_block was called */
    char note[600]; /* why something failed open, for the debug line */
    char project[IDENTITY_MAX];
    int project_done;
} rt;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    pthread_mutex_lock(&rt.mu); /* the watchdog may be reading it */
    size_t len = strlen(rt.note);
    if (len + 3 < sizeof rt.note) {
        if (len) {
            memcpy(rt.note + len, "; ", 3);
            len += 2;
        }
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rt.note + len, sizeof rt.note - len, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&rt.mu);
}

/* ---- Watchdog ----------------------------------------------------------------------- */

static void *watchdog_main(void *arg)
{
    hook *h = arg;
    double at_ms = h->start_ms + (double)h->deadline_ms;
    struct timespec ts;
    ts.tv_sec = (time_t)(at_ms / 1000.0);
    ts.tv_nsec = (long)((at_ms - (double)ts.tv_sec * 1000.0) * 1e6);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    /* A timed wait rather than a sleep: hook_finish ends it without pthread_cancel. */
    pthread_mutex_lock(&rt.mu);
    while (!rt.stopping && pthread_cond_timedwait(&rt.cv, &rt.mu, &ts) != ETIMEDOUT)
        ;
    int stopping = rt.stopping;
    pthread_mutex_unlock(&rt.mu);
    if (stopping) return NULL;
    for (;;) {
        int expect = RT_RUNNING;
        if (atomic_compare_exchange_strong(&rt.state, &expect, RT_DEAD)) break;
        if (expect == RT_DONE) return NULL;
        /* RT_WRITING: the main thread is writing stdout; let it finish. */
        struct timespec ms = {0, 1000000L};
        nanosleep(&ms, NULL);
    }
    char why[sizeof rt.note];
    pthread_mutex_lock(&rt.mu);
    memcpy(why, rt.note, sizeof why);
    pthread_mutex_unlock(&rt.mu);
    log_event(h->home, h->program, h->event, time_mono_ms() - h->start_ms, "deadline",
              "deadline %ld ms passed%s%s", h->deadline_ms, why[0] ? "; " : "", why);
    _exit(0);
}

/* Moves from RUNNING to `to`; if the watchdog has claimed the process, waits for its exit. */
static void claim(int to)
{
    int expect = RT_RUNNING;
    if (atomic_compare_exchange_strong(&rt.state, &expect, to)) return;
    for (;;)
        pause();
}

/* ---- Input -------------------------------------------------------------------------- */

/* Reads fd to EOF: at most max bytes kept, the rest drained. *too_big set when cut. */
static char *read_all(int fd, size_t max, size_t *len, int *too_big)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    *too_big = 0;
    if (!buf) return NULL;
    for (;;) {
        if (n == cap && cap < max) {
            size_t ncap = cap * 2 > max ? max : cap * 2;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) break;
            buf = nb;
            cap = ncap;
        }
        if (n == cap) {
            /* Over the limit: drain so the writer is not left blocked on a full pipe. */
            char sink[65536];
            ssize_t r = read(fd, sink, sizeof sink);
            if (r > 0) {
                *too_big = 1;
                continue;
            }
            if (r < 0 && errno == EINTR) continue;
            break;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r > 0) {
            n += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        break;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int hook_start(hook *h, const char *program, const char *event, long deadline_ms)
{
    memset(h, 0, sizeof *h);
    memset(&rt, 0, sizeof rt);
    atomic_store(&rt.state, RT_RUNNING);
    rt.h = h;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&rt.mu, NULL);
    pthread_cond_init(&rt.cv, &ca);
    pthread_condattr_destroy(&ca);
    /* A reader that went away must not kill the hook with SIGPIPE (exit status != 0). */
    signal(SIGPIPE, SIG_IGN);
    h->program = program;
    h->event = event;
    h->start_ms = time_mono_ms();
    h->deadline_ms = deadline_ms > 0 ? deadline_ms : HOOK_DEADLINE_SMALL;
    settings_home(h->home, sizeof h->home);
    settings_defaults(&h->settings);
    if (settings_load(h->home, &h->settings, NULL, NULL) != 0) note("settings.json unreadable");
    /* settings.debug means MEM0_DEBUG=1; set before the watchdog thread exists. */
    if (h->settings.debug && !log_enabled()) setenv("MEM0_DEBUG", "1", 1);

    if (pthread_create(&rt.watchdog, NULL, watchdog_main, h) == 0)
        rt.watchdog_started = 1;
    else
        note("no watchdog");

    size_t len = 0;
    int too_big = 0;
    char *text = read_all(0, HOOK_MAX_INPUT, &len, &too_big);
    if (!text) {
        note("out of memory reading stdin");
    } else if (too_big) {
        note("stdin over %zu bytes ignored", HOOK_MAX_INPUT);
    } else if (len == 0) {
        note("empty stdin");
    } else {
        cJSON *in = cJSON_ParseWithLength(text, len);
        if (cJSON_IsObject(in)) {
            h->input = in;
        } else {
            cJSON_Delete(in);
            note("stdin is not a JSON object");
        }
    }
    free(text);
    return h->input ? 0 : -1;
}

const char *hook_str(const hook *h, const char *field)
{
    const cJSON *v = h && h->input ? cJSON_GetObjectItemCaseSensitive(h->input, field) : NULL;
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *hook_dir(const hook *h)
{
    const char *d = getenv("CLAUDE_PROJECT_DIR");
    if (d && *d) return d;
    d = hook_str(h, "cwd");
    if (d && *d) return d;
    return ".";
}

const char *hook_project(hook *h)
{
    if (!rt.project_done) {
        rt.project_done = 1;
        if (identity_project_id(hook_dir(h), rt.project, sizeof rt.project) != 0)
            rt.project[0] = '\0';
    }
    return rt.project;
}

int hook_opted_out(const hook *h)
{
    return optout_active(hook_dir(h));
}

/* ---- Store -------------------------------------------------------------------------- */

static mem0 *open_store(hook *h, int read_only)
{
    mem0_options opt = {h->home, 0, read_only};
    mem0_err err = {0};
    mem0 *m = NULL;
    if (mem0_open(&opt, &m, &err) != 0) {
        note("store: %s", err.msg);
        return NULL;
    }
    rt.store = m;
    rt.store_ro = read_only;
    return m;
}

mem0 *hook_open_store(hook *h)
{
    if (rt.store && !rt.store_ro) return rt.store;
    if (rt.store) {
        mem0_close(rt.store);
        rt.store = NULL;
    }
    return open_store(h, 0);
}

mem0 *hook_open_store_ro(hook *h)
{
    if (rt.store) return rt.store;
    return open_store(h, 1);
}

/* ---- Output ------------------------------------------------------------------------- */

void hook_output_json(hook *h, cJSON *obj)
{
    (void)h;
    cJSON_Delete(rt.out);
    rt.out = obj;
}

void hook_context(hook *h, const char *event_name, const char *text)
{
    if (!text || !*text || !event_name) return;
    strbuf sb = {0};
    /* A second context for the same event is appended to the first. */
    cJSON *hso = rt.out ? cJSON_GetObjectItemCaseSensitive(rt.out, "hookSpecificOutput") : NULL;
    cJSON *prev = hso ? cJSON_GetObjectItemCaseSensitive(hso, "additionalContext") : NULL;
    cJSON *prev_ev = hso ? cJSON_GetObjectItemCaseSensitive(hso, "hookEventName") : NULL;
    if (cJSON_IsString(prev) && cJSON_IsString(prev_ev) &&
        strcmp(prev_ev->valuestring, event_name) == 0) {
        sb_adds(&sb, prev->valuestring);
        sb_adds(&sb, "\n\n");
    }
    sb_adds(&sb, text);
    char *all = sb_detach(&sb);
    if (!all) {
        note("out of memory");
        return;
    }
    /* Bytes bound UTF-16 units from above, so < 10,000 bytes is < 10,000 characters. */
    all[utf8_clip(all, HOOK_MAX_CONTEXT)] = '\0';
    cJSON *o = cJSON_CreateObject();
    cJSON *s = cJSON_AddObjectToObject(o, "hookSpecificOutput");
    if (!s || !cJSON_AddStringToObject(s, "hookEventName", event_name) ||
        !cJSON_AddStringToObject(s, "additionalContext", all)) {
        cJSON_Delete(o);
        note("out of memory");
    } else {
        hook_output_json(h, o);
    }
    free(all);
}

/* Writes all of buf to fd, retrying short writes. */
static void write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        buf += w;
        n -= (size_t)w;
    }
}

/* Writes the queued output, if any; the caller holds RT_WRITING or RT_DONE. */
static void emit(void)
{
    if (rt.flushed || rt.blocked || !rt.out) return;
    rt.flushed = 1;
    char *s = cJSON_PrintUnformatted(rt.out);
    if (!s) {
        note("out of memory");
        return;
    }
    size_t n = strlen(s);
    char *line = malloc(n + 2);
    if (line) {
        memcpy(line, s, n);
        line[n] = '\n';
        write_all(1, line, n + 1);
        free(line);
    }
    free(s);
}

void hook_flush(hook *h)
{
    (void)h;
    if (rt.flushed || !rt.out) return;
    claim(RT_WRITING);
    emit();
    atomic_store(&rt.state, RT_RUNNING);
}

int hook_block(hook *h, const char *reason)
{
    (void)h;
    strbuf sb = {0};
    sb_adds(&sb, reason && *reason ? reason : "Blocked by a mem0 hook.");
    sb_adds(&sb, "\n");
    if (sb.buf) write_all(2, sb.buf, sb.len);
    sb_free(&sb);
    rt.blocked = 1;
    return 2;
}

int hook_finish(hook *h, int code, const char *outcome, const char *detail)
{
    claim(RT_DONE);
    if (rt.watchdog_started) {
        pthread_mutex_lock(&rt.mu);
        rt.stopping = 1;
        pthread_cond_signal(&rt.cv);
        pthread_mutex_unlock(&rt.mu);
        pthread_join(rt.watchdog, NULL);
        rt.watchdog_started = 0;
    }
    pthread_cond_destroy(&rt.cv);
    pthread_mutex_destroy(&rt.mu);
    if (code == 0) emit();
    const char *d = detail ? detail : "";
    log_event(h->home, h->program, h->event, time_mono_ms() - h->start_ms,
              outcome && *outcome ? outcome : "ok", "%s%s%s", d, *d && rt.note[0] ? "; " : "",
              rt.note);
    cJSON_Delete(rt.out);
    rt.out = NULL;
    mem0_close(rt.store);
    rt.store = NULL;
    cJSON_Delete(h->input);
    h->input = NULL;
    return code;
}
