/* static: the CGI's use of the static tree (see static.h).  The web
 * server answers those downloads without starting a process: fast,
 * cacheable, Range for free. */
#include "cgi/static.h"

#include <stdio.h>
#include <string.h>

#include "cgi/publish.h"
#include "core/batch.h"
#include "log.h"
#include "server/http.h"
#include "server/server.h"

static bool public_repo(struct req *r)
{
	return (auth_rights(r->srv->auth, NULL, r->route.repo) & RIGHT_READ) != 0;
}

/* BASE_URL of the install: the directory holding the CGI's URL. */
static bool tree_url(struct req *r, char *out, size_t outsz)
{
	char *slash;

	http_base_url(r, out, outsz);
	slash = strrchr(out, '/');
	if (!slash || slash - out < 8) /* never cut into "https://" */
		return false;
	*slash = '\0';
	return true;
}

void cgi_static_batch(struct req *r, struct publish *pub, json_t *answer)
{
	char base[1024], tree[1024], own[2048], href[2048], rel[OID_PATH_LEN];
	json_t *objects = json_object_get(answer, "objects"), *o;
	struct err err = ERR_INIT;
	size_t i;

	if (!json_is_array(objects) || !public_repo(r) || !tree_url(r, tree, sizeof(tree)))
		return;
	http_base_url(r, base, sizeof(base));
	json_array_foreach(objects, i, o) {
		json_t *dl = json_object_get(json_object_get(o, "actions"), "download");
		const char *oid = json_string_value(json_object_get(o, "oid"));
		const char *cur = json_string_value(json_object_get(dl, "href"));

		if (!cur || !oid || !oid_valid(oid) ||
		    batch_object_href(own, sizeof(own), base, r->route.repo, oid) < 0 || strcmp(cur, own) != 0)
			continue;
		if (publish_object(pub, oid, &err) < 0) {
			log_warn("%s cannot place %s in the static tree: %s", r->id, oid, err.msg);
			err_clear(&err);
			continue;
		}
		oid_path(rel, oid);
		snprintf(href, sizeof(href), "%s/objects/%s", tree, rel);
		json_object_set_new(dl, "href", json_string(href));
	}
}

void cgi_static_upload(struct req *r, struct publish *pub)
{
	struct err err = ERR_INIT;

	if (public_repo(r) && publish_object(pub, r->route.oid, &err) < 0)
		log_warn("%s cannot place %s in the static tree: %s", r->id, r->route.oid, err.msg);
}
