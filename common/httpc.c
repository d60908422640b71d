/* httpc: libcurl wrapper (see httpc.h). */
#include "httpc.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int httpc_global_init(struct err *err)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return err_set(err, ERR_IO, "cannot initialise libcurl");
	return 0;
}

void httpc_global_cleanup(void)
{
	curl_global_cleanup();
}

CURL *httpc_easy(const struct httpc_opts *o)
{
	CURL *c = curl_easy_init();

	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, o->user_agent);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	/* Keep POST a POST on 301/302/303, as git-lfs does. */
	curl_easy_setopt(c, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
	curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
	if (o->connect_timeout > 0)
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
	if (o->stall_timeout > 0) {
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_limit > 0 ? o->low_speed_limit : 1L);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o->stall_timeout);
	}
	if (o->total_timeout > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT, o->total_timeout);
	if (o->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->cainfo)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cainfo);
	if (o->capath)
		curl_easy_setopt(c, CURLOPT_CAPATH, o->capath);
	return c;
}

static const char *env_value(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

void httpc_ca_from_env(const char **cainfo, const char **capath)
{
	if (*cainfo || *capath)
		return;
	if ((*cainfo = env_value("CURL_CA_BUNDLE")) != NULL)
		return;
	*cainfo = env_value("SSL_CERT_FILE");
	*capath = env_value("SSL_CERT_DIR");
}

void httpc_headers_release(struct httpc_headers *h)
{
	free(h->content_type);
	free(h->lfs_authenticate);
	free(h->www_authenticate);
	free(h->retry_after);
	free(h->content_range);
	memset(h, 0, sizeof(*h));
}

static void keep(char **slot, const char *v, size_t len)
{
	while (len > 0 && isspace((unsigned char)v[len - 1]))
		len--;
	free(*slot);
	*slot = strndup(v, len);
}

static size_t header_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct httpc_headers *h = userdata;
	size_t len = size * nmemb;
	static const struct {
		const char *name;
		size_t off;
	} wanted[] = {
		{ "content-type", offsetof(struct httpc_headers, content_type) },
		{ "lfs-authenticate", offsetof(struct httpc_headers, lfs_authenticate) },
		{ "www-authenticate", offsetof(struct httpc_headers, www_authenticate) },
		{ "retry-after", offsetof(struct httpc_headers, retry_after) },
		{ "content-range", offsetof(struct httpc_headers, content_range) },
	};

	/* A status line starts a new response (after a redirect or a 100). */
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		httpc_headers_release(h);
		return len;
	}
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		size_t n = strlen(wanted[i].name);
		if (len > n && data[n] == ':' && strncasecmp(data, wanted[i].name, n) == 0) {
			const char *v = data + n + 1;
			size_t vlen = len - n - 1;
			while (vlen > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				vlen--;
			}
			keep((char **)((char *)h + wanted[i].off), v, vlen);
		}
	}
	return len;
}

void httpc_collect_headers(CURL *c, struct httpc_headers *h)
{
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
}

struct curl_slist *httpc_header(struct curl_slist *list, const char *name, const char *value)
{
	struct curl_slist *n;
	char *line = NULL;

	if (asprintf(&line, "%s: %s", name, value) < 0) {
		curl_slist_free_all(list);
		return NULL;
	}
	n = curl_slist_append(list, line);
	free(line);
	if (!n)
		curl_slist_free_all(list);
	return n;
}

struct body_sink {
	struct buf *buf;
	bool overflow;
};

static size_t body_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct body_sink *s = userdata;
	size_t len = size * nmemb;

	if (buf_append(s->buf, data, len, NULL) < 0) {
		s->overflow = true;
		return 0;
	}
	return len;
}

int httpc_request(CURL *c, const char *method, const char *url, struct curl_slist *headers, const void *body,
		  size_t body_len, size_t max_body, struct httpc_response *resp, struct err *err)
{
	struct body_sink sink;
	CURLcode cc;

	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body, max_body);
	sink.buf = &resp->body;
	sink.overflow = false;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, resp->error);
	httpc_collect_headers(c, &resp->headers);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, strcmp(method, body ? "POST" : "GET") == 0 ? NULL : method);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	if (sink.overflow)
		return err_set(err, ERR_TOOBIG, "response from %s is over %zu bytes", url, max_body);
	if (cc != CURLE_OK) {
		if (!resp->error[0])
			snprintf(resp->error, sizeof(resp->error), "%s", curl_easy_strerror(cc));
		resp->status = 0;
		return err_set(err, ERR_IO, "%s", resp->error);
	}
	return 0;
}

void httpc_response_release(struct httpc_response *resp)
{
	buf_release(&resp->body);
	httpc_headers_release(&resp->headers);
}

char *httpc_basic_auth(const char *user, const char *password)
{
	char *plain = NULL, *out;
	int n = asprintf(&plain, "%s:%s", user ? user : "", password ? password : "");

	if (n < 0)
		return NULL;
	out = malloc(4 * (((size_t)n + 2) / 3) + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, (unsigned char *)plain, n);
	explicit_bzero(plain, (size_t)n);
	free(plain);
	return out;
}

char *httpc_redact(const char *url)
{
	const char *scheme = strstr(url, "://"), *host, *at, *slash;
	char *out;

	if (!scheme)
		return strdup(url);
	host = scheme + 3;
	slash = strchr(host, '/');
	at = memchr(host, '@', slash ? (size_t)(slash - host) : strlen(host));
	if (!at)
		return strdup(url);
	if (asprintf(&out, "%.*s%s", (int)(host - url), url, at + 1) < 0)
		return NULL;
	return out;
}
