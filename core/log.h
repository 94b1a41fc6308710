/*
 * log.h: the debug log, $MEM0_HOME/hooks.log.
 *
 * Enabled when MEM0_DEBUG is set to anything but "", "0" or "false".  One line per event,
 * tab-separated, never on stdout:
 *   time(ISO 8601 UTC, ms) TAB pid TAB program TAB event TAB duration_ms TAB outcome TAB detail
 * e.g. "2026-11-24T22:16:00.123Z\t4242\tmem0-mcp\ttools/call\t0.84\tok\tsearch_memories"
 * detail has tabs, newlines and other control characters replaced by spaces and is cut at
 * 1000 bytes.  The file is created 0600.  Appends are single write() calls of O_APPEND, so
 * lines from concurrent processes never interleave.
 */
#ifndef MEM0_LOG_H
#define MEM0_LOG_H

int log_enabled(void);
/* Appends one line to home/hooks.log when enabled; silent on any failure. */
void log_event(const char *home, const char *program, const char *event, double duration_ms,
               const char *outcome, const char *detail_fmt, ...)
    __attribute__((format(printf, 6, 7)));

#endif
