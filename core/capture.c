/* capture.c: snapshots stored by hooks, metadata on the agent's writes (see capture.h). */
#include "capture.h"
#include "transcript.h"
#include "memory.h"
#include "optout.h"
#include "record.h"
#include "session.h"
#include "timeutil.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILES_TOUCHED_MAX 20

static const char *const project_kinds[] = {"decision", "convention", "anti_pattern",
                                            "task_learning", "environmental"};

int capture_is_project_kind(const char *type)
{
    if (!type) return 0;
    for (size_t i = 0; i < sizeof project_kinds / sizeof project_kinds[0]; i++)
        if (strcmp(type, project_kinds[i]) == 0) return 1;
    return 0;
}

int capture_excluded(const capture_ctx *c)
{
    optout_ignore *ig = optout_ignore_load(c->dir, c->home);
    if (!ig) return 0;
    char cwd[4096];
    const char *dir = c->dir && *c->dir ? c->dir : getcwd(cwd, sizeof cwd);
    int ex = dir && optout_ignored(ig, dir);
    optout_ignore_free(ig);
    return ex;
}

/* Adds one hook snapshot; its id goes to id_out (37 bytes) when not NULL. */
static int store_snapshot(mem0 *m, const capture_ctx *c, const char *text, const char *role,
                          cJSON *metadata, char *id_out, mem0_err *err)
{
    char expires[11];
    date_today_plus(c->retention_days > 0 ? c->retention_days : 90, expires);
    cJSON *messages = cJSON_CreateArray();
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddItemToArray(messages, msg);
    cJSON_AddStringToObject(msg, "role", role);
    cJSON_AddStringToObject(msg, "content", text);
    mem0_add_req req = {0};
    req.text = text;
    req.messages = messages;
    req.scope.user_id = c->user_id;
    req.scope.app_id = c->project && *c->project ? c->project : NULL;
    req.metadata = metadata;
    req.infer = 0;
    req.expiration_date = expires;
    req.actor = c->actor ? c->actor : "hook";
    cJSON *res = NULL;
    int rc = mem0_add(m, &req, &res, err);
    if (rc == 0 && id_out) {
        const cJSON *first =
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "results"), 0);
        const char *id = record_str(first, "id");
        snprintf(id_out, UUID_STR_LEN + 1, "%s", id ? id : "");
    }
    cJSON_Delete(res);
    cJSON_Delete(messages);
    return rc;
}

static cJSON *snapshot_metadata(const char *type, const char *source, const char *session_id)
{
    cJSON *md = cJSON_CreateObject();
    cJSON_AddStringToObject(md, "type", type);
    cJSON_AddStringToObject(md, "source", source);
    cJSON_AddStringToObject(md, "session_id", session_id);
    return md;
}

static int blank(const char *s)
{
    if (!s) return 1;
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

static int capture_compact_clean(mem0 *m, const capture_ctx *c, const char *summary,
                                 const char *source, int *stored, char *id, mem0_err *err);

int capture_compact(mem0 *m, const capture_ctx *c, const char *summary, const char *source,
                    int *stored, char *id_out, mem0_err *err)
{
    char id[UUID_STR_LEN + 1] = "";
    *stored = 0;
    if (id_out) id_out[0] = '\0';
    /* PostCompact and the transcript carry the summary in different wrappings. */
    char *clean = summary ? transcript_summary_text(summary) : NULL;
    if (summary && !clean) return err_set(err, MEM0_ENOMEM, "out of memory");
    int rc = capture_compact_clean(m, c, clean, source, stored, id, err);
    free(clean);
    if (id_out) snprintf(id_out, UUID_STR_LEN + 1, "%s", id);
    return rc;
}

static int capture_compact_clean(mem0 *m, const capture_ctx *c, const char *summary,
                                 const char *source, int *stored, char *id, mem0_err *err)
{
    session *s = NULL;
    if (blank(summary)) return 0;
    if (!c->session_id || !*c->session_id) return err_set(err, MEM0_EINVAL, "no session id");
    /* Held from the check to the mark, so two paths cannot both store. */
    int lock = session_lock_purpose(c->home, c->session_id, "compact", err);
    if (lock < 0) return lock;
    int rc = session_open(c->home, c->session_id, &s, err);
    if (rc) goto out;
    int seen = session_compact_seen(s, summary);
    session_close(s);
    s = NULL;
    if (seen) goto out;

    cJSON *md = snapshot_metadata("compact_summary", source, c->session_id);
    rc = md ? store_snapshot(m, c, summary, "assistant", md, id, err)
            : err_set(err, MEM0_ENOMEM, "out of memory");
    cJSON_Delete(md);
    if (rc) goto out;
    *stored = 1;
    if ((rc = session_open(c->home, c->session_id, &s, err)) == 0) {
        session_compact_mark(s, summary, id);
        rc = session_save(s, err);
    }
out:
    session_close(s);
    session_unlock(lock);
    return rc;
}

/* ---- Session state ---------------------------------------------------------------------- */

/* Removes files[i] of the snapshot. */
static void drop_file(transcript_snapshot *s, int i)
{
    free(s->files[i]);
    memmove(s->files + i, s->files + i + 1, (size_t)(s->n_files - i - 1) * sizeof *s->files);
    s->n_files--;
}

int capture_session_state(mem0 *m, const capture_ctx *c, transcript_snapshot *s, int *stored,
                          char *id_out, long *pruned, mem0_err *err)
{
    *stored = 0;
    if (pruned) *pruned = 0;
    if (id_out) id_out[0] = '\0';
    optout_ignore *ig = optout_ignore_load(c->dir, c->home);
    for (int i = s->n_files - 1; i >= 0; i--)
        if (optout_ignored(ig, s->files[i])) drop_file(s, i);
    optout_ignore_free(ig);
    if (!transcript_snapshot_worth(s)) return 0;

    char *text = transcript_snapshot_markdown(s, "pre-compaction");
    cJSON *md = snapshot_metadata("session_state", "pre-compaction", c->session_id);
    cJSON *files = md ? cJSON_AddArrayToObject(md, "files_touched") : NULL;
    /* The most recent files, which are the last ones of the list. */
    int from = s->n_files > FILES_TOUCHED_MAX ? s->n_files - FILES_TOUCHED_MAX : 0;
    for (int i = from; files && i < s->n_files; i++)
        cJSON_AddItemToArray(files, cJSON_CreateString(s->files[i]));
    int rc = text && files ? store_snapshot(m, c, text, "assistant", md, id_out, err)
                           : err_set(err, MEM0_ENOMEM, "out of memory");
    cJSON_Delete(md);
    free(text);
    if (rc) return rc;
    *stored = 1;
    return capture_prune_snapshots(m, c, CAPTURE_KEEP_SNAPSHOTS, pruned, err);
}

typedef struct prune_ctx {
    const char *user, *project;
    int keep, seen;
    uint8_t (*ids)[16];
    size_t n, cap;
    int oom;
} prune_ctx;

static int prune_visit(cJSON *rec, void *vctx, int *keep)
{
    prune_ctx *p = vctx;
    (void)keep;
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(rec, "metadata");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(md, "type");
    const char *uid = record_str(rec, "user_id"), *app = record_str(rec, "app_id");
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "session_state") != 0) return 0;
    if (!uid || strcmp(uid, p->user) != 0) return 0;
    if (p->project ? !app || strcmp(app, p->project) != 0 : app != NULL) return 0;
    if (p->seen++ < p->keep) return 0; /* newest first: these stay */
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 16;
        uint8_t(*nids)[16] = realloc(p->ids, ncap * sizeof *nids);
        if (!nids) {
            p->oom = 1;
            return 1;
        }
        p->ids = nids;
        p->cap = ncap;
    }
    if (uuid_parse(record_str(rec, "id"), p->ids[p->n]) == 0) p->n++;
    return 0;
}

static int prune_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    prune_ctx *p = vctx;
    p->n = 0;
    p->seen = 0;
    int rc = memory_scan(txn, db, p->project ? 'p' : 'u', p->project ? p->project : p->user,
                         prune_visit, p, err);
    if (rc == 0 && p->oom) rc = err_set(err, MEM0_ENOMEM, "out of memory");
    return rc;
}

int capture_prune_snapshots(mem0 *m, const capture_ctx *c, int keep, long *deleted, mem0_err *err)
{
    prune_ctx p = {0};
    p.user = c->user_id && *c->user_id ? c->user_id : m->user;
    p.project = c->project && *c->project ? c->project : NULL;
    p.keep = keep < 0 ? 0 : keep;
    if (deleted) *deleted = 0;
    int rc = store_read(m->st, prune_txn, &p, err);
    for (size_t i = 0; rc == 0 && i < p.n; i++) {
        char id[UUID_STR_LEN + 1];
        cJSON *res = NULL;
        uuid_format(p.ids[i], id);
        rc = mem0_delete(m, id, c->actor ? c->actor : "hook", &res, err);
        cJSON_Delete(res);
        if (rc == MEM0_ENOTFOUND)
            rc = 0; /* another hook got there first */
        else if (rc == 0 && deleted)
            (*deleted)++;
    }
    free(p.ids);
    return rc;
}

/* ---- The agent's add_memory ------------------------------------------------------------- */

static const char *metadata_type(const cJSON *metadata)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(metadata, "type");
    return cJSON_IsString(t) ? t->valuestring : NULL;
}

cJSON *capture_add_metadata(const cJSON *tool_input, const char *session_id, const char *project)
{
    if (!cJSON_IsObject(tool_input)) return NULL;
    cJSON *out = cJSON_Duplicate(tool_input, 1);
    if (!out) return NULL;
    int changed = 0;
    cJSON *md = cJSON_GetObjectItemCaseSensitive(out, "metadata");
    cJSON *parsed = NULL;
    const char *type = NULL;
    if (!md || cJSON_IsNull(md)) {
        if (session_id && *session_id) {
            cJSON *nmd = cJSON_CreateObject();
            cJSON_AddStringToObject(nmd, "session_id", session_id);
            if (md)
                cJSON_ReplaceItemInObjectCaseSensitive(out, "metadata", nmd);
            else
                cJSON_AddItemToObject(out, "metadata", nmd);
            changed = 1;
        }
    } else if (cJSON_IsObject(md)) {
        type = metadata_type(md);
        if (session_id && *session_id && !cJSON_GetObjectItemCaseSensitive(md, "session_id")) {
            cJSON_AddStringToObject(md, "session_id", session_id);
            changed = 1;
        }
    } else if (cJSON_IsString(md)) {
        /* Metadata sent as JSON text stays as written; its type still decides app_id. */
        parsed = cJSON_Parse(md->valuestring);
        type = metadata_type(parsed);
    }
    const cJSON *app = cJSON_GetObjectItemCaseSensitive(out, "app_id");
    int no_app = !app || cJSON_IsNull(app) || (cJSON_IsString(app) && !*app->valuestring);
    if (no_app && project && *project && capture_is_project_kind(type)) {
        if (app)
            cJSON_ReplaceItemInObjectCaseSensitive(out, "app_id", cJSON_CreateString(project));
        else
            cJSON_AddStringToObject(out, "app_id", project);
        changed = 1;
    }
    cJSON_Delete(parsed);
    if (!changed) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}
