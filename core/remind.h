/*
 * remind.h: when the stop hook reminds the model to store what it learned.
 *
 * A stretch of work is what the transcript holds after the offset recorded in the
 * session state (session.h).  At Stop the stretch is judged:
 *   - it changed files (Write, Edit, MultiEdit, NotebookEdit) and called add_memory under
 *     neither tool prefix: remind once, and the stretch ends here;
 *   - it called add_memory: nothing to say, and the stretch ends here;
 *   - it changed nothing: nothing to say, and the stretch goes on.
 * Never while stop_hook_active is true (Claude Code is already continuing because of a
 * Stop hook) and never for a subagent (agent_id present): the caller checks both.
 * Completed tasks (TaskCompleted) recorded since the last reminder are named in it.
 */
#ifndef MEM0_REMIND_H
#define MEM0_REMIND_H

#include <stddef.h>
#include "transcript.h"

/* 1 if act deserves a reminder (files changed, nothing stored). */
int remind_needed(const transcript_activity *act);
/* The reminder for Claude Code's {"decision":"block","reason":...}: short, naming
 * add_memory, the durable types and, when given, the completed task. */
void remind_reason(const char *task, int n_tasks, char *out, size_t n);

/* Judges the stretch of session_id from transcript_path (see above), records where it
 * ends and clears the completed tasks when it does.  Returns 1 with reason filled when a
 * reminder is due, 0 when not, or a negative mem0_status. */
int remind_stop(const char *home, const char *session_id, const char *transcript_path, char *reason,
                size_t n, mem0_err *err);
/* Records a completed task's subject for the next reminder.  0 or a negative status. */
int remind_task_completed(const char *home, const char *session_id, const char *subject,
                          mem0_err *err);

#endif
