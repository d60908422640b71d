/* admin: `lfs-admin`'s queries on a data dir: the upload journal since a
 * date, a full consistency check (fsck), counts (stats, repos) and
 * backups.  Everything here only reads the data dir: meta.db is opened
 * read-only (WAL lets it run beside a live server) and objects are only
 * opened for reading (or hard-linked elsewhere, by a backup). */
#ifndef LFS_ADMIN_H
#define LFS_ADMIN_H

#include <stdbool.h>
#include <stdio.h>

#include "core/config.h"
#include "err.h"

/* The length of a normalised time, "2026-11-25T10:00:00Z". */
#define ADMIN_TIME_LEN 20

/* Turns a --since argument into the journal's time format (UTC, seconds):
 * "YYYY-MM-DD" is that day's midnight UTC; a full RFC 3339 time
 * ("2026-11-25T10:00:00Z", "…T12:00:00.5+02:00") is converted to UTC,
 * fractions of a second dropped.  ERR_INVALID for anything else,
 * including dates that do not exist. */
int admin_since(char out[ADMIN_TIME_LEN + 1], const char *date, struct err *err) __attribute__((warn_unused_result));

/* Prints the journal rows with time >= since (normalised, or NULL for
 * all), of repo (canonical, or NULL for all), oldest first:
 * "seq\ttime\trepo\tuser\tsize\toid\n", user "-" for anonymous. */
int admin_uploads(const char *data_dir, const char *since, const char *repo, FILE *out,
		  struct err *err) __attribute__((warn_unused_result));

/* Prints objects and bytes in the store, repos, journal rows, feed rows,
 * locks and misplaced files, one "name: value" line each. */
int admin_stats(const char *data_dir, FILE *out, struct err *err) __attribute__((warn_unused_result));

/* Prints one line per repo, sorted by name (bytewise):
 * "repo\tobjects\tbytes\n", counting every object the repo holds (an
 * object held by two repos counts in each). */
int admin_repos(const char *data_dir, FILE *out, struct err *err) __attribute__((warn_unused_result));

/* What admin_backup did. */
struct admin_backup_result {
	long long schema;          /* the copied meta.db's schema version */
	long long journal, locks;  /* rows in the copy */
	long long objects, bytes;  /* objects placed in the backup */
	long long linked, copied;  /* how: hard link (same file system) or copy */
	long long problems;        /* rows whose file is missing or of the wrong size in DATA */
	bool secret;               /* DATA/secret was there and copied */
};

/* Backs up data_dir into dest, beside a running server or not, without
 * taking DATA/lock or writing into data_dir: meta.db first (SQLite's
 * online backup API: one consistent snapshot), then the object of every
 * journal and feed row of that snapshot (hard links when dest is on the
 * same file system, else synced copies), then DATA/secret (0600).  dest
 * must not exist or be an empty directory (ERR_EXISTS otherwise, nothing
 * written).  The backup is made in "dest.tmp-XXXXXX" beside dest, synced,
 * and renamed to dest at the end; on failure the temp dir is removed (the
 * message names it when it could not be).  Rows whose object is missing
 * or of the wrong size in data_dir are printed to out, one line each, and
 * counted in res->problems: the backup is still made.  dest is then a
 * data dir a server can be started on. */
int admin_backup(const char *data_dir, const char *dest, FILE *out, struct admin_backup_result *res,
		 struct err *err) __attribute__((warn_unused_result));

/* Checks everything: re-hashes every object, checks every journal and
 * feed row has its object with the recorded size, lists objects without
 * a row (orphans: harmless, reported but not counted), runs SQLite's
 * integrity_check.  Prints one line per finding, then a summary;
 * *problems gets the number of real problems. */
int admin_fsck(const char *data_dir, FILE *out, long long *problems, struct err *err) __attribute__((warn_unused_result));
/* admin_fsck with the objects in store (an S3 bucket: storage.type = s3)
 * instead of DATA/objects: every row's object is checked for presence and
 * size in the store's listing (store_each), orphans listed the same way;
 * objects are not re-hashed (that would download the bucket: the server
 * proves each hash before an object becomes visible).  store NULL: the
 * local store, as admin_fsck. */
struct store;
int admin_fsck_store(const char *data_dir, struct store *store, FILE *out, long long *problems,
		     struct err *err) __attribute__((warn_unused_result));

/* Prints which [repo] section applies to repo (canonical) under cfg's
 * rules, who may read, write and administer it (the implications
 * applied), and whether it is mirrored: one "name: value" line each. */
int admin_access(const struct config *cfg, const char *repo, FILE *out, struct err *err) __attribute__((warn_unused_result));

#endif
