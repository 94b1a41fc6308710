/*
 * transfer.h: moving memories in and out of a store: export, import, backup (declared in
 * mem0.h) and the id-prefix lookup the command line uses.
 *
 * Export format (JSONL, one object a line, deterministic for a given store):
 *   {"type":"memory","memory":{...record...}}        every live memory, by created_at then id
 *   {"type":"trash","trash":{"memory","deleted_at","actor","reason"}}   trash, by id
 *   {"type":"history","seq":N,"history":{...item...}} every history item, by memory id then
 *                                                     time; seq orders items of one memory
 *                                                     that share a microsecond
 * Import also takes a bare memory object per line, and lines of other tools shaped
 * {"memory":"text", ...}: without an id such a line gets a fresh id and is skipped when an
 * identical memory already exists in its scope, so importing any file twice adds nothing.
 * Records keep their ids and timestamps; hashes are recomputed; text and metadata are
 * redacted as settings say.  Memories whose id is already present (live or in the trash)
 * and history items already present are skipped.  1000 lines go in one write transaction.
 */
#ifndef MEM0_TRANSFER_H
#define MEM0_TRANSFER_H

#include "mem0.h"
#include "util.h"

/* Lines of an import handled per write transaction. */
#define TRANSFER_BATCH 1000

/* Resolves a full memory id or a unique prefix of one (at least 4 hex digits, dashes
 * optional) among live memories (in_trash 0) or trash entries (1) into out.  A full UUID
 * is returned as is, without looking it up.  MEM0_ENOTFOUND when no id has that prefix,
 * MEM0_EINVAL when it is malformed or matches several. */
int transfer_resolve_id(mem0 *m, const char *text, int in_trash, char out[UUID_STR_LEN + 1],
                        mem0_err *err);

#endif
