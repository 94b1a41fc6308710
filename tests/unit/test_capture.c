/* test_capture.c: snapshots stored by hooks, metadata on the agent's writes (core/capture.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "optout.h"
#include "support.h"
#include "timeutil.h"

#define FIXTURES "tests/fixtures/hooks"
#define USER "alice"
#define PROJECT "acme-api"

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Memories of USER matching filter JSON (expired ones too). */
static cJSON *list_all(mem0 *m, const char *filter)
{
    cJSON *f = test_json(filter);
    mem0_list_req req = {f, USER, 1, 100, 1};
    cJSON *res = NULL;
    mem0_err err = {0};
    if (mem0_list(m, &req, &res, &err)) fail_msg("mem0_list: %s", err.msg);
    cJSON_Delete(f);
    return res;
}

static capture_ctx ctx_for(const char *home, const char *dir, const char *session)
{
    capture_ctx c = {home, dir, USER, PROJECT, session, 90, "test"};
    return c;
}

static void test_compact_once_whichever_path(void **state)
{
    (void)state;
    mem0 *m = test_open_store("capture", 0);
    const char *home = mem0_home(m);
    capture_ctx c = ctx_for(home, home, "sess-1");
    char *post = read_text(FIXTURES "/compact-summary.txt");
    char *from_transcript = NULL;
    assert_int_equal(
        transcript_compact_summary(FIXTURES "/transcript-compact.jsonl", &from_transcript, NULL),
        0);
    int stored = 0;
    char id[40];
    mem0_err err = {0};
    /* PostCompact first, then SessionStart(compact) reading the transcript. */
    assert_int_equal(capture_compact(m, &c, post, "post-compact", &stored, id, &err), 0);
    assert_true(stored);
    assert_int_equal(
        capture_compact(m, &c, from_transcript, "session-start-compact", &stored, NULL, &err), 0);
    assert_false(stored);
    /* Even the wrapped text, had unwrapping failed, is the same compaction. */
    char *wrapped = NULL;
    assert_true(asprintf(&wrapped,
                         "This session is being continued from a previous conversation that "
                         "ran out of context. Summary follows:\n%s\nIf you need specific "
                         "details from before compaction, read the full transcript at: /x",
                         post) > 0);
    assert_int_equal(capture_compact(m, &c, wrapped, "post-compact", &stored, NULL, &err), 0);
    assert_false(stored);
    free(wrapped);

    cJSON *res = list_all(m, "{\"metadata\":{\"type\":\"compact_summary\"}}");
    cJSON *items = cJSON_GetObjectItem(res, "results");
    assert_int_equal(cJSON_GetArraySize(items), 1);
    cJSON *mem = cJSON_GetArrayItem(items, 0);
    assert_string_equal(cJSON_GetObjectItem(mem, "id")->valuestring, id);
    assert_string_equal(cJSON_GetObjectItem(mem, "memory")->valuestring, post);
    assert_string_equal(cJSON_GetObjectItem(mem, "user_id")->valuestring, USER);
    assert_string_equal(cJSON_GetObjectItem(mem, "app_id")->valuestring, PROJECT);
    cJSON *md = cJSON_GetObjectItem(mem, "metadata");
    assert_string_equal(cJSON_GetObjectItem(md, "type")->valuestring, "compact_summary");
    assert_string_equal(cJSON_GetObjectItem(md, "source")->valuestring, "post-compact");
    assert_string_equal(cJSON_GetObjectItem(md, "session_id")->valuestring, "sess-1");
    char expires[11];
    date_today_plus(90, expires);
    assert_string_equal(cJSON_GetObjectItem(mem, "expiration_date")->valuestring, expires);
    cJSON_Delete(res);

    /* The other order in another session: the transcript path stores, PostCompact skips. */
    c.session_id = "sess-2";
    assert_int_equal(
        capture_compact(m, &c, from_transcript, "session-start-compact", &stored, NULL, &err), 0);
    assert_true(stored);
    assert_int_equal(capture_compact(m, &c, post, "post-compact", &stored, NULL, &err), 0);
    assert_false(stored);
    /* A second compaction of the same session is a new summary. */
    assert_int_equal(capture_compact(m, &c,
                                     "Primary Request and Intent:\n   The user then asked for a "
                                     "README section on the retry policy and a changelog entry.",
                                     "post-compact", &stored, NULL, &err),
                     0);
    assert_true(stored);
    /* Nothing to store. */
    assert_int_equal(capture_compact(m, &c, "  \n", "post-compact", &stored, NULL, &err), 0);
    assert_false(stored);
    c.session_id = NULL;
    assert_int_equal(capture_compact(m, &c, post, "post-compact", &stored, NULL, &err),
                     MEM0_EINVAL);
    free(post);
    free(from_transcript);
    mem0_close(m);
}

/* Two processes racing on one compaction store it once. */
static void test_compact_race(void **state)
{
    (void)state;
    mem0 *m = test_open_store("capture", 0);
    char home[4096];
    snprintf(home, sizeof home, "%s", mem0_home(m));
    mem0_close(m);
    char *post = read_text(FIXTURES "/compact-summary.txt");
    enum { KIDS = 4 };
    for (int k = 0; k < KIDS; k++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            mem0_options opt = {home, 0, 0};
            mem0 *cm = NULL;
            int stored = 0;
            if (mem0_open(&opt, &cm, NULL)) {
                free(post);
                _exit(2);
            }
            capture_ctx c = ctx_for(home, home, "race");
            int rc = capture_compact(cm, &c, post, k % 2 ? "post-compact" : "session-start-compact",
                                     &stored, NULL, NULL);
            mem0_close(cm);
            free(post);
            _exit(rc ? 2 : stored);
        }
    }
    int total = 0;
    for (int k = 0; k < KIDS; k++) {
        int status = 0;
        wait(&status);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) < 2);
        total += WEXITSTATUS(status);
    }
    assert_int_equal(total, 1);
    free(post);
}

static void test_session_state_snapshot_and_cap(void **state)
{
    (void)state;
    mem0 *m = test_open_store("capture", 0);
    const char *home = mem0_home(m);
    capture_ctx c = ctx_for(home, home, "sess-s");
    /* A durable memory of the project that must survive the cap. */
    mem0_add_req keep = {0};
    keep.text = "Use LMDB for the store";
    keep.scope.user_id = USER;
    keep.scope.app_id = PROJECT;
    cJSON *res = NULL;
    assert_int_equal(mem0_add(m, &keep, &res, NULL), 0);
    cJSON_Delete(res);

    char first_id[40] = "", id[40];
    for (int i = 0; i < CAPTURE_KEEP_SNAPSHOTS + 3; i++) {
        transcript_snapshot s;
        assert_int_equal(transcript_snapshot_read(FIXTURES "/transcript-work.jsonl", &s, NULL), 0);
        int stored = 0;
        long pruned = -1;
        mem0_err err = {0};
        assert_int_equal(capture_session_state(m, &c, &s, &stored, id, &pruned, &err), 0);
        transcript_snapshot_free(&s);
        assert_true(stored);
        assert_int_equal(pruned, i < CAPTURE_KEEP_SNAPSHOTS ? 0 : 1);
        if (!first_id[0]) memcpy(first_id, id, sizeof id);
    }
    res = list_all(m, "{\"metadata\":{\"type\":\"session_state\"}}");
    cJSON *items = cJSON_GetObjectItem(res, "results");
    assert_int_equal(cJSON_GetArraySize(items), CAPTURE_KEEP_SNAPSHOTS);
    cJSON *newest = cJSON_GetArrayItem(items, 0);
    assert_string_equal(cJSON_GetObjectItem(newest, "id")->valuestring, id);
    const char *text = cJSON_GetObjectItem(newest, "memory")->valuestring;
    assert_non_null(strstr(text, "## Session State (pre-compaction)"));
    assert_non_null(strstr(text, "/home/user/proj/src/retry.h"));
    cJSON *md = cJSON_GetObjectItem(newest, "metadata");
    assert_string_equal(cJSON_GetObjectItem(md, "source")->valuestring, "pre-compaction");
    assert_string_equal(cJSON_GetObjectItem(md, "session_id")->valuestring, "sess-s");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(md, "files_touched")), 2);
    assert_non_null(cJSON_GetObjectItem(newest, "expiration_date")->valuestring);
    cJSON_Delete(res);
    /* The oldest snapshot went to the trash; the durable memory stayed. */
    cJSON *mem = NULL;
    assert_int_equal(mem0_get(m, first_id, &mem, NULL), MEM0_ENOTFOUND);
    res = list_all(m, "{\"app_id\":\"acme-api\"}");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(res, "results")),
                     CAPTURE_KEEP_SNAPSHOTS + 1);
    cJSON_Delete(res);
    mem0_close(m);
}

static void test_session_state_excludes(void **state)
{
    (void)state;
    mem0 *m = test_open_store("capture", 0);
    const char *home = mem0_home(m);
    const char *repo = test_scratch_dir("capture-repo");
    char path[4200];
    snprintf(path, sizeof path, "%s/.git", repo);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%s", repo, OPTOUT_IGNORE_FILE);
    FILE *f = fopen(path, "w");
    fputs("*.h\nsecret\n", f);
    fclose(f);
    capture_ctx c = ctx_for(home, repo, "sess-x");
    assert_false(capture_excluded(&c));

    transcript_snapshot s;
    memset(&s, 0, sizeof s);
    snprintf(path, sizeof path, "%s/src/retry.h", repo);
    s.files[s.n_files++] = strdup(path);
    snprintf(path, sizeof path, "%s/src/net.c", repo);
    s.files[s.n_files++] = strdup(path);
    s.files[s.n_files++] = strdup("/elsewhere/notes.h"); /* outside the repository */
    int stored = 0;
    char id[40];
    assert_int_equal(capture_session_state(m, &c, &s, &stored, id, NULL, NULL), 0);
    assert_true(stored);            /* files changed, even without an ask */
    assert_int_equal(s.n_files, 2); /* src/retry.h dropped */
    transcript_snapshot_free(&s);
    cJSON *mem = NULL;
    assert_int_equal(mem0_get(m, id, &mem, NULL), 0);
    const char *text = cJSON_GetObjectItem(mem, "memory")->valuestring;
    assert_null(strstr(text, "retry.h"));
    assert_non_null(strstr(text, "src/net.c"));
    assert_non_null(strstr(text, "/elsewhere/notes.h"));
    cJSON_Delete(mem);

    /* Working inside an excluded folder: no capture at all. */
    snprintf(path, sizeof path, "%s/secret", repo);
    mkdir(path, 0700);
    c.dir = path;
    assert_true(capture_excluded(&c));

    /* A snapshot with nothing worth keeping is not stored. */
    transcript_snapshot empty;
    memset(&empty, 0, sizeof empty);
    assert_int_equal(capture_session_state(m, &c, &empty, &stored, NULL, NULL, NULL), 0);
    assert_false(stored);
    mem0_close(m);
}

static void test_add_metadata(void **state)
{
    (void)state;
    /* Project kind, no app_id: both added, the rest untouched and in order. */
    cJSON *in = test_json("{\"text\":\"Use LMDB\",\"user_id\":\"alice\",\"metadata\":{\"type\":"
                          "\"decision\",\"pinned\":true},\"infer\":false}");
    cJSON *out = capture_add_metadata(in, "sess-1", PROJECT);
    assert_non_null(out);
    char *s = cJSON_PrintUnformatted(out);
    assert_string_equal(s, "{\"text\":\"Use LMDB\",\"user_id\":\"alice\",\"metadata\":{\"type\":"
                           "\"decision\",\"pinned\":true,\"session_id\":\"sess-1\"},\"infer\":"
                           "false,\"app_id\":\"acme-api\"}");
    free(s);
    cJSON_Delete(out);
    cJSON_Delete(in);

    /* A preference is personal: no app_id; an agent's session_id and app_id stay. */
    in = test_json("{\"text\":\"Likes tabs\",\"metadata\":{\"type\":\"user_preference\"}}");
    out = capture_add_metadata(in, "sess-1", PROJECT);
    assert_null(cJSON_GetObjectItem(out, "app_id"));
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(out, "metadata"), "session_id")->valuestring,
        "sess-1");
    cJSON_Delete(out);
    cJSON_Delete(in);
    in = test_json("{\"text\":\"x\",\"app_id\":\"mine\",\"metadata\":{\"type\":\"decision\","
                   "\"session_id\":\"theirs\"}}");
    assert_null(capture_add_metadata(in, "sess-1", PROJECT));
    cJSON_Delete(in);

    /* No metadata at all: one is created; null app_id counts as none. */
    in = test_json("{\"text\":\"x\",\"metadata\":null,\"app_id\":null}");
    out = capture_add_metadata(in, "sess-1", PROJECT);
    s = cJSON_PrintUnformatted(out);
    assert_string_equal(
        s, "{\"text\":\"x\",\"metadata\":{\"session_id\":\"sess-1\"},\"app_id\":null}");
    free(s);
    cJSON_Delete(out);
    cJSON_Delete(in);

    /* Metadata as JSON text stays as written; its type still brings the app_id. */
    in = test_json("{\"text\":\"x\",\"metadata\":\"{\\\"type\\\":\\\"convention\\\"}\"}");
    out = capture_add_metadata(in, "sess-1", PROJECT);
    assert_string_equal(cJSON_GetObjectItem(out, "metadata")->valuestring,
                        "{\"type\":\"convention\"}");
    assert_string_equal(cJSON_GetObjectItem(out, "app_id")->valuestring, PROJECT);
    cJSON_Delete(out);
    cJSON_Delete(in);

    /* Nothing to add without a session or project; non-objects are left alone. */
    in = test_json("{\"text\":\"x\",\"metadata\":{\"type\":\"decision\"}}");
    assert_null(capture_add_metadata(in, NULL, NULL));
    cJSON_Delete(in);
    in = test_json("[1,2]");
    assert_null(capture_add_metadata(in, "s", PROJECT));
    cJSON_Delete(in);
    assert_null(capture_add_metadata(NULL, "s", PROJECT));

    assert_true(capture_is_project_kind("anti_pattern"));
    assert_true(capture_is_project_kind("environmental"));
    assert_false(capture_is_project_kind("user_preference"));
    assert_false(capture_is_project_kind(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_once_whichever_path),
        cmocka_unit_test(test_compact_race),
        cmocka_unit_test(test_session_state_snapshot_and_cap),
        cmocka_unit_test(test_session_state_excludes),
        cmocka_unit_test(test_add_metadata),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
