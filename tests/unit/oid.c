/* Unit tests for common/oid.c. */
#include <string.h>

#include "oid.h"
#include "tap.h"

#define HELLO "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"

int main(void)
{
	char path[OID_PATH_LEN];
	unsigned char digest[32];

	ok(oid_valid(HELLO), "valid oid accepted");
	ok(!oid_valid(NULL), "NULL rejected");
	ok(!oid_valid(""), "empty rejected");
	ok(!oid_valid("a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a44"), "63 chars rejected");
	ok(!oid_valid(HELLO "7"), "65 chars rejected");
	ok(!oid_valid("A948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"), "uppercase rejected");
	ok(!oid_valid("../../../../etc/passwd0000000000000000000000000000000000000000000"), "path rejected");
	ok(!oid_valid("g948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"), "non-hex rejected");
	ok(oid_valid_n(HELLO "xyz", 64), "length-delimited check ignores the tail");
	ok(!oid_valid_n(HELLO, 63), "length-delimited short rejected");
	oid_path(path, HELLO);
	is_str(path, "a9/48/" HELLO, "path is ab/cd/oid");
	memset(digest, 0xab, sizeof(digest));
	{
		char hex[OID_HEX_LEN + 1];
		oid_from_digest(hex, digest);
		ok(oid_valid(hex) && hex[0] == 'a' && hex[1] == 'b', "digest to hex");
	}
	return tap_done();
}
