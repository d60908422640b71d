/* progress: the one-line transfer meter on stderr, shown only when
 * stderr is a terminal, e.g.
 *     Uploading LFS objects:  67% (4/6), 12 MB | 3.4 MB/s */
#ifndef LFS_HOOKS_PROGRESS_H
#define LFS_HOOKS_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct progress {
	const char *label;
	bool show;
	int files, files_done;
	long long bytes, bytes_done;
	struct timespec start, last;
	bool drawn;
	int width; /* of the last line drawn */
};

/* Starts a meter for files objects of bytes bytes in total. */
void progress_start(struct progress *p, const char *label, int files, long long bytes);
void progress_bytes(struct progress *p, long long n);
void progress_file_done(struct progress *p);
/* Draws the final state, ending the line with ", done." when ok. */
void progress_finish(struct progress *p, bool ok);

/* "12 MB", "1.5 GB", "512 B" (decimal units, as git-lfs prints). */
void progress_format_bytes(char *out, size_t outsz, double bytes);

#endif
