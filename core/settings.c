/* settings.c: the home folder and settings.json (see settings.h). */
#include "settings.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The documentation of every key; settings_load accepts exactly these. */
const settings_key settings_keys[] = {
    {"auto_save", "boolean", "true",
     "Hooks save session snapshots (session_state, compact_summary) as memories."},
    {"auto_search", "boolean", "true",
     "Hooks search memories for each prompt and add the relevant ones to the context."},
    {"search_limit", "integer 1..100", "10", "How many memories a hook search returns."},
    {"retention_session_days", "integer 1..36500", "90",
     "Days until session snapshots saved by hooks expire."},
    {"redact_secrets", "boolean", "true",
     "Replace keys, tokens and passwords with [REDACTED:<kind>] before anything is stored "
     "(<private> spans are always removed)."},
    {"trash_days", "integer 1..36500", "30",
     "Days a deleted memory stays in the trash, restorable with `mem0-mcp restore`."},
    {"expired_grace_days", "integer 1..36500", "30",
     "Days an expired memory is kept hidden before the sweeper removes it for good."},
    {"confidence_threshold", "number 0..1", "0.3",
     "Minimum search score for a memory that a hook adds to the context."},
    {"debug", "boolean", "false", "Same as MEM0_DEBUG=1: log one line per event to hooks.log."},
    {"embedder", "string", "\"none\"",
     "Vectors for search besides the lexical index: \"none\", \"hash\" (model-free), "
     "\"static:NAME\" (a model installed with `mem0-mcp model install NAME`, or a folder path) "
     "or \"openai\" (an OpenAI-compatible server, see MEM0_EMBED_URL).  MEM0_EMBEDDER "
     "overrides it.  After a change run `mem0-mcp reindex`."},
    {NULL, NULL, NULL, NULL},
};

void settings_defaults(mem0_settings *s)
{
    s->auto_save = 1;
    s->auto_search = 1;
    s->search_limit = 10;
    s->retention_session_days = 90;
    s->redact_secrets = 1;
    s->trash_days = 30;
    s->expired_grace_days = 30;
    s->confidence_threshold = 0.3;
    s->debug = 0;
    s->embedder[0] = '\0';
}

/* Where a key's value goes and what it accepts. */
typedef struct key_slot {
    const char *name;
    enum { K_BOOL, K_INT, K_REAL, K_STR } type;
    size_t offset;
    double min, max;
} key_slot;

static const key_slot slots[] = {
    {"auto_save", K_BOOL, offsetof(mem0_settings, auto_save), 0, 1},
    {"auto_search", K_BOOL, offsetof(mem0_settings, auto_search), 0, 1},
    {"search_limit", K_INT, offsetof(mem0_settings, search_limit), 1, 100},
    {"retention_session_days", K_INT, offsetof(mem0_settings, retention_session_days), 1, 36500},
    {"redact_secrets", K_BOOL, offsetof(mem0_settings, redact_secrets), 0, 1},
    {"trash_days", K_INT, offsetof(mem0_settings, trash_days), 1, 36500},
    {"expired_grace_days", K_INT, offsetof(mem0_settings, expired_grace_days), 1, 36500},
    {"confidence_threshold", K_REAL, offsetof(mem0_settings, confidence_threshold), 0, 1},
    {"debug", K_BOOL, offsetof(mem0_settings, debug), 0, 1},
    /* K_STR: min is unused, max is the field's size */
    {"embedder", K_STR, offsetof(mem0_settings, embedder), 0,
     sizeof(((mem0_settings *)0)->embedder)},
};

/* Starts the next warning of the list. */
static void warn_sep(strbuf *w)
{
    if (w->len) sb_adds(w, "; ");
}

/* Applies one member to s, or explains in w why it is ignored. */
static void apply(mem0_settings *s, const cJSON *item, strbuf *w)
{
    const key_slot *k = NULL;
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
        if (!strcmp(item->string, slots[i].name)) k = &slots[i];
    if (!k) {
        warn_sep(w);
        sb_addf(w, "unknown key \"%s\" ignored", item->string);
        return;
    }
    char *field = (char *)s + k->offset;
    char range[64];
    snprintf(range, sizeof range, " (expected %s %g..%g; default kept)",
             k->type == K_REAL ? "a number" : "an integer", k->min, k->max);
    switch (k->type) {
    case K_BOOL:
        if (!cJSON_IsBool(item)) {
            warn_sep(w);
            sb_addf(w, "\"%s\" must be true or false (default kept)", k->name);
            return;
        }
        *(int *)(void *)field = cJSON_IsTrue(item) ? 1 : 0;
        return;
    case K_INT: {
        double v = cJSON_IsNumber(item) ? item->valuedouble : NAN;
        if (!(v >= k->min && v <= k->max) || v != floor(v)) {
            warn_sep(w);
            sb_addf(w, "\"%s\" is out of range or not a whole number%s", k->name, range);
            return;
        }
        *(int *)(void *)field = (int)v;
        return;
    }
    case K_REAL: {
        double v = cJSON_IsNumber(item) ? item->valuedouble : NAN;
        if (!(v >= k->min && v <= k->max)) {
            warn_sep(w);
            sb_addf(w, "\"%s\" is out of range or not a number%s", k->name, range);
            return;
        }
        *(double *)(void *)field = v;
        return;
    }
    case K_STR: {
        size_t cap = (size_t)k->max;
        if (!cJSON_IsString(item) || strlen(item->valuestring) >= cap) {
            warn_sep(w);
            sb_addf(w, "\"%s\" must be a string shorter than %zu bytes (default kept)", k->name,
                    cap);
            return;
        }
        memcpy(field, item->valuestring, strlen(item->valuestring) + 1);
        return;
    }
    }
}

/* Reads a whole file into a malloc'd NUL-terminated buffer; -errno on failure. */
static int read_file(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -errno;
    strbuf sb = {0};
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        sb_add(&sb, chunk, got);
    int rc = ferror(f) ? -EIO : 0;
    fclose(f);
    if (rc == 0 && sb.oom) rc = -ENOMEM;
    if (rc) {
        sb_free(&sb);
        return rc;
    }
    *out = sb_detach(&sb);
    return *out ? 0 : -ENOMEM;
}

int settings_load(const char *home, mem0_settings *s, char **warnings, mem0_err *err)
{
    char path[4096];
    char *text = NULL;
    cJSON *json = NULL;
    strbuf w = {0};
    mem0_settings loaded;
    int rc = 0;

    settings_defaults(s);
    if (warnings) *warnings = NULL;
    if (!home || !*home) return err_set(err, MEM0_EINVAL, "settings: no home folder given");
    if ((size_t)snprintf(path, sizeof path, "%s/settings.json", home) >= sizeof path)
        return err_set(err, MEM0_EINVAL, "settings: home folder path is too long");

    int r = read_file(path, &text);
    if (r == -ENOENT) return 0; /* no file: every default */
    if (r < 0) {
        rc = err_set(err, r == -ENOMEM ? MEM0_ENOMEM : MEM0_EIO, "cannot read %s: %s", path,
                     strerror(-r));
        goto done;
    }
    json = cJSON_Parse(text);
    if (!cJSON_IsObject(json)) {
        rc = err_set(err, MEM0_EINVAL, "%s is not a JSON object%s; using the defaults", path,
                     json ? "" : " (invalid JSON)");
        goto done;
    }
    loaded = *s;
    for (const cJSON *item = json->child; item; item = item->next)
        apply(&loaded, item, &w);
    *s = loaded;
    if (w.len && warnings) {
        *warnings = sb_detach(&w);
        if (!*warnings) rc = err_set(err, MEM0_ENOMEM, "settings: out of memory");
    }
done:
    sb_free(&w);
    cJSON_Delete(json);
    free(text);
    return rc;
}

void settings_home(char *out, size_t n)
{
    const char *env = getenv("MEM0_HOME");
    const char *home = getenv("HOME");
    if (env && *env) {
        /* "~/x" as written in a JSON config, where no shell expands it. */
        if (env[0] == '~' && (env[1] == '/' || env[1] == '\0') && home && *home)
            snprintf(out, n, "%s%s", home, env + 1);
        else
            snprintf(out, n, "%s", env);
    } else if (home && *home) {
        snprintf(out, n, "%s/.mem0", home);
    } else {
        snprintf(out, n, "./.mem0");
    }
}

/* mkdir that treats "already there" as success. */
static int mkdir_one(const char *path, mode_t mode)
{
    if (mkdir(path, mode) == 0 || errno == EEXIST) return 0;
    return -1;
}

int settings_home_ensure(const char *home, mem0_err *err)
{
    char path[4096];
    struct stat st;
    if (!home || !*home) return err_set(err, MEM0_EIO, "no home folder given");
    size_t len = strlen(home);
    if (len >= sizeof path) return err_set(err, MEM0_EIO, "home folder path is too long: %s", home);
    memcpy(path, home, len + 1);
    while (len > 1 && path[len - 1] == '/')
        path[--len] = '\0';

    /* Parents as mkdir -p makes them; the home folder itself private to its owner. */
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int r = mkdir_one(path, 0755);
        int e = errno;
        *p = '/';
        if (r < 0)
            return err_set(err, MEM0_EIO, "cannot create %.*s: %s", (int)(p - path), path,
                           strerror(e));
    }
    if (mkdir_one(path, 0700) < 0)
        return err_set(err, MEM0_EIO, "cannot create home folder %s: %s", path, strerror(errno));
    if (stat(path, &st) < 0)
        return err_set(err, MEM0_EIO, "cannot inspect home folder %s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return err_set(err, MEM0_EIO,
                       "%s exists and is not a directory; move it away or set MEM0_HOME to "
                       "another folder",
                       path);
    if ((st.st_mode & 077) && chmod(path, 0700) < 0)
        return err_set(err, MEM0_EIO, "cannot make home folder %s private (chmod 0700): %s", path,
                       strerror(errno));
    return 0;
}
