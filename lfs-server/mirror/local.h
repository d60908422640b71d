/* mirror_local: the local side of `lfs-mirror sync --from DATA_DIR`: the
 * mirror feed read from DATA's metadata (meta_reader_feed: read-only,
 * beside a running server) and objects copied from
 * DATA/objects through the store's put life cycle, so every byte is
 * hashed and size-checked again on its way into the mirror. */
#ifndef LFS_MIRROR_LOCAL_H
#define LFS_MIRROR_LOCAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/mirror_json.h"
#include "err.h"
#include "store/store.h"

struct mirror_local;

/* Opens DATA's meta.db read-only and DATA/objects.  Nothing in DATA is
 * ever written.  Caller frees with mirror_local_free. */
int mirror_local_open(struct mirror_local **out, const char *data_dir, struct err *err) __attribute__((warn_unused_result));
void mirror_local_free(struct mirror_local *l);

/* As mirror_fetch_page, from the feed table. */
int mirror_local_page(struct mirror_local *l, long long after, size_t max,
		      struct mirror_entry *out, size_t *n_out, long long *next_out,
		      struct err *err) __attribute__((warn_unused_result));

/* As mirror_fetch_objects, one object at a time. */
int mirror_local_objects(struct mirror_local *l, struct store *store,
			 const struct mirror_entry *entries, size_t n, bool *done,
			 long long *bytes, struct err *err) __attribute__((warn_unused_result));

#endif
