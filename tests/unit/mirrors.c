/* Unit tests for git-hooks/mirrors.c: object URLs on a mirror tree. */
#include <stdlib.h>

#include "mirrors.h"
#include "tap.h"

#define HELLO "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"

static void check(const char *base, const char *want)
{
	char *u = mirrors_object_url(base, HELLO);

	is_str(u, want, base);
	free(u);
}

int main(void)
{
	check("https://mirror.example.edu/tock", "https://mirror.example.edu/tock/objects/a9/48/" HELLO);
	check("https://mirror.example.edu/tock/", "https://mirror.example.edu/tock/objects/a9/48/" HELLO);
	check("http://127.0.0.1:8080//", "http://127.0.0.1:8080/objects/a9/48/" HELLO);
	return tap_done();
}
