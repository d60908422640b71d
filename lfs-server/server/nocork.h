/* nocork: the daemon's connections are never corked (why: nocork.c). */
#ifndef LFS_SERVER_NOCORK_H
#define LFS_SERVER_NOCORK_H

#include <stdbool.h>

/* Whether requests to cork are being refused in this process: true once
 * nocork.c is linked in, which calling this guarantees. */
bool nocork_active(void);

#endif
