#!/bin/bash
test_description='lfs-cgi under Apache, many processes at once: 8 concurrent git-lfs pushes of overlapping objects, and a CGI killed mid-upload: nothing partial visible in the store or the static tree, lfs-admin fsck clean'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-apache.sh"
. "$TEST_ROOT/tests/integration/lib-cgi-apache.sh"

[ -x "$BIN/lfs-cgi" ] || { echo "Bail out! no $BIN/lfs-cgi (make cgi)"; exit 1; }
git lfs install --skip-repo >/dev/null || { echo "Bail out! git lfs install failed"; exit 1; }

start_cgi_service '[repo "tock/*"]' '	read = *' '	write = alice' ||
	{ echo "Bail out! the CGI service did not start"; exit 1; }
ALICE=$(cgi_creds alice) || { echo "Bail out! credentials"; exit 1; }
ENDPOINT="$CGI_URL/tock/shared.git/info/lfs"

# Every file under TREE/objects is named by the hash of its bytes and
# placed where its name says: nothing partial or temporary is visible.
tree_sound() {
	local f h n=0
	for f in $(cd "$1" && find objects -type f); do
		h=$(sha256_of "$1/$f")
		[ "$f" = "objects/${h:0:2}/${h:2:2}/$h" ] ||
			{ echo "not sound in $1: $f" >&2; return 1; }
		n=$((n + 1))
	done
	echo "$n"
}

# 12 objects of 1 MB; pusher i commits objects i..i+4 (mod 12), so each
# object is pushed by several pushers at once.
for k in $(seq 0 11); do make_file "obj-$k.bin" 1000000 "cgi-race-$k"; done

test_expect_success 'setup: 8 clones, each committing 5 of 12 shared objects' '
	for i in $(seq 0 7); do
		git init -q --bare "remote-$i.git" &&
		git init -q "push-$i" && (
			cd "push-$i" &&
			git config lfs.url "$ENDPOINT" &&
			git config credential.helper "store --file=$ALICE" &&
			git remote add origin "../remote-$i.git" &&
			git lfs track "*.bin" >/dev/null &&
			for j in 0 1 2 3 4; do cp "../obj-$(( (i + j) % 12 )).bin" .; done &&
			git add . && git commit -q -m "pusher $i"
		) || exit 1
	done
'

test_expect_success '8 concurrent pushes all succeed' '
	for i in $(seq 0 7); do
		(cd "push-$i" && git push -q origin main >"../push-$i.out" 2>&1; echo $? >"../push-$i.rc") &
	done &&
	wait &&
	for i in $(seq 0 7); do
		[ "$(cat "push-$i.rc")" = 0 ] || { cat "push-$i.out" >&2; exit 1; }
	done
'

test_expect_success 'each of the 12 objects is stored once, whole, in the store and the static tree' '
	for k in $(seq 0 11); do
		oid=$(sha256_of "obj-$k.bin") &&
		cmp "obj-$k.bin" "$(obj_path "$CGI_DATA" $oid)" &&
		cmp "obj-$k.bin" "$(obj_path "$CGI_PUBLIC" $oid)" || exit 1
	done &&
	[ "$(tree_sound "$CGI_DATA")" = 12 ] && [ "$(tree_sound "$CGI_PUBLIC")" = 12 ]
'

test_expect_success 'the journal has each object once for the repo' '
	as_account "$BIN/lfs-admin" --config "$CGI_CONF" uploads --repo tock/shared >uploads &&
	[ "$(wc -l <uploads)" = 12 ] && [ "$(cut -f6 uploads | sort -u | wc -l)" = 12 ]
'

make_file big.bin 8000000 cgi-killed
BIG=$(sha256_of big.bin)
# cgi_pid: sets pid to a running lfs-cgi, in one look (a process seen by
# one ps may be gone by the next).
cgi_pid() { pid=$(cgi_procs | awk "{print \$1; exit}"); [ -n "$pid" ]; }
test_expect_success 'a CGI killed mid-upload: the client fails, nothing of the object is visible' '
	test_poll eval "[ -z \"\$(cgi_procs)\" ]" &&
	[ "$(batch tock/shared "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$BIG\",\"size\":8000000}]}" -u alice:alice-pw)" = 200 ] &&
	href=$(jq -r ".objects[0].actions.upload.href" body) &&
	auth=$(jq -r ".objects[0].actions.upload.header.Authorization" body) &&
	{ curl -sS -o put.out -w "%{http_code}" --limit-rate 1M -X PUT -H "Authorization: $auth" \
		-H "Content-Type: application/octet-stream" --data-binary @big.bin "$href" >put.code 2>put.err; echo $? >put.rc; } &
	curl_job=$! &&
	test_poll cgi_pid &&
	kill -9 $pid &&
	wait $curl_job &&
	[ "$(cat put.code)" != 200 ] &&
	test_path_is_missing "$(obj_path "$CGI_DATA" $BIG)" &&
	test_path_is_missing "$(obj_path "$CGI_PUBLIC" $BIG)" &&
	[ "$(tree_sound "$CGI_DATA")" = 12 ] && [ "$(tree_sound "$CGI_PUBLIC")" = 12 ]
'

test_expect_success 'the batch API does not offer the killed object for download' '
	[ "$(batch tock/shared "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$BIG\",\"size\":8000000}]}")" = 200 ] &&
	[ "$(jq -r ".objects[0].error.code" body)" = 404 ]
'

test_expect_success 'lfs-admin fsck is clean' '
	as_account "$BIN/lfs-admin" --config "$CGI_CONF" fsck >fsck.out 2>&1 || { cat fsck.out; exit 1; }
'

test_expect_success 'the same upload again succeeds' '
	lfs_upload tock/shared big.bin -u alice:alice-pw &&
	cmp big.bin "$(obj_path "$CGI_DATA" $BIG)" && cmp big.bin "$(obj_path "$CGI_PUBLIC" $BIG)"
'

test_expect_success 'nothing of ours is left running' '
	test_poll eval "[ -z \"\$(cgi_procs)\" ]"
'

test_done
