/*
 * filter.c: Mem0's v2 filter language, parsed once into a tree and evaluated on records
 * (see filter.h).
 *
 * Parsing does everything that can be done once: field and operator lookup, type checks,
 * dates turned into instants, the scope rule.  filter_eval only walks the tree, reads the
 * record and compares, without allocating, since a search calls it for every candidate.
 */
#include "filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "identity.h"
#include "timeutil.h"
#include "util.h"

#define FILTER_MAX_DEPTH 32

/* ---- Fields and operators --------------------------------------------------------- */

typedef enum field_kind {
    KIND_ENTITY,     /* user_id, agent_id, app_id, run_id: strings or null */
    KIND_DATE,       /* created_at, updated_at, expiration_date: instants or null */
    KIND_CATEGORIES, /* an array of strings */
    KIND_METADATA,   /* one top-level key of the metadata object */
    KIND_IDS,        /* memory_ids: the record's id */
    KIND_KEYWORDS,   /* text search in the memory */
} field_kind;

typedef struct field_def {
    const char *name;    /* as written in a filter */
    const char *canon;   /* as rendered by filter_describe */
    const char *rec_key; /* the record field it reads */
    field_kind kind;
} field_def;

static const field_def FIELDS[] = {
    {"user_id", "user_id", "user_id", KIND_ENTITY},
    {"agent_id", "agent_id", "agent_id", KIND_ENTITY},
    {"app_id", "app_id", "app_id", KIND_ENTITY},
    {"run_id", "run_id", "run_id", KIND_ENTITY},
    {"created_at", "created_at", "created_at", KIND_DATE},
    {"updated_at", "updated_at", "updated_at", KIND_DATE},
    {"timestamp", "created_at", "created_at", KIND_DATE},
    {"expiration_date", "expiration_date", "expiration_date", KIND_DATE},
    {"categories", "categories", "categories", KIND_CATEGORIES},
    {"memory_ids", "memory_ids", "id", KIND_IDS},
    {"keywords", "keywords", "memory", KIND_KEYWORDS},
};
static const field_def USER_FIELD = {"user_id", "user_id", "user_id", KIND_ENTITY};
static const field_def METADATA_FIELD = {"metadata", "metadata", "metadata", KIND_METADATA};

typedef enum op_id {
    OP_EQ,
    OP_NE,
    OP_IN,
    OP_GT,
    OP_GTE,
    OP_LT,
    OP_LTE,
    OP_CONTAINS,
    OP_ICONTAINS,
    OP_ANY,
    OP_COUNT
} op_id;

static const char *const OP_NAMES[OP_COUNT] = {"eq", "ne",  "in",       "gt",        "gte",
                                               "lt", "lte", "contains", "icontains", "*"};

#define B(op) (1u << (op))
#define OPS_ORDER (B(OP_GT) | B(OP_GTE) | B(OP_LT) | B(OP_LTE))
static const unsigned KIND_OPS[] = {
    [KIND_ENTITY] = B(OP_EQ) | B(OP_NE) | B(OP_IN) | B(OP_CONTAINS) | B(OP_ICONTAINS) | B(OP_ANY),
    [KIND_DATE] = B(OP_EQ) | B(OP_NE) | B(OP_IN) | OPS_ORDER | B(OP_ANY),
    [KIND_CATEGORIES] =
        B(OP_EQ) | B(OP_NE) | B(OP_IN) | B(OP_CONTAINS) | B(OP_ICONTAINS) | B(OP_ANY),
    [KIND_METADATA] = (1u << OP_COUNT) - 1,
    [KIND_IDS] = B(OP_EQ) | B(OP_NE) | B(OP_IN),
    [KIND_KEYWORDS] = B(OP_CONTAINS) | B(OP_ICONTAINS),
};

/* ---- The tree --------------------------------------------------------------------- */

typedef enum node_type { NODE_AND, NODE_OR, NODE_NOT, NODE_COND } node_type;

typedef struct fnode fnode;
struct fnode {
    node_type type;
    int not_list; /* a NOT written as an array (none may match) */
    fnode **kids;
    size_t nkids, cap;
    /* NODE_COND */
    const field_def *field;
    op_id op;
    char *mkey;     /* metadata key */
    cJSON *val;     /* the operand as written; NULL for "*" */
    const char *s;  /* string operand (inside val), or NULL */
    int64_t t;      /* date operand */
    double num;     /* number operand (metadata order comparisons) */
    int64_t *times; /* dates of an `in` list, in order */
    size_t ntimes;
};

struct filter {
    fnode *root;
};

static void node_free(fnode *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    free(n->kids);
    free(n->mkey);
    cJSON_Delete(n->val);
    free(n->times);
    free(n);
}

static fnode *node_new(node_type type)
{
    fnode *n = calloc(1, sizeof *n);
    if (n) n->type = type;
    return n;
}

/* Appends kid to parent (taking ownership of kid even on failure). */
static int node_add(fnode *parent, fnode *kid, mem0_err *err)
{
    if (parent->nkids == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 4;
        fnode **kids = realloc(parent->kids, cap * sizeof *kids);
        if (!kids) {
            node_free(kid);
            return err_set(err, MEM0_ENOMEM, "out of memory parsing a filter");
        }
        parent->kids = kids;
        parent->cap = cap;
    }
    parent->kids[parent->nkids++] = kid;
    return 0;
}

/* An implicit group (the keys of one object, the operators on one field) of one member
 * is that member; the explicit AND/OR/NOT the caller wrote are kept as written. */
static fnode *group_unwrap(fnode *group)
{
    if (group->nkids != 1) return group;
    fnode *only = group->kids[0];
    group->nkids = 0;
    node_free(group);
    return only;
}

/* ---- Parsing ---------------------------------------------------------------------- */

static int parse_object(const cJSON *obj, int depth, fnode **out, mem0_err *err);

static const char *json_type_name(const cJSON *v)
{
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsArray(v)) return "a list";
    return "an object";
}

/* "eq, ne, in, contains, icontains or the value \"*\"" for a field kind. */
static void ops_list(field_kind kind, char *buf, size_t n)
{
    size_t len = 0;
    unsigned mask = KIND_OPS[kind];
    buf[0] = '\0';
    for (int op = 0; op < OP_ANY; op++) {
        if (!(mask & B(op))) continue;
        int w = snprintf(buf + len, n - len, "%s%s", len ? ", " : "", OP_NAMES[op]);
        if (w < 0 || (size_t)w >= n - len) return;
        len += (size_t)w;
    }
    if (mask & B(OP_ANY)) snprintf(buf + len, n - len, " or the value \"*\"");
}

static int is_date(const cJSON *v, int64_t *t)
{
    return cJSON_IsString(v) && v->valuestring && time_parse(v->valuestring, t) == 0;
}

/* Checks that operand v suits op on this field kind; label names the field in messages. */
static int check_operand(field_kind kind, op_id op, const cJSON *v, const char *label,
                         mem0_err *err)
{
    const char *opn = OP_NAMES[op];
    int64_t t;
    if (op == OP_IN) {
        if (!cJSON_IsArray(v))
            return err_set(err, MEM0_EINVAL,
                           "filter field '%s': 'in' needs a list of values, got %s", label,
                           json_type_name(v));
        const cJSON *e;
        cJSON_ArrayForEach(e, v)
        {
            if (kind == KIND_METADATA) continue;
            if (kind == KIND_DATE) {
                if (!is_date(e, &t))
                    return err_set(err, MEM0_EINVAL,
                                   "filter field '%s': every 'in' value must be a date "
                                   "(ISO 8601 or YYYY-MM-DD)",
                                   label);
            } else if (!cJSON_IsString(e) || (kind == KIND_ENTITY && !*e->valuestring)) {
                return err_set(err, MEM0_EINVAL,
                               "filter field '%s': every 'in' value must be a non-empty string",
                               label);
            }
        }
        return 0;
    }
    switch (kind) {
    case KIND_ENTITY:
        if (cJSON_IsNull(v) && (op == OP_EQ || op == OP_NE)) return 0;
        if (!cJSON_IsString(v) || !*v->valuestring)
            return err_set(err, MEM0_EINVAL,
                           "filter field '%s': '%s' needs a non-empty string, got %s", label, opn,
                           cJSON_IsString(v) ? "an empty string" : json_type_name(v));
        return 0;
    case KIND_DATE:
        if (cJSON_IsNull(v) && (op == OP_EQ || op == OP_NE)) return 0;
        if (cJSON_IsString(v) && !is_date(v, &t))
            return err_set(err, MEM0_EINVAL,
                           "filter field '%s': '%s' is not a date (use ISO 8601 or YYYY-MM-DD)",
                           label, v->valuestring);
        if (!cJSON_IsString(v))
            return err_set(err, MEM0_EINVAL,
                           "filter field '%s': '%s' needs a date string (ISO 8601 or "
                           "YYYY-MM-DD), got %s",
                           label, opn, json_type_name(v));
        return 0;
    case KIND_METADATA:
        if (op == OP_EQ || op == OP_NE) return 0;
        if (op >= OP_GT && op <= OP_LTE && !cJSON_IsNumber(v))
            return err_set(err, MEM0_EINVAL, "filter field '%s': '%s' needs a number, got %s",
                           label, opn, json_type_name(v));
        if (op == OP_CONTAINS && !cJSON_IsString(v) && !cJSON_IsNumber(v) && !cJSON_IsBool(v))
            return err_set(err, MEM0_EINVAL,
                           "filter field '%s': 'contains' needs a string, number or boolean, "
                           "got %s",
                           label, json_type_name(v));
        if (op == OP_ICONTAINS && !cJSON_IsString(v))
            return err_set(err, MEM0_EINVAL,
                           "filter field '%s': 'icontains' needs a string, got %s", label,
                           json_type_name(v));
        return 0;
    case KIND_CATEGORIES:
    case KIND_IDS:
    case KIND_KEYWORDS:
        if (!cJSON_IsString(v))
            return err_set(err, MEM0_EINVAL, "filter field '%s': '%s' needs a string, got %s",
                           label, opn, json_type_name(v));
        return 0;
    }
    return 0;
}

/* One condition: field (and metadata key) op operand. */
static int make_cond(const field_def *field, const char *mkey, op_id op, const cJSON *v,
                     fnode **out, mem0_err *err)
{
    char label[160], ops[160];
    unsigned mask = KIND_OPS[field->kind];
    fnode *n = NULL;
    int rc;

    *out = NULL;
    if (mkey)
        snprintf(label, sizeof label, "metadata.%s", mkey);
    else
        snprintf(label, sizeof label, "%s", field->name);
    if (op == OP_EQ && (mask & B(OP_ANY)) && cJSON_IsString(v) && !strcmp(v->valuestring, "*"))
        op = OP_ANY;
    if (!(mask & B(op))) {
        ops_list(field->kind, ops, sizeof ops);
        return err_set(err, MEM0_EINVAL,
                       "operator '%s' is not supported on filter field '%s' (use %s)", OP_NAMES[op],
                       label, ops);
    }
    if (op != OP_ANY && (rc = check_operand(field->kind, op, v, label, err)) < 0) return rc;

    n = node_new(NODE_COND);
    if (!n) goto fail;
    n->field = field;
    n->op = op;
    if (mkey && !(n->mkey = xstrdup(mkey))) goto fail;
    if (op != OP_ANY) {
        if (!(n->val = cJSON_Duplicate(v, 1))) goto fail;
        if (cJSON_IsString(n->val)) n->s = n->val->valuestring;
        if (cJSON_IsNumber(n->val)) n->num = n->val->valuedouble;
        if (field->kind == KIND_DATE && n->s) time_parse(n->s, &n->t);
        if (field->kind == KIND_DATE && op == OP_IN) {
            int count = cJSON_GetArraySize(n->val);
            n->times = calloc(count > 0 ? (size_t)count : 1, sizeof *n->times);
            if (!n->times) goto fail;
            const cJSON *e;
            cJSON_ArrayForEach(e, n->val)
            {
                time_parse(e->valuestring, &n->times[n->ntimes++]);
            }
        }
    }
    *out = n;
    return 0;
fail:
    node_free(n);
    return err_set(err, MEM0_ENOMEM, "out of memory parsing a filter");
}

static int op_lookup(const char *name)
{
    for (int op = 0; op < OP_ANY; op++)
        if (!strcmp(name, OP_NAMES[op])) return op;
    return -1;
}

/* The value given to a field: a bare value or an object of operators (ANDed). */
static int parse_ops(const field_def *field, const char *mkey, const cJSON *v, fnode **out,
                     mem0_err *err)
{
    fnode *group = NULL;
    int rc;

    *out = NULL;
    if (!cJSON_IsObject(v)) {
        op_id op = OP_EQ;
        if (cJSON_IsArray(v))
            op = OP_IN;
        else if (field->kind == KIND_KEYWORDS)
            op = OP_ICONTAINS;
        return make_cond(field, mkey, op, v, out, err);
    }
    if (!v->child) {
        if (mkey)
            return err_set(err, MEM0_EINVAL, "filter field 'metadata.%s': empty operator object",
                           mkey);
        return err_set(err, MEM0_EINVAL, "filter field '%s': empty operator object", field->name);
    }
    if (!(group = node_new(NODE_AND)))
        return err_set(err, MEM0_ENOMEM, "out of memory parsing a filter");
    const cJSON *item;
    cJSON_ArrayForEach(item, v)
    {
        int op = op_lookup(item->string);
        fnode *kid;
        if (op < 0) {
            char ops[160];
            ops_list(field->kind, ops, sizeof ops);
            rc = err_set(err, MEM0_EINVAL, "unknown operator '%s' on filter field '%s%s' (use %s)",
                         item->string, mkey ? "metadata." : "", mkey ? mkey : field->name, ops);
            goto fail;
        }
        if ((rc = make_cond(field, mkey, (op_id)op, item, &kid, err)) < 0) goto fail;
        if ((rc = node_add(group, kid, err)) < 0) goto fail;
    }
    *out = group_unwrap(group);
    return 0;
fail:
    node_free(group);
    return rc;
}

/* {"AND": [...]}, {"OR": [...]}, {"NOT": {...} | [...]}. */
static int parse_logic(const char *key, const cJSON *v, int depth, fnode **out, mem0_err *err)
{
    int is_not = !strcmp(key, "NOT");
    fnode *n = NULL;
    int rc;

    *out = NULL;
    if (is_not && !cJSON_IsObject(v) && !cJSON_IsArray(v))
        return err_set(err, MEM0_EINVAL, "'NOT' needs a filter object or a list of them, got %s",
                       json_type_name(v));
    if (!is_not && !cJSON_IsArray(v))
        return err_set(err, MEM0_EINVAL, "'%s' needs a list of filter objects, got %s", key,
                       json_type_name(v));
    if (!(n = node_new(is_not ? NODE_NOT : !strcmp(key, "AND") ? NODE_AND : NODE_OR)))
        return err_set(err, MEM0_ENOMEM, "out of memory parsing a filter");
    if (cJSON_IsObject(v)) {
        fnode *kid;
        if ((rc = parse_object(v, depth + 1, &kid, err)) < 0 || (rc = node_add(n, kid, err)) < 0)
            goto fail;
    } else {
        n->not_list = is_not;
        const cJSON *e;
        cJSON_ArrayForEach(e, v)
        {
            fnode *kid;
            if (!cJSON_IsObject(e)) {
                rc = err_set(err, MEM0_EINVAL, "'%s' items must be filter objects, got %s", key,
                             json_type_name(e));
                goto fail;
            }
            if ((rc = parse_object(e, depth + 1, &kid, err)) < 0 ||
                (rc = node_add(n, kid, err)) < 0)
                goto fail;
        }
    }
    *out = n;
    return 0;
fail:
    node_free(n);
    return rc;
}

/* {"metadata": {"key": value or {op: value...}, ...}}: the keys ANDed. */
static int parse_metadata(const cJSON *v, fnode **out, mem0_err *err)
{
    fnode *group = NULL;
    int rc;

    *out = NULL;
    if (!cJSON_IsObject(v))
        return err_set(err, MEM0_EINVAL,
                       "filter field 'metadata' needs an object of metadata keys, e.g. "
                       "{\"metadata\": {\"type\": \"decision\"}}, got %s",
                       json_type_name(v));
    if (!(group = node_new(NODE_AND)))
        return err_set(err, MEM0_ENOMEM, "out of memory parsing a filter");
    const cJSON *item;
    cJSON_ArrayForEach(item, v)
    {
        fnode *kid;
        if ((rc = parse_ops(&METADATA_FIELD, item->string, item, &kid, err)) < 0 ||
            (rc = node_add(group, kid, err)) < 0)
            goto fail;
    }
    *out = group_unwrap(group);
    return 0;
fail:
    node_free(group);
    return rc;
}

static const field_def *field_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++)
        if (!strcmp(name, FIELDS[i].name)) return &FIELDS[i];
    return NULL;
}

/* A filter object: each key is a logic operator or a field; several keys are ANDed. */
static int parse_object(const cJSON *obj, int depth, fnode **out, mem0_err *err)
{
    fnode *group = NULL;
    int rc;

    *out = NULL;
    if (depth > FILTER_MAX_DEPTH)
        return err_set(err, MEM0_EINVAL, "filter nested too deeply (the limit is %d levels)",
                       FILTER_MAX_DEPTH);
    if (!(group = node_new(NODE_AND)))
        return err_set(err, MEM0_ENOMEM, "out of memory parsing a filter");
    const cJSON *item;
    cJSON_ArrayForEach(item, obj)
    {
        const char *key = item->string;
        const field_def *field;
        fnode *kid = NULL;
        if (!strcmp(key, "AND") || !strcmp(key, "OR") || !strcmp(key, "NOT"))
            rc = parse_logic(key, item, depth, &kid, err);
        else if (!strcmp(key, "metadata"))
            rc = parse_metadata(item, &kid, err);
        else if ((field = field_lookup(key)))
            rc = parse_ops(field, NULL, item, &kid, err);
        else
            rc = err_set(err, MEM0_EINVAL,
                         "unknown filter field '%s' (metadata keys go under "
                         "{\"metadata\": {...}})",
                         key);
        if (rc < 0 || (rc = node_add(group, kid, err)) < 0) goto fail;
    }
    *out = group_unwrap(group);
    return 0;
fail:
    node_free(group);
    return rc;
}

/* 1 if every way a record can satisfy n requires a user_id the caller named (a value, an
 * `in` list, null) or an explicit "*". */
static int pins_user(const fnode *n)
{
    switch (n->type) {
    case NODE_COND:
        return n->field->kind == KIND_ENTITY && !strcmp(n->field->rec_key, "user_id") &&
               (n->op == OP_EQ || n->op == OP_IN || n->op == OP_ANY);
    case NODE_AND:
        for (size_t i = 0; i < n->nkids; i++)
            if (pins_user(n->kids[i])) return 1;
        return 0;
    case NODE_OR:
        for (size_t i = 0; i < n->nkids; i++)
            if (!pins_user(n->kids[i])) return 0;
        return 1;
    case NODE_NOT:
        return 0;
    }
    return 0;
}

/* Puts {"user_id": user} in front of *root: into root's own AND, or a new AND around it. */
static int scope_to_user(fnode **root, const char *user, mem0_err *err)
{
    fnode *cond = node_new(NODE_COND), *and = NULL;

    if (!cond || !(cond->val = cJSON_CreateString(user))) goto fail;
    cond->field = &USER_FIELD;
    cond->op = OP_EQ;
    cond->s = cond->val->valuestring;
    if ((*root)->type != NODE_AND) {
        if (!(and = node_new(NODE_AND))) goto fail;
        int rc = node_add(and, *root, err);
        *root = and; /* and owns the old root now, or node_add freed it */
        if (rc < 0) {
            node_free(cond);
            return rc;
        }
    }
    if (node_add(*root, cond, err) < 0) return MEM0_ENOMEM; /* node_add freed cond */
    fnode **kids = (*root)->kids;
    memmove(kids + 1, kids, ((*root)->nkids - 1) * sizeof *kids);
    kids[0] = cond;
    return 0;
fail:
    node_free(cond);
    return err_set(err, MEM0_ENOMEM, "out of memory parsing a filter");
}

int filter_parse(const cJSON *json, const char *default_user, filter **out, mem0_err *err)
{
    fnode *root = NULL;
    filter *f = NULL;
    char local[IDENTITY_MAX];
    int rc;

    *out = NULL;
    if (json && !cJSON_IsNull(json) && !cJSON_IsObject(json))
        return err_set(err, MEM0_EINVAL, "filters must be a JSON object, got %s",
                       json_type_name(json));
    if (cJSON_IsObject(json)) {
        if ((rc = parse_object(json, 0, &root, err)) < 0) return rc;
    } else if (!(root = node_new(NODE_AND))) {
        return err_set(err, MEM0_ENOMEM, "out of memory parsing a filter");
    }
    if (!pins_user(root)) {
        if (!default_user) {
            identity_user_id(local, sizeof local);
            default_user = local;
        }
        if ((rc = scope_to_user(&root, default_user, err)) < 0) goto fail;
    }
    if (!(f = malloc(sizeof *f))) {
        rc = err_set(err, MEM0_ENOMEM, "out of memory parsing a filter");
        goto fail;
    }
    f->root = root;
    *out = f;
    return 0;
fail:
    node_free(root);
    return rc;
}

void filter_free(filter *f)
{
    if (!f) return;
    node_free(f->root);
    free(f);
}

/* ---- Evaluation ------------------------------------------------------------------- */

/* A string field of the record, NULL when absent, null, not a string or empty. */
static const char *rec_string(const cJSON *rec, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
    return cJSON_IsString(v) && v->valuestring && *v->valuestring ? v->valuestring : NULL;
}

static int order_holds(op_id op, double cmp)
{
    switch (op) {
    case OP_GT:
        return cmp > 0;
    case OP_GTE:
        return cmp >= 0;
    case OP_LT:
        return cmp < 0;
    case OP_LTE:
        return cmp <= 0;
    default:
        return 0;
    }
}

static int in_strings(const cJSON *list, const char *s, int nocase)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        if (cJSON_IsString(e) &&
            (nocase ? !strcasecmp(e->valuestring, s) : !strcmp(e->valuestring, s)))
            return 1;
    }
    return 0;
}

static int eval_entity(const fnode *c, const cJSON *rec)
{
    const char *v = rec_string(rec, c->field->rec_key);
    switch (c->op) {
    case OP_EQ:
        return c->s ? v && !strcmp(v, c->s) : !v;
    case OP_NE:
        return c->s ? !v || strcmp(v, c->s) : v != NULL;
    case OP_IN:
        return v && in_strings(c->val, v, 0);
    case OP_CONTAINS:
        return v && strstr(v, c->s);
    case OP_ICONTAINS:
        return v && strcasestr(v, c->s);
    case OP_ANY:
        return v != NULL;
    default:
        return 0;
    }
}

static int eval_date(const fnode *c, const cJSON *rec)
{
    const char *s = rec_string(rec, c->field->rec_key);
    int64_t t = 0;
    int has = s && time_parse(s, &t) == 0;
    switch (c->op) {
    case OP_EQ:
        return c->s ? has && t == c->t : !has;
    case OP_NE:
        return c->s ? !has || t != c->t : has;
    case OP_IN:
        for (size_t i = 0; has && i < c->ntimes; i++)
            if (t == c->times[i]) return 1;
        return 0;
    case OP_GT:
    case OP_GTE:
    case OP_LT:
    case OP_LTE:
        return has && order_holds(c->op, t > c->t ? 1 : t < c->t ? -1 : 0);
    case OP_ANY:
        return has;
    default:
        return 0;
    }
}

static int eval_categories(const fnode *c, const cJSON *rec)
{
    const cJSON *cats = cJSON_GetObjectItemCaseSensitive(rec, "categories");
    const cJSON *e;
    if (!cJSON_IsArray(cats)) cats = NULL;
    if (c->op == OP_ANY) return cats && cats->child;
    if (c->op == OP_NE) return !(cats && in_strings(cats, c->s, 0));
    cJSON_ArrayForEach(e, cats)
    {
        if (!cJSON_IsString(e)) continue;
        switch (c->op) {
        case OP_EQ:
            if (!strcmp(e->valuestring, c->s)) return 1;
            break;
        case OP_IN:
            if (in_strings(c->val, e->valuestring, 0)) return 1;
            break;
        case OP_CONTAINS:
        case OP_ICONTAINS: /* Mem0 matches categories case-insensitively either way */
            if (strcasestr(e->valuestring, c->s)) return 1;
            break;
        default:
            break;
        }
    }
    return 0;
}

static int json_equal(const cJSON *a, const cJSON *b)
{
    return cJSON_Compare(a, b, 1);
}

static int eval_metadata(const fnode *c, const cJSON *rec)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(rec, "metadata");
    const cJSON *v = cJSON_IsObject(md) ? cJSON_GetObjectItemCaseSensitive(md, c->mkey) : NULL;
    int absent = !v || cJSON_IsNull(v);
    const cJSON *e, *o;
    switch (c->op) {
    case OP_EQ:
        return cJSON_IsNull(c->val) ? absent : !absent && json_equal(v, c->val);
    case OP_NE:
        return cJSON_IsNull(c->val) ? !absent : absent || !json_equal(v, c->val);
    case OP_IN:
        if (absent) return 0;
        cJSON_ArrayForEach(o, c->val)
        {
            if (json_equal(v, o)) return 1;
            if (cJSON_IsArray(v)) {
                cJSON_ArrayForEach(e, v)
                {
                    if (json_equal(e, o)) return 1;
                }
            }
        }
        return 0;
    case OP_GT:
    case OP_GTE:
    case OP_LT:
    case OP_LTE:
        if (!cJSON_IsNumber(v)) return 0;
        return order_holds(c->op, v->valuedouble > c->num ? 1 : v->valuedouble < c->num ? -1 : 0);
    case OP_CONTAINS:
        if (cJSON_IsString(v)) return c->s && strstr(v->valuestring, c->s);
        if (cJSON_IsArray(v)) {
            cJSON_ArrayForEach(e, v)
            {
                if (json_equal(e, c->val)) return 1;
            }
        }
        return 0;
    case OP_ICONTAINS:
        if (cJSON_IsString(v)) return strcasestr(v->valuestring, c->s) != NULL;
        if (cJSON_IsArray(v)) return in_strings(v, c->s, 1);
        return 0;
    case OP_ANY:
        return !absent;
    default:
        return 0;
    }
}

static int eval_cond(const fnode *c, const cJSON *rec)
{
    const char *v;
    switch (c->field->kind) {
    case KIND_ENTITY:
        return eval_entity(c, rec);
    case KIND_DATE:
        return eval_date(c, rec);
    case KIND_CATEGORIES:
        return eval_categories(c, rec);
    case KIND_METADATA:
        return eval_metadata(c, rec);
    case KIND_IDS: /* ids are lowercase; a caller may paste them in either case */
        v = rec_string(rec, "id");
        if (c->op == OP_IN) return v && in_strings(c->val, v, 1);
        return (v && !strcasecmp(v, c->s)) == (c->op == OP_EQ);
    case KIND_KEYWORDS:
        v = rec_string(rec, "memory");
        if (!v) return 0;
        return c->op == OP_CONTAINS ? strstr(v, c->s) != NULL : strcasestr(v, c->s) != NULL;
    }
    return 0;
}

static int eval_node(const fnode *n, const cJSON *rec)
{
    size_t i;
    switch (n->type) {
    case NODE_COND:
        return eval_cond(n, rec);
    case NODE_AND:
        for (i = 0; i < n->nkids; i++)
            if (!eval_node(n->kids[i], rec)) return 0;
        return 1;
    case NODE_OR:
    case NODE_NOT:
        for (i = 0; i < n->nkids; i++)
            if (eval_node(n->kids[i], rec)) return n->type == NODE_OR;
        return n->type == NODE_NOT;
    }
    return 0;
}

int filter_eval(const filter *f, const cJSON *rec)
{
    return f && cJSON_IsObject(rec) && eval_node(f->root, rec);
}

/* ---- Inspection ------------------------------------------------------------------- */

static const char *pinned(const fnode *n)
{
    if (n->type == NODE_COND && n->field->kind == KIND_ENTITY &&
        !strcmp(n->field->rec_key, "user_id")) {
        if (n->op == OP_EQ) return n->s;
        if (n->op == OP_IN && cJSON_GetArraySize(n->val) == 1) return n->val->child->valuestring;
        return NULL;
    }
    if (n->type == NODE_AND) {
        for (size_t i = 0; i < n->nkids; i++) {
            const char *u = pinned(n->kids[i]);
            if (u) return u;
        }
    }
    return NULL;
}

const char *filter_pinned_user(const filter *f)
{
    return f ? pinned(f->root) : NULL;
}

/* Adds item to obj under key (or to the array obj when key is NULL); frees item on failure. */
static int add_item(cJSON *obj, const char *key, cJSON *item)
{
    if (!item) return -1;
    if (key ? cJSON_AddItemToObject(obj, key, item) : cJSON_AddItemToArray(obj, item)) return 0;
    cJSON_Delete(item);
    return -1;
}

/* The operand as a filter would write it: bare for eq and "*", else {op: operand}. */
static cJSON *describe_operand(const fnode *n)
{
    cJSON *operand = n->op == OP_ANY ? cJSON_CreateString("*") : cJSON_Duplicate(n->val, 1);
    if (!operand || n->op == OP_EQ || n->op == OP_ANY) return operand;
    cJSON *ops = cJSON_CreateObject();
    if (!ops || add_item(ops, OP_NAMES[n->op], operand) < 0) {
        cJSON_Delete(ops);
        return NULL;
    }
    return ops;
}

static cJSON *describe_node(const fnode *n)
{
    cJSON *obj = cJSON_CreateObject(), *arr;
    if (!obj) return NULL;
    if (n->type == NODE_COND) {
        if (!n->mkey) {
            if (add_item(obj, n->field->canon, describe_operand(n)) < 0) goto fail;
        } else if (!(arr = cJSON_AddObjectToObject(obj, "metadata")) ||
                   add_item(arr, n->mkey, describe_operand(n)) < 0) {
            goto fail;
        }
        return obj;
    }
    const char *key = n->type == NODE_AND ? "AND" : n->type == NODE_OR ? "OR" : "NOT";
    if (n->type == NODE_NOT && !n->not_list) {
        if (add_item(obj, key, describe_node(n->kids[0])) < 0) goto fail;
        return obj;
    }
    if (!(arr = cJSON_AddArrayToObject(obj, key))) goto fail;
    for (size_t i = 0; i < n->nkids; i++)
        if (add_item(arr, NULL, describe_node(n->kids[i])) < 0) goto fail;
    return obj;
fail:
    cJSON_Delete(obj);
    return NULL;
}

char *filter_describe(const filter *f)
{
    if (!f) return NULL;
    cJSON *tree = describe_node(f->root);
    char *s = tree ? cJSON_PrintUnformatted(tree) : NULL;
    cJSON_Delete(tree);
    return s;
}
