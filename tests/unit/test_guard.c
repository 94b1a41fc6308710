/* test_guard.c: the write guard for Claude Code's file memory (core/guard.c). */
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

#include "guard.h"
#include "support.h"
#include "util.h"

/* A home and a repository that need not exist: checks stay lexical. */
static const guard_env ENV = {"/work/repo", "/home/u", NULL};

static void expect_cmds(const guard_env *env, const char *const *cmds, int want)
{
    char reason[2048];
    for (int i = 0; cmds[i]; i++) {
        reason[0] = '\0';
        int got = guard_check_command(cmds[i], env, reason, sizeof reason);
        if (got != want)
            fail_msg("command %s\n  got %s, want %s", cmds[i], got ? "block" : "allow",
                     want ? "block" : "allow");
        if (got && !strstr(reason, "add_memory")) fail_msg("reason without add_memory: %s", reason);
    }
}

static void expect_paths(const guard_env *env, const char *const *paths, int want)
{
    char reason[2048];
    for (int i = 0; paths[i]; i++) {
        int got = guard_check_path(paths[i], env, reason, sizeof reason);
        if (got != want)
            fail_msg("path %s\n  got %s, want %s", paths[i], got ? "block" : "allow",
                     want ? "block" : "allow");
    }
}

/* The path named in the reason of a blocked command. */
static const char *blocked_path(const guard_env *env, const char *cmd)
{
    static char reason[2048], path[2048];
    if (!guard_check_command(cmd, env, reason, sizeof reason)) fail_msg("not blocked: %s", cmd);
    const char *a = strstr(reason, "write to ");
    const char *b = strstr(reason, ". Claude Code");
    assert_non_null(a);
    assert_non_null(b);
    a += 9;
    snprintf(path, sizeof path, "%.*s", (int)(b - a), a);
    return path;
}

/* ---- Paths from file tools ---------------------------------------------------------- */

static void test_paths_blocked(void **state)
{
    (void)state;
    static const char *const paths[] = {"/home/u/.claude/projects/-work-repo/memory/MEMORY.md",
                                        "/home/u/.claude/memory/notes.md",
                                        "/home/u/.claude/memory/sub/deep.md",
                                        "/work/repo/.claude/memory/x.md",
                                        "/work/repo/.claude/agents/MEMORY.md",
                                        "~/.claude/projects/k/memory/MEMORY.md",
                                        "~/.claude/memory/a",
                                        "~root/.claude/memory/a",
                                        "/home/u//.claude///projects/k/memory/./MEMORY.md",
                                        "/home/u/x/../.claude/projects/k/memory/MEMORY.md",
                                        "/home/u/.claude/projects/k/memory/../memory/MEMORY.md",
                                        ".claude/memory/a",
                                        "./.claude/memory/a",
                                        "../../home/u/.claude/projects/k/memory/MEMORY.md",
                                        "sub/../.claude/tmp/MEMORY.md",
                                        "/a/b/.claude/c/d/e/MEMORY.md",
                                        NULL};
    expect_paths(&ENV, paths, 1);
}

static void test_paths_allowed(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "/work/repo/MEMORY.md",
        "MEMORY.md",
        "./MEMORY.md",
        "docs/MEMORY.md",
        "/work/repo/docs/memory/notes.md",
        "docs/memory/MEMORY.md",
        "/home/u/.claude/MEMORY.md", /* no folder between .claude and MEMORY.md */
        "/home/u/.claude/CLAUDE.md",
        "/home/u/.claude/settings.json",
        "/home/u/.claude/memory",                     /* the folder itself is not a file write */
        "/home/u/.claude/projects/k/memory/notes.md", /* not one of the two globs */
        "/home/u/.claude/projects/k/memory/MEMORY.md.bak",
        "/home/u/.claude/projects/k/memory/memory.md",
        "/home/u/.claude.bak/memory/x",
        "/home/u/claude/memory/x",
        "/home/u/.claude/memoryx/y",
        "/home/u/.claude/x/memory/../../CLAUDE.md",
        "/home/u/.claude/memory/..",
        "",
        NULL};
    expect_paths(&ENV, paths, 0);
}

static void test_path_without_cwd_or_home(void **state)
{
    (void)state;
    guard_env none = {NULL, NULL, NULL};
    static const char *const allowed[] = {".claude/memory/a", "MEMORY.md", NULL};
    expect_paths(&none, allowed, 0);
    static const char *const blocked[] = {"/x/.claude/memory/a", NULL};
    expect_paths(&none, blocked, 1);
    /* An unknown home still shows the protected shape. */
    static const char *const cmds[] = {"echo > ~/.claude/memory/a", NULL};
    expect_cmds(&none, cmds, 1);
    static const char *const rel[] = {"echo > .claude/memory/a", NULL};
    expect_cmds(&none, rel, 0);
}

/* ---- Tool dispatch ------------------------------------------------------------------ */

static int tool(const char *name, const char *input_json)
{
    cJSON *in = input_json ? test_json(input_json) : NULL;
    char reason[2048];
    int r = guard_check_tool(name, in, "/work/repo", "/home/u", reason, sizeof reason);
    cJSON_Delete(in);
    return r;
}

static void test_tools(void **state)
{
    (void)state;
    const char *mem = "{\"file_path\":\"/home/u/.claude/projects/k/memory/MEMORY.md\","
                      "\"content\":\"x\"}";
    assert_int_equal(tool("Write", mem), 1);
    assert_int_equal(tool("Edit", mem), 1);
    assert_int_equal(tool("MultiEdit", mem), 1);
    assert_int_equal(tool("Read", mem), 0);
    assert_int_equal(tool("Grep", mem), 0);
    assert_int_equal(tool("write", mem), 0);
    assert_int_equal(tool("NotebookEdit", "{\"notebook_path\":\"/home/u/.claude/memory/n.ipynb\"}"),
                     1);
    assert_int_equal(tool("NotebookEdit", "{\"notebook_path\":\"/work/repo/n.ipynb\"}"), 0);
    assert_int_equal(tool("Write", "{\"file_path\":\"/work/repo/MEMORY.md\"}"), 0);
    assert_int_equal(tool("Write", "{\"path\":\"/home/u/.claude/memory/a\"}"), 1);
    assert_int_equal(tool("Bash", "{\"command\":\"echo x > ~/.claude/memory/a\"}"), 1);
    assert_int_equal(tool("Bash", "{\"command\":\"cat ~/.claude/memory/a\"}"), 0);
    /* Garbage fails open. */
    assert_int_equal(tool("Write", "{}"), 0);
    assert_int_equal(tool("Write", "{\"file_path\":42}"), 0);
    assert_int_equal(tool("Write", "{\"file_path\":null}"), 0);
    assert_int_equal(tool("Write", "[\"/home/u/.claude/memory/a\"]"), 0);
    assert_int_equal(tool("Bash", "{\"command\":[\"echo\"]}"), 0);
    assert_int_equal(tool("Write", NULL), 0);
    assert_int_equal(tool(NULL, mem), 0);
}

static void test_reason(void **state)
{
    (void)state;
    char reason[2048];
    assert_int_equal(
        guard_check_path("~/.claude/projects/k/memory/MEMORY.md", &ENV, reason, sizeof reason), 1);
    assert_string_equal(reason,
                        "BLOCKED: Do not write to /home/u/.claude/projects/k/memory/MEMORY.md. "
                        "Claude Code's file memory is replaced by mem0 here: use the mem0 MCP "
                        "`add_memory` tool to persist memories (and `search_memories` to find "
                        "them).");
    /* A short buffer is cut, never overrun; a NULL one is fine. */
    char small[16];
    memset(small, 'x', sizeof small);
    assert_int_equal(guard_check_path("/home/u/.claude/memory/a", &ENV, small, 10), 1);
    assert_int_equal(strlen(small), 9);
    assert_int_equal(small[15], 'x');
    assert_int_equal(guard_check_path("/home/u/.claude/memory/a", &ENV, NULL, 0), 1);
    /* The reason names the folded path. */
    assert_string_equal(
        blocked_path(&ENV, "cd ~/.claude && echo > ./projects/k/../k/memory/MEMORY.md"),
        "/home/u/.claude/projects/k/memory/MEMORY.md");
}

/* ---- Shell: redirections -------------------------------------------------------------- */

static void test_redirections(void **state)
{
    (void)state;
    static const char *const blocked[] = {
        "echo hi > ~/.claude/projects/k/memory/MEMORY.md",
        "echo hi >> ~/.claude/projects/k/memory/MEMORY.md",
        "echo hi >| ~/.claude/memory/a",
        "echo hi 1> ~/.claude/memory/a",
        "echo hi 1>>~/.claude/memory/a",
        "make 2> ~/.claude/memory/build.log",
        "make &> ~/.claude/memory/build.log",
        "make &>> ~/.claude/memory/build.log",
        "make >& ~/.claude/memory/build.log",
        "exec 3<> ~/.claude/memory/fd",
        "exec > ~/.claude/memory/all",
        ">~/.claude/memory/empty",
        "echo hi>~/.claude/memory/a",
        "printf '%s\\n' x > /home/u/.claude/projects/-work-repo/memory/MEMORY.md",
        "{ echo a; echo b; } > ~/.claude/memory/grouped",
        "(echo a) > ~/.claude/memory/sub",
        "cat > ~/.claude/projects/k/memory/MEMORY.md <<EOF\n# Memory\n- fact\nEOF",
        "cat <<'EOF' > ~/.claude/memory/a\n$HOME\nEOF\n",
        "cat <<-EOF >~/.claude/memory/a\n\tline\n\tEOF",
        "echo x > ~/.claude/memory/a.md 2>&1",
        "echo x 2>&1 > ~/.claude/memory/a.md",
        NULL};
    expect_cmds(&ENV, blocked, 1);
    static const char *const allowed[] = {
        "echo hi > MEMORY.md",
        "echo hi >> docs/MEMORY.md",
        "echo hi > docs/memory/notes.md",
        "cat ~/.claude/projects/k/memory/MEMORY.md",
        "cat < ~/.claude/memory/a",
        "wc -l < ~/.claude/projects/k/memory/MEMORY.md > count.txt",
        "make 2>&1 | tail",
        "echo oops >&2",
        "exec 3>&-",
        "echo x 2>/dev/null",
        "cat <<< ~/.claude/memory/a",
        "grep -r foo ~/.claude > out.txt",
        "cat ~/.claude/projects/k/memory/MEMORY.md > ~/notes.md",
        NULL};
    expect_cmds(&ENV, allowed, 0);
}

/* ---- Shell: programs that write --------------------------------------------------------- */

static void test_writers(void **state)
{
    (void)state;
    static const char *const blocked[] = {
        "echo x | tee ~/.claude/projects/k/memory/MEMORY.md",
        "echo x | tee -a ~/.claude/projects/k/memory/MEMORY.md",
        "echo x | tee out.txt ~/.claude/memory/a >/dev/null",
        "echo x | tee --append -- ~/.claude/memory/a",
        "cp notes.md ~/.claude/projects/k/memory/MEMORY.md",
        "cp notes.md ~/.claude/memory/",
        "cp -v a.md b.md ~/.claude/memory",
        "cp -t ~/.claude/memory a.md",
        "cp --target-directory=/home/u/.claude/memory a.md",
        "cp -T notes.md ~/.claude/projects/k/memory/MEMORY.md",
        "mv draft.md ~/.claude/projects/k/memory/MEMORY.md",
        "mv MEMORY.md ~/.claude/projects/k/memory/",
        "mv -f -t ~/.claude/memory x y z",
        "install -m 644 notes.md ~/.claude/memory/notes.md",
        "ln -sf /work/repo/notes.md ~/.claude/projects/k/memory/MEMORY.md",
        "ln -s /work/repo/notes.md ~/.claude/memory/",
        "rsync -av notes.md ~/.claude/memory/",
        "rsync -a --exclude .git ./MEMORY.md /home/u/.claude/projects/k/memory/MEMORY.md",
        "rsync -a src/ ~/.claude/memory/",
        "sed -i 's/a/b/' ~/.claude/projects/k/memory/MEMORY.md",
        "sed -i.bak -e s/a/b/ ~/.claude/projects/k/memory/MEMORY.md",
        "sed -ni 's/a/b/p' README.md ~/.claude/memory/a",
        "sed --in-place -e 1d ~/.claude/memory/a",
        "sed -i '' 's/a/b/' ~/.claude/memory/a",
        "perl -pi -e 's/a/b/' ~/.claude/projects/k/memory/MEMORY.md",
        "perl -i.bak -pe 's/a/b/' ~/.claude/memory/a",
        "ruby -i -pe 'x' ~/.claude/memory/a",
        "gawk -i inplace '{print}' ~/.claude/memory/a",
        "dd if=/dev/zero of=~/.claude/memory/a bs=1 count=1",
        "dd if=notes.md of=/home/u/.claude/projects/k/memory/MEMORY.md",
        "touch ~/.claude/projects/k/memory/MEMORY.md",
        "touch -d yesterday ~/.claude/memory/a",
        "truncate -s 0 ~/.claude/projects/k/memory/MEMORY.md",
        "curl -sSo ~/.claude/memory/page https://example.com",
        "curl --output ~/.claude/memory/page https://example.com",
        "curl -L https://example.com -o ~/.claude/projects/k/memory/MEMORY.md",
        "wget -O ~/.claude/memory/page https://example.com",
        "wget -q -P ~/.claude/memory https://example.com/x",
        "patch ~/.claude/projects/k/memory/MEMORY.md < fix.diff",
        "patch -o ~/.claude/memory/out a.txt fix.diff",
        "find . -name '*.md' -exec cp {} ~/.claude/memory/ \\;",
        "find . -fprint ~/.claude/memory/list",
        "ls *.md | xargs -I{} cp {} ~/.claude/memory/",
        "ls | xargs cp -t ~/.claude/memory",
        "sudo tee ~/.claude/memory/a < x",
        "sudo -u root cp x ~/.claude/memory/",
        "sudoedit ~/.claude/memory/a",
        "env FOO=1 tee ~/.claude/memory/a",
        "env -i PATH=/bin cp x ~/.claude/memory/",
        "nohup tee ~/.claude/memory/a",
        "time -p cp x ~/.claude/memory/",
        "/usr/bin/time -o ~/.claude/memory/timing make",
        "timeout 5 cp x ~/.claude/memory/",
        "timeout -s KILL 5 tee ~/.claude/memory/a",
        "nice -n 5 cp x ~/.claude/memory/",
        "command cp x ~/.claude/memory/",
        "exec tee ~/.claude/memory/a",
        "busybox cp x ~/.claude/memory/",
        "/bin/cp x ~/.claude/memory/",
        "\\cp x ~/.claude/memory/",
        "stdbuf -oL tee ~/.claude/memory/a",
        NULL};
    expect_cmds(&ENV, blocked, 1);
    static const char *const allowed[] = {
        "cp ~/.claude/projects/k/memory/MEMORY.md backup.md",
        "cp ~/.claude/projects/k/memory/MEMORY.md /tmp/",
        "mv ~/.claude/projects/k/memory/MEMORY.md /tmp/old.md",
        "cp -r ~/.claude/memory ./backup",
        "rsync -a ~/.claude/ backup/",
        "rsync -a notes.md host:.claude/memory/",
        "ln -s ~/.claude/projects/k/memory/MEMORY.md notes.md",
        "sed 's/a/b/' ~/.claude/projects/k/memory/MEMORY.md",
        "sed -n p ~/.claude/memory/a > out.txt",
        "sed -e s/a/b/ ~/.claude/memory/a",
        "perl -ne 'print' ~/.claude/memory/a",
        "awk '{print}' ~/.claude/memory/a",
        "dd if=~/.claude/memory/a of=copy.bin",
        "touch MEMORY.md docs/memory/x",
        "tee MEMORY.md < notes",
        "curl https://example.com/.claude/memory/x",
        "curl -H 'X: ~/.claude/memory/a' -o page.html https://example.com",
        "install -d ~/.claude/memory",
        "mkdir -p ~/.claude/memory",
        "rm ~/.claude/memory/a",
        "chmod 600 ~/.claude/projects/k/memory/MEMORY.md",
        "ls -la ~/.claude/memory",
        "head ~/.claude/projects/k/memory/MEMORY.md",
        "less ~/.claude/projects/k/memory/MEMORY.md",
        "grep -n fact ~/.claude/projects/k/memory/MEMORY.md",
        "diff MEMORY.md ~/.claude/projects/k/memory/MEMORY.md",
        "git add MEMORY.md docs/memory",
        "echo ~/.claude/memory/a",
        "echo 'echo x > ~/.claude/memory/a'",
        "echo \"> ~/.claude/memory/a\"",
        "find ~/.claude -name MEMORY.md",
        "find . -exec cat {} \\;",
        "command -v tee ~/.claude/memory/a",
        "xargs cat < list",
        "mem0-mcp import ~/.claude/projects/k/memory/MEMORY.md",
        NULL};
    expect_cmds(&ENV, allowed, 0);
}

/* ---- Shell: quotes, expansions, lists --------------------------------------------------- */

static void test_quoting_and_expansion(void **state)
{
    (void)state;
    static const char *const blocked[] = {
        "echo x > \"$HOME/.claude/projects/k/memory/MEMORY.md\"",
        "echo x > ${HOME}/.claude/memory/a",
        "echo x > \"${HOME}\"/'.claude'/memory/a",
        "echo x > ~/'.claude'/\"memory\"/a",
        "echo x > ~/.cla\\ude/memory/a",
        "echo x > $'/home/u/.claude/memory/a'",
        "echo x > $'\\x2fhome/u/.claude/memory/a'",
        "echo x > ~/.claude/projects/\"$KEY\"/memory/MEMORY.md",
        "echo x > ~/.claude/projects/$(pwd | tr / -)/memory/MEMORY.md",
        "echo x > ~/.claude/projects/`basename $PWD`/memory/MEMORY.md",
        "echo x > $PWD/.claude/memory/a",
        "echo x > ~+/.claude/memory/a",
        "echo x > ~/.claude/projects/*/memory/MEMORY.md",
        "echo x > ~/.claude/pro*/k/mem?ry/MEM*.md",
        "touch ~/.claude/projects/k/memory/[M]EMORY.md",
        "touch ~/.claude/projects/k/memory/{MEMORY,notes}.md",
        "touch ~/.claude/{memory,other}/a",
        "echo x > ~/.claude/projects/k/memory/MEMORY.m\\\nd",
        "F=~/.claude/memory/a; echo x > $F",
        "F=$HOME/.claude/projects/k/memory/MEMORY.md && echo x >> \"$F\"",
        "export D=~/.claude/memory; cp x \"$D\"/",
        "D=/home/u/.claude; echo x > ${D}/memory/a",
        NULL};
    expect_cmds(&ENV, blocked, 1);
    static const char *const allowed[] = {
        "echo x > $DIR/MEMORY.md",
        "echo x > \"$OUT\"",
        "echo x > ${TARGET:-MEMORY.md}",
        "echo x > ~/.claude/$SUB",
        "echo x > ~/.claude/projects/*/memory/notes.md",
        "echo x > ~/*/memory/a", /* a glob's * skips dot files */
        "echo x > '*'/memory/a",
        "F=~/.claude/memory/a; unset F; echo x > $F",
        "F=~/.claude/memory/a bash -c 'echo x > /tmp/a'",
        "echo x > \"~/.claude/memory\"", /* a folder named ~ in the repository */
        NULL};
    expect_cmds(&ENV, allowed, 0);
}

static void test_lists_and_nesting(void **state)
{
    (void)state;
    static const char *const blocked[] = {
        "ls; echo x > ~/.claude/memory/a", "true && echo x > ~/.claude/memory/a",
        "false || echo x > ~/.claude/memory/a", "cat notes | tee ~/.claude/memory/a | wc -l",
        "sleep 1 & echo x > ~/.claude/memory/a", "ls\necho x > ~/.claude/memory/a\n",
        "ls |& tee ~/.claude/memory/a", "(cd /tmp && echo x > ~/.claude/memory/a)",
        "( ( echo x > ~/.claude/memory/a ) )", "echo $(echo x > ~/.claude/memory/a)",
        "echo \"$(echo x > ~/.claude/memory/a)\"", "echo `echo x > ~/.claude/memory/a`",
        "diff <(echo x > ~/.claude/memory/a) b", "echo x > >(tee ~/.claude/memory/a)",
        "bash -c 'echo x > ~/.claude/memory/a'", "sh -c \"echo x > ~/.claude/memory/a\"",
        "bash -lc 'cat notes >> ~/.claude/projects/k/memory/MEMORY.md'",
        "bash -e -c 'echo x > ~/.claude/memory/a' name arg", "zsh -c 'echo x > ~/.claude/memory/a'",
        "/bin/sh -c 'sh -c \"echo x > ~/.claude/memory/a\"'",
        "bash <<'EOF'\necho x > ~/.claude/memory/a\nEOF",
        "sh -s <<EOF\ncd ~/.claude/memory\necho x > a\nEOF",
        "bash <<< 'echo x > ~/.claude/memory/a'", "bash - <<EOF\necho x > ~/.claude/memory/a\nEOF",
        "eval 'echo x > ~/.claude/memory/a'", "eval echo x '>' ~/.claude/memory/a",
        "if true; then echo x > ~/.claude/memory/a; fi",
        "while read l; do echo \"$l\" >> ~/.claude/memory/a; done < in",
        "for f in *.md; do cp \"$f\" ~/.claude/memory/; done",
        "case $x in a) echo x > ~/.claude/memory/a;; esac",
        "case $x in\n  a|b)\n    cp x ~/.claude/memory/\n    ;;\nesac",
        "f() { echo x > ~/.claude/memory/a; }; f", "function f { tee ~/.claude/memory/a; }",
        "! echo x > ~/.claude/memory/a", "[[ -d ~/.claude ]] && echo x > ~/.claude/memory/a",
        "echo a # note\necho x > ~/.claude/memory/a", "ls \\\n && echo x > ~/.claude/memory/a",
        "cat <<EOF | tee ~/.claude/memory/a\nbody\nEOF",
        "cat <<A <<B > ~/.claude/memory/a\na\nA\nb\nB",
        "python3 -c \"open('/home/u/.claude/projects/k/memory/MEMORY.md', 'w').write('x')\"",
        "python3 -c \"import pathlib; "
        "pathlib.Path('~/.claude/memory/a').expanduser().write_text('x')\"",
        "python3 - <<'EOF'\nwith open('/home/u/.claude/memory/a', 'a') as f:\n    "
        "f.write('x')\nEOF",
        "node -e \"require('fs').writeFileSync('/home/u/.claude/memory/a', 'x')\"",
        "node -e \"fs.appendFileSync(process.env.HOME + '/x', 1); "
        "fs.writeFileSync('/home/u/.claude/memory/a', 'x')\"",
        "perl -e 'open(my $f, \">\", \"/home/u/.claude/memory/a\"); print $f 1'",
        "perl -e 'open(F, \">>/home/u/.claude/memory/a\")'",
        "ruby -e 'File.write(\"/home/u/.claude/memory/a\", \"x\")'",
        /* A commit message heredoc with an odd quote does not hide the rest. */
        "git commit -m \"$(cat <<'EOF'\nDon't (ever)\nEOF\n)\" && echo x > ~/.claude/memory/a",
        NULL};
    expect_cmds(&ENV, blocked, 1);
    static const char *const allowed[] = {
        "cat <<EOF > notes.txt\necho x > ~/.claude/memory/a\nEOF",
        "cat <<'EOF'\ncp x ~/.claude/memory/\nEOF",
        "git commit -m 'do not echo x > ~/.claude/memory/a'",
        "bash -c 'cat ~/.claude/memory/a'",
        "bash script.sh ~/.claude/memory/a",
        "# echo x > ~/.claude/memory/a",
        "if [[ a > b ]]; then echo yes; fi",
        "[[ $x > ~/.claude/memory/a ]] && echo yes",
        "(( count > 3 )) && echo many",
        "test a \\> ~/.claude/memory/a",
        "python3 -c \"print(open('/home/u/.claude/projects/k/memory/MEMORY.md').read())\"",
        "python3 -c 'import sys; print(1)' > out.txt",
        "python3 script.py --out ~/.claude/memory/a",
        "node -e \"console.log(require('fs').readFileSync('/home/u/.claude/memory/a', 'utf8'))\"",
        "perl -ne 'print if /x/' ~/.claude/memory/a",
        "python3 <<'EOF'\nprint(open('/home/u/.claude/memory/a').read())\nEOF",
        "echo \"$(cat ~/.claude/projects/k/memory/MEMORY.md)\" > summary.md",
        "git commit -m \"$(cat <<'EOF'\nGuard: block > ~/.claude/memory/a (it's Claude's)\n\n"
        "Co-Authored-By: Claude <noreply@anthropic.com>\nEOF\n)\"",
        NULL};
    expect_cmds(&ENV, allowed, 0);
}

/* ---- Shell: cd tracking -------------------------------------------------------------- */

static void test_cd_tracking(void **state)
{
    (void)state;
    static const char *const blocked[] = {
        "cd ~/.claude/projects/k/memory && echo x > MEMORY.md",
        "cd ~/.claude/projects/k/memory; sed -i s/a/b/ MEMORY.md",
        "cd /home/u/.claude && cd memory && touch a",
        "cd ~/.claude/memory\necho x > a",
        "cd ~/.claude && echo x > memory/a",
        "cd ~/.claude/projects && cd k/memory/../memory && tee MEMORY.md",
        "cd && echo x > .claude/memory/a",
        "cd -P ~/.claude && cp x memory/",
        "pushd ~/.claude/memory && echo x > a",
        "cd ~/.claude/memory && cd .. && cd memory && echo x > a",
        "cd ../../home/u/.claude/memory && echo x > a",
        "(cd /tmp); cd ~/.claude/memory && echo x > a",
        "cd \"$HOME/.claude/projects/k/memory\" && echo x >> ./MEMORY.md",
        "cd ~/.claude/memory && echo x > \"$PWD/a\"",
        "cd ~/.claude/memory && bash -c 'echo x > a'",
        "cd ~/.claude/memory && echo $(echo x > a)",
        "cd ~/.claude/memory && eval 'cd ..' && echo x > memory/a",
        NULL};
    expect_cmds(&ENV, blocked, 1);
    static const char *const allowed[] = {
        "cd ~/.claude/memory && cd - && echo x > a",
        "cd $SOMEWHERE && echo x > a",
        "cd ~/.claude/memory && popd && echo x > a",
        "(cd ~/.claude/memory) && echo x > a",
        "(cd ~/.claude/memory && cat a) > out.txt",
        "cd ~/.claude/projects/k/memory && cat MEMORY.md",
        "cd ~/.claude/projects/k/memory && cd /work/repo && echo x > MEMORY.md",
        "cd docs && echo x > MEMORY.md",
        "cd docs/memory && echo x > notes.md",
        "cd ~/.claude && echo x > CLAUDE.md",
        "echo x > a; cd ~/.claude/memory",
        "bash -c 'cd ~/.claude/memory'; echo x > a",
        "cd ~/.claude/memory | echo x > a.txt && cd /tmp && echo x > a",
        NULL};
    expect_cmds(&ENV, allowed, 0);
    /* An unknown starting directory: relative writes are allowed, absolute ones checked. */
    guard_env nocwd = {NULL, "/home/u", NULL};
    static const char *const rel[] = {"echo x > .claude/memory/a", "cd .. && echo x > a", NULL};
    expect_cmds(&nocwd, rel, 0);
    static const char *const abs[] = {"cd ~/.claude/memory && echo x > a",
                                      "echo x > /home/u/.claude/memory/a", NULL};
    expect_cmds(&nocwd, abs, 1);
    /* Inside ~/.claude already. */
    guard_env inside = {"/home/u/.claude/projects/k", "/home/u", NULL};
    static const char *const in_b[] = {"echo x > memory/MEMORY.md", "cd memory && touch MEMORY.md",
                                       "cd ../.. && tee memory/a", NULL};
    expect_cmds(&inside, in_b, 1);
}

/* ---- Fail open ----------------------------------------------------------------------- */

static void test_fail_open(void **state)
{
    (void)state;
    static const char *const allowed[] = {"echo \"unterminated > ~/.claude/memory/a",
                                          "echo 'unterminated > ~/.claude/memory/a",
                                          "echo x > ~/.claude/memory/a; echo \"open",
                                          "echo $(echo x > ~/.claude/memory/a",
                                          "echo `echo x > ~/.claude/memory/a",
                                          "echo ${HOME",
                                          "echo x >",
                                          "echo x > ;",
                                          "cat <<",
                                          "echo x > ~/.claude/memory/a\x01",
                                          "",
                                          NULL};
    expect_cmds(&ENV, allowed, 0);
    char r[64];
    assert_int_equal(guard_check_command(NULL, &ENV, r, sizeof r), 0);
    assert_int_equal(guard_check_command("echo x > ~/.claude/memory/a", NULL, r, sizeof r), 1);
    assert_int_equal(guard_check_path(NULL, &ENV, r, sizeof r), 0);

    /* Over the size limit: allowed unread, even with a write in it. */
    size_t big = GUARD_MAX_COMMAND + 100;
    char *cmd = malloc(big + 1);
    assert_non_null(cmd);
    memset(cmd, ' ', big);
    memcpy(cmd, "echo x > ~/.claude/memory/a", 27);
    cmd[big] = '\0';
    assert_int_equal(guard_check_command(cmd, &ENV, r, sizeof r), 0);
    cmd[GUARD_MAX_COMMAND - 1] = '\0'; /* just under: read */
    assert_int_equal(guard_check_command(cmd, &ENV, r, sizeof r), 1);
    free(cmd);

    /* Nested shell strings are read GUARD_MAX_DEPTH deep, then allowed. */
    for (int levels = GUARD_MAX_DEPTH; levels <= GUARD_MAX_DEPTH + 1; levels++) {
        strbuf sb = {0};
        for (int d = 0; d < levels; d++)
            sb_adds(&sb, "echo $(");
        sb_adds(&sb, "echo x > ~/.claude/memory/a");
        for (int d = 0; d < levels; d++)
            sb_adds(&sb, ")");
        char *nested = sb_detach(&sb);
        assert_int_equal(guard_check_command(nested, &ENV, r, sizeof r), levels <= GUARD_MAX_DEPTH);
        nested[strlen(nested) - 1] = '\0'; /* unbalanced: a syntax error */
        assert_int_equal(guard_check_command(nested, &ENV, r, sizeof r), 0);
        free(nested);
    }
}

/* Adversarial sizes stay linear: each finishes far below any deadline. */
static void test_linear_time(void **state)
{
    (void)state;
    static const char *const units[] = {
        "touch a b c; ", "((((",   "$(",  "\"",     "'", "[",        "{a,",
        "cat <<E\n",     "echo `", "a\\", "x=$y; ", "~", "cd a && ", NULL};
    char r[64];
    for (int u = 0; units[u]; u++) {
        strbuf sb = {0};
        size_t ul = strlen(units[u]);
        while (sb.len + ul < GUARD_MAX_COMMAND)
            sb_adds(&sb, units[u]);
        char *cmd = sb_detach(&sb);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        (void)guard_check_command(cmd, &ENV, r, sizeof r);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        /* Generous enough for valgrind; a quadratic scan of 64 KiB takes seconds. */
        if (ms > 2000) fail_msg("unit %s took %.0f ms", units[u], ms);
        free(cmd);
    }
}

/* ---- Symlinks (a real tree) --------------------------------------------------------- */

static char root[1024];

static void mk(const char *rel)
{
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    assert_int_equal(mkdir(p, 0700), 0);
}

static void put(const char *rel)
{
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("x\n", f);
    fclose(f);
}

static void sym(const char *target, const char *rel)
{
    char p[2048], t[2048];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    if (target[0] == '/')
        snprintf(t, sizeof t, "%s%s", root, target);
    else
        snprintf(t, sizeof t, "%s", target);
    assert_int_equal(symlink(t, p), 0);
}

static int setup_tree(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "%s", test_scratch_dir("guard"));
    mk("home");
    mk("home/.claude");
    mk("home/.claude/projects");
    mk("home/.claude/projects/k");
    mk("home/.claude/projects/k/memory");
    put("home/.claude/projects/k/memory/MEMORY.md");
    mk("repo");
    mk("repo/docs");
    mk("repo/skill");
    mk("repo/memdir");
    put("repo/memdir/MEMORY.md");
    sym("/home/.claude/projects/k/memory", "repo/mem");                /* folder link */
    sym("/home/.claude/projects/k/memory/MEMORY.md", "repo/notes.md"); /* file link */
    sym("/home/.claude/memory/new.md", "repo/dangling.md");            /* target does not exist */
    sym("../home/.claude", "repo/cc");                                 /* relative link */
    sym("cc", "repo/cc2");                                             /* link to a link */
    sym("loop", "repo/loop");                                          /* a loop */
    /* A second home whose .claude is a link to a folder with another name. */
    mk("home2");
    mk("data");
    mk("data/claude-config");
    mk("data/claude-config/projects");
    sym("/data/claude-config", "home2/.claude");
    mk("cfg");
    return 0;
}

static void tree_env(guard_env *env, char *cwd, char *home, const char *cwd_rel,
                     const char *home_rel)
{
    sprintf(cwd, "%s/%s", root, cwd_rel);
    sprintf(home, "%s/%s", root, home_rel);
    env->cwd = cwd;
    env->home_dir = home;
    env->claude_dir = NULL;
}

static void test_symlinks(void **state)
{
    (void)state;
    char cwd[2048], home[2048];
    guard_env env;
    tree_env(&env, cwd, home, "repo", "home");
    static const char *const blocked[] = {"mem/MEMORY.md",
                                          "./mem/MEMORY.md",
                                          "notes.md",
                                          "dangling.md",
                                          "cc/memory/x",
                                          "cc2/projects/k/memory/MEMORY.md",
                                          "mem/../MEMORY.md", /* kernel: .claude/projects/k */
                                          "docs/../mem/MEMORY.md",
                                          NULL};
    expect_paths(&env, blocked, 1);
    static const char *const allowed[] = {"MEMORY.md", "docs/MEMORY.md", "mem/notes.md",
                                          "loop/x",    "cc/CLAUDE.md",   "skill/MEMORY.md",
                                          NULL};
    expect_paths(&env, allowed, 0);
    static const char *const b_cmds[] = {
        "echo x > notes.md",
        "echo x >> mem/MEMORY.md",
        "cd mem && echo x > MEMORY.md",
        "cd cc && cp ../docs/x memory/",
        "cp -r memdir ../home/.claude/projects/k/", /* the copy brings a MEMORY.md */
        "cp docs/x notes.md",                       /* cp writes through the link */
        "touch dangling.md",
        "truncate -s 0 notes.md",
        "mv MEMORY.md mem/", /* a folder link is followed */
        NULL};
    expect_cmds(&env, b_cmds, 1);
    static const char *const a_cmds[] = {
        "cat notes.md", "cp notes.md backup.md",
        "cp -r skill ../home/.claude/", /* no MEMORY.md inside */
        "echo x > mem/other.md",
        /* These replace the link itself and leave its target alone. */
        "sed -i s/a/b/ notes.md", "perl -pi -e s/a/b/ notes.md", "mv draft.md notes.md",
        "ln -sf docs/x notes.md", "rsync -a draft.md notes.md", NULL};
    expect_cmds(&env, a_cmds, 0);
    /* The reason names the real file behind the link. */
    char want[2048];
    snprintf(want, sizeof want, "%s/home/.claude/projects/k/memory/MEMORY.md", root);
    assert_string_equal(blocked_path(&env, "echo x > notes.md"), want);
}

static void test_claude_folder_elsewhere(void **state)
{
    (void)state;
    char cwd[2048], home[2048], p[2048];
    guard_env env;
    /* ~/.claude is a link to /data/claude-config: writes to the real folder count. */
    tree_env(&env, cwd, home, "repo", "home2");
    snprintf(p, sizeof p, "%s/data/claude-config/projects/k/memory/MEMORY.md", root);
    assert_int_equal(guard_check_path(p, &env, NULL, 0), 1);
    snprintf(p, sizeof p, "%s/data/claude-config/memory/a", root);
    assert_int_equal(guard_check_path(p, &env, NULL, 0), 1);
    snprintf(p, sizeof p, "%s/data/claude-config/settings.json", root);
    assert_int_equal(guard_check_path(p, &env, NULL, 0), 0);
    /* CLAUDE_CONFIG_DIR names another .claude folder. */
    char cfg[2048];
    snprintf(cfg, sizeof cfg, "%s/cfg", root);
    env.claude_dir = cfg;
    snprintf(p, sizeof p, "%s/cfg/projects/k/memory/MEMORY.md", root);
    assert_int_equal(guard_check_path(p, &env, NULL, 0), 1);
    snprintf(p, sizeof p, "%s/cfg/MEMORY.md", root);
    assert_int_equal(guard_check_path(p, &env, NULL, 0), 0);
    static const char *const cmds[] = {"echo x > $CLAUDE_CONFIG_DIR/projects/k/memory/MEMORY.md",
                                       NULL};
    expect_cmds(&env, cmds, 1);
    env.claude_dir = NULL;
    expect_cmds(&env, cmds, 0); /* unset: unknown, and no .claude in sight */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths_blocked),
        cmocka_unit_test(test_paths_allowed),
        cmocka_unit_test(test_path_without_cwd_or_home),
        cmocka_unit_test(test_tools),
        cmocka_unit_test(test_reason),
        cmocka_unit_test(test_redirections),
        cmocka_unit_test(test_writers),
        cmocka_unit_test(test_quoting_and_expansion),
        cmocka_unit_test(test_lists_and_nesting),
        cmocka_unit_test(test_cd_tracking),
        cmocka_unit_test(test_fail_open),
        cmocka_unit_test(test_linear_time),
        cmocka_unit_test(test_symlinks),
        cmocka_unit_test(test_claude_folder_elsewhere),
    };
    return cmocka_run_group_tests(tests, setup_tree, NULL);
}
