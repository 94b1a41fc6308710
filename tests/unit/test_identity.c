/* test_identity.c: user id, key-derived id and project id (core/identity.c).
 * Repositories are built by writing .git files directly; no git binary is needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "identity.h"
#include "util.h"

/* A fresh folder under $MEM0_HOME, canonical (so it compares with realpath results). */
static void scratch_dir(const char *tag, char *out, size_t n)
{
    const char *base = getenv("MEM0_HOME");
    char tmpl[2048];
    snprintf(tmpl, sizeof tmpl, "%s/%s.XXXXXX", base && *base ? base : "/tmp", tag);
    assert_non_null(mkdtemp(tmpl));
    char real[PATH_MAX];
    assert_non_null(realpath(tmpl, real));
    assert_true(strlen(real) < n);
    memcpy(out, real, strlen(real) + 1);
}

/* mkdir -p of base/rel. */
static void make_dirs(const char *base, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", base, rel);
    for (char *p = path + strlen(base) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    mkdir(path, 0755);
}

static void write_file(const char *base, const char *rel, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", base, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A repository at base/rel whose config is config_text. */
static void make_repo(const char *base, const char *rel, const char *config_text)
{
    char git[1024];
    snprintf(git, sizeof git, "%s/.git", rel);
    make_dirs(base, git);
    snprintf(git, sizeof git, "%s/.git/config", rel);
    write_file(base, git, config_text);
}

static int setup(void **state)
{
    (void)state;
    unsetenv("MEM0_PROJECT_ID");
    unsetenv("CLAUDE_PROJECT_DIR");
    return 0;
}

/* ---- User ----------------------------------------------------------------------------- */

static void test_user_id_order(void **state)
{
    (void)state;
    char out[IDENTITY_MAX];
    setenv("MEM0_USER_ID", "  alice  ", 1);
    setenv("MEM0_DEFAULT_USER_ID", "bob", 1);
    setenv("USER", "carol", 1);
    identity_user_id(out, sizeof out);
    assert_string_equal(out, "alice");

    setenv("MEM0_USER_ID", " \t\n", 1); /* blank values are skipped */
    identity_user_id(out, sizeof out);
    assert_string_equal(out, "bob");

    unsetenv("MEM0_USER_ID");
    setenv("MEM0_DEFAULT_USER_ID", "", 1);
    identity_user_id(out, sizeof out);
    assert_string_equal(out, "carol");

    unsetenv("MEM0_DEFAULT_USER_ID");
    setenv("USER", " dave\n", 1);
    identity_user_id(out, sizeof out);
    assert_string_equal(out, "dave");

    unsetenv("USER");
    identity_user_id(out, sizeof out);
    assert_string_equal(out, "default");

    setenv("USER", "   ", 1);
    identity_user_id(out, sizeof out);
    assert_string_equal(out, "default");

    /* An id that cannot be an entity id (control characters) is skipped too. */
    setenv("MEM0_USER_ID", "bad\x01id", 1);
    setenv("USER", "erin", 1);
    identity_user_id(out, sizeof out);
    assert_string_equal(out, "erin");
    unsetenv("MEM0_USER_ID");
}

static void test_key_user_id(void **state)
{
    (void)state;
    char out[18];
    /* SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad */
    assert_int_equal(identity_key_user_id("abc", out), 0);
    assert_string_equal(out, "mem0-ba7816bf8f01");
    assert_int_equal(strlen(out), 17);
    assert_int_equal(identity_key_user_id("m0-otherkey", out), 0);
    assert_string_not_equal(out, "mem0-ba7816bf8f01");
    assert_int_equal(identity_key_user_id("", out), -1);
    assert_int_equal(identity_key_user_id(NULL, out), -1);
}

/* ---- Remote URLs ---------------------------------------------------------------------- */

static void test_remote_slug(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"git@github.com:mem0ai/mem0.git", "mem0ai-mem0"},
        {"git@github.com:mem0ai/mem0", "mem0ai-mem0"},
        {"https://github.com/mem0ai/mem0.git", "mem0ai-mem0"},
        {"https://github.com/mem0ai/mem0/", "mem0ai-mem0"},
        {"https://user:tok@gitlab.example.com/team/tool.git", "team-tool"},
        {"https://gitlab.com/group/sub/proj.git", "sub-proj"},
        {"ssh://git@host.example:22/owner/repo.git", "owner-repo"},
        {"ssh://host/owner/repo", "owner-repo"},
        {"git://host.example/owner/repo.git", "owner-repo"},
        {"file:///srv/git/team/proj.git", "team-proj"},
        {"/srv/git/team/proj.git", "team-proj"},
        {"../shared/proj", "shared-proj"},
        {"git@host:repo.git", "repo"},
        {"  https://github.com/a/b.git \n", "a-b"},
    };
    char out[IDENTITY_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(identity_remote_slug(cases[i][0], out, sizeof out), 0);
        if (strcmp(out, cases[i][1]) != 0)
            fail_msg("slug(%s) = %s, want %s", cases[i][0], out, cases[i][1]);
    }
    assert_int_equal(identity_remote_slug("https://host", out, sizeof out), -1);
    assert_int_equal(identity_remote_slug("", out, sizeof out), -1);
    assert_int_equal(identity_remote_slug(NULL, out, sizeof out), -1);
}

/* ---- Repositories ---------------------------------------------------------------------- */

static void test_repo_with_origin(void **state)
{
    (void)state;
    char base[2048], dir[4096], out[IDENTITY_MAX], top[4096];
    scratch_dir("origin", base, sizeof base);
    make_repo(base, "work/checkout",
              "[core]\n\trepositoryformatversion = 0\n"
              "; a comment\n# another\n"
              "[remote \"upstream\"]\n\turl = https://github.com/other/fork.git\n"
              "[remote \"origin\"]\n"
              "\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
              "\tURL = git@github.com:mem0ai/mem0.git   # trailing comment\n"
              "[branch \"main\"]\n\tremote = origin\n");
    make_dirs(base, "work/checkout/src/deep");

    snprintf(dir, sizeof dir, "%s/work/checkout/src/deep", base);
    assert_int_equal(identity_git_toplevel(dir, top, sizeof top), 0);
    char want[4096];
    snprintf(want, sizeof want, "%s/work/checkout", base);
    assert_string_equal(top, want);

    assert_int_equal(identity_project_id(dir, out, sizeof out), 0);
    assert_string_equal(out, "mem0ai-mem0");
    assert_true(entity_id_valid(out));

    /* Relative paths and "." resolve the same way. */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(identity_project_id(".", out, sizeof out), 0);
    assert_string_equal(out, "mem0ai-mem0");
    /* No dir and no CLAUDE_PROJECT_DIR: the working directory. */
    assert_int_equal(identity_project_id(NULL, out, sizeof out), 0);
    assert_string_equal(out, "mem0ai-mem0");
    assert_int_equal(chdir(cwd), 0);

    /* CLAUDE_PROJECT_DIR when no dir is given. */
    setenv("CLAUDE_PROJECT_DIR", dir, 1);
    assert_int_equal(identity_project_id(NULL, out, sizeof out), 0);
    assert_string_equal(out, "mem0ai-mem0");
    unsetenv("CLAUDE_PROJECT_DIR");
}

static void test_config_forms(void **state)
{
    (void)state;
    static const char *const configs[][2] = {
        {"[remote.origin]\nurl = https://github.com/legacy/form.git\n", "legacy-form"},
        {"[Remote \"origin\"]\n  url=\"ssh://git@h:2222/quoted/url.git\"\n", "quoted-url"},
        {"[remote \"origin\"]\n\tpushurl = git@x:push/only.git\n\turl = git@x:first/one.git\n"
         "\turl = git@x:second/two.git\n",
         "first-one"},
        {"[remote \"originals\"]\n\turl = git@x:not/this.git\n[remote \"origin\"]\n"
         "\turl = git@x:but/this.git\n",
         "but-this"},
    };
    char base[2048], dir[4096], out[IDENTITY_MAX];
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        scratch_dir("forms", base, sizeof base);
        make_repo(base, "r", configs[i][0]);
        snprintf(dir, sizeof dir, "%s/r", base);
        assert_int_equal(identity_project_id(dir, out, sizeof out), 0);
        if (strcmp(out, configs[i][1]) != 0)
            fail_msg("config %zu gave %s, want %s", i, out, configs[i][1]);
    }
}

static void test_repo_without_origin(void **state)
{
    (void)state;
    char base[2048], dir[4096], out[IDENTITY_MAX];
    scratch_dir("noorigin", base, sizeof base);
    make_repo(base, "my-tool", "[remote \"upstream\"]\n\turl = git@x:other/repo.git\n");
    make_dirs(base, "my-tool/lib");
    snprintf(dir, sizeof dir, "%s/my-tool/lib", base);
    assert_int_equal(identity_project_id(dir, out, sizeof out), 0);
    assert_string_equal(out, "my-tool"); /* the top level's name, not "lib" */

    /* A repository with no config at all: still the top level's name. */
    make_dirs(base, "bare-ish/.git");
    make_dirs(base, "bare-ish/x");
    snprintf(dir, sizeof dir, "%s/bare-ish/x", base);
    assert_int_equal(identity_project_id(dir, out, sizeof out), 0);
    assert_string_equal(out, "bare-ish");
}

static void test_worktree_and_submodule(void **state)
{
    (void)state;
    char base[2048], dir[4096], out[IDENTITY_MAX], top[4096], text[4096];
    scratch_dir("worktree", base, sizeof base);
    make_repo(base, "main", "[remote \"origin\"]\n\turl = https://github.com/acme/widgets.git\n");

    /* A linked worktree: .git file -> main/.git/worktrees/feature, commondir -> ../.. */
    make_dirs(base, "main/.git/worktrees/feature");
    write_file(base, "main/.git/worktrees/feature/commondir", "../..\n");
    make_dirs(base, "feature-wt/pkg");
    snprintf(text, sizeof text, "gitdir: %s/main/.git/worktrees/feature\n", base);
    write_file(base, "feature-wt/.git", text);
    snprintf(dir, sizeof dir, "%s/feature-wt/pkg", base);
    assert_int_equal(identity_git_toplevel(dir, top, sizeof top), 0);
    char want[4096];
    snprintf(want, sizeof want, "%s/feature-wt", base);
    assert_string_equal(top, want);
    assert_int_equal(identity_project_id(dir, out, sizeof out), 0);
    assert_string_equal(out, "acme-widgets");

    /* A submodule: a relative gitdir with its own config and origin. */
    make_dirs(base, "main/.git/modules/vendor/lib");
    write_file(base, "main/.git/modules/vendor/lib/config",
               "[remote \"origin\"]\n\turl = git@github.com:thirdparty/libthing.git\n");
    make_dirs(base, "main/vendor/lib/src");
    write_file(base, "main/vendor/lib/.git", "gitdir: ../../.git/modules/vendor/lib\n");
    snprintf(dir, sizeof dir, "%s/main/vendor/lib/src", base);
    assert_int_equal(identity_project_id(dir, out, sizeof out), 0);
    assert_string_equal(out, "thirdparty-libthing");

    /* A broken .git file still marks the top level; the name falls back to the folder. */
    make_dirs(base, "broken");
    write_file(base, "broken/.git", "not a gitdir line\n");
    snprintf(dir, sizeof dir, "%s/broken", base);
    assert_int_equal(identity_project_id(dir, out, sizeof out), 0);
    assert_string_equal(out, "broken");
}

static void test_not_a_repo(void **state)
{
    (void)state;
    char base[2048], dir[4096], out[IDENTITY_MAX], top[4096];
    scratch_dir("plain", base, sizeof base);
    if (identity_git_toplevel(base, top, sizeof top) == 0)
        skip(); /* the scratch area itself sits inside a repository */
    make_dirs(base, "notes/drafts");
    snprintf(dir, sizeof dir, "%s/notes/drafts", base);
    assert_int_equal(identity_git_toplevel(dir, top, sizeof top), -1);
    assert_int_equal(identity_project_id(dir, out, sizeof out), 0);
    assert_string_equal(out, "drafts");
    /* A folder that does not exist: its name. */
    snprintf(dir, sizeof dir, "%s/missing/place/", base);
    assert_int_equal(identity_project_id(dir, out, sizeof out), 0);
    assert_string_equal(out, "place");
}

static void test_override_and_sanitising(void **state)
{
    (void)state;
    char base[2048], dir[4096], out[IDENTITY_MAX];
    scratch_dir("override", base, sizeof base);
    make_repo(base, "r", "[remote \"origin\"]\n\turl = git@x:o/r.git\n");
    snprintf(dir, sizeof dir, "%s/r", base);

    setenv("MEM0_PROJECT_ID", "  pinned-project \n", 1);
    assert_int_equal(identity_project_id(dir, out, sizeof out), 0);
    assert_string_equal(out, "pinned-project");
    setenv("MEM0_PROJECT_ID", "tab\there", 1);
    assert_int_equal(identity_project_id(dir, out, sizeof out), 0);
    assert_string_equal(out, "tab-here");
    setenv("MEM0_PROJECT_ID", "   ", 1); /* blank: ignored */
    assert_int_equal(identity_project_id(dir, out, sizeof out), 0);
    assert_string_equal(out, "o-r");
    unsetenv("MEM0_PROJECT_ID");

    /* A folder name with a control character and invalid UTF-8 becomes a valid id. */
    snprintf(dir, sizeof dir, "%s/we\x01ird\xff-caf\xc3\xa9", base);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(identity_project_id(dir, out, sizeof out), 0);
    assert_string_equal(out, "we-ird--caf\xc3\xa9");
    assert_true(entity_id_valid(out));

    /* An over-long override is cut to 256 bytes on a character boundary. */
    char longid[700];
    size_t len = 0;
    while (len + 2 < 600) {
        memcpy(longid + len, "\xc3\xa9", 2); /* é */
        len += 2;
    }
    longid[len++] = 'x';
    longid[len] = '\0';
    setenv("MEM0_PROJECT_ID", longid, 1);
    assert_int_equal(identity_project_id(dir, out, sizeof out), 0);
    assert_int_equal(strlen(out), 256);
    assert_true(entity_id_valid(out));
    unsetenv("MEM0_PROJECT_ID");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_user_id_order, setup),
        cmocka_unit_test_setup(test_key_user_id, setup),
        cmocka_unit_test_setup(test_remote_slug, setup),
        cmocka_unit_test_setup(test_repo_with_origin, setup),
        cmocka_unit_test_setup(test_config_forms, setup),
        cmocka_unit_test_setup(test_repo_without_origin, setup),
        cmocka_unit_test_setup(test_worktree_and_submodule, setup),
        cmocka_unit_test_setup(test_not_a_repo, setup),
        cmocka_unit_test_setup(test_override_and_sanitising, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
