/* endpoint: the endpoint table http.c dispatches through, and the pieces
 * endpoints share. */
#ifndef LFS_ENDPOINT_H
#define LFS_ENDPOINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/reqjson.h"
#include "core/route.h"
#include "err.h"
#include "server/http.h"

/* Endpoint handlers (handlers.c, transfer.c, ...): the table http.c
 * dispatches through, knowing nothing of any endpoint.  begin runs on
 * the first call, data on each body piece, end once the body is
 * complete; done (may be NULL) once the request is over, answered or
 * aborted (completed says which), before the access log line: it
 * releases what the endpoint still holds (an unfinished upload, a
 * transfer slot). */
struct handler {
	enum MHD_Result (*begin)(struct req *r);
	void (*data)(struct req *r, const char *data, size_t len);
	enum MHD_Result (*end)(struct req *r);
	void (*done)(struct req *r, bool completed);
};
const struct handler *handlers_for(enum route_kind kind);
extern const struct handler transfer_object_handler; /* transfer.c */
extern const struct handler locks_handler;           /* locks.c */
/* The first step and body collection of endpoints taking JSON: read
 * access, Content-Type (415) and size (413) checks, capped buffer. */
enum MHD_Result handler_json_begin(struct req *r);
void handler_json_data(struct req *r, const char *data, size_t len);
/* Parses the collected body within shape, its cost taken from the JSON
 * budget; false after queueing the refusal (400, 413, 422, 503). */
bool handler_json_parse(struct req *r, const struct reqjson_shape *shape, json_t **root,
			enum MHD_Result *rc);
/* http_reply_err, plus Retry-After for ERR_BUSY (503). */
enum MHD_Result handler_reply_err(struct req *r, const struct err *err);
/* Answers with the stored object (200, or 206/416 per Range) via sendfile. */
enum MHD_Result transfer_send_object(struct req *r, const char *oid);
extern const struct handler feed_journal_handler;    /* feed.c */
extern const struct handler feed_object_handler;     /* feed.c */
extern const struct handler metrics_handler;         /* metrics.c */
extern const struct handler status_handler;          /* status.c */

#endif
