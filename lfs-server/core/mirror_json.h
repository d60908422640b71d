/* mirror_json: the two JSON documents lfs-mirror reads and writes, with no
 * I/O: a page of the server's mirror feed (GET /_lfs/journal) and a mirror
 * tree's mirror-state.json.  Both come from outside the process, so every
 * field is checked here before anything acts on it. */
#ifndef LFS_MIRROR_JSON_H
#define LFS_MIRROR_JSON_H

#include <stddef.h>

#include "err.h"
#include "oid.h"

/* The mirror-state.json format version this code reads and writes. */
#define MIRROR_STATE_VERSION 1
/* Longest mirror-state.json we accept (it is a few dozen bytes). */
#define MIRROR_STATE_MAX 4096

/* One feed entry: the object oid, of size bytes, became public as seq. */
struct mirror_entry {
	long long seq, size;
	char oid[OID_HEX_LEN + 1];
};

/* Parses a feed page {"entries":[{"seq","oid","size","time"}],"next"}.
 * Fills up to max entries into out and *n_out; *next_out is the page's
 * "next" (the seq to ask after for the following page) or -1 when it is
 * null.  Entries must have valid oids, sizes >= 0 and seqs increasing and
 * greater than after; a non-null next must be the last entry's seq.
 * ERR_SYNTAX when the text is not JSON, ERR_INVALID for any other breach
 * (including more than max entries); out is then unspecified. */
int mirror_json_parse_page(const char *text, size_t len, long long after,
			   struct mirror_entry *out, size_t max, size_t *n_out,
			   long long *next_out, struct err *err) __attribute__((warn_unused_result));

/* Parses mirror-state.json into *last_seq.  ERR_SYNTAX when it is not
 * JSON, ERR_INVALID for another version or a missing/negative last_seq. */
int mirror_json_parse_state(const char *text, size_t len, long long *last_seq,
			    struct err *err) __attribute__((warn_unused_result));

/* Writes {"version":1,"last_seq":N,"updated_at":"<RFC 3339 UTC of now>"}
 * and a newline into out (outsz bytes).  ERR_TOOBIG when it does not fit.
 * now is a Unix time, so tests can pin it. */
int mirror_json_format_state(char *out, size_t outsz, long long last_seq, long long now,
			     struct err *err) __attribute__((warn_unused_result));

#endif
