/* store.c: the LMDB environment, its registry, map growth and the schema record. */
#include "store.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "settings.h"
#include "util.h"

/* One open LMDB environment, shared by every store handle of the process on that folder. */
typedef struct env_entry {
    struct env_entry *next;
    char path[PATH_MAX];
    MDB_env *env;
    store_dbs dbs;
    int refs;
    int read_only;
    /* Held shared by every transaction of this process, exclusively while re-mapping:
     * mdb_env_set_mapsize needs no transaction of the process to be open. */
    pthread_rwlock_t map_lock;
} env_entry;

struct store {
    env_entry *e;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static env_entry *registry;

int store_fail(mem0_err *err, int rc, const char *call)
{
    if (rc == MDB_MAP_FULL)
        return err_set(err, STORE_EMAPFULL, "%s: the store's map is full", call);
    if (rc == ENOMEM)
        return err_set(err, MEM0_ENOMEM, "%s: out of memory", call);
    if (rc == EACCES || rc == EPERM)
        return err_set(err, MEM0_EIO, "%s: %s (check the permissions of the store folder)",
                       call, mdb_strerror(rc));
    if (rc == MDB_INVALID || rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND ||
        rc == MDB_VERSION_MISMATCH)
        return err_set(err, MEM0_EIO,
                       "%s: %s (the store file is damaged or not an LMDB store; run "
                       "`mem0-mcp doctor`)",
                       call, mdb_strerror(rc));
    return err_set(err, MEM0_EIO, "%s: %s", call, mdb_strerror(rc));
}

static size_t env_map_size(void)
{
    const char *s = getenv("MEM0_MAP_SIZE");
    if (s && *s) {
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (*end == 'k' || *end == 'K')
            v <<= 10;
        else if (*end == 'm' || *end == 'M')
            v <<= 20;
        else if (*end == 'g' || *end == 'G')
            v <<= 30;
        if (v >= 65536)
            return (size_t)v;
    }
    return STORE_DEFAULT_MAP_SIZE;
}

static const char *meta_get(MDB_txn *txn, MDB_dbi dbi, const char *key, char *buf, size_t n)
{
    MDB_val k = {strlen(key), (void *)key}, v;
    if (mdb_get(txn, dbi, &k, &v) != 0 || v.mv_size >= n)
        return NULL;
    memcpy(buf, v.mv_data, v.mv_size);
    buf[v.mv_size] = '\0';
    return buf;
}

static int meta_put(MDB_txn *txn, MDB_dbi dbi, const char *key, long value, mem0_err *err)
{
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%ld", value);
    MDB_val k = {strlen(key), (void *)key}, v = {(size_t)len, buf};
    int rc = mdb_put(txn, dbi, &k, &v, 0);
    return rc ? store_fail(err, rc, "mdb_put(meta)") : 0;
}

#define STORE_NEEDS_WRITE 1 /* open_dbs_txn: something must be created first */

/* Opens the named databases and checks the schema record in one transaction.  With
 * write == 0 it only looks, returning STORE_NEEDS_WRITE (writable stores) when a database
 * or the schema record is missing; with write == 1 it creates what is missing. */
static int open_dbs_txn(env_entry *e, int write, mem0_err *err)
{
    static const char *names[] = {"meta",     "records", "by_scope", "by_hash",
                                  "by_expiry", "history", "entities", "trash",
                                  "postings", "docs",    "vectors"};
    MDB_dbi *slots[] = {&e->dbs.meta,      &e->dbs.records,  &e->dbs.by_scope, &e->dbs.by_hash,
                        &e->dbs.by_expiry, &e->dbs.history,  &e->dbs.entities, &e->dbs.trash,
                        &e->dbs.postings,  &e->dbs.docs,     &e->dbs.vectors};
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(e->env, NULL, write ? 0 : MDB_RDONLY, &txn);
    /* Other processes may grow the map between our open and this first transaction. */
    for (int i = 0; i < 16 && rc == MDB_MAP_RESIZED && mdb_env_set_mapsize(e->env, 0) == 0; i++)
        rc = mdb_txn_begin(e->env, NULL, write ? 0 : MDB_RDONLY, &txn);
    if (rc)
        return store_fail(err, rc, "mdb_txn_begin");
    int ret = 0;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        /* postings holds fixed-size sorted duplicates (see lexical.h). */
        unsigned flags = slots[i] == &e->dbs.postings ? MDB_DUPSORT | MDB_DUPFIXED : 0;
        rc = mdb_dbi_open(txn, names[i], flags | (write ? MDB_CREATE : 0), slots[i]);
        if (rc == MDB_INCOMPATIBLE && flags && write) {
            /* Created without them by an older build; it only holds derived data, which
             * the lexical index rebuilds when it finds its version missing. */
            MDB_dbi old;
            rc = mdb_dbi_open(txn, names[i], 0, &old);
            if (rc == 0)
                rc = mdb_drop(txn, old, 1);
            if (rc == 0)
                rc = mdb_dbi_open(txn, names[i], flags | MDB_CREATE, slots[i]);
        }
        if ((rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE) && !write && !e->read_only) {
            ret = STORE_NEEDS_WRITE;
            goto out;
        }
        if (rc == MDB_NOTFOUND && e->read_only) {
            ret = err_set(err, MEM0_EIO, "the store in %s is empty or was never created",
                          e->path);
            goto out;
        }
        if (rc) {
            ret = store_fail(err, rc, "mdb_dbi_open");
            goto out;
        }
    }
    char buf[32];
    const char *schema = meta_get(txn, e->dbs.meta, "schema_version", buf, sizeof buf);
    if (!schema && write) {
        if ((ret = meta_put(txn, e->dbs.meta, "schema_version", STORE_SCHEMA_VERSION, err)) ||
            (ret = meta_put(txn, e->dbs.meta, "read_compat", STORE_READ_COMPAT, err)))
            goto out;
    } else if (!schema && !e->read_only) {
        ret = STORE_NEEDS_WRITE;
        goto out;
    } else if (schema) {
        long version = strtol(schema, NULL, 10);
        const char *compat = meta_get(txn, e->dbs.meta, "read_compat", buf, sizeof buf);
        long need = compat ? strtol(compat, NULL, 10) : version;
        if (need > STORE_SCHEMA_VERSION) {
            ret = err_set(err, MEM0_ESCHEMA,
                          "the store in %s has schema %ld and needs a reader of schema >= %ld; "
                          "this mem0-mcp %s reads schema <= %d: upgrade mem0-mcp",
                          e->path, version, need, MEM0_VERSION, STORE_SCHEMA_VERSION);
            goto out;
        }
    }
    /* Commit even when read-only: handles opened in an aborted transaction are closed. */
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc)
        ret = store_fail(err, rc, "mdb_txn_commit");
out:
    if (txn)
        mdb_txn_abort(txn);
    return ret;
}

/* Opens the named databases.  An existing store needs only a read transaction, so opening
 * never waits on another process's writer (the server must answer initialize at once);
 * only a new or older store takes the write lock to create what is missing. */
static int open_dbs(env_entry *e, mem0_err *err)
{
    int rc = open_dbs_txn(e, 0, err);
    if (rc == STORE_NEEDS_WRITE)
        rc = open_dbs_txn(e, 1, err);
    return rc;
}

/* Data files are the user's private memory: 0600 whatever the umask or an old install did. */
static void tighten_files(const char *dir)
{
    static const char *files[] = {"data.mdb", "lock.mdb"};
    char path[PATH_MAX + 16];
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        struct stat st;
        if (stat(path, &st) == 0 && (st.st_mode & 0077))
            chmod(path, 0600);
    }
}

static int entry_open(const char *path, size_t map_size, int read_only, env_entry **out,
                      mem0_err *err)
{
    env_entry *e = calloc(1, sizeof *e);
    if (!e)
        return err_set(err, MEM0_ENOMEM, "out of memory");
    snprintf(e->path, sizeof e->path, "%s", path);
    e->read_only = read_only;
    pthread_rwlock_init(&e->map_lock, NULL);
    int ret = 0;
    int rc = mdb_env_create(&e->env);
    if (rc) {
        ret = store_fail(err, rc, "mdb_env_create");
        goto fail;
    }
    mdb_env_set_maxdbs(e->env, 32);
    mdb_env_set_maxreaders(e->env, 254);
    mdb_env_set_mapsize(e->env, map_size ? map_size : env_map_size());
    mode_t old = umask(077);
    rc = mdb_env_open(e->env, path, MDB_NOTLS | (read_only ? MDB_RDONLY : 0), 0600);
    umask(old);
    if (rc) {
        ret = store_fail(err, rc, "mdb_env_open");
        goto fail;
    }
    if (!read_only)
        tighten_files(path);
    int dead = 0;
    mdb_reader_check(e->env, &dead); /* free slots of killed processes */
    if ((ret = open_dbs(e, err)))
        goto fail;
    *out = e;
    return 0;
fail:
    if (e->env)
        mdb_env_close(e->env);
    pthread_rwlock_destroy(&e->map_lock);
    free(e);
    return ret;
}

int store_open(const char *home, size_t map_size, int read_only, store **out, mem0_err *err)
{
    *out = NULL;
    if (!read_only) {
        int rc = settings_home_ensure(home, err);
        if (rc)
            return rc;
    }
    char path[PATH_MAX];
    if (!realpath(home, path))
        return err_set(err, MEM0_EIO, "cannot open the store folder %s: %s", home,
                       strerror(errno));
    store *st = calloc(1, sizeof *st);
    if (!st)
        return err_set(err, MEM0_ENOMEM, "out of memory");
    pthread_mutex_lock(&registry_lock);
    env_entry *e = registry;
    while (e && strcmp(e->path, path) != 0)
        e = e->next;
    int ret = 0;
    if (e) {
        if (e->read_only && !read_only)
            ret = err_set(err, MEM0_EPERM, "the store in %s is open read-only in this process",
                          path);
    } else if ((ret = entry_open(path, map_size, read_only, &e, err)) == 0) {
        e->next = registry;
        registry = e;
    }
    if (ret == 0) {
        e->refs++;
        st->e = e;
    }
    pthread_mutex_unlock(&registry_lock);
    if (ret) {
        free(st);
        return ret;
    }
    *out = st;
    return 0;
}

void store_close(store *st)
{
    if (!st)
        return;
    pthread_mutex_lock(&registry_lock);
    env_entry *e = st->e;
    if (--e->refs == 0) {
        env_entry **pp = &registry;
        while (*pp != e)
            pp = &(*pp)->next;
        *pp = e->next;
        mdb_env_close(e->env);
        pthread_rwlock_destroy(&e->map_lock);
        free(e);
    }
    pthread_mutex_unlock(&registry_lock);
    free(st);
}

const char *store_home(const store *st)
{
    return st->e->path;
}

MDB_env *store_env(store *st)
{
    return st->e->env;
}

/* Adopts the map size another process set (size 0) or grows ours to `size`. */
static int remap(env_entry *e, size_t size, mem0_err *err)
{
    pthread_rwlock_wrlock(&e->map_lock);
    if (size) {
        MDB_envinfo info;
        mdb_env_info(e->env, &info);
        /* Another thread may have grown it while we waited. */
        if (info.me_mapsize >= size)
            size = 0;
    }
    int rc = mdb_env_set_mapsize(e->env, size);
    pthread_rwlock_unlock(&e->map_lock);
    return rc ? store_fail(err, rc, "mdb_env_set_mapsize") : 0;
}

static int run_txn(store *st, int write, store_txn_fn fn, void *ctx, mem0_err *err)
{
    env_entry *e = st->e;
    if (write && e->read_only)
        return err_set(err, MEM0_EPERM, "the store is open read-only");
    for (int attempt = 0; attempt < 64; attempt++) {
        pthread_rwlock_rdlock(&e->map_lock);
        MDB_envinfo info;
        mdb_env_info(e->env, &info);
        MDB_txn *txn;
        int rc = mdb_txn_begin(e->env, NULL, write ? 0 : MDB_RDONLY, &txn);
        if (rc == MDB_MAP_RESIZED) {
            pthread_rwlock_unlock(&e->map_lock);
            if ((rc = remap(e, 0, err)))
                return rc;
            continue;
        }
        if (rc) {
            pthread_rwlock_unlock(&e->map_lock);
            return store_fail(err, rc, "mdb_txn_begin");
        }
        int ret = fn(txn, &e->dbs, ctx, err);
        if (ret == 0 && write) {
            rc = mdb_txn_commit(txn);
            if (rc)
                ret = store_fail(err, rc, "mdb_txn_commit");
        } else {
            mdb_txn_abort(txn);
        }
        pthread_rwlock_unlock(&e->map_lock);
        if (ret != STORE_EMAPFULL)
            return ret;
        /* Full: double the map (LMDB grows the file lazily) and run the callback again. */
        if ((rc = remap(e, info.me_mapsize * 2, err)))
            return rc;
    }
    return err_set(err, MEM0_EIO, "the store kept changing size; giving up");
}

int store_read(store *st, store_txn_fn fn, void *ctx, mem0_err *err)
{
    return run_txn(st, 0, fn, ctx, err);
}

int store_write(store *st, store_txn_fn fn, void *ctx, mem0_err *err)
{
    return run_txn(st, 1, fn, ctx, err);
}

void be64_put(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

uint64_t be64_get(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

size_t key_scope_prefix(uint8_t *out, char kind, const char *name)
{
    size_t n = strlen(name);
    if (n + 2 + 24 > STORE_MAX_KEY)
        return 0;
    out[0] = (uint8_t)kind;
    memcpy(out + 1, name, n);
    out[n + 1] = 0;
    return n + 2;
}

size_t key_scope(uint8_t *out, char kind, const char *name, int64_t created_us,
                 const uint8_t id[16])
{
    size_t n = key_scope_prefix(out, kind, name);
    if (!n)
        return 0;
    /* Offset so that times before 1970 still sort correctly as unsigned. */
    be64_put(out + n, (uint64_t)created_us ^ (1ULL << 63));
    memcpy(out + n + 8, id, 16);
    return n + 24;
}

size_t key_entity(uint8_t *out, const char *owner, char kind, const char *name)
{
    size_t a = strlen(owner), b = strlen(name);
    if (a + b + 2 > STORE_MAX_KEY)
        return 0;
    memcpy(out, owner, a);
    out[a] = 0;
    out[a + 1] = (uint8_t)kind;
    memcpy(out + a + 2, name, b);
    return a + b + 2;
}
