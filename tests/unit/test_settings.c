/* test_settings.c: home folder and settings.json (core/settings.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settings.h"

/* A fresh folder under $MEM0_HOME (each run of the unit tests gets its own). */
static void scratch_dir(const char *tag, char *out, size_t n)
{
    const char *base = getenv("MEM0_HOME");
    snprintf(out, n, "%s/%s.XXXXXX", base && *base ? base : "/tmp", tag);
    assert_non_null(mkdtemp(out));
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A scratch home holding settings.json with text (NULL: no file); a static buffer. */
static const char *home_with(const char *tag, const char *text)
{
    static char home[2048];
    scratch_dir(tag, home, sizeof home);
    if (text) {
        char path[4096];
        snprintf(path, sizeof path, "%s/settings.json", home);
        write_text(path, text);
    }
    return home;
}

static void assert_defaults(const mem0_settings *s)
{
    assert_int_equal(s->auto_save, 1);
    assert_int_equal(s->auto_search, 1);
    assert_int_equal(s->search_limit, 10);
    assert_int_equal(s->retention_session_days, 90);
    assert_int_equal(s->redact_secrets, 1);
    assert_int_equal(s->trash_days, 30);
    assert_int_equal(s->expired_grace_days, 30);
    assert_true(s->confidence_threshold > 0.299 && s->confidence_threshold < 0.301);
    assert_int_equal(s->debug, 0);
}

static void test_defaults_and_missing_file(void **state)
{
    (void)state;
    mem0_settings s;
    settings_defaults(&s);
    assert_defaults(&s);

    char *warnings = (char *)1;
    mem0_err err = {0};
    memset(&s, 0x7f, sizeof s);
    assert_int_equal(settings_load(home_with("missing", NULL), &s, &warnings, &err), 0);
    assert_null(warnings);
    assert_defaults(&s);
}

static void test_keys_documented(void **state)
{
    (void)state;
    static const char *const expected[] = {
        "auto_save",      "auto_search", "search_limit",       "retention_session_days",
        "redact_secrets", "trash_days",  "expired_grace_days", "confidence_threshold",
        "debug",          "embedder"};
    size_t count = 0;
    for (const settings_key *k = settings_keys; k->name; k++, count++) {
        assert_non_null(k->type);
        assert_non_null(k->default_value);
        assert_true(k->meaning && strlen(k->meaning) > 10);
    }
    assert_int_equal(count, sizeof expected / sizeof expected[0]);
    for (size_t i = 0; i < count; i++) {
        int found = 0;
        for (const settings_key *k = settings_keys; k->name; k++)
            found |= !strcmp(k->name, expected[i]);
        assert_true(found);
    }
    /* Every documented key is accepted by the loader: a file setting each one to its
     * documented default loads without warnings. */
    char json[2048] = "{";
    for (const settings_key *k = settings_keys; k->name; k++) {
        char item[256];
        snprintf(item, sizeof item, "%s\"%s\":%s", k == settings_keys ? "" : ",", k->name,
                 k->default_value);
        strcat(json, item);
    }
    strcat(json, "}");
    mem0_settings s;
    char *warnings = NULL;
    assert_int_equal(settings_load(home_with("documented", json), &s, &warnings, NULL), 0);
    assert_null(warnings);
    assert_defaults(&s);
}

static void test_values_loaded(void **state)
{
    (void)state;
    const char *home = home_with("values", "{\"auto_save\": false, \"auto_search\": false, "
                                           "\"search_limit\": 25, \"retention_session_days\": 7,"
                                           "\"redact_secrets\": false, \"trash_days\": 1, "
                                           "\"expired_grace_days\": 36500, "
                                           "\"confidence_threshold\": 0.75, \"debug\": true,"
                                           "\"embedder\": \"static:potion-base-8M\"}");
    mem0_settings s;
    char *warnings = NULL;
    assert_int_equal(settings_load(home, &s, &warnings, NULL), 0);
    assert_null(warnings);
    assert_int_equal(s.auto_save, 0);
    assert_int_equal(s.auto_search, 0);
    assert_int_equal(s.search_limit, 25);
    assert_int_equal(s.retention_session_days, 7);
    assert_int_equal(s.redact_secrets, 0);
    assert_int_equal(s.trash_days, 1);
    assert_int_equal(s.expired_grace_days, 36500);
    assert_true(s.confidence_threshold > 0.749 && s.confidence_threshold < 0.751);
    assert_int_equal(s.debug, 1);
    assert_string_equal(s.embedder, "static:potion-base-8M");
}

static void test_bad_values_and_unknown_keys(void **state)
{
    (void)state;
    const char *home = home_with("bad", "{\"search_limit\": 0, \"trash_days\": 36501, "
                                        "\"retention_session_days\": 2.5, "
                                        "\"confidence_threshold\": 1.5, \"auto_save\": \"no\", "
                                        "\"redact_secrets\": 0, \"colour\": \"blue\", "
                                        "\"expired_grace_days\": 12, \"embedder\": 42}");
    mem0_settings s;
    char *warnings = NULL;
    assert_int_equal(settings_load(home, &s, &warnings, NULL), 0);
    assert_non_null(warnings);
    /* Each bad key is named; the good one still applies; the bad ones keep defaults. */
    const char *named[] = {"search_limit",
                           "trash_days",
                           "retention_session_days",
                           "confidence_threshold",
                           "auto_save",
                           "redact_secrets",
                           "colour",
                           "embedder"};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (!strstr(warnings, named[i]))
            fail_msg("warnings do not name %s: %s", named[i], warnings);
    assert_non_null(strstr(warnings, "unknown key \"colour\""));
    assert_null(strstr(warnings, "expired_grace_days"));
    assert_int_equal(s.expired_grace_days, 12);
    s.expired_grace_days = 30;
    assert_defaults(&s);
    free(warnings);

    /* Bounds are inclusive. */
    home = home_with("bounds", "{\"search_limit\": 100, \"confidence_threshold\": 0}");
    assert_int_equal(settings_load(home, &s, NULL, NULL), 0);
    assert_int_equal(s.search_limit, 100);
    assert_true(s.confidence_threshold == 0.0);
}

static void test_not_an_object(void **state)
{
    (void)state;
    static const char *const texts[] = {"{\"auto_save\": false", "[1, 2]", "\"text\"", "", "null"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        mem0_settings s;
        mem0_err err = {0};
        char *warnings = NULL;
        assert_int_equal(settings_load(home_with("notobj", texts[i]), &s, &warnings, &err),
                         MEM0_EINVAL);
        assert_int_equal(err.code, MEM0_EINVAL);
        assert_non_null(strstr(err.msg, "settings.json"));
        assert_null(warnings);
        assert_defaults(&s);
    }
}

static void test_unreadable_file(void **state)
{
    (void)state;
    /* settings.json that cannot be read (here a folder) is an I/O error, defaults kept. */
    const char *home = home_with("unreadable", NULL);
    char path[4096];
    snprintf(path, sizeof path, "%s/settings.json", home);
    assert_int_equal(mkdir(path, 0700), 0);
    mem0_settings s;
    mem0_err err = {0};
    assert_int_equal(settings_load(home, &s, NULL, &err), MEM0_EIO);
    assert_non_null(strstr(err.msg, "settings.json"));
    assert_defaults(&s);
}

static void test_home_from_environment(void **state)
{
    (void)state;
    char saved_home[4096], saved_mem0[4096], out[4096];
    snprintf(saved_home, sizeof saved_home, "%s", getenv("HOME") ? getenv("HOME") : "");
    snprintf(saved_mem0, sizeof saved_mem0, "%s", getenv("MEM0_HOME") ? getenv("MEM0_HOME") : "");

    setenv("MEM0_HOME", "/tmp/somewhere", 1);
    setenv("HOME", "/home/u", 1);
    settings_home(out, sizeof out);
    assert_string_equal(out, "/tmp/somewhere");

    setenv("MEM0_HOME", "~/custom", 1);
    settings_home(out, sizeof out);
    assert_string_equal(out, "/home/u/custom");

    setenv("MEM0_HOME", "", 1);
    settings_home(out, sizeof out);
    assert_string_equal(out, "/home/u/.mem0");

    unsetenv("MEM0_HOME");
    settings_home(out, sizeof out);
    assert_string_equal(out, "/home/u/.mem0");

    unsetenv("HOME");
    settings_home(out, sizeof out);
    assert_string_equal(out, "./.mem0");

    setenv("HOME", saved_home, 1);
    setenv("MEM0_HOME", saved_mem0, 1);
}

static void test_home_ensure(void **state)
{
    (void)state;
    char base[2048], path[4096];
    scratch_dir("ensure", base, sizeof base);
    struct stat st;
    mem0_err err = {0};

    /* Creates missing parents; the home folder itself is 0700 whatever the umask. */
    snprintf(path, sizeof path, "%s/a/b/home/", base);
    mode_t old = umask(0);
    assert_int_equal(settings_home_ensure(path, &err), 0);
    umask(old);
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);

    /* An existing folder with looser bits is tightened; calling again is harmless. */
    assert_int_equal(chmod(path, 0755), 0);
    assert_int_equal(settings_home_ensure(path, &err), 0);
    assert_int_equal(settings_home_ensure(path, &err), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    /* A file in the way is refused with a message naming it. */
    snprintf(path, sizeof path, "%s/plainfile", base);
    write_text(path, "x");
    assert_int_equal(settings_home_ensure(path, &err), MEM0_EIO);
    assert_int_equal(err.code, MEM0_EIO);
    assert_non_null(strstr(err.msg, "not a directory"));
    assert_non_null(strstr(err.msg, "plainfile"));

    /* So is a parent that is a file. */
    snprintf(path, sizeof path, "%s/plainfile/home", base);
    assert_int_equal(settings_home_ensure(path, &err), MEM0_EIO);
    assert_int_equal(settings_home_ensure("", &err), MEM0_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_missing_file),
        cmocka_unit_test(test_keys_documented),
        cmocka_unit_test(test_values_loaded),
        cmocka_unit_test(test_bad_values_and_unknown_keys),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_unreadable_file),
        cmocka_unit_test(test_home_from_environment),
        cmocka_unit_test(test_home_ensure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
