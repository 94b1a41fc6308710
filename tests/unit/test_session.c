/* test_session.c: per-session hook state (core/session.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "session.h"
#include "support.h"

static void test_stem_is_safe(void **state)
{
    (void)state;
    char out[200];
    session_file_stem("5b2f6c1e-8a4d-4f0e-9c3b-7d1a2e4f6a80", out, sizeof out);
    assert_string_equal(out, "5b2f6c1e-8a4d-4f0e-9c3b-7d1a2e4f6a80");
    session_file_stem("../../etc/passwd", out, sizeof out);
    assert_string_equal(out, "_._.._etc_passwd");
    session_file_stem("", out, sizeof out);
    assert_string_equal(out, "_");
    char longid[400];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    session_file_stem(longid, out, sizeof out);
    assert_int_equal(strlen(out), 128);
}

static void test_state_round_trip(void **state)
{
    (void)state;
    const char *home = test_scratch_dir("session");
    session *s = NULL;
    mem0_err err = {0};
    assert_int_equal(session_open(home, "sid-1", &s, &err), 0);
    assert_false(session_injected_has(s, "id-a"));
    assert_int_equal(session_stop_offset(s), 0);
    assert_null(session_task_last(s));
    session_injected_add(s, "id-a");
    session_injected_add(s, "id-a"); /* no duplicate */
    session_set_stop_offset(s, 123456789012LL);
    session_task_add(s, "  first task\nwith newline");
    session_task_add(s, "second task");
    assert_int_equal(session_save(s, &err), 0);
    session_close(s);

    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/sessions/sid-1.json", home);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/sessions", home);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    assert_int_equal(session_open(home, "sid-1", &s, &err), 0);
    assert_true(session_injected_has(s, "id-a"));
    assert_int_equal(cJSON_GetArraySize(session_injected(s)), 1);
    assert_int_equal(session_stop_offset(s), 123456789012LL);
    assert_int_equal(session_task_count(s), 2);
    assert_string_equal(session_task_last(s), "second task");
    session_tasks_clear(s);
    session_injected_clear(s);
    assert_int_equal(session_task_count(s), 0);
    assert_false(session_injected_has(s, "id-a"));
    session_close(s); /* not saved: the file keeps the old state */

    assert_int_equal(session_open(home, "sid-1", &s, &err), 0);
    assert_int_equal(session_task_count(s), 2);
    session_close(s);

    /* Another session does not see it. */
    assert_int_equal(session_open(home, "sid-2", &s, &err), 0);
    assert_false(session_injected_has(s, "id-a"));
    session_close(s);
}

static void test_lists_are_capped(void **state)
{
    (void)state;
    const char *home = test_scratch_dir("session");
    session *s = NULL;
    assert_int_equal(session_open(home, "cap", &s, NULL), 0);
    char id[32];
    for (int i = 0; i < SESSION_MAX_INJECTED + 10; i++) {
        snprintf(id, sizeof id, "id-%d", i);
        session_injected_add(s, id);
    }
    assert_int_equal(cJSON_GetArraySize(session_injected(s)), SESSION_MAX_INJECTED);
    assert_false(session_injected_has(s, "id-0"));
    assert_true(session_injected_has(s, "id-509"));
    for (int i = 0; i < SESSION_MAX_TASKS + 3; i++)
        session_task_add(s, "t");
    assert_int_equal(session_task_count(s), SESSION_MAX_TASKS);
    session_close(s);
}

static void test_corrupt_file_is_empty_state(void **state)
{
    (void)state;
    const char *home = test_scratch_dir("session");
    session *s = NULL;
    assert_int_equal(session_open(home, "bad", &s, NULL), 0);
    session_close(s);
    char path[4200];
    snprintf(path, sizeof path, "%s/sessions/bad.json", home);
    FILE *f = fopen(path, "w");
    fputs("{\"injected\": 5, \"stop_offset\": \"x\", \"tasks\": {}, \"compactions\"", f);
    fclose(f);
    assert_int_equal(session_open(home, "bad", &s, NULL), 0);
    assert_int_equal(session_stop_offset(s), 0);
    assert_int_equal(session_task_count(s), 0);
    session_injected_add(s, "x");
    assert_true(session_injected_has(s, "x"));
    session_close(s);

    /* Wrong types inside valid JSON are repaired too. */
    f = fopen(path, "w");
    fputs("{\"injected\": 5, \"stop_offset\": -3, \"tasks\": {}}", f);
    fclose(f);
    assert_int_equal(session_open(home, "bad", &s, NULL), 0);
    assert_int_equal(session_stop_offset(s), 0);
    session_task_add(s, "ok");
    assert_int_equal(session_task_count(s), 1);
    session_close(s);
}

static void test_no_session_id(void **state)
{
    (void)state;
    session *s = (session *)1;
    mem0_err err = {0};
    assert_int_equal(session_open(test_scratch_dir("session"), NULL, &s, &err), MEM0_EINVAL);
    assert_null(s);
    assert_int_equal(session_open(test_scratch_dir("session"), "", &s, &err), MEM0_EINVAL);
}

/* Parallel hooks of one session: every increment survives (the lock serialises them). */
static void test_concurrent_updates_are_not_lost(void **state)
{
    (void)state;
    const char *home = test_scratch_dir("session");
    enum { KIDS = 6, EACH = 25 };
    for (int k = 0; k < KIDS; k++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            for (int i = 0; i < EACH; i++) {
                session *s = NULL;
                char id[32];
                if (session_open(home, "shared", &s, NULL)) _exit(1);
                snprintf(id, sizeof id, "k%d-%d", k, i);
                session_injected_add(s, id);
                if (session_save(s, NULL)) _exit(1);
                session_close(s);
            }
            _exit(0);
        }
    }
    for (int k = 0; k < KIDS; k++) {
        int status = 0;
        wait(&status);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    session *s = NULL;
    assert_int_equal(session_open(home, "shared", &s, NULL), 0);
    assert_int_equal(cJSON_GetArraySize(session_injected(s)), KIDS * EACH);
    session_close(s);
}

static void test_purpose_lock_excludes(void **state)
{
    (void)state;
    const char *home = test_scratch_dir("session");
    int fd = session_lock_purpose(home, "sid", "compact", NULL);
    assert_true(fd >= 0);
    /* Another open file description cannot take it while held. */
    char path[4200];
    snprintf(path, sizeof path, "%s/sessions/sid.compact.lock", home);
    int other = open(path, O_RDWR);
    assert_true(other >= 0);
    assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
    assert_int_equal(errno, EWOULDBLOCK);
    session_unlock(fd);
    assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
    close(other);
}

static const char summary_text[] =
    "Primary Request and Intent:\n"
    "   The user asked to add retry with exponential backoff to the HTTP client.\n"
    "Key Technical Concepts:\n"
    "   - Exponential backoff with a 100 ms base delay and three attempts.\n"
    "   - The retry helper lives in src/retry.h and is called from net_get.\n"
    "Current state: all twelve unit tests pass after the change; nothing is pending.";

static void test_compaction_seen_across_wrappers(void **state)
{
    (void)state;
    const char *home = test_scratch_dir("session");
    session *s = NULL;
    assert_int_equal(session_open(home, "c", &s, NULL), 0);
    assert_false(session_compact_seen(s, summary_text));
    session_compact_mark(s, summary_text, "11111111-1111-4111-8111-111111111111");
    assert_true(session_compact_seen(s, summary_text));

    /* The transcript's copy: wrapper around it, other line breaks and indentation. */
    char wrapped[2048];
    snprintf(wrapped, sizeof wrapped,
             "This session is being continued from a previous conversation that ran out of "
             "context. The summary below covers the earlier portion of the conversation.\n\n"
             "%s\n\nIf you need specific details from before compaction (like exact code "
             "snippets, error messages, or content you generated), read the full transcript.",
             summary_text);
    assert_true(session_compact_seen(s, wrapped));

    /* A later compaction's different summary is not taken for this one. */
    assert_false(session_compact_seen(
        s, "Primary Request and Intent:\n   The user then asked to document the retry policy "
           "in the README and add a changelog entry.\nCurrent state: the README section is "
           "half written and the changelog is untouched so far."));
    /* Short summaries without long lines compare whole. */
    session_compact_mark(s, "Short one.", NULL);
    assert_true(session_compact_seen(s, "  Short   one.\n"));
    assert_false(session_compact_seen(s, "Short two."));
    assert_int_equal(session_save(s, NULL), 0);
    session_close(s);

    assert_int_equal(session_open(home, "c", &s, NULL), 0);
    assert_true(session_compact_seen(s, summary_text));
    session_close(s);
}

static void test_prune_old_files(void **state)
{
    (void)state;
    const char *home = test_scratch_dir("session");
    session *s = NULL;
    assert_int_equal(session_open(home, "old", &s, NULL), 0);
    assert_int_equal(session_save(s, NULL), 0);
    session_close(s);
    assert_int_equal(session_open(home, "new", &s, NULL), 0);
    assert_int_equal(session_save(s, NULL), 0);
    session_close(s);
    char path[4200];
    struct utimbuf old = {time(NULL) - 31 * 86400, time(NULL) - 31 * 86400};
    snprintf(path, sizeof path, "%s/sessions/old.json", home);
    assert_int_equal(utime(path, &old), 0);
    snprintf(path, sizeof path, "%s/sessions/old.lock", home);
    assert_int_equal(utime(path, &old), 0);
    assert_int_equal(session_prune(home, SESSION_PRUNE_DAYS), 2);
    struct stat st;
    snprintf(path, sizeof path, "%s/sessions/old.json", home);
    assert_int_equal(stat(path, &st), -1);
    snprintf(path, sizeof path, "%s/sessions/new.json", home);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(session_prune(test_scratch_dir("session-none"), 30), 0);
}

static void test_housekeeping_now_and_then(void **state)
{
    (void)state;
    const char *home = test_scratch_dir("session");
    assert_true(session_housekeeping_due(home, 3600)); /* never done: due */
    assert_false(session_housekeeping_due(home, 3600));
    assert_false(session_housekeeping_due(home, 3600));
    char path[4200];
    snprintf(path, sizeof path, "%s/sessions/.housekeeping", home);
    struct utimbuf old = {time(NULL) - 7200, time(NULL) - 7200};
    assert_int_equal(utime(path, &old), 0);
    assert_true(session_housekeeping_due(home, 3600));
    assert_false(session_housekeeping_due(home, 3600));
    /* Not pruned as a session file, whatever its age. */
    assert_int_equal(utime(path, &old), 0);
    session_prune(home, 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stem_is_safe),
        cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_lists_are_capped),
        cmocka_unit_test(test_corrupt_file_is_empty_state),
        cmocka_unit_test(test_no_session_id),
        cmocka_unit_test(test_concurrent_updates_are_not_lost),
        cmocka_unit_test(test_purpose_lock_excludes),
        cmocka_unit_test(test_compaction_seen_across_wrappers),
        cmocka_unit_test(test_prune_old_files),
        cmocka_unit_test(test_housekeeping_now_and_then),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
