/*
 * model.c: the model catalogue, `model install` (libcurl download with SHA-256 checks and an
 * atomic rename into place) and `model list` (see model.h).
 */
#include "model.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>
#include <sodium.h>

#include "embed.h"
#include "embed_impl.h"
#include "settings.h"
#include "timeutil.h"
#include "util.h"

#define HF "https://huggingface.co/minishlab/"
#define MAX_MODEL_BYTES (4LL << 30)
#define MAX_TOKENIZER_BYTES (64LL << 20)

/* potion-base-8M: checksums and sizes as published for the files on Hugging Face (the same
 * values appear in independent public manifests pinning this model).  The others need
 * their checksums given by hand until they are pinned here. */
static const model_entry catalogue[] = {
    {"potion-base-8M",
     HF "potion-base-8M/resolve/main",
     "model2vec, 256 dims, 30 MB, English, MIT licence (default choice)",
     {{"model.safetensors", "f65d0f325faadc1e121c319e2faa41170d3fa07d8c89abd48ca5358d9a223de2",
       30236760},
      {"tokenizer.json", "e67e803f624fb4d67dea1c730d06e1067e1b14d830e2c2202569e3ef0f70bb50",
       683666}}},
    {"potion-retrieval-32M",
     HF "potion-retrieval-32M/resolve/main",
     "model2vec tuned for retrieval, 512 dims, 130 MB, English, MIT licence (checksums not "
     "pinned: give --sha256 and --tokenizer-sha256)",
     {{"model.safetensors", NULL, 0}, {"tokenizer.json", NULL, 0}}},
    {"potion-base-32M",
     HF "potion-base-32M/resolve/main",
     "model2vec, 512 dims, 130 MB, English, MIT licence (checksums not pinned)",
     {{"model.safetensors", NULL, 0}, {"tokenizer.json", NULL, 0}}},
    {"potion-multilingual-128M",
     HF "potion-multilingual-128M/resolve/main",
     "model2vec, 256 dims, 500 MB, 101 languages, MIT licence (checksums not pinned)",
     {{"model.safetensors", NULL, 0}, {"tokenizer.json", NULL, 0}}},
};

const model_entry *model_catalogue(size_t *n)
{
    *n = sizeof catalogue / sizeof *catalogue;
    return catalogue;
}

static const model_entry *catalogue_find(const char *name)
{
    for (size_t i = 0; i < sizeof catalogue / sizeof *catalogue; i++)
        if (strcmp(catalogue[i].name, name) == 0) return &catalogue[i];
    return NULL;
}

/* ---- Downloading one file ------------------------------------------------------------ */

typedef struct download {
    FILE *f;
    crypto_hash_sha256_state sha;
    long long got, max;
    int too_big, write_failed;
    const model_install_req *req;
    const char *file;
    double last_ms; /* when the last byte arrived */
    long long last_now;
    int stalled;
} download;

static size_t on_data(char *p, size_t size, size_t nmemb, void *ctx)
{
    download *d = ctx;
    size_t n = size * nmemb;
    if (d->got + (long long)n > d->max) {
        d->too_big = 1;
        return 0;
    }
    if (fwrite(p, 1, n, d->f) != n) {
        d->write_failed = 1;
        return 0;
    }
    crypto_hash_sha256_update(&d->sha, (const unsigned char *)p, n);
    d->got += (long long)n;
    return n;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)ultotal;
    (void)ulnow;
    download *d = ctx;
    double now = time_mono_ms();
    if (dlnow > d->last_now || d->last_ms == 0) {
        d->last_now = dlnow;
        d->last_ms = now;
    } else if (now - d->last_ms > (double)d->req->stall_timeout_ms) {
        d->stalled = 1;
        return 1;
    }
    if (d->req->progress && dlnow > 0)
        d->req->progress(d->req->ctx, d->file, (long long)dlnow, (long long)dltotal);
    return 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int embed_curl_init(mem0_err *err)
{
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return err_set(err, MEM0_EIO, "curl_global_init: %s", curl_easy_strerror(curl_init_rc));
    return 0;
}

/* GETs url into path; checks its size against `expect` (0: any) and fills sha_hex. */
static int fetch(const model_install_req *req, const char *url, const char *file, const char *path,
                 long long expect, long long max, char sha_hex[65], mem0_err *err)
{
    download d;
    memset(&d, 0, sizeof d);
    d.max = max;
    d.req = req;
    d.file = file;
    crypto_hash_sha256_init(&d.sha);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || !(d.f = fdopen(fd, "wb"))) {
        int e = errno;
        if (fd >= 0) close(fd);
        return err_set(err, MEM0_EIO, "cannot create %s: %s", path, strerror(e));
    }
    CURL *c = curl_easy_init();
    int rc = 0;
    if (!c) {
        fclose(d.f);
        return err_set(err, MEM0_ENOMEM, "curl_easy_init failed");
    }
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "mem0-mcp/" MEM0_VERSION);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
    if (req->timeout_ms > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    CURLcode cr = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_off_t clen = -1;
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen);
    curl_easy_cleanup(c);
    int closed = fclose(d.f);

    if (d.too_big) {
        rc = err_set(err, MEM0_EINVAL, "%s: larger than %lld bytes: refused", url, max);
    } else if (d.write_failed || closed != 0) {
        rc = err_set(err, MEM0_EIO, "writing %s: %s", path, strerror(errno));
    } else if (cr == CURLE_ABORTED_BY_CALLBACK && d.stalled) {
        rc = err_set(err, MEM0_EIO, "%s: no data for %ld ms: download stalled", url,
                     req->stall_timeout_ms);
    } else if (cr == CURLE_OPERATION_TIMEDOUT) {
        rc = err_set(err, MEM0_EIO, "%s: timed out (%s)", url, cerr[0] ? cerr : "timeout");
    } else if (cr == CURLE_PARTIAL_FILE) {
        rc = err_set(err, MEM0_EIO,
                     "%s: truncated: the connection closed after %lld of %lld bytes; try again",
                     url, d.got, (long long)clen);
    } else if (cr != CURLE_OK && status < 400) {
        rc = err_set(err, MEM0_EIO, "%s: %s", url, cerr[0] ? cerr : curl_easy_strerror(cr));
    } else if (status >= 500) {
        rc = err_set(err, MEM0_EIO, "%s: the server failed (HTTP %ld); try again later", url,
                     status);
    } else if (status >= 400 || (status != 200 && status != 0)) {
        rc = err_set(err, MEM0_EINVAL, "%s: HTTP %ld%s", url, status,
                     status == 404 ? " (not found: check the model name or URL)" : "");
    } else if (expect > 0 && d.got != expect) {
        rc = err_set(err, MEM0_EIO, "%s: got %lld bytes, expected %lld: truncated download", url,
                     d.got, expect);
    }
    if (!rc) {
        unsigned char digest[crypto_hash_sha256_BYTES];
        crypto_hash_sha256_final(&d.sha, digest);
        hex_encode(digest, sizeof digest, sha_hex);
    }
    return rc;
}

/* ---- Installing ---------------------------------------------------------------------- */

/* Lowercase 64-hex copy of s, or -1 if s is not a SHA-256 in hex. */
static int parse_sha(const char *s, char out[65])
{
    if (!s || strlen(s) != 64) return -1;
    for (int i = 0; i < 64; i++) {
        if (!isxdigit((unsigned char)s[i])) return -1;
        out[i] = (char)tolower((unsigned char)s[i]);
    }
    out[64] = '\0';
    return 0;
}

/* The installed name for a URL: the path component before "/resolve/" (Hugging Face), else
 * the last one. */
static int name_from_url(const char *url, char *out, size_t n)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    const char *path = strchr(p, '/');
    if (!path) return -1;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    char *q = strpbrk(buf, "?#");
    if (q) *q = '\0';
    char *r = strstr(buf, "/resolve/");
    if (r) *r = '\0';
    size_t len = strlen(buf);
    while (len && buf[len - 1] == '/')
        buf[--len] = '\0';
    const char *last = strrchr(buf, '/');
    if (!last || !last[1]) return -1;
    snprintf(out, n, "%s", last + 1);
    return model_name_valid(out) ? 0 : -1;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[PATH_MAX + 256];
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

static int fsync_path(const char *path, int dir)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

static int write_manifest(const char *dir, const char *name, const char *source,
                          const char *const files[2], char sha[2][65], const long long bytes[2],
                          mem0_err *err)
{
    cJSON *m = cJSON_CreateObject();
    char when[ISO_TIME_LEN + 1], path[PATH_MAX + 128];
    time_format_iso(time_now_us(), when);
    cJSON_AddStringToObject(m, "name", name);
    cJSON_AddStringToObject(m, "source", source);
    cJSON_AddStringToObject(m, "installed_at", when);
    cJSON *list = cJSON_AddArrayToObject(m, "files");
    for (int i = 0; i < 2; i++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "name", files[i]);
        cJSON_AddStringToObject(f, "sha256", sha[i]);
        cJSON_AddNumberToObject(f, "bytes", (double)bytes[i]);
        cJSON_AddItemToArray(list, f);
    }
    char *text = cJSON_Print(m);
    cJSON_Delete(m);
    if (!text) return err_set(err, MEM0_ENOMEM, "model install: out of memory");
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    FILE *f = fopen(path, "wx");
    int rc = 0;
    if (!f || fputs(text, f) < 0 || fputc('\n', f) == EOF)
        rc = err_set(err, MEM0_EIO, "cannot write %s: %s", path, strerror(errno));
    if (f && fclose(f) != 0 && !rc)
        rc = err_set(err, MEM0_EIO, "cannot write %s: %s", path, strerror(errno));
    free(text);
    return rc;
}

int model_install(const char *home, const model_install_req *req_in, char *name_out, size_t n,
                  mem0_err *err)
{
    model_install_req req = *req_in;
    char h[PATH_MAX], name[MODEL_NAME_MAX + 1], models[PATH_MAX + 16], target[PATH_MAX];
    char tmp[PATH_MAX + 96] = "", base[1024], want[2][65], got[2][65];
    const char *const files[2] = {"model.safetensors", "tokenizer.json"};
    long long expect[2] = {0, 0}, bytes[2] = {0, 0};
    const char *given[2] = {req.sha256, req.tokenizer_sha256};
    int rc = 0;
    if (req.connect_timeout_ms <= 0) req.connect_timeout_ms = 10000;
    if (req.stall_timeout_ms <= 0) req.stall_timeout_ms = 30000;
    if (!home || !*home) {
        settings_home(h, sizeof h);
        home = h;
    }
    if (!req.source || !*req.source) return err_set(err, MEM0_EINVAL, "model install: no model");
    if (sodium_init() < 0) return err_set(err, MEM0_EIO, "sodium_init failed");

    /* Where from, under which name, and which checksums must match. */
    const model_entry *entry = NULL;
    int is_url = strncmp(req.source, "http://", 7) == 0 || strncmp(req.source, "https://", 8) == 0;
    if (is_url) {
        snprintf(base, sizeof base, "%s", req.source);
        char *q = strpbrk(base, "?#");
        if (q) *q = '\0';
        size_t bl = strlen(base);
        while (bl && base[bl - 1] == '/')
            base[--bl] = '\0';
        if (req.name)
            snprintf(name, sizeof name, "%.64s", req.name);
        else if (name_from_url(base, name, sizeof name) != 0)
            return err_set(err, MEM0_EINVAL,
                           "cannot tell a model name from %.200s: give one with --name",
                           req.source);
    } else {
        if (!(entry = catalogue_find(req.source))) {
            size_t count;
            const model_entry *all = model_catalogue(&count);
            strbuf names = {0};
            for (size_t i = 0; i < count; i++)
                sb_addf(&names, "%s%s", i ? ", " : "", all[i].name);
            rc = err_set(err, MEM0_EINVAL,
                         "unknown model \"%.64s\": known models are %s; or give the http(s) URL "
                         "of a folder holding model.safetensors and tokenizer.json",
                         req.source, names.buf ? names.buf : "");
            sb_free(&names);
            return rc;
        }
        snprintf(name, sizeof name, "%s", req.name ? req.name : entry->name);
        const char *mirror = getenv("MEM0_MODEL_MIRROR");
        if (mirror && *mirror)
            snprintf(base, sizeof base, "%s/%s", mirror, entry->name);
        else
            snprintf(base, sizeof base, "%s", entry->base_url);
    }
    for (int i = 0; i < 2; i++) {
        const char *pin = entry ? entry->files[i].sha256 : NULL;
        const char *opt = i ? "--tokenizer-sha256" : "--sha256";
        if (entry) expect[i] = entry->files[i].bytes;
        if (given[i] && parse_sha(given[i], want[i]) != 0)
            return err_set(err, MEM0_EINVAL, "%s must be 64 hexadecimal digits", opt);
        if (pin && given[i] && strcmp(pin, want[i]) != 0)
            return err_set(err, MEM0_EINVAL,
                           "%s %s differs from the checksum pinned for %s (%s): refused", opt,
                           want[i], entry->name, pin);
        if (pin && !given[i]) snprintf(want[i], sizeof want[i], "%s", pin);
        if (!pin && !given[i])
            return err_set(err, MEM0_EINVAL,
                           "%s has no pinned checksum for %s: give %s HEX (the SHA-256 of %s, "
                           "from a source you trust)",
                           is_url ? "a URL" : req.source, files[i], opt, files[i]);
    }
    if ((rc = model_dir(home, name, target, sizeof target, err))) return rc;
    if (name_out) snprintf(name_out, n, "%s", name);

    /* A hidden temporary folder beside the target, so the final rename is atomic. */
    if ((rc = settings_home_ensure(home, err))) return rc;
    snprintf(models, sizeof models, "%s/models", home);
    if (mkdir(models, 0700) != 0 && errno != EEXIST)
        return err_set(err, MEM0_EIO, "cannot create %s: %s", models, strerror(errno));
    struct stat st;
    if (!req.force && stat(target, &st) == 0)
        return err_set(err, MEM0_EINVAL,
                       "model %s is already installed in %s (use --force to replace it)", name,
                       target);
    if ((rc = embed_curl_init(err))) return rc;
    snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", models, name);
    if (!mkdtemp(tmp)) {
        int e = errno;
        tmp[0] = '\0';
        return err_set(err, MEM0_EIO, "cannot create a folder in %s: %s", models, strerror(e));
    }
    for (int i = 0; i < 2 && !rc; i++) {
        char url[1200], path[PATH_MAX + 128];
        snprintf(url, sizeof url, "%s/%s", base, files[i]);
        snprintf(path, sizeof path, "%s/%s", tmp, files[i]);
        rc = fetch(&req, url, files[i], path, expect[i], i ? MAX_TOKENIZER_BYTES : MAX_MODEL_BYTES,
                   got[i], err);
        if (rc) break;
        if (strcmp(got[i], want[i]) != 0) {
            rc = err_set(err, MEM0_EINVAL,
                         "%s: checksum mismatch: SHA-256 %s, expected %s; nothing was installed",
                         url, got[i], want[i]);
            break;
        }
        if (stat(path, &st) == 0) bytes[i] = (long long)st.st_size;
        if (fsync_path(path, 0) != 0)
            rc = err_set(err, MEM0_EIO, "fsync %s: %s", path, strerror(errno));
    }
    if (rc) goto fail;
    /* Prove the files load together before anyone can use them. */
    {
        embedder *e = calloc(1, sizeof *e);
        if (!e) {
            rc = err_set(err, MEM0_ENOMEM, "model install: out of memory");
            goto fail;
        }
        mem0_err lerr = {0};
        rc = embed_static_open(e, home, tmp, &lerr);
        if (rc) {
            free(e);
            rc = err_set(err, MEM0_EINVAL, "the downloaded model does not load: %s", lerr.msg);
            goto fail;
        }
        embed_close(e);
    }
    if ((rc = write_manifest(tmp, name, is_url ? base : req.source, files, got, bytes, err)))
        goto fail;
    fsync_path(tmp, 1);
    if (stat(target, &st) == 0) { /* force: move the old one aside, then drop it */
        char old[PATH_MAX + 128];
        snprintf(old, sizeof old, "%s/.%s.old.XXXXXX", models, name);
        if (!mkdtemp(old) || rmdir(old) != 0 || rename(target, old) != 0) {
            rc = err_set(err, MEM0_EIO, "cannot replace %s: %s", target, strerror(errno));
            goto fail;
        }
        if (rename(tmp, target) != 0) {
            rc = err_set(err, MEM0_EIO, "cannot install into %s: %s", target, strerror(errno));
            rename(old, target);
            goto fail;
        }
        remove_tree(old);
    } else if (rename(tmp, target) != 0) {
        rc = err_set(err, MEM0_EIO, "cannot install into %s: %s", target, strerror(errno));
        goto fail;
    }
    fsync_path(models, 1);
    return 0;
fail:
    if (tmp[0]) remove_tree(tmp);
    return rc;
}

/* ---- Listing ------------------------------------------------------------------------- */

/* The embedding dimension from a safetensors header, or 0. */
static int header_dim(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char len8[8];
    int dim = 0;
    if (!f) return 0;
    if (fread(len8, 1, 8, f) == 8) {
        uint64_t hlen = 0;
        for (int i = 7; i >= 0; i--)
            hlen = hlen << 8 | len8[i];
        char *hdr = hlen && hlen < (1u << 24) ? malloc((size_t)hlen) : NULL;
        if (hdr && fread(hdr, 1, (size_t)hlen, f) == hlen) {
            cJSON *j = cJSON_ParseWithLength(hdr, (size_t)hlen);
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "embeddings");
            if (!t) t = cJSON_GetObjectItemCaseSensitive(j, "embedding.weight");
            const cJSON *shape = cJSON_GetObjectItemCaseSensitive(t, "shape");
            if (cJSON_GetArraySize(shape) == 2)
                dim = (int)cJSON_GetArrayItem(shape, 1)->valuedouble;
            cJSON_Delete(j);
        }
        free(hdr);
    }
    fclose(f);
    return dim;
}

int model_list(const char *home, cJSON **out, mem0_err *err)
{
    char h[PATH_MAX], models[PATH_MAX + 16];
    *out = NULL;
    if (!home || !*home) {
        settings_home(h, sizeof h);
        home = h;
    }
    snprintf(models, sizeof models, "%s/models", home);
    cJSON *res = cJSON_CreateObject(), *inst = cJSON_AddArrayToObject(res, "installed");
    cJSON *cat = cJSON_AddArrayToObject(res, "catalogue");
    if (!cat) {
        cJSON_Delete(res);
        return err_set(err, MEM0_ENOMEM, "model list: out of memory");
    }
    DIR *d = opendir(models);
    if (d) {
        struct dirent *e;
        /* Sorted output: collect names first. */
        char **names = NULL;
        size_t count = 0;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.' || !model_name_valid(e->d_name)) continue;
            char **grown = realloc(names, (count + 1) * sizeof *names);
            if (!grown) break;
            names = grown;
            if ((names[count] = xstrdup(e->d_name)) != NULL) count++;
        }
        closedir(d);
        for (size_t i = 0; i < count; i++)
            for (size_t j = i + 1; j < count; j++)
                if (strcmp(names[j], names[i]) < 0) {
                    char *t = names[i];
                    names[i] = names[j];
                    names[j] = t;
                }
        for (size_t i = 0; i < count; i++) {
            char dir[PATH_MAX + 96], path[PATH_MAX + 128];
            snprintf(dir, sizeof dir, "%s/%s", models, names[i]);
            cJSON *m = cJSON_CreateObject();
            cJSON_AddStringToObject(m, "name", names[i]);
            cJSON_AddStringToObject(m, "path", dir);
            snprintf(path, sizeof path, "%s/manifest.json", dir);
            FILE *f = fopen(path, "rb");
            cJSON *man = NULL;
            if (f) {
                char buf[8192];
                size_t got = fread(buf, 1, sizeof buf - 1, f);
                buf[got] = '\0';
                fclose(f);
                man = cJSON_Parse(buf);
            }
            const cJSON *src = cJSON_GetObjectItemCaseSensitive(man, "source");
            cJSON_AddStringToObject(m, "source", cJSON_IsString(src) ? src->valuestring : "local");
            snprintf(path, sizeof path, "%s/model.safetensors", dir);
            struct stat st;
            cJSON_AddNumberToObject(m, "dim", header_dim(path));
            cJSON_AddNumberToObject(m, "bytes", stat(path, &st) == 0 ? (double)st.st_size : 0);
            cJSON_Delete(man);
            cJSON_AddItemToArray(inst, m);
            free(names[i]);
        }
        free(names);
    }
    for (size_t i = 0; i < sizeof catalogue / sizeof *catalogue; i++) {
        cJSON *c = cJSON_CreateObject();
        char dir[PATH_MAX + 96];
        struct stat st;
        snprintf(dir, sizeof dir, "%s/%s", models, catalogue[i].name);
        cJSON_AddStringToObject(c, "name", catalogue[i].name);
        cJSON_AddStringToObject(c, "description", catalogue[i].description);
        cJSON_AddBoolToObject(c, "installed", stat(dir, &st) == 0);
        cJSON_AddBoolToObject(c, "pinned", catalogue[i].files[0].sha256 != NULL);
        cJSON_AddItemToArray(cat, c);
    }
    *out = res;
    return 0;
}
