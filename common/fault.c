/* fault: named kill points for crash tests (see fault.h). */
#include "fault.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fault_point(const char *name)
{
	static const char *want;
	static size_t want_len;
	static long after, hits;
	static int loaded;

	if (!__atomic_load_n(&loaded, __ATOMIC_ACQUIRE)) {
		want = getenv("LFS_FAULT");
		if (want) {
			const char *colon = strchr(want, ':');
			want_len = colon ? (size_t)(colon - want) : strlen(want);
			after = colon ? strtol(colon + 1, NULL, 10) : 1;
		}
		__atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
	}
	if (want && strncmp(want, name, want_len) == 0 && name[want_len] == '\0' &&
	    __atomic_add_fetch(&hits, 1, __ATOMIC_SEQ_CST) >= after)
		kill(getpid(), SIGKILL);
}
