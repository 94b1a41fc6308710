/*
 * mem0-session-start: SessionStart (startup|resume|clear|compact).
 *
 * Prints the identity line, the search/store rubric and the most useful durable memories
 * as additionalContext.  On "compact" it first stores the compaction summary from the
 * transcript (the fallback of mem0-capture-compact; once per compaction) and opens with a
 * recovery note.  After the output is written it prunes old session files and runs the
 * expiry sweep for a few milliseconds (at most every 6 hours).  Deadline 500 ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "inject.h"
#include "runtime.h"
#include "session.h"
#include "transcript.h"

#define SWEEP_BUDGET_MS 20

/* The compaction summary from the transcript, stored unless PostCompact did already. */
static const char *capture_fallback(hook *h, mem0 *m)
{
    const char *transcript = hook_str(h, "transcript_path");
    const char *sid = hook_str(h, "session_id");
    char *summary = NULL;
    mem0_err err = {0};
    if (!m || !h->settings.auto_save || !sid || !transcript) return "capture skipped";
    capture_ctx cc = {h->home,
                      hook_dir(h),
                      NULL,
                      hook_project(h),
                      sid,
                      h->settings.retention_session_days,
                      "hook:session-start"};
    if (capture_excluded(&cc)) return "capture excluded";
    if (transcript_compact_summary(transcript, &summary, &err) != 0 || !summary)
        return summary ? "capture failed" : "no summary in transcript";
    int stored = 0;
    int rc = capture_compact(m, &cc, summary, "session-start-compact", &stored, NULL, &err);
    free(summary);
    return rc ? "capture failed" : stored ? "summary captured" : "summary already captured";
}

/* Remembers what went into the context, so prompts do not repeat it. */
static void record_injected(hook *h, const cJSON *ids, int fresh)
{
    const char *sid = hook_str(h, "session_id");
    session *s = NULL;
    if (!sid || session_open(h->home, sid, &s, NULL) != 0) return;
    if (fresh) session_injected_clear(s);
    const cJSON *id;
    cJSON_ArrayForEach(id, ids)
    {
        session_injected_add(s, id->valuestring);
    }
    session_save(s, NULL);
    session_close(s);
}

int main(void)
{
    hook h;
    char detail[256];
    if (hook_start(&h, "mem0-session-start", "SessionStart", HOOK_DEADLINE_SESSION_START))
        return hook_finish(&h, 0, "bad-input", NULL);
    if (hook_opted_out(&h)) return hook_finish(&h, 0, "opted-out", NULL);
    const char *source = hook_str(&h, "source");
    if (!source || !*source) source = "startup";
    int compact = strcmp(source, "compact") == 0;

    const char *captured = "";
    mem0 *m = compact ? hook_open_store(&h) : hook_open_store_ro(&h);
    if (compact) captured = capture_fallback(&h, m);

    inject_ctx ic = {
        NULL, hook_project(&h), hook_str(&h, "session_id"), source, h.settings.auto_search, 0, 0};
    cJSON *ids = cJSON_CreateArray();
    char *text = NULL;
    mem0_err err = {0};
    if (inject_session_start(m, &ic, &text, ids, &err) != 0) {
        cJSON_Delete(ids);
        return hook_finish(&h, 0, "error", err.msg);
    }
    hook_context(&h, "SessionStart", text);
    snprintf(detail, sizeof detail, "source=%s memories=%d chars=%zu%s%s", source,
             cJSON_GetArraySize(ids), strlen(text), *captured ? " " : "", captured);
    free(text);
    record_injected(&h, ids, strcmp(source, "resume") != 0);
    cJSON_Delete(ids);
    hook_flush(&h);

    /* Housekeeping now and then, after the output is out: a busy store only delays the
     * exit, and a sweep's durable commit is not paid on every start. */
    if (session_housekeeping_due(h.home, SESSION_HOUSEKEEPING_S)) {
        session_prune(h.home, SESSION_PRUNE_DAYS);
        mem0_sweep_stats st = {0};
        if ((m = hook_open_store(&h)) != NULL) mem0_sweep(m, SWEEP_BUDGET_MS, &st, NULL);
        size_t len = strlen(detail);
        snprintf(detail + len, sizeof detail - len, " swept=%ld",
                 st.purged_expired + st.purged_trash);
    }
    return hook_finish(&h, 0, "ok", detail);
}
