/*
 * session.h: what the hooks remember about one Claude Code session between their runs.
 *
 * One file per session, $MEM0_HOME/sessions/<id>.json (folder 0700, file 0600), where <id>
 * is the session_id with every byte outside [A-Za-z0-9._-] replaced by '_' (cut at 128
 * bytes; a leading '.' becomes '_').  It holds:
 *   injected      ids of memories already put into this session's context (last 500)
 *   stop_offset   the transcript offset up to which the stop reminder has judged the work
 *   compactions   fingerprints of compaction summaries already captured (last 20)
 *   tasks         subjects of tasks completed since the last reminder (last 10)
 *
 * Hooks of one session run in parallel, so session_open() takes an exclusive flock() on
 * <id>.lock and holds it until session_close(); session_save() writes a temporary file
 * and renames it over the old one, so a reader never sees half a file and a killed hook
 * leaves the old state.  A missing or unreadable file is an empty state.  Keep the lock
 * short: open, read or change, save, close.  Longer work that must happen once uses its
 * own lock (session_lock_purpose).
 */
#ifndef MEM0_SESSION_H
#define MEM0_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include "mem0.h"

#define SESSION_MAX_INJECTED 500
#define SESSION_MAX_COMPACTIONS 20
#define SESSION_MAX_TASKS 10
#define SESSION_TASK_MAX 200 /* bytes kept of a task subject */
#define SESSION_PRUNE_DAYS 30
#define SESSION_HOUSEKEEPING_S (6 * 3600L)

typedef struct session session;

/* ---- Life cycle ----------------------------------------------------------------------- */

/* Locks and loads the state of session_id (created empty if missing); *out is freed by
 * session_close.  MEM0_EINVAL without a session id, MEM0_EIO if the folder or lock fails. */
int session_open(const char *home, const char *session_id, session **out, mem0_err *err);
/* Writes the state atomically (0600).  0 or MEM0_EIO / MEM0_ENOMEM. */
int session_save(session *s, mem0_err *err);
/* Unlocks and frees, without saving. */
void session_close(session *s);

/* An exclusive lock of its own for one purpose of the session ("compact"): returns an fd
 * to pass to session_unlock, or a negative mem0_status. */
int session_lock_purpose(const char *home, const char *session_id, const char *purpose,
                         mem0_err *err);
void session_unlock(int fd);

/* The file name stem for session_id (see above) into out (n >= 2). */
void session_file_stem(const char *session_id, char *out, size_t n);
/* Removes state and lock files not changed for `days` days; returns how many. */
int session_prune(const char *home, int days);
/* 1 at most once every interval_s seconds across all processes (the mtime of
 * sessions/.housekeeping), so hooks run the expiry sweep and session_prune now and then
 * rather than paying a durable write on every session start.  0 otherwise or on error. */
int session_housekeeping_due(const char *home, long interval_s);

/* ---- Injected memories ---------------------------------------------------------------- */

int session_injected_has(const session *s, const char *memory_id);
void session_injected_add(session *s, const char *memory_id);
/* Forgets every injected id (after a compaction the context no longer holds them). */
void session_injected_clear(session *s);
/* The injected ids (an array of strings owned by s). */
const cJSON *session_injected(const session *s);

/* ---- Stop reminder -------------------------------------------------------------------- */

int64_t session_stop_offset(const session *s);
void session_set_stop_offset(session *s, int64_t offset);

/* ---- Completed tasks ------------------------------------------------------------------ */

void session_task_add(session *s, const char *subject);
int session_task_count(const session *s);
/* The newest task subject, or NULL. */
const char *session_task_last(const session *s);
void session_tasks_clear(session *s);

/* ---- Compactions ---------------------------------------------------------------------- */

/* 1 if a summary of the same compaction was captured before.  The fingerprint is a set of
 * XXH64 hashes of the summary's longer lines (whitespace collapsed), or of the whole text
 * when it has none, so the PostCompact text and the transcript's wrapped copy of the same
 * summary match whatever wrapper Claude Code put around it. */
int session_compact_seen(const session *s, const char *summary);
/* Records summary as captured (memory_id may be NULL). */
void session_compact_mark(session *s, const char *summary, const char *memory_id);

#endif
