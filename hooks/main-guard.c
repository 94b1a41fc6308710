/*
 * mem0-guard: PreToolUse on Write|Edit|MultiEdit|NotebookEdit|Bash.
 *
 * Blocks writes into Claude Code's own file memory (guard.h) with a reason on stderr and
 * exit 2, pointing the model to add_memory; allows everything else silently.  Never opens
 * the store.  A repository that switched memory off (optout.h) keeps its file memory.
 * Deadline 50 ms.
 */
#include <stdlib.h>

#include "guard.h"
#include "runtime.h"

int main(void)
{
    hook h;
    if (hook_start(&h, "mem0-guard", "PreToolUse", HOOK_DEADLINE_GUARD))
        return hook_finish(&h, 0, "bad-input", NULL);
    const char *tool = hook_str(&h, "tool_name");
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(h.input, "tool_input");
    guard_env env = {hook_str(&h, "cwd"), getenv("HOME"), getenv("CLAUDE_CONFIG_DIR")};
    char reason[1024];
    if (!guard_check_tool_env(tool, input, &env, reason, sizeof reason))
        return hook_finish(&h, 0, "allow", tool);
    /* Only a write that would be blocked pays for the opt-out lookup. */
    if (hook_opted_out(&h)) return hook_finish(&h, 0, "opted-out", tool);
    return hook_finish(&h, hook_block(&h, reason), "block", reason);
}
