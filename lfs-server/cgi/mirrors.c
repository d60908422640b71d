/* mirrors: core/mirrors.h for lfs-cgi, which has no thread to poll
 * mirrors and links no HTTP client.  Until a verdict reader is written
 * here (the verdicts a cron command records in the metadata), the CGI
 * hands out no mirror hrefs: downloads go to the static tree or the CGI.
 * The daemon links core/mirrors.c instead; lfs-cgi's link names this
 * file's object before the core library, so that one is never pulled in. */
#include "core/mirrors.h"

size_t mirrors_count(const struct mirrors *m)
{
	(void)m;
	return 0;
}

int mirrors_href(struct mirrors *m, long long seq, const char *oid, char *out, size_t outsz)
{
	(void)m;
	(void)seq;
	(void)oid;
	if (outsz)
		out[0] = '\0';
	return ERR_NOTFOUND;
}

json_t *mirrors_status(struct mirrors *m)
{
	(void)m;
	return json_array();
}
