/* libFuzzer target for every parser that reads network or file input:
 * batch bodies, request paths, Range headers, tokens, mirror-state.json,
 * htpasswd files, SSH commands, pointer files and reqjson (whose cost
 * bound is checked against jansson's real allocations: the target counts
 * them through jansson's allocator hooks).  The first input byte picks
 * the parser, so one corpus and one binary cover them all.  The client's
 * (lfs-hooks') parsers have their own section below: batch answers,
 * pkt-lines read from a pipe, `git credential fill` output, remote and
 * mirror URLs, .lfsmirrors files, pre-push input, GIT_CONFIG_PARAMETERS
 * and .gitattributes lines.  Built and run by `make fuzz`
 * (clang's libFuzzer with ASan and UBSan). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authenticate/sshcmd.h"
#include "core/batch.h"
#include "core/htpasswd.h"
#include "core/mirror_json.h"
#include "core/range.h"
#include "core/reqjson.h"
#include "core/route.h"
#include "core/token.h"
#include "pointer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* jansson's live bytes (with a size header per block) and their peak. */
static long long live, peak;

static void *count_malloc(size_t n)
{
	size_t *p = malloc(2 * sizeof(size_t) + n);

	if (!p)
		return NULL;
	p[0] = n;
	live += (long long)n + 16;
	if (live > peak)
		peak = live;
	return p + 2;
}

static void count_free(void *q)
{
	size_t *p = q;

	if (!p)
		return;
	p -= 2;
	live -= (long long)p[0] + 16;
	free(p);
}

/* reqjson: whatever it lets through to jansson costs at most its bound. */
static void fuzz_reqjson(const char *s, size_t len)
{
	static const struct reqjson_shape shape = { 8, 1000, 8000 };
	struct reqjson_scan sc;
	struct err err = ERR_INIT;
	json_t *root;
	long long base = live;

	reqjson_scan(s, len, &sc);
	peak = live;
	if (reqjson_parse(&root, s, len, &shape, NULL, &err) == 0)
		json_decref(root);
	if (peak - base > reqjson_cost(&sc))
		abort();
}

/* ---- lfs-hooks (client) parsers: selectors 9 to 15 ---------------- */
#include "cred.h"
#include "endpoint.h"
#include "lfsapi.h"
#include "lfsrepo.h"
#include "mirrors.h"
#include "pktline.h"
#include "push.h"
#include "track.h"

/* pkt-lines as the filter process reads them: from a pipe, until an
 * error or the end.  Inputs are capped by -max_len far below a pipe's
 * buffer, so the write never blocks. */
static void fuzz_pktline(const uint8_t *data, size_t len)
{
	static char buf[PKTLINE_MAX_PAYLOAD + 1];
	struct err err = ERR_INIT;
	int fds[2];
	size_t n;

	if (len > 60000 || pipe(fds) < 0)
		return;
	if (write(fds[1], data, len) != (ssize_t)len) {
		close(fds[0]);
		close(fds[1]);
		return;
	}
	close(fds[1]);
	while (pktline_read_text(fds[0], buf, &n, &err) >= 0)
		if (n > PKTLINE_MAX_PAYLOAD || buf[n] != '\0')
			abort();
	close(fds[0]);
}

/* `git credential fill` output, read into a credential for a URL. */
static void fuzz_cred(const char *s)
{
	struct err err = ERR_INIT;
	struct cred c;

	if (cred_from_url(&c, "https://user@example.com/repo.git", true, &err) < 0)
		return;
	if (cred_parse(&c, s, &err) == 0 && (!c.username || !c.password))
		abort(); /* success means both were given */
	cred_release(&c);
}

/* A remote URL (the first line) and url.<base>.insteadOf rules ("base\tprefix", one a
 * line after it): endpoint derivation, rewriting, credentials' host,
 * origin comparison and mirror object URLs. */
static void fuzz_urls(char *s)
{
	static const char oid[] = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";
	struct err err = ERR_INIT;
	char *rules[8], *nl = strchr(s, '\n'), *out = NULL, *rw;
	int n = 0;
	struct cred c;

	while (nl && n < 8) {
		*nl = '\0';
		rules[n++] = nl + 1;
		nl = strchr(nl + 1, '\n');
	}
	if (nl)
		*nl = '\0';
	if (endpoint_from_git_url(&out, s, NULL, &err) == 0)
		free(out);
	out = NULL;
	if (endpoint_from_git_url(&out, s, "http", &err) == 0)
		free(out);
	rw = endpoint_rewrite(s, rules, n, rules, n / 2, n % 2);
	free(rw);
	if (cred_from_url(&c, s, true, &err) == 0)
		cred_release(&c);
	lfsapi_same_origin(s, "https://example.com:443/x");
	free(lfsapi_origin(s));
	free(mirrors_object_url(s, oid));
}

/* Text git hands the hooks: pre-push lines, GIT_CONFIG_PARAMETERS (its
 * shell quoting), a .gitattributes line against an escaped pattern, a
 * committed URL. */
static void fuzz_git_text(char *s)
{
	struct err err = ERR_INIT;
	struct push_update u;
	char *v, *esc;

	if (push_parse_line(&u, s, &err) == 0 && (strlen(u.local_ref) >= sizeof(u.local_ref) ||
						   strlen(u.remote_ref) >= sizeof(u.remote_ref)))
		abort();
	bool oom = false;

	free(lfsrepo_config_param(s, "lfs.url", &oom));
	if ((v = lfsrepo_config_param(s, "remote.origin.lfsurl", &oom)))
		free(v);
	lfsrepo_committed_url_ok(s);
	if ((esc = track_escape(s))) {
		track_line_tracks(s, esc);
		track_line_tracks(s, "*.bin");
		free(esc);
	}
}

static char mirrors_dir[] = "/tmp/fuzz-lfsmirrors-XXXXXX";

static void remove_mirrors_dir(void)
{
	char path[sizeof(mirrors_dir) + 16];

	snprintf(path, sizeof(path), "%s/.lfsmirrors", mirrors_dir);
	unlink(path);
	rmdir(mirrors_dir);
}

/* A .lfsmirrors file, through the client's own reader. */
static void fuzz_lfsmirrors(const uint8_t *data, size_t len)
{
	char *dir = mirrors_dir;
	static int ready;
	char path[sizeof(mirrors_dir) + 16], *wd, **urls = NULL;
	struct lfsrepo r = { 0 };
	struct err err = ERR_INIT;
	FILE *f;
	int n = 0;

	if (!ready) {
		lfsrepo_global_init();
		if (!mkdtemp(dir))
			abort();
		atexit(remove_mirrors_dir);
		ready = 1;
	}
	snprintf(path, sizeof(path), "%s/.lfsmirrors", dir);
	if (!(f = fopen(path, "wb")))
		abort();
	if (fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
	if (asprintf(&wd, "%s/", dir) < 0)
		abort();
	r.workdir = wd;
	if (mirrors_list(&urls, &n, &r, &err) == 0) {
		for (int i = 0; i < n; i++)
			free(urls[i]);
		free(urls);
	}
	free(wd);
}

static void fuzz_client(unsigned which, const uint8_t *data, size_t len, char *s)
{
	struct err err = ERR_INIT;

	switch (which % 7) {
	case 0: {
		struct lfsapi_batch b;
		if (lfsapi_parse_response(&b, s, len, &err) == 0)
			lfsapi_batch_release(&b);
		break;
	}
	case 1:
		fuzz_pktline(data, len);
		break;
	case 2:
		fuzz_cred(s);
		break;
	case 3:
		fuzz_urls(s);
		break;
	case 4:
		fuzz_lfsmirrors(data, len);
		break;
	case 5:
		fuzz_git_text(s);
		break;
	case 6: {
		char hdr[4] = { 0 };
		size_t payload;
		memcpy(hdr, data, len < 4 ? len : 4);
		if (pktline_parse_header(hdr, &payload, &err) == PKTLINE_DATA && payload > PKTLINE_MAX_PAYLOAD)
			abort();
		break;
	}
	}
}
/* ---- end of the client section ------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = ERR_INIT;
	char *s;

	static int hooked;

	if (!hooked) {
		/* Before jansson's first allocation, so every block it frees
		 * came from count_malloc. */
		json_set_alloc_funcs(count_malloc, count_free);
		hooked = 1;
	}
	if (size < 1)
		return 0;
	/* NUL-terminated copy for the string parsers. */
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 16) {
	case 0: {
		/* Read from the text or through jansson's tree: the same. */
		struct batch_req req, tree;
		struct err err2 = ERR_INIT;
		int rc = batch_parse(&req, s, size - 1, 1000, 1 << 20, NULL, &err);
		int rc2 = batch_parse_tree(&tree, s, size - 1, 1000, 1 << 20, NULL, &err2);

		if (rc != rc2 || req.n != tree.n || strcmp(err.msg, err2.msg) != 0)
			abort();
		for (size_t i = 0; rc == 0 && i < req.n; i++)
			if (strcmp(req.items[i].oid, tree.items[i].oid) != 0 ||
			    req.items[i].size != tree.items[i].size || req.items[i].code != tree.items[i].code)
				abort();
		if (rc == 0 && req.op != tree.op)
			abort();
		batch_req_release(&req);
		batch_req_release(&tree);
		break;
	}
	case 1: {
		struct route r;
		if (route_parse(&r, s, &err) < 0)
			err_clear(&err); /* refused: what a fuzzer input mostly is */
		break;
	}
	case 2: {
		long long start, len;
		range_parse(s, 1000, &start, &len);
		break;
	}
	case 3: {
		static struct token_key key;
		static int ready;
		struct token t;
		if (!ready) {
			unsigned char kb[TOKEN_KEY_LEN];
			memset(kb, 3, sizeof(kb));
			ready = token_key_init(&key, kb, &err) == 0;
		}
		if (token_verify(&t, s, &key, 0, &err) < 0)
			err_clear(&err); /* refused: what a fuzzer input mostly is */
		break;
	}
	case 4: {
		long long seq;
		struct mirror_entry page[16];
		size_t n;
		if (mirror_json_parse_state(s, size - 1, &seq, &err) < 0)
			err_clear(&err); /* refused: what a fuzzer input mostly is */
		if (mirror_json_parse_page(s, size - 1, 0, page, 16, &n, &seq, &err) < 0)
			err_clear(&err); /* refused: what a fuzzer input mostly is */
		break;
	}
	case 5: {
		struct htpasswd *h = NULL;
		if (htpasswd_parse(&h, s, size - 1, "fuzz", &err) == 0)
			htpasswd_free(h);
		break;
	}
	case 6: {
		struct sshcmd c;
		if (sshcmd_parse(&c, s, &err) < 0)
			err_clear(&err); /* refused: what a fuzzer input mostly is */
		break;
	}
	case 7: {
		struct pointer p;
		if (pointer_parse(&p, data + 1, size - 1, &err) < 0)
			err_clear(&err); /* refused: what a fuzzer input mostly is */
		pointer_looks_like(data + 1, size - 1);
		break;
	}
	case 8:
		fuzz_reqjson(s, size - 1);
		break;
	default: /* 9 to 15: the client's */
		fuzz_client(data[0] % 16 - 9u, data + 1, size - 1, s);
		break;
	}
	free(s);
	return 0;
}
