/* site: the install's record of the public directory and base URL (see
 * site.h). */
#include "cgi/site.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A record is a few hundred bytes; anything bigger is not ours. */
#define SITE_MAX (64 * 1024)

void cgi_site_release(struct cgi_site *site)
{
	if (!site)
		return;
	free(site->public_dir);
	free(site->base_url);
	site->public_dir = site->base_url = NULL;
}

int cgi_site_read(const char *data, struct cgi_site *out, struct err *err)
{
	char path[4096];
	char *text = NULL;
	json_t *root;
	json_error_t jerr;
	const char *dir, *url;

	memset(out, 0, sizeof(*out));
	if (snprintf(path, sizeof(path), "%s/%s", data, CGI_SITE_FILE) >= (int)sizeof(path))
		return err_set(err, ERR_IO, "data dir path too long");
	if (util_read_file(path, SITE_MAX, &text, NULL) < 0) {
		if (errno == ENOENT)
			return err_set(err, ERR_NOTFOUND,
				       "%s does not exist: run `lfs-cgi install` first", path);
		return err_set_errno(err, ERR_IO, "cannot read %s", path);
	}
	root = json_loads(text, 0, &jerr);
	free(text);
	if (!root)
		return err_set(err, ERR_IO, "%s:%d: %s", path, jerr.line, jerr.text);
	if (json_unpack(root, "{s:s, s:s}", "public_dir", &dir, "base_url", &url) != 0 ||
	    dir[0] != '/') {
		json_decref(root);
		return err_set(err, ERR_IO, "%s: not a record written by `lfs-cgi install`", path);
	}
	out->public_dir = strdup(dir);
	out->base_url = strdup(url);
	json_decref(root);
	if (!out->public_dir || !out->base_url) {
		cgi_site_release(out);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	return 0;
}

int cgi_site_replace_file(const char *path, const void *data, size_t len, unsigned mode,
			  struct err *err)
{
	if (util_replace_file(path, data, len, mode) < 0)
		return err_set_errno(err, ERR_IO, "cannot write %s", path);
	return 0;
}

int cgi_site_write(const char *data, const struct cgi_site *site, struct err *err)
{
	char path[4096];
	char *text;
	json_t *root;
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", data, CGI_SITE_FILE) >= (int)sizeof(path))
		return err_set(err, ERR_IO, "data dir path too long");
	root = json_pack("{s:s, s:s}", "public_dir", site->public_dir, "base_url", site->base_url);
	text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
	json_decref(root);
	if (!text)
		return err_set(err, ERR_NOMEM, "out of memory");
	rc = cgi_site_replace_file(path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}
