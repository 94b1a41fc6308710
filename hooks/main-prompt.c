/*
 * mem0-prompt: UserPromptSubmit.
 *
 * For a prompt worth it, adds the few most relevant memories above
 * settings.confidence_threshold (at most min(search_limit, 5), ~1,500 bytes) as
 * additionalContext, leaving out what this session already received, and records what
 * it sent.  Deadline 300 ms.
 */
#include <stdio.h>
#include <stdlib.h>

#include "inject.h"
#include "runtime.h"
#include "session.h"

int main(void)
{
    hook h;
    if (hook_start(&h, "mem0-prompt", "UserPromptSubmit", HOOK_DEADLINE_PROMPT))
        return hook_finish(&h, 0, "bad-input", NULL);
    if (hook_opted_out(&h)) return hook_finish(&h, 0, "opted-out", NULL);
    if (!h.settings.auto_search) return hook_finish(&h, 0, "auto-search-off", NULL);
    const char *prompt = hook_str(&h, "prompt");
    if (!inject_prompt_worth(prompt)) return hook_finish(&h, 0, "skip", "not worth a search");
    mem0 *m = hook_open_store_ro(&h);
    if (!m) return hook_finish(&h, 0, "skip", "no store");

    const char *sid = hook_str(&h, "session_id");
    session *s = NULL;
    if (sid && *sid) session_open(h.home, sid, &s, NULL);
    inject_ctx ic = {NULL, hook_project(&h), sid, NULL, 1, 0, 0};
    cJSON *ids = cJSON_CreateArray();
    char *text = NULL;
    mem0_err err = {0};
    int rc = inject_prompt(m, &ic, prompt, h.settings.search_limit, h.settings.confidence_threshold,
                           s ? session_injected(s) : NULL, &text, ids, &err);
    if (rc == 0 && s && cJSON_GetArraySize(ids)) {
        const cJSON *id;
        cJSON_ArrayForEach(id, ids)
        {
            session_injected_add(s, id->valuestring);
        }
        session_save(s, NULL);
    }
    session_close(s);
    char detail[64];
    snprintf(detail, sizeof detail, "memories=%d", cJSON_GetArraySize(ids));
    cJSON_Delete(ids);
    if (rc) return hook_finish(&h, 0, "error", err.msg);
    hook_context(&h, "UserPromptSubmit", text);
    free(text);
    return hook_finish(&h, 0, text ? "injected" : "skip", detail);
}
