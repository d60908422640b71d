/* auth: users, credential cache, throttle and rules together (see auth.h). */
#include "core/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/htpasswd.h"
#include "core/throttle.h"
#include "log.h"

#define CACHE_SLOTS 64
#define CACHE_TTL 60          /* seconds a successful check is remembered */
#define CRED_MAX 1024         /* decoded user:password bytes */

struct cache_entry {
	unsigned char digest[32]; /* HMAC(cache_key, user ":" password) */
	time_t expires;
	unsigned generation;      /* users file generation it was made under */
};

struct auth {
	bool enabled;
	char *users_path;
	pthread_rwlock_t users_lock;
	struct htpasswd *users;
	unsigned generation;
	struct stat users_stat;
	time_t last_stat;
	pthread_mutex_t cache_mu;
	unsigned char cache_key[32];
	struct cache_entry cache[CACHE_SLOTS];
	struct throttle *throttle;
	struct acl *acl;
	long long failed_logins, lockouts; /* for /metrics (atomic) */
};

int auth_new(struct auth **out, const struct config *cfg, struct err *err)
{
	struct auth *a = calloc(1, sizeof(*a));
	int rc;

	if (!a)
		return err_set(err, ERR_NOMEM, "out of memory");
	pthread_rwlock_init(&a->users_lock, NULL);
	pthread_mutex_init(&a->cache_mu, NULL);
	if ((rc = acl_load(&a->acl, cfg->git, err)) < 0 ||
	    (rc = throttle_new(&a->throttle, cfg->lockout_failures, cfg->lockout_window,
			       cfg->lockout_time, err)) < 0)
		goto fail;
	if (cfg->users) {
		a->enabled = true;
		if (!(a->users_path = strdup(cfg->users))) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto fail;
		}
		if (stat(cfg->users, &a->users_stat) < 0) {
			rc = err_set_errno(err, ERR_IO, "cannot read users file '%s'", cfg->users);
			goto fail;
		}
		if ((rc = htpasswd_load(&a->users, cfg->users, err)) < 0)
			goto fail;
		a->last_stat = time(NULL);
		if (RAND_bytes(a->cache_key, sizeof(a->cache_key)) != 1) {
			rc = err_set(err, ERR_IO, "no randomness for the credential cache");
			goto fail;
		}
	}
	*out = a;
	return 0;
fail:
	auth_free(a);
	return rc;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	htpasswd_free(a->users);
	throttle_free(a->throttle);
	acl_free(a->acl);
	free(a->users_path);
	pthread_rwlock_destroy(&a->users_lock);
	pthread_mutex_destroy(&a->cache_mu);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

void auth_share_throttle(struct auth *a, struct meta *m)
{
	throttle_share(a->throttle, m);
}

bool auth_enabled(const struct auth *a)
{
	return a && a->enabled;
}

void auth_counters(const struct auth *a, long long *failed_logins, long long *lockouts)
{
	*failed_logins = a ? __atomic_load_n(&a->failed_logins, __ATOMIC_RELAXED) : 0;
	*lockouts = a ? __atomic_load_n(&a->lockouts, __ATOMIC_RELAXED) : 0;
}

const struct acl *auth_acl(const struct auth *a)
{
	return a->acl;
}

static bool stat_changed(const struct stat *x, const struct stat *y)
{
	return x->st_ino != y->st_ino || x->st_size != y->st_size ||
	       x->st_mtim.tv_sec != y->st_mtim.tv_sec || x->st_mtim.tv_nsec != y->st_mtim.tv_nsec;
}

/* Re-reads the users file when it changed (checked at most once a second).
 * A broken new file is logged and the old users stay. */
static void maybe_reload(struct auth *a, time_t now)
{
	struct stat st;
	struct htpasswd *fresh = NULL, *old;
	struct err err = ERR_INIT;

	pthread_rwlock_wrlock(&a->users_lock);
	if (now == a->last_stat) {
		pthread_rwlock_unlock(&a->users_lock);
		return;
	}
	a->last_stat = now;
	if (stat(a->users_path, &st) < 0 || !stat_changed(&st, &a->users_stat)) {
		pthread_rwlock_unlock(&a->users_lock);
		return;
	}
	a->users_stat = st;
	if (htpasswd_load(&fresh, a->users_path, &err) < 0) {
		log_error("users file not reloaded, keeping the old users: %s", err.msg);
		pthread_rwlock_unlock(&a->users_lock);
		return;
	}
	old = a->users;
	a->users = fresh;
	a->generation++;
	pthread_rwlock_unlock(&a->users_lock);
	htpasswd_free(old);
	log_info("users file reloaded: %zu users", htpasswd_count(fresh));
}

static void cred_digest(const struct auth *a, const char *cred, size_t len, unsigned char out[32])
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), a->cache_key, sizeof(a->cache_key), (const unsigned char *)cred, len, out, &n);
}

static bool cache_hit(struct auth *a, const unsigned char d[32], unsigned gen, time_t now)
{
	bool hit = false;

	pthread_mutex_lock(&a->cache_mu);
	for (int i = 0; i < CACHE_SLOTS && !hit; i++)
		hit = a->cache[i].expires > now && a->cache[i].generation == gen &&
		      CRYPTO_memcmp(a->cache[i].digest, d, 32) == 0;
	pthread_mutex_unlock(&a->cache_mu);
	return hit;
}

static void cache_put(struct auth *a, const unsigned char d[32], unsigned gen, time_t now)
{
	struct cache_entry *victim;

	pthread_mutex_lock(&a->cache_mu);
	victim = &a->cache[0];
	for (int i = 1; i < CACHE_SLOTS; i++)
		if (a->cache[i].expires < victim->expires)
			victim = &a->cache[i];
	memcpy(victim->digest, d, 32);
	victim->expires = now + CACHE_TTL;
	victim->generation = gen;
	pthread_mutex_unlock(&a->cache_mu);
}

/* Decodes standard base64 into out; returns the length or -1. */
static int b64_decode(char *out, size_t outsz, const char *in)
{
	size_t len = strlen(in);
	int n;

	while (len > 0 && (in[len - 1] == ' ' || in[len - 1] == '\t'))
		len--;
	if (len == 0 || len % 4 != 0 || len / 4 * 3 >= outsz)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", in[i]))
			return -1;
	n = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)in, (int)len);
	if (n < 0)
		return -1;
	if (in[len - 1] == '=')
		n--;
	if (in[len - 2] == '=')
		n--;
	out[n] = '\0';
	return n;
}

/* Sleeps ms milliseconds (a wrong password's per-user delay).  Called
 * with no lock held: with a thread per connection, only this request's
 * own thread waits. */
static void delay_ms(long long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

enum auth_result auth_basic(struct auth *a, const char *b64, const char *peer,
			    char *user_out, size_t usz, long long *retry_after)
{
	char cred[CRED_MAX + 4];
	unsigned char digest[32];
	time_t now = time(NULL);
	char *colon;
	unsigned gen;
	bool ok, known = false;
	long long wait = 0;
	int n;

	if ((*retry_after = throttle_check(a->throttle, peer, now)) > 0)
		return AUTH_LOCKED;
	n = b64_decode(cred, sizeof(cred), b64);
	colon = n > 0 ? memchr(cred, ':', (size_t)n) : NULL;
	if (!colon || memchr(cred, '\0', (size_t)n) || (size_t)(colon - cred) >= usz) {
		ok = false;
		goto out;
	}
	maybe_reload(a, now);
	cred_digest(a, cred, (size_t)n, digest);
	pthread_rwlock_rdlock(&a->users_lock);
	gen = a->generation;
	*colon = '\0';
	ok = cache_hit(a, digest, gen, now) || htpasswd_check(a->users, cred, colon + 1);
	known = !ok && htpasswd_has_user(a->users, cred);
	pthread_rwlock_unlock(&a->users_lock);
	if (ok) {
		cache_put(a, digest, gen, now);
		throttle_user_ok(a->throttle, cred);
		snprintf(user_out, usz, "%s", cred);
	} else if (known) {
		/* Only names in the users file are counted, so made-up names
		 * cannot push real users out of the table. */
		wait = throttle_user_fail(a->throttle, cred, now);
	}
out:
	OPENSSL_cleanse(cred, sizeof(cred));
	if (ok)
		return AUTH_OK; /* the address's failures stay: only time clears them */
	__atomic_add_fetch(&a->failed_logins, 1, __ATOMIC_RELAXED);
	if (throttle_fail(a->throttle, peer, now)) {
		__atomic_add_fetch(&a->lockouts, 1, __ATOMIC_RELAXED);
		log_warn("too many failed logins from %s: locked out", peer);
	}
	if (wait > 0)
		delay_ms(wait);
	return AUTH_BAD;
}

int auth_reload(struct auth *a, const struct config *cfg, size_t *users, struct err *err)
{
	struct acl *acl = NULL;
	struct htpasswd *fresh = NULL, *old = NULL;
	struct stat st;
	char *path = NULL, *old_path = NULL;
	int rc;

	*users = 0;
	/* Everything is read and checked before anything is swapped. */
	if ((rc = acl_load(&acl, cfg->git, err)) < 0)
		return rc;
	/* Auth turned on or off needs a restart (the caller says so): the
	 * users stay as they are. */
	if (a->enabled && cfg->users) {
		if (!(path = strdup(cfg->users))) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto fail;
		}
		if (stat(path, &st) < 0) {
			rc = err_set_errno(err, ERR_IO, "cannot read users file '%s'", path);
			goto fail;
		}
		if ((rc = htpasswd_load(&fresh, path, err)) < 0)
			goto fail;
		*users = htpasswd_count(fresh);
		pthread_rwlock_wrlock(&a->users_lock);
		old = a->users;
		old_path = a->users_path;
		a->users = fresh;
		a->users_path = path;
		a->users_stat = st;
		a->last_stat = time(NULL);
		a->generation++; /* no cached password check outlives the old file */
		pthread_rwlock_unlock(&a->users_lock);
		htpasswd_free(old);
		free(old_path);
	}
	acl_replace(a->acl, acl);
	return 0;
fail:
	acl_free(acl);
	free(path);
	return rc;
}

unsigned auth_rights(const struct auth *a, const char *user, const char *repo)
{
	if (!a->enabled)
		return RIGHT_READ | RIGHT_WRITE | RIGHT_ADMIN;
	return acl_rights(a->acl, user, repo);
}
