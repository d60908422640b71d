/* direct: a large upload written to its file with O_DIRECT and hashed on
 * the side.
 *
 * A buffered write of 1 GiB cost the receiving thread half of the
 * server's CPU (a copy into the page cache, page allocation, delayed
 * allocation bookkeeping), and reading the bytes back for hashing cost
 * more.  Here the receiving thread only copies what arrives into a ring of
 * aligned 1 MiB slots; each full slot goes to two threads of the upload's
 * own: one hashes it, the other writes it straight to the disk.  The
 * slot is reused once both are done with it, so memory stays at the ring
 * (DIRECT_SLOTS MiB) whatever the upload's size.
 *
 * The last, short slot is written padded to the alignment and the file
 * then cut to its real size.  A file system that refuses a direct write
 * (EINVAL) gets the same bytes through a buffered write instead: slower,
 * never wrong. */
#ifndef LFS_STORE_DIRECT_H
#define LFS_STORE_DIRECT_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "oid.h"

#define DIRECT_SLOT (1 << 20)
#define DIRECT_SLOTS 4

struct direct;

/* Asks the kernel for O_DIRECT on fd; false when the file system refuses
 * it (tmpfs, some FUSE file systems), fd then unchanged. */
bool direct_enable(int fd);
/* Starts the threads for fd, an empty file open for writing with
 * O_DIRECT (direct_enable).  *out is the caller's, freed by direct_finish
 * or direct_free. */
int direct_start(struct direct **out, int fd, struct err *err) __attribute__((warn_unused_result));
/* Appends len bytes; may wait for a free slot. */
int direct_write(struct direct *d, const void *data, size_t len, struct err *err)
	__attribute__((warn_unused_result));
/* Writes what is left, cuts the file to the bytes written, gives their
 * hash (the file is not yet fsynced), and frees d whatever the result. */
int direct_finish(struct direct *d, char hex[OID_HEX_LEN + 1], struct err *err)
	__attribute__((warn_unused_result));
/* Stops the threads and frees d; NULL is fine.  The file keeps whatever
 * was written. */
void direct_free(struct direct *d);

#endif
