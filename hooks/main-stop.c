/*
 * mem0-stop: Stop.
 *
 * Reminds the model to store durable learnings, as {"decision":"block","reason":...},
 * only when the work since the last reminder changed files and stored nothing (remind.h);
 * never while stop_hook_active is true, never for a subagent.  Deadline 200 ms.
 */
#include "remind.h"
#include "runtime.h"

int main(void)
{
    hook h;
    if (hook_start(&h, "mem0-stop", "Stop", HOOK_DEADLINE_STOP))
        return hook_finish(&h, 0, "bad-input", NULL);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h.input, "stop_hook_active")))
        return hook_finish(&h, 0, "skip", "stop_hook_active");
    if (hook_str(&h, "agent_id")) return hook_finish(&h, 0, "skip", "subagent");
    if (hook_opted_out(&h)) return hook_finish(&h, 0, "opted-out", NULL);
    const char *sid = hook_str(&h, "session_id");
    const char *transcript = hook_str(&h, "transcript_path");
    if (!sid || !*sid || !transcript) return hook_finish(&h, 0, "bad-input", "no session");

    char reason[1024];
    mem0_err err = {0};
    int rc = remind_stop(h.home, sid, transcript, reason, sizeof reason, &err);
    if (rc < 0) return hook_finish(&h, 0, "error", err.msg);
    if (rc == 0) return hook_finish(&h, 0, "skip", "nothing to remind");
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "decision", "block");
    cJSON_AddStringToObject(out, "reason", reason);
    hook_output_json(&h, out);
    return hook_finish(&h, 0, "remind", NULL);
}
