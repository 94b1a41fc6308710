/* tools.c: the nine Mem0 memory tools: schemas, argument checks, result shaping (see tools.h). */
#include "tools.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define ACTOR "mcp"
#define TRUNC_NOTE_FMT " \xe2\x80\xa6 [truncated; get_memory %s for the full text]"
/* Room kept for the "truncated"/"note" members added to a cut result. */
#define NOTE_RESERVE 400

typedef enum arg_type { T_STRING, T_INT, T_NUMBER, T_BOOL, T_OBJECT, T_ARRAY, T_MESSAGES } arg_type;

typedef struct arg_spec {
    const char *name;
    arg_type type;
    int required;
    int min;           /* T_INT: smallest accepted value */
    const char *extra; /* JSON object whose members are added to the property's schema */
    const char *description;
} arg_spec;

typedef int (*tool_fn)(const tools_ctx *ctx, const cJSON *args, cJSON **out, mem0_err *err);

typedef struct tool_spec {
    const char *name, *title, *description;
    const arg_spec *args;
    int read_only, destructive, idempotent;
    tool_fn run;
} tool_spec;

/* ---- Argument access (after check_args) ----------------------------------------------- */

/* The argument, or NULL when absent or JSON null. */
static const cJSON *arg(const cJSON *args, const char *name)
{
    const cJSON *it = args ? cJSON_GetObjectItemCaseSensitive(args, name) : NULL;
    return it && !cJSON_IsNull(it) ? it : NULL;
}

/* A string argument, NULL when absent, null or "". */
static const char *arg_str(const cJSON *args, const char *name)
{
    const cJSON *it = arg(args, name);
    return it && it->valuestring[0] ? it->valuestring : NULL;
}

static int arg_int(const cJSON *args, const char *name, int dflt)
{
    const cJSON *it = arg(args, name);
    return it ? (int)it->valuedouble : dflt;
}

static int arg_bool(const cJSON *args, const char *name, int dflt)
{
    const cJSON *it = arg(args, name);
    return it ? cJSON_IsTrue(it) : dflt;
}

static const char *json_type_name(const cJSON *it)
{
    if (cJSON_IsString(it)) return "string";
    if (cJSON_IsNumber(it)) return "number";
    if (cJSON_IsBool(it)) return "boolean";
    if (cJSON_IsArray(it)) return "array";
    if (cJSON_IsObject(it)) return "object";
    return "null";
}

static const char *type_name(arg_type t)
{
    static const char *const names[] = {"a string",  "an integer", "a number", "a boolean",
                                        "an object", "an array",   "an array"};
    return names[t];
}

static int is_message_list(const cJSON *it)
{
    const cJSON *m;
    if (!cJSON_IsArray(it)) return 0;
    cJSON_ArrayForEach(m, it)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        if (!cJSON_IsObject(m) || !cJSON_IsString(content) || (role && !cJSON_IsString(role)))
            return 0;
    }
    return 1;
}

static int type_ok(arg_type t, const cJSON *it)
{
    switch (t) {
    case T_STRING:
        return cJSON_IsString(it);
    case T_INT:
        return cJSON_IsNumber(it) && isfinite(it->valuedouble) &&
               floor(it->valuedouble) == it->valuedouble && fabs(it->valuedouble) < 1e9;
    case T_NUMBER:
        return cJSON_IsNumber(it) && isfinite(it->valuedouble);
    case T_BOOL:
        return cJSON_IsBool(it);
    case T_OBJECT:
        return cJSON_IsObject(it);
    case T_ARRAY:
        return cJSON_IsArray(it);
    case T_MESSAGES:
        return is_message_list(it);
    }
    return 0;
}

/* 0 if args fit the tool's schema; else -1 with msg naming the argument.  Unknown
 * arguments are accepted silently (clients vary) and null stands for "not given". */
static int check_args(const tool_spec *t, const cJSON *args, char *msg, size_t msglen)
{
    for (const arg_spec *a = t->args; a->name; a++) {
        const cJSON *it = arg(args, a->name);
        if (!it) {
            if (!a->required) continue;
            snprintf(msg, msglen, "Invalid params for %s: missing required argument \"%s\"",
                     t->name, a->name);
            return -1;
        }
        if (!type_ok(a->type, it)) {
            if (a->type == T_MESSAGES && cJSON_IsArray(it))
                snprintf(msg, msglen,
                         "Invalid params for %s: argument \"%s\" must be an array of "
                         "{\"role\": string, \"content\": string} objects",
                         t->name, a->name);
            else
                snprintf(msg, msglen, "Invalid params for %s: argument \"%s\" must be %s, got %s",
                         t->name, a->name, type_name(a->type), json_type_name(it));
            return -1;
        }
        if (a->type == T_INT && it->valuedouble < a->min) {
            snprintf(msg, msglen, "Invalid params for %s: argument \"%s\" must be at least %d",
                     t->name, a->name, a->min);
            return -1;
        }
    }
    return 0;
}

/* ---- Result shaping ------------------------------------------------------------------ */

/* {"error": msg, "status": null, "payload": null}, Mem0's shape for a caught error. */
static cJSON *domain_error(const char *error, const char *detail)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "error", error);
    if (detail) cJSON_AddStringToObject(o, "detail", detail);
    cJSON_AddNullToObject(o, "status");
    cJSON_AddNullToObject(o, "payload");
    return o;
}

/* Cuts mem["memory"] to at most max bytes (on a character boundary) plus a note. */
static void clip_text(cJSON *mem, size_t max)
{
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(mem, "memory");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(mem, "id");
    if (!cJSON_IsString(text) || strlen(text->valuestring) <= max) return;
    strbuf sb = {0};
    sb_add(&sb, text->valuestring, utf8_clip(text->valuestring, max));
    sb_addf(&sb, TRUNC_NOTE_FMT, cJSON_IsString(id) ? id->valuestring : "<id>");
    if (!sb.oom && sb.buf) {
        cJSON *repl = cJSON_CreateString(sb.buf);
        if (repl) cJSON_ReplaceItemInObjectCaseSensitive(mem, "memory", repl);
    }
    sb_free(&sb);
}

static size_t printed_len(const cJSON *it)
{
    char *s = cJSON_PrintUnformatted(it);
    size_t n = s ? strlen(s) : 0;
    cJSON_free(s);
    return n;
}

/* Renders payload as compact JSON within TOOLS_OUTPUT_BUDGET: memory texts in "results"
 * are cut to TOOLS_LIST_TEXT_MAX, then trailing results dropped with a note telling the
 * model which argument (`hint`, may be NULL) to lower.  Returns text to cJSON_free, or
 * NULL. */
static char *render_fitted(cJSON *payload, const char *hint)
{
    cJSON *results = cJSON_GetObjectItemCaseSensitive(payload, "results");
    cJSON *item;
    if (cJSON_IsArray(results)) {
        cJSON_ArrayForEach(item, results)
        {
            clip_text(item, TOOLS_LIST_TEXT_MAX);
        }
    }
    char *text = cJSON_PrintUnformatted(payload);
    if (!text || strlen(text) <= TOOLS_OUTPUT_BUDGET || !cJSON_IsArray(results)) return text;

    size_t total = strlen(text);
    int before = cJSON_GetArraySize(results), kept = before;
    cJSON_free(text);
    while (kept > 0 && total + NOTE_RESERVE > TOOLS_OUTPUT_BUDGET) {
        total -= printed_len(cJSON_GetArrayItem(results, kept - 1)) + 1;
        cJSON_DeleteItemFromArray(results, kept - 1);
        kept--;
    }
    char note[NOTE_RESERVE - 50];
    if (hint)
        snprintf(note, sizeof note,
                 "Output budget reached: %d of %d results shown. Call again with %s %d or "
                 "less, or narrower filters, to see the rest; get_memory <id> returns one "
                 "memory in full.",
                 kept, before, hint, kept > 1 ? kept : 1);
    else
        snprintf(note, sizeof note, "Output budget reached: %d of %d results shown.", kept, before);
    cJSON_AddTrueToObject(payload, "truncated");
    cJSON_AddStringToObject(payload, "note", note);
    return cJSON_PrintUnformatted(payload);
}

/* {"content":[{"type":"text","text":text}]} (+ "isError": true). */
static cJSON *call_result(const char *text, int is_error)
{
    cJSON *res = cJSON_CreateObject();
    cJSON *content = cJSON_AddArrayToObject(res, "content");
    cJSON *block = cJSON_CreateObject();
    if (!res || !content || !block || !cJSON_AddItemToArray(content, block) ||
        !cJSON_AddStringToObject(block, "type", "text") ||
        !cJSON_AddStringToObject(block, "text", text) ||
        (is_error && !cJSON_AddTrueToObject(res, "isError"))) {
        if (block && !cJSON_GetArraySize(content)) cJSON_Delete(block);
        cJSON_Delete(res);
        return NULL;
    }
    return res;
}

static cJSON *payload_result(cJSON *payload, const char *hint)
{
    char *text = render_fitted(payload, hint);
    cJSON *res = text ? call_result(text, 0) : NULL;
    cJSON_free(text);
    return res;
}

static cJSON *failure_result(const char *what, const char *why)
{
    char text[700];
    snprintf(text, sizeof text, "%s: %s", what, why);
    return call_result(text, 1);
}

/* ---- The tools ---------------------------------------------------------------------- */

static mem0_scope scope_of(const cJSON *a)
{
    mem0_scope s = {arg_str(a, "user_id"), arg_str(a, "agent_id"), arg_str(a, "app_id"),
                    arg_str(a, "run_id")};
    return s;
}

static int run_add(const tools_ctx *ctx, const cJSON *a, cJSON **out, mem0_err *err)
{
    const cJSON *messages = arg(a, "messages");
    mem0_add_req req = {0};
    if (messages && cJSON_GetArraySize(messages) == 0) messages = NULL;
    req.text = arg_str(a, "text");
    req.messages = messages;
    if (!req.text && !req.messages) return MEM0_EMESSAGES_MISSING;
    req.scope = scope_of(a);
    req.metadata = arg(a, "metadata");
    req.infer = arg_bool(a, "infer", 1);
    req.expiration_date = arg_str(a, "expiration_date");
    req.actor = ACTOR;
    return mem0_add(ctx->store, &req, out, err);
}

static int clamp_page(int v)
{
    return v > TOOLS_MAX_PAGE ? TOOLS_MAX_PAGE : v;
}

static int run_search(const tools_ctx *ctx, const cJSON *a, cJSON **out, mem0_err *err)
{
    mem0_search_req req = {0};
    const cJSON *threshold = arg(a, "threshold");
    req.query = arg(a, "query")->valuestring;
    req.filters = arg(a, "filters");
    req.default_user = ctx->user_id;
    req.top_k = clamp_page(arg_int(a, "top_k", arg_int(a, "limit", 10)));
    req.threshold = threshold ? threshold->valuedouble : -1.0;
    req.show_expired = arg_bool(a, "show_expired", 0);
    req.explain = arg_bool(a, "explain", 0);
    return mem0_search(ctx->store, &req, out, err);
}

static int run_list(const tools_ctx *ctx, const cJSON *a, cJSON **out, mem0_err *err)
{
    mem0_list_req req = {0};
    req.filters = arg(a, "filters");
    req.default_user = ctx->user_id;
    req.page = arg_int(a, "page", 1);
    req.page_size = clamp_page(arg_int(a, "page_size", 10));
    req.show_expired = arg_bool(a, "show_expired", 0);
    return mem0_list(ctx->store, &req, out, err);
}

static int run_get(const tools_ctx *ctx, const cJSON *a, cJSON **out, mem0_err *err)
{
    int rc = mem0_get(ctx->store, arg(a, "memory_id")->valuestring, out, err);
    if (rc == 0) clip_text(*out, TOOLS_GET_TEXT_MAX);
    return rc;
}

static int run_update(const tools_ctx *ctx, const cJSON *a, cJSON **out, mem0_err *err)
{
    /* expiration_date given as null (or "") clears it; absent keeps it. */
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(a, "expiration_date");
    mem0_update_req req = {0};
    req.memory_id = arg(a, "memory_id")->valuestring;
    req.text = arg(a, "text") ? arg(a, "text")->valuestring : NULL;
    req.metadata = arg(a, "metadata");
    req.expiration_date = !exp ? NULL : cJSON_IsString(exp) ? exp->valuestring : "";
    req.actor = ACTOR;
    if (!req.text && !req.metadata && !req.expiration_date)
        return err_set(err, MEM0_EINVAL,
                       "Nothing to update: provide text, metadata, or expiration_date.");
    int rc = mem0_update(ctx->store, &req, out, err);
    if (rc == 0) clip_text(*out, TOOLS_GET_TEXT_MAX);
    return rc;
}

static int run_delete(const tools_ctx *ctx, const cJSON *a, cJSON **out, mem0_err *err)
{
    return mem0_delete(ctx->store, arg(a, "memory_id")->valuestring, ACTOR, out, err);
}

static int scope_empty(const mem0_scope *s)
{
    return !s->user_id && !s->agent_id && !s->app_id && !s->run_id;
}

static int run_delete_all(const tools_ctx *ctx, const cJSON *a, cJSON **out, mem0_err *err)
{
    mem0_scope s = scope_of(a);
    if (scope_empty(&s)) s.user_id = ctx->user_id;
    return mem0_delete_all(ctx->store, &s, ACTOR, out, err);
}

static int run_delete_entities(const tools_ctx *ctx, const cJSON *a, cJSON **out, mem0_err *err)
{
    mem0_scope s = scope_of(a);
    if (scope_empty(&s)) return MEM0_ESCOPE_MISSING;
    return mem0_delete_entity(ctx->store, &s, ACTOR, out, err);
}

static int run_list_entities(const tools_ctx *ctx, const cJSON *a, cJSON **out, mem0_err *err)
{
    (void)a;
    return mem0_list_entities(ctx->store, ctx->user_id, out, err);
}

/* ---- Definitions -------------------------------------------------------------------- */

#define SCOPE_ARGS(verb)                                                                           \
    {"user_id", T_STRING, 0, 0, NULL, "User id " verb "."},                                        \
        {"agent_id", T_STRING, 0, 0, NULL, "Agent id " verb "."},                                  \
        {"app_id", T_STRING, 0, 0, NULL, "App id " verb " (the project)."},                        \
    {                                                                                              \
        "run_id", T_STRING, 0, 0, NULL, "Run (session) id " verb "."                               \
    }

#define FILTERS_DESC                                                                               \
    "Mem0 v2 filter, e.g. {\"AND\":[{\"user_id\":\"alice\"},{\"metadata\":{\"type\":"              \
    "\"decision\"}}]}. AND/OR take arrays, NOT an object or array; operators eq, ne, in, "         \
    "gt, gte, lt, lte, contains, icontains, \"*\". The local user is added unless every "          \
    "branch pins a user_id."

static const arg_spec add_args[] = {
    {"text", T_STRING, 0, 0, NULL,
     "The fact, decision or preference to store (one idea per memory). Required unless "
     "messages is given."},
    {"messages", T_MESSAGES, 0, 0,
     "{\"items\":{\"type\":\"object\",\"properties\":{\"role\":{\"type\":\"string\"},"
     "\"content\":{\"type\":\"string\"}},\"required\":[\"role\",\"content\"]}}",
     "Conversation turns [{role, content}] to store instead of text; system turns are "
     "skipped."},
    SCOPE_ARGS("to store under; user_id defaults to the local user"),
    {"metadata", T_OBJECT, 0, 0, NULL,
     "Free-form object, e.g. {\"type\":\"decision\"}; types: decision, task_learning, "
     "anti_pattern, user_preference, environmental, convention."},
    {"infer", T_BOOL, 0, 0, "{\"default\":true}",
     "true: skip an exact duplicate in the same scope; false: store verbatim, every time "
     "(use for structured text)."},
    {"expiration_date", T_STRING, 0, 0, "{\"format\":\"date\"}",
     "YYYY-MM-DD; the memory is hidden once that UTC day has passed (for session "
     "snapshots)."},
    {"enable_graph", T_BOOL, 0, 0, NULL, "Accepted for compatibility; ignored."},
    {NULL, T_STRING, 0, 0, NULL, NULL}};

static const arg_spec search_args[] = {
    {"query", T_STRING, 1, 0, NULL,
     "What to look for: a short noun phrase (\"database migration decision\")."},
    {"filters", T_OBJECT, 0, 0, NULL, FILTERS_DESC},
    {"top_k", T_INT, 0, 1, "{\"default\":10,\"minimum\":1,\"maximum\":100}",
     "How many results at most (default 10, max 100)."},
    {"limit", T_INT, 0, 1, "{\"minimum\":1,\"maximum\":100}", "Alias of top_k."},
    {"threshold", T_NUMBER, 0, 0, "{\"minimum\":0,\"maximum\":1}",
     "Keep only results with score >= threshold (scores are in 0..1)."},
    {"rerank", T_BOOL, 0, 0, NULL, "Accepted for compatibility; ignored."},
    {"show_expired", T_BOOL, 0, 0, "{\"default\":false}", "Include expired memories."},
    {"enable_graph", T_BOOL, 0, 0, NULL, "Accepted for compatibility; ignored."},
    {"fields", T_ARRAY, 0, 0, "{\"items\":{\"type\":\"string\"}}",
     "Accepted for compatibility; ignored."},
    {"explain", T_BOOL, 0, 0, "{\"default\":false}",
     "Add score_details to each result (how the score was made)."},
    {NULL, T_STRING, 0, 0, NULL, NULL}};

static const arg_spec list_args[] = {
    {"filters", T_OBJECT, 0, 0, NULL, FILTERS_DESC},
    {"page", T_INT, 0, 1, "{\"default\":1,\"minimum\":1}", "Page number, 1-indexed."},
    {"page_size", T_INT, 0, 1, "{\"default\":10,\"minimum\":1,\"maximum\":100}",
     "Memories per page (default 10, max 100)."},
    {"show_expired", T_BOOL, 0, 0, "{\"default\":false}", "Include expired memories."},
    {"enable_graph", T_BOOL, 0, 0, NULL, "Accepted for compatibility; ignored."},
    {NULL, T_STRING, 0, 0, NULL, NULL}};

static const arg_spec id_args[] = {{"memory_id", T_STRING, 1, 0, NULL, "The memory's id (UUID)."},
                                   {NULL, T_STRING, 0, 0, NULL, NULL}};

static const arg_spec update_args[] = {
    {"memory_id", T_STRING, 1, 0, NULL, "The memory's id (UUID)."},
    {"text", T_STRING, 0, 0, NULL, "The new text; omit to keep the current one."},
    {"metadata", T_OBJECT, 0, 0, NULL, "Replaces the metadata object; omit to keep it."},
    {"expiration_date", T_STRING, 0, 0, NULL,
     "YYYY-MM-DD; null or \"\" removes the expiration; omit to keep it."},
    {NULL, T_STRING, 0, 0, NULL, NULL}};

static const arg_spec delete_all_args[] = {
    SCOPE_ARGS("whose memories are deleted; with no id at all, the local user"),
    {NULL, T_STRING, 0, 0, NULL, NULL}};

static const arg_spec delete_entities_args[] = {SCOPE_ARGS("to remove"),
                                                {NULL, T_STRING, 0, 0, NULL, NULL}};

static const arg_spec no_args[] = {{NULL, T_STRING, 0, 0, NULL, NULL}};

static const tool_spec tools[] = {
    {"add_memory", "Add memory",
     "Store a new preference, fact, or conversation snippet. user_id defaults to the local "
     "user; pass app_id (the project) and metadata {\"type\": decision | task_learning | "
     "anti_pattern | user_preference | environmental | convention} so it can be found "
     "later. Give text, or messages [{role, content}]. infer=false stores verbatim, every "
     "time (use it for structured text); infer=true (default) skips an exact duplicate in "
     "the same scope and names the existing id. expiration_date (YYYY-MM-DD) is for "
     "session snapshots, not durable learnings. Secrets are redacted and "
     "<private>...</private> spans dropped before anything is stored.",
     add_args, 0, 0, 0, run_add},
    {"search_memories", "Search memories",
     "Run a semantic search over existing memories, best first, each with a score in 0..1. "
     "Use a short noun-phrase query and filters such as {\"AND\":[{\"user_id\":\"<user>\"},"
     "{\"app_id\":\"<project>\"},{\"metadata\":{\"type\":\"decision\"}}]}; fields: user_id, "
     "agent_id, app_id, run_id, created_at, updated_at, expiration_date, categories, "
     "metadata (top-level keys), memory_ids, keywords; e.g. {\"created_at\":{\"gte\":"
     "\"2026-01-01\"}} for recent state. user_id is automatically added to filters if not "
     "provided. top_k (alias limit) defaults to 10; threshold keeps score >= threshold; "
     "expired memories are hidden unless show_expired. Texts over 2,000 bytes are cut: "
     "get_memory returns the full text.",
     search_args, 1, 0, 1, run_search},
    {"get_memories", "List memories",
     "Page through memories using filters instead of search, newest first. Same filter "
     "language as search_memories; user_id is automatically added to filters if not "
     "provided. Pagination: use page (1-indexed) and page_size (default 10, max 100); the "
     "result carries count, next and previous. Expired memories are hidden unless "
     "show_expired.",
     list_args, 1, 0, 1, run_list},
    {"get_memory", "Get memory",
     "Fetch a single memory once you know its memory_id, with its full text (expired "
     "memories included).",
     id_args, 1, 0, 1, run_get},
    {"update_memory", "Update memory",
     "Overwrite an existing memory's text, and/or replace its metadata or expiration_date "
     "(null or \"\" clears it). The previous text stays in the memory's history.",
     update_args, 0, 0, 1, run_update},
    {"delete_memory", "Delete memory",
     "Delete one memory after the user confirms its memory_id. It goes to the trash and "
     "`mem0-mcp restore` can bring it back.",
     id_args, 0, 1, 1, run_delete},
    {"delete_all_memories", "Delete all memories",
     "Delete every memory in the given user/agent/app/run but keep the entity. With no id "
     "at all, the local user's memories are deleted. Deleted memories go to the trash.",
     delete_all_args, 0, 1, 1, run_delete_all},
    {"delete_entities", "Delete entity",
     "Remove a user/agent/app/run record entirely (and cascade-delete its memories). One "
     "entity per call, priority user_id > agent_id > app_id > run_id; at least one id is "
     "required.",
     delete_entities_args, 0, 1, 1, run_delete_entities},
    {"list_entities", "List entities",
     "List which users/agents/apps/runs currently hold memories, with their memory counts.",
     no_args, 1, 0, 1, run_list_entities},
};

#define N_TOOLS (sizeof tools / sizeof tools[0])

static const char *schema_type(arg_type t)
{
    static const char *const names[] = {"string", "integer", "number", "boolean",
                                        "object", "array",   "array"};
    return names[t];
}

static cJSON *tool_json(const tool_spec *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *schema = cJSON_AddObjectToObject(o, "inputSchema");
    cJSON *props = cJSON_AddObjectToObject(schema, "properties");
    cJSON *required = cJSON_CreateArray();
    cJSON *ann = cJSON_CreateObject();
    if (!o || !schema || !props || !required || !ann) goto fail;
    cJSON_AddStringToObject(o, "name", t->name);
    cJSON_AddStringToObject(o, "title", t->title);
    cJSON_AddStringToObject(o, "description", t->description);
    cJSON_AddStringToObject(schema, "type", "object");
    for (const arg_spec *a = t->args; a->name; a++) {
        cJSON *p = cJSON_AddObjectToObject(props, a->name);
        if (!p) goto fail;
        cJSON_AddStringToObject(p, "type", schema_type(a->type));
        cJSON_AddStringToObject(p, "description", a->description);
        if (a->extra) {
            cJSON *extra = cJSON_Parse(a->extra);
            while (extra && extra->child) {
                cJSON *member = cJSON_DetachItemViaPointer(extra, extra->child);
                cJSON_AddItemToObject(p, member->string, member);
            }
            cJSON_Delete(extra);
        }
        if (a->required) cJSON_AddItemToArray(required, cJSON_CreateString(a->name));
    }
    if (cJSON_GetArraySize(required) > 0) {
        cJSON_AddItemToObject(schema, "required", required);
        required = NULL;
    }
    cJSON_AddStringToObject(ann, "title", t->title);
    cJSON_AddBoolToObject(ann, "readOnlyHint", t->read_only);
    if (!t->read_only) cJSON_AddBoolToObject(ann, "destructiveHint", t->destructive);
    cJSON_AddBoolToObject(ann, "idempotentHint", t->idempotent);
    cJSON_AddFalseToObject(ann, "openWorldHint");
    cJSON_AddItemToObject(o, "annotations", ann);
    cJSON_Delete(required);
    return o;
fail:
    cJSON_Delete(required);
    cJSON_Delete(ann);
    cJSON_Delete(o);
    return NULL;
}

cJSON *tools_list(void)
{
    cJSON *res = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(res, "tools");
    if (!list) {
        cJSON_Delete(res);
        return NULL;
    }
    for (size_t i = 0; i < N_TOOLS; i++) {
        cJSON *t = tool_json(&tools[i]);
        if (!t) {
            cJSON_Delete(res);
            return NULL;
        }
        cJSON_AddItemToArray(list, t);
    }
    return res;
}

/* ---- Dispatch ----------------------------------------------------------------------- */

/* Turns a tool's status and payload (taken) into a CallToolResult. */
static cJSON *shape(const tool_spec *t, int rc, cJSON *payload, const mem0_err *err,
                    const char **outcome)
{
    cJSON *res = NULL, *derr = NULL;
    const char *why = err->msg[0] ? err->msg : mem0_strerror(rc);
    *outcome = "domain_error";
    switch (rc) {
    case MEM0_OK:
        *outcome = "ok";
        res = payload_result(payload, t->run == run_list     ? "page_size"
                                      : t->run == run_search ? "top_k"
                                                             : NULL);
        break;
    case MEM0_EMESSAGES_MISSING:
        derr = domain_error("messages_missing",
                            "Provide either `text` or `messages` so Mem0 knows what to store.");
        break;
    case MEM0_ESCOPE_MISSING:
        derr = domain_error(
            "scope_missing",
            "Provide user_id, agent_id, app_id, or run_id before calling delete_entities.");
        break;
    case MEM0_EINVAL:
    case MEM0_ENOTFOUND:
    case MEM0_EPERM:
        derr = domain_error(why, NULL);
        break;
    default:
        *outcome = "tool_error";
        res = failure_result(mem0_strerror(rc), why);
        break;
    }
    if (derr) {
        res = payload_result(derr, NULL);
        cJSON_Delete(derr);
    }
    cJSON_Delete(payload);
    return res;
}

int tools_call(const tools_ctx *ctx, const char *name, const cJSON *args, cJSON **result, char *msg,
               size_t msglen, const char **outcome)
{
    const tool_spec *t = NULL;
    *result = NULL;
    *outcome = "invalid_params";
    for (size_t i = 0; i < N_TOOLS && !t; i++)
        if (strcmp(tools[i].name, name) == 0) t = &tools[i];
    if (!t) {
        snprintf(msg, msglen, "Unknown tool: %.*s", (int)utf8_clip(name, 200), name);
        return -32602;
    }
    if (args && !cJSON_IsObject(args)) {
        snprintf(msg, msglen, "Invalid params for %s: arguments must be an object", t->name);
        return -32602;
    }
    if (check_args(t, args, msg, msglen) != 0) return -32602;

    if (!ctx->store) {
        *outcome = "tool_error";
        *result = failure_result("The memory store is not available", ctx->open_error);
    } else {
        mem0_err err = {0};
        cJSON *payload = NULL;
        int rc = t->run(ctx, args, &payload, &err);
        if (rc == 0 && !payload)
            rc = err_set(&err, MEM0_ENOMEM, "no result");
        else if (rc != 0) {
            cJSON_Delete(payload);
            payload = NULL;
        }
        *result = shape(t, rc, payload, &err, outcome);
    }
    if (!*result) {
        snprintf(msg, msglen, "Out of memory");
        *outcome = "tool_error";
        return -32603;
    }
    return 0;
}
