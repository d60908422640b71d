/* backends: stand-ins for the storage and metadata backends lfs-cgi does
 * not serve.  The backend tables (store/store.c, meta/meta.c) name every
 * backend of the build; the S3 store needs libcurl and the PostgreSQL
 * metadata libpq, neither of which a portable CGI links.  lfs-cgi's link
 * names this object before the core library, so these definitions are
 * the ones the tables get and the real backends' objects are never
 * pulled in (the same way as cgi/mirrors.c).  cgi.c refuses such a
 * config before anything is opened; should one be reached anyway, it
 * fails plainly.  Until those backends exist in this tree, nothing
 * refers to these. */
#include "meta/meta.h"
#include "store/store.h"

extern const struct store_ops store_s3_ops;
extern const struct meta_ops meta_postgresql_ops;

static int no_store(struct store **out, const struct config *cfg, const char *holder,
		    struct err *err)
{
	(void)cfg;
	(void)holder;
	*out = NULL;
	return err_set(err, ERR_INVALID, "storage.type s3: lfs-cgi serves local storage only");
}

static int no_meta(struct meta **out, const struct config *cfg, int pool_size, struct err *err)
{
	(void)cfg;
	(void)pool_size;
	*out = NULL;
	return err_set(err, ERR_INVALID, "meta.type postgresql: lfs-cgi serves sqlite metadata only");
}

const struct store_ops store_s3_ops = { .name = "s3", .open = no_store };
const struct meta_ops meta_postgresql_ops = { .name = "postgresql", .open = no_meta };
