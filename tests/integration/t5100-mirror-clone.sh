#!/bin/bash
test_description='git-lfs clones download from a healthy nginx mirror, and from the server when it is down'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-nginx.sh"

git lfs install >/dev/null || { echo "Bail out! git lfs install failed"; exit 1; }
MIRROR="$TRASH/mirror"
mkdir -p "$MIRROR"
start_nginx "$MIRROR" uni || { echo "Bail out! nginx did not start"; exit 1; }

cat >server.cfg <<EOC
[repo "tock/*"]
	read = *
	mirror = true
[journal]
	readers = *
[mirror "uni"]
	url = $NGINX_URL
[mirror]
	check-interval = 1
EOC
start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }

# count PATTERN FILE: matching lines (0 is an answer, not a failure).
count() {
	grep -c "$1" "$2" || true
}

# clone_and_check DIR: a fresh git-lfs clone whose files match the originals.
clone_and_check() {
	rm -rf "$1" &&
	git clone -q "$TRASH/origin.git" "$1" &&
	for f in lib/cortex-m0.a lib/cortex-m4.a lib/rv32imc.a; do
		cmp "work/$f" "$1/$f" || return 1
	done
}

test_expect_success 'push prebuilt libraries of a mirrored repo through git-lfs' '
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
	test "$(sqlite3 "$DATA/meta.db" "SELECT count(*) FROM feed")" = 3
'

test_expect_success 'lfs-mirror sync fills the tree nginx serves' '
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$MIRROR" >sync.out &&
	grep "synced 3 objects" sync.out &&
	jq -e ".last_seq >= 1" "$MIRROR/mirror-state.json" &&
	POLL_TRIES=400 test_poll mirror_healthy true &&
	POLL_TRIES=400 test_poll mirror_verified 3
'

test_expect_success 'a git-lfs clone downloads every object from nginx, none from the server' '
	: >"$NGINX_ACCESS_LOG" &&
	before=$(count "\"GET /tock/libtock-c/info/lfs/objects/" "$LFS_LOG") &&
	clone_and_check clone1 &&
	test "$(count "GET /objects/.* 200 " "$NGINX_ACCESS_LOG")" = 3 &&
	test "$(count "\"GET /tock/libtock-c/info/lfs/objects/" "$LFS_LOG")" = "$before"
'

test_expect_success 'mirror down: within one interval clients get the server instead' '
	stop_nginx &&
	POLL_TRIES=400 test_poll mirror_healthy false &&
	before=$(count "\"GET /tock/libtock-c/info/lfs/objects/.*\" 200 " "$LFS_LOG") &&
	clone_and_check clone2 &&
	after=$(count "\"GET /tock/libtock-c/info/lfs/objects/.*\" 200 " "$LFS_LOG") &&
	test $((after - before)) = 3
'

test_expect_success 'mirror back: used again' '
	start_nginx "$MIRROR" uni "$NGINX_PORT" &&
	POLL_TRIES=400 test_poll mirror_healthy true &&
	: >"$NGINX_ACCESS_LOG" &&
	clone_and_check clone3 &&
	test "$(count "GET /objects/.* 200 " "$NGINX_ACCESS_LOG")" = 3
'

test_expect_success 'a garbage mirror-state.json makes the mirror unhealthy, not the server' '
	cp "$MIRROR/mirror-state.json" state.good &&
	test_when_finished "cp state.good \"$MIRROR/mirror-state.json\"" &&
	printf "<html>not json</html>" >"$MIRROR/mirror-state.json" &&
	POLL_TRIES=400 test_poll mirror_healthy false &&
	curl -s "$LFS_URL/healthz" | jq -r ".mirrors[0].error" | grep -i json &&
	clone_and_check clone4 &&
	cp state.good "$MIRROR/mirror-state.json" &&
	POLL_TRIES=400 test_poll mirror_healthy true
'

test_expect_success 'an object newer than the mirror comes from the server' '
	(
		cd work &&
		make_file lib/cortex-m33.a 200000 m33 &&
		git add lib && git commit -qm "new arch" && git push -q origin main
	) &&
	oid=$(sha256_of work/lib/cortex-m33.a) &&
	batch tock/libtock-c "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$oid\",\"size\":200000}]}" &&
	jq -r ".objects[0].actions.download.href" "$TRASH/body" | grep -q "^$LFS_URL/" &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$MIRROR" &&
	POLL_TRIES=400 test_poll sh -c "curl -s \"$LFS_URL/healthz\" | jq -e \".mirrors[0].last_seq >= 4\" >/dev/null" &&
	POLL_TRIES=400 test_poll mirror_verified 4 &&
	batch tock/libtock-c "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$oid\",\"size\":200000}]}" &&
	jq -r ".objects[0].actions.download.href" "$TRASH/body" | grep -q "^$NGINX_URL/objects/"
'

test_expect_success 'a private repo never reaches the feed or the mirror' '
	make_file secret.bin 1000 secret &&
	oid=$(sha256_of secret.bin) &&
	test "$(http_status PUT "$LFS_URL/private/x/info/lfs/objects/$oid" --data-binary @secret.bin)" = 200 &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$MIRROR" &&
	test_path_is_missing "$(obj_path "$MIRROR" "$oid")" &&
	! curl -s "$LFS_URL/_lfs/journal" | grep -q "$oid"
'

test_expect_success 'server stops cleanly' 'stop_lfs_server'
test_done
