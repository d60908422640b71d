#!/bin/bash
test_description='lfs-cgi under concurrency: racing uploads of one object, 50 lock requests at once, a CGI killed mid-upload'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-cgi.sh"

# Many CGI processes share one data dir with no process between them: the
# metadata (SQLite, WAL) and link(2) must give exactly the daemon's
# outcomes.  The daemon runs the same races on a data dir of its own.

N=50
: >users
add_user users alice alice-pw && add_user users bob bob-pw ||
	{ echo "Bail out! htpasswd failed"; exit 1; }
rules="[auth]
	users = $TRASH/users
[repo \"pub/*\"]
	read = *
	write = alice bob"
printf '%s\n' "$rules" >daemon.cfg
printf '[server]\n\tdata = %s\n%s\n' "$TRASH/cgi-data" "$rules" >cgi.cfg
CGI_CONFIG=$TRASH/cgi.cfg
mkdir -p "$CGI_PUBLIC/objects" cgi-data && chmod 700 cgi-data
start_lfs_server --config daemon.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }
J="Content-Type: $LFS_TYPE"
B=info/lfs/objects/batch

# race DIR: runs "client I DIR" for I in 1..N, all released at once by a
# flock barrier (no sleeps), as t4200 does.
race() {
	local dir="$1" n="$2" i
	mkdir -p "$dir" && : >"$dir/barrier" || return 1
	exec 8>"$dir/barrier"
	flock -x 8 || return 1
	for i in $(seq "$n"); do
		(exec 8>&-; flock -s "$dir/barrier" true && client "$i" "$dir") &
	done
	exec 8>&-
	wait
}

statuses() {
	cat "$1"/[0-9]*.status | sort | uniq -c | sed 's/^ *//'
}

# cgi_client I DIR METHOD PATH [opts]: one CGI request of a race.
cgi_client() {
	local i="$1" dir="$2"
	shift 2
	CGI_OUT="$dir/$i" cgi_request "$@" >"$dir/$i.status" 2>"$dir/$i.err"
}

# A first request creates the data dir, its key and schema, as the
# install's first visit does.
test_expect_success 'a first request sets up the data dir' '
	[ "$(cgi_request GET /healthz)" = 200 ] &&
	test_file_not_empty cgi-data/secret && test_file_not_empty cgi-data/meta.db
'

make_file big $((3 * 1024 * 1024)) big
OID=$(sha256_of big)
SIZE=$(wc -c <big)
printf '{"operation":"upload","objects":[{"oid":"%s","size":%s}]}' "$OID" "$SIZE" >up.json
printf '{"operation":"download","objects":[{"oid":"%s","size":%s}]}' "$OID" "$SIZE" >down.json

test_expect_success 'two CGI uploads of one object at once: both 200, one object, one journal row' '
	[ "$(cgi_request POST /pub/a.git/$B -u alice:alice-pw -H "$J" -d up.json)" = 200 ] &&
	tok=$(jq -er ".objects[0].actions.upload.header.Authorization" "$TRASH/cgi.body") &&
	client() { cgi_client "$1" "$2" PUT /pub/a/info/lfs/objects/$OID -H "Authorization: $tok" -d big; } &&
	race up 2 &&
	statuses up >got && printf "2 200\n" >want && test_cmp want got &&
	test_cmp big "$(obj_path cgi-data $OID)" &&
	test_cmp big "$(obj_path "$CGI_PUBLIC" $OID)" &&
	[ "$(find cgi-data/objects -type f | wc -l)" = 1 ] &&
	test_must_be_empty "$(ls -A cgi-data/tmp)" &&
	"$BIN/lfs-admin" --data cgi-data uploads >uploads &&
	[ "$(grep -c $OID uploads)" = 1 ]
'

test_expect_success 'the daemon answers the same race the same way' '
	tok=$(curl -sS -u alice:alice-pw -H "$J" --data-binary @up.json "$LFS_URL/pub/a.git/$B" |
		jq -er ".objects[0].actions.upload.header.Authorization") &&
	client() {
		curl -sS -o /dev/null -w "%{http_code}\n" -X PUT -H "Authorization: $tok" \
			--data-binary @big "$LFS_URL/pub/a/info/lfs/objects/$OID" >"$2/$1.status"
	} &&
	race dup 2 &&
	statuses dup >got && printf "2 200\n" >want && test_cmp want got
'

printf '{"path":"shared/asset.bin"}' >lock.json
USERS=(bob alice)

test_expect_success "$N CGI lock requests for one path at once: one 201, $((N - 1)) 409, no 5xx" '
	client() { cgi_client "$1" "$2" POST /pub/a.git/info/lfs/locks -u "${USERS[$1 % 2]}:${USERS[$1 % 2]}-pw" -H "$J" -d lock.json; } &&
	race locks $N &&
	statuses locks >got &&
	printf "1 201\n%d 409\n" $((N - 1)) >want &&
	test_cmp want got
'

test_expect_success 'one lock exists, held by the winner; every 409 names it' '
	winner=$(grep -l 201 locks/*.status) && winner=${winner%.status} &&
	id=$(jq -er .lock.id "$winner.body") &&
	[ "$(cgi_request GET /pub/a.git/info/lfs/locks -u alice:alice-pw)" = 200 ] &&
	jq -e --arg id "$id" "[.locks[] | select(.path == \"shared/asset.bin\")] | length == 1 and .[0].id == \$id" \
		"$TRASH/cgi.body" &&
	for f in $(grep -l 409 locks/*.status); do
		jq -e --arg id "$id" ".lock.id == \$id" "${f%.status}.body" >/dev/null || return 1
	done
'

test_expect_success "the daemon: the same $N lock requests, the same outcome" '
	client() {
		curl -sS -o "$2/$1.body" -w "%{http_code}\n" -u "${USERS[$1 % 2]}:${USERS[$1 % 2]}-pw" \
			-H "$J" --data-binary @lock.json "$LFS_URL/pub/a.git/info/lfs/locks" >"$2/$1.status"
	} &&
	race dlocks $N &&
	statuses dlocks >got &&
	printf "1 201\n%d 409\n" $((N - 1)) >want &&
	test_cmp want got
'

make_file half-obj $((2 * 1024 * 1024)) half
HOID=$(sha256_of half-obj)
HSIZE=$(wc -c <half-obj)
printf '{"operation":"upload","objects":[{"oid":"%s","size":%s}]}' "$HOID" "$HSIZE" >hup.json
printf '{"operation":"download","objects":[{"oid":"%s","size":%s}]}' "$HOID" "$HSIZE" >hdown.json

tmp_count() { [ "$(find cgi-data/tmp -type f | wc -l)" = "$1" ]; }
# An upload in flight, as a named temp or an anonymous file (test-lib.sh).
upload_count() { [ "$(upload_files cgi-data | wc -l)" = "$1" ]; }

# A PUT of HOID whose body comes from body.fifo, in the background; sets
# pid.  (A function, so that the & applies to lfs-cgi alone.)
start_put() {
	env -i GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=PUT PATH_INFO=/pub/a/info/lfs/objects/$HOID \
		CONTENT_LENGTH=$HSIZE "HTTP_AUTHORIZATION=$1" HTTP_HOST=cgi.test \
		SCRIPT_NAME=/~alice/lfs/lfs-server.cgi SCRIPT_FILENAME="$CGI_PUBLIC/lfs-server.cgi" \
		"$BIN/lfs-cgi" --config "$CGI_CONFIG" <body.fifo >killed.out 2>killed.err &
	pid=$!
}

test_expect_success 'a CGI killed mid-upload leaves nothing visible' '
	[ "$(cgi_request POST /pub/a.git/$B -u alice:alice-pw -H "$J" -d hup.json)" = 200 ] &&
	tok=$(jq -er ".objects[0].actions.upload.header.Authorization" "$TRASH/cgi.body") &&
	mkfifo body.fifo &&
	start_put "$tok" &&
	test_track_pid $pid lfs-cgi &&
	exec 9>body.fifo &&
	head -c $((HSIZE / 2)) half-obj >&9 &&
	test_poll upload_count 1 &&
	kill -9 $pid && { wait $pid; [ $? = 137 ]; } && exec 9>&- &&
	test -e killed.err && test_must_be_empty killed.out &&
	upload_count "$(find cgi-data/tmp -type f | wc -l)" &&
	{ tmp_count 0 || tmp_count 1; } &&
	test_path_is_missing "$(obj_path cgi-data $HOID)" &&
	test_path_is_missing "$(obj_path "$CGI_PUBLIC" $HOID)" &&
	[ "$(cgi_request POST /pub/a.git/$B -H "$J" -d hdown.json)" = 200 ] &&
	jq -e ".objects[0].error.code == 404" "$TRASH/cgi.body"
'

# A named temp stays after a kill -9; an anonymous file (O_TMPFILE) does
# not, so an old temp is made here too, to be swept either way.
test_expect_success 'its temp file goes when it is old, at a later request; a fresh one stays' '
	: >cgi-data/tmp/old-upload &&
	tmp=$(find cgi-data/tmp -type f) &&
	: >cgi-data/tmp/fresh-upload &&
	touch -d "2 hours ago" $tmp cgi-data/cgi-sweep &&
	[ "$(cgi_request GET /healthz)" = 200 ] &&
	for f in $tmp; do test_path_is_missing "$f" || return 1; done &&
	test -e cgi-data/tmp/fresh-upload &&
	rm cgi-data/tmp/fresh-upload
'

test_expect_success 'the upload then succeeds, and lfs-admin fsck finds the data dir clean' '
	[ "$(cgi_request POST /pub/a.git/$B -u alice:alice-pw -H "$J" -d hup.json)" = 200 ] &&
	tok=$(jq -er ".objects[0].actions.upload.header.Authorization" "$TRASH/cgi.body") &&
	[ "$(cgi_request PUT /pub/a/info/lfs/objects/$HOID -H "Authorization: $tok" -d half-obj)" = 200 ] &&
	test_cmp half-obj "$(obj_path cgi-data $HOID)" &&
	"$BIN/lfs-admin" --data cgi-data fsck
'

test_done
