/* admin: uploads, stats, repos and the shared pieces of lfs-admin (see admin.h). */
#include "admin/admin.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "core/mirror_verify.h"
#include "meta/meta.h"

/* True when s[0..n) matches pat, where '9' stands for any digit. */
static bool shape(const char *s, const char *pat, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (pat[i] == '9' ? !isdigit((unsigned char)s[i]) : s[i] != pat[i])
			return false;
	}
	return true;
}

static int two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

int admin_since(char out[ADMIN_TIME_LEN + 1], const char *date, struct err *err)
{
	size_t len = strlen(date);
	const char *p = date + 19;
	long offset = 0;
	struct tm tm, back;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (len < 10 || !shape(date, "9999-99-99", 10))
		goto bad;
	if (len > 10) {
		if (len < 20 || !strchr("Tt ", date[10]) || !shape(date + 11, "99:99:99", 8))
			goto bad;
		if (*p == '.') {
			if (!isdigit((unsigned char)p[1]))
				goto bad;
			for (p++; isdigit((unsigned char)*p); p++)
				;
		}
		if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
			offset = 0;
		} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && shape(p + 1, "99:99", 5) &&
			   two(p + 1) < 24 && two(p + 4) < 60) {
			offset = (two(p + 1) * 3600L + two(p + 4) * 60L) * (*p == '-' ? -1 : 1);
		} else {
			goto bad;
		}
	}
	if (!strptime(date, "%Y-%m-%d", &tm))
		goto bad;
	if (len > 10) {
		tm.tm_hour = two(date + 11);
		tm.tm_min = two(date + 14);
		tm.tm_sec = two(date + 17);
	}
	back = tm;
	t = timegm(&tm);
	/* timegm normalises Feb 30 into March: a changed field means no such date. */
	if (t == (time_t)-1 || tm.tm_year != back.tm_year || tm.tm_mon != back.tm_mon ||
	    tm.tm_mday != back.tm_mday || tm.tm_hour != back.tm_hour || tm.tm_min != back.tm_min ||
	    tm.tm_sec != back.tm_sec)
		goto bad;
	t -= offset;
	if (!gmtime_r(&t, &tm) || strftime(out, ADMIN_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) != ADMIN_TIME_LEN)
		goto bad;
	return 0;
bad:
	return err_set(err, ERR_INVALID, "'%.60s' is not a date (YYYY-MM-DD) or an RFC 3339 time", date);
}

static int print_upload(const struct meta_journal_row *row, void *arg)
{
	fprintf(arg, "%lld\t%s\t%s\t%s\t%lld\t%s\n", row->seq, row->time, row->repo,
		*row->user ? row->user : "-", row->size, row->oid);
	return 0;
}

int admin_uploads(const char *data_dir, const char *since, const char *repo, FILE *out,
		  struct err *err)
{
	struct meta_reader *r = NULL;
	int rc;

	if ((rc = meta_reader_open(&r, data_dir, err)) < 0)
		return rc;
	rc = meta_reader_journal(r, since, repo, print_upload, out, err);
	meta_reader_close(r, NULL);
	return rc;
}

struct counts {
	long long objects, bytes, misplaced;
};

static int count_file(const struct mirror_verify_item *it, void *arg)
{
	struct counts *c = arg;

	if (it->status == MIRROR_VERIFY_MISPLACED) {
		c->misplaced++;
	} else {
		c->objects++;
		c->bytes += it->size;
	}
	return 0;
}

int admin_stats(const char *data_dir, FILE *out, struct err *err)
{
	struct counts c = { 0, 0, 0 };
	struct meta_counts mc;
	struct meta_reader *r = NULL;
	int rc;

	if ((rc = meta_reader_open(&r, data_dir, err)) < 0)
		return rc;
	rc = meta_reader_counts(r, &mc, err);
	meta_reader_close(r, NULL);
	if (rc < 0)
		return rc;
	if ((rc = mirror_verify_walk(data_dir, false, count_file, &c, err)) < 0)
		return rc;
	fprintf(out, "objects: %lld\nbytes: %lld\nrepos: %lld\njournal rows: %lld\n"
		"feed rows: %lld\nlocks: %lld\nmisplaced files: %lld\n",
		c.objects, c.bytes, mc.repos, mc.journal, mc.feed, mc.locks, c.misplaced);
	return 0;
}

static int print_repo(const char *repo, long long objects, long long bytes, void *arg)
{
	fprintf(arg, "%s\t%lld\t%lld\n", repo, objects, bytes);
	return 0;
}

int admin_repos(const char *data_dir, FILE *out, struct err *err)
{
	struct meta_reader *r = NULL;
	int rc;

	if ((rc = meta_reader_open(&r, data_dir, err)) < 0)
		return rc;
	rc = meta_reader_repos(r, print_repo, out, err);
	meta_reader_close(r, NULL);
	return rc;
}
