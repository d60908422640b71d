/* Unit tests for lfs-server/admin/backup.c and admin_repos: a data dir
 * made with the store and meta modules (the server's own writers), a
 * backup of it beside an open meta connection, and the per-repo counts. */
#include "admin/admin.h"
#include "meta/meta.h"
#include "sha256.h"
#include "store/store.h"
#include "tap.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/admin-backup-unit-XXXXXX";
static char data[256];

struct obj {
	const char *content;
	char oid[OID_HEX_LEN + 1];
};

static struct obj objs[] = { { "first object\n", "" }, { "second, shared\n", "" }, { "", "" } };

static int put(struct store *s, struct obj *o)
{
	struct sha256 *h = NULL;
	struct store_put *p = NULL;
	struct err err = ERR_INIT;
	size_t len = strlen(o->content);
	long long size;

	if (sha256_new(&h, &err) < 0 || sha256_update(h, o->content, len, &err) < 0 ||
	    sha256_final_hex(h, o->oid, &err) < 0) {
		sha256_free(h);
		return -1;
	}
	sha256_free(h);
	if (store_put_begin(&p, s, o->oid, (long long)len, &err) < 0)
		return -1;
	if (store_put_write(p, o->content, len, &err) < 0) {
		store_put_abort(p);
		return -1;
	}
	return store_put_commit(p, &size, &err);
}

static void path_of(char *out, size_t n, const char *root, const char *oid)
{
	snprintf(out, n, "%s/objects/%.2s/%.2s/%s", root, oid, oid + 2, oid);
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

/* Runs admin_backup into dir/name; returns its code, output in out. */
static int backup(const char *name, struct admin_backup_result *r, char **out, struct err *err)
{
	char dest[300];
	size_t n = 0;
	FILE *f = open_memstream(out, &n);
	int rc;

	snprintf(dest, sizeof(dest), "%s/%s", dir, name);
	rc = admin_backup(data, dest, f, r, err);
	fclose(f);
	return rc;
}

int main(void)
{
	struct admin_backup_result r;
	struct err err = ERR_INIT;
	struct store *s = NULL;
	struct meta *m = NULL;
	char path[400], path2[400], root[300], *out = NULL;
	struct stat st, st2;
	size_t n = 0;
	FILE *f;
	int fd;

	if (!ok(mkdtemp(dir) != NULL, "temp dir"))
		return tap_done();
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(path, sizeof(path), "%s/meta.db", data);
	if (!ok(store_attach(&s, data, &err) == 0 && meta_open(&m, path, 1, &err) == 0, "data dir: %s", err.msg))
		return tap_done();
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++)
		ok(put(s, &objs[i]) == 0, "object %zu stored", i);
	ok(meta_add_object(m, "b/two", objs[0].oid, 13, "alice", true, &err) == 0 &&
	   meta_add_object(m, "b/two", objs[1].oid, 15, "alice", false, &err) == 0 &&
	   meta_add_object(m, "a/one", objs[1].oid, 15, "", false, &err) == 0 &&
	   meta_add_object(m, "a/one", objs[2].oid, 0, "bob", false, &err) == 0, "rows: %s", err.msg);

	/* repos: bytewise by name, a shared object in each */
	f = open_memstream(&out, &n);
	is_int(admin_repos(data, f, &err), 0, "repos");
	fclose(f);
	is_str(out, "a/one\t2\t15\nb/two\t2\t28\n", "repos: one line per repo");
	free(out);
	out = NULL;

	/* A backup beside the open connection (as beside a running server). */
	is_int(backup("b1", &r, &out, &err), 0, "backup into a new dir");
	is_str(out, "", "backup: nothing to report");
	free(out);
	is_int(r.schema, meta_schema_version(), "backup: schema");
	is_int(r.journal, 4, "backup: journal rows");
	is_int(r.objects, 3, "backup: every object, once");
	is_int(r.bytes, 28, "backup: bytes");
	is_int(r.linked, 3, "backup: hard links on one file system");
	is_int(r.copied, 0, "backup: no copies");
	is_int(r.problems, 0, "backup: no problems");
	ok(!r.secret, "backup: no secret to copy");
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		path_of(path, sizeof(path), data, objs[i].oid);
		snprintf(root, sizeof(root), "%s/b1", dir);
		path_of(path2, sizeof(path2), root, objs[i].oid);
		ok(stat(path, &st) == 0 && stat(path2, &st2) == 0 && st.st_ino == st2.st_ino &&
		   st2.st_nlink == 2, "object %zu linked", i);
	}
	snprintf(path, sizeof(path), "%s/b1/meta.db", dir);
	ok(access(path, F_OK) == 0, "backup: meta.db");

	/* The secret, 0600; an empty DEST directory is fine. */
	snprintf(path, sizeof(path), "%s/secret", data);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ok(fd >= 0 && write(fd, "0123456789abcdef0123456789abcdef", 32) == 32, "secret written");
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/b2", dir);
	mkdir(path, 0755);
	is_int(backup("b2/", &r, &out, &err), 0, "backup into an empty dir");
	free(out);
	ok(r.secret, "backup: secret copied");
	snprintf(path, sizeof(path), "%s/b2/secret", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 32, "backup: secret 0600");

	/* DEST not empty: refused, nothing written. */
	is_int(backup("b2", &r, &out, &err), ERR_EXISTS, "a non-empty DEST is refused");
	free(out);
	ok(strstr(err.msg, "not empty") != NULL, "  saying so: %s", err.msg);
	is_int(backup("b3", &r, &out, &err), 0, "backup b3");
	free(out);
	snprintf(root, sizeof(root), "%s/b3", dir);
	path_of(path, sizeof(path), root, objs[0].oid);
	ok(stat(path, &st) == 0 && st.st_nlink == 4, "three backups: four links");

	/* A row whose file is gone: reported, counted, the backup still made. */
	path_of(path, sizeof(path), data, objs[0].oid);
	unlink(path);
	is_int(backup("b4", &r, &out, &err), 0, "backup with a missing object");
	is_int(r.problems, 1, "  one problem");
	is_int(r.objects, 2, "  the others placed");
	ok(out && strncmp(out, "missing: objects/", 17) == 0 && strstr(out, objs[0].oid), "  named: %s",
	   out ? out : "");
	free(out);

	/* Not a data dir: nothing created. */
	snprintf(data, sizeof(data), "%s/nope", dir);
	ok(backup("b5", &r, &out, &err) < 0, "DATA without meta.db: error");
	free(out);
	snprintf(path, sizeof(path), "%s/b5", dir);
	ok(access(path, F_OK) != 0, "  nothing created");

	meta_close(m);
	store_close(s);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
