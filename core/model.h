/*
 * model.h: static embedding models under $MEM0_HOME/models: the catalogue of known ones,
 * installing one over HTTP(S) with pinned SHA-256 checksums, and listing what is there.
 *
 * Layout: $MEM0_HOME/models/NAME/ holds model.safetensors, tokenizer.json and
 * manifest.json ({"name", "source", "installed_at", "files": [{"name", "sha256", "bytes"}]}).
 * $MEM0_HOME/models/.cache/ holds parsed tokenizers (embed_static.c), derived data that is
 * safe to delete.
 * A model folder is only ever complete: files are downloaded into a hidden temporary folder
 * (models/.NAME.XXXXXX), each checked against its SHA-256, the model is opened once to prove
 * it loads, and only then is the folder renamed into place (an older one of the same name
 * is replaced only with `force`).  On any failure nothing is left behind.  Once installed a
 * model is used offline by the server and every hook (embedder spec "static:NAME").
 *
 * MEM0_MODEL_MIRROR, when set, replaces the catalogue's base address: files are fetched
 * from $MEM0_MODEL_MIRROR/NAME/FILE (a local mirror, or a test server); checksums still
 * apply.  NAME is 1..64 characters of [A-Za-z0-9._-], not starting with '.'.
 */
#ifndef MEM0_MODEL_H
#define MEM0_MODEL_H

#include <stddef.h>
#include "mem0.h"

#define MODEL_NAME_MAX 64

typedef struct model_file {
    const char *name;   /* "model.safetensors", "tokenizer.json" */
    const char *sha256; /* lowercase hex; NULL when not verified from a published source */
    long long bytes;    /* expected size; 0 when unknown */
} model_file;

typedef struct model_entry {
    const char *name;        /* what `model install NAME` takes */
    const char *base_url;    /* the folder holding the files */
    const char *description; /* one line: dims, size, licence */
    model_file files[2];     /* model.safetensors, tokenizer.json */
} model_entry;

/* The built-in catalogue; *n gets its length.  Entries whose sha256 is NULL need the
 * checksums given by hand (model_install_req.sha256 / tokenizer_sha256). */
const model_entry *model_catalogue(size_t *n);

/* The folder of model `name` under home/models into out; MEM0_EINVAL for a bad name. */
/* 1 if name is usable as a model folder name (letters, digits, '.', '_', '-'). */
int model_name_valid(const char *name);
int model_dir(const char *home, const char *name, char *out, size_t n, mem0_err *err);

/* Progress of one file: done of total bytes (total 0 when the server does not say). */
typedef void (*model_progress_fn)(void *ctx, const char *file, long long done, long long total);

typedef struct model_install_req {
    const char *source;           /* a catalogue name, or the http(s) URL of a model folder */
    const char *name;             /* installed name for a URL; NULL: from the URL */
    const char *sha256;           /* model.safetensors (hex); needed for a URL or an entry
                                     without a pinned checksum, else must match the pin */
    const char *tokenizer_sha256; /* tokenizer.json, likewise */
    int force;                    /* replace an installed model of the same name */
    long connect_timeout_ms;      /* <= 0: 10 s */
    long stall_timeout_ms;        /* abort when nothing arrives for this long; <= 0: 30 s */
    long timeout_ms;              /* whole download of one file; <= 0: no limit */
    model_progress_fn progress;   /* may be NULL */
    void *ctx;
} model_install_req;

/* Downloads, verifies and installs a model; name_out (may be NULL) gets its name.
 * Refusals (bad name or URL, missing or mismatching checksum, HTTP 4xx, already installed)
 * are MEM0_EINVAL; network failures, HTTP 5xx, timeouts and truncated bodies MEM0_EIO. */
int model_install(const char *home, const model_install_req *req, char *name_out, size_t n,
                  mem0_err *err);

/* {"installed": [{"name", "path", "source", "dim", "bytes"}],
 *  "catalogue": [{"name", "description", "installed", "pinned"}]}; caller frees. */
int model_list(const char *home, cJSON **out, mem0_err *err);

#endif
