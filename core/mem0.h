/*
 * mem0.h: the public C API of the local memory store (the C counterpart of Mem0's SDK).
 *
 * One handle (`mem0`) is one open store under a home folder (default $MEM0_HOME, else
 * ~/.mem0).  A handle may be shared by every thread of a process; any number of processes
 * may open the same store at once.  Every write is durable when the call returns 0.
 *
 * Results are cJSON trees in Mem0's shapes (a memory object, `{"results": [...]}`, a
 * `{"message": ...}`); the caller owns them and frees them with cJSON_Delete().
 *
 * Errors: every function returns 0 or a negative mem0_status and fills `err` (which may be
 * NULL) with a message fit to show a user.  MEM0_EINVAL, MEM0_ENOTFOUND and the two
 * *_MISSING codes are the caller's mistakes; the rest are failures of the store.
 */
#ifndef MEM0_H
#define MEM0_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MEM0_VERSION "0.1.0"

typedef enum mem0_status {
    MEM0_OK = 0,
    MEM0_EINVAL = -1,           /* bad argument or filter; err says which and why */
    MEM0_ENOTFOUND = -2,        /* no memory (or trash entry) with that id */
    MEM0_EMESSAGES_MISSING = -3, /* add without text or messages */
    MEM0_ESCOPE_MISSING = -4,   /* an entity operation without any entity id */
    MEM0_EBUSY = -5,            /* the store stayed locked past the caller's deadline */
    MEM0_EIO = -6,              /* LMDB or file system failure */
    MEM0_ESCHEMA = -7,          /* the store was written by an incompatible version */
    MEM0_ENOMEM = -8,
    MEM0_EPERM = -9,            /* refused by policy (opt-out, read-only handle) */
} mem0_status;

typedef struct mem0_err {
    int code;        /* a mem0_status */
    char msg[512];   /* one line, no trailing newline */
} mem0_err;

typedef struct mem0 mem0;

/* ---- Life cycle ------------------------------------------------------------------- */

typedef struct mem0_options {
    const char *home;    /* NULL: $MEM0_HOME, else $HOME/.mem0 */
    size_t map_size;     /* initial LMDB map size in bytes; 0: $MEM0_MAP_SIZE or 64 MiB */
    int read_only;       /* 1: never writes, not even the schema record */
} mem0_options;

/* Opens (creating if needed, folder 0700, files 0600) the store; *out is freed by mem0_close. */
int mem0_open(const mem0_options *opt, mem0 **out, mem0_err *err);
void mem0_close(mem0 *m);
/* The resolved home folder of an open store. */
const char *mem0_home(const mem0 *m);

/* ---- Scopes ----------------------------------------------------------------------- */

/* Entity ids of a memory; NULL or "" means unset.  Ids are <= 256 bytes of valid UTF-8. */
typedef struct mem0_scope {
    const char *user_id;
    const char *agent_id;
    const char *app_id;
    const char *run_id;
} mem0_scope;

/* ---- Adding ----------------------------------------------------------------------- */

typedef struct mem0_add_req {
    const char *text;              /* used when messages is NULL or empty */
    const cJSON *messages;         /* array of {"role","content"}; system messages skipped */
    mem0_scope scope;              /* user_id defaults to the local user when unset */
    const cJSON *metadata;         /* object or NULL; copied after redaction */
    int infer;                     /* 1: skip an exact duplicate in the same scope */
    const char *expiration_date;   /* YYYY-MM-DD or NULL */
    const char *actor;             /* recorded in history: "mcp", "cli", "hook:stop"... */
} mem0_add_req;

/* {"results":[{"id","memory","event":"ADD"}...]}; a skipped duplicate adds "message". */
int mem0_add(mem0 *m, const mem0_add_req *req, cJSON **result, mem0_err *err);

/* ---- Reading ---------------------------------------------------------------------- */

typedef struct mem0_search_req {
    const char *query;             /* required, non-empty */
    const cJSON *filters;          /* v2 filter or NULL; the scope-safety rule applies */
    const char *default_user;      /* NULL: the local user (identity_user_id) */
    int top_k;                     /* <= 0: 10 */
    double threshold;              /* keep score >= threshold; < 0: no threshold */
    int show_expired;
    int explain;                   /* 1: each result carries "score_details" */
} mem0_search_req;

/* {"results":[memory + "score"]}, best first. */
int mem0_search(mem0 *m, const mem0_search_req *req, cJSON **result, mem0_err *err);

typedef struct mem0_list_req {
    const cJSON *filters;
    const char *default_user;
    int page;                      /* 1-based; <= 0: 1 */
    int page_size;                 /* <= 0: 10; at most 100 */
    int show_expired;
} mem0_list_req;

/* {"results":[...], "count": total matching, "page", "page_size", "next", "previous"}
 * newest first; next/previous are page numbers or null. */
int mem0_list(mem0 *m, const mem0_list_req *req, cJSON **result, mem0_err *err);

/* The memory object (expired ones included). */
int mem0_get(mem0 *m, const char *memory_id, cJSON **memory, mem0_err *err);

/* {"results":[history items]} oldest first, for a live or deleted memory. */
int mem0_history(mem0 *m, const char *memory_id, cJSON **result, mem0_err *err);

/* ---- Changing --------------------------------------------------------------------- */

typedef struct mem0_update_req {
    const char *memory_id;
    const char *text;              /* NULL: keep */
    const cJSON *metadata;         /* NULL: keep; an object replaces it */
    const char *expiration_date;   /* NULL: keep; "" clears; else YYYY-MM-DD */
    const char *actor;
} mem0_update_req;

/* Returns the updated memory object. */
int mem0_update(mem0 *m, const mem0_update_req *req, cJSON **memory, mem0_err *err);

/* Moves one memory to the trash: {"message":"Memory deleted successfully!"}. */
int mem0_delete(mem0 *m, const char *memory_id, const char *actor, cJSON **result,
                mem0_err *err);

/* Moves every memory matching all the set ids to the trash, keeping the entities:
 * {"message":"Memories deleted successfully!","deleted":N}.  No id set: MEM0_ESCOPE_MISSING. */
int mem0_delete_all(mem0 *m, const mem0_scope *scope, const char *actor, cJSON **result,
                    mem0_err *err);

/* Removes one entity (priority user > agent > app > run) and trashes its memories:
 * {"message":"Entity deleted successfully.","deleted":N}. */
int mem0_delete_entity(mem0 *m, const mem0_scope *scope, const char *actor, cJSON **result,
                       mem0_err *err);

/* {"results":[{"id","name","type","total_memories","created_at","updated_at","owner",
 * "metadata"}]} for the entities that hold memories of `owner` (NULL: the local user). */
int mem0_list_entities(mem0 *m, const char *owner, cJSON **result, mem0_err *err);

/* ---- Trash ------------------------------------------------------------------------ */

/* {"results":[{"memory": <memory>, "deleted_at", "actor"}]} newest deletion first. */
int mem0_trash_list(mem0 *m, cJSON **result, mem0_err *err);

/* Puts a trashed memory back with its id, text, scope and timestamps. */
int mem0_restore(mem0 *m, const char *memory_id, const char *actor, cJSON **memory,
                 mem0_err *err);

/* ---- Maintenance ------------------------------------------------------------------ */

typedef struct mem0_sweep_stats {
    long purged_expired;   /* expired memories past the grace period, removed for good */
    long purged_trash;     /* trash entries past their retention, removed for good */
    int complete;          /* 0: the time budget ran out first; run again to finish */
} mem0_sweep_stats;

/* Purges what has outlived its grace period; stops after budget_ms (<= 0: no limit). */
int mem0_sweep(mem0 *m, long budget_ms, mem0_sweep_stats *stats, mem0_err *err);

/* JSONL: one {"type":"memory",...}, {"type":"history",...} or {"type":"trash",...} a line. */
int mem0_export(mem0 *m, FILE *out, mem0_err *err);

typedef struct mem0_import_stats {
    long memories_added, memories_skipped, history_added, lines_rejected;
} mem0_import_stats;
typedef void (*mem0_progress_fn)(void *ctx, long done, long total);

/* Reads an export (or plain {"memory":...} lines); idempotent: known ids are skipped. */
int mem0_import(mem0 *m, FILE *in, mem0_progress_fn progress, void *ctx,
                mem0_import_stats *stats, mem0_err *err);

/* A compacted hot copy of the store into an empty or new folder dest. */
int mem0_backup(mem0 *m, const char *dest, mem0_err *err);

/* {"memories", "expired", "trash", "history", "entities", "map_size", "file_size",
 *  "schema_version", ...}. */
int mem0_stats(mem0 *m, cJSON **result, mem0_err *err);

/* Returns the text of a status code. */
const char *mem0_strerror(int status);

#ifdef __cplusplus
}
#endif
#endif
