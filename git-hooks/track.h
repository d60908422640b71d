/* track: the .gitattributes lines that put paths under Git LFS, written
 * exactly as `git lfs track` writes them:
 *     PATTERN filter=lfs diff=lfs merge=lfs -text */
#ifndef LFS_HOOKS_TRACK_H
#define LFS_HOOKS_TRACK_H

#include <stdbool.h>

#include "err.h"
#include "lfsrepo.h"

/* A pattern as git-lfs writes it into .gitattributes (spaces become
 * [[:space:]], a leading '#' is escaped); caller frees. */
char *track_escape(const char *pattern) __attribute__((warn_unused_result));

/* True when a .gitattributes line puts escaped under filter=lfs. */
bool track_line_tracks(const char *line, const char *escaped);

/* Appends a line for each pattern not yet tracked to the .gitattributes
 * at the work tree root, reporting each on stdout as git-lfs does. */
int track_add(struct lfsrepo *r, char *const *patterns, int n, struct err *err) __attribute__((warn_unused_result));

/* Lists the tracked patterns of the root .gitattributes on stdout. */
int track_list(struct lfsrepo *r, struct err *err) __attribute__((warn_unused_result));

#endif
