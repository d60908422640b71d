/* admin: `lfs-admin`'s queries on a data dir: the upload journal since a
 * date, a full consistency check (fsck) and counts (stats).  Everything
 * here only reads: meta.db is opened read-only (WAL lets it run beside a
 * live server) and objects are only opened for reading. */
#ifndef LFS_ADMIN_H
#define LFS_ADMIN_H

#include <sqlite3.h>
#include <stdio.h>

#include "config.h"
#include "err.h"

/* The length of a normalised time, "2026-11-25T10:00:00Z". */
#define ADMIN_TIME_LEN 20

/* Turns a --since argument into the journal's time format (UTC, seconds):
 * "YYYY-MM-DD" is that day's midnight UTC; a full RFC 3339 time
 * ("2026-11-25T10:00:00Z", "…T12:00:00.5+02:00") is converted to UTC,
 * fractions of a second dropped.  ERR_INVALID for anything else,
 * including dates that do not exist. */
int admin_since(char out[ADMIN_TIME_LEN + 1], const char *date, struct err *err);

/* Opens DATA/meta.db read-only (never creating it).  Caller closes with
 * sqlite3_close. */
int admin_db_open(sqlite3 **out, const char *data_dir, struct err *err);

/* Prints the journal rows with time >= since (normalised, or NULL for
 * all), of repo (canonical, or NULL for all), oldest first:
 * "seq\ttime\trepo\tuser\tsize\toid\n", user "-" for anonymous. */
int admin_uploads(const char *data_dir, const char *since, const char *repo, FILE *out,
		  struct err *err);

/* Prints objects and bytes in the store, repos, journal rows, feed rows,
 * locks and misplaced files, one "name: value" line each. */
int admin_stats(const char *data_dir, FILE *out, struct err *err);

/* Checks everything: re-hashes every object, checks every journal and
 * feed row has its object with the recorded size, lists objects without
 * a row (orphans: harmless, reported but not counted), runs SQLite's
 * integrity_check.  Prints one line per finding, then a summary;
 * *problems gets the number of real problems. */
int admin_fsck(const char *data_dir, FILE *out, long long *problems, struct err *err);

/* Prints which [repo] section applies to repo (canonical) under cfg's
 * rules, who may read, write and administer it (the implications
 * applied), and whether it is mirrored: one "name: value" line each. */
int admin_access(const struct config *cfg, const char *repo, FILE *out, struct err *err);

#endif
