/* err: the one error convention of the project.
 *
 * Functions return 0 on success or a negative ERR_* code, and describe the
 * failure in a caller-owned struct err (always the last parameter).  Codes
 * exist only for failures a caller branches on; ERR_IO covers the rest and
 * the message carries the detail.  The caller decides what the user sees.
 */
#ifndef LFS_ERR_H
#define LFS_ERR_H

#include <stddef.h>

enum {
	ERR_IO = -1,       /* anything else: I/O, library failure */
	ERR_INVALID = -2,  /* malformed input (422/400) */
	ERR_NOTFOUND = -3, /* 404 */
	ERR_EXISTS = -4,   /* already there (not always a failure) */
	ERR_TOOBIG = -5,   /* over a limit (413) */
	ERR_DENIED = -6,   /* forbidden (403) */
	ERR_CONFLICT = -7, /* 409 */
	ERR_NOMEM = -8,    /* out of memory (500) */
	ERR_NOSPACE = -9,  /* disk full (507) */
	ERR_AUTH = -10,    /* credentials needed or wrong (401) */
	ERR_SYNTAX = -11,  /* request body does not parse (400) */
	ERR_BUSY = -12,    /* over a server-wide budget or out of file descriptors: retry later (503) */
};

struct err {
	int code;
	char msg[256];
};

#define ERR_INIT { 0, { 0 } }

/* Fills err (when not NULL) and returns code, so that reporting and
 * returning are one statement. */
int err_set(struct err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As err_set, with ": strerror(errno)" appended.  ENOSPC and EDQUOT turn
 * the code into ERR_NOSPACE, so a full disk reaches the client as 507;
 * EMFILE and ENFILE into ERR_BUSY (503: load, not damage). */
int err_set_errno(struct err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The HTTP status that a code stands for (500 for unknown codes). */
int err_http_status(int code);

void err_clear(struct err *err);

#endif
