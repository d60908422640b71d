#!/bin/bash
test_description='lfs-hooks falls back to the static mirror trees of .lfsmirrors'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-hooks.sh"
. "$TEST_ROOT/tests/integration/lib-nginx.sh"



gets() {
	grep -c "\"GET /objects/" "$1" || true
}

nolfs_path
start_lfs_server
mkdir -p empty/objects stale/objects full
start_nginx "$TRASH/empty" empty
EMPTY_URL=$NGINX_URL EMPTY_LOG=$NGINX_ACCESS_LOG
start_nginx "$TRASH/stale" stale
STALE_URL=$NGINX_URL STALE_LOG=$NGINX_ACCESS_LOG
start_nginx "$TRASH/full" full
FULL_URL=$NGINX_URL FULL_LOG=$NGINX_ACCESS_LOG
mkdir -p flipped
start_nginx "$TRASH/flipped" flipped
FLIP_URL=$NGINX_URL FLIP_LOG=$NGINX_ACCESS_LOG FLIP_HOST=127.0.0.1:$NGINX_PORT

test_expect_success 'setup: libraries pushed; mirror trees; .lfsmirrors committed' '
	! command -v git-lfs &&
	test -n "$LFS_URL" && test -n "$FULL_URL" &&
	git init -q --bare remote.git &&
	git init -q work && (
		cd work &&
		lfs-hooks install >/dev/null &&
		lfs-hooks track "*.a" >/dev/null &&
		git config -f .lfsconfig lfs.url "$LFS_URL/tock/mirrored.git/info/lfs" &&
		git config -f .lfsmirrors --add mirror.url "$EMPTY_URL" &&
		git config -f .lfsmirrors --add mirror.url "$STALE_URL/" &&
		git config -f .lfsmirrors --add mirror.url "$FULL_URL" &&
		git remote add origin "$TRASH/remote.git" &&
		make_file one.a 1000000 one &&
		make_file two.a 1200000 two &&
		make_file three.a 800000 three &&
		git add . &&
		git commit -q -m libs &&
		git push -q origin main
	) &&
	cp -r "$DATA/objects" full/ &&
	oid=$(sha256_of work/two.a) &&
	mkdir -p "$(dirname "$(obj_path stale "$oid")")" &&
	make_file "$(obj_path stale "$oid")" 1200000 not-two
'

test_expect_success 'with the server up, the mirrors are not asked' '
	git clone -q remote.git up &&
	(cd up && lfs-hooks install >/dev/null) &&
	cmp work/one.a up/one.a &&
	test "$(gets "$FULL_LOG")" = 0 &&
	test "$(gets "$EMPTY_LOG")" = 0
'

test_expect_success 'server down: a clone gets every file from the mirrors, in order, hash-checked' '
	stop_lfs_server &&
	git clone -q remote.git down &&
	(cd down && lfs-hooks install >/dev/null 2>../err) &&
	for f in one.a two.a three.a; do
		cmp work/$f down/$f || return 1
	done &&
	grep "mirrors of .lfsmirrors had everything" err &&
	test "$(gets "$EMPTY_LOG")" = 3 &&
	grep "\"GET /objects/.* 404 " "$EMPTY_LOG" &&
	test "$(gets "$STALE_LOG")" = 3 &&
	grep -i "corrupt" err &&
	test "$(gets "$FULL_LOG")" = 3 &&
	test -z "$(ls down/.git/lfs/tmp)" &&
	clean_status down
'

test_expect_success 'server down, no mirror has it: the file stays a pointer, named' '
	oid=$(sha256_of work/three.a) &&
	rm "$(obj_path full "$oid")" &&
	git clone -q remote.git partial &&
	(cd partial && test_expect_code 1 lfs-hooks install >/dev/null 2>../err) &&
	grep "three.a" err &&
	git -C partial cat-file blob HEAD:three.a >expect &&
	test_cmp expect partial/three.a &&
	cmp work/one.a partial/one.a &&
	clean_status partial
'

test_expect_success 'one flipped byte on mirror 1: the next mirror serves it; the warning names mirror 1' '
	cp work/three.a "$(obj_path full "$(sha256_of work/three.a)")" &&
	cp -r full/objects flipped/ &&
	oid=$(sha256_of work/one.a) &&
	obj=$(obj_path flipped "$oid") &&
	printf "\\377" | dd of="$obj" bs=1 seek=4242 conv=notrunc status=none &&
	! cmp -s "$obj" work/one.a &&
	(
		cd work &&
		git checkout -q -b flip &&
		git config -f .lfsmirrors --unset-all mirror.url &&
		git config -f .lfsmirrors --add mirror.url "$FLIP_URL" &&
		git config -f .lfsmirrors --add mirror.url "$FULL_URL" &&
		git commit -q -am "flipped mirror first" &&
		git push -q origin flip
	) &&
	: >"$FULL_LOG" &&
	git clone -q -b flip remote.git flip &&
	(cd flip && lfs-hooks install >/dev/null 2>../err) &&
	cat err &&
	for f in one.a two.a three.a; do
		cmp work/$f flip/$f || return 1
	done &&
	grep "\"GET /objects/.*/$oid " "$FULL_LOG" &&
	grep "$FLIP_HOST.*corrupt\|corrupt.*$FLIP_HOST" err &&
	test -z "$(ls flip/.git/lfs/tmp)" &&
	clean_status flip
'

test_expect_success 'stop the servers' '
	stop_lfs_server &&
	stop_nginx
'

test_done
