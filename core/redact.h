/*
 * redact.h: privacy before storage.
 *
 * Removes <private>...</private> spans (always; an unclosed tag hides the rest of the
 * text) and, when enabled, replaces secrets with a visible placeholder "[REDACTED:<kind>]":
 * AWS access keys (AKIA/ASIA...), GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_,
 * github_pat_), OpenAI/Anthropic-style keys (sk-..., sk-ant-...), Slack tokens (xox?-),
 * Google API keys (AIza...), Stripe keys, JWTs, PEM private-key blocks, bearer tokens,
 * and `password=`/`secret:`/`api_key=`/`token=`-style assignments (the value only).
 * Runs on every string that reaches the store: text, metadata, history, indexes.
 */
#ifndef MEM0_REDACT_H
#define MEM0_REDACT_H

#include "mem0.h"

typedef struct redact_stats {
    int secrets;        /* placeholders written */
    int private_spans;  /* <private> spans removed */
} redact_stats;

/* A malloc'd cleaned copy of text (NULL only on allocation failure). stats may be NULL. */
char *redact_text(const char *text, int redact_secrets, redact_stats *stats);

/* Cleans every string (keys too) of a JSON tree in place; 0, or MEM0_ENOMEM. */
int redact_json(cJSON *json, int redact_secrets, redact_stats *stats);

#endif
