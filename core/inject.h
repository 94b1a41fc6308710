/*
 * inject.h: what the hooks put into the model's context.
 *
 * Session start: an identity line (user_id, project), the search/store rubric (when to
 * search, noun-phrase queries, the filter shape, the metadata types, infer=false for
 * structured text), then a block of the most useful durable memories of this user that
 * belong to no project (app_id null) or to this project, within a token budget
 * (INJECT_START_TOKENS, counted as 4 bytes a token).  Chosen: pinned first
 * (metadata.pinned true), then the durable types (decision, convention, anti_pattern,
 * user_preference, task_learning, environmental), then other memories (untyped, bug_fix),
 * newest first within each; never expired ones, never hook-written noise (session_state,
 * compact_summary, session_summary, auto_capture).  Only the newest INJECT_SCAN_MAX
 * memories of each scope are considered, so the cost does not grow with the store.
 * After a compaction (source "compact") the text opens with a recovery note naming the
 * newest compact_summary and session_state memories of this session.
 *
 * Prompt: for prompts worth a search (inject_prompt_worth), the few most relevant
 * memories above the score threshold, within INJECT_PROMPT_BUDGET bytes, leaving out the
 * ids this session already received.
 *
 * Each memory is one line: "- [type] text (age) [mem0:<first 8 of id>]".  Text is
 * written as statements, never as instructions to the model.
 */
#ifndef MEM0_INJECT_H
#define MEM0_INJECT_H

#include <stddef.h>
#include <stdint.h>
#include "mem0.h"

#define INJECT_START_TOKENS 1500
#define INJECT_PROMPT_BUDGET 1500 /* bytes of the prompt block's memory lines */
#define INJECT_PROMPT_MAX 5       /* memories for one prompt, whatever search_limit says */
#define INJECT_SCAN_MAX 300       /* newest memories considered per scope at session start */
#define INJECT_LINE_TEXT 300      /* bytes of a memory's text on its line */

typedef struct inject_ctx {
    const char *user_id;    /* NULL: the store's local user */
    const char *project;    /* app_id of this project; NULL or "": none */
    const char *session_id; /* Claude Code session */
    const char *source;     /* SessionStart source: startup, resume, clear, compact */
    int with_memories;      /* 0: identity and rubric only (auto_search off) */
    size_t budget_tokens;   /* memory block budget; 0: INJECT_START_TOKENS */
    int64_t now_us;         /* 0: now */
} inject_ctx;

/* The session-start text (malloc'd into *text).  m may be NULL (no store yet): identity
 * and rubric only.  The full ids of the memories listed are appended to ids (an array;
 * may be NULL).  0, or a negative mem0_status (then *text is NULL). */
int inject_session_start(mem0 *m, const inject_ctx *c, char **text, cJSON *ids, mem0_err *err);

/* 1 if prompt deserves a memory search: not an acknowledgement ("ok", "thanks",
 * "continue", "yes do it"...), not a bare slash command, at least 3 content words. */
int inject_prompt_worth(const char *prompt);

/* The prompt's memory block (malloc'd into *text, NULL when nothing qualifies): at most
 * min(limit, INJECT_PROMPT_MAX) memories scoring >= threshold, none whose id is in
 * exclude (an array of strings; may be NULL).  Ids listed are appended to ids. */
int inject_prompt(mem0 *m, const inject_ctx *c, const char *prompt, int limit, double threshold,
                  const cJSON *exclude, char **text, cJSON *ids, mem0_err *err);

/* "- [type] text (age) [mem0:<id8>]" for one memory object, text cut to max_text bytes;
 * malloc'd. */
char *inject_memory_line(const cJSON *memory, size_t max_text, int64_t now_us);
/* A short age: "today", "1d ago", "3w ago", "5mo ago", "2y ago". */
void inject_age(int64_t created_us, int64_t now_us, char *out, size_t n);
/* 1 for the hook-written types that never go into a session-start block. */
int inject_is_noise_type(const char *type);
/* 1 for the durable types. */
int inject_is_durable_type(const char *type);

#endif
