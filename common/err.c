/* err: error reporting shared by every module (see err.h). */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vfill(struct err *err, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void vfill(struct err *err, int code, const char *fmt, va_list ap)
{
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int err_set(struct err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	vfill(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int err_set_errno(struct err *err, int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t len;

	if (saved == ENOSPC || saved == EDQUOT)
		code = ERR_NOSPACE;
	else if (saved == ENOMEM)
		code = ERR_NOMEM;
	else if (saved == EMFILE || saved == ENFILE)
		code = ERR_BUSY;
	if (!err)
		return code;
	va_start(ap, fmt);
	vfill(err, code, fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	if (len < sizeof(err->msg))
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(saved));
	errno = saved;
	return code;
}

int err_http_status(int code)
{
	switch (code) {
	case 0: return 200;
	case ERR_INVALID: return 422;
	case ERR_SYNTAX: return 400;
	case ERR_NOTFOUND: return 404;
	case ERR_EXISTS: return 409;
	case ERR_TOOBIG: return 413;
	case ERR_DENIED: return 403;
	case ERR_CONFLICT: return 409;
	case ERR_AUTH: return 401;
	case ERR_NOSPACE: return 507;
	case ERR_BUSY: return 503;
	default: return 500;
	}
}

void err_clear(struct err *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}
