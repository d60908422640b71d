/* log: timestamped single-write log lines on stderr, and the access log
 * file with its reopen (see log.h). */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;
static log_hook_fn *hook;

void log_set_hook(log_hook_fn *fn)
{
	__atomic_store_n(&hook, fn, __ATOMIC_RELEASE);
}

static void call_hook(enum log_level level, const char *line, size_t len)
{
	log_hook_fn *fn = __atomic_load_n(&hook, __ATOMIC_ACQUIRE);

	if (fn)
		fn(level, line, len);
}

void log_set_level(enum log_level level)
{
	min_level = level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int k;
	va_list ap;

	if (level < min_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	k = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s ", ts.tv_nsec / 1000000L, names[level]);
	if (k > 0)
		n += (size_t)k;
	va_start(ap, fmt);
	k = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (k > 0)
		n += (size_t)k < sizeof(line) - n - 1 ? (size_t)k : sizeof(line) - n - 2;
	call_hook(level, line, n);
	line[n++] = '\n';
	/* A failed log write has nowhere to be reported. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

/* --- the access log ------------------------------------------------------
 * Set once at start, before any thread runs; a reopen later replaces the
 * descriptor behind the same number with dup2(2), which is atomic, so a
 * writer never sees a closed or reused descriptor and needs no lock. */

static int access_fd = -1;
static char *access_path;

int log_access_open(const char *path, struct err *err)
{
	int fd;

	if (access_fd >= 0)
		return err_set(err, ERR_INVALID, "access log already open");
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		return err_set_errno(err, ERR_IO, "cannot open access log '%s'", path);
	if (!(access_path = strdup(path))) {
		close(fd);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	access_fd = fd;
	return 0;
}

bool log_access_is_file(void)
{
	return access_fd >= 0;
}

int log_access_reopen(struct err *err)
{
	int fd;

	if (access_fd < 0)
		return 0;
	fd = open(access_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		return err_set_errno(err, ERR_IO, "cannot reopen access log '%s' (still writing to the old file)",
				     access_path);
	/* dup2 drops O_CLOEXEC on the new number; dup3 keeps it. */
	if (dup3(fd, access_fd, O_CLOEXEC) < 0) {
		close(fd);
		return err_set_errno(err, ERR_IO, "cannot reopen access log '%s'", access_path);
	}
	close(fd);
	return 0;
}

void log_access_write(const char *line, size_t len)
{
	/* One write per line: with O_APPEND, lines of concurrent requests
	 * never interleave.  A failed write has nowhere to be reported. */
	if (access_fd >= 0 && write(access_fd, line, len) < 0)
		return;
}

void log_access_close(void)
{
	if (access_fd >= 0)
		close(access_fd);
	access_fd = -1;
	free(access_path);
	access_path = NULL;
}
