/* cred: git credential exchange (see cred.h). */
#include "cred.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void cred_release(struct cred *c)
{
	free(c->protocol);
	free(c->host);
	free(c->path);
	wipe_free(c->username);
	wipe_free(c->password);
	memset(c, 0, sizeof(*c));
}

int cred_from_url(struct cred *c, const char *url, bool use_path, struct err *err)
{
	const char *sep = strstr(url, "://"), *auth, *host, *end, *at;

	memset(c, 0, sizeof(*c));
	if (!sep)
		return err_set(err, ERR_INVALID, "cannot ask for credentials for '%.100s'", url);
	auth = sep + 3;
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	host = at ? at + 1 : auth;
	if (host == end)
		return err_set(err, ERR_INVALID, "no host in '%.100s'", url);
	c->protocol = strndup(url, (size_t)(sep - url));
	c->host = strndup(host, (size_t)(end - host));
	if (at) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));
		c->username = strndup(auth, (size_t)((colon ? colon : at) - auth));
	}
	if (use_path && *end == '/')
		c->path = strndup(end + 1, strcspn(end + 1, "?#"));
	if (!c->protocol || !c->host || (at && !c->username) || (use_path && *end == '/' && !c->path)) {
		cred_release(c);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	return 0;
}

char *cred_format(const struct cred *c, bool with_secret)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	bool bad;

	if (!f)
		return NULL;
	fprintf(f, "protocol=%s\nhost=%s\n", c->protocol, c->host);
	if (c->path)
		fprintf(f, "path=%s\n", c->path);
	if (c->username)
		fprintf(f, "username=%s\n", c->username);
	if (with_secret && c->password)
		fprintf(f, "password=%s\n", c->password);
	bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		wipe_free(out);
		return NULL;
	}
	return out;
}

int cred_parse(struct cred *c, const char *output, struct err *err)
{
	const char *line = output;

	while (*line) {
		size_t len = strcspn(line, "\n");
		char **slot = NULL;
		size_t klen = 0;
		if (len > 9 && strncmp(line, "username=", 9) == 0) {
			slot = &c->username;
			klen = 9;
		} else if (len > 9 && strncmp(line, "password=", 9) == 0) {
			slot = &c->password;
			klen = 9;
		}
		if (slot) {
			wipe_free(*slot);
			*slot = strndup(line + klen, len - klen);
			if (!*slot)
				return err_set(err, ERR_NOMEM, "out of memory");
		}
		line += len;
		if (*line == '\n')
			line++;
	}
	if (!c->username || !c->password)
		return err_set(err, ERR_AUTH, "no credentials for %s://%s", c->protocol, c->host);
	return 0;
}

/* Runs `git credential <action>` with input on its stdin; collects up to
 * 64 KiB of its stdout into *output (when not NULL).  Returns its exit
 * status, or -1. */
static int run_git_credential(const char *action, const char *input, char **output)
{
	int in[2], out[2], status = -1;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execlp("git", "git", "credential", action, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid > 0) {
		size_t got = 0;
		char *buf = calloc(1, 65537);
		if (util_write_all(in[1], input, strlen(input)) < 0) {
			/* A helper that stops reading early answers what it
			 * has read; its answer (or exit status) decides. */
		}
		close(in[1]);
		in[1] = -1;
		for (;;) {
			ssize_t n;
			if (!buf || got >= 65536)
				break;
			n = read(out[0], buf + got, 65536 - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (output)
			*output = buf;
		else if (buf)
			wipe_free(buf);
	}
	if (in[1] >= 0)
		close(in[1]);
	close(out[0]);
	return status;
}

int cred_fill(struct cred *c, struct err *err)
{
	char *input = cred_format(c, false), *output = NULL;
	int st, rc;

	if (!input)
		return err_set(err, ERR_NOMEM, "out of memory");
	st = run_git_credential("fill", input, &output);
	free(input);
	if (st != 0 || !output) {
		wipe_free(output);
		return err_set(err, ERR_AUTH, "no credentials for %s://%s (git credential fill failed)", c->protocol,
			       c->host);
	}
	rc = cred_parse(c, output, err);
	wipe_free(output);
	return rc;
}

static void tell(const struct cred *c, const char *action)
{
	char *input = cred_format(c, true);

	if (!input)
		return;
	run_git_credential(action, input, NULL);
	wipe_free(input);
}

void cred_approve(const struct cred *c)
{
	tell(c, "approve");
}

void cred_reject(const struct cred *c)
{
	tell(c, "reject");
}
