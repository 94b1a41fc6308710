/*
 * capture.h: what the hooks store on their own, and what they add to the agent's writes.
 *
 * Snapshots written by hooks are session noise, never durable knowledge: they are stored
 * with infer=false (verbatim), under the local user and the project's app_id, with
 * metadata {type, source, session_id} and expiration_date = today + retention days.
 *   compact_summary  the compaction summary, as an assistant message (so nothing reads
 *                    it as the user's own words); exactly once per compaction, whichever
 *                    path saw it first (PostCompact, or SessionStart "compact" reading the
 *                    transcript): a per-session "compact" lock around check, store, mark.
 *   session_state    a snapshot of the transcript's tail before compaction; one project
 *                    keeps at most CAPTURE_KEEP_SNAPSHOTS of them (older ones are deleted),
 *                    so they never crowd out durable memories.
 * Path excludes (optout.h) apply: nothing is captured for a session working in an excluded
 * folder, and excluded files are left out of session_state.
 *
 * The agent's own add_memory calls get metadata.session_id and, for project-kind
 * memories (decision, convention, anti_pattern, task_learning, environmental) with no
 * app_id, the project's app_id; nothing the agent wrote is changed.
 */
#ifndef MEM0_CAPTURE_H
#define MEM0_CAPTURE_H

#include "mem0.h"
#include "transcript.h"

#define CAPTURE_KEEP_SNAPSHOTS 20

typedef struct capture_ctx {
    const char *home;       /* for session state and excludes */
    const char *dir;        /* the session's folder (excludes); NULL: the working directory */
    const char *user_id;    /* NULL: the store's local user */
    const char *project;    /* app_id; NULL or "": none */
    const char *session_id; /* required */
    int retention_days;     /* <= 0: 90 */
    const char *actor;      /* history actor, e.g. "hook:pre-compact" */
} capture_ctx;

/* 1 if captures are excluded for c->dir (optout.h's ignore files). */
int capture_excluded(const capture_ctx *c);

/* Stores summary as a compact_summary with metadata.source = source ("post-compact" or
 * "session-start-compact") unless this compaction was captured already.  *stored is 1 when
 * a memory was added (its id in id_out[37], may be NULL).  0 or a negative mem0_status. */
int capture_compact(mem0 *m, const capture_ctx *c, const char *summary, const char *source,
                    int *stored, char *id_out, mem0_err *err);

/* Drops excluded files from s, renders it (source "pre-compaction") and stores it as a
 * session_state with metadata.files_touched; *stored 0 when the snapshot holds nothing
 * worth keeping.  Then keeps only the newest CAPTURE_KEEP_SNAPSHOTS session_state
 * memories of the project (or of the user, without a project); *pruned gets how many were
 * deleted (may be NULL). */
int capture_session_state(mem0 *m, const capture_ctx *c, transcript_snapshot *s, int *stored,
                          char *id_out, long *pruned, mem0_err *err);

/* Deletes all but the newest `keep` session_state memories of the project (or user). */
int capture_prune_snapshots(mem0 *m, const capture_ctx *c, int keep, long *deleted, mem0_err *err);

/* 1 for the metadata types that belong to a project rather than to the person. */
int capture_is_project_kind(const char *type);
/* The agent's add_memory input with metadata.session_id (and app_id, see above) added:
 * a new object for the caller to free, or NULL when nothing needs adding or the input is
 * not an object. */
cJSON *capture_add_metadata(const cJSON *tool_input, const char *session_id, const char *project);

#endif
