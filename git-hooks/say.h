/* say: the one path for lfs-hooks' warnings and notes on stderr.  Much of
 * what is printed quotes a server, a mirror or a committed file (error
 * messages, URLs, paths), so every line is defanged first: control
 * characters (C0, DEL, C1) become '?', and no server can move the cursor,
 * clear the screen or retitle the terminal. */
#ifndef LFS_HOOKS_SAY_H
#define LFS_HOOKS_SAY_H

#include <stdarg.h>
#include <stddef.h>

/* Replaces every control character of s in place (C0 and DEL bytes, and
 * the two-byte UTF-8 encodings of C1 controls, by "?" each). */
void say_sanitize(char *s);

/* "lfs-hooks: <message>\n" on stderr, sanitized, in one write. */
void say_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void say_vwarn(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* "<message>\n" on stdout, sanitized (progress notes of install, track). */
void say_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A meter's line on stderr: "\r<line>", blank-padded to width (erasing
 * what a longer line before it left), then tail ("" or "\n"). */
void say_progress(const char *line, int width, const char *tail);

#endif
