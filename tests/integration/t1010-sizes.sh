#!/bin/bash
test_description='git-lfs end to end: files of 0 bytes, 1 byte and over 100 MiB round-trip'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

EMPTY_OID=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
BIG_SIZE=$((101 * 1024 * 1024))

start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }
LFS_ENDPOINT="$LFS_URL/tock/libtock-c.git/info/lfs"

test_expect_success 'setup: empty, one-byte and 101 MiB files, pushed' '
	git lfs install --skip-repo &&
	git init -q --bare origin.git &&
	git init -q wt &&
	(
		cd wt &&
		git remote add origin ../origin.git &&
		git config lfs.url "$LFS_ENDPOINT" &&
		git lfs track "*.bin" &&
		: >empty.bin &&
		printf "\\n" >one.bin &&
		make_file big.bin $BIG_SIZE seed-big &&
		test "$(wc -c <big.bin)" -eq $BIG_SIZE &&
		git add .gitattributes empty.bin one.bin big.bin &&
		git commit -q -m sizes &&
		git push -q origin main
	) &&
	sha256_of wt/one.bin >oid.one &&
	sha256_of wt/big.bin >oid.big
'

test_expect_success 'an empty file is its own (empty) pointer' '
	test "$(git -C wt cat-file -s HEAD:empty.bin)" -eq 0
'

test_expect_success 'the one-byte and big files are committed as pointers' '
	printf "version https://git-lfs.github.com/spec/v1\\noid sha256:%s\\nsize 1\\n" \
		"$(cat oid.one)" >one.expect &&
	git -C wt cat-file -p HEAD:one.bin >one.actual &&
	test_cmp one.expect one.actual &&
	printf "version https://git-lfs.github.com/spec/v1\\noid sha256:%s\\nsize %s\\n" \
		"$(cat oid.big)" $BIG_SIZE >big.expect &&
	git -C wt cat-file -p HEAD:big.bin >big.actual &&
	test_cmp big.expect big.actual
'

test_expect_success 'the server stored exactly the two non-empty objects' '
	test "$(log_count "\"PUT ")" -eq 2 &&
	test "$(log_count "/objects/$(cat oid.one)\" 200 ")" -eq 1 &&
	test "$(log_count "/objects/$(cat oid.big)\" 200 ")" -eq 1 &&
	p=$(obj_path "$DATA" "$(cat oid.one)") &&
	cmp wt/one.bin "$p" &&
	p=$(obj_path "$DATA" "$(cat oid.big)") &&
	test "$(stat -c %s "$p")" -eq $BIG_SIZE &&
	test "$(sha256_of "$p")" = "$(cat oid.big)" &&
	test "$(objects_snapshot | wc -l)" -eq 2 &&
	tmp_emptied "$DATA"
'

test_expect_success 'the empty file never reached the server' '
	! grep -q "$EMPTY_OID" "$LFS_LOG" &&
	test_path_is_missing "$(obj_path "$DATA" "$EMPTY_OID")"
'

test_expect_success 'a clone gets all three back byte for byte' '
	GIT_LFS_SKIP_SMUDGE=1 git clone -q origin.git clone &&
	(
		cd clone &&
		git config lfs.url "$LFS_ENDPOINT" &&
		git lfs pull &&
		test -f empty.bin &&
		test "$(wc -c <empty.bin)" -eq 0 &&
		cmp ../wt/one.bin one.bin &&
		cmp ../wt/big.bin big.bin &&
		test -z "$(git status --porcelain --untracked-files=no)"
	) &&
	test "$(log_count "\"GET /tock/libtock-c/info/lfs/objects/$(cat oid.one)\" 200 1 ")" -eq 1 &&
	test "$(log_count "\"GET /tock/libtock-c/info/lfs/objects/$(cat oid.big)\" 200 $BIG_SIZE ")" -eq 1 &&
	! grep -q "$EMPTY_OID" "$LFS_LOG"
'

test_expect_success 'git lfs fsck passes on the clone' '
	(cd clone && git lfs fsck)
'

stop_lfs_server 2>stop.err
echo $? >stop.rc
test_expect_success 'server stops cleanly' '
	test "$(cat stop.rc)" = 0 || { cat stop.err >&2; false; }
'

test_done
