/* install: `lfs-cgi install PUBLIC_DIR --url BASE_URL --config FILE` lays
 * out a directory inside the account's public_html for Apache: the CGI
 * (a wrapper that runs this program with the config, since SetEnv does
 * not survive suexec), the .htaccess it needs and the static tree of
 * publicly readable objects; records PUBLIC_DIR and BASE_URL in the data
 * directory (cgi/site.h).  It never overwrites a file it did not write:
 * PUBLIC_DIR/.lfs-cgi-manifest lists what it wrote (sha256sum format), so
 * running it again upgrades its own files only. */
#ifndef LFS_CGI_INSTALL_H
#define LFS_CGI_INSTALL_H

/* argv[0] is "install".  Returns the exit code (contract.md): 0, 1 for a
 * runtime or config error, 2 for a usage error. */
int cgi_install_main(int argc, char **argv);

#define CGI_INSTALL_MANIFEST ".lfs-cgi-manifest"
#define CGI_INSTALL_SCRIPT "lfs-server.cgi"

#endif
