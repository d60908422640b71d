/* unpublish: takes a private repo's objects out of the static tree (see
 * unpublish.h).  The tree is walked, not the repo: it is what is public
 * that matters, and it is small next to the metadata. */
#include "cgi/unpublish.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgi/site.h"
#include "cli.h"
#include "core/acl.h"
#include "core/config.h"
#include "core/mirror_verify.h"
#include "core/route.h"
#include "meta/meta.h"
#include "oid.h"
#include "version.h"

static const char usage[] = "usage: lfs-cgi unpublish REPO --config FILE\n";

static const char help[] =
	"Removes from the static tree (PUBLIC_DIR/objects, served to anyone) the\n"
	"objects of REPO, a repository that anonymous may no longer read; objects\n"
	"another publicly readable repository holds stay.  Make the repository\n"
	"private in the config first: a public one is refused.\n"
	"Exit status: 0 done, 1 refused or failed, 2 usage error.\n";

/* oids of the tree, in one flat array */
struct oids {
	char (*v)[OID_HEX_LEN + 1];
	size_t n, cap;
};

static int collect(const struct mirror_verify_item *item, void *arg)
{
	struct oids *o = arg;

	if (item->status != MIRROR_VERIFY_OK || !item->oid)
		return 0;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 1024;
		void *grown = realloc(o->v, cap * sizeof(*o->v));
		if (!grown)
			return ERR_NOMEM;
		o->v = grown;
		o->cap = cap;
	}
	memcpy(o->v[o->n++], item->oid, OID_HEX_LEN + 1);
	return 0;
}

struct repos {
	char **names;
	size_t n;
	const struct acl *acl;
	const char *skip;
};

/* Every other repo anonymous may read. */
static int add_public(const char *repo, long long objects, long long bytes, void *arg)
{
	struct repos *r = arg;
	char **grown;

	(void)objects;
	(void)bytes;
	if (strcmp(repo, r->skip) == 0 || !(acl_rights(r->acl, NULL, repo) & RIGHT_READ))
		return 0;
	if (!(grown = realloc(r->names, (r->n + 1) * sizeof(*grown))))
		return ERR_NOMEM;
	r->names = grown;
	if (!(r->names[r->n] = strdup(repo)))
		return ERR_NOMEM;
	r->n++;
	return 0;
}

#define CHUNK 512

/* Unlinks the tree's copies of the chunk's objects that repo holds and no
 * public repo does; counts what it did. */
static int unpublish_chunk(struct meta *m, const char *tree, const char *repo,
			   const struct repos *pub, const char *const *oids, size_t n,
			   long long *removed, long long *kept, struct err *err)
{
	long long sizes[CHUNK], other[CHUNK];
	bool go[CHUNK];
	int rc;

	if ((rc = meta_repo_sizes(m, repo, oids, n, sizes, NULL, err)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		go[i] = sizes[i] >= 0;
	for (size_t k = 0; k < pub->n; k++) {
		if ((rc = meta_repo_sizes(m, pub->names[k], oids, n, other, NULL, err)) < 0)
			return rc;
		for (size_t i = 0; i < n; i++)
			if (go[i] && other[i] >= 0) {
				go[i] = false;
				(*kept)++;
			}
	}
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX], rel[OID_PATH_LEN];
		if (!go[i])
			continue;
		oid_path(rel, oids[i]);
		snprintf(path, sizeof(path), "%s/objects/%s", tree, rel);
		if (unlink(path) < 0 && errno != ENOENT)
			return err_set_errno(err, ERR_IO, "cannot remove %s", path);
		(*removed)++;
	}
	return 0;
}

int cgi_unpublish_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	char repo[REPO_MAX + 1];
	struct config cfg;
	struct acl *acl = NULL;
	struct meta *m = NULL;
	struct cgi_site site = { 0 };
	struct oids tree = { 0 };
	struct repos pub = { 0 };
	struct err err = ERR_INIT;
	long long removed = 0, kept = 0;
	bool cfg_loaded = false;
	int c, rc = 1;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'h': fputs(usage, stdout); fputs(help, stdout); return 0;
		case 'V': printf("lfs-cgi %s\n", LFS_VERSION); return 0;
		default: return cli_usage_error("lfs-cgi", usage, "unpublish: unknown option or missing argument");
		}
	}
	if (optind != argc - 1 || !config)
		return cli_usage_error("lfs-cgi", usage, "unpublish needs one REPO and --config");
	if (route_repo(repo, argv[optind], strlen(argv[optind]), &err) < 0)
		return cli_usage_error("lfs-cgi", usage, err.msg);
	if (config_init(&cfg, &err) < 0)
		goto fail;
	cfg_loaded = true;
	if (config_load(&cfg, config, &err) < 0 || acl_load(&acl, cfg.git, &err) < 0)
		goto fail;
	if (acl_rights(acl, NULL, repo) & RIGHT_READ) {
		err_set(&err, ERR_INVALID,
			"%s is still readable by anyone under %s: make it private there first "
			"(else its next upload publishes again)", repo, config);
		goto fail;
	}
	if (cgi_site_read(cfg.data, &site, &err) < 0 ||
	    meta_open_configured(&m, &cfg, 1, &err) < 0)
		goto fail;
	pub.acl = acl;
	pub.skip = repo;
	if ((rc = mirror_verify_walk(site.public_dir, false, collect, &tree, &err)) < 0 ||
	    (rc = meta_repo_counts(m, INT_MAX, add_public, &pub, NULL, &err)) < 0) {
		if (rc == ERR_NOMEM && !err.msg[0])
			err_set(&err, ERR_NOMEM, "out of memory");
		rc = 1;
		goto fail;
	}
	for (size_t i = 0; i < tree.n; i += CHUNK) {
		const char *chunk[CHUNK];
		size_t n = tree.n - i < CHUNK ? tree.n - i : CHUNK;
		for (size_t k = 0; k < n; k++)
			chunk[k] = tree.v[i + k];
		if (unpublish_chunk(m, site.public_dir, repo, &pub, chunk, n, &removed, &kept,
				    &err) < 0)
			goto fail;
	}
	printf("unpublished %s: removed %lld object%s from %s/objects, kept %lld that "
	       "public repositories hold\n", repo, removed, removed == 1 ? "" : "s",
	       site.public_dir, kept);
	rc = fflush(stdout) == 0 ? 0 : 1;
	goto out;
fail:
	fprintf(stderr, "lfs-cgi: %s\n", err.msg);
	rc = 1;
out:
	for (size_t i = 0; i < pub.n; i++)
		free(pub.names[i]);
	free(pub.names);
	free(tree.v);
	meta_close(m);
	acl_free(acl);
	cgi_site_release(&site);
	if (cfg_loaded)
		config_release(&cfg);
	return rc;
}
