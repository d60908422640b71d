#!/bin/bash
test_description='the server checks every mirror copy before it sends a client there: a flipped byte on one nginx mirror never reaches a git-lfs clone, shows in /healthz and lfs-admin, and the repaired copy is used again'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-nginx.sh"

git lfs install >/dev/null || { echo "Bail out! git lfs install failed"; exit 1; }
M1="$TRASH/m1" M2="$TRASH/m2"
mkdir -p "$M1" "$M2"
start_nginx "$M1" uni1 || { echo "Bail out! nginx 1 did not start"; exit 1; }
U1=$NGINX_URL
start_nginx "$M2" uni2 || { echo "Bail out! nginx 2 did not start"; exit 1; }
U2=$NGINX_URL

cat >server.cfg <<EOC
[server]
	data = $DATA
[repo "tock/*"]
	read = *
	mirror = true
[journal]
	readers = *
[mirror "uni1"]
	url = $U1
[mirror "uni2"]
	url = $U2
[mirror]
	check-interval = 1
EOC
start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }

# state NAME JQ: /healthz's entry for mirror NAME satisfies JQ.
state() {
	curl -s "$LFS_URL/healthz" | jq -e ".mirrors[] | select(.name == \"$1\") | $2" >/dev/null
}

# hrefs FILE N: the download hrefs of N batch requests for FILE, one a line.
hrefs() {
	local i=0 oid size
	oid=$(sha256_of "$1") && size=$(wc -c <"$1") || return 1
	while [ $i -lt "$2" ]; do
		batch tock/libtock-c "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$oid\",\"size\":$size}]}" >/dev/null &&
		jq -r ".objects[0].actions.download.href" "$TRASH/body" || return 1
		i=$((i + 1))
	done
}

# publish STAGE DIR: copies a synced tree into the served one, state last,
# so the server never sees a state file before the objects it covers.
publish() {
	(cd "$1" && find objects -type f) | while read -r f; do
		mkdir -p "$2/$(dirname "$f")" && cp "$1/$f" "$2/$f" || exit 1
	done &&
	cp "$1/mirror-state.json" "$2/mirror-state.json"
}

# flip FILE: changes one byte in the middle of FILE.
flip() {
	local size=$(wc -c <"$1")
	printf 'X' | dd of="$1" bs=1 seek=$((size / 2)) conv=notrunc status=none
}

test_expect_success 'push three libraries of a mirrored repo' '
	git init -q --bare origin.git &&
	git init -q work &&
	(
		cd work &&
		printf "[lfs]\n\turl = %s/tock/libtock-c.git/info/lfs\n" "$LFS_URL" >.lfsconfig &&
		git lfs track "*.a" >/dev/null &&
		make_file a.a 300000 va &&
		make_file b.a 200000 vb &&
		make_file c.a 100000 vc &&
		git add . && git commit -qm libs &&
		git remote add origin "$TRASH/origin.git" &&
		git push -q origin main
	) &&
	OA=$(sha256_of work/a.a) &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to stage1 >/dev/null &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to stage2 >/dev/null &&
	flip "$(obj_path stage1 "$OA")" &&
	publish stage1 "$M1" && publish stage2 "$M2"
'

test_expect_success 'the server finds the bad copy on uni1 and the good ones everywhere else' '
	POLL_TRIES=600 test_poll state uni2 ".verified == 3" &&
	POLL_TRIES=600 test_poll state uni1 ".verified == 2 and .failed == 1" &&
	state uni1 ".failures[0].oid == \"$(sha256_of work/a.a)\"" &&
	grep "mirror uni1: copy of $(sha256_of work/a.a) .*is bad" "$LFS_LOG"
'

test_expect_success 'batch answers never send a client to the bad copy' '
	hrefs work/a.a 6 >a.hrefs &&
	test "$(grep -c "^$U2/objects/" a.hrefs)" = 6 &&
	hrefs work/b.a 6 >b.hrefs &&
	grep -q "^$U1/objects/" b.hrefs && grep -q "^$U2/objects/" b.hrefs
'

# (uni1's log cannot tell: the server re-checks the bad copy there itself.)
test_expect_success 'an unmodified git-lfs clone gets every file right' '
	git clone -q origin.git clone1 &&
	cmp work/a.a clone1/a.a && cmp work/b.a clone1/b.a && cmp work/c.a clone1/c.a
'

test_expect_success 'lfs-admin verify-mirrors names the bad copy and exits 1' '
	test_expect_code 1 "$BIN/lfs-admin" --config server.cfg verify-mirrors >verify.out &&
	grep -P "^bad\tuni1\t[0-9]+\t$(sha256_of work/a.a)\t" verify.out &&
	grep -P "^checked\tuni2\t3\tgood 3\tbad 0" verify.out
'

test_expect_success 'lfs-mirror verify --repair fixes it; the server uses the copy again' '
	test_expect_code 1 "$BIN/lfs-mirror" verify "$M1" &&
	"$BIN/lfs-mirror" verify "$M1" --repair --from "$LFS_URL" &&
	"$BIN/lfs-mirror" verify "$M1" &&
	"$BIN/lfs-admin" --config server.cfg verify-mirrors --mirror uni1 >verify2.out &&
	grep -P "^checked\tuni1\t.*bad 0" verify2.out &&
	POLL_TRIES=600 test_poll state uni1 ".verified == 3 and .failed == 0" &&
	hrefs work/a.a 6 >a2.hrefs &&
	grep -q "^$U1/objects/" a2.hrefs
'

test_expect_success 'rot found later (forced check) takes the copy out of use' '
	flip "$(obj_path "$M2" "$(sha256_of work/c.a)")" &&
	test_expect_code 1 "$BIN/lfs-admin" --config server.cfg verify-mirrors --mirror uni2 >verify3.out &&
	grep -P "^bad\tuni2\t.*$(sha256_of work/c.a)" verify3.out &&
	POLL_TRIES=600 test_poll state uni2 ".failed == 1" &&
	hrefs work/c.a 6 >c.hrefs &&
	test "$(grep -c "^$U2/objects/" c.hrefs)" = 0
'

test_done
