/*
 * guard.h: keeps Claude Code's own file memory closed, so memories go to mem0.
 *
 * Decides whether one PreToolUse call writes into Claude Code's file memory:
 *   - a file named MEMORY.md at least one folder below a `.claude` folder, anywhere
 *     (Mem0's glob `<any>/.claude/<any>/MEMORY.md`; the auto memory is
 *     ~/.claude/projects/<key>/memory/MEMORY.md), and
 *   - anything under a `.claude/memory/` folder (`<any>/.claude/memory/<any>`),
 * where <any> spans any number of path segments.  A repository's own
 * MEMORY.md (./MEMORY.md, docs/MEMORY.md) and docs/memory/ stay writable.  With
 * CLAUDE_CONFIG_DIR set, that folder counts as a `.claude` folder too.
 *
 * Paths are made absolute against the payload's cwd, `~`, `~user`, $HOME and ${HOME} are
 * expanded, `.`, `..` and repeated slashes are folded, and the existing part of the path
 * is resolved through symlinks (a dangling link counts as its target); the lexical and the
 * resolved forms are both checked.
 *
 * Bash commands are read by a small shell tokenizer (quotes, escapes, $'..', heredocs,
 * command and process substitution, `bash -c`/`eval` strings, subshells, `cd` tracking,
 * simple variable assignments) that finds every file a command writes: redirections,
 * tee, cp/mv/install/ln/rsync destinations, sed/perl/ruby -i, dd of=, touch, truncate,
 * curl/wget outputs, patch, find -exec, xargs, and inline python/node/perl/ruby code that
 * opens a literal path for writing.  Anything it cannot read is allowed (fail open):
 * syntax errors, commands over GUARD_MAX_COMMAND bytes, control bytes, unknown variables
 * in the place of a protected name, relative writes after `cd -` or an unknown `cd`.
 *
 * No state, no store access, no allocation that outlives a call; each call is linear in
 * the size of its input (nested shell strings at most GUARD_MAX_DEPTH deep).
 */
#ifndef MEM0_GUARD_H
#define MEM0_GUARD_H

#include <stddef.h>
#include <cjson/cJSON.h>

#define GUARD_MAX_COMMAND (64 * 1024) /* longer commands are allowed unread */
#define GUARD_MAX_DEPTH 8             /* nested bash -c / $(...) / eval levels read */

/* Where relative paths and `~` point.  Any field may be NULL (then unknown). */
typedef struct guard_env {
    const char *cwd;        /* the payload's cwd (absolute) */
    const char *home_dir;   /* $HOME */
    const char *claude_dir; /* $CLAUDE_CONFIG_DIR, an alternative ~/.claude */
} guard_env;

/* 1 = block, 0 = allow; reason (a full sentence for the model, naming add_memory) written
 * when blocked.  tool_name is Write, Edit, MultiEdit, NotebookEdit or Bash; any other tool
 * is allowed. */
int guard_check_tool(const char *tool_name, const cJSON *tool_input, const char *cwd,
                     const char *home_dir, char *reason, size_t n);
/* The same with a full environment (CLAUDE_CONFIG_DIR). */
int guard_check_tool_env(const char *tool_name, const cJSON *tool_input, const guard_env *env,
                         char *reason, size_t n);

/* One file path a file tool would write (`~` expanded, no shell syntax); 1 = block. */
int guard_check_path(const char *path, const guard_env *env, char *reason, size_t n);
/* One Bash command line; 1 = block. */
int guard_check_command(const char *command, const guard_env *env, char *reason, size_t n);

#endif
