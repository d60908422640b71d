/* unpublish: `lfs-cgi unpublish REPO --config FILE` removes from the static
 * tree (PUBLIC_DIR/objects, which Apache serves to anyone) the objects of
 * a repo that is no longer publicly readable.  The CGI only ever adds to
 * that tree, so a repo made private keeps what is already public until
 * this runs.  Objects that another still-public repo holds stay. */
#ifndef LFS_CGI_UNPUBLISH_H
#define LFS_CGI_UNPUBLISH_H

/* argv[0] is "unpublish".  Returns the exit code (0, 1, 2 usage). */
int cgi_unpublish_main(int argc, char **argv);

#endif
