/*
 * optout.h: a repository's or a user's choice to keep memory out of a session.
 *
 * Switching memory off (every hook prints nothing and exits 0; the server's default scope
 * refuses to read or write):
 *   - a file named `.mem0-disable` at the top level of the repository (the git top level
 *     of the folder; a folder outside any repository is its own top level).  Its content
 *     is ignored; commit it to switch memory off for everyone working in the repository,
 *     or list it in .git/info/exclude to switch it off for yourself only;
 *   - the environment variable MEM0_DISABLE set to anything but "", "0" or "false"
 *     (case-insensitive), for a shell or a single run.
 *
 * Excluding paths from capture (hooks store no session snapshot or compaction summary for
 * a session working there, and leave matching files out of the snapshots they do store):
 * a file `.mem0-ignore` at the repository's top level and, for every repository,
 * `$MEM0_HOME/.mem0-ignore`.  One glob a line (fnmatch(3) with FNM_PATHNAME; `**` is not
 * special); blank lines and lines starting with `#` are skipped.  In the repository's file
 * a glob is relative to the top level ("secrets", "*.pem", "docs/private"); in the home
 * file it is absolute or starts with "~/" ("~/clients/acme").  A glob naming a folder also covers
 * everything under it; a repository glob without '/' matches a name at any depth, as in
 * .gitignore.  At most 256 globs of 1 KiB each are read from each file.
 */
#ifndef MEM0_OPTOUT_H
#define MEM0_OPTOUT_H

#include <stddef.h>

#define OPTOUT_DISABLE_FILE ".mem0-disable"
#define OPTOUT_IGNORE_FILE ".mem0-ignore"

/* 1 if memory is switched off for dir (NULL: the working directory), by MEM0_DISABLE or a
 * .mem0-disable file at dir's repository top level; else 0. */
int optout_active(const char *dir);
/* 1 if MEM0_DISABLE switches memory off (its value is not "", "0" or "false"). */
int optout_env_disabled(void);

typedef struct optout_ignore optout_ignore;

/* Loads the ignore globs that apply to dir (repository file, then home's file); NULL when
 * there are none (a NULL list matches nothing).  Free with optout_ignore_free. */
optout_ignore *optout_ignore_load(const char *dir, const char *home);
void optout_ignore_free(optout_ignore *ig);
/* 1 if path (absolute, or relative to dir) or any folder above it matches a glob. */
int optout_ignored(const optout_ignore *ig, const char *path);

#endif
