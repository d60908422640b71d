#!/bin/bash
test_description='a mirror tree in a mod_userdir public_html with the .htaccess of docs/mirrors.md, at each AllowOverride level; git-lfs clones download from Apache'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-apache.sh"

git lfs install >/dev/null || { echo "Bail out! git lfs install failed"; exit 1; }

# The documented files, taken from the doc itself so that they cannot drift.
doc_block "$TEST_ROOT/docs/mirrors.md" '^### Apache, in public_html' 1 >htaccess.doc &&
	doc_block "$TEST_ROOT/docs/mirrors.md" '^### Apache, in public_html' 2 >htaccess.fileinfo ||
	{ echo "Bail out! no .htaccess in docs/mirrors.md"; exit 1; }

# ~tock/tock-lfs, as in the doc: Debian's public_html set-up, at three
# AllowOverride levels, all serving the same tree.
PH=$(apache_public_html tock) || { echo "Bail out! no public_html"; exit 1; }
M="$PH/tock-lfs"
LEVELS="stock less none"
override() {
	case "$1" in
	stock) echo "FileInfo AuthConfig Limit Indexes" ;;
	less) echo "AuthConfig Limit Indexes" ;;
	none) echo "None" ;;
	esac
}
for level in $LEVELS; do
	start_apache "$(override $level)" "apache-$level" ||
		{ echo "Bail out! apache ($level) did not start"; exit 1; }
	eval "URL_$level=\$APACHE_URL/~tock/tock-lfs LOG_$level=\$APACHE_ACCESS_LOG ERR_$level=\$APACHE_ERROR_LOG"
done

cat >server.cfg <<EOF
[repo "tock/*"]
	read = *
	mirror = true
[journal]
	readers = *
[mirror "uni"]
	url = $URL_stock
[mirror]
	check-interval = 1
EOF
start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }

count() {
	grep -c -- "$1" "$2" || true
}
# get LEVEL PATH: status code; headers in $TRASH/headers, body in $TRASH/body.
get() {
	local url
	eval "url=\$URL_$1"
	http_status GET "$url/$2"
}
header() {
	tr -d '\r' <"$TRASH/headers" | sed -n "s/^$1: //Ip"
}

test_expect_success 'setup: git-lfs pushes three objects of a mirrored repo; lfs-mirror sync fills public_html' '
	git init -q --bare origin.git &&
	git init -q work &&
	(
		cd work &&
		printf "[lfs]\n\turl = %s/tock/libtock-c.git/info/lfs\n" "$LFS_URL" >.lfsconfig &&
		git lfs track "*.a" >/dev/null &&
		mkdir lib &&
		make_file lib/cortex-m0.a 300000 m0 &&
		make_file lib/cortex-m4.a 400000 m4 &&
		make_file lib/rv32imc.a 500000 rv &&
		git add . && git commit -qm "prebuilt libraries" &&
		git remote add origin "$TRASH/origin.git" &&
		git push -q origin main
	) &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" >sync.out &&
	grep "synced 3 objects" sync.out &&
	cp htaccess.doc "$M/.htaccess" && chmod 644 "$M/.htaccess"
'

OID=$(sha256_of work/lib/cortex-m4.a)
OBJ=objects/$(echo "$OID" | cut -c1-2)/$(echo "$OID" | cut -c3-4)/$OID

# Worst case for the rules: tmp/ opened up (as a careless chmod -R would)
# and holding a download in flight, so that only the .htaccess keeps it in.
open_tmp() {
	head -c 1000 work/lib/cortex-m4.a >"$M/tmp/$OID-0011223344556677" &&
	chmod -R a+rX "$M"
}

for level in stock less; do
	test_expect_success "$level ($(override $level)): objects 200, byte-identical, cached for a year" '
		open_tmp &&
		test "$(get $level "$OBJ")" = 200 &&
		cmp body work/lib/cortex-m4.a &&
		test "$(header Cache-Control)" = "max-age=31536000"
	'
	test_expect_success "$level: mirror-state.json 200, application/json, max-age=0" '
		test "$(get $level mirror-state.json)" = 200 &&
		cmp body "$M/mirror-state.json" &&
		test "$(header Content-Type)" = application/json &&
		test "$(header Cache-Control)" = "max-age=0"
	'
	for p in .lfs-mirror.lock tmp tmp/ "tmp/$OID-0011223344556677" tmp/mirror-state.json.new .htaccess; do
		test_expect_success "$level: $p is not served (403)" '
			open_tmp && : >"$M/tmp/mirror-state.json.new" &&
			test "$(get $level "$p")" = 403
		'
	done
	test_expect_success "$level: never a 500, no directive refused" '
		! grep -q "\" 500 " "$(eval echo \$LOG_$level)" &&
		! grep -q "not allowed" "$(eval echo \$ERR_$level)"
	'
done

test_expect_success 'none (.htaccess ignored): objects and state 200, no caching headers' '
	test "$(get none "$OBJ")" = 200 &&
	cmp body work/lib/cortex-m4.a &&
	test -z "$(header Cache-Control)" &&
	test "$(get none mirror-state.json)" = 200 &&
	test -z "$(header Cache-Control)"
'

test_expect_success 'none: the lock file is served, empty, as the doc says' '
	test "$(get none .lfs-mirror.lock)" = 200 &&
	test ! -s body &&
	test "$(get none .htaccess)" = 403
'

if [ "$(id -u)" = 0 ]; then
	test_expect_success 'none: tmp/ as lfs-mirror leaves it (0700) is unreadable for the web server (403)' '
		chmod 700 "$M/tmp" &&
		test_when_finished "chmod 755 \"$M/tmp\"" &&
		test "$(get none tmp/)" = 403 &&
		test "$(get none "tmp/$OID-0011223344556677")" = 403
	'
else
	test_skip 'none: tmp/ unreadable for the web server (Apache runs as the tree owner when not root)'
fi

test_expect_success 'a git-lfs clone through the server downloads every object from Apache' '
	chmod 700 "$M/tmp" &&
	POLL_TRIES=400 test_poll mirror_healthy true 1 &&
	POLL_TRIES=400 test_poll mirror_verified 3 &&
	: >"$LOG_stock" &&
	before=$(count "\"GET /tock/libtock-c/info/lfs/objects/" "$LFS_LOG") &&
	git clone -q origin.git clone1 &&
	for f in lib/cortex-m0.a lib/cortex-m4.a lib/rv32imc.a; do
		cmp "work/$f" "clone1/$f" || return 1
	done &&
	test "$(count "\"GET /~tock/tock-lfs/objects/.* 200 " "$LOG_stock")" = 3 &&
	test "$(count "\"GET /tock/libtock-c/info/lfs/objects/" "$LFS_LOG")" = "$before"
'

test_expect_success 'the FileInfo lines of the doc: objects become application/octet-stream (stock)' '
	cat htaccess.doc htaccess.fileinfo >"$M/.htaccess" &&
	test_when_finished "cp htaccess.doc \"$M/.htaccess\"" &&
	test "$(get stock "$OBJ")" = 200 &&
	test "$(header Content-Type)" = application/octet-stream &&
	test "$(header Cache-Control)" = "max-age=31536000" &&
	test "$(get stock .lfs-mirror.lock)" = 403
'

test_expect_success 'the FileInfo lines where FileInfo is not allowed: 500, as the doc warns' '
	cat htaccess.doc htaccess.fileinfo >"$M/.htaccess" &&
	test_when_finished "cp htaccess.doc \"$M/.htaccess\"" &&
	test "$(get less "$OBJ")" = 500 &&
	grep -q "ForceType not allowed" "$ERR_less"
'

test_expect_success 'without them, the object has no Content-Type at all (as the doc says)' '
	test "$(get stock "$OBJ")" = 200 &&
	test -z "$(header Content-Type)"
'

test_expect_success 'server stops cleanly' 'stop_lfs_server'
test_done
