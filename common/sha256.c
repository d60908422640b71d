/* sha256: streaming SHA-256 through OpenSSL EVP (see sha256.h). */
#include "sha256.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

struct sha256 {
	EVP_MD_CTX *ctx;
};

int sha256_reset(struct sha256 *h, struct err *err)
{
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		return err_set(err, ERR_IO, "sha256: init failed");
	return 0;
}

int sha256_new(struct sha256 **out, struct err *err)
{
	struct sha256 *h = calloc(1, sizeof(*h));

	if (!h)
		return err_set(err, ERR_NOMEM, "out of memory");
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx) {
		free(h);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	if (sha256_reset(h, err) < 0) {
		sha256_free(h);
		return ERR_IO;
	}
	*out = h;
	return 0;
}

int sha256_update(struct sha256 *h, const void *data, size_t len, struct err *err)
{
	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		return err_set(err, ERR_IO, "sha256: update failed");
	return 0;
}

int sha256_final_hex(struct sha256 *h, char hex[OID_HEX_LEN + 1], struct err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len != 32)
		return err_set(err, ERR_IO, "sha256: final failed");
	oid_from_digest(hex, md);
	return 0;
}

void sha256_free(struct sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int sha256_fd(int fd, char hex[OID_HEX_LEN + 1], long long *size_out, struct err *err)
{
	struct sha256 *h = NULL;
	long long total = 0;
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	int rc;

	if (!buf)
		return err_set(err, ERR_NOMEM, "out of memory");
	rc = sha256_new(&h, err);
	while (rc == 0) {
		ssize_t n = read(fd, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set_errno(err, ERR_IO, "read");
			break;
		}
		if (n == 0) {
			rc = sha256_final_hex(h, hex, err);
			break;
		}
		total += n;
		rc = sha256_update(h, buf, (size_t)n, err);
	}
	if (rc == 0 && size_out)
		*size_out = total;
	sha256_free(h);
	free(buf);
	return rc;
}
