/*
 * doctor.h: the health checks behind `mem0-mcp doctor`.
 *
 * Owns nothing persistent: it looks at a home folder and its store without changing them
 * (the store is opened read-only) and says, for each problem, what to run or change.
 *
 * The report is {"home", "ok", "checks":[{"name", "ok", "level", "detail", "fix"}]}, where
 * level is "ok", "warn" (worth knowing, not a failure) or "fail", ok is false only for
 * "fail", and fix is a command or change to make (null when there is nothing to do).
 * Checks, in order: home (exists, a folder, owned by the user, 0700), files (data.mdb and
 * lock.mdb owned by the user and 0600), store (opens), schema (readable and compatible),
 * map (share of the map in use), readers (stale reader slots cleared), settings
 * (settings.json parses; unknown keys listed), index (every record is in the '*' listing
 * index and every entry of that index has its record), log (debug log size).  Checks that
 * need an open store are left out when it cannot be opened.
 */
#ifndef MEM0_DOCTOR_H
#define MEM0_DOCTOR_H

#include "mem0.h"

/* A debug log larger than this is reported (it is never rotated automatically). */
#define DOCTOR_LOG_WARN_BYTES ((long long)10 << 20)

/* Runs every check on home (NULL: the default home) and fills *report (caller frees with
 * cJSON_Delete).  Returns 0 whenever a report was made, failed checks included; only
 * MEM0_ENOMEM otherwise. */
int doctor_run(const char *home, cJSON **report, mem0_err *err);

#endif
