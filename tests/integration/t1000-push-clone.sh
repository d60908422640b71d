#!/bin/bash
test_description='git-lfs end to end: track, commit, push, clone, and a second push that uploads nothing'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# Git itself lives in a bare repository on local disk; only LFS objects go
# to our server, through lfs.url.

# expect_pointer REV:PATH FILE: the committed blob is exactly the canonical
# pointer for FILE's content.
expect_pointer() {
	local oid size
	oid=$(sha256_of "$2") && size=$(wc -c <"$2") &&
	printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %s\n' \
		"$oid" "$size" >"$TRASH/pointer.expect" &&
	git cat-file -p "$1" >"$TRASH/pointer.actual" &&
	test_cmp "$TRASH/pointer.expect" "$TRASH/pointer.actual"
}

# expect_stored FILE: the server holds FILE's object, named by its hash.
expect_stored() {
	local oid p
	oid=$(sha256_of "$1") && p=$(obj_path "$DATA" "$oid") &&
	test -f "$p" &&
	test "$(sha256_of "$p")" = "$oid" &&
	cmp "$1" "$p"
}

start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }
LFS_ENDPOINT="$LFS_URL/tock/libtock-c.git/info/lfs"

test_expect_success 'setup: a repository tracking *.bin with a local bare origin' '
	git lfs install --skip-repo &&
	git init -q --bare origin.git &&
	git init -q wt &&
	(
		cd wt &&
		git remote add origin ../origin.git &&
		git config lfs.url "$LFS_ENDPOINT" &&
		git lfs track "*.bin" &&
		mkdir sub &&
		make_file a.bin 300000 seed-a &&
		make_file sub/b.bin 5000 seed-b &&
		echo "not an LFS file" >README &&
		git add .gitattributes a.bin sub/b.bin README &&
		git commit -q -m "first"
	)
'

test_expect_success 'committed blobs are pointers, plain files are not' '
	(
		cd wt &&
		expect_pointer HEAD:a.bin a.bin &&
		expect_pointer HEAD:sub/b.bin sub/b.bin &&
		git cat-file -p HEAD:README >"$TRASH/readme.blob" &&
		echo "not an LFS file" >"$TRASH/readme.expect" &&
		test_cmp "$TRASH/readme.expect" "$TRASH/readme.blob"
	)
'

test_expect_success 'git push uploads each object once to the server' '
	(cd wt && git push -q origin main 2>push.err) &&
	log_wait "\"POST /tock/libtock-c.git/info/lfs/objects/batch\" 200 " 1 &&
	test "$(log_count "\"PUT ")" -eq 2 &&
	test "$(log_count "/objects/$(sha256_of wt/a.bin)\" 200 ")" -eq 1 &&
	test "$(log_count "/objects/$(sha256_of wt/sub/b.bin)\" 200 ")" -eq 1 &&
	git --git-dir=origin.git rev-parse --verify refs/heads/main
'

test_expect_success 'the objects sit in DATA under their hash, nothing left in tmp' '
	expect_stored wt/a.bin &&
	expect_stored wt/sub/b.bin &&
	test "$(objects_snapshot | wc -l)" -eq 2 &&
	tmp_emptied "$DATA"
'

test_expect_success 'the bare origin holds no LFS objects (they went to the server)' '
	test_path_is_missing origin.git/lfs/objects
'

test_expect_success 'clone without smudge, set lfs.url, git lfs pull: same bytes' '
	GIT_LFS_SKIP_SMUDGE=1 git clone -q origin.git clone1 &&
	(
		cd clone1 &&
		expect_pointer HEAD:a.bin ../wt/a.bin &&
		# Before the pull the work tree holds the pointer text.
		git cat-file -p HEAD:a.bin >"$TRASH/ptr" &&
		cmp "$TRASH/ptr" a.bin &&
		git config lfs.url "$LFS_ENDPOINT" &&
		git lfs pull &&
		cmp ../wt/a.bin a.bin &&
		cmp ../wt/sub/b.bin sub/b.bin &&
		cmp ../wt/README README &&
		test -z "$(git status --porcelain --untracked-files=no)"
	) &&
	test "$(log_count "\"GET /tock/libtock-c/info/lfs/objects/$(sha256_of wt/a.bin)\" 200 300000 ")" -eq 1 &&
	test "$(log_count "\"GET /tock/libtock-c/info/lfs/objects/$(sha256_of wt/sub/b.bin)\" 200 5000 ")" -eq 1
'

test_expect_success 'the clone caches the objects under .git/lfs/objects' '
	for f in a.bin sub/b.bin; do
		oid=$(sha256_of "wt/$f") &&
		p=$(obj_path clone1/.git/lfs "$oid") &&
		test "$(sha256_of "$p")" = "$oid" || return 1
	done
'

test_expect_success 'a plain git clone smudges through a committed .lfsconfig' '
	(
		cd wt &&
		git config -f .lfsconfig lfs.url "$LFS_ENDPOINT" &&
		git add .lfsconfig &&
		git commit -q -m "lfsconfig" &&
		git push -q origin main
	) &&
	git clone -q origin.git clone2 2>clone2.err &&
	cmp wt/a.bin clone2/a.bin &&
	cmp wt/sub/b.bin clone2/sub/b.bin &&
	test -z "$(git -C clone2 status --porcelain)" &&
	test -z "$(git -C clone2 config --local lfs.url)"
'

test_expect_success 'a second push of the same objects uploads nothing' '
	puts=$(log_count "\"PUT ") &&
	batches=$(log_count "/objects/batch\"") &&
	(
		cd wt &&
		echo "more text" >>README &&
		git commit -q -a -m "no LFS change" &&
		git push -q origin main &&
		# --all offers every object again: the server must answer
		# "already have it" for each, not ask for an upload.
		git lfs push --all origin main
	) &&
	test "$(log_count "/objects/batch\"")" -gt "$batches" &&
	test "$(log_count "\"PUT ")" -eq "$puts"
'

test_expect_success 'an unrelated repository pushing stored content uploads nothing' '
	puts=$(log_count "\"PUT ") &&
	batches=$(log_count "/objects/batch\"") &&
	git init -q --bare other-origin.git &&
	git init -q other &&
	(
		cd other &&
		git remote add origin ../other-origin.git &&
		git config lfs.url "$LFS_ENDPOINT" &&
		git lfs track "*.bin" &&
		cp ../wt/a.bin same-as-a.bin &&
		git add .gitattributes same-as-a.bin &&
		git commit -q -m "same content, no shared history" &&
		git push -q origin main
	) &&
	# No shared history: the client had to ask, and the server said it
	# already holds the object.
	test "$(log_count "/objects/batch\"")" -gt "$batches" &&
	test "$(log_count "\"PUT ")" -eq "$puts" &&
	test "$(objects_snapshot | wc -l)" -eq 2
'

test_expect_success 'a clone pushes a new object back; the first repo pulls it' '
	(
		cd clone1 &&
		git pull -q origin main &&
		make_file sub/c.bin 70000 seed-c &&
		git add sub/c.bin &&
		git commit -q -m "from the clone" &&
		git push -q origin main
	) &&
	expect_stored clone1/sub/c.bin &&
	(
		cd wt &&
		git pull -q origin main &&
		cmp ../clone1/sub/c.bin sub/c.bin
	)
'

# stop_lfs_server must run in the shell that started the server, not in a
# test body's subshell: record its status here, assert it in the test.
stop_lfs_server 2>stop.err
echo $? >stop.rc
test_expect_success 'server stops cleanly' '
	test "$(cat stop.rc)" = 0 || { cat stop.err >&2; false; }
'

test_done
