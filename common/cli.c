/* cli: usage errors for the command-line programs (see cli.h). */
#include "cli.h"

#include <stdio.h>

int cli_usage_error(const char *prog, const char *usage, const char *msg)
{
	if (msg)
		fprintf(stderr, "%s: %s\n", prog, msg);
	fputs(usage, stderr);
	return 2;
}
