/* server: the running server's shared state (struct server), and the
 * daemon's start and stop.  The layers above it: request and reply
 * (server/http.h), access (server/access.h), the endpoint table
 * (server/endpoint.h); each file includes the ones it uses. */
#ifndef LFS_SERVER_H
#define LFS_SERVER_H

#include <stdbool.h>

#include "core/auth.h"
#include "core/config.h"
#include "core/mirrors.h"
#include "core/reqjson.h"
#include "core/token.h"
#include "err.h"
#include "meta/meta.h"
#include "server/conns.h"
#include "store/store.h"

struct MHD_Daemon;

struct server {
	struct config *cfg;
	struct store *store;
	struct meta *meta;
	struct conns *conns;
	struct auth *auth;
	struct mirrors *mirrors;
	struct token_key key;
	struct MHD_Daemon *daemon;
	char *tls_cert_pem, *tls_key_pem;
	char listen_url[128];  /* http://HOST:PORT, for logs and fallback hrefs */
	long transfers;        /* object GETs and PUTs in progress (atomic) */
	struct reqjson_budget json_budget; /* JSON bodies and trees in flight */
};

/* Starts serving on listen_fd (the daemon owns it from then on). */
int http_start(struct server *srv, int listen_fd, struct err *err) __attribute__((warn_unused_result));
/* Stops accepting, drains for server.shutdown-grace, then stops. */
void http_stop(struct server *srv);

#endif
