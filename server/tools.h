/*
 * tools.h: the nine Mem0 memory tools as MCP sees them.
 *
 * Owns the tool definitions (names, input schemas, descriptions, annotations), checking
 * `arguments` against those schemas, turning them into the request structs of mem0.h, and
 * shaping what comes back into a CallToolResult: one text item holding the compact JSON
 * result, cut to fit Claude Code's output budget (TOOLS_OUTPUT_BUDGET characters).
 *
 * Three kinds of failure, kept apart as the MCP contract wants:
 *   - unknown tool, argument of the wrong type, missing required argument: a JSON-RPC
 *     error (-32602) whose message names the tool or the argument;
 *   - the caller's mistakes the store reports (not found, bad filter, bad date,
 *     messages_missing, scope_missing): a normal result {"error":..,"status":null,
 *     "payload":null};
 *   - failures of the store itself (I/O, schema, out of memory, store not open): a result
 *     with isError: true and the reason as text.
 */
#ifndef MEM0_TOOLS_H
#define MEM0_TOOLS_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "mem0.h"

#define TOOLS_OUTPUT_BUDGET 40000 /* characters of result text */
#define TOOLS_LIST_TEXT_MAX 2000  /* bytes of one memory's text in search/list results */
#define TOOLS_GET_TEXT_MAX 36000  /* bytes of the text get_memory returns */
#define TOOLS_MAX_PAGE 100        /* top_k/limit and page_size are capped here */

typedef struct tools_ctx {
    mem0 *store;            /* NULL when the store could not be opened */
    const char *open_error; /* why, when store is NULL */
    const char *user_id;    /* the local user: the default scope of every tool */
} tools_ctx;

/* {"tools":[...]} for tools/list; NULL on allocation failure. */
cJSON *tools_list(void);

/* Runs tools/call `name` with `args` (an object, or NULL for none).  Returns 0 with
 * *result a CallToolResult (domain errors and isError results included), or a JSON-RPC
 * error code (-32602 bad tool/arguments, -32603 out of memory) with msg filled.
 * *outcome is set to a static word for the debug log: "ok", "domain_error", "tool_error",
 * "invalid_params". */
int tools_call(const tools_ctx *ctx, const char *name, const cJSON *args, cJSON **result, char *msg,
               size_t msglen, const char **outcome);

#endif
