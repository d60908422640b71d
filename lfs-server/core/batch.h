/* batch: the Git LFS batch API's decisions, apart from any I/O.
 *
 * batch_parse turns a request body into a list of objects, rejecting the
 * request as a whole (400 syntax, 422 shape, 413 too many, 503 over the
 * JSON budget) or single
 * objects (422 in that object's error).  batch_response turns the parsed
 * request plus what the repository holds into the answer's text, with
 * signed action tokens.  Both are pure and unit-tested. */
#ifndef LFS_BATCH_H
#define LFS_BATCH_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "core/reqjson.h"
#include "buf.h"
#include "core/token.h"
#include "err.h"
#include "oid.h"

#define BATCH_ECHO_MAX 128
/* server.max-batch-objects above this acts as this (docs/security.md):
 * a default 1 MiB body holds at most ~11,000 objects anyway, and git-lfs
 * sends 100 per request. */
#define BATCH_MAX_OBJECTS_CAP 10000

enum batch_op { BATCH_DOWNLOAD, BATCH_UPLOAD };

struct batch_item {
	char oid[BATCH_ECHO_MAX + 1]; /* as sent, truncated; valid iff code == 0 */
	long long size;               /* 0 when not a valid size */
	int code;                     /* 0, or the per-object error status */
	const char *message;          /* static text for code */
};

struct batch_req {
	enum batch_op op;
	size_t n;
	struct batch_item *items; /* owned; release with batch_req_release */
};

/* max_object_size 0 = no limit.  Duplicate oids are answered once.  The
 * body goes through reqjson_parse with batch_shape(max_objects); its cost
 * is taken from hold (NULL: not counted).  A transfers list without
 * "basic" is 422. */
int batch_parse(struct batch_req *out, const char *body, size_t len,
		long long max_objects, long long max_object_size, struct reqjson_hold *hold,
		struct err *err) __attribute__((warn_unused_result));
/* What a batch body of at most max_objects objects may hold. */
void batch_shape(struct reqjson_shape *shape, long long max_objects);
/* batch_parse by way of jansson's tree for every body: the same results,
 * for tests that compare the two readings. */
int batch_parse_tree(struct batch_req *out, const char *body, size_t len,
		     long long max_objects, long long max_object_size, struct reqjson_hold *hold,
		     struct err *err) __attribute__((warn_unused_result));
void batch_req_release(struct batch_req *req);

struct batch_ctx {
	const char *base_url; /* "http://host:port", no trailing slash */
	const char *repo;     /* canonical */
	const char *user;     /* "" = anonymous */
	const struct token_key *key;
	time_t now;
	long long ttl;        /* seconds an action stays valid */
	/* Anonymous may read this repo: download hrefs then need no token
	 * (smaller answers, no signing, and the URLs never expire). */
	bool public_read;
	/* Optional: a public mirror's href for a stored object whose feed seq
	 * is seqs[i] (>= 0); returns 0 when one is healthy and has it. */
	const long long *seqs;
	int (*mirror_href)(void *arg, long long seq, const char *oid, char *out, size_t outsz);
	void *mirror_arg;
	/* Optional: a download href on the object store itself (S3: a
	 * presigned URL), consulted after mirror_href: 0 with the URL in out
	 * and its lifetime in *expires_in (0: no end), ERR_NOTFOUND for "none,
	 * use the server's", another negative code to fail the answer. */
	int (*store_href)(void *arg, const char *oid, bool public_read, char *out, size_t outsz,
			  long long *expires_in, struct err *err);
	void *store_arg;
};

/* stored[i] is the size the repo holds for items[i], or -1.  Writes the
 * answer's JSON text (compact, as json_dumps would print it) into out,
 * which it initialises; on failure out is empty and err set. */
int batch_response(struct buf *out, const struct batch_req *req, const long long *stored,
		   const struct batch_ctx *ctx, struct err *err) __attribute__((warn_unused_result));

/* The most bytes batch_response's text may hold for n objects (signed
 * actions, hrefs on base_url and repo), checked in tests/unit/reqjson.c:
 * taken from the JSON budget before answering, and out's cap. */
long long batch_answer_cost(size_t n, const char *base_url, const char *repo);

/* The href of an object endpoint: BASE/<repo>/info/lfs/objects/<oid>. */
int batch_object_href(char *out, size_t outsz, const char *base_url,
		      const char *repo, const char *oid);

#endif
