/* Unit tests for lfs-server/store/s3.c without a store: what
 * store_s3_connect accepts and refuses (credentials, s3.public-url), and
 * the download URLs it makes (path style, virtual-hosted, prefix, public
 * location).  Nothing here sends a request. */
#include "store/s3.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char oid[] = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

static void setup(struct config *cfg, const char *endpoint, const char *prefix, bool path_style,
		  const char *public_url)
{
	struct err err = ERR_INIT;

	if (config_init(cfg, &err) < 0 || config_set_str(&cfg->s3_endpoint, endpoint, &err) < 0 ||
	    config_set_str(&cfg->s3_bucket, "tock-lfs", &err) < 0 ||
	    config_set_str(&cfg->s3_prefix, prefix, &err) < 0 ||
	    config_set_str(&cfg->s3_public_url, public_url, &err) < 0)
		abort(); /* setup: nothing to test without it */
	cfg->s3_path_style = path_style;
}

/* The href store_href gives for oid, public_read false: into out. */
static int href(const char *endpoint, const char *prefix, bool path_style, char *out, size_t outsz,
		long long *expires)
{
	struct config cfg;
	struct store *s = NULL;
	struct err err = ERR_INIT;
	int rc;

	setup(&cfg, endpoint, prefix, path_style, NULL);
	if ((rc = store_s3_connect(&s, &cfg, &err)) == 0)
		rc = store_href(s, oid, false, out, outsz, expires, &err);
	store_close(s);
	config_release(&cfg);
	return rc;
}

static bool starts(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) == 0)
		return true;
	printf("# got %s\n# want %s...\n", s, prefix);
	return false;
}

int main(void)
{
	static const struct {
		const char *endpoint, *prefix;
		bool path_style;
		const char *want;
	} rows[] = {
		{ "http://127.0.0.1:4568", NULL, true,
		  "http://127.0.0.1:4568/tock-lfs/objects/2c/f2/2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F" },
		{ "https://s3.eu-west-1.amazonaws.com", "lfs", false,
		  "https://tock-lfs.s3.eu-west-1.amazonaws.com/lfs/objects/2c/f2/2cf24dba" },
		{ "https://s3.eu-west-1.amazonaws.com", "/a b/", false,
		  "https://tock-lfs.s3.eu-west-1.amazonaws.com/a%20b/objects/2c/f2/" },
		{ "http://localhost:3900", "x/y", true, "http://localhost:3900/tock-lfs/x/y/objects/2c/f2/" },
	};
	static const struct {
		const char *public_url, *want; /* want NULL: accepted */
	} pubs[] = {
		{ "http://127.0.0.1:4568/tock-public", NULL },
		{ "http://127.0.0.1:4568/tock-public/lfs/", NULL },
		{ "http://tock-public.127.0.0.1:4568/lfs", NULL },
		{ "http://127.0.0.1:4568/tock-lfs/pub", NULL },
		{ "http://127.0.0.1:4568/tock-lfs", "would show the private objects" },
		{ "http://127.0.0.1:4568/tock-lfs/", "would show the private objects" },
		{ "http://127.0.0.1:4568/tock-lfs/objects", "would show the private objects" },
		{ "http://127.0.0.1:4569/tock-public", "must name a bucket on s3.endpoint" },
		{ "https://cdn.example.org/tock-public", "must name a bucket on s3.endpoint" },
		{ "http://127.0.0.1:4568", "must name a bucket on s3.endpoint" },
	};
	char out[2048];
	long long expires = -1;
	struct config cfg;
	struct store *s = NULL;
	struct err err = ERR_INIT;

	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		out[0] = '\0';
		if (is_int(href(rows[i].endpoint, rows[i].prefix, rows[i].path_style, out, sizeof(out), &expires), 0,
			   "href: made"))
			ok(starts(out, rows[i].want) && strstr(out, "&X-Amz-Expires=600&") &&
			   strstr(out, "&X-Amz-Signature="), "href %zu: %s...", i, rows[i].want);
		else
			ok(false, "href %zu: %s...", i, rows[i].want);
	}
	ok(expires > 540 && expires <= 600, "expires_in: what is left of 600 s (%lld)", expires);
	is_int(href("http://127.0.0.1:4568", NULL, true, out, 100, &expires), ERR_INVALID,
	       "an href that does not fit is refused, not cut");

	for (size_t i = 0; i < sizeof(pubs) / sizeof(pubs[0]); i++) {
		int rc;
		setup(&cfg, "http://127.0.0.1:4568", NULL, true, pubs[i].public_url);
		err_clear(&err);
		rc = store_s3_connect(&s, &cfg, &err);
		if (pubs[i].want)
			ok(rc == ERR_INVALID && strstr(err.msg, pubs[i].want), "public-url %s refused: %s",
			   pubs[i].public_url, err.msg);
		else
			ok(rc == 0, "public-url %s accepted (%s)", pubs[i].public_url, err.msg);
		if (rc == 0)
			store_close(s);
		s = NULL;
		config_release(&cfg);
	}

	/* Credentials: a key id without its secret file is refused. */
	setup(&cfg, "http://127.0.0.1:4568", NULL, true, NULL);
	if (config_set_str(&cfg.s3_access_key_id, "AKIDEXAMPLE", &err) < 0)
		abort();
	err_clear(&err);
	ok(store_s3_connect(&s, &cfg, &err) == ERR_INVALID && strstr(err.msg, "no S3 credentials"),
	   "a key id without s3.secret-key-file is refused (%s)", err.msg);
	config_release(&cfg);
	unsetenv("AWS_SECRET_ACCESS_KEY");
	setup(&cfg, "http://127.0.0.1:4568", NULL, true, NULL);
	err_clear(&err);
	ok(store_s3_connect(&s, &cfg, &err) == ERR_INVALID && strstr(err.msg, "no S3 credentials") &&
	   !strstr(err.msg, "AKIDEXAMPLE"), "no secret anywhere: refused, the key id not echoed (%s)", err.msg);
	config_release(&cfg);
	return tap_done();
}
