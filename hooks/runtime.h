/*
 * runtime.h: what every hook executable shares.
 *
 * A hook main() calls hook_start(), then two or three core functions, queues its output
 * with hook_context()/hook_output_json() (or blocks with hook_block()), and returns
 * hook_finish().  The runtime guarantees Claude Code's rules: stdout carries one JSON
 * object written in a single write (or nothing), additionalContext stays under 10,000
 * characters, and stderr + exit 2 happens only for a deliberate block.
 *
 * Fail open: on any error, busy or locked store, or a missed deadline the hook exits 0 and
 * prints nothing.  The watchdog armed by hook_start() ends the process at the deadline
 * even while it waits on another process's LMDB write lock.
 *
 * Documented deadlines (ms): guard 50, stop 200, prompt 300, session-start 500,
 * captures (pre-compact, capture-compact) 2000; task-completed and add-metadata 200.
 *
 * With MEM0_DEBUG on, hook_finish() (or the watchdog) logs exactly one line per run to
 * $MEM0_HOME/hooks.log in the format of log.h.
 */
#ifndef MEM0_HOOKS_RUNTIME_H
#define MEM0_HOOKS_RUNTIME_H

#include <cjson/cJSON.h>
#include "mem0.h"
#include "settings.h"

#define HOOK_DEADLINE_GUARD 50
#define HOOK_DEADLINE_STOP 200
#define HOOK_DEADLINE_PROMPT 300
#define HOOK_DEADLINE_SESSION_START 500
#define HOOK_DEADLINE_CAPTURE 2000
#define HOOK_DEADLINE_SMALL 200 /* task-completed, add-metadata */

#define HOOK_MAX_INPUT ((size_t)8 << 20)
#define HOOK_MAX_CONTEXT 9999 /* additionalContext must stay under 10,000 chars */

typedef struct hook {
    const char *program; /* "mem0-session-start" */
    const char *event;   /* hook_event_name expected, e.g. "SessionStart" */
    double start_ms;     /* time_mono_ms() at start */
    long deadline_ms;    /* hard internal deadline */
    cJSON *input;        /* the stdin object; NULL when empty or not JSON */
    char home[4096];     /* $MEM0_HOME resolved */
    mem0_settings settings;
} hook;

/* Reads stdin to EOF (at most 8 MiB; more is drained and ignored), parses it, loads
   settings, and arms a watchdog that, at the deadline, ends the process with exit 0 and
   nothing on stdout (fail open), logging "deadline" when MEM0_DEBUG is on. */
int hook_start(hook *h, const char *program, const char *event, long deadline_ms);
/* Top-level string field of the input, or NULL. */
const char *hook_str(const hook *h, const char *field);
/* The store (opened once, closed by hook_finish); NULL on any failure (logged). */
mem0 *hook_open_store(hook *h);
/* Additions beyond the shared API.  A read-only handle never waits on another process's
   write lock (LMDB readers do not block), so hooks that only read use it; NULL when the
   store does not exist yet.  hook_open_store() closes a read-only handle first: do not use
   that pointer afterwards. */
mem0 *hook_open_store_ro(hook *h);
/* Writes the queued stdout now, in one write, so that work done afterwards (an
   opportunistic sweep that may wait on a lock) cannot lose it; later output is dropped. */
void hook_flush(hook *h);
/* The project (app_id) of this session: CLAUDE_PROJECT_DIR, else the input's cwd, else the
   working directory (identity_project_id); "" when none can be found. */
const char *hook_project(hook *h);
/* The folder the session works in: CLAUDE_PROJECT_DIR, else the input's cwd, else ".". */
const char *hook_dir(const hook *h);
/* 1 when memory is switched off for this session's repository (optout_active). */
int hook_opted_out(const hook *h);

/* Queues {"hookSpecificOutput":{"hookEventName":event_name,"additionalContext":text}},
   text cut to < 10,000 chars at a UTF-8 boundary. */
void hook_context(hook *h, const char *event_name, const char *text);
/* Queues arbitrary JSON output; takes ownership. */
void hook_output_json(hook *h, cJSON *obj);
/* Deliberate block: reason to stderr, returns 2. */
int hook_block(hook *h, const char *reason);
/* Writes queued stdout in one write, logs one debug line (program, event, duration,
   outcome, detail), frees, returns code for main(). */
int hook_finish(hook *h, int code, const char *outcome, const char *detail);

#endif
