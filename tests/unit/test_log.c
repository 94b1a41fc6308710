/* test_log.c: the debug log format and its switch (core/log.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static void scratch_dir(const char *tag, char *out, size_t n)
{
    const char *base = getenv("MEM0_HOME");
    snprintf(out, n, "%s/%s.XXXXXX", base && *base ? base : "/tmp", tag);
    assert_non_null(mkdtemp(out));
}

/* The whole log of home as a malloc'd string ("" if there is none). */
static char *read_log(const char *home)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/hooks.log", home);
    FILE *f = fopen(path, "rb");
    strbuf sb = {0};
    if (f) {
        char chunk[4096];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            sb_add(&sb, chunk, got);
        fclose(f);
    }
    char *text = sb_detach(&sb);
    assert_non_null(text);
    return text;
}

/* Splits one line (without its newline) on tabs into exactly 7 fields, or fails. */
static void split7(char *line, char *fields[7])
{
    int count = 0;
    for (char *p = line;; p++) {
        if (count < 7 && (p == line || p[-1] == '\0')) fields[count++] = p;
        if (*p == '\0') break;
        if (*p == '\t') {
            assert_true(count < 7);
            *p = '\0';
        }
    }
    assert_int_equal(count, 7);
}

static int setup(void **state)
{
    (void)state;
    setenv("MEM0_DEBUG", "1", 1);
    return 0;
}

static void test_enabled_values(void **state)
{
    (void)state;
    static const char *const off[] = {"", "0", "false", "FALSE", "False", " false "};
    static const char *const on[] = {"1", "true", "yes", "debug", "2", "00"};
    unsetenv("MEM0_DEBUG");
    assert_int_equal(log_enabled(), 0);
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
        setenv("MEM0_DEBUG", off[i], 1);
        if (log_enabled()) fail_msg("MEM0_DEBUG=\"%s\" should be off", off[i]);
    }
    for (size_t i = 0; i < sizeof on / sizeof on[0]; i++) {
        setenv("MEM0_DEBUG", on[i], 1);
        if (!log_enabled()) fail_msg("MEM0_DEBUG=\"%s\" should be on", on[i]);
    }
}

static void test_line_format(void **state)
{
    (void)state;
    char home[2048];
    scratch_dir("fmt", home, sizeof home);
    /* The clock the log uses (time() may lag it by a coarse tick). */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    time_t before = ts.tv_sec;
    log_event(home, "mem0-mcp", "tools/call", 0.84, "ok", "search_memories %d", 3);
    log_event(home, "hook-stop", "save", 12.5, "error", "store: %s", "busy");
    clock_gettime(CLOCK_REALTIME, &ts);
    time_t after = ts.tv_sec;

    char *text = read_log(home);
    char *nl = strchr(text, '\n');
    assert_non_null(nl);
    *nl = '\0';
    char *second = nl + 1;
    char *f[7];
    split7(text, f);

    /* time: ISO 8601 UTC with milliseconds, within the call. */
    assert_int_equal(strlen(f[0]), 24);
    assert_int_equal(f[0][23], 'Z');
    assert_int_equal(f[0][19], '.');
    struct tm tm = {0};
    assert_non_null(strptime(f[0], "%Y-%m-%dT%H:%M:%S", &tm));
    time_t t = timegm(&tm);
    assert_true(t >= before && t <= after);
    /* pid, program, event, duration with two decimals, outcome, detail. */
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    assert_string_equal(f[1], pid);
    assert_string_equal(f[2], "mem0-mcp");
    assert_string_equal(f[3], "tools/call");
    assert_string_equal(f[4], "0.84");
    assert_string_equal(f[5], "ok");
    assert_string_equal(f[6], "search_memories 3");

    nl = strchr(second, '\n');
    assert_non_null(nl);
    assert_string_equal(nl + 1, ""); /* exactly two lines */
    *nl = '\0';
    split7(second, f);
    assert_string_equal(f[2], "hook-stop");
    assert_string_equal(f[4], "12.50");
    assert_string_equal(f[5], "error");
    assert_string_equal(f[6], "store: busy");
    free(text);
}

static void test_file_mode_and_home_created(void **state)
{
    (void)state;
    char base[2048], home[4096], path[4200];
    scratch_dir("mode", base, sizeof base);
    snprintf(home, sizeof home, "%s/new/home", base); /* does not exist yet */
    mode_t old = umask(0);
    log_event(home, "t", "e", 1, "ok", "x");
    umask(old);
    struct stat st;
    assert_int_equal(stat(home, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(path, sizeof path, "%s/hooks.log", home);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_escaping_and_truncation(void **state)
{
    (void)state;
    char home[2048];
    scratch_dir("esc", home, sizeof home);
    log_event(home, "pro\tgram", "ev\nent", 1, "o\rk",
              "a\tb\nc\x01"
              "d\x7f"
              "e caf\xc3\xa9 bad\xff");
    char *text = read_log(home);
    size_t len = strlen(text);
    assert_true(len > 0 && text[len - 1] == '\n');
    text[len - 1] = '\0';
    assert_null(strchr(text, '\n'));
    char *f[7];
    split7(text, f);
    assert_string_equal(f[2], "pro gram");
    assert_string_equal(f[3], "ev ent");
    assert_string_equal(f[5], "o k");
    assert_string_equal(f[6], "a b c d e caf\xc3\xa9 bad?");
    free(text);

    /* A long detail is cut at 1000 bytes, never inside a character. */
    scratch_dir("long", home, sizeof home);
    char big[3000];
    memset(big, 'x', 999);
    strcpy(big + 999, "\xc3\xa9 and more text that goes on and on");
    log_event(home, "t", "e", 1, "ok", "%s", big);
    text = read_log(home);
    len = strlen(text);
    text[len - 1] = '\0';
    split7(text, f);
    assert_int_equal(strlen(f[6]), 999);
    assert_true(utf8_valid(text, strlen(text)));
    free(text);

    scratch_dir("long2", home, sizeof home);
    memset(big, 'y', 2500);
    big[2500] = '\0';
    log_event(home, "t", "e", 1, "ok", "%s", big);
    text = read_log(home);
    len = strlen(text);
    text[len - 1] = '\0';
    split7(text, f);
    assert_int_equal(strlen(f[6]), 1000);
    free(text);

    /* Missing fields keep the seven-field shape. */
    scratch_dir("null", home, sizeof home);
    log_event(home, NULL, "", 0, NULL, NULL);
    text = read_log(home);
    len = strlen(text);
    text[len - 1] = '\0';
    split7(text, f);
    assert_string_equal(f[2], "-");
    assert_string_equal(f[3], "-");
    assert_string_equal(f[4], "0.00");
    assert_string_equal(f[5], "-");
    assert_string_equal(f[6], "");
    free(text);
}

static void test_disabled_writes_nothing(void **state)
{
    (void)state;
    char base[2048], home[4096], path[4200];
    scratch_dir("off", base, sizeof base);
    snprintf(home, sizeof home, "%s/home", base);
    static const char *const off[] = {"", "0", "false"};
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
        setenv("MEM0_DEBUG", off[i], 1);
        log_event(home, "t", "e", 1, "ok", "nothing");
    }
    unsetenv("MEM0_DEBUG");
    log_event(home, "t", "e", 1, "ok", "nothing");
    struct stat st;
    snprintf(path, sizeof path, "%s/hooks.log", home);
    assert_int_not_equal(stat(path, &st), 0);
    assert_int_not_equal(stat(home, &st), 0); /* not even the folder */

    /* Switching on takes effect at the next call, without a restart. */
    setenv("MEM0_DEBUG", "true", 1);
    log_event(home, "t", "e", 1, "ok", "now");
    assert_int_equal(stat(path, &st), 0);
}

static void test_default_home_and_failure_is_silent(void **state)
{
    (void)state;
    /* NULL home: $MEM0_HOME (the scratch home of this test run). */
    char saved[2048], home[2048];
    snprintf(saved, sizeof saved, "%s", getenv("MEM0_HOME"));
    scratch_dir("dflt", home, sizeof home);
    setenv("MEM0_HOME", home, 1);
    log_event(NULL, "t", "default-home", 1, "ok", "x");
    char *text = read_log(home);
    assert_non_null(strstr(text, "default-home"));
    free(text);
    setenv("MEM0_HOME", saved, 1);

    /* A home that cannot be made: nothing happens, nothing crashes. */
    char path[4096];
    snprintf(path, sizeof path, "%s/file", home);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(path, sizeof path, "%s/file/sub", home);
    log_event(path, "t", "e", 1, "ok", "x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_enabled_values, setup),
        cmocka_unit_test_setup(test_line_format, setup),
        cmocka_unit_test_setup(test_file_mode_and_home_created, setup),
        cmocka_unit_test_setup(test_escaping_and_truncation, setup),
        cmocka_unit_test_setup(test_disabled_writes_nothing, setup),
        cmocka_unit_test_setup(test_default_home_and_failure_is_silent, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
