/* oid: validation and path mapping of object ids (see oid.h). */
#include "oid.h"

#include <string.h>

bool oid_valid_n(const char *s, size_t len)
{
	if (!s || len != OID_HEX_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

bool oid_valid(const char *s)
{
	return s && oid_valid_n(s, strnlen(s, OID_HEX_LEN + 1));
}

void oid_path(char out[OID_PATH_LEN], const char *oid)
{
	out[0] = oid[0];
	out[1] = oid[1];
	out[2] = '/';
	out[3] = oid[2];
	out[4] = oid[3];
	out[5] = '/';
	memcpy(out + 6, oid, OID_HEX_LEN);
	out[6 + OID_HEX_LEN] = '\0';
}

void oid_from_digest(char out[OID_HEX_LEN + 1], const unsigned char digest[32])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[OID_HEX_LEN] = '\0';
}
