/* log: one line per event on stderr, with a UTC timestamp, and the access
 * log file (server.access-log) with its reopen for logrotate.  Lines are
 * written with a single write(2), so threads never interleave within a
 * line.  Never pass secrets (passwords, tokens, Authorization headers). */
#ifndef LFS_LOG_H
#define LFS_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* An observer of every line written (level, the line without its newline).
 * Called in the logging thread, after the line is formatted; one at a
 * time is kept (NULL removes it).  The status page keeps recent errors
 * this way. */
typedef void log_hook_fn(enum log_level level, const char *line, size_t len);
void log_set_hook(log_hook_fn *fn);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* The access log file (server.access-log): opened once at start, before
 * threads; without it nothing is written by log_access_write.  Opened with
 * O_APPEND, mode 0640 when created. */
int log_access_open(const char *path, struct err *err) __attribute__((warn_unused_result));
bool log_access_is_file(void);
/* Opens the path again (after logrotate moved the file) and puts the new
 * file behind the same descriptor; on failure the old file stays in use. */
int log_access_reopen(struct err *err) __attribute__((warn_unused_result));
/* Appends one complete line (with its newline) in a single write. */
void log_access_write(const char *line, size_t len);
void log_access_close(void);

#endif
