/* htpasswd: htpasswd file parsing and password checks (see htpasswd.h). */
#include "core/htpasswd.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct user {
	char *name;
	char *hash;
};

struct htpasswd {
	struct user *users;
	size_t n;
};

void htpasswd_free(struct htpasswd *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++) {
		free(h->users[i].name);
		OPENSSL_cleanse(h->users[i].hash, strlen(h->users[i].hash));
		free(h->users[i].hash);
	}
	free(h->users);
	free(h);
}

static int add_line(struct htpasswd *h, const char *line, size_t len, int lineno,
		    const char *source, struct err *err)
{
	const char *colon = memchr(line, ':', len);
	struct user u;
	void *grown;

	if (!colon || colon == line)
		return err_set(err, ERR_INVALID, "%s:%d: want user:hash", source, lineno);
	u.name = strndup(line, (size_t)(colon - line));
	u.hash = strndup(colon + 1, len - (size_t)(colon - line) - 1);
	if (!u.name || !u.hash) {
		free(u.name);
		free(u.hash);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	if (crypt_checksalt(u.hash) != CRYPT_SALT_OK) {
		int rc = err_set(err, ERR_INVALID, "%s:%d: user '%s' has a weak or unknown password hash; "
				 "use bcrypt (htpasswd -B), SHA-512-crypt or yescrypt", source, lineno, u.name);
		free(u.name);
		free(u.hash);
		return rc;
	}
	if (htpasswd_has_user(h, u.name)) {
		int rc = err_set(err, ERR_INVALID, "%s:%d: user '%s' appears twice", source, lineno, u.name);
		free(u.name);
		free(u.hash);
		return rc;
	}
	grown = realloc(h->users, (h->n + 1) * sizeof(*h->users));
	if (!grown) {
		free(u.name);
		free(u.hash);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	h->users = grown;
	h->users[h->n++] = u;
	return 0;
}

int htpasswd_parse(struct htpasswd **out, const char *text, size_t len,
		   const char *source, struct err *err)
{
	struct htpasswd *h = calloc(1, sizeof(*h));
	size_t pos = 0;
	int lineno = 0, rc;

	if (!h)
		return err_set(err, ERR_NOMEM, "out of memory");
	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl ? 1 : 0);
		lineno++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		while (n > 0 && (line[0] == ' ' || line[0] == '\t'))
			line++, n--;
		if (n == 0 || line[0] == '#')
			continue;
		if ((rc = add_line(h, line, n, lineno, source, err)) < 0) {
			htpasswd_free(h);
			return rc;
		}
	}
	*out = h;
	return 0;
}

int htpasswd_load(struct htpasswd **out, const char *path, struct err *err)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, cap = 0;
	int rc;

	if (!f)
		return err_set_errno(err, ERR_IO, "cannot read users file '%s'", path);
	for (;;) {
		size_t got;
		if (len + 4096 > cap) {
			char *p = realloc(text, cap = cap ? cap * 2 : 8192);
			if (!p) {
				free(text);
				fclose(f);
				return err_set(err, ERR_NOMEM, "out of memory");
			}
			text = p;
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = err_set_errno(err, ERR_IO, "cannot read users file '%s'", path);
		fclose(f);
		free(text);
		return rc;
	}
	fclose(f);
	rc = htpasswd_parse(out, text ? text : "", len, path, err);
	if (text)
		OPENSSL_cleanse(text, len);
	free(text);
	return rc;
}

static const struct user *find(const struct htpasswd *h, const char *user)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->users[i].name, user) == 0)
			return &h->users[i];
	return NULL;
}

bool htpasswd_has_user(const struct htpasswd *h, const char *user)
{
	return find(h, user) != NULL;
}

size_t htpasswd_count(const struct htpasswd *h)
{
	return h->n;
}

bool htpasswd_check(const struct htpasswd *h, const char *user, const char *password)
{
	const struct user *u = find(h, user);
	struct crypt_data *cd;
	bool match = false, known = u != NULL;
	size_t n;

	if (h->n == 0)
		return false;
	/* An unknown user costs a real hash too (against the first entry's
	 * setting), so response times do not tell which names exist. */
	if (!known)
		u = &h->users[0];
	/* 32 KiB: never on a thread's small stack. */
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	if (crypt_rn(password, u->hash, cd, sizeof(*cd)) && cd->output[0] != '*') {
		n = strlen(u->hash);
		match = known && strlen(cd->output) == n && CRYPTO_memcmp(cd->output, u->hash, n) == 0;
	}
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return match;
}
