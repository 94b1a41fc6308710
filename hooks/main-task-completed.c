/*
 * mem0-task-completed: TaskCompleted.
 *
 * Records the task's subject in the session state, so the next stop reminder can name
 * it.  Never blocks the task; prints nothing.  Deadline 200 ms.
 */
#include "remind.h"
#include "runtime.h"

int main(void)
{
    hook h;
    if (hook_start(&h, "mem0-task-completed", "TaskCompleted", HOOK_DEADLINE_SMALL))
        return hook_finish(&h, 0, "bad-input", NULL);
    if (hook_opted_out(&h)) return hook_finish(&h, 0, "opted-out", NULL);
    const char *sid = hook_str(&h, "session_id");
    if (!sid || !*sid) return hook_finish(&h, 0, "bad-input", "no session_id");
    mem0_err err = {0};
    if (remind_task_completed(h.home, sid, hook_str(&h, "task_subject"), &err))
        return hook_finish(&h, 0, "error", err.msg);
    return hook_finish(&h, 0, "recorded", hook_str(&h, "task_id"));
}
