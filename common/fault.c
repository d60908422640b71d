/* fault: named kill points for crash tests (see fault.h). */
#include "fault.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fault_point(const char *name)
{
	static const char *want;
	static int loaded;

	if (!__atomic_load_n(&loaded, __ATOMIC_ACQUIRE)) {
		want = getenv("LFS_FAULT");
		__atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
	}
	if (want && strcmp(want, name) == 0)
		kill(getpid(), SIGKILL);
}
