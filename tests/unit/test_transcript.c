/* test_transcript.c: reading a Claude Code transcript's tail (core/transcript.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support.h"
#include "transcript.h"

/* Fixtures recorded as Claude Code writes them; the tests run from the repository root. */
#define FIXTURES "tests/fixtures/hooks"

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* A scratch transcript made of the given lines (each gets a '\n' unless last_partial). */
static const char *write_lines(const char *const *lines, int n, int last_partial)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/t.jsonl", test_scratch_dir("transcript"));
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%s", lines[i], i == n - 1 && last_partial ? "" : "\n");
    fclose(f);
    return path;
}

/* Lines built for one test, freed by its teardown. */
static char *kept[256];
static int n_kept;

static const char *keepf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *keepf(const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    assert_true(vasprintf(&s, fmt, ap) >= 0);
    va_end(ap);
    assert_true(n_kept < 256);
    kept[n_kept++] = s;
    return s;
}

static int free_kept(void **state)
{
    (void)state;
    while (n_kept)
        free(kept[--n_kept]);
    return 0;
}

static const char *user_line(const char *text)
{
    return keepf("{\"type\":\"user\",\"isSidechain\":false,\"message\":{\"role\":\"user\","
                 "\"content\":\"%s\"}}",
                 text);
}

static const char *tool_line(const char *name, const char *input)
{
    return keepf("{\"type\":\"assistant\",\"isSidechain\":false,\"message\":{\"role\":"
                 "\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":"
                 "\"%s\",\"input\":%s}]}}",
                 name, input);
}

/* ---- Compaction summary ------------------------------------------------------------- */

static void test_summary_from_fixture_matches_post_compact(void **state)
{
    (void)state;
    char *summary = NULL;
    mem0_err err = {0};
    assert_int_equal(
        transcript_compact_summary(FIXTURES "/transcript-compact.jsonl", &summary, &err), 0);
    assert_non_null(summary);
    /* PostCompact's compact_summary is the same text without the wrapper. */
    char *expected = read_text(FIXTURES "/compact-summary.txt");
    assert_string_equal(summary, expected);
    free(expected);
    free(summary);
}

static void test_summary_none_in_work_transcript(void **state)
{
    (void)state;
    char *summary = (char *)1;
    assert_int_equal(transcript_compact_summary(FIXTURES "/transcript-work.jsonl", &summary, NULL),
                     0);
    assert_null(summary);
}

static void test_summary_newest_wins_and_blocks_join(void **state)
{
    (void)state;
    const char *lines[] = {
        "{\"type\":\"user\",\"isCompactSummary\":true,\"message\":{\"role\":\"user\","
        "\"content\":\"first summary\"}}",
        user_line("Some later question about the parser"),
        "{\"type\":\"user\",\"isCompactSummary\":true,\"message\":{\"role\":\"user\","
        "\"content\":[{\"type\":\"text\",\"text\":\"second part one\"},"
        "{\"type\":\"image\",\"source\":{}},{\"type\":\"text\",\"text\":\"part two\"}]}}",
        "{\"type\":\"user\",\"isCompactSummary\":tru", /* half-written */
    };
    char *summary = NULL;
    assert_int_equal(transcript_compact_summary(write_lines(lines, 4, 1), &summary, NULL), 0);
    assert_string_equal(summary, "second part one\n\npart two");
    free(summary);
}

static void test_summary_capped(void **state)
{
    (void)state;
    size_t big = TRANSCRIPT_SUMMARY_MAX + 5000;
    char *text = malloc(big + 1);
    memset(text, 'x', big);
    text[big] = '\0';
    /* A multi-byte character straddling the cap must not be split. */
    memcpy(text + TRANSCRIPT_SUMMARY_MAX - 1, "\xc3\xa9", 2);
    char *line = malloc(big + 200);
    snprintf(line, big + 200,
             "{\"type\":\"user\",\"isCompactSummary\":true,\"message\":{\"content\":\"%s\"}}",
             text);
    const char *lines[] = {line};
    char *summary = NULL;
    assert_int_equal(transcript_compact_summary(write_lines(lines, 1, 0), &summary, NULL), 0);
    assert_int_equal(strlen(summary), TRANSCRIPT_SUMMARY_MAX - 1);
    free(summary);
    free(line);
    free(text);
}

static void test_unwrap(void **state)
{
    (void)state;
    char *a = transcript_unwrap_summary(
        "This session is being continued from a previous conversation that ran out of "
        "context. The summary below covers the earlier portion of the conversation.\n\n"
        "Summary body.\nLine two.\n\nIf you need specific details from before compaction "
        "(like exact code snippets), read the full transcript at: /x.jsonl\nContinue the "
        "conversation from where it left off without asking the user any further questions.");
    assert_string_equal(a, "Summary body.\nLine two.");
    free(a);
    char *b = transcript_unwrap_summary("  Plain summary, no wrapper.\n");
    assert_string_equal(b, "Plain summary, no wrapper.");
    free(b);
    /* Older wording: only the trailing "Please continue" sentence. */
    char *c = transcript_unwrap_summary(
        "This session is being continued from a previous conversation that ran out of "
        "context. The conversation is summarized below:\nBody here.\nPlease continue the "
        "conversation from where we left it off without asking the user any further questions.");
    assert_string_equal(c, "Body here.");
    free(c);
}

/* ---- Snapshot ----------------------------------------------------------------------- */

static void test_snapshot_from_fixture(void **state)
{
    (void)state;
    transcript_snapshot s;
    mem0_err err = {0};
    assert_int_equal(transcript_snapshot_read(FIXTURES "/transcript-work.jsonl", &s, &err), 0);
    assert_int_equal(s.n_asks, 1);
    assert_string_equal(s.asks[0],
                        "Add a retry with exponential backoff to the HTTP client in src/net.c");
    assert_int_equal(s.n_files, 2); /* Read is not a change */
    assert_string_equal(s.files[0], "/home/user/proj/src/net.c");
    assert_string_equal(s.files[1], "/home/user/proj/src/retry.h");
    assert_int_equal(s.n_commands, 1);
    assert_string_equal(s.commands[0], "make test 2>&1 | tail -5");
    assert_non_null(strstr(s.last_assistant, "exponential backoff (3 attempts"));
    assert_true(transcript_snapshot_worth(&s));
    char *md = transcript_snapshot_markdown(&s, "pre-compaction");
    assert_non_null(strstr(md, "## Session State (pre-compaction)\n"));
    assert_non_null(strstr(md, "### What the user was working on\n- Add a retry"));
    assert_non_null(strstr(md, "### Files modified this session\n- /home/user/proj/src/net.c\n"));
    assert_non_null(strstr(md, "### Recent commands\n- `make test 2>&1 | tail -5`\n"));
    assert_non_null(strstr(md, "### Last context\nAdded retry"));
    free(md);
    transcript_snapshot_free(&s);
}

static void test_snapshot_filters_and_limits(void **state)
{
    (void)state;
    const char *lines[80];
    int n = 0;
    lines[n++] = user_line("short");                                   /* <= 10 chars */
    lines[n++] = user_line("<command-name>/compact</command-name> x"); /* starts with '<' */
    lines[n++] = "{\"type\":\"user\",\"isMeta\":true,\"message\":{\"content\":\"Stop hook "
                 "feedback: store your learnings now please\"}}";
    lines[n++] = "{\"type\":\"user\",\"isSidechain\":true,\"message\":{\"content\":\"a "
                 "subagent's own prompt text here\"}}";
    lines[n++] = "{\"type\":\"user\",\"isCompactSummary\":true,\"message\":{\"content\":\"the "
                 "summary is no ask of the user\"}}";
    lines[n++] = user_line("Please refactor the parser module");
    for (int i = 0; i < 25; i++) {
        lines[n++] = tool_line("Bash", keepf("{\"command\":\"echo %d\"}", i));
    }
    lines[n++] =
        tool_line("NotebookEdit", "{\"notebook_path\":\"/p/a.ipynb\",\"new_source\":\"x\"}");
    lines[n++] = tool_line("MultiEdit", "{\"file_path\":\"/p/b.c\",\"edits\":[]}");
    lines[n++] = tool_line("Write", "{\"file_path\":\"/p/b.c\",\"content\":\"\"}"); /* again */
    lines[n++] = "{\"type\":\"unknown-new-type\",\"message\":{\"content\":\"ignored words\"}}";
    lines[n++] = "not json at all";
    transcript_snapshot s;
    assert_int_equal(transcript_snapshot_read(write_lines(lines, n, 0), &s, NULL), 0);
    assert_int_equal(s.n_asks, 1);
    assert_string_equal(s.asks[0], "Please refactor the parser module");
    assert_int_equal(s.n_commands, SNAPSHOT_MAX_COMMANDS);
    assert_string_equal(s.commands[0], "echo 5"); /* the last 20 */
    assert_string_equal(s.commands[19], "echo 24");
    assert_int_equal(s.n_files, 2);
    assert_string_equal(s.files[0], "/p/a.ipynb");
    assert_string_equal(s.files[1], "/p/b.c");
    assert_null(s.last_assistant);
    transcript_snapshot_free(&s);
}

static void test_snapshot_nothing_worth(void **state)
{
    (void)state;
    const char *lines[] = {user_line("ok"), "{\"type\":\"system\",\"subtype\":\"x\"}"};
    transcript_snapshot s;
    assert_int_equal(transcript_snapshot_read(write_lines(lines, 2, 0), &s, NULL), 0);
    assert_false(transcript_snapshot_worth(&s));
    transcript_snapshot_free(&s);
}

static void test_missing_transcript_is_an_error(void **state)
{
    (void)state;
    transcript_snapshot s;
    transcript_activity a;
    mem0_err err = {0};
    assert_int_equal(transcript_snapshot_read("/nonexistent/x.jsonl", &s, &err), MEM0_EIO);
    assert_int_equal(transcript_activity_since(NULL, 0, &a, &err), MEM0_EIO);
}

/* The tail is at most TRANSCRIPT_MAX_LINES lines: older asks are out of sight. */
static void test_tail_is_bounded(void **state)
{
    (void)state;
    char path[4200];
    snprintf(path, sizeof path, "%s/long.jsonl", test_scratch_dir("transcript"));
    FILE *f = fopen(path, "wb");
    fprintf(f, "%s\n", user_line("The very first question, far back"));
    for (int i = 0; i < TRANSCRIPT_MAX_LINES; i++)
        fprintf(f, "{\"type\":\"progress\",\"n\":%d}\n", i);
    fprintf(f, "%s\n", user_line("The latest question asked here"));
    fclose(f);
    transcript_snapshot s;
    assert_int_equal(transcript_snapshot_read(path, &s, NULL), 0);
    assert_int_equal(s.n_asks, 1);
    assert_string_equal(s.asks[0], "The latest question asked here");
    transcript_snapshot_free(&s);
}

/* ---- Activity ----------------------------------------------------------------------- */

static void test_tool_names(void **state)
{
    (void)state;
    assert_true(transcript_is_add_memory("mcp__plugin_mem0_mem0__add_memory"));
    assert_true(transcript_is_add_memory("mcp__mem0__add_memory"));
    assert_true(transcript_is_add_memory("mcp__plugin_mymem0_local__add_memory"));
    assert_false(transcript_is_add_memory("mcp__other__add_memory"));
    assert_false(transcript_is_add_memory("mcp__mem0__search_memories"));
    assert_false(transcript_is_add_memory("add_memory"));
    assert_false(transcript_is_add_memory("mcp____add_memory"));
    assert_false(transcript_is_add_memory(NULL));
    assert_true(transcript_is_file_tool("Write"));
    assert_true(transcript_is_file_tool("NotebookEdit"));
    assert_false(transcript_is_file_tool("Read"));
    assert_false(transcript_is_file_tool("write"));
}

static void test_activity_since_offset(void **state)
{
    (void)state;
    const char *lines[] = {
        tool_line("Edit", "{\"file_path\":\"/p/a.c\"}"),
        tool_line("mcp__plugin_mem0_mem0__add_memory", "{\"text\":\"x\"}"),
        tool_line("Write", "{\"file_path\":\"/p/b.c\"}"),
        tool_line("Read", "{\"file_path\":\"/p/c.c\"}"),
        "{\"type\":\"assistant\",\"isSidechain\":true,\"message\":{\"content\":[{\"type\":"
        "\"tool_use\",\"name\":\"Write\",\"input\":{}}]}}",
        tool_line("Write", "{\"file_path\":\"/p/half.c\""), /* half-written, cut below */
    };
    const char *path = write_lines(lines, 6, 1);
    transcript_activity a;
    assert_int_equal(transcript_activity_since(path, 0, &a, NULL), 0);
    assert_int_equal(a.files_changed, 2);
    assert_int_equal(a.memories_added, 1);
    /* end stops before the half-written line, so it is read once complete. */
    struct stat st;
    stat(path, &st);
    assert_int_equal(a.end, (int64_t)st.st_size - (int64_t)strlen(lines[5]));

    /* From after the add_memory line: only the Write counts. */
    int64_t after_add = (int64_t)(strlen(lines[0]) + strlen(lines[1]) + 2);
    assert_int_equal(transcript_activity_since(path, after_add, &a, NULL), 0);
    assert_int_equal(a.files_changed, 1);
    assert_int_equal(a.memories_added, 0);

    /* An offset past the end (the file was replaced) reads the tail again. */
    assert_int_equal(transcript_activity_since(path, 1 << 30, &a, NULL), 0);
    assert_int_equal(a.files_changed, 2);
}

static void test_activity_fixture(void **state)
{
    (void)state;
    transcript_activity a;
    assert_int_equal(transcript_activity_since(FIXTURES "/transcript-work.jsonl", 0, &a, NULL), 0);
    assert_int_equal(a.files_changed, 2);
    assert_int_equal(a.memories_added, 0);
    struct stat st;
    stat(FIXTURES "/transcript-work.jsonl", &st);
    assert_int_equal(a.end, (int64_t)st.st_size);
    /* Nothing after the end. */
    transcript_activity b;
    assert_int_equal(transcript_activity_since(FIXTURES "/transcript-work.jsonl", a.end, &b, NULL),
                     0);
    assert_int_equal(b.files_changed, 0);
    assert_int_equal(b.end, a.end);
}

/* PostCompact's raw reply, the transcript's wrapped copy and the "Summary:" rendering all
 * give the same stored text, so both capture paths agree. */
static void test_summary_text_same_from_every_form(void **state)
{
    (void)state;
    const char *want = "Key decisions: base delay 100 ms.\nCurrent state: written.";
    const char *forms[] = {
        "<analysis>\nthinking\n</analysis>\n\n<summary>\nKey decisions: base delay 100 ms."
        "\nCurrent state: written.\n</summary>",
        "This session is being continued from a previous conversation that ran out of "
        "context. The summary below covers the earlier portion of the conversation.\n\n"
        "Summary:\nKey decisions: base delay 100 ms.\nCurrent state: written.\n\n"
        "If you need specific details from before compaction, read the transcript.",
        "Summary:\nKey decisions: base delay 100 ms.\nCurrent state: written.",
        "  Key decisions: base delay 100 ms.\nCurrent state: written.\n",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char *got = transcript_summary_text(forms[i]);
        assert_non_null(got);
        assert_string_equal(got, want);
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_summary_from_fixture_matches_post_compact, free_kept),
        cmocka_unit_test_teardown(test_summary_none_in_work_transcript, free_kept),
        cmocka_unit_test_teardown(test_summary_newest_wins_and_blocks_join, free_kept),
        cmocka_unit_test_teardown(test_summary_capped, free_kept),
        cmocka_unit_test_teardown(test_unwrap, free_kept),
        cmocka_unit_test(test_summary_text_same_from_every_form),
        cmocka_unit_test_teardown(test_snapshot_from_fixture, free_kept),
        cmocka_unit_test_teardown(test_snapshot_filters_and_limits, free_kept),
        cmocka_unit_test_teardown(test_snapshot_nothing_worth, free_kept),
        cmocka_unit_test_teardown(test_missing_transcript_is_an_error, free_kept),
        cmocka_unit_test_teardown(test_tail_is_bounded, free_kept),
        cmocka_unit_test_teardown(test_tool_names, free_kept),
        cmocka_unit_test_teardown(test_activity_since_offset, free_kept),
        cmocka_unit_test_teardown(test_activity_fixture, free_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
