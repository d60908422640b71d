/* git-lfs-authenticate: the SSH side of authentication.  Run by sshd as a
 * forced command for one user's key:
 *
 *   command="/path/git-lfs-authenticate --config FILE --user NAME" ssh-ed25519 ...
 *
 * it serves `git-lfs-authenticate <repo> <download|upload>` by printing
 * {"href","header","expires_in"} with an api token the batch endpoint
 * accepts, and refuses anything else (git itself is hosted elsewhere). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authenticate/sshcmd.h"
#include "core/acl.h"
#include "core/config.h"
#include "core/token.h"
#include "version.h"

static const char usage[] = "usage: git-lfs-authenticate --config FILE --user NAME\n";

static int fail(const char *msg)
{
	fprintf(stderr, "git-lfs-authenticate: %s\n", msg);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *user = NULL;
	struct config cfg;
	struct err err = ERR_INIT;
	struct sshcmd cmd;
	struct acl *acl = NULL;
	struct token_key key = { .mac = NULL };
	struct token t;
	char secret[4096], tok[TOKEN_MAX], auth[TOKEN_MAX + 8], href[1024];
	unsigned rights, need;
	json_t *out;
	int c, rc = 1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'u': user = optarg; break;
		case 'h':
			printf("%s\nRun by sshd as a forced command; prints an LFS API token for\n"
			       "SSH_ORIGINAL_COMMAND='git-lfs-authenticate <repo> <download|upload>'.\n", usage);
			return 0;
		case 'V': printf("git-lfs-authenticate %s\n", LFS_VERSION); return 0;
		default: fprintf(stderr, "git-lfs-authenticate: bad option\n%s", usage); return 2;
		}
	}
	if (!config || !user || !*user || optind < argc) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	if (sshcmd_parse(&cmd, getenv("SSH_ORIGINAL_COMMAND"), &err) < 0)
		return fail(err.msg);
	if (config_init(&cfg, &err) < 0 || config_load(&cfg, config, &err) < 0) {
		rc = fail(err.msg);
		goto out;
	}
	if (acl_load(&acl, cfg.git, &err) < 0) {
		rc = fail(err.msg);
		goto out;
	}
	rights = acl_rights(acl, user, cmd.repo);
	need = strcmp(cmd.op, "upload") == 0 ? RIGHT_WRITE : RIGHT_READ;
	if ((rights & need) != need) {
		/* One answer for "missing" and "forbidden": existence stays private. */
		rc = fail(rights & RIGHT_READ ? "access denied: read-only access" : "repository not found");
		goto out;
	}
	snprintf(secret, sizeof(secret), "%s/secret", cfg.data);
	if (token_key_load(&key, cfg.secret_file ? cfg.secret_file : secret, false, &err) < 0) {
		rc = fail(err.msg);
		goto out;
	}
	memset(&t, 0, sizeof(t));
	snprintf(t.kind, sizeof(t.kind), "api");
	snprintf(t.user, sizeof(t.user), "%s", user);
	snprintf(t.repo, sizeof(t.repo), "%s", cmd.repo);
	snprintf(t.op, sizeof(t.op), "%s", cmd.op);
	t.size = -1;
	t.expires = (long long)time(NULL) + cfg.token_ttl;
	if (token_sign(tok, sizeof(tok), &t, &key, &err) < 0) {
		rc = fail(err.msg);
		goto out;
	}
	snprintf(auth, sizeof(auth), "Bearer %s", tok);
	if (cfg.public_url)
		snprintf(href, sizeof(href), "%s/%s/info/lfs", cfg.public_url, cmd.repo);
	else
		snprintf(href, sizeof(href), "%s://%s/%s/info/lfs", cfg.tls_cert ? "https" : "http", cfg.listen, cmd.repo);
	out = json_pack("{s:s, s:{s:s}, s:I}", "href", href, "header", "Authorization", auth,
			"expires_in", (json_int_t)cfg.token_ttl);
	if (!out || json_dumpf(out, stdout, JSON_COMPACT) < 0) {
		json_decref(out);
		rc = fail("cannot write the answer");
		goto out;
	}
	json_decref(out);
	putchar('\n');
	rc = fflush(stdout) == 0 ? 0 : fail("cannot write the answer");
out:
	token_key_release(&key);
	acl_free(acl);
	config_release(&cfg);
	return rc;
}
