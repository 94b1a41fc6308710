/* mcp.c: JSON-RPC 2.0 over stdio, the MCP lifecycle methods and dispatch (see mcp.h). */
#include "mcp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "identity.h"
#include "log.h"
#include "mem0.h"
#include "rawjson.h"
#include "settings.h"
#include "timeutil.h"
#include "tools.h"
#include "util.h"

#define PROGRAM "mem0-mcp"
#define READ_CHUNK 65536
/* A line buffer grown past this is released after use rather than kept. */
#define KEEP_BUFFER ((size_t)1 << 20)
#define INSTRUCTIONS_MAX 2000
#define ID_IN_TEXT_MAX 128

enum {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
};

/* Newest first: the answer when the client asks for a version we do not know. */
static const char *const protocol_versions[] = {"2025-11-25", "2025-06-18", "2025-03-26",
                                                "2024-11-05"};
static const char *const log_levels[] = {"debug", "info",     "notice", "warning",
                                         "error", "critical", "alert",  "emergency"};

typedef struct server {
    tools_ctx tools;
    mem0 *store;
    char open_error[600];
    char home[4096];
    char user_id[IDENTITY_MAX];
    char project[IDENTITY_MAX]; /* "" when none was found */
    char *instructions;
    size_t max_line;
    int out_fd;     /* the protocol channel: the original stdout */
    int out_broken; /* stdout is gone: stop reading */
    pthread_t sweeper;
    int sweeper_started; /* 1 while the start-up sweep thread has not been joined */
} server;

/* The text of a request id as it will be echoed ("null" when unknown). */
typedef struct rpc_id {
    const char *text;
    size_t len;
} rpc_id;

/* What one request produced: a result, or an error code and message. */
typedef struct reply {
    cJSON *result;
    int code;
    char message[600];
    const char *outcome; /* for the debug log */
    char detail[600];
} reply;

/* ---- Signals ------------------------------------------------------------------------ */

static volatile sig_atomic_t stop_requested;
static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    stop_requested = sig;
    if (signal_pipe[1] >= 0) {
        ssize_t w = write(signal_pipe[1], "x", 1);
        (void)w;
    }
    errno = saved;
}

/* SIGINT/SIGTERM end the loop: without SA_RESTART a blocked read returns EINTR, and the
 * self-pipe wakes poll() even when the signal lands just before it blocks. */
static void install_signals(void)
{
    struct sigaction sa;
    if (pipe(signal_pipe) == 0) {
        for (int i = 0; i < 2; i++) {
            int fl = fcntl(signal_pipe[i], F_GETFL);
            fcntl(signal_pipe[i], F_SETFL, fl | O_NONBLOCK);
            fcntl(signal_pipe[i], F_SETFD, FD_CLOEXEC);
        }
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL); /* a vanished client shows up as EPIPE instead */
}

/* ---- Output ------------------------------------------------------------------------- */

static int write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Length of the UTF-8 sequence a lead byte announces, 0 if it cannot start one. */
static size_t utf8_lead_len(unsigned char c)
{
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) return 2;
    if (c >= 0xe0 && c <= 0xef) return 3;
    if (c >= 0xf0 && c <= 0xf4) return 4;
    return 0;
}

/* Replaces every invalid UTF-8 sequence in out with U+FFFD.  Input is validated, so this
 * only matters for text that reached the store some other way; it keeps the promise
 * that every stdout line is valid UTF-8 (the bytes can only sit inside JSON strings,
 * which stay valid). */
static void utf8_repair(strbuf *out)
{
    strbuf fixed = {0};
    for (size_t i = 0; i < out->len;) {
        size_t n = utf8_lead_len((unsigned char)out->buf[i]);
        if (n && i + n <= out->len && utf8_valid(out->buf + i, n)) {
            sb_add(&fixed, out->buf + i, n);
            i += n;
        } else {
            sb_adds(&fixed, "\xef\xbf\xbd");
            i++;
        }
    }
    fixed.oom |= out->oom;
    sb_free(out);
    *out = fixed;
}

/* Writes one protocol line (the buffer's content plus \n) to stdout and resets it. */
static void emit(server *srv, strbuf *out)
{
    static const char oom_line[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,"
                                   "\"message\":\"Out of memory\"}}";
    if (!out->oom && !utf8_valid(out->buf, out->len)) {
        fprintf(stderr, PROGRAM ": a reply held invalid UTF-8; replaced with U+FFFD\n");
        utf8_repair(out);
    }
    if (out->oom) {
        sb_free(out);
        sb_add(out, oom_line, sizeof oom_line - 1);
    }
    sb_add(out, "\n", 1);
    if (!out->oom && write_all(srv->out_fd, out->buf, out->len) != 0) {
        fprintf(stderr, PROGRAM ": cannot write to stdout: %s; stopping\n", strerror(errno));
        srv->out_broken = 1;
    }
    sb_free(out);
}

static void add_response(strbuf *out, rpc_id id, const reply *r)
{
    sb_adds(out, "{\"jsonrpc\":\"2.0\",\"id\":");
    sb_add(out, id.text, id.len);
    if (r->result) {
        char *text = cJSON_PrintUnformatted(r->result);
        if (!text) {
            out->oom = 1;
            return;
        }
        sb_adds(out, ",\"result\":");
        sb_adds(out, text);
        cJSON_free(text);
    } else {
        cJSON *err = cJSON_CreateObject();
        char *text = NULL;
        if (err && cJSON_AddNumberToObject(err, "code", r->code) &&
            cJSON_AddStringToObject(err, "message", r->message))
            text = cJSON_PrintUnformatted(err);
        cJSON_Delete(err);
        if (!text) {
            out->oom = 1;
            return;
        }
        sb_adds(out, ",\"error\":");
        sb_adds(out, text);
        cJSON_free(text);
    }
    sb_adds(out, "}");
}

static void fail(reply *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(reply *r, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    r->code = code;
    r->outcome = "error";
    snprintf(r->detail, sizeof r->detail, "%s", r->message);
}

static const rpc_id null_id = {"null", 4};

static void add_error(strbuf *out, rpc_id id, int code, const char *message)
{
    reply r = {0};
    fail(&r, code, "%s", message);
    add_response(out, id, &r);
}

/* ---- Methods ------------------------------------------------------------------------ */

static void build_instructions(server *srv)
{
    char user[ID_IN_TEXT_MAX + 1], project[ID_IN_TEXT_MAX + 1];
    strbuf sb = {0};
    snprintf(user, sizeof user, "%.*s", (int)utf8_clip(srv->user_id, ID_IN_TEXT_MAX), srv->user_id);
    snprintf(project, sizeof project, "%.*s", (int)utf8_clip(srv->project, ID_IN_TEXT_MAX),
             srv->project);
    sb_addf(&sb, "Mem0 memory, local and offline, kept across sessions. Active user_id: \"%s\". ",
            user);
    if (project[0])
        sb_addf(&sb, "Project (app_id): \"%s\".\n", project);
    else
        sb_adds(&sb, "Project: none detected; pass app_id yourself to scope by project.\n");
    sb_addf(&sb,
            "Search before starting work: search_memories with a short noun-phrase query "
            "(\"auth token refresh\", not a question) and filters such as "
            "{\"AND\":[{\"user_id\":\"%s\"},{\"metadata\":{\"type\":\"decision\"}}]}; add "
            "{\"app_id\":\"%s\"} to the AND list to stay in this project. Metadata types: "
            "decision, task_learning, anti_pattern, user_preference, environmental, "
            "convention. get_memories pages through a filter (page, page_size <= 100); "
            "get_memory <id> returns a full text.\n",
            user, project[0] ? project : "<project>");
    sb_adds(&sb, "Store durable learnings with add_memory: decisions and why, fixes that worked, "
                 "pitfalls, conventions, user preferences, environment facts. One fact per "
                 "memory, with app_id and metadata {\"type\": ...}; use infer=false for "
                 "structured text. Never store secrets or passing chatter. Session snapshots "
                 "(metadata type session_state or compact_summary) get an expiration_date about "
                 "90 days ahead (YYYY-MM-DD); durable learnings get none.");
    srv->instructions = sb_detach(&sb);
    if (srv->instructions) srv->instructions[utf8_clip(srv->instructions, INSTRUCTIONS_MAX)] = '\0';
}

static void do_initialize(server *srv, const cJSON *params, reply *r)
{
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(params, "protocolVersion");
    const char *chosen = protocol_versions[0];
    if (!cJSON_IsObject(params) || !cJSON_IsString(ver)) {
        fail(r, RPC_INVALID_PARAMS, "Invalid params: initialize needs a protocolVersion string");
        return;
    }
    for (size_t i = 0; i < sizeof protocol_versions / sizeof protocol_versions[0]; i++)
        if (strcmp(ver->valuestring, protocol_versions[i]) == 0) chosen = protocol_versions[i];

    cJSON *res = cJSON_CreateObject();
    cJSON *pv = cJSON_AddStringToObject(res, "protocolVersion", chosen);
    cJSON *caps = cJSON_AddObjectToObject(res, "capabilities");
    cJSON *tools = cJSON_AddObjectToObject(caps, "tools");
    cJSON *info = cJSON_CreateObject();
    if (!pv || !tools || !info || !cJSON_AddFalseToObject(tools, "listChanged") ||
        !cJSON_AddObjectToObject(caps, "logging") ||
        !cJSON_AddStringToObject(info, "name", "mem0") ||
        !cJSON_AddStringToObject(info, "version", MEM0_VERSION) ||
        !cJSON_AddStringToObject(info, "title", "Mem0 (local memory)")) {
        cJSON_Delete(info);
        cJSON_Delete(res);
        fail(r, RPC_INTERNAL_ERROR, "Out of memory");
        return;
    }
    cJSON_AddItemToObject(res, "serverInfo", info);
    if (srv->instructions) cJSON_AddStringToObject(res, "instructions", srv->instructions);
    r->result = res;
    snprintf(r->detail, sizeof r->detail, "client %s, agreed %s", ver->valuestring, chosen);
}

static void do_set_level(const cJSON *params, reply *r)
{
    const cJSON *level = cJSON_GetObjectItemCaseSensitive(params, "level");
    for (size_t i = 0; cJSON_IsString(level) && i < sizeof log_levels / sizeof log_levels[0]; i++) {
        if (strcmp(level->valuestring, log_levels[i]) == 0) {
            r->result = cJSON_CreateObject();
            return;
        }
    }
    fail(r, RPC_INVALID_PARAMS,
         "Invalid params: level must be one of debug, info, notice, warning, error, "
         "critical, alert, emergency");
}

/* Joins the start-up sweep if it ends within ms; 1 when it is over (or never ran).  A sweep
 * waits only on another process's write lock, so the wait is bounded by that, not by us. */
static int sweep_wait(server *srv, long ms)
{
    if (!srv->sweeper_started) return 1;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    if (pthread_timedjoin_np(srv->sweeper, NULL, &until) != 0) return 0;
    srv->sweeper_started = 0;
    return 1;
}

static void do_tools_call(server *srv, const cJSON *params, reply *r)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(params, "name");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
    if (!cJSON_IsObject(params) || !cJSON_IsString(name)) {
        fail(r, RPC_INVALID_PARAMS, "Invalid params: tools/call needs a tool name string");
        return;
    }
    if (cJSON_IsNull(args)) args = NULL;
    int code = tools_call(&srv->tools, name->valuestring, args, &r->result, r->message,
                          sizeof r->message, &r->outcome);
    if (code != 0) {
        r->code = code;
        snprintf(r->detail, sizeof r->detail, "%s", r->message);
    } else {
        snprintf(r->detail, sizeof r->detail, "%.*s", (int)utf8_clip(name->valuestring, 200),
                 name->valuestring);
    }
}

static void dispatch(server *srv, const char *method, const cJSON *params, reply *r)
{
    r->outcome = "ok";
    if (strcmp(method, "initialize") == 0) {
        do_initialize(srv, params, r);
    } else if (strcmp(method, "ping") == 0) {
        r->result = cJSON_CreateObject();
    } else if (strcmp(method, "tools/list") == 0) {
        const cJSON *cursor = cJSON_GetObjectItemCaseSensitive(params, "cursor");
        if (cursor && !cJSON_IsNull(cursor))
            fail(r, RPC_INVALID_PARAMS, "Invalid params: unknown cursor");
        else
            r->result = tools_list();
    } else if (strcmp(method, "tools/call") == 0) {
        /* Tools see the store as the sweep leaves it, so what a call adds is never swept
         * in the same breath; a sweep stuck behind another writer delays them 2 s at most. */
        sweep_wait(srv, 2000);
        do_tools_call(srv, params, r);
    } else if (strcmp(method, "logging/setLevel") == 0) {
        do_set_level(params, r);
    } else {
        /* server/discover (the 2026 probe) lands here too: legacy servers answer it with
         * method-not-found at once and the client falls back to initialize. */
        fail(r, RPC_METHOD_NOT_FOUND, "Method not found: %.*s", (int)utf8_clip(method, 200),
             method);
    }
    if (!r->result && r->code == 0) fail(r, RPC_INTERNAL_ERROR, "Out of memory");
}

/* ---- Messages ----------------------------------------------------------------------- */

/* Handles one request object whose text is raw[0..len); appends its response to out.
 * Returns 1 if a response was appended, 0 for a notification. */
static int handle_message(server *srv, const cJSON *msg, const char *raw, size_t len, strbuf *out)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(msg, "jsonrpc");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(msg, "method");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
    rpc_id rid = null_id;
    rawspan span;

    if (!cJSON_IsObject(msg)) {
        add_error(out, null_id, RPC_INVALID_REQUEST,
                  "Invalid Request: expected a JSON-RPC request object");
        return 1;
    }
    if (cJSON_IsString(id) || cJSON_IsNumber(id)) {
        if (rawjson_member(raw, len, "id", &span) == 0) {
            rid.text = raw + span.off;
            rid.len = span.len;
        }
    } else if (id) {
        add_error(out, null_id, RPC_INVALID_REQUEST,
                  "Invalid Request: id must be a string or a number");
        return 1;
    }
    if (!cJSON_IsString(ver) || strcmp(ver->valuestring, "2.0") != 0) {
        add_error(out, rid, RPC_INVALID_REQUEST, "Invalid Request: jsonrpc must be \"2.0\"");
        return 1;
    }
    if (!cJSON_IsString(method)) {
        add_error(out, rid, RPC_INVALID_REQUEST, "Invalid Request: method must be a string");
        return 1;
    }
    if (params && !cJSON_IsObject(params) && !cJSON_IsArray(params) && !cJSON_IsNull(params)) {
        add_error(out, rid, RPC_INVALID_REQUEST,
                  "Invalid Request: params must be an object or an array");
        return 1;
    }

    double t0 = time_mono_ms();
    if (!id) {
        /* Notifications (initialized, cancelled, anything else) are never answered;
         * requests are handled one at a time, so a cancel always arrives too late. */
        if (log_enabled())
            log_event(srv->home, PROGRAM, method->valuestring, time_mono_ms() - t0, "ok",
                      "notification");
        return 0;
    }
    reply r = {0};
    dispatch(srv, method->valuestring, params, &r);
    add_response(out, rid, &r);
    cJSON_Delete(r.result);
    if (log_enabled())
        log_event(srv->home, PROGRAM, method->valuestring, time_mono_ms() - t0,
                  r.outcome ? r.outcome : "ok", "%s", r.detail);
    return 1;
}

/* One line of input (line[len] is writable).  Writes the response line, if any. */
static void handle_line(server *srv, char *line, size_t len)
{
    strbuf out = {0};
    cJSON *msg = NULL;

    if (len > 0 && line[len - 1] == '\r') len--;
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == len) return; /* blank */
    line[len] = '\0';

    if (memchr(line, '\0', len) || !utf8_valid(line, len)) {
        add_error(&out, null_id, RPC_PARSE_ERROR, "Parse error: the line is not valid UTF-8 text");
        goto done;
    }
    if (rawjson_validate(line, len) != 0 || !(msg = cJSON_ParseWithLength(line, len))) {
        add_error(&out, null_id, RPC_PARSE_ERROR, "Parse error: the line is not valid JSON");
        goto done;
    }
    if (cJSON_IsArray(msg)) {
        size_t pos = 0, n = 0;
        rawspan item;
        const cJSON *el = msg->child;
        if (!el) {
            add_error(&out, null_id, RPC_INVALID_REQUEST, "Invalid Request: empty batch");
            goto done;
        }
        sb_adds(&out, "[");
        while (el && rawjson_array_next(line, len, &pos, &item)) {
            strbuf one = {0};
            if (handle_message(srv, el, line + item.off, item.len, &one)) {
                if (n++) sb_adds(&out, ",");
                sb_add(&out, one.buf, one.len);
                out.oom |= one.oom;
            }
            sb_free(&one);
            el = el->next;
        }
        sb_adds(&out, "]");
        if (n == 0) sb_free(&out); /* only notifications: nothing to say */
    } else {
        handle_message(srv, msg, line, len, &out);
    }
done:
    cJSON_Delete(msg);
    if (out.len || out.oom) emit(srv, &out);
    sb_free(&out);
}

/* ---- The loop ----------------------------------------------------------------------- */

static size_t max_line_from_env(void)
{
    const char *s = getenv("MEM0_MAX_LINE");
    char *end = NULL;
    if (!s || !*s) return MCP_DEFAULT_MAX_LINE;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < 16 || v > ((size_t)1 << 30)) {
        fprintf(stderr, PROGRAM ": MEM0_MAX_LINE=%s is not a byte count in 16..2^30; using %zu\n",
                s, MCP_DEFAULT_MAX_LINE);
        return MCP_DEFAULT_MAX_LINE;
    }
    return (size_t)v;
}

typedef struct line_buf {
    char *buf;
    size_t len, cap;
    int skipping; /* inside a line over the limit: drop bytes up to its newline */
} line_buf;

/* Appends n bytes to the line in progress; answers -32600 and starts skipping when the
 * line outgrows the limit. */
static void line_add(server *srv, line_buf *lb, const char *s, size_t n)
{
    if (lb->skipping || n == 0) return;
    if (lb->len + n > srv->max_line) {
        strbuf out = {0};
        add_error(&out, null_id, RPC_INVALID_REQUEST,
                  "Invalid Request: message longer than MEM0_MAX_LINE bytes");
        emit(srv, &out);
        if (log_enabled())
            log_event(srv->home, PROGRAM, "read", 0, "error", "line over %zu bytes", srv->max_line);
        lb->skipping = 1;
        lb->len = 0;
        return;
    }
    if (lb->len + n + 1 > lb->cap) {
        size_t cap = lb->cap ? lb->cap : 4096;
        while (cap < lb->len + n + 1)
            cap *= 2;
        char *p = realloc(lb->buf, cap);
        if (!p) {
            strbuf out = {0};
            add_error(&out, null_id, RPC_INTERNAL_ERROR, "Out of memory reading a message");
            emit(srv, &out);
            lb->skipping = 1;
            lb->len = 0;
            return;
        }
        lb->buf = p;
        lb->cap = cap;
    }
    memcpy(lb->buf + lb->len, s, n);
    lb->len += n;
}

/* The line in progress is complete: handle it and reset. */
static void line_end(server *srv, line_buf *lb)
{
    if (!lb->skipping && lb->len > 0) handle_line(srv, lb->buf, lb->len);
    lb->skipping = 0;
    lb->len = 0;
    if (lb->cap > KEEP_BUFFER) {
        free(lb->buf);
        lb->buf = NULL;
        lb->cap = 0;
    }
}

static void serve_loop(server *srv)
{
    static char chunk[READ_CHUNK];
    line_buf lb = {0};

    while (!stop_requested && !srv->out_broken) {
        struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {signal_pipe[0], POLLIN, 0}};
        if (poll(fds, signal_pipe[0] >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, PROGRAM ": poll: %s\n", strerror(errno));
            break;
        }
        if (signal_pipe[0] >= 0 && fds[1].revents) break;
        ssize_t got = read(STDIN_FILENO, chunk, sizeof chunk);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            fprintf(stderr, PROGRAM ": read: %s\n", strerror(errno));
            break;
        }
        if (got == 0) {
            line_end(srv, &lb); /* a last line without its newline */
            break;
        }
        size_t i = 0, n = (size_t)got;
        while (i < n && !stop_requested && !srv->out_broken) {
            const char *nl = memchr(chunk + i, '\n', n - i);
            size_t seg = nl ? (size_t)(nl - (chunk + i)) : n - i;
            line_add(srv, &lb, chunk + i, seg);
            i += seg;
            if (nl) {
                i++;
                line_end(srv, &lb);
            }
        }
    }
    free(lb.buf);
}

static void *run_sweep(void *arg)
{
    server *srv = arg;
    mem0_sweep_stats st = {0};
    mem0_err err = {0};
    if (mem0_sweep(srv->store, 50, &st, &err) != 0)
        fprintf(stderr, PROGRAM ": expiry sweep failed: %s\n", err.msg);
    return NULL;
}

static void open_store(server *srv)
{
    mem0_options opt = {0};
    mem0_err err = {0};
    double t0 = time_mono_ms();
    int rc = mem0_open(&opt, &srv->store, &err);
    if (rc != 0) {
        srv->store = NULL;
        snprintf(srv->open_error, sizeof srv->open_error, "%s (%s)",
                 err.msg[0] ? err.msg : mem0_strerror(rc), mem0_strerror(rc));
        fprintf(stderr, PROGRAM ": cannot open the memory store: %s\n", srv->open_error);
        settings_home(srv->home, sizeof srv->home);
    } else {
        snprintf(srv->home, sizeof srv->home, "%s", mem0_home(srv->store));
        /* The sweep writes, and another process may hold the write lock for a while:
         * run it beside the protocol loop so initialize is answered at once. */
        srv->sweeper_started = pthread_create(&srv->sweeper, NULL, run_sweep, srv) == 0;
    }
    if (log_enabled())
        log_event(srv->home, PROGRAM, "start", time_mono_ms() - t0, rc ? "error" : "ok", "%s",
                  rc ? srv->open_error : "store open");
}

/* Moves the protocol channel to a private descriptor and points fd 1 at stderr, so a
 * stray printf anywhere in the process can never corrupt the protocol.  Returns the fd
 * to write replies to. */
static int protect_stdout(void)
{
    int fd = dup(STDOUT_FILENO);
    if (fd < 0) return STDOUT_FILENO;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        close(fd);
        return STDOUT_FILENO;
    }
    return fd;
}

int mcp_serve(void)
{
    server srv;
    memset(&srv, 0, sizeof srv);
    srv.max_line = max_line_from_env();
    srv.out_fd = protect_stdout();
    install_signals();
    identity_user_id(srv.user_id, sizeof srv.user_id);
    if (identity_project_id(NULL, srv.project, sizeof srv.project) != 0) srv.project[0] = '\0';
    build_instructions(&srv);
    open_store(&srv);
    srv.tools.store = srv.store;
    srv.tools.open_error = srv.open_error;
    srv.tools.user_id = srv.user_id;

    serve_loop(&srv);

    if (log_enabled())
        log_event(srv.home, PROGRAM, "stop", 0, "ok", "%s",
                  stop_requested   ? "signal"
                  : srv.out_broken ? "stdout closed"
                                   : "eof");
    /* A sweep still waiting for another process's write lock holds no transaction yet:
     * leave it and the store to the process exit rather than wait for that lock. */
    int sweeping = !sweep_wait(&srv, 2000);
    if (srv.store && !sweeping) mem0_close(srv.store);
    free(srv.instructions);
    for (int i = 0; i < 2; i++)
        if (signal_pipe[i] >= 0) close(signal_pipe[i]);
    if (srv.out_fd != STDOUT_FILENO) close(srv.out_fd);
    return 0;
}
