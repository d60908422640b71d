/* lfs-cgi: the LFS server as a CGI program, for web space that runs CGI
 * but no daemon (contract.md, "CGI mode").  Started by the web server
 * (GATEWAY_INTERFACE set) it serves one request and exits; `lfs-cgi
 * install ...` lays out a public directory for it. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi/cgi.h"
#include "cgi/install.h"
#include "cgi/unpublish.h"
#include "cli.h"
#include "version.h"

static const char usage[] =
	"usage: lfs-cgi --config FILE [--public-dir DIR]   (run by a web server as a CGI program)\n"
	"   or: lfs-cgi install PUBLIC_DIR --url BASE_URL --config FILE\n"
	"   or: lfs-cgi unpublish REPO --config FILE\n";

static void help(void)
{
	printf("%s\n"
	       "The Git LFS server as a CGI program: one request per process, no daemon.\n\n"
	       "  --config FILE      the server's config (git-config syntax); auth.users and an\n"
	       "                     absolute server.data outside the web root are required\n"
	       "  --public-dir DIR   the directory install laid out (its objects/ is the static\n"
	       "                     tree); default: the directory of SCRIPT_FILENAME\n"
	       "  --help, --version\n\n"
	       "It serves only when GATEWAY_INTERFACE is set (a web server started it).\n", usage);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "public-dir", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *public_dir = NULL;
	bool cgi = getenv("GATEWAY_INTERFACE") != NULL;
	int c;

	/* Never from a request: a web server turns a query string without
	 * '=' into arguments (RFC 3875 4.4), so "?install" must not install. */
	if (!cgi && argc > 1 && strcmp(argv[1], "install") == 0)
		return cgi_install_main(argc - 1, argv + 1);
	if (!cgi && argc > 1 && strcmp(argv[1], "unpublish") == 0)
		return cgi_unpublish_main(argc - 1, argv + 1);
	/* Under a web server the first --config and --public-dir win (the
	 * wrapper's), and nothing else is taken from the command line: any
	 * later word may be a client's. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = cgi && config ? config : optarg; break;
		case 'p': public_dir = cgi && public_dir ? public_dir : optarg; break;
		case 'h':
			if (cgi)
				break;
			help();
			return 0;
		case 'V':
			if (cgi)
				break;
			printf("lfs-cgi %s\n", LFS_VERSION);
			return 0;
		default:
			if (!cgi)
				return cli_usage_error("lfs-cgi", usage, "unknown or incomplete option");
		}
	}
	if (!cgi)
		return cli_usage_error("lfs-cgi", usage,
				       "not started as a CGI program (GATEWAY_INTERFACE is not set)");
	/* Extra words are the query string's (see above): ignored. */
	return cgi_main(config, public_dir);
}
