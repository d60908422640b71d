/* cli: what every command-line program here says on a usage error (exit
 * code 2 with the usage text, per the contract). */
#ifndef LFS_CLI_H
#define LFS_CLI_H

/* Prints "PROG: MSG" (when msg is not NULL) and the usage text to stderr;
 * returns 2, the usage-error exit code. */
int cli_usage_error(const char *prog, const char *usage, const char *msg);

#endif
