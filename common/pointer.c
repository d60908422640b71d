/* pointer: parse and format Git LFS pointer files (see pointer.h).
 *
 * The parser mirrors lfs/pointer.go of git-lfs 3.3 (DecodeFrom, decodeKV,
 * decodeKVData, parseOid, parsePointerExtension): where the two clients
 * disagree about what is a pointer, a repository shows files as modified
 * in one of them, so even the odd corners (ext lines before "version",
 * a repeated ext key keeping its last value, "+12" as a size) are kept. */
#include "pointer.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *const version_aliases[] = {
	"http://git-media.io/v/2",            /* alpha */
	"https://hawser.github.com/spec/v1",  /* pre-release */
	POINTER_VERSION,
};

/* sha256 of the empty string: the oid of the empty pointer. */
#define EMPTY_OID "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct span {
	const char *p;
	size_t len;
};

/* One ext-N-name line, before validation (git-lfs keeps them in a map, so
 * a repeated key overwrites the earlier value). */
struct raw_ext {
	struct span key;
	struct span value;
};

static bool span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && memcmp(s.p, lit, n) == 0;
}

/* Go's unicode.IsSpace restricted to ASCII, as bytes.TrimSpace sees it. */
static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool is_word(unsigned char c)
{
	return isalnum(c) || c == '_';
}

static bool contains(const char *data, size_t len, const char *lit)
{
	return memmem(data, len, lit, strlen(lit)) != NULL;
}

/* The regexp `\Aext-\d{1}-\w+` (a prefix match, as in git-lfs). */
static bool is_ext_key(struct span k)
{
	return k.len >= 7 && memcmp(k.p, "ext-", 4) == 0 && k.p[4] >= '0' && k.p[4] <= '9' &&
	       k.p[5] == '-' && is_word((unsigned char)k.p[6]);
}

/* parseOid: "sha256:" followed by exactly 64 lowercase hex digits. */
static int parse_oid(char out[OID_HEX_LEN + 1], struct span v, struct err *err)
{
	const char *colon = memchr(v.p, ':', v.len);

	if (!colon)
		return err_set(err, ERR_INVALID, "invalid oid value '%.*s'", (int)(v.len > 80 ? 80 : v.len), v.p);
	if ((size_t)(colon - v.p) != 6 || memcmp(v.p, "sha256", 6) != 0)
		return err_set(err, ERR_INVALID, "invalid oid type '%.*s'", (int)(colon - v.p > 40 ? 40 : colon - v.p), v.p);
	if (!oid_valid_n(colon + 1, v.len - 7))
		return err_set(err, ERR_INVALID, "invalid oid '%.*s'", (int)(v.len - 7 > 80 ? 80 : v.len - 7), colon + 1);
	memcpy(out, colon + 1, OID_HEX_LEN);
	out[OID_HEX_LEN] = '\0';
	return 0;
}

/* strconv.ParseInt(s, 10, 64) followed by "size < 0" rejection: an
 * optional sign, at least one digit, nothing else, no overflow. */
static int parse_size(long long *out, struct span v, struct err *err)
{
	size_t i = 0;
	bool neg = false;
	uint64_t n = 0, limit;

	if (!v.p)
		return err_set(err, ERR_INVALID, "missing size");
	if (i < v.len && (v.p[i] == '+' || v.p[i] == '-'))
		neg = v.p[i++] == '-';
	if (i == v.len)
		goto bad;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < v.len; i++) {
		unsigned d = (unsigned char)v.p[i] - '0';
		if (d > 9 || n > (limit - d) / 10)
			goto bad;
		n = n * 10 + d;
	}
	if (neg && n != 0)
		goto bad;
	*out = (long long)n;
	return 0;
bad:
	return err_set(err, ERR_INVALID, "invalid size '%.*s'", (int)(v.len > 40 ? 40 : v.len), v.p);
}

static int parse_exts(struct pointer *out, const struct raw_ext *raw, int n_raw, struct err *err)
{
	bool seen[POINTER_MAX_EXTS] = { false };

	out->n_ext = 0;
	for (int i = 0; i < n_raw; i++) {
		struct pointer_ext *e;
		int prio = raw[i].key.p[4] - '0';
		size_t name_len = raw[i].key.len - 6;

		if (seen[prio])
			return err_set(err, ERR_INVALID, "duplicate extension priority %d", prio);
		seen[prio] = true;
		e = &out->ext[out->n_ext++];
		e->priority = prio;
		memcpy(e->name, raw[i].key.p + 6, name_len);
		e->name[name_len] = '\0';
		if (parse_oid(e->oid, raw[i].value, err) < 0)
			return ERR_INVALID;
	}
	/* At most ten, already unique: insertion sort by priority. */
	for (int i = 1; i < out->n_ext; i++) {
		struct pointer_ext tmp = out->ext[i];
		int j = i;
		while (j > 0 && out->ext[j - 1].priority > tmp.priority) {
			out->ext[j] = out->ext[j - 1];
			j--;
		}
		out->ext[j] = tmp;
	}
	return 0;
}

void pointer_init(struct pointer *p, const char *oid, long long size)
{
	memcpy(p->oid, oid, OID_HEX_LEN);
	p->oid[OID_HEX_LEN] = '\0';
	p->size = size;
	p->n_ext = 0;
}

int pointer_parse(struct pointer *out, const void *data, size_t len, struct err *err)
{
	static const char *const keys[] = { "version", "oid", "size" };
	struct span val[3] = { { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
	/* Each line holds at least "ext-N-x ", so a blob under the cutoff
	 * has fewer than POINTER_MAX_SIZE / 8 of them. */
	struct raw_ext raw[POINTER_MAX_SIZE / 8];
	int n_raw = 0, line = 0;
	const char *s = data, *end;
	bool version_ok = false;

	if (len >= POINTER_MAX_SIZE)
		return err_set(err, ERR_INVALID, "%zu bytes is too large for a pointer", len);
	if (len == 0) {
		pointer_init(out, EMPTY_OID, 0);
		return 0;
	}
	end = s + len;
	while (s < end && is_space((unsigned char)*s))
		s++;
	while (end > s && is_space((unsigned char)end[-1]))
		end--;
	if (!contains(s, (size_t)(end - s), "git-media") && !contains(s, (size_t)(end - s), "hawser") &&
	    !contains(s, (size_t)(end - s), "git-lfs"))
		return err_set(err, ERR_INVALID, "invalid header");

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl ? nl : end, *sp;
		struct span key, value;

		if (eol > s && eol[-1] == '\r')
			eol--;
		if (eol == s)
			goto next;
		sp = memchr(s, ' ', (size_t)(eol - s));
		if (!sp)
			return err_set(err, ERR_INVALID, "line without a space: '%.*s'", (int)(eol - s > 80 ? 80 : eol - s), s);
		key = (struct span){ s, (size_t)(sp - s) };
		value = (struct span){ sp + 1, (size_t)(eol - sp - 1) };
		if (line >= 3)
			return err_set(err, ERR_INVALID, "extra line after size");
		if (!span_eq(key, keys[line])) {
			int i;
			if (!is_ext_key(key))
				return err_set(err, ERR_INVALID, "expected key '%s', got '%.*s'", keys[line],
					       (int)(key.len > 40 ? 40 : key.len), key.p);
			for (i = 0; i < n_raw; i++)
				if (raw[i].key.len == key.len && memcmp(raw[i].key.p, key.p, key.len) == 0)
					break;
			if (i == n_raw)
				raw[n_raw++].key = key;
			raw[i].value = value;
			goto next;
		}
		val[line++] = value;
	next:
		if (!nl)
			break;
		s = nl + 1;
	}

	for (size_t i = 0; i < sizeof(version_aliases) / sizeof(version_aliases[0]); i++)
		if (val[0].p && span_eq(val[0], version_aliases[i]))
			version_ok = true;
	if (!val[0].p)
		return err_set(err, ERR_INVALID, "missing version");
	if (!version_ok)
		return err_set(err, ERR_INVALID, "invalid version '%.*s'", (int)(val[0].len > 80 ? 80 : val[0].len), val[0].p);
	if (!val[1].p)
		return err_set(err, ERR_INVALID, "missing oid");
	if (parse_oid(out->oid, val[1], err) < 0)
		return ERR_INVALID;
	if (parse_size(&out->size, val[2], err) < 0)
		return ERR_INVALID;
	return parse_exts(out, raw, n_raw, err);
}

bool pointer_looks_like(const void *data, size_t len)
{
	const char *s = data, *end = s + len;

	if (len >= POINTER_MAX_SIZE)
		return false;
	while (s < end && is_space((unsigned char)*s))
		s++;
	if ((size_t)(end - s) < 8 || memcmp(s, "version ", 8) != 0)
		return false;
	return contains(s, (size_t)(end - s), "git-lfs") || contains(s, (size_t)(end - s), "hawser") ||
	       contains(s, (size_t)(end - s), "git-media");
}

int pointer_format(char *out, size_t outsz, const struct pointer *p)
{
	size_t len = 0;
	int n;

	if (outsz == 0)
		return ERR_TOOBIG;
	out[0] = '\0';
	if (p->size == 0)
		return 0;
	n = snprintf(out, outsz, "version %s\n", POINTER_VERSION);
	if (n < 0 || (size_t)n >= outsz)
		return ERR_TOOBIG;
	len = (size_t)n;
	for (int i = 0; i < p->n_ext; i++) {
		n = snprintf(out + len, outsz - len, "ext-%d-%s sha256:%s\n", p->ext[i].priority,
			     p->ext[i].name, p->ext[i].oid);
		if (n < 0 || (size_t)n >= outsz - len)
			return ERR_TOOBIG;
		len += (size_t)n;
	}
	n = snprintf(out + len, outsz - len, "oid sha256:%s\nsize %lld\n", p->oid, p->size);
	if (n < 0 || (size_t)n >= outsz - len)
		return ERR_TOOBIG;
	return (int)(len + (size_t)n);
}

bool pointer_is_canonical(const struct pointer *p, const void *data, size_t len)
{
	char buf[POINTER_BUF_SIZE];
	int n = pointer_format(buf, sizeof(buf), p);

	return n >= 0 && (size_t)n == len && memcmp(buf, data, len) == 0;
}
