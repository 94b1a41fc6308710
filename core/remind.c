/* remind.c: the stop reminder's judgement and text (see remind.h). */
#include "remind.h"
#include "session.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

int remind_needed(const transcript_activity *act)
{
    return act && act->files_changed > 0 && act->memories_added == 0;
}

void remind_reason(const char *task, int n_tasks, char *out, size_t n)
{
    char done[300] = "";
    if (task && *task) {
        size_t cut = utf8_clip(task, 200);
        if (n_tasks > 1)
            snprintf(done, sizeof done, " (%d tasks completed, the last: \"%.*s\")", n_tasks,
                     (int)cut, task);
        else
            snprintf(done, sizeof done, " (task completed: \"%.*s\")", (int)cut, task);
    }
    snprintf(out, n,
             "This work changed files%s and stored nothing in mem0 yet. If it produced "
             "something worth keeping for later sessions, store it now with add_memory "
             "(metadata.type decision, convention, anti_pattern, user_preference, "
             "task_learning or environmental; infer=false for structured text); if not, "
             "finish without storing.",
             done);
}

int remind_stop(const char *home, const char *session_id, const char *transcript_path, char *reason,
                size_t n, mem0_err *err)
{
    session *s = NULL;
    transcript_activity act;
    int rc = session_open(home, session_id, &s, err);
    if (rc) return rc;
    rc = transcript_activity_since(transcript_path, session_stop_offset(s), &act, err);
    if (rc) goto out;
    int due = remind_needed(&act);
    if (due) remind_reason(session_task_last(s), session_task_count(s), reason, n);
    if (due || act.memories_added > 0) {
        /* The stretch is settled either way: the next one starts after it. */
        session_set_stop_offset(s, act.end);
        session_tasks_clear(s);
        rc = session_save(s, err);
    }
    if (rc == 0) rc = due;
out:
    session_close(s);
    return rc;
}

int remind_task_completed(const char *home, const char *session_id, const char *subject,
                          mem0_err *err)
{
    session *s = NULL;
    int rc = session_open(home, session_id, &s, err);
    if (rc) return rc;
    session_task_add(s, subject && *subject ? subject : "unnamed task");
    rc = session_save(s, err);
    session_close(s);
    return rc;
}
