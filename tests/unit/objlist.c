/* Unit tests for git-hooks/objlist.c. */
#include <stdio.h>
#include <string.h>

#include "objlist.h"
#include "tap.h"

int main(void)
{
	struct objlist l = OBJLIST_INIT;
	struct err err = ERR_INIT;
	char oid[OID_HEX_LEN + 1];
	bool added = false, all = true;

	ok(objlist_find(&l, "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447") == NULL,
	   "empty list finds nothing");
	for (int i = 0; i < 1000; i++) {
		snprintf(oid, sizeof(oid), "%064x", i * 7919);
		if (objlist_add(&l, oid, i, "path", &added, &err) < 0 || !added)
			all = false;
	}
	ok(all, "1000 distinct oids added");
	is_int((long long)l.n, 1000, "1000 listed");
	snprintf(oid, sizeof(oid), "%064x", 500 * 7919);
	ok(objlist_add(&l, oid, 1, "other", &added, &err) == 0 && !added, "a duplicate is not added");
	is_int((long long)l.n, 1000, "still 1000");
	ok(objlist_find(&l, oid) && objlist_find(&l, oid)->size == 500, "find gives the first entry");
	is_str(objlist_find(&l, oid)->path, "path", "first path kept");
	is_str(l.items[999].oid, (snprintf(oid, sizeof(oid), "%064x", 999 * 7919), oid), "insertion order kept");
	objlist_release(&l);
	is_int((long long)l.n, 0, "released");
	ok(objlist_add(&l, oid, 3, NULL, &added, &err) == 0 && added, "reusable after release");
	objlist_release(&l);
	return tap_done();
}
