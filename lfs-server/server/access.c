/* access: the per-request side of authentication and authorization.
 *
 * identify runs once per request: Basic credentials are checked (after the
 * failed-login throttle), an api token from git-lfs-authenticate names its
 * user, and no Authorization at all means anonymous.  Object transfers
 * carry action tokens, which transfer.c checks itself.
 *
 * require maps a missing right to the status contract.md fixes: anonymous
 * → 401 with LFS-Authenticate (so git-lfs asks for credentials, whether or
 * not the repo exists), a user who may not read → 404 (the same answer as
 * for a repo that does not exist), a reader who wants more → 403. */
#include "server/access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/http.h"
#include "server/server.h"

#define REALM "Basic realm=\"Git LFS\""

enum MHD_Result access_need_credentials(struct req *r, const char *why)
{
	return http_reply_error_hdr(r, 401, "LFS-Authenticate", REALM, "%s", why);
}

static bool identify_bearer(struct req *r, const char *tok, enum MHD_Result *rc)
{
	struct token t;
	struct err err = ERR_INIT;

	if (token_verify(&t, tok, &r->srv->key, time(NULL), &err) < 0) {
		*rc = http_reply_error(r, 403, "%s", err.msg);
		return false;
	}
	if (strcmp(t.kind, "api") != 0 || strcmp(t.repo, r->route.repo) != 0) {
		*rc = http_reply_error(r, 403, "token is not valid for this repository");
		return false;
	}
	snprintf(r->user, sizeof(r->user), "%s", t.user);
	snprintf(r->api_op, sizeof(r->api_op), "%s", t.op);
	r->authenticated = true;
	return true;
}

static void last_xff(const char *key, const char *value, void *arg)
{
	if (strcasecmp(key, "X-Forwarded-For") == 0)
		*(const char **)arg = value;
}

/* The client's address for the failed-login throttle.  Behind a reverse
 * proxy every request comes from the proxy, so one stranger's wrong
 * passwords would lock everyone out: with server.behind-proxy, the
 * address the proxy appended to X-Forwarded-For counts instead.  That is
 * the last value of the last such header line: a client can send lines
 * of its own, and the proxy appends to the last one (nginx) or adds a
 * line after them. */
static const char *client_address(struct req *r, char *buf, size_t bufsz)
{
	const char *xff = NULL, *last;
	size_t n;

	if (!r->srv->cfg->behind_proxy)
		return r->peer;
	http_each_header(r, last_xff, &xff);
	if (!xff)
		return r->peer;
	last = strrchr(xff, ',');
	last = last ? last + 1 : xff;
	last += strspn(last, " \t");
	n = strcspn(last, " \t");
	if (n == 0 || n >= bufsz)
		return r->peer;
	memcpy(buf, last, n);
	buf[n] = '\0';
	return buf;
}

bool access_identify_or_reply(struct req *r, enum MHD_Result *rc)
{
	struct auth *a = r->srv->auth;
	const char *h = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	long long wait = 0;
	char secs[32], addr[64];

	if (!auth_enabled(a) || !h)
		return true;
	if (strncasecmp(h, "Bearer ", 7) == 0) {
		/* Object transfers check their action token in transfer.c. */
		if (r->route.kind == ROUTE_OBJECT)
			return true;
		return identify_bearer(r, h + 7, rc);
	}
	if (strncasecmp(h, "Basic ", 6) != 0) {
		*rc = access_need_credentials(r, "unsupported authorization scheme; use Basic");
		return false;
	}
	switch (auth_basic(a, h + 6, client_address(r, addr, sizeof(addr)), r->user, sizeof(r->user), &wait)) {
	case AUTH_OK:
		r->authenticated = true;
		return true;
	case AUTH_LOCKED:
		snprintf(secs, sizeof(secs), "%lld", wait);
		*rc = http_reply_error_hdr(r, 429, MHD_HTTP_HEADER_RETRY_AFTER, secs,
					   "too many failed logins; retry in %lld seconds", wait);
		return false;
	case AUTH_BAD:
		break;
	}
	r->user[0] = '\0';
	*rc = access_need_credentials(r, "wrong user name or password");
	return false;
}

bool access_require_or_reply(struct req *r, unsigned need, enum MHD_Result *rc)
{
	struct auth *a = r->srv->auth;
	unsigned rights;

	if (!auth_enabled(a))
		return true;
	rights = auth_rights(a, r->authenticated ? r->user : NULL, r->route.repo);
	/* An api token grants no more than the operation it was issued for. */
	if (strcmp(r->api_op, "download") == 0)
		rights &= RIGHT_READ;
	else if (strcmp(r->api_op, "upload") == 0)
		rights &= RIGHT_READ | RIGHT_WRITE;
	if ((rights & need) == need)
		return true;
	if (!r->authenticated)
		*rc = access_need_credentials(r, "credentials needed");
	else if (!(rights & RIGHT_READ))
		*rc = http_reply_error(r, 404, "repository not found");
	else
		*rc = http_reply_error(r, 403, "%s may not %s in this repository", r->user,
				       need & RIGHT_ADMIN ? "administer" : "write");
	return false;
}

/* Loopback, as the peer address reads: 127.0.0.0/8, ::1, and IPv4-mapped
 * 127.x. */
static bool peer_is_loopback(const char *peer)
{
	return strncmp(peer, "127.", 4) == 0 || strcmp(peer, "::1") == 0 ||
	       strncasecmp(peer, "::ffff:127.", 11) == 0;
}

/* need_credentials for a page people open in a browser: WWW-Authenticate
 * as well, so the browser asks for a user name and password. */
static enum MHD_Result need_credentials_browser(struct req *r)
{
	static const char *const extra[] = {
		"LFS-Authenticate", REALM, MHD_HTTP_HEADER_WWW_AUTHENTICATE, REALM, NULL,
	};

	return http_reply_error_hdrs(r, 401, extra, "credentials needed");
}

bool access_operator_or_reply(struct req *r, enum MHD_Result *rc)
{
	const char *readers = r->srv->cfg->metrics_readers;

	if (readers && acl_list_has(readers, r->authenticated ? r->user : NULL))
		return true;
	/* Behind a proxy every request comes from loopback: the address
	 * says nothing about who asks. */
	if (!r->srv->cfg->behind_proxy && peer_is_loopback(r->peer))
		return true;
	if (auth_enabled(r->srv->auth) && !r->authenticated)
		*rc = r->route.kind == ROUTE_STATUS ? need_credentials_browser(r)
						    : access_need_credentials(r, "credentials needed");
	else
		*rc = http_reply_error(r, 404, "not found");
	return false;
}
