/* mirror_health: the cron check's view of the mirrors, for lfs-cgi (see
 * mirror_health.h). */
#include "core/mirror_health.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* A state of a few mirrors is a few kilobytes. */
#define HEALTH_MAX (1024 * 1024)

static int health_path(char *out, size_t outsz, const char *data, struct err *err)
{
	if (snprintf(out, outsz, "%s/%s", data, MIRROR_HEALTH_FILE) >= (int)outsz)
		return err_set(err, ERR_IO, "data dir path too long");
	return 0;
}

int mirror_health_write(const char *data, json_t *mirrors, struct err *err)
{
	char path[4096];
	char *text;
	json_t *root;
	int rc;

	if ((rc = health_path(path, sizeof(path), data, err)) < 0)
		return rc;
	root = json_pack("{s:I, s:O}", "written", (json_int_t)time(NULL), "mirrors", mirrors);
	text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
	json_decref(root);
	if (!text)
		return err_set(err, ERR_NOMEM, "out of memory");
	rc = util_replace_file(path, text, strlen(text), 0600) < 0
		     ? err_set_errno(err, ERR_IO, "cannot write %s", path) : 0;
	free(text);
	return rc;
}

int mirror_health_read(const char *data, json_t **mirrors, long long *written, struct err *err)
{
	char path[4096];
	char *text = NULL;
	json_t *root, *arr;
	json_int_t when;
	json_error_t jerr;
	int rc;

	*mirrors = NULL;
	if ((rc = health_path(path, sizeof(path), data, err)) < 0)
		return rc;
	if (util_read_file(path, HEALTH_MAX, &text, NULL) < 0)
		return errno == ENOENT
			       ? err_set(err, ERR_NOTFOUND, "%s: no mirror check has run", path)
			       : err_set_errno(err, ERR_IO, "cannot read %s", path);
	root = json_loads(text, 0, &jerr);
	free(text);
	if (!root || json_unpack(root, "{s:I, s:o}", "written", &when, "mirrors", &arr) != 0 ||
	    !json_is_array(arr)) {
		json_decref(root);
		return err_set(err, ERR_IO, "%s: not a mirror state written by lfs-admin", path);
	}
	*mirrors = json_incref(arr);
	*written = (long long)when;
	json_decref(root);
	return 0;
}

bool mirror_health_usable(json_t *mirrors, const char *name, long long seq)
{
	size_t i;
	json_t *m;

	json_array_foreach(mirrors, i, m) {
		const char *n = json_string_value(json_object_get(m, "name"));
		if (n && strcmp(n, name) == 0)
			return json_is_true(json_object_get(m, "healthy")) &&
			       json_integer_value(json_object_get(m, "last_seq")) >= seq;
	}
	return false;
}
