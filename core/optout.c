/* optout.c: switching memory off per repository, and capture excludes (see optout.h). */
#include "optout.h"
#include "identity.h"
#include "util.h"

#include <ctype.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define IGNORE_MAX_GLOBS 256
#define IGNORE_MAX_LINE 1024

int optout_env_disabled(void)
{
    const char *v = getenv("MEM0_DISABLE");
    if (!v) return 0;
    while (isspace((unsigned char)*v))
        v++;
    size_t n = strlen(v);
    while (n > 0 && isspace((unsigned char)v[n - 1]))
        n--;
    if (n == 0) return 0;
    if (n == 1 && v[0] == '0') return 0;
    if (n == 5 && strncasecmp(v, "false", 5) == 0) return 0;
    return 1;
}

/* The repository top level of dir, else dir itself resolved; 0 or -1. */
static int top_of(const char *dir, char *out, size_t n)
{
    char cwd[PATH_MAX];
    if (!dir || !*dir) {
        if (!getcwd(cwd, sizeof cwd)) return -1;
        dir = cwd;
    }
    if (identity_git_toplevel(dir, out, n) == 0) return 0;
    char real[PATH_MAX];
    if (!realpath(dir, real)) return -1;
    if (strlen(real) >= n) return -1;
    memcpy(out, real, strlen(real) + 1);
    return 0;
}

int optout_active(const char *dir)
{
    char top[PATH_MAX], probe[PATH_MAX + 32];
    struct stat st;
    if (optout_env_disabled()) return 1;
    if (top_of(dir, top, sizeof top) < 0) return 0;
    snprintf(probe, sizeof probe, "%s/%s", strcmp(top, "/") ? top : "", OPTOUT_DISABLE_FILE);
    return stat(probe, &st) == 0;
}

/* ---- Ignore globs ------------------------------------------------------------------- */

typedef struct glob_entry {
    char *pattern;
    int relative;  /* matched against the path relative to the repository top */
    int any_depth; /* relative and without '/': matched against each name */
} glob_entry;

struct optout_ignore {
    char dir[PATH_MAX]; /* what relative paths are relative to */
    char top[PATH_MAX]; /* the repository top level */
    glob_entry globs[IGNORE_MAX_GLOBS];
    int n;
};

/* Adds the globs of one file; relative: globs of a repository file. */
static void load_file(optout_ignore *ig, const char *path, int relative)
{
    FILE *f = fopen(path, "r");
    if (!f) return;
    const char *home = getenv("HOME");
    char line[IGNORE_MAX_LINE + 2];
    while (ig->n < IGNORE_MAX_GLOBS && fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        if (len && line[len - 1] != '\n' && !feof(f)) {
            /* An over-long line: skip the rest of it and the line itself. */
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
            continue;
        }
        while (len && isspace((unsigned char)line[len - 1]))
            line[--len] = '\0';
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        if (!*s || *s == '#') continue;
        len = strlen(s);
        while (len > 1 && s[len - 1] == '/') /* "build/" names the folder */
            s[--len] = '\0';
        char buf[PATH_MAX];
        int rel = relative;
        if (relative) {
            while (s[0] == '.' && s[1] == '/')
                s += 2;
            while (*s == '/') /* "/secrets" is anchored at the top, as in .gitignore */
                s++;
            if (!*s) continue;
            snprintf(buf, sizeof buf, "%s", s);
        } else if (s[0] == '~' && s[1] == '/' && home && *home) {
            snprintf(buf, sizeof buf, "%s%s", home, s + 1);
        } else if (s[0] == '/') {
            snprintf(buf, sizeof buf, "%s", s);
        } else {
            continue; /* relative globs mean nothing in the home file */
        }
        char *copy = xstrdup(buf);
        if (!copy) break;
        ig->globs[ig->n].pattern = copy;
        ig->globs[ig->n].relative = rel;
        ig->globs[ig->n].any_depth = rel && !strchr(copy, '/');
        ig->n++;
    }
    fclose(f);
}

optout_ignore *optout_ignore_load(const char *dir, const char *home)
{
    char cwd[PATH_MAX], path[PATH_MAX + 32];
    optout_ignore *ig = calloc(1, sizeof *ig);
    if (!ig) return NULL;
    if (!dir || !*dir) dir = getcwd(cwd, sizeof cwd) ? cwd : ".";
    if (!realpath(dir, ig->dir)) snprintf(ig->dir, sizeof ig->dir, "%s", dir);
    if (top_of(dir, ig->top, sizeof ig->top) == 0) {
        snprintf(path, sizeof path, "%s/%s", strcmp(ig->top, "/") ? ig->top : "",
                 OPTOUT_IGNORE_FILE);
        load_file(ig, path, 1);
    } else {
        ig->top[0] = '\0';
    }
    if (home && *home) {
        snprintf(path, sizeof path, "%s/%s", home, OPTOUT_IGNORE_FILE);
        load_file(ig, path, 0);
    }
    if (ig->n == 0) {
        free(ig);
        return NULL;
    }
    return ig;
}

void optout_ignore_free(optout_ignore *ig)
{
    if (!ig) return;
    for (int i = 0; i < ig->n; i++)
        free(ig->globs[i].pattern);
    free(ig);
}

/* Lexically normalises an absolute path in place: no "//", "." or ".." components. */
static void normalise(char *p)
{
    char *out = p, *in = p;
    while (*in) {
        while (*in == '/')
            in++;
        if (!*in) break;
        char *end = strchr(in, '/');
        size_t len = end ? (size_t)(end - in) : strlen(in);
        if (len == 1 && in[0] == '.') {
            /* skip */
        } else if (len == 2 && in[0] == '.' && in[1] == '.') {
            while (out > p && *--out != '/')
                ;
        } else {
            *out++ = '/';
            memmove(out, in, len);
            out += len;
        }
        in += len;
    }
    if (out == p) *out++ = '/';
    *out = '\0';
}

/* 1 if the absolute, normalised path abs matches one glob. */
static int match_one(const optout_ignore *ig, const char *abs)
{
    size_t tl = strlen(ig->top);
    const char *rel = NULL;
    if (tl && strncmp(abs, ig->top, tl) == 0 && abs[tl] == '/')
        rel = abs + tl + 1;
    else if (tl == 1 && ig->top[0] == '/')
        rel = abs + 1;
    for (int i = 0; i < ig->n; i++) {
        const glob_entry *g = &ig->globs[i];
        if (g->relative) {
            if (!rel || !*rel) continue;
            const char *name = g->any_depth ? strrchr(rel, '/') : NULL;
            name = name ? name + 1 : rel;
            if (fnmatch(g->pattern, name, FNM_PATHNAME) == 0) return 1;
        } else if (fnmatch(g->pattern, abs, FNM_PATHNAME) == 0) {
            return 1;
        }
    }
    return 0;
}

int optout_ignored(const optout_ignore *ig, const char *path)
{
    char abs[PATH_MAX * 2], real[PATH_MAX];
    if (!ig || !path || !*path) return 0;
    if (path[0] == '/')
        snprintf(abs, sizeof abs, "%s", path);
    else
        snprintf(abs, sizeof abs, "%s/%s", ig->dir, path);
    normalise(abs);
    /* Both the path as written and where it really is (symlinks) are checked. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            if (!realpath(abs, real) || strcmp(real, abs) == 0) break;
            snprintf(abs, sizeof abs, "%s", real);
        }
        char probe[PATH_MAX * 2];
        snprintf(probe, sizeof probe, "%s", abs);
        for (;;) {
            if (match_one(ig, probe)) return 1;
            char *slash = strrchr(probe, '/');
            if (!slash || slash == probe) break;
            *slash = '\0';
        }
    }
    return 0;
}
