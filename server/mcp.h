/*
 * mcp.h: the stdio MCP server (JSON-RPC 2.0, one message per line).
 *
 * Owns the framing and the protocol: stdin is read as lines of at most MEM0_MAX_LINE bytes
 * (default 4 MiB; a longer line is answered with -32600 and skipped without being
 * buffered), a trailing \r is dropped and blank lines are ignored; stdout carries nothing
 * but one JSON response (or batch of responses) per line, every one valid UTF-8 JSON;
 * diagnostics go to stderr and, under MEM0_DEBUG, to the debug log (one line per request).
 *
 * Request ids are echoed byte for byte as sent.  Protocol versions 2024-11-05, 2025-03-26,
 * 2025-06-18 and 2025-11-25 are negotiated (the client's if supported, else the latest);
 * batches are accepted whatever the version.  Tool calls go to tools.c.
 *
 * The store is opened once at start-up; when that fails the server keeps answering and
 * every tool call reports why (isError), so the client shows the reason.
 */
#ifndef MEM0_MCP_H
#define MEM0_MCP_H

#define MCP_DEFAULT_MAX_LINE ((size_t)4 << 20)

/* Serves stdin/stdout until EOF, SIGINT or SIGTERM; returns the exit code (0). */
int mcp_serve(void);

#endif
