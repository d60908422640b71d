/* Unit tests for store/direct: the bytes and the hash of a large upload
 * written with O_DIRECT through the ring of slots. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sha256.h"
#include "store/direct.h"
#include "tap.h"

#define MAX_SIZE ((long long)(DIRECT_SLOTS + 2) * DIRECT_SLOT + 12345)

static unsigned char *data, *back;

/* /var/tmp, not /tmp: /tmp may be a tmpfs, which refuses O_DIRECT on
 * older kernels (the rows still run, through the buffered fallback). */
static int temp_file(char *path)
{
	int fd = mkstemp(path);

	if (fd >= 0)
		unlink(path);
	return fd;
}

static void one_shot(long long n, char hex[OID_HEX_LEN + 1])
{
	struct sha256 *h = NULL;
	struct err err = ERR_INIT;

	if (sha256_new(&h, &err) < 0 || sha256_update(h, data, (size_t)n, &err) < 0 ||
	    sha256_final_hex(h, hex, &err) < 0)
		hex[0] = '\0';
	sha256_free(h);
}

/* Sizes around the alignment, the slot and the ring, each written in
 * pieces of a given size (128 KiB as libmicrohttpd hands them, and an odd
 * size that straddles every boundary). */
static void test_sizes(void)
{
	static const struct {
		long long size;
		size_t piece;
	} rows[] = {
		{ 1, 128 << 10 },
		{ 4095, 128 << 10 },
		{ 4096, 128 << 10 },
		{ 4097, 1000 },
		{ DIRECT_SLOT - 1, 128 << 10 },
		{ DIRECT_SLOT, 128 << 10 },
		{ DIRECT_SLOT + 1, 100003 },
		{ (long long)DIRECT_SLOTS * DIRECT_SLOT, 128 << 10 },
		{ MAX_SIZE, 128 << 10 },
		{ MAX_SIZE, 100003 },
		{ MAX_SIZE, 3 * DIRECT_SLOT },
	};

	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		char path[] = "/var/tmp/unit-direct-XXXXXX";
		long long n = rows[k].size, off = 0;
		char want[OID_HEX_LEN + 1], got[OID_HEX_LEN + 1] = "";
		struct direct *d = NULL;
		struct err err = ERR_INIT;
		struct stat st;
		int fd = temp_file(path), rc = 0;
		bool direct = fd >= 0 && direct_enable(fd);

		one_shot(n, want);
		if (fd < 0 || direct_start(&d, fd, &err) < 0) {
			ok(false, "setup for %lld bytes: %s", n, err.msg);
			if (fd >= 0)
				close(fd);
			continue;
		}
		while (rc == 0 && off < n) {
			size_t piece = n - off < (long long)rows[k].piece ? (size_t)(n - off) : rows[k].piece;
			rc = direct_write(d, data + off, piece, &err);
			off += (long long)piece;
		}
		if (rc == 0)
			rc = direct_finish(d, got, &err);
		else
			direct_free(d);
		/* Read back through the cache: a direct read would need an
		 * aligned length. */
		if (direct)
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_DIRECT);
		ok(rc == 0 && strcmp(got, want) == 0 && fstat(fd, &st) == 0 && st.st_size == n &&
			   pread(fd, back, (size_t)n, 0) == n && memcmp(back, data, (size_t)n) == 0,
		   "%lld bytes in pieces of %zu (%s): the file holds them exactly, hash %.12s", n,
		   rows[k].piece, direct ? "direct" : "buffered: O_DIRECT refused here", got);
		close(fd);
	}
}

static void test_abort_and_failure(void)
{
	char path[] = "/var/tmp/unit-direct-XXXXXX";
	int fd = temp_file(path);
	struct direct *d = NULL;
	struct err err = ERR_INIT;
	char hex[OID_HEX_LEN + 1];
	int rc = 0;

	if (!ok(fd >= 0 && direct_start(&d, fd, &err) == 0, "start for an abort"))
		return;
	/* More than the ring holds, then given up: the threads stop. */
	ok(MAX_SIZE > (long long)DIRECT_SLOTS * DIRECT_SLOT, "the test sends more than the ring holds");
	for (long long off = 0; rc == 0 && off + (128 << 10) <= MAX_SIZE; off += 128 << 10)
		rc = direct_write(d, data + off, 128 << 10, &err);
	direct_free(d);
	ok(rc == 0, "an abandoned upload is freed without waiting for the rest");
	close(fd);

	/* A file that cannot be written: the failure reaches the writer, as
	 * an error and not a hang, however much it keeps sending. */
	fd = open("/dev/null", O_RDONLY);
	if (!ok(fd >= 0 && direct_start(&d, fd, &err) == 0, "start on a read-only file"))
		return;
	rc = 0;
	for (long long off = 0; rc == 0 && off < MAX_SIZE - (128 << 10); off += 128 << 10)
		rc = direct_write(d, data + off, 128 << 10, &err);
	if (rc == 0)
		rc = direct_finish(d, hex, &err);
	else
		direct_free(d);
	is_int(rc, ERR_IO, "a write that fails fails the upload");
	ok(strstr(err.msg, "cannot write temp file") != NULL, "saying so: %s", err.msg);
	close(fd);
}

int main(void)
{
	data = malloc((size_t)MAX_SIZE);
	back = malloc((size_t)MAX_SIZE);
	if (!data || !back) {
		printf("Bail out! out of memory\n");
		return 1;
	}
	for (long long i = 0; i < MAX_SIZE; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	test_sizes();
	test_abort_and_failure();
	free(data);
	free(back);
	return tap_done();
}
