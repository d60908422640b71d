/* static: which objects the web server serves itself from the static
 * tree (cgi/publish.h), and pointing clients there.  Only repos anonymous
 * may read take part; a private repo's objects never enter the tree. */
#ifndef LFS_CGI_STATIC_H
#define LFS_CGI_STATIC_H

#include <jansson.h>

struct publish;
struct req;

/* A 200 batch answer about to go out: each download action of a public
 * repo whose href is the CGI's own object URL points at
 * BASE/objects/ab/cd/<oid> instead, once the object is in the tree (put
 * there now if it is missing: uploaded before the repo became public, or
 * before the tree existed).  Objects that cannot be placed keep the CGI
 * URL, which serves them too. */
void cgi_static_batch(struct req *r, struct publish *pub, json_t *answer);

/* A PUT answered 200: a public repo's object goes into the tree before the
 * client hears of it.  A failure is logged; the batch places it later. */
void cgi_static_upload(struct req *r, struct publish *pub);

#endif
