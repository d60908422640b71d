/* fault: fault injection for crash tests.  When the environment variable
 * LFS_FAULT names a point, reaching that point kills the process with
 * SIGKILL, exactly as kill -9 would; "NAME:N" kills at the Nth time the
 * point is reached (so earlier requests were answered before the crash).
 * Unset in production: one getenv at the first check, then a pointer
 * compare. */
#ifndef LFS_FAULT_H
#define LFS_FAULT_H

void fault_point(const char *name);

#endif
