/*
 * mem0-add-metadata: PreToolUse on add_memory (mcp__plugin_mem0_mem0__add_memory or
 * mcp__mem0__add_memory).
 *
 * Allows the call with updatedInput = the agent's input plus metadata.session_id and,
 * for project-kind memories without one, the project's app_id (capture.h).  Prints nothing
 * when there is nothing to add.  Deadline 200 ms.
 */
#include "capture.h"
#include "runtime.h"
#include "transcript.h"

int main(void)
{
    hook h;
    if (hook_start(&h, "mem0-add-metadata", "PreToolUse", HOOK_DEADLINE_SMALL))
        return hook_finish(&h, 0, "bad-input", NULL);
    if (hook_opted_out(&h)) return hook_finish(&h, 0, "opted-out", NULL);
    if (!transcript_is_add_memory(hook_str(&h, "tool_name")))
        return hook_finish(&h, 0, "skip", "not add_memory");
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(h.input, "tool_input");
    cJSON *updated = capture_add_metadata(input, hook_str(&h, "session_id"), hook_project(&h));
    if (!updated) return hook_finish(&h, 0, "skip", "nothing to add");
    cJSON *out = cJSON_CreateObject();
    cJSON *hso = cJSON_AddObjectToObject(out, "hookSpecificOutput");
    cJSON_AddStringToObject(hso, "hookEventName", "PreToolUse");
    cJSON_AddStringToObject(hso, "permissionDecision", "allow");
    cJSON_AddItemToObject(hso, "updatedInput", updated);
    hook_output_json(&h, out);
    return hook_finish(&h, 0, "updated", NULL);
}
