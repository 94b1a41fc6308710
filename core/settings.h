/*
 * settings.h: the home folder and $MEM0_HOME/settings.json.
 *
 * Every key is listed in settings_keys[] with its type, default and meaning; that table is
 * the documentation (README, `mem0-mcp doctor`).  Unknown keys and values of the wrong type
 * are reported and ignored; a missing file means all defaults.
 */
#ifndef MEM0_SETTINGS_H
#define MEM0_SETTINGS_H

#include <stddef.h>
#include "mem0.h"

typedef struct mem0_settings {
    int auto_save;               /* hooks capture session snapshots */
    int auto_search;             /* hooks inject relevant memories */
    int search_limit;            /* default top_k for hook searches */
    int retention_session_days;  /* expiry of session_state / compact_summary snapshots */
    int redact_secrets;          /* replace secrets with placeholders before storage */
    int trash_days;              /* how long deleted memories can be restored */
    int expired_grace_days;      /* how long expired memories are kept (hidden) */
    double confidence_threshold; /* minimum score for hook-injected memories */
    int debug;                   /* same as MEM0_DEBUG=1 */
    char embedder[256];          /* embedder spec (embed.h); "" means none; $MEM0_EMBEDDER wins */
} mem0_settings;

typedef struct settings_key {
    const char *name, *type, *default_value, *meaning;
} settings_key;
extern const settings_key settings_keys[]; /* ends with a {NULL} entry */

void settings_defaults(mem0_settings *s);
/* Loads home/settings.json over the defaults.  *warnings (may be NULL) gets a malloc'd
 * text naming unknown keys and bad values, or NULL when there is none.  A file that is
 * not JSON is an error (MEM0_EINVAL) and leaves the defaults in s. */
int settings_load(const char *home, mem0_settings *s, char **warnings, mem0_err *err);

/* The home folder: $MEM0_HOME, else $HOME/.mem0 (else ./.mem0). */
void settings_home(char *out, size_t n);
/* Creates the home folder (0700) if missing and tightens its mode; 0 or MEM0_EIO. */
int settings_home_ensure(const char *home, mem0_err *err);

#endif
