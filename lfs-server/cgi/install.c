/* install: placeholder until `lfs-cgi install` is written (its own
 * branch replaces this file); it fails plainly rather than pretend. */
#include "cgi/install.h"

#include <stdio.h>

int cgi_install_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "lfs-cgi: install: not built yet\n");
	return 1;
}
