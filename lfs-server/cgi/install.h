/* install: `lfs-cgi install PUBLIC_DIR --url BASE_URL --config FILE`
 * (contract.md, "CGI mode"): lays out the CGI, its .htaccess files and the
 * static tree.  lfs-cgi's main hands it the arguments after "install". */
#ifndef LFS_CGI_INSTALL_H
#define LFS_CGI_INSTALL_H

/* argv[0] is "install"; returns the exit code (0, 1 runtime, 2 usage). */
int cgi_install_main(int argc, char **argv);

#endif
