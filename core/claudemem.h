/*
 * claudemem.h: bringing Claude Code's own file memory into the store ("migration in").
 *
 * Claude Code keeps auto-memory as Markdown under ~/.claude: an index
 * projects/<encoded-cwd>/memory/MEMORY.md and topic files beside it (optionally with YAML
 * front matter: name, description, type).  Users also keep facts in CLAUDE.md files.  This
 * module turns such files into facts (one per bullet or paragraph, front matter and pure
 * link lines dropped) and adds them with infer=true, so importing twice adds nothing.
 *
 * Each fact gets metadata {"type": <mapped type>, "source": "claude-memory" or
 * "claude-md", "file": <path>}; front-matter types map user/feedback -> user_preference,
 * project -> decision, reference -> environmental; anything else -> task_learning (or the
 * caller's default for CLAUDE.md: convention).
 */
#ifndef MEM0_CLAUDEMEM_H
#define MEM0_CLAUDEMEM_H

#include <stddef.h>
#include "mem0.h"

typedef struct claudemem_fact {
    char *text;         /* one fact, trimmed */
    char *type;         /* metadata.type */
    char *file;         /* where it came from */
    char *project;      /* app_id to file it under, or NULL for user-wide */
    const char *source; /* "claude-memory" or "claude-md" (static) */
} claudemem_fact;

typedef struct claudemem_list {
    claudemem_fact *v;
    size_t n, cap;
} claudemem_list;

/* Appends the facts of every Markdown file in every memory folder under claude_dir
 * (~/.claude when NULL): projects/STAR/memory/STAR.md and memory/STAR.md. */
int claudemem_scan(const char *claude_dir, claudemem_list *out, mem0_err *err);
/* Appends the facts of one Markdown file (e.g. a CLAUDE.md) with default_type and project. */
int claudemem_scan_file(const char *path, const char *default_type, const char *source,
                        const char *project, claudemem_list *out, mem0_err *err);
/* Adds the facts whose 1-based numbers are in pick (NULL: all) with infer=true:
 * {"results":[ADD events], "skipped": N duplicates}. */
int claudemem_import(mem0 *m, const claudemem_list *facts, const int *pick, size_t npick,
                     const char *actor, cJSON **result, mem0_err *err);
void claudemem_free(claudemem_list *facts);

#endif
