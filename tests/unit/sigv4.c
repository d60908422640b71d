/* Unit tests for lfs-server/store/sigv4.c: AWS's worked SigV4 examples for
 * S3 byte for byte, then a table of edge cases, one line per row.
 *
 * Run as `sigv4.t --driver` it is instead the C side of
 * tests/integration/t9050-sigv4-botocore.sh: it reads that script's table
 * on stdin and prints one line per row (a presigned URL, or a canonical
 * request and Authorization header) to be compared with botocore's. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "store/sigv4.h"
#include "tap.h"

#define AKID "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define T20130524 1369353600 /* 2013-05-24T00:00:00Z */
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HOST "examplebucket.s3.amazonaws.com"

static struct sigv4_signer *signer(const char *akid, const char *secret, const char *region)
{
	struct sigv4_signer *s = NULL;
	struct err err = ERR_INIT;

	if (sigv4_signer_new(&s, akid, secret, region, "s3", &err) < 0) {
		fprintf(stderr, "signer: %s\n", err.msg);
		exit(1);
	}
	return s;
}

/* "Authenticating Requests: Using Query Parameters": the presigned GET. */
static void aws_presign_example(void)
{
	struct sigv4_signer *s = signer(AKID, SECRET, "us-east-1");
	struct sigv4_parts p;
	struct err err = ERR_INIT;
	char *url = NULL;
	int rc;

	rc = sigv4_presign_parts(s, "GET", "https://" HOST "/test.txt", T20130524, 86400, &url, &p,
				 &err);
	if (!is_int(rc, 0, "AWS presign example: signs")) {
		printf("# %s\n", err.msg);
		sigv4_signer_free(s);
		return;
	}
	is_str(p.canonical_request,
	       "GET\n/test.txt\n"
	       "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
	       "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
	       "X-Amz-SignedHeaders=host\n"
	       "host:" HOST "\n\nhost\nUNSIGNED-PAYLOAD",
	       "AWS presign example: canonical request");
	is_str(p.string_to_sign,
	       "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
	       "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04",
	       "AWS presign example: string to sign");
	is_str(p.signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
	       "AWS presign example: signature");
	is_str(url,
	       "https://" HOST "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
	       "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date="
	       "20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="
	       "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
	       "AWS presign example: URL");
	ok(p.authorization == NULL, "AWS presign example: no Authorization header");
	sigv4_parts_free(&p);
	free(url);
	sigv4_signer_free(s);
}

/* "Signature Calculations for the Authorization Header": its four
 * examples. */
static void aws_header_examples(void)
{
	struct sigv4_signer *s = signer(AKID, SECRET, "us-east-1");
	struct sigv4_header range[] = { { "Range", "bytes=0-9" } };
	struct sigv4_header put[] = {
		{ "Date", "Fri, 24 May 2013 00:00:00 GMT" },
		{ "x-amz-storage-class", "REDUCED_REDUNDANCY" },
	};
	struct sigv4_parts p;
	struct err err = ERR_INIT;
	int rc;

	rc = sigv4_sign_headers(s, "GET", "https://" HOST "/test.txt", range, 1, EMPTY_SHA,
				T20130524, &p, &err);
	if (is_int(rc, 0, "AWS GET Object example: signs")) {
		is_str(p.canonical_request,
		       "GET\n/test.txt\n\nhost:" HOST "\nrange:bytes=0-9\n"
		       "x-amz-content-sha256:" EMPTY_SHA "\nx-amz-date:20130524T000000Z\n\n"
		       "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA,
		       "AWS GET Object example: canonical request");
		is_str(p.string_to_sign,
		       "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
		       "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
		       "AWS GET Object example: string to sign");
		is_str(p.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
		       "AWS GET Object example: signature");
		/* The example prints the parts joined by "," alone; botocore and
		 * curl put ", " between them, and S3 takes either. */
		is_str(p.authorization,
		       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
		       "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
		       "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
		       "AWS GET Object example: Authorization");
		is_str(p.amz_date, "20130524T000000Z", "AWS GET Object example: X-Amz-Date");
		sigv4_parts_free(&p);
	} else {
		printf("# %s\n", err.msg);
	}

	rc = sigv4_sign_headers(s, "PUT", "https://" HOST "/test%24file.text", put, 2,
				"44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
				T20130524, &p, &err);
	if (is_int(rc, 0, "AWS PUT Object example: signs")) {
		is_str(p.canonical_request,
		       "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\nhost:" HOST "\n"
		       "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b8"
		       "03f8b072\nx-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY"
		       "\n\ndate;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
		       "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
		       "AWS PUT Object example: canonical request");
		is_str(p.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
		       "AWS PUT Object example: signature");
		sigv4_parts_free(&p);
	}

	rc = sigv4_sign_headers(s, "GET", "https://" HOST "/?lifecycle", NULL, 0, EMPTY_SHA,
				T20130524, &p, &err);
	if (is_int(rc, 0, "AWS GET Bucket Lifecycle example: signs")) {
		is_str(p.canonical_request,
		       "GET\n/\nlifecycle=\nhost:" HOST "\nx-amz-content-sha256:" EMPTY_SHA
		       "\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n"
		       EMPTY_SHA,
		       "AWS GET Bucket Lifecycle example: canonical request");
		is_str(p.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
		       "AWS GET Bucket Lifecycle example: signature");
		sigv4_parts_free(&p);
	}

	/* Given out of order: the canonical query sorts it. */
	rc = sigv4_sign_headers(s, "GET", "https://" HOST "/?prefix=J&max-keys=2", NULL, 0,
				EMPTY_SHA, T20130524, &p, &err);
	if (is_int(rc, 0, "AWS GET Bucket (List Objects) example: signs")) {
		ok(strstr(p.canonical_request, "\nmax-keys=2&prefix=J\n") != NULL,
		   "AWS GET Bucket (List Objects) example: query sorted");
		is_str(p.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
		       "AWS GET Bucket (List Objects) example: signature");
		sigv4_parts_free(&p);
	}
	sigv4_signer_free(s);
}

/* What a presign row expects: an error code, or the URL up to '?'. */
struct presign_row {
	const char *name;
	const char *method;
	const char *url;
	long long now;
	long long expires;
	int rc;
	const char *base; /* the URL before its query, when rc is 0 */
};

static const struct presign_row presign_rows[] = {
	{ "https, default port dropped", "GET", "https://h.example:443/k", T20130524, 60, 0, "https://h.example/k" },
	{ "http, default port dropped", "GET", "http://h.example:80/k", T20130524, 60, 0, "http://h.example/k" },
	{ "http on 443 keeps the port", "GET", "http://h.example:443/k", T20130524, 60, 0, "http://h.example:443/k" },
	{ "https on 80 keeps the port", "GET", "https://h.example:80/k", T20130524, 60, 0, "https://h.example:80/k" },
	{ "non-default port kept", "GET", "http://127.0.0.1:4568/b/k", T20130524, 60, 0, "http://127.0.0.1:4568/b/k" },
	{ "port 65535", "GET", "http://h:65535/k", T20130524, 60, 0, "http://h:65535/k" },
	{ "port 0 refused", "GET", "http://h:0/k", T20130524, 60, ERR_INVALID, NULL },
	{ "port 65536 refused", "GET", "http://h:65536/k", T20130524, 60, ERR_INVALID, NULL },
	{ "empty port refused", "GET", "http://h:/k", T20130524, 60, ERR_INVALID, NULL },
	{ "letters in port refused", "GET", "http://h:80a/k", T20130524, 60, ERR_INVALID, NULL },
	{ "IPv6 literal with port", "GET", "http://[::1]:9000/b/k", T20130524, 60, 0, "http://[::1]:9000/b/k" },
	{ "IPv6 literal, default port", "GET", "https://[::1]:443/k", T20130524, 60, 0, "https://[::1]/k" },
	{ "unclosed IPv6 literal refused", "GET", "http://[::1/k", T20130524, 60, ERR_INVALID, NULL },
	{ "host lowercased", "GET", "https://BUCKET.S3.Example.COM/k", T20130524, 60, 0, "https://bucket.s3.example.com/k" },
	{ "no path signs /", "GET", "https://h.example", T20130524, 60, 0, "https://h.example/" },
	{ "space encoded", "GET", "https://h/a%20b.txt", T20130524, 60, 0, "https://h/a%20b.txt" },
	{ "unicode encoded", "GET", "https://h/%E2%82%AC/%C3%A9t%C3%A9", T20130524, 60, 0, "https://h/%E2%82%AC/%C3%A9t%C3%A9" },
	{ "encoded slash kept", "GET", "https://h/a%2Fb", T20130524, 60, 0, "https://h/a%2Fb" },
	{ "raw space refused", "GET", "https://h/a b", T20130524, 60, ERR_INVALID, NULL },
	{ "raw unicode refused", "GET", "https://h/\xe2\x82\xac", T20130524, 60, ERR_INVALID, NULL },
	{ "lowercase hex refused", "GET", "https://h/%e2%82%ac", T20130524, 60, ERR_INVALID, NULL },
	{ "cut escape refused", "GET", "https://h/a%2", T20130524, 60, ERR_INVALID, NULL },
	{ "raw plus refused", "GET", "https://h/a+b", T20130524, 60, ERR_INVALID, NULL },
	{ "query refused", "GET", "https://h/k?versionId=1", T20130524, 60, ERR_INVALID, NULL },
	{ "fragment refused", "GET", "https://h/k#x", T20130524, 60, ERR_INVALID, NULL },
	{ "user info refused", "GET", "https://u:p@h/k", T20130524, 60, ERR_INVALID, NULL },
	{ "other scheme refused", "GET", "ftp://h/k", T20130524, 60, ERR_INVALID, NULL },
	{ "no host refused", "GET", "https:///k", T20130524, 60, ERR_INVALID, NULL },
	{ "bad host byte refused", "GET", "https://h_ost!/k", T20130524, 60, ERR_INVALID, NULL },
	{ "lowercase method refused", "get", "https://h/k", T20130524, 60, ERR_INVALID, NULL },
	{ "empty method refused", "", "https://h/k", T20130524, 60, ERR_INVALID, NULL },
	{ "PUT", "PUT", "https://h/k", T20130524, 60, 0, "https://h/k" },
	{ "HEAD", "HEAD", "https://h/k", T20130524, 60, 0, "https://h/k" },
	{ "expiry 0 refused", "GET", "https://h/k", T20130524, 0, ERR_INVALID, NULL },
	{ "expiry -1 refused", "GET", "https://h/k", T20130524, -1, ERR_INVALID, NULL },
	{ "expiry 1", "GET", "https://h/k", T20130524, 1, 0, "https://h/k" },
	{ "expiry 604800", "GET", "https://h/k", T20130524, 604800, 0, "https://h/k" },
	{ "expiry 604801 refused", "GET", "https://h/k", T20130524, 604801, ERR_INVALID, NULL },
	{ "time before 1970 refused", "GET", "https://h/k", -1, 60, ERR_INVALID, NULL },
	{ "time 1970-01-01", "GET", "https://h/k", 0, 60, 0, "https://h/k" },
	{ "time 9999-12-31T23:59:59", "GET", "https://h/k", 253402300799LL, 60, 0, "https://h/k" },
	{ "time in year 10000 refused", "GET", "https://h/k", 253402300800LL, 60, ERR_INVALID, NULL },
};

static void presign_table(void)
{
	struct sigv4_signer *s = signer(AKID, SECRET, "eu-west-1");

	for (size_t i = 0; i < sizeof(presign_rows) / sizeof(presign_rows[0]); i++) {
		const struct presign_row *r = &presign_rows[i];
		struct err err = ERR_INIT;
		char *url = NULL, *canon = NULL;
		int rc = sigv4_presign(s, r->method, r->url, (time_t)r->now, r->expires, &url, &err);
		bool good = rc == r->rc;

		if (good && rc == 0) {
			size_t n = strlen(r->base);
			/* The normalised URL signs exactly as its normal form. */
			good = strncmp(url, r->base, n) == 0 && url[n] == '?' &&
			       sigv4_presign(s, r->method, r->base, (time_t)r->now, r->expires,
					     &canon, &err) == 0 &&
			       strcmp(url, canon) == 0;
		}
		if (good && rc < 0)
			good = url == NULL && err.msg[0] != '\0' && !strstr(err.msg, SECRET);
		ok(good, "presign row: %s", r->name);
		if (!good)
			printf("#   got rc %d, URL %s, error %s\n", rc, url ? url : "(none)", err.msg);
		free(url);
		free(canon);
	}
	sigv4_signer_free(s);
}

/* Expiry, method and time land in the signed query as given. */
static void presign_fields(void)
{
	struct sigv4_signer *s = signer("minio+user=1", SECRET, "auto");
	struct err err = ERR_INIT;
	char *url = NULL;

	if (is_int(sigv4_presign(s, "PUT", "http://127.0.0.1:9000/b/o", 1700000000, 604800, &url,
				 &err),
		   0, "odd access key id, region auto: signs"))
		ok(strstr(url, "X-Amz-Credential=minio%2Buser%3D1%2F20231114%2Fauto%2Fs3%2Faws4_request"
				"&X-Amz-Date=20231114T221320Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&"
				"X-Amz-Signature=") != NULL,
		   "access key id encoded in the credential, date and expiry as given");
	free(url);
	sigv4_signer_free(s);
}

struct signer_row {
	const char *name;
	const char *akid, *secret, *region, *service;
	int rc;
};

static const struct signer_row signer_rows[] = {
	{ "AWS region", AKID, SECRET, "us-east-1", "s3", 0 },
	{ "R2 region auto", AKID, SECRET, "auto", "s3", 0 },
	{ "Garage region", AKID, SECRET, "garage", "s3", 0 },
	{ "region with dot and underscore", AKID, SECRET, "my_region.1", "s3", 0 },
	{ "empty region refused", AKID, SECRET, "", "s3", ERR_INVALID },
	{ "region with slash refused", AKID, SECRET, "eu/west", "s3", ERR_INVALID },
	{ "region with space refused", AKID, SECRET, "eu west", "s3", ERR_INVALID },
	{ "region over 64 bytes refused", AKID, SECRET, "r1234567890123456789012345678901234567890123456789012345678901234", "s3", ERR_INVALID },
	{ "empty service refused", AKID, SECRET, "us-east-1", "", ERR_INVALID },
	{ "empty access key id refused", "", SECRET, "us-east-1", "s3", ERR_INVALID },
	{ "access key id with slash refused", "AK/ID", SECRET, "us-east-1", "s3", ERR_INVALID },
	{ "access key id with space refused", "AK ID", SECRET, "us-east-1", "s3", ERR_INVALID },
	{ "empty secret refused", AKID, "", "us-east-1", "s3", ERR_INVALID },
	{ "NULL secret refused", AKID, NULL, "us-east-1", "s3", ERR_INVALID },
};

static void signer_table(void)
{
	for (size_t i = 0; i < sizeof(signer_rows) / sizeof(signer_rows[0]); i++) {
		const struct signer_row *r = &signer_rows[i];
		struct sigv4_signer *s = NULL;
		struct err err = ERR_INIT;
		int rc = sigv4_signer_new(&s, r->akid, r->secret, r->region, r->service, &err);

		ok(rc == r->rc && (rc == 0) == (s != NULL) && !strstr(err.msg, SECRET),
		   "signer row: %s", r->name);
		sigv4_signer_free(s);
	}
}

struct encode_row {
	const char *in;
	bool keep_slash;
	const char *want;
};

static const struct encode_row encode_rows[] = {
	{ "test.txt", true, "test.txt" },
	{ "AZaz09-_.~", false, "AZaz09-_.~" },
	{ "a b", true, "a%20b" },
	{ "objects/ab/cd/x", true, "objects/ab/cd/x" },
	{ "objects/ab/cd/x", false, "objects%2Fab%2Fcd%2Fx" },
	{ "test$file.text", true, "test%24file.text" },
	{ "!'()*+,;=:@&?#%", true, "%21%27%28%29%2A%2B%2C%3B%3D%3A%40%26%3F%23%25" },
	{ "\xe2\x82\xac", true, "%E2%82%AC" },
	{ "", true, "" },
};

static void encode_table(void)
{
	for (size_t i = 0; i < sizeof(encode_rows) / sizeof(encode_rows[0]); i++) {
		const struct encode_row *r = &encode_rows[i];
		struct err err = ERR_INIT;
		char *out = NULL;
		char name[128];

		snprintf(name, sizeof(name), "uri_encode row %zu (keep_slash %d)", i, r->keep_slash);
		if (sigv4_uri_encode(r->in, strlen(r->in), r->keep_slash, &out, &err) == 0)
			is_str(out, r->want, name);
		else
			ok(false, "%s: %s", name, err.msg);
		free(out);
	}
}

struct header_row {
	const char *name;
	const char *url;
	struct sigv4_header h[3];
	size_t n;
	const char *payload;
	int rc;
	const char *want; /* a piece of the canonical request */
};

static const struct header_row header_rows[] = {
	{ "values trimmed, inner spaces collapsed", "http://h:9000/k", { { "X-Amz-Meta-A", "  a   b\t c  " } }, 1, EMPTY_SHA, 0, "\nx-amz-meta-a:a b c\n" },
	{ "repeated names joined in order", "http://h:9000/k", { { "X-Amz-Meta-A", "2" }, { "x-amz-meta-a", "1" } }, 2, EMPTY_SHA, 0, "\nx-amz-meta-a:2,1\n" },
	{ "host from the URL with its port", "http://h:9000/k", { { 0 } }, 0, EMPTY_SHA, 0, "\nhost:h:9000\n" },
	{ "host given wins", "http://h:9000/k", { { "Host", "other" } }, 1, EMPTY_SHA, 0, "\nhost:other\n" },
	{ "UNSIGNED-PAYLOAD", "http://h/k", { { 0 } }, 0, "UNSIGNED-PAYLOAD", 0, "x-amz-content-sha256:UNSIGNED-PAYLOAD\n" },
	{ "query pairs sorted by key then value", "http://h/k?b=2&a=2&a=1&c", { { 0 } }, 0, EMPTY_SHA, 0, "\na=1&a=2&b=2&c=\n" },
	{ "multipart query", "http://h/b/k?partNumber=1&uploadId=abc%2Fd", { { 0 } }, 0, EMPTY_SHA, 0, "\npartNumber=1&uploadId=abc%2Fd\n" },
	{ "x-amz-date given refused", "http://h/k", { { "X-Amz-Date", "20130524T000000Z" } }, 1, EMPTY_SHA, ERR_INVALID, NULL },
	{ "x-amz-content-sha256 given refused", "http://h/k", { { "x-amz-content-sha256", EMPTY_SHA } }, 1, EMPTY_SHA, ERR_INVALID, NULL },
	{ "newline in a value refused", "http://h/k", { { "X-A", "a\r\nX-B: b" } }, 1, EMPTY_SHA, ERR_INVALID, NULL },
	{ "colon in a name refused", "http://h/k", { { "X-A:", "a" } }, 1, EMPTY_SHA, ERR_INVALID, NULL },
	{ "upper-case payload hash refused", "http://h/k", { { 0 } }, 0, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", ERR_INVALID, NULL },
	{ "short payload hash refused", "http://h/k", { { 0 } }, 0, "e3b0", ERR_INVALID, NULL },
	{ "raw space in query refused", "http://h/k?a=b c", { { 0 } }, 0, EMPTY_SHA, ERR_INVALID, NULL },
};

static void header_table(void)
{
	struct sigv4_signer *s = signer(AKID, SECRET, "us-east-1");

	for (size_t i = 0; i < sizeof(header_rows) / sizeof(header_rows[0]); i++) {
		const struct header_row *r = &header_rows[i];
		struct sigv4_parts p;
		struct err err = ERR_INIT;
		int rc = sigv4_sign_headers(s, "GET", r->url, r->h, r->n, r->payload, T20130524, &p,
					    &err);
		bool good = rc == r->rc;

		if (good && rc == 0)
			good = strstr(p.canonical_request, r->want) != NULL;
		ok(good, "header row: %s", r->name);
		if (!good)
			printf("#   got rc %d (%s), canonical request:\n# %s\n", rc, err.msg,
			       rc == 0 ? p.canonical_request : "");
		if (rc == 0)
			sigv4_parts_free(&p);
	}
	sigv4_signer_free(s);
}

/* The day's key is cached: signatures across a change of day match a
 * fresh signer's, from any number of threads at once. */
#define THREADS 4
#define ROUNDS 200
static const time_t days[2] = { T20130524, T20130524 + 86400 + 3600 };
static char want_url[2][1024];

struct worker {
	struct sigv4_signer *s;
	int id;
	int bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < ROUNDS; i++) {
		int d = (i + w->id) % 2;
		struct err err = ERR_INIT;
		char *url = NULL;

		if (sigv4_presign(w->s, "GET", "https://" HOST "/test.txt", days[d], 86400, &url,
				  &err) < 0 ||
		    strcmp(url, want_url[d]) != 0)
			w->bad++;
		free(url);
	}
	return NULL;
}

static void cache_and_threads(void)
{
	struct sigv4_signer *shared = signer(AKID, SECRET, "us-east-1");
	struct worker w[THREADS];
	pthread_t t[THREADS];
	int bad = 0, started = 0;

	for (int d = 0; d < 2; d++) {
		struct sigv4_signer *fresh = signer(AKID, SECRET, "us-east-1");
		struct err err = ERR_INIT;
		char *url = NULL;

		if (sigv4_presign(fresh, "GET", "https://" HOST "/test.txt", days[d], 86400, &url,
				  &err) == 0)
			snprintf(want_url[d], sizeof(want_url[d]), "%s", url);
		free(url);
		sigv4_signer_free(fresh);
	}
	ok(strstr(want_url[0], "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404") &&
	   strstr(want_url[1], "X-Amz-Date=20130525T010000Z") && !strstr(want_url[1], "aeeed9bb"),
	   "two days, two credentials and signatures");
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ shared, i, 0 };
		if (pthread_create(&t[i], NULL, work, &w[i]) == 0)
			started++;
		else
			break;
	}
	for (int i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		bad += w[i].bad;
	}
	ok(started == THREADS && bad == 0,
	   "%d threads alternating days on one signer: every URL as a fresh signer's (%d wrong)",
	   THREADS, bad);
	sigv4_signer_free(shared);
}

/* ---- driver mode for t9050 ---- */

/* Splits line at tabs into at most max fields; returns the count. */
static int split(char *line, char **f, int max)
{
	int n = 0;

	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == '\t') {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

static void print_escaped(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", stdout);
		else if (*s == '\\')
			fputs("\\\\", stdout);
		else
			putchar(*s);
	}
}

/* The URL an S3 client builds for bucket and key (what store/s3.c does),
 * path-style or virtual-hosted. */
static int object_url(const char *endpoint, const char *bucket, const char *key, bool path_style,
		      char **out, struct err *err)
{
	char *enc = NULL;
	const char *host = strstr(endpoint, "://");
	size_t need;
	int rc;

	if (!host)
		return err_set(err, ERR_INVALID, "endpoint without scheme");
	host += 3;
	rc = sigv4_uri_encode(key, strlen(key), true, &enc, err);
	if (rc < 0)
		return rc;
	need = strlen(endpoint) + strlen(bucket) + strlen(enc) + 4;
	*out = malloc(need);
	if (!*out) {
		free(enc);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	if (path_style)
		snprintf(*out, need, "%s/%s/%s", endpoint, bucket, enc);
	else
		snprintf(*out, need, "%.*s%s.%s/%s", (int)(host - endpoint), endpoint, bucket, host,
			 enc);
	free(enc);
	return 0;
}

static int payload_hash(const char *payload, char hash[OID_HEX_LEN + 1], struct err *err)
{
	struct sha256 *h = NULL;
	int rc;

	if (strcmp(payload, SIGV4_UNSIGNED_PAYLOAD) == 0) {
		snprintf(hash, OID_HEX_LEN + 1, "%s", payload);
		return 0;
	}
	if (strncmp(payload, "body:", 5) != 0)
		return err_set(err, ERR_INVALID, "payload must be UNSIGNED-PAYLOAD or body:TEXT");
	rc = sha256_new(&h, err);
	if (rc == 0)
		rc = sha256_update(h, payload + 5, strlen(payload + 5), err);
	if (rc == 0)
		rc = sha256_final_hex(h, hash, err);
	sha256_free(h);
	return rc;
}

/* Rows (tab-separated):
 *   presign AKID SECRET REGION METHOD URL NOW EXPIRES
 *   object  AKID SECRET REGION METHOD ENDPOINT BUCKET KEY path|virtual NOW EXPIRES
 *   headers AKID SECRET REGION METHOD URL NOW PAYLOAD [NAME=VALUE|NAME=VALUE...]
 * PAYLOAD is UNSIGNED-PAYLOAD or body:TEXT (TEXT's SHA-256 is signed).
 * Output, one line per row: the URL; for headers the canonical request
 * (newlines as \n) TAB the Authorization value; "ERROR code" on failure. */
static int driver(void)
{
	char line[8192];

	while (fgets(line, sizeof(line), stdin)) {
		char *f[12];
		int n;
		struct sigv4_signer *s = NULL;
		struct err err = ERR_INIT;
		char *url = NULL, *built = NULL;
		int rc;

		line[strcspn(line, "\n")] = '\0';
		n = split(line, f, 12);
		if (n < 8) {
			printf("ERROR row\n");
			continue;
		}
		rc = sigv4_signer_new(&s, f[1], f[2], f[3], "s3", &err);
		if (rc == 0 && strcmp(f[0], "presign") == 0) {
			rc = sigv4_presign(s, f[4], f[5], (time_t)atoll(f[6]), atoll(f[7]), &url, &err);
		} else if (rc == 0 && strcmp(f[0], "object") == 0 && n >= 11) {
			rc = object_url(f[5], f[6], f[7], strcmp(f[8], "path") == 0, &built, &err);
			if (rc == 0)
				rc = sigv4_presign(s, f[4], built, (time_t)atoll(f[9]), atoll(f[10]),
						   &url, &err);
		} else if (rc == 0 && strcmp(f[0], "headers") == 0) {
			struct sigv4_header h[16];
			struct sigv4_parts p;
			size_t nh = 0;
			char *list = n > 8 ? f[8] : NULL;
			char hash[OID_HEX_LEN + 1];

			while (list && *list && nh < 16) {
				char *bar = strchr(list, '|');
				char *eq;
				if (bar)
					*bar = '\0';
				eq = strchr(list, '=');
				if (eq) {
					*eq = '\0';
					h[nh].name = list;
					h[nh++].value = eq + 1;
				}
				list = bar ? bar + 1 : NULL;
			}
			rc = payload_hash(f[7], hash, &err);
			if (rc == 0)
				rc = sigv4_sign_headers(s, f[4], f[5], h, nh, hash, (time_t)atoll(f[6]),
							&p, &err);
			if (rc == 0) {
				print_escaped(p.canonical_request);
				printf("\t%s\n", p.authorization);
				sigv4_parts_free(&p);
			}
		} else if (rc == 0) {
			rc = ERR_INVALID;
		}
		if (rc < 0)
			printf("ERROR %d\n", rc);
		else if (url)
			printf("%s\n", url);
		free(url);
		free(built);
		sigv4_signer_free(s);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--driver") == 0)
		return driver();
	aws_presign_example();
	aws_header_examples();
	presign_table();
	presign_fields();
	signer_table();
	encode_table();
	header_table();
	cache_and_threads();
	return tap_done();
}
