/* Unit tests for git-hooks/cred.c: what git credential is told and how
 * its answer is read. */
#include <stdlib.h>
#include <string.h>

#include "cred.h"
#include "tap.h"

int main(void)
{
	struct cred c;
	struct err err = ERR_INIT;
	char *s;

	ok(cred_from_url(&c, "https://lfs.example.org/tock/libtock-c.git/info/lfs", false, &err) == 0, "https URL");
	is_str(c.protocol, "https", "protocol");
	is_str(c.host, "lfs.example.org", "host");
	ok(c.path == NULL && c.username == NULL, "no path, no user");
	s = cred_format(&c, false);
	is_str(s, "protocol=https\nhost=lfs.example.org\n", "fill input");
	free(s);
	cred_release(&c);

	ok(cred_from_url(&c, "http://alice:pw@127.0.0.1:8080/a/b.git?x=1", true, &err) == 0, "URL with user and port");
	is_str(c.host, "127.0.0.1:8080", "host keeps its port");
	is_str(c.username, "alice", "user from the URL");
	is_str(c.path, "a/b.git", "path with credential.useHttpPath");
	ok(c.password == NULL, "the URL's password is not used");
	ok(cred_parse(&c, "protocol=http\nhost=127.0.0.1:8080\nusername=bob\npassword=s3cret\n", &err) == 0,
	   "fill output parsed");
	is_str(c.username, "bob", "username from the helper");
	is_str(c.password, "s3cret", "password from the helper");
	s = cred_format(&c, true);
	is_str(s, "protocol=http\nhost=127.0.0.1:8080\npath=a/b.git\nusername=bob\npassword=s3cret\n",
	       "approve input");
	free(s);
	s = cred_format(&c, false);
	ok(strstr(s, "password") == NULL, "no secret unless asked");
	free(s);
	cred_release(&c);
	ok(c.username == NULL && c.password == NULL, "released");

	ok(cred_from_url(&c, "https://host/x", false, &err) == 0, "again");
	is_int(cred_parse(&c, "username=u\n", &err), ERR_AUTH, "no password: no credentials");
	cred_release(&c);
	is_int(cred_from_url(&c, "/local/path", false, &err), ERR_INVALID, "a path has no host");
	is_int(cred_from_url(&c, "https:///x", false, &err), ERR_INVALID, "empty host");
	return tap_done();
}
