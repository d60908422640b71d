#!/bin/bash
test_description='lfs-cgi static tree on another file system: objects are copied in whole (temp file, sync, link), never linked across'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# The data dir (under build/) and the public directory (on a tmpfs) are on
# two file systems, as when a university puts public_html on another
# volume than the account's home: link(2) fails with EXDEV and the object
# is copied instead, with the same never-half-visible discipline.

SHM=/dev/shm/lfs-cgi-$TEST_NAME-$$
CGI_PUBLIC=$SHM/public_html/lfs
. "$TEST_ROOT/tests/integration/lib-cgi.sh"
test_atexit "rm -rf '$SHM'"

: >users
add_user users alice alice-pw || { echo "Bail out! htpasswd failed"; exit 1; }
printf '[server]\n\tdata = %s\n[auth]\n\tusers = %s\n[repo "pub/*"]\n\tread = *\n\twrite = alice\n' \
	"$TRASH/data" "$TRASH/users" >cgi.cfg
CGI_CONFIG=$TRASH/cgi.cfg
mkdir -p data "$CGI_PUBLIC/objects" && chmod 700 data
J="Content-Type: $LFS_TYPE"
B=info/lfs/objects/batch

make_file obj $((1024 * 1024 + 7)) obj
OID=$(sha256_of obj)
SIZE=$(wc -c <obj)
printf '{"operation":"upload","objects":[{"oid":"%s","size":%s}]}' "$OID" "$SIZE" >up.json
printf '{"operation":"download","objects":[{"oid":"%s","size":%s}]}' "$OID" "$SIZE" >down.json

if [ "$(stat -c %d data)" = "$(stat -c %d "$CGI_PUBLIC")" ]; then
	test_skip "/dev/shm is on the same file system as the build directory here"
else
	test_expect_success 'an upload to a public repo puts a copy (another inode) in the static tree' '
		[ "$(cgi_request POST /pub/a.git/$B -u alice:alice-pw -H "$J" -d up.json)" = 200 ] &&
		tok=$(jq -er ".objects[0].actions.upload.header.Authorization" "$TRASH/cgi.body") &&
		[ "$(cgi_request PUT /pub/a/info/lfs/objects/$OID -H "Authorization: $tok" -d obj)" = 200 ] &&
		f=$(obj_path "$CGI_PUBLIC" $OID) &&
		test_cmp obj "$f" &&
		[ "$(stat -c "%a %h" "$f")" = "644 1" ] &&
		[ "$(stat -c %i "$f")" != "$(stat -c %i "$(obj_path data $OID)")" ]
	'

	test_expect_success 'no temporary file is left beside it' '
		[ "$(find "$CGI_PUBLIC/objects" -type f | wc -l)" = 1 ]
	'

	test_expect_success 'a copy removed from the tree comes back whole at the next download batch' '
		rm "$(obj_path "$CGI_PUBLIC" $OID)" &&
		[ "$(cgi_request POST /pub/a.git/$B -H "$J" -d down.json)" = 200 ] &&
		jq -e --arg h "$CGI_BASE/objects/${OID:0:2}/${OID:2:2}/$OID" \
			".objects[0].actions.download.href == \$h" "$TRASH/cgi.body" &&
		test_cmp obj "$(obj_path "$CGI_PUBLIC" $OID)" &&
		[ "$(find "$CGI_PUBLIC/objects" -type f | wc -l)" = 1 ]
	'
fi

test_done
