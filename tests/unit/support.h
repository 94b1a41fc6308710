/* support.h: helpers shared by the unit tests (scratch stores, JSON shortcuts). */
#ifndef MEM0_TEST_SUPPORT_H
#define MEM0_TEST_SUPPORT_H

#include <stddef.h>
#include "mem0.h"

/* A fresh empty folder under $MEM0_HOME (or TMPDIR); returns a static-lifetime copy. */
const char *test_scratch_dir(const char *tag);
/* Opens a fresh store in a scratch folder; fails the test on error. */
mem0 *test_open_store(const char *tag, size_t map_size);
/* Parses JSON text or fails the test; caller frees. */
cJSON *test_json(const char *text);
/* Adds one memory for user with infer=false; returns its id (static buffer, overwritten). */
const char *test_add(mem0 *m, const char *user, const char *text, const char *expiration);

#endif
