/*
 * filter.h: Mem0's v2 filter language, parsed once into a tree and evaluated on records.
 *
 * Accepted (a documented superset of Mem0's):
 *   logic     {"AND":[...]}, {"OR":[...]}, {"NOT":{...}} or {"NOT":[...]} (none may match);
 *             several keys in one object are ANDed; an OR root stays an OR.
 *   fields    user_id, agent_id, app_id, run_id, created_at, updated_at, timestamp
 *             (= created_at), expiration_date, categories, metadata ({"metadata":{"k":..}},
 *             top-level keys only), memory_ids (list), keywords (text search).
 *   operators bare value (= eq), eq, ne, in, gt, gte, lt, lte, contains, icontains, and
 *             "*" (any non-null value).  Dates take ISO 8601 or YYYY-MM-DD and compare
 *             as instants.  Several operators on one field are ANDed; a bare list means
 *             `in`; a bare null means "unset", and an unset field matches only that and `ne`.
 *   extras    (beyond Mem0) eq/in on dates, in/gt/gte/lt/lte on numeric metadata, contains
 *             on array metadata (an equal element).  categories match contains/icontains
 *             case-insensitively, as Mem0 does; memory_ids compare ignoring case.
 *
 * Scope safety: unless every branch of the filter pins a user_id (a value, an `in` list,
 * or an explicit "*"), the filter becomes AND[{user_id: default_user}, filter], so no shape
 * of filter reaches another user's memories by accident.  An AND pins if any member does,
 * an OR only if all do; NOT, ne and contains never pin; an explicit {"user_id": null} pins
 * (it reaches no user's memories).
 *
 * A parsed filter owns its data (the JSON it came from may be freed at once); filter_eval
 * allocates nothing and never changes the filter.
 */
#ifndef MEM0_FILTER_H
#define MEM0_FILTER_H

#include <stdint.h>
#include "mem0.h"

typedef struct filter filter;

/* Parses json (NULL or {} = everything of default_user) and applies the scope rule.
 * Errors are MEM0_EINVAL with a message naming the offending field or operator. */
int filter_parse(const cJSON *json, const char *default_user, filter **out, mem0_err *err);
void filter_free(filter *f);

/* 1 if rec matches. */
int filter_eval(const filter *f, const cJSON *rec);

/* The single user every match must have (to choose the by_scope index), or NULL. */
const char *filter_pinned_user(const filter *f);

/* A canonical JSON rendering of the parsed tree, after the scope rule (for tests and
 * `explain`); caller frees. */
char *filter_describe(const filter *f);

#endif
