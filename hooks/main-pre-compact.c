/*
 * mem0-pre-compact: PreCompact.
 *
 * Stores a session_state snapshot of the transcript's tail (what the user asked, files
 * written or edited, commands run, the last context), infer=false, expiring after
 * retention_session_days, and keeps only the project's newest 20 snapshots.  Prints
 * nothing.  Deadline 2 s.
 */
#include "capture.h"
#include "runtime.h"
#include "transcript.h"

int main(void)
{
    hook h;
    if (hook_start(&h, "mem0-pre-compact", "PreCompact", HOOK_DEADLINE_CAPTURE))
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
                      "hook:pre-compact"};
    if (capture_excluded(&cc)) return hook_finish(&h, 0, "excluded", NULL);

    transcript_snapshot snap;
    mem0_err err = {0};
    if (transcript_snapshot_read(hook_str(&h, "transcript_path"), &snap, &err))
        return hook_finish(&h, 0, "error", err.msg);
    if (!transcript_snapshot_worth(&snap)) {
        transcript_snapshot_free(&snap);
        return hook_finish(&h, 0, "skip", "nothing to snapshot");
    }
    mem0 *m = hook_open_store(&h);
    int stored = 0;
    long pruned = 0;
    char id[40];
    int rc = m ? capture_session_state(m, &cc, &snap, &stored, id, &pruned, &err) : -1;
    transcript_snapshot_free(&snap);
    if (!m) return hook_finish(&h, 0, "busy", NULL);
    if (rc) return hook_finish(&h, 0, "error", err.msg);
    char detail[96];
    snprintf(detail, sizeof detail, "%s pruned=%ld", stored ? id : "-", pruned);
    return hook_finish(&h, 0, stored ? "stored" : "skip", detail);
}
