/*
 * identity.c: the local user id and the project id (see identity.h).
 *
 * Git is read straight from the files: the top level is the nearest folder holding a .git
 * folder or a .git file ("gitdir: ..." of worktrees and submodules), and the origin URL
 * comes from the repository's config (for a linked worktree, the config of the main
 * repository, found through "commondir").  Hooks run this on every prompt, so no process
 * is started.
 */
#include "identity.h"
#include "util.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

static int is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Copies s without its surrounding whitespace into out (n > 0); returns its length. */
static size_t copy_trimmed(const char *s, char *out, size_t n)
{
    while (*s && is_blank((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && is_blank((unsigned char)s[len - 1]))
        len--;
    if (len >= n) len = n - 1;
    memcpy(out, s, len);
    out[len] = '\0';
    return len;
}

/* ---- User --------------------------------------------------------------------------- */

void identity_user_id(char *out, size_t n)
{
    static const char *const vars[] = {"MEM0_USER_ID", "MEM0_DEFAULT_USER_ID", "USER"};
    char buf[IDENTITY_MAX + 1];
    if (!out || n == 0) return;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        /* Empty, blank or unusable (too long, control characters) values are skipped. */
        if (v && copy_trimmed(v, buf, sizeof buf) > 0 && entity_id_valid(buf)) {
            snprintf(out, n, "%s", buf);
            return;
        }
    }
    snprintf(out, n, "default");
}

int identity_key_user_id(const char *api_key, char out[18])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    if (!api_key || !*api_key) return -1;
    if (sodium_init() < 0) return -1;
    crypto_hash_sha256(digest, (const unsigned char *)api_key, strlen(api_key));
    hex_encode(digest, sizeof digest, hex);
    snprintf(out, 18, "mem0-%.12s", hex);
    return 0;
}

/* ---- Files -------------------------------------------------------------------------- */

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Reads the first line of a small file, trimmed; 0, or -1. */
static int read_line(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[PATH_MAX + 64];
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    if (!ok) return -1;
    copy_trimmed(line, out, n);
    return 0;
}

/* printf into a path buffer; -1 if it did not fit. */
__attribute__((format(printf, 3, 4))) static int path_fmt(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(out, n, fmt, ap);
    va_end(ap);
    return r < 0 || (size_t)r >= n ? -1 : 0;
}

/* base/rel, or rel itself when it is absolute; -1 if too long. */
static int join_path(const char *base, const char *rel, char *out, size_t n)
{
    return rel[0] == '/' ? path_fmt(out, n, "%s", rel) : path_fmt(out, n, "%s/%s", base, rel);
}

/* The last component of path (trailing slashes ignored) into out; its length. */
static size_t base_name(const char *path, char *out, size_t n)
{
    size_t end = strlen(path);
    while (end > 0 && path[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    size_t len = end - start;
    if (len >= n) len = n - 1;
    memcpy(out, path + start, len);
    out[len] = '\0';
    return len;
}

/* dir made absolute and canonical when it exists; as given otherwise. */
static void absolute_dir(const char *dir, char *out, size_t n)
{
    char real[PATH_MAX];
    if (realpath(dir, real))
        snprintf(out, n, "%s", real);
    else
        snprintf(out, n, "%s", dir);
}

/* ---- Git -------------------------------------------------------------------------------- */

int identity_git_toplevel(const char *dir, char *out, size_t n)
{
    char cur[PATH_MAX], probe[PATH_MAX + 8];
    if (!dir || !*dir || !realpath(dir, cur)) return -1;
    for (;;) {
        snprintf(probe, sizeof probe, "%s/.git", strcmp(cur, "/") ? cur : "");
        if (is_dir(probe) || is_file(probe)) {
            snprintf(out, n, "%s", cur);
            return 0;
        }
        char *slash = strrchr(cur, '/');
        if (!slash || slash == cur) {
            if (strcmp(cur, "/") == 0) return -1;
            strcpy(cur, "/");
            continue;
        }
        *slash = '\0';
    }
}

/* The config file of the repository whose top level is top; 0, or -1. */
static int git_config_path(const char *top, char *out, size_t n)
{
    char dotgit[PATH_MAX], gitdir[PATH_MAX], common[PATH_MAX], line[PATH_MAX], rel[PATH_MAX];
    char probe[PATH_MAX];
    if (path_fmt(dotgit, sizeof dotgit, "%s/.git", top) < 0) return -1;
    if (is_dir(dotgit)) {
        memcpy(gitdir, dotgit, sizeof gitdir);
    } else {
        /* A worktree or submodule: ".git" is a file "gitdir: <path>". */
        if (read_line(dotgit, line, sizeof line) < 0 || strncmp(line, "gitdir:", 7) != 0) return -1;
        copy_trimmed(line + 7, rel, sizeof rel);
        if (!*rel || join_path(top, rel, gitdir, sizeof gitdir) < 0) return -1;
    }
    /* A linked worktree keeps its config in the main repository ("commondir"). */
    if (path_fmt(probe, sizeof probe, "%s/commondir", gitdir) == 0 &&
        read_line(probe, common, sizeof common) == 0 && *common) {
        if (join_path(gitdir, common, probe, sizeof probe) < 0 ||
            path_fmt(out, n, "%s/config", probe) < 0)
            return -1;
    } else if (path_fmt(out, n, "%s/config", gitdir) < 0) {
        return -1;
    }
    return is_file(out) ? 0 : -1;
}

/* Parses a section header line "[remote \"origin\"]" or "[remote.origin]": 1 if it names
 * the origin remote, 0 for another section. */
static int section_is_origin(const char *line)
{
    const char *p = line + 1;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncasecmp(p, "remote", 6) != 0) return 0;
    p += 6;
    if (*p == '.') /* legacy form, subsection case-insensitive */
        return strncasecmp(p + 1, "origin", 6) == 0 && (p[7] == ']' || p[7] == ' ');
    while (*p == ' ' || *p == '\t')
        p++;
    return strncmp(p, "\"origin\"", 8) == 0;
}

/* The value of `url = ...` in line, unquoted and without a trailing comment; 1 if found. */
static int url_value(const char *line, char *out, size_t n)
{
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncasecmp(p, "url", 3) != 0) return 0;
    p += 3;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '=') return 0;
    p++;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t len = 0;
    int quoted = 0;
    for (; *p && *p != '\n' && *p != '\r' && len + 1 < n; p++) {
        if (*p == '"') {
            quoted = !quoted;
            continue;
        }
        if (!quoted && (*p == '#' || *p == ';')) break;
        if (*p == '\\' && p[1]) {
            p++;
            out[len++] = *p == 't' ? '\t' : *p;
            continue;
        }
        out[len++] = *p;
    }
    while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '\t'))
        len--;
    out[len] = '\0';
    return len > 0;
}

/* The first url of [remote "origin"] in a git config file; 0, or -1. */
static int origin_url(const char *config, char *out, size_t n)
{
    FILE *f = fopen(config, "r");
    if (!f) return -1;
    char line[PATH_MAX + 256];
    int in_origin = 0, found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '[')
            in_origin = section_is_origin(p);
        else if (in_origin)
            found = url_value(p, out, n);
    }
    fclose(f);
    return found ? 0 : -1;
}

int identity_remote_slug(const char *url, char *out, size_t n)
{
    char buf[PATH_MAX];
    if (!url) return -1;
    size_t len = copy_trimmed(url, buf, sizeof buf);
    while (len > 0 && buf[len - 1] == '/')
        buf[--len] = '\0';
    if (len > 4 && strcmp(buf + len - 4, ".git") == 0) buf[len -= 4] = '\0';
    while (len > 0 && buf[len - 1] == '/')
        buf[--len] = '\0';

    /* The path part: after host[:port] for scheme URLs, after "host:" for scp-like ones,
     * the whole text for a local path. */
    const char *path = buf;
    const char *scheme = strstr(buf, "://");
    if (scheme) {
        const char *host = scheme + 3;
        path = strchr(host, '/');
        if (!path) return -1;
        if (strncmp(buf, "file://", 7) == 0) path = host;
    } else {
        const char *colon = strchr(buf, ':');
        const char *slash = strchr(buf, '/');
        if (colon && (!slash || colon < slash)) path = colon + 1;
    }

    char repo[PATH_MAX], owner[PATH_MAX];
    const char *end = path + strlen(path);
    const char *r = end;
    while (r > path && r[-1] != '/')
        r--;
    if (r == end) return -1;
    snprintf(repo, sizeof repo, "%.*s", (int)(end - r), r);
    const char *o_end = r;
    while (o_end > path && o_end[-1] == '/')
        o_end--;
    const char *o = o_end;
    while (o > path && o[-1] != '/')
        o--;
    snprintf(owner, sizeof owner, "%.*s", (int)(o_end - o), o);
    if (*owner && strcmp(owner, "~") != 0)
        snprintf(out, n, "%s-%s", owner, repo);
    else
        snprintf(out, n, "%s", repo);
    return 0;
}

/* ---- Project ---------------------------------------------------------------------------- */

/* Makes text a usable entity id in place: trimmed, control characters and invalid UTF-8
 * turned into '-', cut to 256 bytes on a character boundary.  Returns its length. */
static size_t sanitise_id(char *text)
{
    char buf[PATH_MAX];
    size_t len = copy_trimmed(text, buf, sizeof buf);
    size_t j = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)buf[i];
        if (c < 0x20 || c == 0x7f) {
            text[j++] = '-';
            i++;
            continue;
        }
        size_t clen = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (clen > 1 && (i + clen > len || !utf8_valid(buf + i, clen))) {
            text[j++] = '-';
            i++;
            continue;
        }
        memcpy(text + j, buf + i, clen);
        j += clen;
        i += clen;
    }
    text[j] = '\0';
    len = utf8_clip(text, 256);
    text[len] = '\0';
    return len;
}

/* Copies a candidate id into out after sanitising; 0 if it is usable, else -1. */
static int use_id(const char *candidate, char *out, size_t n)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", candidate);
    if (sanitise_id(buf) == 0 || !entity_id_valid(buf) || strlen(buf) >= n) return -1;
    snprintf(out, n, "%s", buf);
    return 0;
}

int identity_project_id(const char *dir, char *out, size_t n)
{
    char start[PATH_MAX], top[PATH_MAX], cfg[PATH_MAX], url[PATH_MAX], slug[PATH_MAX];
    char name[PATH_MAX], cwd[PATH_MAX];
    if (!out || n == 0) return -1;
    out[0] = '\0';
    const char *env = getenv("MEM0_PROJECT_ID");
    if (env && use_id(env, out, n) == 0) return 0;

    if (!dir || !*dir) {
        const char *cpd = getenv("CLAUDE_PROJECT_DIR");
        if (cpd && *cpd)
            dir = cpd;
        else if (getcwd(cwd, sizeof cwd))
            dir = cwd;
        else
            return -1;
    }
    absolute_dir(dir, start, sizeof start);

    if (identity_git_toplevel(start, top, sizeof top) == 0) {
        if (git_config_path(top, cfg, sizeof cfg) == 0 && origin_url(cfg, url, sizeof url) == 0 &&
            identity_remote_slug(url, slug, sizeof slug) == 0 && use_id(slug, out, n) == 0)
            return 0;
        if (base_name(top, name, sizeof name) > 0 && use_id(name, out, n) == 0) return 0;
    }
    if (base_name(start, name, sizeof name) > 0 && use_id(name, out, n) == 0) return 0;
    return -1;
}
