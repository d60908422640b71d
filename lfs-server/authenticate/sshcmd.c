/* sshcmd: SSH_ORIGINAL_COMMAND parsing (see sshcmd.h). */
#include "authenticate/sshcmd.h"

#include <stdio.h>
#include <string.h>

/* A copy of s fit for a one-line message: control bytes become '?'. */
static const char *shown(char *dst, size_t dstsz, const char *s)
{
	size_t i = 0;

	for (; s[i] && i + 1 < dstsz; i++)
		dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	dst[i] = '\0';
	return dst;
}

int sshcmd_parse(struct sshcmd *out, const char *cmd, struct err *err)
{
	char safe[128];

	char words[3][REPO_MAX + 8];
	const char *p = cmd;
	int n = 0;

	memset(out, 0, sizeof(*out));
	if (!cmd)
		return err_set(err, ERR_INVALID, "this key only serves git-lfs-authenticate (no command given)");
	while (*p && n < 4) {
		size_t len;
		p += strspn(p, " \t");
		if (!*p)
			break;
		len = strcspn(p, " \t");
		if (n == 3 || len >= sizeof(words[0]))
			return err_set(err, ERR_INVALID, "this key only serves 'git-lfs-authenticate <repo> <download|upload>'");
		memcpy(words[n], p, len);
		words[n][len] = '\0';
		n++;
		p += len;
	}
	if (n != 3 || strcmp(words[0], "git-lfs-authenticate") != 0)
		return err_set(err, ERR_INVALID, "this key only serves 'git-lfs-authenticate <repo> <download|upload>'; "
			       "git itself is hosted elsewhere");
	if (strcmp(words[2], "download") != 0 && strcmp(words[2], "upload") != 0)
		return err_set(err, ERR_INVALID, "operation must be download or upload, not '%.32s'",
			       shown(safe, sizeof(safe), words[2]));
	{
		char *r = words[1];
		size_t len = strlen(r);
		if (len >= 2 && r[0] == '\'' && r[len - 1] == '\'') {
			r[len - 1] = '\0';
			r++;
		}
		if (r[0] == '/')
			r++;
		if (route_repo(out->repo, r, strlen(r), err) < 0)
			return err_set(err, ERR_INVALID, "invalid repository path '%.100s'",
				       shown(safe, sizeof(safe), r));
	}
	snprintf(out->op, sizeof(out->op), "%.15s", words[2]);
	return 0;
}
