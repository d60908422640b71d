/* cgi: lfs-cgi's request serving (contract.md, "CGI mode"): one request
 * per process, from the CGI environment and standard input to standard
 * output, through the daemon's endpoint code (server/endpoint.h) over
 * cgi/http_cgi.c's implementation of server/http.h. */
#ifndef LFS_CGI_H
#define LFS_CGI_H

struct publish;
struct server;

/* Serves the one request.  Refusals (500 and a line on stderr, which the
 * web server keeps in its error log): no config, auth.users unset,
 * server.data relative or under the web root (DOCUMENT_ROOT,
 * CONTEXT_DOCUMENT_ROOT, public_dir), a data directory owned by another
 * user than the one we run as, storage.type other than local.
 * public_dir: the directory the install laid out (the static tree is its
 * objects/), NULL = the directory of SCRIPT_FILENAME.  Returns the exit
 * code. */
int cgi_main(const char *config_path, const char *public_dir);

/* Runs the request against an opened server; pub (may be NULL) is the
 * static tree.  Returns the exit code. */
int cgi_serve(struct server *srv, struct publish *pub);

/* Answers 500 for a set-up that must not serve, the reason on stderr. */
void cgi_refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
