/* test_optout.c: switching memory off per repository, capture excludes (core/optout.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "optout.h"
#include "support.h"

static void put_file(const char *dir, const char *name, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *sub(const char *dir, const char *name)
{
    static char bufs[8][4200];
    static int k;
    char tmp[4200];
    char *b = bufs[k++ % 8];
    snprintf(tmp, sizeof tmp, "%s/%s", dir, name);
    memcpy(b, tmp, sizeof tmp);
    mkdir(b, 0755);
    return b;
}

/* A repository: a folder with a .git folder. */
static const char *make_repo(void)
{
    const char *repo = test_scratch_dir("optout-repo");
    sub(repo, ".git");
    return repo;
}

static int teardown_env(void **state)
{
    (void)state;
    unsetenv("MEM0_DISABLE");
    return 0;
}

static void test_env_values(void **state)
{
    (void)state;
    static const char *const off[] = {"", "0", "false", "FALSE", " false ", "  "};
    static const char *const on[] = {"1", "true", "yes", "anything"};
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
        setenv("MEM0_DISABLE", off[i], 1);
        assert_false(optout_env_disabled());
    }
    for (size_t i = 0; i < sizeof on / sizeof on[0]; i++) {
        setenv("MEM0_DISABLE", on[i], 1);
        assert_true(optout_env_disabled());
        assert_true(optout_active("/"));
    }
    unsetenv("MEM0_DISABLE");
    assert_false(optout_env_disabled());
}

static void test_disable_file_at_top_level(void **state)
{
    (void)state;
    const char *repo = make_repo();
    const char *deep = sub(sub(repo, "src"), "net");
    assert_false(optout_active(repo));
    assert_false(optout_active(deep));
    put_file(repo, OPTOUT_DISABLE_FILE, "");
    assert_true(optout_active(repo));
    assert_true(optout_active(deep)); /* anywhere in the repository */

    /* A .mem0-disable in a subfolder is not the repository's switch. */
    const char *other = make_repo();
    const char *o_src = sub(other, "src");
    put_file(o_src, OPTOUT_DISABLE_FILE, "");
    assert_false(optout_active(other));
    assert_false(optout_active(o_src));

    /* Outside a repository the folder itself is the top level. */
    const char *plain = test_scratch_dir("optout-plain");
    assert_false(optout_active(plain));
    put_file(plain, OPTOUT_DISABLE_FILE, "");
    assert_true(optout_active(plain));
    assert_false(optout_active("/nonexistent/folder/for/sure"));
}

static void test_ignore_globs(void **state)
{
    (void)state;
    const char *repo = make_repo();
    const char *home = test_scratch_dir("optout-home");
    sub(repo, "secrets");
    put_file(repo, OPTOUT_IGNORE_FILE,
             "# capture excludes\n"
             "\n"
             "secrets/\n"
             "*.pem\n"
             "/docs/private\n"
             "  build/gen  \n");
    put_file(home, OPTOUT_IGNORE_FILE, "/srv/clients/*\nrelative/ignored\n");
    optout_ignore *ig = optout_ignore_load(repo, home);
    assert_non_null(ig);
    char p[4400];
    snprintf(p, sizeof p, "%s/secrets/key.txt", repo);
    assert_true(optout_ignored(ig, p));
    assert_true(optout_ignored(ig, "secrets"));           /* relative to the folder */
    assert_true(optout_ignored(ig, "src/deep/cert.pem")); /* a name at any depth */
    assert_true(optout_ignored(ig, "docs/private/plan.md"));
    assert_true(optout_ignored(ig, "./build//gen/x.c"));
    assert_true(optout_ignored(ig, "src/../secrets/a"));
    assert_false(optout_ignored(ig, "src/main.c"));
    assert_false(optout_ignored(ig, "docs/public/plan.md"));
    assert_false(optout_ignored(ig, "src/docs/private/x")); /* anchored glob */
    assert_true(optout_ignored(ig, "/srv/clients/acme/notes.md"));
    assert_false(optout_ignored(ig, "/srv/other/x"));
    assert_false(optout_ignored(ig, "relative/ignored")); /* not a home glob */
    assert_false(optout_ignored(ig, ""));
    assert_false(optout_ignored(NULL, "secrets"));
    optout_ignore_free(ig);

    /* No files: nothing to load, nothing matches. */
    assert_null(optout_ignore_load(make_repo(), test_scratch_dir("optout-home")));
}

static void test_ignore_from_subfolder(void **state)
{
    (void)state;
    const char *repo = make_repo();
    const char *src = sub(repo, "src");
    put_file(repo, OPTOUT_IGNORE_FILE, "src/vendor\n");
    optout_ignore *ig = optout_ignore_load(src, NULL);
    assert_non_null(ig);
    assert_true(optout_ignored(ig, "vendor/lib.c")); /* relative to src */
    assert_false(optout_ignored(ig, "lib.c"));
    optout_ignore_free(ig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_env_values, teardown_env),
        cmocka_unit_test_teardown(test_disable_file_at_top_level, teardown_env),
        cmocka_unit_test_teardown(test_ignore_globs, teardown_env),
        cmocka_unit_test_teardown(test_ignore_from_subfolder, teardown_env),
    };
    unsetenv("MEM0_DISABLE");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
