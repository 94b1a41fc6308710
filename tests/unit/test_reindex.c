/* test_reindex.c: re-embedding every memory (core/reindex.c): completion, the embedder
 * record, resuming after an injected stop, after kill -9 between batches and inside the
 * embedder, switching embedders, and removing vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "embed_impl.h"
#include "memory.h"
#include "reindex.h"
#include "support.h"
#include "util.h"
#include "vindex.h"

#define N 23
#define DIM 4

/* ---- A counting embedder: remembers how often it saw each memory ------------------- */

static int seen[N];
static int calls, fail_on_call, kill_on_call;

static int count_batch(embedder *e, const char *const *texts, int n, double deadline_ms,
                       float **out, mem0_err *err)
{
    (void)deadline_ms;
    calls++;
    if (kill_on_call && calls == kill_on_call) raise(SIGKILL);
    if (fail_on_call && calls == fail_on_call)
        return err_set(err, MEM0_EIO, "embedding server went away");
    float *v = calloc((size_t)n * (size_t)e->dim, sizeof *v);
    assert_non_null(v);
    for (int i = 0; i < n; i++) {
        int k = -1;
        sscanf(texts[i], "memory %d", &k);
        if (k >= 0 && k < N) seen[k]++;
        v[i * e->dim] = 1.0f;
        v[i * e->dim + 1] = (float)k;
    }
    *out = v;
    return 0;
}

static void count_close(embedder *e)
{
    (void)e;
}

static const embed_ops count_ops = {count_batch, count_close};

static embedder *counting(const char *id)
{
    embedder *e = embed_new(&count_ops, id, DIM, 0, NULL);
    assert_non_null(e);
    return e;
}

static void reset_counts(void)
{
    memset(seen, 0, sizeof seen);
    calls = fail_on_call = kill_on_call = 0;
}

/* ---- Store helpers -------------------------------------------------------------------- */

static mem0 *store_with_memories(const char *tag, char *home, size_t n)
{
    mem0 *m = test_open_store(tag, 0);
    snprintf(home, n, "%s", mem0_home(m));
    for (int i = 0; i < N; i++) {
        char text[32];
        snprintf(text, sizeof text, "memory %d", i);
        test_add(m, "u", text, NULL);
    }
    return m;
}

static mem0 *reopen(const char *home)
{
    mem0_options o = {home, 0, 0};
    mem0 *m = NULL;
    mem0_err err = {0};
    if (mem0_open(&o, &m, &err)) fail_msg("mem0_open: %s", err.msg);
    return m;
}

typedef struct state_ctx {
    long vectors, orphans;
    embed_record rec;
} state_ctx;

/* Vectors in the index, and how many of them belong to no record. */
static int state_txn(MDB_txn *txn, const store_dbs *db, void *arg, mem0_err *err)
{
    state_ctx *c = arg;
    MDB_cursor *cur;
    MDB_val k, v;
    vindex_info info;
    vindex_verify_report rep;
    assert_int_equal(vindex_get_info(txn, db, &info, err), 0);
    assert_int_equal(vindex_verify(txn, db, &rep, err), 0);
    if (rep.problems) fail_msg("vector index: %s", rep.first);
    c->vectors = (long)info.live;
    long with_vector = 0;
    assert_int_equal(mdb_cursor_open(txn, db->records, &cur), 0);
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        int8_t codes[DIM];
        float scale;
        if (vindex_get(txn, db, k.mv_data, codes, DIM, &scale, NULL, err) == 0) with_vector++;
    }
    mdb_cursor_close(cur);
    c->orphans = c->vectors - with_vector;
    return embed_store_get(txn, db, &c->rec, err);
}

static state_ctx store_state(mem0 *m)
{
    state_ctx c;
    mem0_err err = {0};
    memset(&c, 0, sizeof c);
    assert_int_equal(store_read(m->st, state_txn, &c, &err), 0);
    return c;
}

typedef struct check_ctx {
    const char *id;
    int dim;
} check_ctx;

static int check_txn(MDB_txn *txn, const store_dbs *db, void *arg, mem0_err *err)
{
    check_ctx *c = arg;
    return embed_store_check(txn, db, c->id, c->dim, err);
}

static int check_with(mem0 *m, const char *id, int dim, mem0_err *err)
{
    check_ctx c = {id, dim};
    return store_read(m->st, check_txn, &c, err);
}

static void assert_each_seen_once(void)
{
    for (int i = 0; i < N; i++)
        if (seen[i] != 1) fail_msg("memory %d embedded %d times", i, seen[i]);
}

/* ---- Tests ---------------------------------------------------------------------------- */

static long progress_calls, progress_last;
static void on_progress(void *ctx, long done, long total)
{
    (void)ctx;
    assert_true(done <= total);
    assert_true(done >= progress_last);
    progress_last = done;
    progress_calls++;
}

static void test_full_run(void **state)
{
    (void)state;
    char home[4096];
    mem0 *m = store_with_memories("full", home, sizeof home);
    reset_counts();
    embedder *e = counting("count:v1");
    reindex_opts o = {5, on_progress, NULL, 0};
    reindex_stats st;
    mem0_err err = {0};
    progress_calls = progress_last = 0;
    assert_int_equal(reindex_run(m, e, &o, &st, &err), 0);
    assert_int_equal(st.total, N);
    assert_int_equal(st.embedded, N);
    assert_int_equal(st.resumed, 0);
    assert_true(st.complete);
    assert_int_equal(progress_last, N);
    assert_true(progress_calls >= 5);
    assert_each_seen_once();
    state_ctx s = store_state(m);
    assert_int_equal(s.vectors, N);
    assert_int_equal(s.orphans, 0);
    assert_string_equal(s.rec.embedder, "count:v1");
    assert_int_equal(s.rec.dim, DIM);
    assert_string_equal(s.rec.reindex_embedder, "");
    embed_close(e);

    /* An empty store finishes at once and records the embedder. */
    mem0 *empty = test_open_store("empty", 0);
    e = counting("count:v1");
    assert_int_equal(reindex_run(empty, e, NULL, &st, &err), 0);
    assert_true(st.complete);
    assert_int_equal(st.total, 0);
    assert_string_equal(store_state(empty).rec.embedder, "count:v1");
    embed_close(e);
    mem0_close(empty);
    mem0_close(m);
}

static void test_resume_after_stop(void **state)
{
    (void)state;
    char home[4096];
    mem0 *m = store_with_memories("stop", home, sizeof home);
    reset_counts();
    embedder *e = counting("count:v1");
    reindex_opts o = {5, NULL, NULL, 2};
    reindex_stats st;
    mem0_err err = {0};
    assert_int_equal(reindex_run(m, e, &o, &st, &err), 0);
    assert_false(st.complete);
    assert_int_equal(st.embedded, 10);
    /* Unfinished: the store names the reindex, not an embedder; only that one may be used. */
    state_ctx s = store_state(m);
    assert_string_equal(s.rec.embedder, "");
    assert_string_equal(s.rec.reindex_embedder, "count:v1");
    assert_int_equal(s.vectors, 10);
    assert_int_equal(check_with(m, "count:v1", DIM, &err), 0);
    assert_int_equal(check_with(m, "hash:v1", 256, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "being rebuilt for count:v1"));

    /* Resume: the rest, each memory exactly once over both runs. */
    o.stop_after = 0;
    assert_int_equal(reindex_run(m, e, &o, &st, &err), 0);
    assert_true(st.complete);
    assert_int_equal(st.resumed, 10);
    assert_int_equal(st.embedded, N - 10);
    assert_each_seen_once();
    s = store_state(m);
    assert_int_equal(s.vectors, N);
    assert_string_equal(s.rec.embedder, "count:v1");
    embed_close(e);
    mem0_close(m);
}

static void test_embedder_failure_resumes(void **state)
{
    (void)state;
    char home[4096];
    mem0 *m = store_with_memories("fail", home, sizeof home);
    reset_counts();
    fail_on_call = 3;
    embedder *e = counting("count:v1");
    reindex_opts o = {4, NULL, NULL, 0};
    reindex_stats st;
    mem0_err err = {0};
    assert_int_equal(reindex_run(m, e, &o, &st, &err), MEM0_EIO);
    assert_non_null(strstr(err.msg, "went away"));
    assert_int_equal(st.embedded, 8);
    fail_on_call = 0;
    assert_int_equal(reindex_run(m, e, &o, &st, &err), 0);
    assert_int_equal(st.resumed, 8);
    assert_true(st.complete);
    /* The failed batch was embedded but never written: seen twice, stored once. */
    state_ctx s = store_state(m);
    assert_int_equal(s.vectors, N);
    embed_close(e);
    mem0_close(m);
}

/* Runs a reindex with embedder `id` in a child that kills itself: after `after_batches`
 * committed batches (0: never), or inside the embedder on call `kill_in_embed` (0: never). */
static void run_and_kill(const char *home, const char *id, int after_batches, int kill_in_embed)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        mem0 *m = reopen(home);
        reset_counts();
        kill_on_call = kill_in_embed;
        embedder *e = counting(id);
        reindex_opts o = {5, NULL, NULL, after_batches};
        reindex_stats st;
        reindex_run(m, e, &o, &st, NULL);
        raise(SIGKILL); /* no clean exit either way */
        _exit(3);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* Resumes in this process and checks the run finishes with every memory embedded once. */
static void resume_and_check(const char *home, const char *id, long resumed)
{
    mem0 *m = reopen(home);
    state_ctx s = store_state(m);
    assert_int_equal(s.vectors, resumed);
    assert_string_equal(s.rec.reindex_embedder, id);
    assert_string_equal(s.rec.embedder, "");
    reset_counts();
    embedder *e = counting(id);
    reindex_opts o = {5, NULL, NULL, 0};
    reindex_stats st;
    mem0_err err = {0};
    assert_int_equal(reindex_run(m, e, &o, &st, &err), 0);
    assert_int_equal(st.resumed, resumed);
    assert_int_equal(st.embedded, N - resumed);
    assert_true(st.complete);
    int total = 0;
    for (int i = 0; i < N; i++) { /* what the killed run committed is not redone */
        assert_true(seen[i] <= 1);
        total += seen[i];
    }
    assert_int_equal(total, N - resumed);
    s = store_state(m);
    assert_int_equal(s.vectors, N);
    assert_int_equal(s.orphans, 0);
    assert_string_equal(s.rec.embedder, id);
    embed_close(e);
    mem0_close(m);
}

static void test_resume_after_kill(void **state)
{
    (void)state;
    char home[4096];
    mem0 *m = store_with_memories("kill", home, sizeof home);
    mem0_close(m); /* never carry an LMDB environment across fork */
    /* Killed right after its second batch committed. */
    run_and_kill(home, "count:v1", 2, 0);
    resume_and_check(home, "count:v1", 10);
    /* Killed inside the embedder during its third batch, on a run to another embedder. */
    run_and_kill(home, "count:v2", 0, 3);
    resume_and_check(home, "count:v2", 10);
}

static void test_switch_and_remove(void **state)
{
    (void)state;
    char home[4096];
    mem0 *m = store_with_memories("switch", home, sizeof home);
    embedder *a = counting("count:a"), *b = counting("count:b");
    reindex_stats st;
    mem0_err err = {0};
    assert_int_equal(reindex_run(m, a, NULL, &st, &err), 0);
    /* Switching starts over, even where a was complete. */
    reset_counts();
    reindex_opts o = {5, NULL, NULL, 1};
    assert_int_equal(reindex_run(m, b, &o, &st, &err), 0);
    assert_int_equal(st.resumed, 0);
    state_ctx s = store_state(m);
    assert_int_equal(s.vectors, 5); /* a's vectors are all gone */
    assert_int_equal(check_with(m, "count:a", DIM, &err), MEM0_EINVAL);
    o.stop_after = 0;
    assert_int_equal(reindex_run(m, b, &o, &st, &err), 0);
    assert_each_seen_once();
    assert_string_equal(store_state(m).rec.embedder, "count:b");

    /* No embedder: every vector and the record go. */
    assert_int_equal(reindex_run(m, NULL, NULL, &st, &err), 0);
    assert_true(st.complete);
    s = store_state(m);
    assert_int_equal(s.vectors, 0);
    assert_string_equal(s.rec.embedder, "");
    assert_string_equal(s.rec.reindex_embedder, "");
    assert_int_equal(check_with(m, "anything:v9", 3, &err), 0);
    embed_close(a);
    embed_close(b);
    mem0_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_run),
        cmocka_unit_test(test_resume_after_stop),
        cmocka_unit_test(test_embedder_failure_resumes),
        cmocka_unit_test(test_resume_after_kill),
        cmocka_unit_test(test_switch_and_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
