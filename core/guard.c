/*
 * guard.c: the write guard for Claude Code's file memory (see guard.h).
 *
 * Three layers.  Paths: made absolute, folded, resolved through symlinks, then matched
 * segment by segment.  Lexer: turns shell text into words (quotes removed, known
 * expansions done) and operators, reading heredoc bodies at the newline that ends their
 * line, and analysing $(...), `...` and <(...) bodies where they occur.  Commands: each
 * simple command's words are matched against the programs that write files.
 *
 * A word keeps markers where the shell decides at run time: M_UNK for an expansion we
 * cannot know (it never equals a protected name, so `> $DIR/MEMORY.md` is allowed while
 * `> ~/.claude/projects/$KEY/memory/MEMORY.md` is not), and glob or brace markers, which
 * are matched with fnmatch(3) against the protected names.  Input holding marker bytes is
 * not read (allowed).
 */
#include "guard.h"
#include "util.h"

#include <ctype.h>
#include <fnmatch.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define GP_MAX 4096        /* longest path looked at; longer ones are allowed */
#define MAX_SEGS 1024      /* path segments matched */
#define CWD_MAX 1024       /* a longer tracked directory becomes unknown (keeps cd linear) */
#define FS_BUDGET 512      /* lstat/stat calls per check; after that, lexical only */
#define MAX_LINKS 40       /* symlinks followed in one path, as the kernel does */
#define MAX_VARS 32        /* shell variables remembered */
#define MAX_HEREDOCS 16    /* heredocs pending on one line */
#define MAX_SUBSHELLS 64   /* nested ( ... ) whose directory is restored */
#define MAX_CASES 16       /* nested case ... esac */
#define LOOKAHEAD 256      /* glob bracket / brace group scan */
#define CODE_WINDOW 120    /* inline code read around a path literal */
#define ARITH_BUDGET 65536 /* bytes scanned looking for the end of (( ... )) */
#define NPOS ((size_t)-1)

/* Word markers (bytes the input may not hold). */
enum { M_UNK = 1, M_STAR, M_QUES, M_LBR, M_RBR, M_BO, M_BS, M_BC, M_LAST = M_BC };

#define REASON_FMT                                                                                 \
    "BLOCKED: Do not write to %s. Claude Code's file memory is replaced by mem0 here: use "        \
    "the mem0 MCP `add_memory` tool to persist memories (and `search_memories` to find them)."

/* ---- Check context ------------------------------------------------------------------ */

typedef struct gctx {
    const char *home;       /* absolute, or NULL */
    const char *claude_dir; /* absolute, or NULL */
    char roots[3][GP_MAX];  /* other names of a `.claude` folder (resolved, config dir) */
    int nroots, roots_done;
    int budget;      /* file system calls left */
    int follow_last; /* 0 while checking programs that replace a final symlink */
    int blocked;
    char path[GP_MAX]; /* the protected path, printable */
} gctx;

static int is_marker(char c)
{
    return c >= 1 && c <= M_LAST;
}

static int has_marker(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_marker(s[i])) return 1;
    return 0;
}

/* The character a marker stands for (M_UNK prints as '*'). */
static char demark(char c)
{
    static const char plain[] = {0, '*', '*', '?', '[', ']', '{', ',', '}'};
    return is_marker(c) ? plain[(int)c] : c;
}

static int mem_eq(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && memcmp(s, lit, l) == 0;
}

static int mem_has(const char *h, size_t hl, const char *needle)
{
    size_t nl = strlen(needle);
    if (nl == 0 || nl > hl) return nl == 0;
    for (size_t i = 0; i + nl <= hl; i++)
        if (h[i] == needle[0] && memcmp(h + i, needle, nl) == 0) return 1;
    return 0;
}

static int mem_has_ci(const char *h, size_t hl, const char *needle)
{
    size_t nl = strlen(needle);
    if (nl == 0 || nl > hl) return nl == 0;
    for (size_t i = 0; i + nl <= hl; i++)
        if (strncasecmp(h + i, needle, nl) == 0) return 1;
    return 0;
}

/* ---- Paths -------------------------------------------------------------------------- */

/* Folds an absolute path: repeated slashes, `.`, `..` (lexically).  -1 when it does not
 * fit, or when `..` would climb out of an unknown expansion (which may hold slashes). */
static int norm_path(const char *in, char *out, size_t n)
{
    size_t o = 0;
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - p);
        if (len == 1 && p[0] == '.') {
            /* nothing */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            size_t k = o;
            while (k > 0 && out[k - 1] != '/')
                k--;
            if (o > 0) {
                if (memchr(out + k, M_UNK, o - k) || memchr(out + k, M_BO, o - k)) return -1;
                o = k - 1;
            }
        } else {
            if (o + len + 2 > n) return -1;
            out[o++] = '/';
            memcpy(out + o, p, len);
            o += len;
        }
        p = e;
    }
    if (n < 2) return -1;
    if (o == 0) out[o++] = '/';
    out[o] = '\0';
    return 0;
}

/* Resolves symlinks along an absolute path as the kernel would, as far as the path exists
 * (the rest is appended lexically; a dangling link continues into its target).  A final
 * symlink is kept as it is when g->follow_last is 0.  Stops reading the file system at the
 * first segment holding a marker or when the budget is spent.  0, or -1 (too long, link
 * loop). */
static int resolve_path(gctx *g, const char *abs, char *out, size_t n)
{
    char rest[2 * GP_MAX], target[GP_MAX];
    size_t restlen = strlen(abs);
    if (restlen >= sizeof rest || n < 2) return -1;
    memcpy(rest, abs, restlen + 1);
    size_t r = 0, o = 0;
    int missing = 0, links = 0;
    out[0] = '\0';
    while (rest[r]) {
        while (rest[r] == '/')
            r++;
        if (!rest[r]) break;
        size_t s0 = r;
        while (rest[r] && rest[r] != '/')
            r++;
        size_t len = r - s0;
        if (len == 1 && rest[s0] == '.') continue;
        if (len == 2 && rest[s0] == '.' && rest[s0 + 1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0) o--;
            out[o] = '\0';
            continue;
        }
        if (o + len + 2 > n) return -1;
        out[o] = '/';
        memcpy(out + o + 1, rest + s0, len);
        size_t cand = o + 1 + len;
        out[cand] = '\0';
        size_t after = r;
        while (rest[after] == '/')
            after++;
        int last = rest[after] == '\0';
        if (missing || has_marker(rest + s0, len) || g->budget <= 0 || (last && !g->follow_last)) {
            missing = 1;
            o = cand;
            continue;
        }
        g->budget--;
        struct stat sb;
        if (lstat(out, &sb) != 0) {
            missing = 1;
            o = cand;
            continue;
        }
        if (!S_ISLNK(sb.st_mode)) {
            o = cand;
            continue;
        }
        if (++links > MAX_LINKS) return -1;
        ssize_t tl = readlink(out, target, sizeof target - 1);
        if (tl <= 0 || (size_t)tl >= sizeof target - 1) return -1;
        size_t tlen = (size_t)tl;
        size_t remain = strlen(rest + r);
        if (tlen + 1 + remain + 1 > sizeof rest) return -1;
        memmove(rest + tlen + 1, rest + r, remain + 1);
        memcpy(rest, target, tlen);
        rest[tlen] = '/';
        r = 0;
        if (target[0] == '/') o = 0;
        out[o] = '\0';
    }
    if (o == 0) out[o++] = '/';
    out[o] = '\0';
    return 0;
}

/* 1 if one path segment (which may hold glob markers) can be the name lit. */
static int seg_is(const char *seg, size_t len, const char *lit)
{
    if (!has_marker(seg, len)) return mem_eq(seg, len, lit);
    if (memchr(seg, M_UNK, len) || len > 512) return 0;
    char pat[2 * 512 + 8];
    size_t o = 0;
    int in_br = 0, in_brace = 0;
    for (size_t i = 0; i < len; i++) {
        char c = seg[i];
        switch (c) {
        case M_STAR:
            pat[o++] = '*';
            break;
        case M_QUES:
            pat[o++] = '?';
            break;
        case M_LBR:
            pat[o++] = '[';
            in_br = 1;
            break;
        case M_RBR:
            pat[o++] = ']';
            in_br = 0;
            break;
#ifdef FNM_EXTMATCH
        case M_BO:
            pat[o++] = '@';
            pat[o++] = '(';
            break;
        case M_BS:
            pat[o++] = '|';
            break;
        case M_BC:
            pat[o++] = ')';
            break;
#else
        case M_BO:
            pat[o++] = '*';
            in_brace = 1;
            break;
        case M_BS:
            break;
        case M_BC:
            in_brace = 0;
            break;
#endif
        default:
            if (in_brace) break;
            if (!in_br && strchr("*?[]\\()|@!+", c)) pat[o++] = '\\';
            pat[o++] = c;
        }
    }
    pat[o] = '\0';
    int flags = FNM_PERIOD;
#ifdef FNM_EXTMATCH
    flags |= FNM_EXTMATCH;
#endif
    (void)in_brace;
    return fnmatch(pat, lit, flags) == 0;
}

/* 1 if an absolute folded path is Claude Code's file memory: <any>/.claude/<any>/MEMORY.md
 * or <any>/.claude/memory/<any>. */
static int path_protected(const char *p)
{
    size_t st[MAX_SEGS], ln[MAX_SEGS], k = 0;
    size_t i = 0;
    while (p[i]) {
        while (p[i] == '/')
            i++;
        if (!p[i]) break;
        if (k == MAX_SEGS) return 0;
        st[k] = i;
        while (p[i] && p[i] != '/')
            i++;
        ln[k] = i - st[k];
        k++;
    }
    for (size_t s = 0; s + 2 < k; s++) {
        if (!seg_is(p + st[s], ln[s], ".claude")) continue;
        if (seg_is(p + st[s + 1], ln[s + 1], "memory")) return 1;
        if (seg_is(p + st[k - 1], ln[k - 1], "MEMORY.md")) return 1;
    }
    return 0;
}

/* Other absolute names of a `.claude` folder: ~/.claude resolved through a symlink, and
 * CLAUDE_CONFIG_DIR (as given and resolved).  Computed once per check. */
static void roots_init(gctx *g)
{
    if (g->roots_done) return;
    g->roots_done = 1;
    char in[GP_MAX], lex[GP_MAX], res[GP_MAX];
    const char *bases[2] = {g->home, g->claude_dir};
    for (int b = 0; b < 2; b++) {
        if (!bases[b] || bases[b][0] != '/') continue;
        int n = snprintf(in, sizeof in, "%s%s", bases[b], b == 0 ? "/.claude" : "");
        if (n < 0 || (size_t)n >= sizeof in || norm_path(in, lex, sizeof lex) != 0) continue;
        if (b == 1 && g->nroots < 3) strcpy(g->roots[g->nroots++], lex);
        if (resolve_path(g, lex, res, sizeof res) == 0 && strcmp(res, lex) != 0 && g->nroots < 3)
            strcpy(g->roots[g->nroots++], res);
    }
}

static int matches(gctx *g, const char *p)
{
    if (path_protected(p)) return 1;
    roots_init(g);
    char t[GP_MAX + 16];
    for (int i = 0; i < g->nroots; i++) {
        size_t rl = strlen(g->roots[i]);
        if (strncmp(p, g->roots[i], rl) != 0 || p[rl] != '/') continue;
        snprintf(t, sizeof t, "/.claude%s", p + rl);
        if (path_protected(t)) return 1;
    }
    return 0;
}

static void block(gctx *g, const char *p)
{
    g->blocked = 1;
    size_t i = 0;
    for (; p[i] && i + 1 < sizeof g->path; i++)
        g->path[i] = demark(p[i]);
    g->path[i] = '\0';
}

/* Checks one path a tool or command writes (relative to cwd; NULL cwd: relative paths are
 * not checked).  Records a block when protected. */
static void check_path(gctx *g, const char *cwd, const char *p, size_t len)
{
    char a[GP_MAX], l[GP_MAX], r[GP_MAX];
    if (g->blocked || len == 0 || len >= GP_MAX) return;
    size_t cl = 0;
    if (p[0] != '/' && p[0] != M_UNK) {
        if (!cwd || cwd[0] != '/') return;
        cl = strlen(cwd);
    }
    if (cl + len + 2 > sizeof a) return;
    memcpy(a, cl ? cwd : "", cl);
    a[cl] = '/';
    memcpy(a + cl + 1, p, len);
    a[cl + 1 + len] = '\0';
    if (norm_path(a, l, sizeof l) != 0) return;
    if (matches(g, l)) {
        block(g, l);
        return;
    }
    /* Once the file system budget is spent, resolving would only repeat the lexical form. */
    if (g->budget > 0 && resolve_path(g, a, r, sizeof r) == 0 && strcmp(r, l) != 0 && matches(g, r))
        block(g, r);
}

/* dir + "/" + name, checked. */
static void check_join(gctx *g, const char *cwd, const char *dir, size_t dl, const char *name,
                       size_t nl)
{
    char buf[GP_MAX];
    if (dl + nl + 2 > sizeof buf) return;
    memcpy(buf, dir, dl);
    buf[dl] = '/';
    memcpy(buf + dl + 1, name, nl);
    check_path(g, cwd, buf, dl + 1 + nl);
}

/* 1 if the path is an existing folder, 0 if not, -1 if unknown (markers, unknown cwd). */
static int path_is_dir(gctx *g, const char *cwd, const char *p, size_t len)
{
    char a[GP_MAX];
    if (len == 0 || has_marker(p, len) || g->budget <= 0) return -1;
    int n;
    if (p[0] == '/')
        n = snprintf(a, sizeof a, "%.*s", (int)len, p);
    else if (cwd)
        n = snprintf(a, sizeof a, "%s/%.*s", cwd, (int)len, p);
    else
        return -1;
    if (n < 0 || (size_t)n >= sizeof a) return -1;
    g->budget--;
    struct stat sb;
    return stat(a, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* ---- Shell state -------------------------------------------------------------------- */

typedef struct shvar {
    char *name, *val;
    int exported;
} shvar;

typedef struct shstate {
    char *cwd; /* absolute and folded, or NULL when unknown */
    shvar vars[MAX_VARS];
    int nvars;
} shstate;

static void st_free(shstate *st)
{
    free(st->cwd);
    for (int i = 0; i < st->nvars; i++) {
        free(st->vars[i].name);
        free(st->vars[i].val);
    }
    memset(st, 0, sizeof *st);
}

/* Sets the directory to dir (folded), or to unknown when dir is NULL or not absolute. */
static void st_setcwd(shstate *st, const char *dir)
{
    char buf[CWD_MAX];
    free(st->cwd);
    st->cwd = NULL;
    if (dir && dir[0] == '/' && strnlen(dir, 4 * CWD_MAX) < 4 * CWD_MAX &&
        norm_path(dir, buf, sizeof buf) == 0)
        st->cwd = xstrdup(buf);
}

static shvar *st_get(shstate *st, const char *name, size_t nl)
{
    for (int i = 0; i < st->nvars; i++)
        if (mem_eq(name, nl, st->vars[i].name)) return &st->vars[i];
    return NULL;
}

static void st_set(shstate *st, const char *name, size_t nl, const char *val, size_t vl,
                   int exported)
{
    shvar *v = st_get(st, name, nl);
    if (!v) {
        if (st->nvars == MAX_VARS) return;
        v = &st->vars[st->nvars];
        v->name = strndup(name, nl);
        v->val = NULL;
        v->exported = 0;
        if (!v->name) return;
        st->nvars++;
    }
    free(v->val);
    v->val = strndup(val, vl);
    v->exported |= exported;
}

static void st_unset(shstate *st, const char *name, size_t nl)
{
    shvar *v = st_get(st, name, nl);
    if (!v) return;
    free(v->name);
    free(v->val);
    *v = st->vars[--st->nvars];
}

/* A child shell's view: the directory, and the variables (only exported ones for a new
 * shell process). */
static void st_copy(shstate *dst, const shstate *src, int exported_only)
{
    memset(dst, 0, sizeof *dst);
    dst->cwd = src->cwd ? xstrdup(src->cwd) : NULL;
    for (int i = 0; i < src->nvars; i++) {
        const shvar *v = &src->vars[i];
        if (exported_only && !v->exported) continue;
        if (!v->val) continue;
        st_set(dst, v->name, strlen(v->name), v->val, strlen(v->val), v->exported);
    }
}

/* ---- Lexer -------------------------------------------------------------------------- */

enum { T_EOF, T_WORD, T_SEP, T_OPEN, T_CLOSE, T_REDIR, T_ERR };
enum { R_WRITE, R_DUP, R_READ, R_HERESTR, R_HEREDOC };

typedef struct heredoc {
    char *delim;
    int strip;        /* <<- : leading tabs removed */
    size_t body, end; /* the body's bytes in the lexed text, once done */
    int done;
} heredoc;

typedef struct lexer {
    gctx *g;
    shstate *st; /* expansions read the state as it is when the word is lexed */
    const char *s;
    size_t n, pos;
    int depth;
    heredoc hd[MAX_HEREDOCS];
    int nhd;
    long arith_budget; /* keeps repeated "((" look-aheads linear */
} lexer;

typedef struct token {
    int type;
    int op;                  /* T_SEP: ';' '&' '|' '\n' 'a' (&&) 'o' (||); T_REDIR: R_* */
    int fd;                  /* T_REDIR: the explicit descriptor, or -1 */
    int hd;                  /* R_HEREDOC: index into lexer.hd */
    int quoted;              /* the word had quotes or backslashes */
    size_t name_len, assign; /* NAME=value: name length and value offset (assign > 0) */
    strbuf text;
} token;

static int analyze(gctx *g, const char *text, size_t len, shstate *st, int depth);

static void addc(token *t, char c)
{
    sb_add(&t->text, &c, 1);
}

static int is_meta(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '&' || c == '|' || c == '<' ||
           c == '>' || c == '(' || c == ')';
}

static int is_name_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static int is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static int valid_name(const char *s, size_t n)
{
    if (n == 0 || !is_name_start(s[0])) return 0;
    for (size_t i = 1; i < n; i++)
        if (!is_name_char(s[i])) return 0;
    return 1;
}

static size_t scan_close(const char *s, size_t n, size_t i, int lvl);

/* From an opening backquote to just after its closing one, or NPOS. */
static size_t skip_bq(const char *s, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '`')
            return i + 1;
    }
    return NPOS;
}

/* From an opening double quote to just after its closing one, or NPOS. */
static size_t skip_dq(const char *s, size_t n, size_t i, int lvl)
{
    for (i++; i < n;) {
        char c = s[i];
        if (c == '\\') {
            i += 2;
        } else if (c == '"') {
            return i + 1;
        } else if (c == '`') {
            if ((i = skip_bq(s, n, i)) == NPOS) return NPOS;
        } else if (c == '$' && i + 1 < n && s[i + 1] == '(') {
            if ((i = scan_close(s, n, i + 1, lvl + 1)) == NPOS) return NPOS;
        } else {
            i++;
        }
    }
    return NPOS;
}

/* A heredoc opened inside text being scanned for its end: its body is skipped. */
typedef struct pending_hd {
    char delim[64];
    size_t len;
    int strip;
} pending_hd;

/* At s[i] == "<<" (not "<<<"): reads the delimiter into *h; returns the index after it. */
static size_t scan_heredoc_op(const char *s, size_t n, size_t i, pending_hd *h)
{
    size_t j = i + 2;
    h->strip = j < n && s[j] == '-';
    if (h->strip) j++;
    while (j < n && (s[j] == ' ' || s[j] == '\t'))
        j++;
    h->len = 0;
    while (j < n && !is_meta(s[j])) {
        if (s[j] != '\'' && s[j] != '"' && s[j] != '\\' && h->len < sizeof h->delim - 1)
            h->delim[h->len++] = s[j];
        j++;
    }
    return j;
}

/* From the start of a heredoc body to just after its delimiter line (or n). */
static size_t skip_heredoc_body(const char *s, size_t n, size_t i, const pending_hd *h)
{
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t le = nl ? (size_t)(nl - s) : n, cs = i;
        if (h->strip)
            while (cs < le && s[cs] == '\t')
                cs++;
        i = nl ? le + 1 : n;
        if (le - cs == h->len && memcmp(s + cs, h->delim, h->len) == 0) break;
    }
    return i;
}

/* From '(' to just after its matching ')', honouring quotes, comments and heredoc bodies
 * (a commit message in $(cat <<'EOF' ... EOF) may hold any quote), or NPOS. */
static size_t scan_close(const char *s, size_t n, size_t i, int lvl)
{
    int depth = 0, npend = 0;
    pending_hd pend[4];
    if (lvl > 64) return NPOS;
    while (i < n) {
        char c = s[i];
        if (c == '\\') {
            i += 2;
            continue;
        }
        if (c == '\'') {
            const char *q = memchr(s + i + 1, '\'', n - i - 1);
            if (!q) return NPOS;
            i = (size_t)(q - s) + 1;
            continue;
        }
        if (c == '"') {
            if ((i = skip_dq(s, n, i, lvl)) == NPOS) return NPOS;
            continue;
        }
        if (c == '`') {
            if ((i = skip_bq(s, n, i)) == NPOS) return NPOS;
            continue;
        }
        if (c == '#' && i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t' || s[i - 1] == '\n')) {
            while (i < n && s[i] != '\n')
                i++;
            continue;
        }
        if (c == '<' && i + 1 < n && s[i + 1] == '<' && !(i + 2 < n && s[i + 2] == '<')) {
            pending_hd h;
            i = scan_heredoc_op(s, n, i, &h);
            if (h.len > 0 && npend < 4) pend[npend++] = h;
            continue;
        }
        if (c == '\n' && npend > 0) {
            i++;
            for (int k = 0; k < npend; k++)
                i = skip_heredoc_body(s, n, i, &pend[k]);
            npend = 0;
            continue;
        }
        if (c == '(') {
            depth++;
        } else if (c == ')') {
            if (--depth == 0) return i + 1;
        }
        i++;
    }
    return NPOS;
}

/* From the '{' of ${ to just after its '}', or NPOS. */
static size_t scan_brace(const char *s, size_t n, size_t i)
{
    int depth = 0;
    while (i < n) {
        char c = s[i];
        if (c == '\\') {
            i += 2;
            continue;
        }
        if (c == '\'') {
            const char *q = memchr(s + i + 1, '\'', n - i - 1);
            if (!q) return NPOS;
            i = (size_t)(q - s) + 1;
            continue;
        }
        if (c == '"') {
            if ((i = skip_dq(s, n, i, 0)) == NPOS) return NPOS;
            continue;
        }
        if (c == '{') {
            depth++;
        } else if (c == '}') {
            if (--depth == 0) return i + 1;
        }
        i++;
    }
    return NPOS;
}

/* Index of the ']' closing a glob bracket opened at s[i], or NPOS. */
static size_t bracket_end(const char *s, size_t n, size_t i)
{
    size_t j = i + 1;
    if (j < n && (s[j] == '!' || s[j] == '^')) j++;
    if (j < n && s[j] == ']') j++;
    for (; j < n && j - i < LOOKAHEAD; j++) {
        char c = s[j];
        if (c == ']') return j;
        if (is_meta(c) || strchr("'\"\\$`/[{", c)) return NPOS;
    }
    return NPOS;
}

/* Index of the '}' closing a brace group {a,b} opened at s[i], or NPOS. */
static size_t brace_end(const char *s, size_t n, size_t i)
{
    int comma = 0;
    for (size_t j = i + 1; j < n && j - i < LOOKAHEAD; j++) {
        char c = s[j];
        if (c == '}') return comma ? j : NPOS;
        if (c == ',')
            comma = 1;
        else if (is_meta(c) || strchr("'\"\\$`/[{", c))
            return NPOS;
    }
    return NPOS;
}

/* Analyses the body of a command or process substitution (a subshell). */
static void subst(lexer *lx, const char *text, size_t len)
{
    if (lx->depth + 1 > GUARD_MAX_DEPTH) return;
    shstate child;
    st_copy(&child, lx->st, 0);
    analyze(lx->g, text, len, &child, lx->depth + 1);
    st_free(&child);
}

static void add_value(token *t, const char *v, int in_dq)
{
    for (; *v; v++) {
        char c = *v;
        /* Quoted expansions are not globbed; no expansion is brace-expanded. */
        if (c == M_BO || c == M_BS || c == M_BC || (in_dq && is_marker(c) && c != M_UNK))
            c = demark(c);
        addc(t, c);
    }
}

static void expand_var(lexer *lx, token *t, const char *name, size_t nl, int in_dq)
{
    shvar *v = st_get(lx->st, name, nl);
    const char *val = v ? v->val : NULL;
    if (!v) {
        if (mem_eq(name, nl, "HOME"))
            val = lx->g->home;
        else if (mem_eq(name, nl, "PWD"))
            val = lx->st->cwd;
        else if (mem_eq(name, nl, "CLAUDE_CONFIG_DIR"))
            val = lx->g->claude_dir;
    }
    if (val)
        add_value(t, val, in_dq);
    else
        addc(t, M_UNK);
}

/* ~, ~+, ~- and ~user at the start of a word or an assignment's value; 1 if expanded. */
static int lex_tilde(lexer *lx, token *t)
{
    const char *s = lx->s;
    size_t j = lx->pos + 1;
    while (j < lx->n && !is_meta(s[j]) && s[j] != '/' && s[j] != ':') {
        if (strchr("'\"\\$`*?[{", s[j])) return 0;
        j++;
    }
    const char *u = s + lx->pos + 1;
    size_t ul = j - lx->pos - 1;
    const char *dir = NULL;
    if (ul == 0) {
        dir = lx->g->home;
    } else if (ul == 1 && u[0] == '+') {
        dir = lx->st->cwd;
    } else if (ul == 1 && u[0] == '-') {
        dir = NULL;
    } else {
        char name[256];
        if (ul >= sizeof name) return 0;
        memcpy(name, u, ul);
        name[ul] = '\0';
        struct passwd *pw = getpwnam(name);
        if (!pw || !pw->pw_dir) return 0; /* the shell leaves an unknown ~user as it is */
        dir = pw->pw_dir;
    }
    if (dir)
        add_value(t, dir, 1);
    else
        addc(t, M_UNK);
    lx->pos = j;
    return 1;
}

/* $'...' */
static int lex_ansi(lexer *lx, token *t)
{
    const char *s = lx->s;
    size_t n = lx->n, i = lx->pos + 2;
    while (i < n && s[i] != '\'') {
        if (s[i] != '\\' || i + 1 >= n) {
            addc(t, s[i++]);
            continue;
        }
        char d = s[i + 1];
        unsigned v = 0;
        int digits = 0;
        i += 2;
        switch (d) {
        case 'n':
            addc(t, '\n');
            break;
        case 't':
            addc(t, '\t');
            break;
        case 'r':
            addc(t, '\r');
            break;
        case 'e':
        case 'E':
            addc(t, 27);
            break;
        case 'f':
            addc(t, '\f');
            break;
        case 'v':
            addc(t, '\v');
            break;
        case 'a':
        case 'b':
            break; /* control bytes that would read as markers: dropped */
        case 'c':
            if (i < n) i++;
            break;
        case 'x':
            while (digits < 2 && i < n && isxdigit((unsigned char)s[i])) {
                char h = s[i++];
                v = v * 16 + (unsigned)(isdigit((unsigned char)h) ? h - '0' : (h | 32) - 'a' + 10);
                digits++;
            }
            if (v > M_LAST && v < 256) addc(t, (char)v);
            break;
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7':
            v = (unsigned)(d - '0');
            while (digits < 2 && i < n && s[i] >= '0' && s[i] <= '7') {
                v = v * 8 + (unsigned)(s[i++] - '0');
                digits++;
            }
            if (v > M_LAST && v < 256) addc(t, (char)v);
            break;
        case '\\':
        case '\'':
        case '"':
        case '?':
            addc(t, d);
            break;
        default:
            addc(t, '\\');
            addc(t, d);
        }
    }
    if (i >= n) return -1;
    lx->pos = i + 1;
    return 0;
}

/* `...`: the body (with \\, \` and \$ unescaped) is analysed as a subshell. */
static int lex_backtick(lexer *lx, token *t)
{
    size_t e = skip_bq(lx->s, lx->n, lx->pos);
    if (e == NPOS) return -1;
    size_t a = lx->pos + 1, b = e - 1;
    char *body = malloc(b - a + 1);
    if (!body) return -1;
    size_t o = 0;
    for (size_t i = a; i < b; i++) {
        if (lx->s[i] == '\\' && i + 1 < b && strchr("\\`$", lx->s[i + 1])) i++;
        body[o++] = lx->s[i];
    }
    subst(lx, body, o);
    free(body);
    addc(t, M_UNK);
    lx->pos = e;
    return 0;
}

static int lex_dollar(lexer *lx, token *t, int in_dq)
{
    const char *s = lx->s;
    size_t n = lx->n, i = lx->pos;
    char c = i + 1 < n ? s[i + 1] : '\0';
    if (c == '(') {
        size_t e = scan_close(s, n, i + 1, 0);
        if (e == NPOS) return -1;
        if (!(i + 2 < n && s[i + 2] == '(')) subst(lx, s + i + 2, e - 1 - (i + 2));
        addc(t, M_UNK);
        lx->pos = e;
        return 0;
    }
    if (c == '{') {
        size_t e = scan_brace(s, n, i + 1);
        if (e == NPOS) return -1;
        const char *name = s + i + 2;
        size_t nl = e - 1 - (i + 2);
        if (valid_name(name, nl))
            expand_var(lx, t, name, nl, in_dq);
        else
            addc(t, M_UNK);
        lx->pos = e;
        return 0;
    }
    if (is_name_start(c)) {
        size_t j = i + 1;
        while (j < n && is_name_char(s[j]))
            j++;
        expand_var(lx, t, s + i + 1, j - i - 1, in_dq);
        lx->pos = j;
        return 0;
    }
    if (c && (isdigit((unsigned char)c) || strchr("?$!#@*-", c))) {
        addc(t, M_UNK);
        lx->pos = i + 2;
        return 0;
    }
    if (c == '\'' && !in_dq) return lex_ansi(lx, t);
    if (c == '"' && !in_dq) {
        lx->pos = i + 1; /* $"..." reads as "..." */
        return 0;
    }
    addc(t, '$');
    lx->pos = i + 1;
    return 0;
}

static int lex_dq(lexer *lx, token *t, int raw)
{
    const char *s = lx->s;
    size_t n = lx->n, i = lx->pos + 1;
    for (;;) {
        if (i >= n) return -1;
        char c = s[i];
        if (c == '"') {
            lx->pos = i + 1;
            return 0;
        }
        if (c == '\\' && i + 1 < n) {
            char d = s[i + 1];
            if (d == '\n') {
                i += 2;
            } else if (d == '$' || d == '`' || d == '"' || d == '\\') {
                addc(t, d);
                i += 2;
            } else {
                addc(t, '\\');
                i++;
            }
            continue;
        }
        if (!raw && (c == '$' || c == '`')) {
            lx->pos = i;
            if ((c == '$' ? lex_dollar(lx, t, 1) : lex_backtick(lx, t)) != 0) return -1;
            i = lx->pos;
            continue;
        }
        addc(t, c);
        i++;
    }
}

/* One word; raw (heredoc delimiters) removes quotes but expands nothing. */
static int lex_word(lexer *lx, token *t, int raw)
{
    const char *s = lx->s;
    size_t n = lx->n;
    size_t br_end = NPOS, bc_end = NPOS;
    int name_ok = !raw, tilde_ok = !raw;
    t->type = T_WORD;
    while (lx->pos < n) {
        size_t i = lx->pos;
        char c = s[i];
        if (i == br_end) {
            addc(t, M_RBR);
            br_end = NPOS;
            lx->pos++;
            continue;
        }
        if (i == bc_end) {
            addc(t, M_BC);
            bc_end = NPOS;
            lx->pos++;
            continue;
        }
        if (is_meta(c)) break;
        if (tilde_ok && c == '~') {
            tilde_ok = name_ok = 0;
            if (lex_tilde(lx, t)) continue;
            addc(t, c);
            lx->pos++;
            continue;
        }
        tilde_ok = 0;
        if (c == '\\') {
            name_ok = 0;
            t->quoted = 1;
            if (i + 1 < n && s[i + 1] != '\n') addc(t, s[i + 1]);
            lx->pos = i + 2 < n ? i + 2 : n;
            continue;
        }
        if (c == '\'') {
            name_ok = 0;
            t->quoted = 1;
            const char *q = memchr(s + i + 1, '\'', n - i - 1);
            if (!q) return -1;
            sb_add(&t->text, s + i + 1, (size_t)(q - s) - i - 1);
            lx->pos = (size_t)(q - s) + 1;
            continue;
        }
        if (c == '"') {
            name_ok = 0;
            t->quoted = 1;
            if (lex_dq(lx, t, raw) != 0) return -1;
            continue;
        }
        if (!raw && (c == '$' || c == '`')) {
            name_ok = 0;
            if ((c == '$' ? lex_dollar(lx, t, 0) : lex_backtick(lx, t)) != 0) return -1;
            continue;
        }
        if (name_ok) {
            int plus = c == '+' && i + 1 < n && s[i + 1] == '=';
            if ((c == '=' || plus) && t->text.len > 0) {
                t->name_len = t->text.len;
                sb_add(&t->text, plus ? "+=" : "=", plus ? 2 : 1);
                t->assign = t->text.len;
                lx->pos += plus ? 2 : 1;
                name_ok = 0;
                tilde_ok = 1;
                continue;
            }
            if (!is_name_char(c) || (t->text.len == 0 && isdigit((unsigned char)c))) name_ok = 0;
        }
        if (!raw) {
            char m = 0;
            if (c == '*') {
                m = M_STAR;
            } else if (c == '?') {
                m = M_QUES;
            } else if (c == '[' && br_end == NPOS && (br_end = bracket_end(s, n, i)) != NPOS) {
                m = M_LBR;
            } else if (c == '{' && bc_end == NPOS && (bc_end = brace_end(s, n, i)) != NPOS) {
                m = M_BO;
            } else if (c == ',' && bc_end != NPOS) {
                m = M_BS;
            }
            if (m) {
                addc(t, m);
                lx->pos++;
                continue;
            }
        }
        addc(t, c);
        lx->pos++;
    }
    return 0;
}

/* Reads the bodies of the heredocs opened on the line that just ended. */
static void read_heredocs(lexer *lx)
{
    const char *s = lx->s;
    size_t n = lx->n;
    for (int k = 0; k < lx->nhd; k++) {
        heredoc *h = &lx->hd[k];
        if (h->done) continue;
        size_t dl = strlen(h->delim);
        h->body = lx->pos;
        h->end = n;
        while (lx->pos < n) {
            size_t ls = lx->pos;
            const char *nl = memchr(s + ls, '\n', n - ls);
            size_t le = nl ? (size_t)(nl - s) : n;
            size_t cs = ls;
            if (h->strip)
                while (cs < le && s[cs] == '\t')
                    cs++;
            lx->pos = nl ? le + 1 : n;
            if (le - cs == dl && memcmp(s + cs, h->delim, dl) == 0) {
                h->end = ls;
                break;
            }
        }
        h->done = 1;
    }
}

static void lex_redir(lexer *lx, token *t, int fd)
{
    const char *s = lx->s;
    size_t n = lx->n, i = lx->pos;
    char c = s[i], c1 = i + 1 < n ? s[i + 1] : '\0', c2 = i + 2 < n ? s[i + 2] : '\0';
    t->type = T_REDIR;
    t->fd = fd;
    if (fd == -1 && c1 == '(') { /* process substitution <(...) >(...) */
        size_t e = scan_close(s, n, i + 1, 0);
        if (e == NPOS) {
            t->type = T_ERR;
            return;
        }
        subst(lx, s + i + 2, e - 1 - (i + 2));
        t->type = T_WORD;
        addc(t, M_UNK);
        lx->pos = e;
        return;
    }
    if (c == '>') {
        t->op = c1 == '&' ? R_DUP : R_WRITE;
        lx->pos += (c1 == '>' || c1 == '|' || c1 == '&') ? 2 : 1;
        return;
    }
    if (c1 == '<' && c2 == '<') {
        t->op = R_HERESTR;
        lx->pos += 3;
        return;
    }
    if (c1 == '<') {
        int strip = c2 == '-';
        lx->pos += strip ? 3 : 2;
        while (lx->pos < n && (s[lx->pos] == ' ' || s[lx->pos] == '\t'))
            lx->pos++;
        token d;
        memset(&d, 0, sizeof d);
        if (lx->pos >= n || is_meta(s[lx->pos]) || lx->nhd == MAX_HEREDOCS ||
            lex_word(lx, &d, 1) != 0 || d.text.len == 0 || d.text.oom) {
            sb_free(&d.text);
            t->type = T_ERR;
            return;
        }
        heredoc *h = &lx->hd[lx->nhd];
        memset(h, 0, sizeof *h);
        h->delim = sb_detach(&d.text);
        h->strip = strip;
        t->op = R_HEREDOC;
        t->hd = lx->nhd++;
        return;
    }
    t->op = c1 == '>' ? R_WRITE : R_READ; /* <> opens for writing too */
    lx->pos += (c1 == '>' || c1 == '&') ? 2 : 1;
}

static void lex(lexer *lx, token *t)
{
    const char *s = lx->s;
    size_t n = lx->n;
    t->type = T_ERR;
    t->op = 0;
    t->fd = -1;
    t->hd = -1;
    t->quoted = 0;
    t->name_len = t->assign = 0;
    t->text.len = 0;
    if (t->text.buf) t->text.buf[0] = '\0';
    if (lx->nhd > 0 && lx->hd[lx->nhd - 1].done) {
        for (int k = 0; k < lx->nhd; k++)
            free(lx->hd[k].delim);
        lx->nhd = 0;
    }
    for (;;) {
        while (lx->pos < n && (s[lx->pos] == ' ' || s[lx->pos] == '\t'))
            lx->pos++;
        if (lx->pos + 1 < n && s[lx->pos] == '\\' && s[lx->pos + 1] == '\n') {
            lx->pos += 2;
            continue;
        }
        if (lx->pos < n && s[lx->pos] == '#') {
            while (lx->pos < n && s[lx->pos] != '\n')
                lx->pos++;
            continue;
        }
        break;
    }
    if (lx->pos >= n) {
        t->type = T_EOF;
        return;
    }
    size_t i = lx->pos;
    char c = s[i], c1 = i + 1 < n ? s[i + 1] : '\0', c2 = i + 2 < n ? s[i + 2] : '\0';
    t->type = T_SEP;
    switch (c) {
    case '\n':
        lx->pos++;
        read_heredocs(lx);
        t->op = '\n';
        return;
    case ';':
        lx->pos += c1 == ';' ? (c2 == '&' ? 3 : 2) : (c1 == '&' ? 2 : 1);
        t->op = ';';
        return;
    case '&':
        if (c1 == '>') {
            t->type = T_REDIR;
            t->op = R_WRITE;
            lx->pos += c2 == '>' ? 3 : 2;
        } else {
            t->op = c1 == '&' ? 'a' : '&';
            lx->pos += c1 == '&' ? 2 : 1;
        }
        return;
    case '|':
        t->op = c1 == '|' ? 'o' : '|';
        lx->pos += (c1 == '|' || c1 == '&') ? 2 : 1;
        return;
    case '(':
        if (c1 == '(' && lx->arith_budget > 0) { /* (( arithmetic )) reads nothing */
            size_t e = scan_close(s, n, i, 0);
            lx->arith_budget -= (long)((e == NPOS ? n : e) - i);
            if (e != NPOS && e >= i + 4 && s[e - 2] == ')' && scan_close(s, n, i + 1, 0) == e - 1) {
                t->type = T_WORD;
                addc(t, M_UNK);
                lx->pos = e;
                return;
            }
        }
        t->type = T_OPEN;
        lx->pos++;
        return;
    case ')':
        t->type = T_CLOSE;
        lx->pos++;
        return;
    case '<':
    case '>':
        lex_redir(lx, t, -1);
        return;
    default:
        break;
    }
    if (isdigit((unsigned char)c)) {
        size_t j = i;
        int fd = 0;
        while (j < n && isdigit((unsigned char)s[j]) && j - i < 4)
            fd = fd * 10 + (s[j++] - '0');
        if (j < n && (s[j] == '<' || s[j] == '>')) {
            lx->pos = j;
            lex_redir(lx, t, fd);
            return;
        }
    }
    t->type = lex_word(lx, t, 0) != 0 ? T_ERR : T_WORD;
    if (t->text.oom) t->type = T_ERR;
}

/* ---- Argument scanning -------------------------------------------------------------- */

typedef struct word {
    char *s;
    size_t len;
    int quoted;
    size_t name_len, assign;
} word;

typedef struct argspec {
    const char *with_arg;        /* short options taking a value (attached or next word) */
    const char *opt_arg;         /* short options whose value is only the rest of the word */
    const char *const *long_arg; /* long options taking a value (--opt=V or --opt V) */
    int stop;                    /* the first operand ends the options (wrappers, shells) */
    int plus;                    /* +o style clusters as well (shells) */
} argspec;

typedef struct opt {
    char c;           /* short option, or 0 for a long one */
    const char *name; /* long option name (not NUL-terminated) */
    size_t nlen;
    const char *v; /* value, or NULL */
    size_t vlen;
} opt;

typedef struct scan {
    size_t *ops; /* operand indices */
    size_t nops;
    opt *opts;
    size_t nopts, cap;
    size_t first; /* stop mode: index of the first operand (argc if none) */
} scan;

static void add_opt(scan *sc, char c, const char *name, size_t nl, const char *v, size_t vl)
{
    if (sc->nopts == sc->cap) {
        size_t nc = sc->cap ? sc->cap * 2 : 16;
        opt *no = realloc(sc->opts, nc * sizeof *no);
        if (!no) return;
        sc->opts = no;
        sc->cap = nc;
    }
    opt o = {c, name, nl, v, vl};
    sc->opts[sc->nopts++] = o;
}

static int in_list(const char *const *list, const char *s, size_t n)
{
    for (; list && *list; list++)
        if (mem_eq(s, n, *list)) return 1;
    return 0;
}

/* Splits argv[1..] into options and operands the way getopt_long does; 0 or -1 (memory). */
static int scan_args(const word *argv, size_t argc, const argspec *sp, scan *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->first = argc;
    sc->ops = malloc((argc + 1) * sizeof *sc->ops);
    if (!sc->ops) return -1;
    int dashdash = 0;
    for (size_t i = 1; i < argc; i++) {
        const word *w = &argv[i];
        const char *s = w->s;
        int dash = s[0] == '-' || (sp->plus && s[0] == '+');
        if (dashdash || !dash || w->len == 1) {
            if (sp->stop) {
                sc->first = i;
                return 0;
            }
            sc->ops[sc->nops++] = i;
            continue;
        }
        if (mem_eq(s, w->len, "--")) {
            dashdash = 1;
            continue;
        }
        if (s[0] == '-' && s[1] == '-') {
            const char *name = s + 2;
            const char *eq = memchr(name, '=', w->len - 2);
            size_t nl = eq ? (size_t)(eq - name) : w->len - 2;
            if (eq)
                add_opt(sc, 0, name, nl, eq + 1, w->len - 2 - nl - 1);
            else if (in_list(sp->long_arg, name, nl) && i + 1 < argc) {
                add_opt(sc, 0, name, nl, argv[i + 1].s, argv[i + 1].len);
                i++;
            } else
                add_opt(sc, 0, name, nl, NULL, 0);
            continue;
        }
        for (size_t k = 1; k < w->len; k++) {
            char c = s[k];
            if (sp->with_arg && strchr(sp->with_arg, c) && c) {
                if (k + 1 < w->len) {
                    add_opt(sc, c, NULL, 0, s + k + 1, w->len - k - 1);
                } else if (i + 1 < argc) {
                    add_opt(sc, c, NULL, 0, argv[i + 1].s, argv[i + 1].len);
                    i++;
                } else {
                    add_opt(sc, c, NULL, 0, NULL, 0);
                }
                break;
            }
            if (sp->opt_arg && strchr(sp->opt_arg, c) && c) {
                add_opt(sc, c, NULL, 0, s + k + 1, w->len - k - 1);
                break;
            }
            add_opt(sc, c, NULL, 0, NULL, 0);
        }
    }
    return 0;
}

static void scan_free(scan *sc)
{
    free(sc->ops);
    free(sc->opts);
}

/* The last option given as short c or long name (either may be 0/NULL), or NULL. */
static const opt *find_opt(const scan *sc, char c, const char *name)
{
    for (size_t i = sc->nopts; i-- > 0;) {
        const opt *o = &sc->opts[i];
        if ((c && o->c == c) || (name && !o->c && mem_eq(o->name, o->nlen, name))) return o;
    }
    return NULL;
}

/* ---- Commands that write files ------------------------------------------------------ */

static void check_word(gctx *g, const char *cwd, const word *w)
{
    check_path(g, cwd, w->s, w->len);
}

/* The last path segment of a word (trailing slashes ignored); its length in *bl. */
static const char *base_of(const char *s, size_t len, size_t *bl)
{
    while (len > 1 && s[len - 1] == '/')
        len--;
    size_t b = len;
    while (b > 0 && s[b - 1] != '/')
        b--;
    *bl = len - b;
    return s + b;
}

static int ends_slash(const word *w)
{
    return w->len > 0 && w->s[w->len - 1] == '/';
}

/* A folder tree copied to dir: anything inside counts when dir is under .claude/memory,
 * and dir/MEMORY.md when the source folder has one. */
static void check_tree(gctx *g, const char *cwd, const char *dir, size_t dl, const word *src)
{
    char unk = M_UNK;
    check_join(g, cwd, dir, dl, &unk, 1);
    char buf[GP_MAX];
    if (src->len + 11 < sizeof buf && !has_marker(src->s, src->len)) {
        memcpy(buf, src->s, src->len);
        memcpy(buf + src->len, "/MEMORY.md", 11);
        struct stat sb;
        const char *p = buf;
        char a[GP_MAX];
        if (buf[0] != '/' && cwd) {
            int n = snprintf(a, sizeof a, "%s/%s", cwd, buf);
            p = n > 0 && (size_t)n < sizeof a ? a : "";
        }
        if (p[0] == '/' && g->budget-- > 0 && stat(p, &sb) == 0)
            check_join(g, cwd, dir, dl, "MEMORY.md", 9);
    }
}

enum { K_CP, K_MV, K_LN, K_INSTALL, K_RSYNC };

static const char *const cp_long[] = {"target-directory", "suffix", NULL};
static const char *const install_long[] = {"target-directory", "suffix", "mode", "owner", "group",
                                           "strip-program",    NULL};
static const char *const rsync_long[] = {"rsh",
                                         "filter",
                                         "exclude",
                                         "include",
                                         "exclude-from",
                                         "include-from",
                                         "files-from",
                                         "block-size",
                                         "temp-dir",
                                         "partial-dir",
                                         "backup-dir",
                                         "suffix",
                                         "link-dest",
                                         "compare-dest",
                                         "copy-dest",
                                         "chmod",
                                         "chown",
                                         "log-file",
                                         "log-file-format",
                                         "out-format",
                                         "password-file",
                                         "rsync-path",
                                         "timeout",
                                         "contimeout",
                                         "max-size",
                                         "min-size",
                                         "max-delete",
                                         "bwlimit",
                                         "port",
                                         "sockopts",
                                         "usermap",
                                         "groupmap",
                                         "iconv",
                                         "compress-level",
                                         "skip-compress",
                                         "modify-window",
                                         "info",
                                         "debug",
                                         "protocol",
                                         "checksum-choice",
                                         "compress-choice",
                                         "only-write-batch",
                                         "write-batch",
                                         "read-batch",
                                         "address",
                                         "outbuf",
                                         "remote-option",
                                         "stop-after",
                                         "stop-at",
                                         "copy-as",
                                         "early-input",
                                         NULL};

static int is_remote(const word *w)
{
    if (w->len >= 8 && memcmp(w->s, "rsync://", 8) == 0) return 1;
    const char *colon = memchr(w->s, ':', w->len);
    const char *slash = memchr(w->s, '/', w->len);
    return colon && (!slash || colon < slash);
}

/* cp, mv, ln, install, rsync: the destination file, or each source's name inside the
 * destination folder. */
static void w_copy(gctx *g, const char *cwd, const word *argv, size_t argc, int kind)
{
    static const argspec sp_cp = {"tS", "", cp_long, 0, 0};
    static const argspec sp_install = {"tSmog", "", install_long, 0, 0};
    static const argspec sp_rsync = {"efBTM", "", rsync_long, 0, 0};
    const argspec *sp = kind == K_INSTALL ? &sp_install : kind == K_RSYNC ? &sp_rsync : &sp_cp;
    /* mv, ln, install and rsync replace a destination symlink; cp writes through it. */
    g->follow_last = kind == K_CP;
    scan sc;
    if (scan_args(argv, argc, sp, &sc) != 0) goto done;
    if (kind == K_INSTALL && (find_opt(&sc, 'd', "directory"))) goto done;
    int no_target = kind != K_RSYNC && find_opt(&sc, 'T', "no-target-directory") != NULL;
    const opt *t = kind != K_RSYNC ? find_opt(&sc, 't', "target-directory") : NULL;
    int tree = kind != K_LN && kind != K_INSTALL;
    const char *dir = NULL;
    size_t dl = 0, nsrc = sc.nops;
    if (t && t->v) {
        dir = t->v;
        dl = t->vlen;
        if (nsrc == 0) { /* sources from xargs: unknown names inside dir */
            char unk = M_UNK;
            check_join(g, cwd, dir, dl, &unk, 1);
        }
    } else if (sc.nops >= 2) {
        const word *dest = &argv[sc.ops[sc.nops - 1]];
        nsrc = sc.nops - 1;
        if (kind == K_RSYNC && is_remote(dest)) goto done;
        int isdir = path_is_dir(g, cwd, dest->s, dest->len);
        int as_dir = !no_target && (nsrc > 1 || ends_slash(dest) || isdir != 0);
        int as_file = no_target || (nsrc == 1 && !ends_slash(dest) && isdir != 1);
        if (as_file) {
            check_word(g, cwd, dest);
            if (tree && nsrc == 1 &&
                path_is_dir(g, cwd, argv[sc.ops[0]].s, argv[sc.ops[0]].len) == 1)
                check_tree(g, cwd, dest->s, dest->len, &argv[sc.ops[0]]);
        }
        if (!as_dir) goto done;
        dir = dest->s;
        dl = dest->len;
    } else if (sc.nops == 1 && kind == K_LN) {
        dir = ".";
        dl = 1;
    } else {
        goto done;
    }
    for (size_t k = 0; k < nsrc; k++) {
        const word *src = &argv[sc.ops[k]];
        if (kind == K_RSYNC && ends_slash(src)) { /* the folder's contents */
            check_tree(g, cwd, dir, dl, src);
            continue;
        }
        size_t bl;
        const char *b = base_of(src->s, src->len, &bl);
        if (bl == 0 || mem_eq(b, bl, "/")) continue;
        check_join(g, cwd, dir, dl, b, bl);
        if (tree && path_is_dir(g, cwd, src->s, src->len) == 1) {
            char sub[GP_MAX];
            if (dl + bl + 2 <= sizeof sub) {
                memcpy(sub, dir, dl);
                sub[dl] = '/';
                memcpy(sub + dl + 1, b, bl);
                check_tree(g, cwd, sub, dl + 1 + bl, src);
            }
        }
    }
done:
    g->follow_last = 1;
    scan_free(&sc);
}

/* Checks every operand (tee, touch, truncate, sudoedit) or those from index from. */
static void w_operands(gctx *g, const char *cwd, const word *argv, size_t argc, const argspec *sp,
                       size_t from)
{
    scan sc;
    if (scan_args(argv, argc, sp, &sc) == 0)
        for (size_t k = from; k < sc.nops; k++)
            check_word(g, cwd, &argv[sc.ops[k]]);
    scan_free(&sc);
}

static void check_opt(gctx *g, const char *cwd, const scan *sc, char c, const char *name)
{
    for (size_t i = 0; i < sc->nopts; i++) {
        const opt *o = &sc->opts[i];
        if (((c && o->c == c) || (name && !o->c && mem_eq(o->name, o->nlen, name))) && o->v)
            check_path(g, cwd, o->v, o->vlen);
    }
}

/* sed -i, perl -i, ruby -i, gawk -i inplace: the files edited in place.  A script given
 * by option means every operand is a file; otherwise the first operand is the script. */
static void w_inplace(gctx *g, const char *cwd, const word *argv, size_t argc, const argspec *sp,
                      int inplace, int script_opt)
{
    scan sc;
    if (scan_args(argv, argc, sp, &sc) != 0 || !inplace) goto done;
    g->follow_last = 0; /* the edited copy is renamed over the name: a link is replaced */
    size_t skip = script_opt ? 0 : 1;
    for (size_t k = 0; k < sc.nops; k++) {
        const word *w = &argv[sc.ops[k]];
        if (w->len == 0) continue; /* BSD sed -i '' */
        if (skip) {
            skip--;
            continue;
        }
        check_word(g, cwd, w);
    }
done:
    g->follow_last = 1;
    scan_free(&sc);
}

static int opt_present(const word *argv, size_t argc, const argspec *sp, char c, const char *name)
{
    scan sc;
    int r = scan_args(argv, argc, sp, &sc) == 0 && find_opt(&sc, c, name) != NULL;
    scan_free(&sc);
    return r;
}

/* Inline code (python -c, node -e, perl -e, ruby -e, or a heredoc fed to them): a string
 * literal naming a protected path, with a write nearby (write/append, a write mode such as
 * 'w' or 'a', or perl's ">path"), counts as a write.  Reads stay allowed. */
static int near_write(const char *w, size_t wl)
{
    static const char *const modes[] = {"w",   "w+", "wb",  "wt",  "w+b", "wb+", "a",  "a+",
                                        "ab",  "at", "a+b", "ab+", "x",   "xb",  "r+", "r+b",
                                        "rb+", ">",  ">>",  "+<",  "+>",  NULL};
    if (mem_has_ci(w, wl, "write") || mem_has_ci(w, wl, "append")) return 1;
    char q[8];
    for (int k = 0; modes[k]; k++)
        for (int d = 0; d < 2; d++) {
            char quote = d ? '"' : '\'';
            snprintf(q, sizeof q, "%c%s%c", quote, modes[k], quote);
            if (mem_has(w, wl, q)) return 1;
        }
    return 0;
}

static void w_code(gctx *g, const char *cwd, const char *code, size_t len)
{
    size_t i = 0;
    while (i < len && !g->blocked) {
        char q = code[i];
        if (q != '\'' && q != '"' && q != '`') {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < len && code[j] != q && code[j] != '\n')
            j += code[j] == '\\' ? 2 : 1;
        if (j >= len || code[j] != q) {
            i = j;
            continue;
        }
        const char *lit = code + i + 1;
        size_t ll = j - i - 1;
        if (ll > 0 && ll < GP_MAX - 1 && mem_has(lit, ll, ".claude")) {
            size_t k = 0;
            int perl_write = 0;
            while (k < ll && strchr("<>+ ", lit[k])) {
                perl_write |= lit[k] == '>' || lit[k] == '+';
                k++;
            }
            size_t b0 = i > CODE_WINDOW ? i - CODE_WINDOW : 0, b = i;
            while (b > b0 && code[b - 1] != ';' && code[b - 1] != '\n')
                b--;
            size_t a1 = j + 1 + CODE_WINDOW < len ? j + 1 + CODE_WINDOW : len, a = j + 1;
            while (a < a1 && code[a] != ';' && code[a] != '\n')
                a++;
            if (perl_write || near_write(code + b, i - b) || near_write(code + j + 1, a - j - 1)) {
                char p[GP_MAX];
                size_t pl = 0;
                const char *body = lit + k;
                size_t bl = ll - k;
                if (bl > 0 && body[0] == '~' && (bl == 1 || body[1] == '/') && g->home) {
                    pl = (size_t)snprintf(p, sizeof p, "%s", g->home);
                    body++;
                    bl--;
                }
                if (pl + bl < sizeof p) {
                    memcpy(p + pl, body, bl);
                    check_path(g, cwd, p, pl + bl);
                }
            }
        }
        i = j + 1;
    }
}

/* ---- Running one simple command ----------------------------------------------------- */

static int looks_assign(const word *w)
{
    const char *eq = memchr(w->s, '=', w->len);
    return eq && valid_name(w->s, (size_t)(eq - w->s));
}

static void run_shell_text(gctx *g, shstate *st, const char *text, size_t len, int depth)
{
    if (depth + 1 > GUARD_MAX_DEPTH) return;
    shstate child;
    st_copy(&child, st, 1);
    analyze(g, text, len, &child, depth + 1);
    st_free(&child);
}

static void builtin_cd(gctx *g, shstate *st, const word *argv, size_t argc, int pushd)
{
    size_t k = 1;
    while (k < argc && argv[k].s[0] == '-' && argv[k].len > 1 &&
           !mem_eq(argv[k].s, argv[k].len, "--"))
        k++;
    if (k < argc && mem_eq(argv[k].s, argv[k].len, "--")) k++;
    if (k >= argc) {
        st_setcwd(st, g->home);
        return;
    }
    const word *d = &argv[k];
    char buf[2 * CWD_MAX];
    if (has_marker(d->s, d->len) || mem_eq(d->s, d->len, "-") ||
        (pushd && (d->s[0] == '+' || d->s[0] == '-'))) {
        st_setcwd(st, NULL);
    } else if (d->s[0] == '/') {
        st_setcwd(st, d->s);
    } else if (st->cwd && (size_t)snprintf(buf, sizeof buf, "%s/%s", st->cwd, d->s) < sizeof buf) {
        st_setcwd(st, buf);
    } else {
        st_setcwd(st, NULL);
    }
}

static const char *const no_long[] = {NULL};
static const char *const sudo_long[] = {"user",       "group", "close-from", "chdir",
                                        "prompt",     "role",  "type",       "command-timeout",
                                        "other-user", "host",  NULL};
static const char *const env_long[] = {"unset", "chdir", "split-string", NULL};
static const char *const timeout_long[] = {"signal", "kill-after", NULL};
static const char *const time_long[] = {"format", "output", NULL};
static const char *const stdbuf_long[] = {"input", "output", "error", NULL};
static const char *const nice_long[] = {"adjustment", NULL};
static const char *const xargs_long[] = {"arg-file",  "delimiter",        "max-args",
                                         "max-procs", "max-chars",        "max-lines",
                                         "eof",       "process-slot-var", NULL};
static const char *const sh_long[] = {"rcfile", "init-file", "command", NULL};
static const char *const node_long[] = {
    "eval",       "print",      "require", "import",
    "input-type", "conditions", "loader",  "experimental-loader",
    "env-file",   "title",      NULL};
static const char *const touch_long[] = {"date", "reference", "time", NULL};
static const char *const truncate_long[] = {"size", "reference", NULL};
static const char *const sed_long[] = {"expression", "file", "line-length", NULL};
static const char *const awk_long[] = {"file", "assign", "field-separator", "include",
                                       "load", "exec",   "source",          NULL};
static const char *const curl_long[] = {
    "output",    "dump-header",    "cookie-jar",     "header",  "data",          "data-binary",
    "data-raw",  "data-urlencode", "user-agent",     "request", "user",          "url",
    "form",      "cookie",         "referer",        "proxy",   "max-time",      "connect-timeout",
    "write-out", "config",         "upload-file",    "range",   "continue-at",   "cert",
    "key",       "cacert",         "output-dir",     "trace",   "trace-ascii",   "stderr",
    "retry",     "retry-delay",    "retry-max-time", "json",    "oauth2-bearer", "resolve",
    "interface", "proto",          "proto-redir",    NULL};
static const char *const wget_long[] = {"output-document",
                                        "output-file",
                                        "append-output",
                                        "directory-prefix",
                                        "execute",
                                        "input-file",
                                        "base",
                                        "tries",
                                        "timeout",
                                        "wait",
                                        "user-agent",
                                        "header",
                                        NULL};
static const char *const patch_long[] = {"output", "input",       "directory",
                                         "strip",  "prefix",      "basename-prefix",
                                         "suffix", "reject-file", NULL};

static int name_starts(const char *b, size_t bl, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (bl < pl || memcmp(b, prefix, pl) != 0) return 0;
    for (size_t i = pl; i < bl; i++) /* python3, python3.12, perl5.36 */
        if (!isdigit((unsigned char)b[i]) && b[i] != '.') return 0;
    return 1;
}

static void run_argv(gctx *g, shstate *st, const char *cwd, const word *argv, size_t argc,
                     const char *in, size_t inlen, int depth)
{
    char cwdbuf[GP_MAX];
    for (int hop = 0; hop < 16 && argc > 0 && !g->blocked; hop++) {
        if (has_marker(argv[0].s, argv[0].len)) return;
        size_t bl;
        const char *b = base_of(argv[0].s, argv[0].len, &bl);
#define IS(lit) (bl == sizeof(lit) - 1 && memcmp(b, lit, bl) == 0)
        scan sc;
        const argspec *wrap = NULL;
        static const argspec sp_sudo = {"ugCDprtTU", "", sudo_long, 1, 0};
        static const argspec sp_doas = {"uC", "", no_long, 1, 0};
        static const argspec sp_env = {"uCS", "", env_long, 1, 0};
        static const argspec sp_plain = {"", "", no_long, 1, 0};
        static const argspec sp_exec = {"a", "", no_long, 1, 0};
        static const argspec sp_nice = {"n", "", nice_long, 1, 0};
        static const argspec sp_ionice = {"cnpP", "", no_long, 1, 0};
        static const argspec sp_stdbuf = {"ioe", "", stdbuf_long, 1, 0};
        static const argspec sp_timeout = {"sk", "", timeout_long, 1, 0};
        static const argspec sp_time = {"fo", "", time_long, 1, 0};
        static const argspec sp_xargs = {"aEdILnPs", "eil", xargs_long, 1, 0};
        if (IS("sudo") || IS("doas")) {
            wrap = IS("sudo") ? &sp_sudo : &sp_doas;
            if (IS("sudo") && opt_present(argv, argc, wrap, 'e', "edit")) {
                static const argspec sp_edit = {"ugCDprtTU", "", sudo_long, 0, 0};
                w_operands(g, cwd, argv, argc, &sp_edit, 0);
                return;
            }
        } else if (IS("sudoedit")) {
            static const argspec sp_edit = {"ugCDprtTU", "", sudo_long, 0, 0};
            w_operands(g, cwd, argv, argc, &sp_edit, 0);
            return;
        } else if (IS("env")) {
            wrap = &sp_env;
        } else if (IS("nohup") || IS("builtin") || IS("setsid") || IS("unbuffer") ||
                   IS("chronic") || IS("command") || IS("noglob")) {
            wrap = &sp_plain;
            if (IS("command") && (opt_present(argv, argc, wrap, 'v', NULL) ||
                                  opt_present(argv, argc, wrap, 'V', NULL)))
                return;
        } else if (IS("exec")) {
            wrap = &sp_exec;
        } else if (IS("nice")) {
            wrap = &sp_nice;
        } else if (IS("ionice")) {
            wrap = &sp_ionice;
        } else if (IS("stdbuf")) {
            wrap = &sp_stdbuf;
        } else if (IS("timeout")) {
            wrap = &sp_timeout;
        } else if (IS("time")) {
            wrap = &sp_time;
        } else if (IS("xargs")) {
            wrap = &sp_xargs;
        } else if (IS("busybox")) {
            argv++;
            argc--;
            continue;
        }
        if (wrap) {
            if (scan_args(argv, argc, wrap, &sc) != 0) {
                scan_free(&sc);
                return;
            }
            size_t first = sc.first;
            if (wrap == &sp_time) check_opt(g, cwd, &sc, 'o', "output");
            const opt *dir = NULL;
            if (wrap == &sp_env) {
                if (find_opt(&sc, 'S', "split-string")) first = argc;
                dir = find_opt(&sc, 'C', "chdir");
            } else if (wrap == &sp_sudo) {
                dir = find_opt(&sc, 'D', "chdir");
            }
            if (dir) { /* the command runs elsewhere */
                int n = dir->v && !has_marker(dir->v, dir->vlen)
                            ? (dir->v[0] == '/'
                                   ? snprintf(cwdbuf, sizeof cwdbuf, "%.*s", (int)dir->vlen, dir->v)
                               : cwd ? snprintf(cwdbuf, sizeof cwdbuf, "%s/%.*s", cwd,
                                                (int)dir->vlen, dir->v)
                                     : -1)
                            : -1;
                cwd = n > 0 && (size_t)n < sizeof cwdbuf ? cwdbuf : NULL;
            }
            scan_free(&sc);
            if (wrap == &sp_timeout && first < argc) first++; /* the duration */
            argv += first;
            argc -= first;
            if (wrap == &sp_env || wrap == &sp_sudo)
                while (argc > 0 && looks_assign(&argv[0])) {
                    argv++;
                    argc--;
                }
            continue;
        }

        /* Builtins that change what later words mean. */
        if (IS("cd") || IS("pushd")) {
            builtin_cd(g, st, argv, argc, IS("pushd"));
            return;
        }
        if (IS("popd")) {
            st_setcwd(st, NULL);
            return;
        }
        if (IS("export") || IS("declare") || IS("typeset") || IS("local") || IS("readonly")) {
            for (size_t k = 1; k < argc; k++)
                if (looks_assign(&argv[k])) {
                    const char *eq = memchr(argv[k].s, '=', argv[k].len);
                    size_t nl = (size_t)(eq - argv[k].s);
                    st_set(st, argv[k].s, nl, eq + 1, argv[k].len - nl - 1, IS("export"));
                } else if (IS("export") && valid_name(argv[k].s, argv[k].len)) {
                    shvar *v = st_get(st, argv[k].s, argv[k].len);
                    if (v) v->exported = 1;
                }
            return;
        }
        if (IS("unset")) {
            for (size_t k = 1; k < argc; k++)
                st_unset(st, argv[k].s, argv[k].len);
            return;
        }
        if (IS("eval")) {
            strbuf sb = {0};
            for (size_t k = 1; k < argc; k++) {
                if (k > 1) sb_add(&sb, " ", 1);
                sb_add(&sb, argv[k].s, argv[k].len);
            }
            if (sb.buf && !sb.oom && depth + 1 <= GUARD_MAX_DEPTH)
                analyze(g, sb.buf, sb.len, st, depth + 1);
            sb_free(&sb);
            return;
        }

        /* Shells and interpreters: their command strings and stdin. */
        if (IS("bash") || IS("sh") || IS("zsh") || IS("dash") || IS("ksh") || IS("mksh") ||
            IS("ash") || IS("fish")) {
            static const argspec sp_sh = {"oO", "", sh_long, 1, 1};
            if (scan_args(argv, argc, &sp_sh, &sc) == 0) {
                const opt *c = find_opt(&sc, 'c', "command");
                if (c && c->v)
                    run_shell_text(g, st, c->v, c->vlen, depth); /* fish --command=... */
                else if (c && sc.first < argc)
                    run_shell_text(g, st, argv[sc.first].s, argv[sc.first].len, depth);
                else if (!c && in &&
                         (sc.first >= argc || mem_eq(argv[sc.first].s, argv[sc.first].len, "-") ||
                          find_opt(&sc, 's', NULL)))
                    run_shell_text(g, st, in, inlen, depth); /* the script on stdin */
            }
            scan_free(&sc);
            return;
        }
        if (name_starts(b, bl, "python") || name_starts(b, bl, "pypy") || IS("node") ||
            IS("nodejs")) {
            static const argspec sp_py = {"cmWX", "", no_long, 1, 0};
            static const argspec sp_node = {"eprC", "", node_long, 1, 0};
            int node = IS("node") || IS("nodejs");
            if (scan_args(argv, argc, node ? &sp_node : &sp_py, &sc) == 0) {
                const opt *c = node ? find_opt(&sc, 'e', "eval") : find_opt(&sc, 'c', NULL);
                if (node && !c) c = find_opt(&sc, 'p', "print");
                if (c && c->v)
                    w_code(g, cwd, c->v, c->vlen);
                else if (!find_opt(&sc, 'm', NULL) && in &&
                         (sc.first >= argc || mem_eq(argv[sc.first].s, argv[sc.first].len, "-")))
                    w_code(g, cwd, in, inlen);
            }
            scan_free(&sc);
            return;
        }
        if (name_starts(b, bl, "perl") || IS("ruby")) {
            static const argspec sp_perl = {"eE", "ilIMm0xFCdD", no_long, 0, 0};
            static const argspec sp_ruby = {"eIrECTx", "i0lKFW", no_long, 0, 0};
            const argspec *sp = IS("ruby") ? &sp_ruby : &sp_perl;
            if (scan_args(argv, argc, sp, &sc) == 0) {
                int has_code = 0;
                for (size_t k = 0; k < sc.nopts; k++)
                    if ((sc.opts[k].c == 'e' || sc.opts[k].c == 'E') && sc.opts[k].v) {
                        has_code = 1;
                        w_code(g, cwd, sc.opts[k].v, sc.opts[k].vlen);
                    }
                if (!has_code && sc.nops == 0 && in) w_code(g, cwd, in, inlen);
                w_inplace(g, cwd, argv, argc, sp, find_opt(&sc, 'i', NULL) != NULL, has_code);
            }
            scan_free(&sc);
            return;
        }

        /* Programs that write the files they are given. */
        static const argspec sp_none = {"", "", no_long, 0, 0};
        if (IS("tee")) {
            w_operands(g, cwd, argv, argc, &sp_none, 0);
        } else if (IS("touch")) {
            static const argspec sp = {"dtr", "", touch_long, 0, 0};
            w_operands(g, cwd, argv, argc, &sp, 0);
        } else if (IS("truncate")) {
            static const argspec sp = {"sr", "", truncate_long, 0, 0};
            w_operands(g, cwd, argv, argc, &sp, 0);
        } else if (IS("cp") || IS("gcp")) {
            w_copy(g, cwd, argv, argc, K_CP);
        } else if (IS("mv") || IS("gmv")) {
            w_copy(g, cwd, argv, argc, K_MV);
        } else if (IS("ln")) {
            w_copy(g, cwd, argv, argc, K_LN);
        } else if (IS("install") || IS("ginstall")) {
            w_copy(g, cwd, argv, argc, K_INSTALL);
        } else if (IS("rsync")) {
            w_copy(g, cwd, argv, argc, K_RSYNC);
        } else if (IS("dd")) {
            for (size_t k = 1; k < argc; k++)
                if (argv[k].len > 3 && memcmp(argv[k].s, "of=", 3) == 0)
                    check_path(g, cwd, argv[k].s + 3, argv[k].len - 3);
        } else if (IS("sed") || IS("gsed")) {
            static const argspec sp = {"efl", "i", sed_long, 0, 0};
            scan s2;
            if (scan_args(argv, argc, &sp, &s2) == 0) {
                int inplace = find_opt(&s2, 'i', "in-place") != NULL;
                int script = find_opt(&s2, 'e', "expression") || find_opt(&s2, 'f', "file");
                w_inplace(g, cwd, argv, argc, &sp, inplace, script);
            }
            scan_free(&s2);
        } else if (IS("awk") || IS("gawk")) {
            static const argspec sp = {"fvFiEel", "", awk_long, 0, 0};
            scan s2;
            if (scan_args(argv, argc, &sp, &s2) == 0) {
                const opt *inc = find_opt(&s2, 'i', "include");
                int inplace = inc && inc->v && mem_eq(inc->v, inc->vlen, "inplace");
                int script = find_opt(&s2, 'f', "file") || find_opt(&s2, 'e', "source") ||
                             find_opt(&s2, 'E', "exec");
                w_inplace(g, cwd, argv, argc, &sp, inplace, script);
            }
            scan_free(&s2);
        } else if (IS("curl")) {
            static const argspec sp = {"AbcCdDeEFHKmoPQrTtuUwxXyYz", "", curl_long, 0, 0};
            if (scan_args(argv, argc, &sp, &sc) == 0) {
                const opt *od = find_opt(&sc, 0, "output-dir");
                for (size_t k = 0; k < sc.nopts; k++) {
                    const opt *o = &sc.opts[k];
                    int out = o->c == 'o' || (!o->c && mem_eq(o->name, o->nlen, "output"));
                    if (!o->v || !(out || o->c == 'D' || o->c == 'c' ||
                                   (!o->c && (mem_eq(o->name, o->nlen, "dump-header") ||
                                              mem_eq(o->name, o->nlen, "cookie-jar")))))
                        continue;
                    if (out && od && od->v && o->v[0] != '/')
                        check_join(g, cwd, od->v, od->vlen, o->v, o->vlen);
                    else
                        check_path(g, cwd, o->v, o->vlen);
                }
            }
            scan_free(&sc);
        } else if (IS("wget")) {
            static const argspec sp = {"OoaPeiBtTwQUlADRXIH", "", wget_long, 0, 0};
            if (scan_args(argv, argc, &sp, &sc) == 0) {
                check_opt(g, cwd, &sc, 'O', "output-document");
                check_opt(g, cwd, &sc, 'o', "output-file");
                check_opt(g, cwd, &sc, 'a', "append-output");
                const opt *p = find_opt(&sc, 'P', "directory-prefix");
                char unk = M_UNK;
                if (p && p->v) check_join(g, cwd, p->v, p->vlen, &unk, 1);
            }
            scan_free(&sc);
        } else if (IS("patch")) {
            static const argspec sp = {"BdDFgiopxrVYz", "", patch_long, 0, 0};
            if (scan_args(argv, argc, &sp, &sc) == 0) {
                check_opt(g, cwd, &sc, 'o', "output");
                if (sc.nops > 0) check_word(g, cwd, &argv[sc.ops[0]]);
            }
            scan_free(&sc);
        } else if (IS("find")) {
            for (size_t k = 1; k < argc; k++) {
                const word *w = &argv[k];
                if (mem_eq(w->s, w->len, "-exec") || mem_eq(w->s, w->len, "-execdir") ||
                    mem_eq(w->s, w->len, "-ok") || mem_eq(w->s, w->len, "-okdir")) {
                    size_t e = k + 1;
                    while (e < argc && !mem_eq(argv[e].s, argv[e].len, ";") &&
                           !mem_eq(argv[e].s, argv[e].len, "+"))
                        e++;
                    int here = w->len == 5 || w->len == 3; /* -exec, -ok */
                    if (depth + 1 <= GUARD_MAX_DEPTH)
                        run_argv(g, st, here ? cwd : NULL, argv + k + 1, e - k - 1, NULL, 0,
                                 depth + 1);
                    k = e;
                } else if ((mem_eq(w->s, w->len, "-fprint") || mem_eq(w->s, w->len, "-fprint0") ||
                            mem_eq(w->s, w->len, "-fls") || mem_eq(w->s, w->len, "-fprintf")) &&
                           k + 1 < argc) {
                    check_word(g, cwd, &argv[++k]);
                }
            }
        }
        return;
#undef IS
    }
}

/* ---- Command lists ------------------------------------------------------------------ */

typedef struct cmd {
    word *w;
    size_t nw, cap;
    int hd;        /* heredoc on stdin, or -1 */
    char *herestr; /* <<< text, or NULL */
    int dbracket;  /* inside [[ ... ]]: < > && || are operators of the test */
    int skip;      /* for/select/case header: no command here */
    int skip_next; /* function NAME */
} cmd;

static void cmd_reset(cmd *c)
{
    for (size_t i = 0; i < c->nw; i++)
        free(c->w[i].s);
    free(c->herestr);
    word *w = c->w;
    size_t cap = c->cap;
    memset(c, 0, sizeof *c);
    c->w = w;
    c->cap = cap;
    c->hd = -1;
}

static int cmd_add(cmd *c, token *t)
{
    if (c->nw == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 8;
        word *nw = realloc(c->w, nc * sizeof *nw);
        if (!nw) return -1;
        c->w = nw;
        c->cap = nc;
    }
    word *w = &c->w[c->nw];
    w->len = t->text.len;
    w->quoted = t->quoted;
    w->name_len = t->name_len;
    w->assign = t->assign;
    w->s = sb_detach(&t->text);
    if (!w->s) return -1;
    c->nw++;
    return 0;
}

static void run_cmd(gctx *g, shstate *st, lexer *lx, cmd *c, int depth)
{
    size_t k = 0;
    while (k < c->nw && c->w[k].assign)
        k++;
    if (k == c->nw) { /* NAME=value ...: shell variables */
        for (size_t i = 0; i < c->nw; i++) {
            const word *w = &c->w[i];
            size_t nl = w->name_len;
            st_set(st, w->s, nl, w->s + w->assign, w->len - w->assign, 0);
        }
        return;
    }
    const char *in = NULL;
    size_t inlen = 0;
    if (c->herestr) {
        in = c->herestr;
        inlen = strlen(in);
    } else if (c->hd >= 0 && c->hd < lx->nhd && lx->hd[c->hd].done) {
        in = lx->s + lx->hd[c->hd].body;
        inlen = lx->hd[c->hd].end - lx->hd[c->hd].body;
    }
    run_argv(g, st, st->cwd, c->w + k, c->nw - k, in, inlen, depth);
}

static void redirect(gctx *g, shstate *st, cmd *c, int kind, int fd, const token *t)
{
    const char *s = t->text.buf ? t->text.buf : "";
    size_t n = t->text.len;
    if (kind == R_WRITE) {
        check_path(g, st->cwd, s, n);
    } else if (kind == R_DUP && fd == -1) { /* >&word: a file unless word is a descriptor */
        size_t i = 0;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
        if (i < n && s[i] == '-') i++;
        if (n > 0 && i < n) check_path(g, st->cwd, s, n);
    } else if (kind == R_HERESTR) {
        free(c->herestr);
        c->herestr = xstrdup(s);
    }
}

static int is_reserved(const char *s, size_t n)
{
    static const char *const words[] = {"if",    "then",  "else", "elif", "fi", "do",     "done",
                                        "while", "until", "{",    "}",    "!",  "coproc", NULL};
    return in_list(words, s, n);
}

/* Reads a command list: runs each simple command, tracks the directory across it (and
 * restores it after a subshell).  0, or -1 on a syntax error (then nothing found in this
 * text counts). */
static int analyze(gctx *g, const char *text, size_t len, shstate *st, int depth)
{
    int was = g->blocked;
    lexer lx;
    memset(&lx, 0, sizeof lx);
    lx.g = g;
    lx.st = st;
    lx.s = text;
    lx.n = len;
    lx.depth = depth;
    lx.arith_budget = ARITH_BUDGET;
    token t;
    memset(&t, 0, sizeof t);
    cmd c;
    memset(&c, 0, sizeof c);
    c.hd = -1;
    char *saved[MAX_SUBSHELLS];
    int nsaved = 0, over = 0;
    int case_base[MAX_CASES], ncase = 0;
    int pending = 0, pkind = 0, pfd = -1, rc = 0, prev_pipe = 0;
    for (;;) {
        lex(&lx, &t);
        if (t.type == T_ERR) {
            rc = -1;
            break;
        }
        if (pending) {
            if (t.type != T_WORD) {
                rc = -1;
                break;
            }
            redirect(g, st, &c, pkind, pfd, &t);
            pending = 0;
            continue;
        }
        if (t.type == T_WORD) {
            const char *s = t.text.buf ? t.text.buf : "";
            size_t n = t.text.len;
            int plain = !t.quoted && !has_marker(s, n);
            if (c.dbracket) {
                if (plain && mem_eq(s, n, "]]")) c.dbracket = 0;
                continue;
            }
            if (c.skip) continue;
            if (c.skip_next) {
                c.skip_next = 0;
                continue;
            }
            if (c.nw == 0 && plain) {
                if (mem_eq(s, n, "[[")) {
                    c.dbracket = 1;
                    continue;
                }
                if (mem_eq(s, n, "for") || mem_eq(s, n, "select") || mem_eq(s, n, "case")) {
                    if (mem_eq(s, n, "case") && ncase < MAX_CASES)
                        case_base[ncase++] = nsaved + over;
                    c.skip = 1;
                    continue;
                }
                if (mem_eq(s, n, "esac")) {
                    if (ncase > 0) ncase--;
                    continue;
                }
                if (mem_eq(s, n, "function")) {
                    c.skip_next = 1;
                    continue;
                }
                if (is_reserved(s, n)) continue;
            }
            if (cmd_add(&c, &t) != 0) {
                rc = -1;
                break;
            }
            continue;
        }
        if (t.type == T_REDIR) {
            if (c.dbracket) continue;
            if (t.op == R_HEREDOC) {
                c.hd = t.hd;
                continue;
            }
            pending = 1;
            pkind = t.op;
            pfd = t.fd;
            continue;
        }
        if (t.type == T_SEP && c.dbracket && (t.op == 'a' || t.op == 'o')) continue;
        /* A pipeline's commands and background jobs run in subshells: their cd and
         * variables do not reach the next command. */
        int sub = t.type == T_SEP && (t.op == '|' || t.op == '&');
        if (sub || prev_pipe) {
            shstate tmp;
            st_copy(&tmp, st, 0);
            run_cmd(g, &tmp, &lx, &c, depth);
            st_free(&tmp);
        } else {
            run_cmd(g, st, &lx, &c, depth);
        }
        prev_pipe = t.type == T_SEP && t.op == '|';
        cmd_reset(&c);
        if (t.type == T_EOF) break;
        if (t.type == T_OPEN) {
            if (nsaved < MAX_SUBSHELLS)
                saved[nsaved++] = st->cwd ? xstrdup(st->cwd) : NULL;
            else
                over++;
        } else if (t.type == T_CLOSE) {
            if (ncase > 0 && case_base[ncase - 1] == nsaved + over) {
                /* the ')' ending a case pattern */
            } else if (over > 0) {
                over--;
                st_setcwd(st, NULL);
            } else if (nsaved > 0) {
                free(st->cwd);
                st->cwd = saved[--nsaved];
            }
        }
    }
    while (nsaved > 0)
        free(saved[--nsaved]);
    cmd_reset(&c);
    free(c.w);
    sb_free(&t.text);
    for (int k = 0; k < lx.nhd; k++)
        free(lx.hd[k].delim);
    if (rc != 0) g->blocked = was;
    return rc;
}

/* ---- Public API --------------------------------------------------------------------- */

static void gctx_init(gctx *g, const guard_env *env)
{
    memset(g, 0, sizeof *g);
    g->budget = FS_BUDGET;
    g->follow_last = 1;
    if (env && env->home_dir && env->home_dir[0] == '/') g->home = env->home_dir;
    if (env && env->claude_dir && env->claude_dir[0] == '/') g->claude_dir = env->claude_dir;
}

static int finish(const gctx *g, char *reason, size_t n)
{
    if (!g->blocked) return 0;
    if (reason && n > 0) snprintf(reason, n, REASON_FMT, g->path);
    return 1;
}

int guard_check_path(const char *path, const guard_env *env, char *reason, size_t n)
{
    gctx g;
    char buf[GP_MAX];
    if (!path || !*path) return 0;
    size_t len = strlen(path);
    if (len >= GP_MAX || has_marker(path, len)) return 0;
    gctx_init(&g, env);
    if (path[0] == '~') { /* ~ and ~user, as a shell would */
        const char *slash = strchr(path, '/');
        size_t ul = slash ? (size_t)(slash - path) - 1 : len - 1;
        const char *dir = NULL;
        if (ul == 0) {
            dir = g.home;
        } else if (ul < 256) {
            char name[256];
            memcpy(name, path + 1, ul);
            name[ul] = '\0';
            struct passwd *pw = getpwnam(name);
            dir = pw ? pw->pw_dir : NULL;
        }
        if (dir) {
            int w = snprintf(buf, sizeof buf, "%s%s", dir, slash ? slash : "");
            if (w < 0 || (size_t)w >= sizeof buf) return 0;
            path = buf;
            len = (size_t)w;
        }
    }
    const char *cwd = env && env->cwd && env->cwd[0] == '/' ? env->cwd : NULL;
    check_path(&g, cwd, path, len);
    return finish(&g, reason, n);
}

int guard_check_command(const char *command, const guard_env *env, char *reason, size_t n)
{
    if (!command) return 0;
    size_t len = strnlen(command, GUARD_MAX_COMMAND + 1);
    if (len > GUARD_MAX_COMMAND || has_marker(command, len)) return 0;
    gctx g;
    gctx_init(&g, env);
    shstate st;
    memset(&st, 0, sizeof st);
    st_setcwd(&st, env ? env->cwd : NULL);
    int rc = analyze(&g, command, len, &st, 0);
    st_free(&st);
    if (rc != 0) return 0;
    return finish(&g, reason, n);
}

int guard_check_tool_env(const char *tool_name, const cJSON *tool_input, const guard_env *env,
                         char *reason, size_t n)
{
    if (!tool_name || !cJSON_IsObject(tool_input)) return 0;
    if (strcmp(tool_name, "Bash") == 0) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(tool_input, "command");
        return cJSON_IsString(c) ? guard_check_command(c->valuestring, env, reason, n) : 0;
    }
    static const char *const fields[] = {"file_path", "notebook_path", "path", NULL};
    int notebook = strcmp(tool_name, "NotebookEdit") == 0;
    if (!notebook && strcmp(tool_name, "Write") != 0 && strcmp(tool_name, "Edit") != 0 &&
        strcmp(tool_name, "MultiEdit") != 0)
        return 0;
    for (int i = 0; fields[i]; i++) {
        const char *f = notebook && i < 2 ? fields[1 - i] : fields[i];
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(tool_input, f);
        if (cJSON_IsString(p) && p->valuestring[0])
            return guard_check_path(p->valuestring, env, reason, n);
    }
    return 0;
}

int guard_check_tool(const char *tool_name, const cJSON *tool_input, const char *cwd,
                     const char *home_dir, char *reason, size_t n)
{
    guard_env env = {cwd, home_dir, NULL};
    return guard_check_tool_env(tool_name, tool_input, &env, reason, n);
}
