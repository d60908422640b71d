/* tap: a minimal TAP producer for the C unit tests (run by prove). */
#ifndef LFS_TAP_H
#define LFS_TAP_H

#include <stdbool.h>

void tap_plan(int n);
/* Each returns cond, so a test can stop early on a failed precondition. */
bool tap_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool tap_is_int(long long got, long long want, const char *name);
bool tap_is_str(const char *got, const char *want, const char *name);
/* Prints the plan if none was given, and returns the exit status. */
int tap_done(void);

#define ok tap_ok
#define is_int tap_is_int
#define is_str tap_is_str

#endif
