/*
 * mem0-capture-compact: PostCompact.
 *
 * Stores the payload's compact_summary as a compact_summary memory (infer=false,
 * expiring after retention_session_days), exactly once per compaction: SessionStart
 * "compact" may have stored it first from the transcript.  Given a SessionStart payload,
 * or a PostCompact one without compact_summary, it reads the summary from the transcript.
 * Prints nothing.  Deadline 2 s.
 */
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "runtime.h"
#include "transcript.h"
#include "util.h"

int main(void)
{
    hook h;
    if (hook_start(&h, "mem0-capture-compact", "PostCompact", HOOK_DEADLINE_CAPTURE))
        return hook_finish(&h, 0, "bad-input", NULL);
    if (hook_opted_out(&h)) return hook_finish(&h, 0, "opted-out", NULL);
    if (!h.settings.auto_save) return hook_finish(&h, 0, "auto-save-off", NULL);
    const char *sid = hook_str(&h, "session_id");
    if (!sid || !*sid) return hook_finish(&h, 0, "bad-input", "no session_id");

    capture_ctx cc = {h.home,
                      hook_dir(&h),
                      NULL,
                      hook_project(&h),
                      sid,
                      h.settings.retention_session_days,
                      "hook:capture-compact"};
    if (capture_excluded(&cc)) return hook_finish(&h, 0, "excluded", NULL);

    const char *event = hook_str(&h, "hook_event_name");
    const char *given = hook_str(&h, "compact_summary");
    int post = !event || strcmp(event, "SessionStart") != 0;
    char *summary = NULL;
    mem0_err err = {0};
    if (post && given && *given) {
        summary = xstrdup(given); /* capture_compact reduces it to the summary itself */
    } else if (transcript_compact_summary(hook_str(&h, "transcript_path"), &summary, &err)) {
        return hook_finish(&h, 0, "error", err.msg);
    }
    if (!summary || !*summary) {
        free(summary);
        return hook_finish(&h, 0, "skip", "no summary");
    }
    mem0 *m = hook_open_store(&h);
    if (!m) {
        free(summary);
        return hook_finish(&h, 0, "busy", NULL);
    }
    int stored = 0;
    char id[40];
    int rc = capture_compact(m, &cc, summary, post ? "post-compact" : "session-start-compact",
                             &stored, id, &err);
    free(summary);
    if (rc) return hook_finish(&h, 0, "error", err.msg);
    return hook_finish(&h, 0, stored ? "stored" : "skip", stored ? id : "already captured");
}
