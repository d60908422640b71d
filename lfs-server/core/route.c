/* route: request path to repository and endpoint (see route.h). */
#include "core/route.h"

#include <string.h>
#include <strings.h>

static bool seg_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int route_repo(char *out, const char *in, size_t len, struct err *err)
{
	size_t seg_start = 0;

	if (len >= 4 && memcmp(in + len - 4, ".git", 4) == 0)
		len -= 4;
	if (len == 0 || len > REPO_MAX)
		return err_set(err, ERR_INVALID, "invalid repository path");
	for (size_t i = 0; i <= len; i++) {
		if (i == len || in[i] == '/') {
			size_t n = i - seg_start;
			const char *s = in + seg_start;
			if (n == 0 || (n == 1 && s[0] == '.') ||
			    (n == 2 && s[0] == '.' && s[1] == '.') || s[0] == '_')
				return err_set(err, ERR_INVALID, "invalid repository path");
			seg_start = i + 1;
		} else if (!seg_char(in[i])) {
			return err_set(err, ERR_INVALID, "invalid repository path");
		}
	}
	memcpy(out, in, len);
	out[len] = '\0';
	return 0;
}

static bool lock_id_ok(const char *s, size_t n)
{
	if (n == 0 || n > LOCK_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

static int not_found(struct err *err)
{
	return err_set(err, ERR_NOTFOUND, "not found");
}

/* The part after "<repo>/info/lfs". */
static int parse_lfs(struct route *out, const char *rest, struct err *err)
{
	if (strcmp(rest, "/objects/batch") == 0) {
		out->kind = ROUTE_BATCH;
	} else if (strcmp(rest, "/objects/verify") == 0) {
		out->kind = ROUTE_VERIFY;
	} else if (strncmp(rest, "/objects/", 9) == 0) {
		if (!oid_valid(rest + 9))
			return err_set(err, ERR_NOTFOUND, "invalid object id");
		memcpy(out->oid, rest + 9, OID_HEX_LEN + 1);
		out->kind = ROUTE_OBJECT;
	} else if (strcmp(rest, "/locks") == 0) {
		out->kind = ROUTE_LOCKS;
	} else if (strcmp(rest, "/locks/verify") == 0) {
		out->kind = ROUTE_LOCKS_VERIFY;
	} else if (strncmp(rest, "/locks/", 7) == 0) {
		const char *id = rest + 7, *slash = strchr(id, '/');
		if (!slash || strcmp(slash, "/unlock") != 0 || !lock_id_ok(id, (size_t)(slash - id)))
			return not_found(err);
		memcpy(out->lock_id, id, (size_t)(slash - id));
		out->lock_id[slash - id] = '\0';
		out->kind = ROUTE_LOCK_UNLOCK;
	} else {
		return not_found(err);
	}
	return 0;
}

int route_parse(struct route *out, const char *path, struct err *err)
{
	const char *lfs;

	memset(out, 0, sizeof(*out));
	if (!path || path[0] != '/')
		return not_found(err);
	if (strcmp(path, "/healthz") == 0) {
		out->kind = ROUTE_HEALTHZ;
		return 0;
	}
	if (strcmp(path, "/metrics") == 0) {
		out->kind = ROUTE_METRICS;
		return 0;
	}
	if (strcmp(path, "/_lfs/status") == 0) {
		out->kind = ROUTE_STATUS;
		return 0;
	}
	if (strcmp(path, "/_lfs/journal") == 0) {
		out->kind = ROUTE_JOURNAL;
		return 0;
	}
	if (strncmp(path, "/_lfs/objects/", 14) == 0) {
		if (!oid_valid(path + 14))
			return err_set(err, ERR_NOTFOUND, "invalid object id");
		memcpy(out->oid, path + 14, OID_HEX_LEN + 1);
		out->kind = ROUTE_FEED_OBJECT;
		return 0;
	}
	lfs = strstr(path, "/info/lfs/");
	if (!lfs || lfs == path)
		return not_found(err);
	if (route_repo(out->repo, path + 1, (size_t)(lfs - path - 1), NULL) < 0)
		return err_set(err, ERR_NOTFOUND, "invalid repository path");
	return parse_lfs(out, lfs + 9, err);
}

const char *route_allow(enum route_kind kind)
{
	switch (kind) {
	case ROUTE_HEALTHZ: return "GET, HEAD";
	case ROUTE_OBJECT: return "GET, HEAD, PUT";
	case ROUTE_LOCKS: return "GET, POST";
	case ROUTE_JOURNAL:
	case ROUTE_FEED_OBJECT:
	case ROUTE_METRICS:
	case ROUTE_STATUS: return "GET, HEAD";
	case ROUTE_BATCH:
	case ROUTE_VERIFY:
	case ROUTE_LOCKS_VERIFY:
	case ROUTE_LOCK_UNLOCK: return "POST";
	case ROUTE_NONE: break;
	}
	return "";
}

bool route_method_ok(enum route_kind kind, const char *method)
{
	const char *allow = route_allow(kind);
	size_t n = strlen(method);

	for (const char *p = allow; (p = strstr(p, method)) != NULL; p += n)
		if ((p == allow || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

const char *route_name(enum route_kind kind)
{
	switch (kind) {
	case ROUTE_HEALTHZ: return "healthz";
	case ROUTE_BATCH: return "batch";
	case ROUTE_OBJECT: return "object";
	case ROUTE_VERIFY: return "verify";
	case ROUTE_LOCKS: return "locks";
	case ROUTE_LOCKS_VERIFY: return "locks_verify";
	case ROUTE_LOCK_UNLOCK: return "lock_unlock";
	case ROUTE_JOURNAL: return "journal";
	case ROUTE_FEED_OBJECT: return "feed_object";
	case ROUTE_METRICS: return "metrics";
	case ROUTE_STATUS: return "status";
	case ROUTE_NONE: break;
	}
	return "none";
}
