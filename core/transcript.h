/*
 * transcript.h: what the hooks read from a Claude Code session transcript (JSONL).
 *
 * The transcript is append-only, undocumented and changes between versions, so reading is
 * defensive: only its tail is read (seeking from the end: at most TRANSCRIPT_MAX_LINES
 * lines and TRANSCRIPT_MAX_BYTES bytes), a half-written last line and lines that are not
 * JSON are skipped, unknown record types are ignored, and sidechain (subagent) records
 * do not count.  Nothing here writes.
 *
 * Records used: "user" (message.content a string or blocks; isMeta, isCompactSummary),
 * "assistant" (message.content blocks: text, tool_use {name, input}).
 *
 * Tool names: the file tools are Write, Edit, MultiEdit and NotebookEdit; the memory
 * server's add_memory is "mcp__plugin_<plugin>_<server>__add_memory" or
 * "mcp__<server>__add_memory" where the server part contains "mem0".
 */
#ifndef MEM0_TRANSCRIPT_H
#define MEM0_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>
#include "mem0.h"

#define TRANSCRIPT_MAX_LINES 2000
#define TRANSCRIPT_MAX_BYTES ((int64_t)32 << 20)
#define TRANSCRIPT_SUMMARY_MAX 50000 /* bytes of a compaction summary kept */

/* ---- Compaction summary ------------------------------------------------------------ */

/* The text of the newest isCompactSummary record, unwrapped (transcript_unwrap_summary)
 * and cut to TRANSCRIPT_SUMMARY_MAX bytes; *out is malloc'd, or NULL when the tail holds
 * none.  0, or MEM0_EIO (unreadable file), MEM0_ENOMEM. */
int transcript_compact_summary(const char *path, char **out, mem0_err *err);
/* A malloc'd copy of text without Claude Code's wrapper ("This session is being continued
 * from a previous conversation ..." before, "If you need specific details ..." after);
 * text without the wrapper is copied as is.  NULL on allocation failure. */
/* The summary itself, whichever form it arrived in: PostCompact's raw model reply
 * ("<analysis>...</analysis> <summary>...</summary>"), the transcript's wrapped text, or
 * Claude Code's "Summary:" rendering; the <summary> content, trimmed and cut to
 * TRANSCRIPT_SUMMARY_MAX bytes at a character boundary.  Both capture paths
 * pass through this, so they store the same text.  malloc'd; NULL on allocation failure. */
char *transcript_summary_text(const char *raw);
char *transcript_unwrap_summary(const char *text);

/* ---- Session snapshot --------------------------------------------------------------- */

#define SNAPSHOT_MAX_ASKS 30
#define SNAPSHOT_MAX_FILES 50
#define SNAPSHOT_MAX_COMMANDS 20
#define SNAPSHOT_ASK_MAX 5000     /* bytes kept of one user message */
#define SNAPSHOT_COMMAND_MAX 1000 /* bytes kept of one command */
#define SNAPSHOT_LAST_MAX 10000   /* bytes kept of the last assistant text */

/* What the session was about, oldest first.  Every string is malloc'd and owned here;
 * a caller may remove entries (free them and shift the rest) before rendering. */
typedef struct transcript_snapshot {
    char *asks[SNAPSHOT_MAX_ASKS]; /* user text > 10 chars, not '<', not isMeta */
    int n_asks;
    char *files[SNAPSHOT_MAX_FILES]; /* distinct paths written or edited */
    int n_files;
    char *commands[SNAPSHOT_MAX_COMMANDS]; /* Bash commands */
    int n_commands;
    char *last_assistant; /* the last assistant text, or NULL */
} transcript_snapshot;

/* Reads the snapshot from the transcript's tail into *s (zeroed first). 0, MEM0_EIO,
 * MEM0_ENOMEM; on error *s holds nothing to free. */
int transcript_snapshot_read(const char *path, transcript_snapshot *s, mem0_err *err);
void transcript_snapshot_free(transcript_snapshot *s);
/* 1 if the snapshot says anything worth keeping: a user ask or a changed file. */
int transcript_snapshot_worth(const transcript_snapshot *s);
/* The snapshot as markdown, "## Session State (<source>)" then the sections "What the user
 * was working on", "Files modified this session", "Recent commands", "Last context";
 * malloc'd, NULL on allocation failure. */
char *transcript_snapshot_markdown(const transcript_snapshot *s, const char *source);

/* ---- Activity (the stop reminder) ------------------------------------------------------ */

typedef struct transcript_activity {
    int files_changed;  /* file-tool calls after the offset */
    int memories_added; /* add_memory calls after the offset */
    int64_t end;        /* offset just past the last complete line read */
} transcript_activity;

/* Counts what the model did in the records after byte offset `since` (0: the tail);
 * an offset past the end (a replaced file) counts as 0.  0, MEM0_EIO, MEM0_ENOMEM. */
int transcript_activity_since(const char *path, int64_t since, transcript_activity *out,
                              mem0_err *err);
/* 1 if name is a tool that writes files (Write, Edit, MultiEdit, NotebookEdit). */
int transcript_is_file_tool(const char *name);
/* 1 if name is the memory server's add_memory under either tool prefix. */
int transcript_is_add_memory(const char *name);

#endif
