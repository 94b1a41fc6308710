/*
 * identity.h: who the local user is and which project a session is in.
 *
 * user_id: MEM0_USER_ID, else MEM0_DEFAULT_USER_ID (mem0-mcp's name), else $USER, else
 * "default".  The key-derived id ("mem0-" + first 12 hex of SHA-256 of MEM0_API_KEY) is
 * for the hosted backend only, so setting a key never strands local memories.
 *
 * project (app_id): MEM0_PROJECT_ID, else CLAUDE_PROJECT_DIR or the working directory
 * resolved to its git top level, then that repository's origin remote as "owner-repo",
 * else the folder's name.  Git is read from .git (worktrees and gitdir files included);
 * no process is started.
 */
#ifndef MEM0_IDENTITY_H
#define MEM0_IDENTITY_H

#include <stddef.h>

#define IDENTITY_MAX 257

/* Writes the local user id into out (always NUL-terminated). */
void identity_user_id(char *out, size_t n);
/* "mem0-" + 12 hex chars of SHA-256(api_key); 0, or -1 if api_key is empty. */
int identity_key_user_id(const char *api_key, char out[18]);
/* The project id for dir (NULL: CLAUDE_PROJECT_DIR, else the cwd); 0, or -1 if none. */
int identity_project_id(const char *dir, char *out, size_t n);
/* The git top level containing dir; 0, or -1 if dir is not in a repository. */
int identity_git_toplevel(const char *dir, char *out, size_t n);
/* "owner-repo" from a remote URL (https, ssh, scp-like, with or without .git); 0 or -1. */
int identity_remote_slug(const char *url, char *out, size_t n);

#endif
