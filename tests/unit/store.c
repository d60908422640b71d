/* Unit tests for lfs-server/store/local.c: DATA/lock, the tmp/ sweep by age,
 * where an upload in flight lives (an anonymous file, or a named temp in
 * tmp/), and uploads of an object the store already holds. */
#include "store/store.h"
#include "tap.h"

#include <fcntl.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/store-unit-XXXXXX";

static void touch(const char *name, time_t age)
{
	char path[256];
	struct timespec ts[2];
	int fd;

	snprintf(path, sizeof(path), "%s/tmp/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (fd >= 0) {
		futimens(fd, ts);
		close(fd);
	}
}

static bool exists(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/tmp/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* Uploads "hello\n" (its oid below); returns commit's result. */
static const char hello_oid[] = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

static int put_hello(struct store *s, struct err *err)
{
	struct store_put *p = NULL;
	long long size = -1;
	int rc;

	if ((rc = store_put_begin(&p, s, hello_oid, 6, err)) < 0)
		return rc;
	if ((rc = store_put_write(p, "hello\n", 6, err)) < 0) {
		store_put_abort(p);
		return rc;
	}
	rc = store_put_commit(p, &size, err);
	return rc < 0 ? rc : size == 6 ? 0 : -100;
}

static int count_one(const char *oid, long long size, void *arg)
{
	long long *n = arg;

	if (strcmp(oid, hello_oid) == 0 && size == 6)
		(*n)++;
	else
		*n += 1000;
	return 0;
}

/* The backend seam (store.h): get, exists and each through store_local_ops. */
static void seam(struct store *s)
{
	static const char absent[] = "0000000000000000000000000000000000000000000000000000000000000000";
	struct err err = ERR_INIT;
	struct store_object obj = { -1, NULL, -1 };
	long long size = -1, n = 0;
	char buf[8] = "";

	ok(store_backend(NULL) == &store_local_ops && store_backend("local") == &store_local_ops,
	   "local is the default backend");
	ok(store_backend("s3") == &store_s3_ops, "s3 is a backend of this build");
	ok(store_backend("s4") == NULL, "no s4 backend");
	{
		char href[64];
		long long exp = -1;
		is_int(store_href(s, hello_oid, true, href, sizeof(href), &exp, &err), ERR_NOTFOUND,
		       "href: the local store has no URLs of its own");
	}
	is_int(store_exists(s, hello_oid, &size, &err), 0, "exists");
	is_int(size, 6, "exists: size");
	is_int(store_exists(s, absent, NULL, &err), ERR_NOTFOUND, "exists: absent");
	if (is_int(store_get(s, hello_oid, &obj, &err), 0, "get")) {
		ok(obj.fd >= 0 && obj.url == NULL && obj.size == 6, "get: a descriptor, no URL");
		ok(obj.fd >= 0 && read(obj.fd, buf, sizeof(buf)) == 6 && memcmp(buf, "hello\n", 6) == 0,
		   "get: the bytes");
		if (obj.fd >= 0)
			close(obj.fd);
	}
	is_int(store_get(s, absent, &obj, &err), ERR_NOTFOUND, "get: absent");
	is_int(store_each(s, count_one, &n, &err), 0, "each");
	is_int(n, 1, "each: the one object, with its size");
}

/* Files in DATA/tmp (not dot files). */
static int tmp_count(void)
{
	char path[4096];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(path, sizeof(path), "%s/tmp", dir);
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Whether this file system gives anonymous files a name through /proc,
 * as the store's probe does. */
static bool anon_supported(void)
{
	char path[4096], proc[64];
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "%s/tmp", dir);
	if ((fd = open(path, O_TMPFILE | O_RDWR, 0600)) < 0)
		return false;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	snprintf(path, sizeof(path), "%s/tmp/.anon-check", dir);
	ok = linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0;
	unlink(path);
	close(fd);
	return ok;
}

/* An upload of hello (not stored yet) in flight, then aborted: its bytes
 * are in tmp/ only with named temps, and never visible under objects/. */
static void in_flight(struct store *s, bool named, const char *mode)
{
	struct store_put *p = NULL;
	struct err err = ERR_INIT;
	char path[4096];

	snprintf(path, sizeof(path), "%s/objects/58/91/%s", dir, hello_oid);
	if (!ok(store_put_begin(&p, s, hello_oid, 6, &err) == 0, "%s: begin", mode))
		return;
	ok(store_put_write(p, "hel", 3, &err) == 0, "%s: write", mode);
	ok(tmp_count() == (named ? 1 : 0), "%s: in flight, %s", mode,
	   named ? "one temp file in tmp/" : "nothing in tmp/");
	ok(access(path, F_OK) != 0, "%s: in flight, no object visible", mode);
	store_put_abort(p);
	ok(tmp_count() == 0 && access(path, F_OK) != 0, "%s: aborted, nothing left", mode);
}

/* store_put_commit_later (the daemon's way, store.h): an upload of an
 * object the store holds keeps its temp file until the caller releases
 * what the commit left, so freeing its blocks cannot delay the caller's
 * answer; released, it goes, and store_close waits for that.  Named
 * temps, where the file is visible by name.  Closes s. */
static void later_released(struct store *s)
{
	struct store_put *p = NULL;
	struct store_later *later = NULL;
	struct err err = ERR_INIT;
	long long size = -1;

	if (!ok(store_put_begin(&p, s, hello_oid, 6, &err) == 0 &&
		   store_put_write(p, "hello\n", 6, &err) == 0,
		"later: an upload of a stored object")) {
		store_put_abort(p);
		return;
	}
	is_int(store_put_commit_later(p, &size, &later, &err), 0, "later: committed");
	ok(later != NULL && size == 6, "later: something is left to let go of");
	ok(tmp_count() == 1, "later: its temp file is kept until then");
	store_later_release(later);
}

/* Whether DATA/tmp empties within ms milliseconds. */
static bool tmp_empty_within(int ms)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/tmp", dir);
	for (int waited = 0; waited <= ms; waited += 10) {
		DIR *d = opendir(path);
		struct dirent *e;
		bool empty = true;

		if (!d)
			return false;
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				empty = false;
		closedir(d);
		if (empty)
			return true;
		usleep(10000);
	}
	return false;
}

int main(void)
{
	struct store *a = NULL, *b = NULL;
	struct err err = ERR_INIT;
	long long removed = -1;
	char path[256];
	struct stat st1, st2;

	if (!mkdtemp(dir))
		return 1;
	if (!is_int(store_attach(&a, dir, &err), 0, "attach"))
		return tap_done();

	is_int(store_lock(a, "pid 1, listening on http://127.0.0.1:1", &err), 0, "lock");
	if (is_int(store_attach(&b, dir, &err), 0, "a second attach (no lock) works")) {
		is_int(store_lock(b, "pid 2", &err), ERR_CONFLICT, "a second lock is refused");
		ok(strstr(err.msg, "held by pid 1, listening on http://127.0.0.1:1") != NULL,
		   "naming the holder: %s", err.msg);
		store_close(b);
		b = NULL;
	}

	touch("fresh-upload", 10);
	touch("stale-upload", 7200);
	is_int(store_sweep_tmp(a, 3600, &removed, &err), 0, "sweep by age");
	is_int(removed, 1, "one file removed");
	ok(exists("fresh-upload") && !exists("stale-upload"), "only the stale one");
	is_int(store_sweep_tmp(a, 0, &removed, &err), 0, "sweep everything");
	ok(!exists("fresh-upload") && removed == 1, "tmp/ empty (%lld removed)", removed);

	in_flight(a, !anon_supported(), "default");
	setenv("LFS_STORE_NAMED_TEMPS", "1", 1);
	if (is_int(store_attach(&b, dir, &err), 0, "attach with LFS_STORE_NAMED_TEMPS=1")) {
		in_flight(b, true, "named temps");
		store_close(b);
		b = NULL;
	}
	unsetenv("LFS_STORE_NAMED_TEMPS");
	is_int(put_hello(a, &err), 0, "upload");
	snprintf(path, sizeof(path), "%s/objects/58/91/%s", dir, hello_oid);
	ok(stat(path, &st1) == 0 && st1.st_size == 6, "object stored");
	is_int(put_hello(a, &err), 0, "upload of a stored object");
	ok(stat(path, &st2) == 0 && st2.st_ino == st1.st_ino, "object file not replaced");
	/* The temp names go in a thread of their own, off the answer's path
	 * (invariant 4): wait for them, bounded. */
	ok(tmp_empty_within(5000), "no temp file left behind");
	seam(a);

	setenv("LFS_STORE_NAMED_TEMPS", "1", 1);
	if (is_int(store_attach(&b, dir, &err), 0, "attach again with LFS_STORE_NAMED_TEMPS=1")) {
		is_int(put_hello(b, &err), 0, "named temps: upload of a stored object");
		ok(stat(path, &st2) == 0 && st2.st_ino == st1.st_ino, "named temps: object file not replaced");
		ok(tmp_empty_within(5000), "named temps: no temp file left behind");
		later_released(b);
		store_close(b);
		b = NULL;
		ok(tmp_count() == 0, "later: released, it is gone once store_close returns");
	}
	unsetenv("LFS_STORE_NAMED_TEMPS");

	store_close(a);
	if (is_int(store_attach(&b, dir, &err), 0, "attach after close")) {
		is_int(store_lock(b, "pid 3", &err), 0, "the lock is free after store_close");
		store_close(b);
	}
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return tap_done();
}
