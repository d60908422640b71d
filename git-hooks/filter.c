/* filter: clean, smudge and the long-running filter process (see filter.h).
 *
 * In the long-running protocol git writes a whole request before it reads
 * the answer, so every answer is decided only after the request's content
 * has been consumed: clean hashes it into the cache as it arrives, smudge
 * keeps the first POINTER_MAX_SIZE bytes and spills anything longer (a
 * blob that cannot be a pointer) to an unlinked temp file. */
#include "filter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch.h"
#include "lfscache.h"
#include "objlist.h"
#include "pktline.h"
#include "pointer.h"
#include "say.h"
#include "util.h"

#define CHUNK PKTLINE_MAX_PAYLOAD

/* Where a request's content comes from: a plain fd (one-shot filters) or
 * pkt-lines up to a flush (filter process). */
struct src {
	int fd;
	bool pkt;
	bool eof;
	char *buf; /* current packet (pkt mode) */
	size_t len, off;
};

/* Where an answer's content goes. */
struct sink {
	int fd;
	bool pkt;
};

/* A smudge answer, decided before anything is written. */
struct plan {
	const char *head; /* bytes to write first */
	size_t head_len;
	int fd;           /* then everything from this fd, or -1 */
	bool delayed;     /* answer "status=delayed" instead */
};

/* A file whose smudge git agreed to delay (filter process only). */
struct delayed {
	char *path;
	char oid[OID_HEX_LEN + 1];
	long long size;
	char text[POINTER_MAX_SIZE]; /* the pointer as committed */
	size_t text_len;
	bool fetched, listed;
};

struct proc {
	struct lfsrepo *repo;
	int in, out;
	bool can_delay; /* negotiated */
	struct delayed *items;
	size_t n, cap, hint;
};

__attribute__((format(printf, 2, 3))) static void warn(const char *path, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	say_warn("%s: %s", path && *path ? path : "(stdin)", msg ? msg : "(out of memory)");
	free(msg);
}

static ssize_t src_read(struct src *s, void *buf, size_t len, struct err *err)
{
	size_t n;

	if (s->eof || len == 0)
		return 0;
	if (!s->pkt) {
		for (;;) {
			ssize_t r = read(s->fd, buf, len);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return err_set_errno(err, ERR_IO, "cannot read input");
			if (r == 0)
				s->eof = true;
			return r;
		}
	}
	while (s->off == s->len) {
		int rc = pktline_read(s->fd, s->buf, &s->len, err);
		if (rc == PKTLINE_FLUSH) {
			s->eof = true;
			return 0;
		}
		if (rc == ERR_NOTFOUND)
			return err_set(err, ERR_IO, "git closed the filter's input mid-file");
		if (rc < 0)
			return rc;
		s->off = 0;
	}
	n = s->len - s->off < len ? s->len - s->off : len;
	memcpy(buf, s->buf + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

/* Fills buf unless the input ends first; returns the bytes read. */
static ssize_t src_read_full(struct src *s, char *buf, size_t len, struct err *err)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = src_read(s, buf + got, len - got, err);
		if (n < 0)
			return n;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Consumes the rest of a request's content, keeping the protocol in step
 * after a failure. */
static int src_drain(struct src *s, struct err *err)
{
	char buf[4096];
	ssize_t n;

	while ((n = src_read(s, buf, sizeof(buf), err)) > 0)
		;
	return n < 0 ? (int)n : 0;
}

static int write_all(int fd, const void *data, size_t len, struct err *err)
{
	return util_write_all(fd, data, len) < 0 ? err_set_errno(err, ERR_IO, "cannot write output") : 0;
}

static int sink_write(struct sink *k, const void *data, size_t len, struct err *err)
{
	return k->pkt ? pktline_write(k->fd, data, len, err) : write_all(k->fd, data, len, err);
}

static int sink_copy_fd(struct sink *k, int fd, struct err *err)
{
	char *buf = malloc(CHUNK);
	int rc = 0;

	if (!buf)
		return err_set(err, ERR_NOMEM, "out of memory");
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set_errno(err, ERR_IO, "cannot read object");
			break;
		}
		if (n == 0)
			break;
		if ((rc = sink_write(k, buf, (size_t)n, err)) < 0)
			break;
	}
	free(buf);
	return rc;
}

/* Clean: the pointer for the content on s, the content stored in the
 * cache.  out holds POINTER_BUF_SIZE bytes. */
static int clean_compute(struct lfsrepo *r, struct src *s, char *out, size_t *out_len, struct err *err)
{
	char head[POINTER_MAX_SIZE];
	struct lfscache_writer *w = NULL;
	struct pointer p;
	char oid[OID_HEX_LEN + 1];
	long long size;
	char *buf = NULL;
	ssize_t n;
	int rc;

	n = src_read_full(s, head, sizeof(head), err);
	if (n < 0)
		return (int)n;
	/* A pointer (or an empty file) is its own clean form, byte for byte. */
	if ((size_t)n < sizeof(head) && pointer_parse(&p, head, (size_t)n, NULL) == 0) {
		memcpy(out, head, (size_t)n);
		*out_len = (size_t)n;
		return 0;
	}
	if ((rc = lfscache_writer_new(&w, r, err)) < 0)
		return rc;
	if ((rc = lfscache_writer_write(w, head, (size_t)n, err)) < 0)
		goto fail;
	if (!(buf = malloc(CHUNK))) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	while ((n = src_read(s, buf, CHUNK, err)) > 0)
		if ((rc = lfscache_writer_write(w, buf, (size_t)n, err)) < 0)
			goto fail;
	if (n < 0) {
		rc = (int)n;
		goto fail;
	}
	free(buf);
	rc = lfscache_writer_commit(w, NULL, 0, oid, &size, err);
	if (rc < 0)
		return rc;
	pointer_init(&p, oid, size);
	rc = pointer_format(out, POINTER_BUF_SIZE, &p);
	if (rc < 0)
		return err_set(err, ERR_IO, "pointer does not fit");
	*out_len = (size_t)rc;
	return 0;
fail:
	free(buf);
	lfscache_writer_abort(w);
	return rc;
}

/* Spills the rest of s to an unlinked temp file, rewound. */
static int spill(struct lfsrepo *r, struct src *s, int *fd_out, struct err *err)
{
	char *tmpl = NULL, *buf = NULL;
	ssize_t n;
	int fd = -1, rc = 0;

	if (asprintf(&tmpl, "%s/tmp/spill-XXXXXX", r->lfsdir) < 0)
		return err_set(err, ERR_NOMEM, "out of memory");
	if ((rc = lfscache_mkdirs_for(tmpl, err)) < 0)
		goto out;
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot create '%s'", tmpl);
		goto out;
	}
	unlink(tmpl);
	if (!(buf = malloc(CHUNK))) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	while ((n = src_read(s, buf, CHUNK, err)) > 0)
		if ((rc = write_all(fd, buf, (size_t)n, err)) < 0)
			goto out;
	if (n < 0)
		rc = (int)n;
	else if (lseek(fd, 0, SEEK_SET) < 0)
		rc = err_set_errno(err, ERR_IO, "cannot rewind a temp file");
out:
	if (rc < 0 && fd >= 0) {
		close(fd);
		fd = -1;
	}
	*fd_out = fd;
	free(buf);
	free(tmpl);
	return rc;
}

/* Opens the object behind p, downloading it first when allowed and
 * needed.  Returns the fd, or -1 after a warning naming path. */
static int open_object(struct lfsrepo *r, const struct pointer *p, const char *path, bool download)
{
	struct err e = ERR_INIT;
	int fd = lfscache_open(r, p->oid, p->size, &e);

	if (fd == ERR_NOTFOUND && download) {
		struct objlist one = OBJLIST_INIT;
		if (objlist_add(&one, p->oid, p->size, path, NULL, &e) == 0 && fetch_objects(r, NULL, &one, &e) == 0)
			fd = lfscache_open(r, p->oid, p->size, &e);
		objlist_release(&one);
	}
	if (fd < 0) {
		warn(path, "left as a pointer: %s", e.msg);
		return -1;
	}
	return fd;
}

/* Decides the smudge answer for the content on s.  head is a
 * POINTER_MAX_SIZE buffer that the plan may point into. */
static int smudge_plan(struct lfsrepo *r, struct src *s, const char *path, bool can_delay, char *head,
		       struct plan *plan, struct pointer *p, struct err *err)
{
	struct err perr = ERR_INIT;
	ssize_t n;

	memset(plan, 0, sizeof(*plan));
	plan->fd = -1;
	n = src_read_full(s, head, POINTER_MAX_SIZE, err);
	if (n < 0)
		return (int)n;
	plan->head = head;
	plan->head_len = (size_t)n;
	if ((size_t)n == POINTER_MAX_SIZE)
		return spill(r, s, &plan->fd, err);
	if (pointer_parse(p, head, (size_t)n, &perr) < 0) {
		if (pointer_looks_like(head, (size_t)n))
			warn(path, "not a valid Git LFS pointer (%s); checked out as it is", perr.msg);
		return 0;
	}
	if (p->size == 0 || util_env_true("GIT_LFS_SKIP_SMUDGE"))
		return 0;
	if (p->n_ext > 0) {
		warn(path, "pointer uses the '%s' extension, which lfs-hooks does not run; left as a pointer",
		     p->ext[0].name);
		return 0;
	}
	if (can_delay && !lfscache_has(r, p->oid, p->size)) {
		plan->delayed = true;
		return 0;
	}
	plan->fd = open_object(r, p, path, true);
	if (plan->fd >= 0)
		plan->head_len = 0;
	return 0;
}

/* Writes a plan's bytes and closes its fd. */
static int plan_write(struct plan *plan, struct sink *k, struct err *err)
{
	int rc = sink_write(k, plan->head, plan->head_len, err);

	if (rc == 0 && plan->fd >= 0)
		rc = sink_copy_fd(k, plan->fd, err);
	if (plan->fd >= 0)
		close(plan->fd);
	plan->fd = -1;
	return rc;
}

int filter_clean(struct lfsrepo *r, int in, int out, const char *path, struct err *err)
{
	struct src s = { .fd = in };
	char ptr[POINTER_BUF_SIZE];
	size_t len = 0;
	int rc;

	(void)path;
	if ((rc = clean_compute(r, &s, ptr, &len, err)) < 0)
		return rc;
	return write_all(out, ptr, len, err);
}

int filter_smudge(struct lfsrepo *r, int in, int out, const char *path, struct err *err)
{
	struct src s = { .fd = in };
	struct sink k = { .fd = out };
	char head[POINTER_MAX_SIZE];
	struct plan plan;
	struct pointer p;
	int rc;

	if ((rc = smudge_plan(r, &s, path, false, head, &plan, &p, err)) < 0)
		return rc;
	return plan_write(&plan, &k, err);
}

/* --- long-running filter process ------------------------------------- */

static int reply_status(struct proc *pr, const char *status, struct err *err)
{
	char line[64];

	snprintf(line, sizeof(line), "status=%s", status);
	if (pktline_write_text(pr->out, line, err) < 0)
		return ERR_IO;
	return pktline_flush(pr->out, err);
}

/* Sends "success", the content, and an empty status list that keeps it;
 * a failure after the content started turns into a trailing error. */
static int reply_content(struct proc *pr, struct plan *plan, struct err *err)
{
	struct sink k = { .fd = pr->out, .pkt = true };
	struct err werr = ERR_INIT;
	int rc;

	if (reply_status(pr, "success", err) < 0) {
		if (plan->fd >= 0)
			close(plan->fd);
		return ERR_IO;
	}
	rc = plan_write(plan, &k, &werr);
	if (pktline_flush(pr->out, err) < 0)
		return ERR_IO;
	if (rc < 0) {
		say_warn("%s", werr.msg);
		return reply_status(pr, "error", err);
	}
	return pktline_flush(pr->out, err);
}

static int proc_clean(struct proc *pr, struct src *s, const char *path, struct err *err)
{
	char ptr[POINTER_BUF_SIZE];
	struct err cerr = ERR_INIT;
	struct plan plan = { .fd = -1 };
	size_t len = 0;

	if (clean_compute(pr->repo, s, ptr, &len, &cerr) < 0) {
		warn(path, "clean failed: %s", cerr.msg);
		if (src_drain(s, err) < 0)
			return ERR_IO;
		return reply_status(pr, "error", err);
	}
	plan.head = ptr;
	plan.head_len = len;
	return reply_content(pr, &plan, err);
}

static struct delayed *find_delayed(struct proc *pr, const char *path)
{
	for (size_t k = 0; k < pr->n; k++) {
		size_t i = (pr->hint + k) % pr->n;
		if (pr->items[i].listed && strcmp(pr->items[i].path, path) == 0) {
			pr->hint = i + 1;
			return &pr->items[i];
		}
	}
	return NULL;
}

static void drop_delayed(struct proc *pr, struct delayed *d)
{
	free(d->path);
	*d = pr->items[--pr->n];
	if (pr->n == 0)
		pr->hint = 0;
}

static int add_delayed(struct proc *pr, const char *path, const struct pointer *p, const char *text, size_t len,
		       struct err *err)
{
	struct delayed *d;

	if (pr->n == pr->cap) {
		size_t cap = pr->cap ? pr->cap * 2 : 64;
		struct delayed *items = realloc(pr->items, cap * sizeof(*items));
		if (!items)
			return err_set(err, ERR_NOMEM, "out of memory");
		pr->items = items;
		pr->cap = cap;
	}
	d = &pr->items[pr->n];
	memset(d, 0, sizeof(*d));
	if (!(d->path = strdup(path)))
		return err_set(err, ERR_NOMEM, "out of memory");
	memcpy(d->oid, p->oid, sizeof(d->oid));
	d->size = p->size;
	memcpy(d->text, text, len);
	d->text_len = len;
	pr->n++;
	return 0;
}

static int proc_smudge(struct proc *pr, struct src *s, const char *path, bool can_delay, struct err *err)
{
	char head[POINTER_MAX_SIZE];
	struct err serr = ERR_INIT;
	struct delayed *d;
	struct plan plan;
	struct pointer p;

	if (smudge_plan(pr->repo, s, path, can_delay && pr->can_delay, head, &plan, &p, &serr) < 0) {
		warn(path, "smudge failed: %s", serr.msg);
		if (src_drain(s, err) < 0)
			return ERR_IO;
		return reply_status(pr, "error", err);
	}
	/* git asks again for a delayed file with empty content. */
	if (plan.head_len == 0 && plan.fd < 0 && (d = find_delayed(pr, path))) {
		plan.fd = lfscache_open(pr->repo, d->oid, d->size, &serr);
		if (plan.fd < 0) {
			if (serr.code == ERR_NOTFOUND)
				warn(path, "left as a pointer (its object could not be downloaded)");
			else
				warn(path, "left as a pointer: %s", serr.msg);
			memcpy(head, d->text, d->text_len);
			plan.head = head;
			plan.head_len = d->text_len;
		}
		drop_delayed(pr, d);
		return reply_content(pr, &plan, err);
	}
	if (plan.delayed) {
		if (add_delayed(pr, path, &p, head, plan.head_len, &serr) < 0) {
			warn(path, "%s", serr.msg);
			return reply_status(pr, "error", err);
		}
		return reply_status(pr, "delayed", err);
	}
	return reply_content(pr, &plan, err);
}

/* Downloads everything delayed so far (in parallel batches), then names
 * every delayed file as available: those whose download failed are
 * answered with their pointer, so the checkout still completes. */
static int proc_list_available(struct proc *pr, struct err *err)
{
	struct objlist want = OBJLIST_INIT;
	struct err ferr = ERR_INIT;
	char line[PKTLINE_MAX_PAYLOAD];
	bool any = false;

	for (size_t i = 0; i < pr->n; i++) {
		if (pr->items[i].fetched)
			continue;
		pr->items[i].fetched = true;
		if (objlist_add(&want, pr->items[i].oid, pr->items[i].size, pr->items[i].path, NULL, &ferr) < 0) {
			/* Those not added are answered with their pointer. */
			say_warn("%s; some files are left as pointers ('lfs-hooks pull' fetches them)", ferr.msg);
			err_clear(&ferr);
			break;
		}
		any = true;
	}
	if (any && fetch_objects(pr->repo, NULL, &want, &ferr) < 0)
		say_warn("%s; those files are left as pointers ('lfs-hooks pull' fetches them)", ferr.msg);
	objlist_release(&want);
	for (size_t i = 0; i < pr->n; i++) {
		if (pr->items[i].listed)
			continue;
		pr->items[i].listed = true;
		if (snprintf(line, sizeof(line) - 1, "pathname=%s", pr->items[i].path) >= (int)sizeof(line) - 1)
			continue;
		if (pktline_write_text(pr->out, line, err) < 0)
			return ERR_IO;
	}
	if (pktline_flush(pr->out, err) < 0)
		return ERR_IO;
	return reply_status(pr, "success", err);
}

/* Reads "key=value" packets up to a flush; returns ERR_NOTFOUND at the
 * end of input before the first packet. */
static int read_request(struct proc *pr, char **command, char **pathname, bool *can_delay, char *buf,
			struct err *err)
{
	size_t len;
	bool first = true;

	*command = *pathname = NULL;
	*can_delay = false;
	for (;;) {
		int rc = pktline_read_text(pr->in, buf, &len, err);
		if (rc == ERR_NOTFOUND && first)
			return ERR_NOTFOUND;
		if (rc < 0)
			return rc;
		if (rc == PKTLINE_FLUSH)
			return 0;
		first = false;
		if (strncmp(buf, "command=", 8) == 0) {
			free(*command);
			if (!(*command = strdup(buf + 8)))
				return err_set(err, ERR_NOMEM, "out of memory");
		} else if (strncmp(buf, "pathname=", 9) == 0) {
			free(*pathname);
			if (!(*pathname = strdup(buf + 9)))
				return err_set(err, ERR_NOMEM, "out of memory");
		} else if (strcmp(buf, "can-delay=1") == 0) {
			*can_delay = true;
		}
	}
}

static int expect_text(struct proc *pr, char *buf, const char *want, struct err *err)
{
	size_t len;
	int rc = pktline_read_text(pr->in, buf, &len, err);

	if (rc < 0)
		return rc;
	if (rc != PKTLINE_DATA || strcmp(buf, want) != 0)
		return err_set(err, ERR_INVALID, "filter protocol: expected '%s', got '%.60s'", want, buf);
	return 0;
}

static int handshake(struct proc *pr, char *buf, struct err *err)
{
	bool clean = false, smudge = false, version2 = false;
	size_t len;
	int rc;

	if ((rc = expect_text(pr, buf, "git-filter-client", err)) < 0)
		return rc;
	while ((rc = pktline_read_text(pr->in, buf, &len, err)) == PKTLINE_DATA)
		if (strcmp(buf, "version=2") == 0)
			version2 = true;
	if (rc < 0)
		return rc;
	if (!version2)
		return err_set(err, ERR_INVALID, "filter protocol: git does not offer version 2");
	if (pktline_write_text(pr->out, "git-filter-server", err) < 0 ||
	    pktline_write_text(pr->out, "version=2", err) < 0 || pktline_flush(pr->out, err) < 0)
		return ERR_IO;
	while ((rc = pktline_read_text(pr->in, buf, &len, err)) == PKTLINE_DATA) {
		if (strcmp(buf, "capability=clean") == 0)
			clean = true;
		else if (strcmp(buf, "capability=smudge") == 0)
			smudge = true;
		else if (strcmp(buf, "capability=delay") == 0)
			pr->can_delay = true;
	}
	if (rc < 0)
		return rc;
	if ((clean && pktline_write_text(pr->out, "capability=clean", err) < 0) ||
	    (smudge && pktline_write_text(pr->out, "capability=smudge", err) < 0) ||
	    (pr->can_delay && pktline_write_text(pr->out, "capability=delay", err) < 0) ||
	    pktline_flush(pr->out, err) < 0)
		return ERR_IO;
	return 0;
}

int filter_process(struct lfsrepo *r, int in, int out, struct err *err)
{
	struct proc pr = { .repo = r, .in = in, .out = out };
	char *buf = malloc(PKTLINE_MAX_PAYLOAD + 1), *pkt = malloc(PKTLINE_MAX_PAYLOAD + 1);
	int rc;

	if (!buf || !pkt) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = handshake(&pr, buf, err)) < 0)
		goto out;
	for (;;) {
		char *command = NULL, *pathname = NULL;
		struct src s = { .fd = in, .pkt = true, .buf = pkt };
		bool can_delay;

		rc = read_request(&pr, &command, &pathname, &can_delay, buf, err);
		if (rc == ERR_NOTFOUND) {
			rc = 0;
			break;
		}
		if (rc < 0 || !command) {
			free(command);
			free(pathname);
			if (rc == 0)
				rc = err_set(err, ERR_INVALID, "filter protocol: request without a command");
			break;
		}
		if (strcmp(command, "list_available_blobs") == 0)
			rc = proc_list_available(&pr, err);
		else if (strcmp(command, "clean") == 0)
			rc = proc_clean(&pr, &s, pathname ? pathname : "", err);
		else if (strcmp(command, "smudge") == 0)
			rc = proc_smudge(&pr, &s, pathname ? pathname : "", can_delay, err);
		else
			rc = reply_status(&pr, "error", err);
		free(command);
		free(pathname);
		if (rc < 0)
			break;
	}
out:
	for (size_t i = 0; i < pr.n; i++)
		free(pr.items[i].path);
	free(pr.items);
	free(buf);
	free(pkt);
	return rc;
}
