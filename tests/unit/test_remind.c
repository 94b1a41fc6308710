/* test_remind.c: the stop reminder's judgement (core/remind.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remind.h"
#include "session.h"
#include "support.h"

static char transcript[4200];

static void append(const char *line)
{
    FILE *f = fopen(transcript, "a");
    assert_non_null(f);
    fprintf(f, "%s\n", line);
    fclose(f);
}

static void tool(const char *name)
{
    char line[512];
    snprintf(line, sizeof line,
             "{\"type\":\"assistant\",\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":"
             "\"tool_use\",\"id\":\"t\",\"name\":\"%s\",\"input\":{\"file_path\":\"/p/a.c\"}}]}}",
             name);
    append(line);
}

static void say(const char *text)
{
    char line[512];
    snprintf(line, sizeof line,
             "{\"type\":\"assistant\",\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":"
             "\"text\",\"text\":\"%s\"}]}}",
             text);
    append(line);
}

/* remind_stop for session "s": 1 reminded, 0 not. */
static int stop(const char *home, char *reason)
{
    mem0_err err = {0};
    int rc = remind_stop(home, "s", transcript, reason, 1024, &err);
    if (rc < 0) fail_msg("remind_stop: %s", err.msg);
    return rc;
}

static const char *fresh(void)
{
    const char *home = test_scratch_dir("remind");
    snprintf(transcript, sizeof transcript, "%s/t.jsonl", home);
    FILE *f = fopen(transcript, "w");
    fclose(f);
    return home;
}

static void test_reminds_once_per_stretch(void **state)
{
    (void)state;
    const char *home = fresh();
    char reason[1024];
    say("Hello, what shall we do?");
    assert_int_equal(stop(home, reason), 0); /* no work yet */
    tool("Read");
    assert_int_equal(stop(home, reason), 0); /* reading changes nothing */
    tool("Edit");
    assert_int_equal(stop(home, reason), 1);
    assert_non_null(strstr(reason, "add_memory"));
    assert_non_null(strstr(reason, "decision, convention, anti_pattern, user_preference, "
                                   "task_learning or environmental"));
    assert_null(strstr(reason, "task"
                               " completed"));
    /* Same work: never twice. */
    assert_int_equal(stop(home, reason), 0);
    say("Done.");
    assert_int_equal(stop(home, reason), 0);
    /* New work, then a store: nothing to say, and the stretch is settled. */
    tool("Write");
    tool("mcp__plugin_mem0_mem0__add_memory");
    assert_int_equal(stop(home, reason), 0);
    assert_int_equal(stop(home, reason), 0);
    /* New work without a store: reminded again. */
    tool("MultiEdit");
    assert_int_equal(stop(home, reason), 1);
    /* The short form of the tool name counts as a store too. */
    tool("NotebookEdit");
    tool("mcp__mem0__add_memory");
    assert_int_equal(stop(home, reason), 0);
}

static void test_names_completed_task(void **state)
{
    (void)state;
    const char *home = fresh();
    char reason[1024];
    tool("Write");
    assert_int_equal(remind_task_completed(home, "s", "Add retry to net_get", NULL), 0);
    assert_int_equal(stop(home, reason), 1);
    assert_non_null(strstr(reason, "(task completed: \"Add retry to net_get\")"));
    /* Tasks are cleared with the reminder. */
    tool("Edit");
    assert_int_equal(stop(home, reason), 1);
    assert_null(strstr(reason, "completed"));
    /* Several tasks: the count and the last one. */
    tool("Edit");
    remind_task_completed(home, "s", "first", NULL);
    remind_task_completed(home, "s", NULL, NULL);
    remind_task_completed(home, "s", "third", NULL);
    assert_int_equal(stop(home, reason), 1);
    assert_non_null(strstr(reason, "3 tasks completed, the last: \"third\""));
}

static void test_replaced_transcript_and_errors(void **state)
{
    (void)state;
    const char *home = fresh();
    char reason[1024];
    tool("Edit");
    say("a long sentence to make the file longer than the replacement will be");
    assert_int_equal(stop(home, reason), 1);
    /* The file shrinks (a new transcript at the same path): read from its start. */
    FILE *f = fopen(transcript, "w");
    fclose(f);
    tool("Write");
    assert_int_equal(stop(home, reason), 1);
    mem0_err err = {0};
    assert_true(remind_stop(home, "s", "/nonexistent/t.jsonl", reason, sizeof reason, &err) < 0);
    assert_true(remind_stop(home, "", transcript, reason, sizeof reason, &err) < 0);
}

static void test_needed_and_reason(void **state)
{
    (void)state;
    transcript_activity a = {0, 0, 0};
    assert_false(remind_needed(&a));
    a.files_changed = 1;
    assert_true(remind_needed(&a));
    a.memories_added = 1;
    assert_false(remind_needed(&a));
    assert_false(remind_needed(NULL));
    char small[40];
    remind_reason("x", 1, small, sizeof small); /* truncates, never overflows */
    assert_int_equal(strlen(small), sizeof small - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reminds_once_per_stretch),
        cmocka_unit_test(test_names_completed_task),
        cmocka_unit_test(test_replaced_transcript_and_errors),
        cmocka_unit_test(test_needed_and_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
