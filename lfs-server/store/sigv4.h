/* sigv4: AWS Signature Version 4 for S3-compatible stores, the part
 * libcurl does not do: presigned URLs (query-string authentication) for
 * the batch answer's download hrefs.  The server's own requests are signed
 * by libcurl (CURLOPT_AWS_SIGV4); sigv4_sign_headers exists so that tests
 * can compare a header-signed request with a reference signer.
 *
 * S3 rules throughout: the path is signed as given (S3 does not encode it
 * twice), so callers pass paths already encoded with sigv4_uri_encode;
 * presigned URLs sign only the host header and carry UNSIGNED-PAYLOAD.
 *
 * The signing key depends on the secret, the UTC day, the region and the
 * service only, so a signer derives it once per day and keeps it (and an
 * HMAC context keyed with it): one URL costs one SHA-256 and one HMAC.
 * A signer is safe to share between threads.  Nothing here logs; error
 * messages never carry the secret; key material is wiped on free. */
#ifndef LFS_SIGV4_H
#define LFS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "err.h"

/* Presigned URLs live 1 s to 7 days (AWS's limit; others copy it). */
#define SIGV4_EXPIRES_MIN 1LL
#define SIGV4_EXPIRES_MAX 604800LL
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

struct sigv4_signer;

/* A signer for one set of credentials, region and service ("s3").
 * ERR_INVALID when a part is empty or holds characters the credential
 * scope cannot carry (region and service: letters, digits, '-', '_', '.';
 * access key id: printable ASCII, no space or '/').  Free with
 * sigv4_signer_free. */
int sigv4_signer_new(struct sigv4_signer **out, const char *access_key_id,
		     const char *secret, const char *region, const char *service,
		     struct err *err) __attribute__((warn_unused_result));
/* Wipes the secret and the cached key, frees; NULL is fine. */
void sigv4_signer_free(struct sigv4_signer *s);

/* A presigned URL for method on url (http[s]://host[:port]/path, path
 * already URI-encoded per S3 rules, no query), valid expires seconds from
 * now.  *out malloc'd, caller frees.  Thread-safe.
 *
 * The URL comes back with its host lowercased and a default port (80 for
 * http, 443 for https) dropped, as the signed host header has them: any
 * client then sends the Host the signature was made for.  ERR_INVALID for
 * a method that is not upper-case letters, a URL of another shape (user
 * info, query, fragment, a path byte outside unreserved / '/' / %XX with
 * upper-case hex), expires outside [SIGV4_EXPIRES_MIN, SIGV4_EXPIRES_MAX],
 * now before 1970 or after 9999; ERR_TOOBIG for a URL over 16 KiB. */
int sigv4_presign(const struct sigv4_signer *s, const char *method, const char *url,
		  time_t now, long long expires, char **out, struct err *err)
	__attribute__((warn_unused_result));

/* The pieces of one signature (none of them secret), for tests and for a
 * caller that sends the headers itself.  Free with sigv4_parts_free. */
struct sigv4_parts {
	char *canonical_request;
	char *string_to_sign;
	char *authorization;  /* the Authorization header value; NULL for a presigned URL */
	char amz_date[17];    /* YYYYMMDDTHHMMSSZ: the X-Amz-Date sent or in the URL */
	char signature[65];   /* lowercase hex */
};
void sigv4_parts_free(struct sigv4_parts *p);

/* sigv4_presign, also filling *parts (when not NULL; the caller frees it
 * with sigv4_parts_free, on success only). */
int sigv4_presign_parts(const struct sigv4_signer *s, const char *method, const char *url,
			time_t now, long long expires, char **out, struct sigv4_parts *parts,
			struct err *err) __attribute__((warn_unused_result));

struct sigv4_header {
	const char *name;
	const char *value;
};

/* Signs a request in the Authorization header, as botocore's S3SigV4Auth
 * does.  url may carry a query (already encoded: its pairs are sorted, not
 * re-encoded).  The signed headers are the n given ones (names
 * case-insensitive, values trimmed and inner white space collapsed,
 * repeated names joined with ','), plus host (from url, unless given),
 * x-amz-date (from now) and x-amz-content-sha256 (payload_hash: 64
 * lowercase hex digits or UNSIGNED-PAYLOAD), which the caller must send
 * as they are; giving either of the last two, or a name or value with a
 * control character, is ERR_INVALID.  Fills *parts (authorization set). */
int sigv4_sign_headers(const struct sigv4_signer *s, const char *method, const char *url,
		       const struct sigv4_header *headers, size_t n, const char *payload_hash,
		       time_t now, struct sigv4_parts *parts, struct err *err)
	__attribute__((warn_unused_result));

/* URI-encodes len bytes of in as SigV4 and S3 want: every byte but
 * A-Z a-z 0-9 '-' '_' '.' '~' (and '/' when keep_slash: an object key
 * in a path) becomes %XX with upper-case hex.  *out malloc'd. */
int sigv4_uri_encode(const char *in, size_t len, bool keep_slash, char **out,
		     struct err *err) __attribute__((warn_unused_result));

#endif
