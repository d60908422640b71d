#!/bin/bash
test_description='authentication with the real git-lfs client: writers push, anonymous users clone public repos, readers and strangers are refused, the users file reloads, weak hashes stop the server'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# Users: alice writes everywhere, rita reads private/*, sam is a stranger,
# newbie is named in the rules but not (yet) in the users file.  tock/* is
# public (read = *).  Git itself lives in local bare repositories; only
# LFS objects go to the server, through lfs.url.

# creds_for NAME PASSWORD: a credential store file for the server's host.
creds_for() {
	printf 'http://%s:%s@%s\n' "$1" "$2" "${LFS_URL#http://}" >"$TRASH/creds-$1"
}

# setup_clone DIR REPO [USER]: a work tree whose LFS objects go to REPO on
# our server, using USER's stored credentials (none: anonymous).
setup_clone() {
	(
		cd "$1" &&
		git lfs install --local >/dev/null &&
		git config lfs.url "$LFS_URL/$2.git/info/lfs" &&
		if [ -n "$3" ]; then
			git config credential.helper "store --file=$TRASH/creds-$3"
		fi
	)
}

# A private repo's answers, without the per-request id, for comparisons.
answer_of() {
	status=$(http_status "$@") &&
	printf '%s\n' "$status" &&
	jq -c 'del(.request_id)' "$TRASH/body" &&
	grep -i '^content-type:' "$TRASH/headers" | tr -d '\r' &&
	(grep -i '^lfs-authenticate:' "$TRASH/headers" | tr -d '\r' || true)
}

# status_is WANT USER:PASS REPO: one empty download batch as that user;
# true when it answers WANT (after a pause otherwise: polls stay gentle).
status_is() {
	local got
	got=$(curl -s -o /dev/null -w '%{http_code}' -u "$2" -H "Accept: $LFS_TYPE" \
		-H "Content-Type: $LFS_TYPE" --data-binary '{"operation":"download","objects":[]}' \
		"$LFS_URL/$3/info/lfs/objects/batch")
	[ "$got" = "$1" ] && return 0
	sleep 0.15
	return 1
}

# True once the server has logged that it refused to reload the users
# file; otherwise sends a request (reloads happen on logins) and fails.
reload_refused() {
	grep -q "users file not reloaded" "$LFS_LOG" && return 0
	status_is 200 alice:alice-pw private/secret
	return 1
}

cat >server.cfg <<EOF
[auth]
	users = $TRASH/users
	# the reload test polls with a user that does not exist yet
	lockout-failures = 1000
[repo "tock/*"]
	read = *
	write = alice
[repo "private/*"]
	read = rita newbie
	write = alice
EOF
: >users
add_user users alice alice-pw
add_user users rita rita-pw
add_user users sam sam-pw

start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }
creds_for alice alice-pw
creds_for rita rita-pw
creds_for sam sam-pw

test_expect_success 'setup: repositories, with git hosted in local bare repos' '
	server_started &&
	git lfs install --skip-repo >/dev/null &&
	for r in public private; do
		git init -q --bare $r.git &&
		git init -q $r-alice &&
		(
			cd $r-alice &&
			git remote add origin ../$r.git &&
			git lfs track "*.bin" >/dev/null &&
			make_file a.bin 20000 "$r-a" &&
			git add .gitattributes a.bin &&
			git commit -q -m first
		) || return 1
	done &&
	setup_clone public-alice tock/libtock-c alice &&
	setup_clone private-alice private/secret alice
'

test_expect_success 'a writer pushes: anonymous first, 401, then credentials; objects stored' '
	(cd public-alice && git push -q origin main 2>../push.err) &&
	oid=$(sha256_of public-alice/a.bin) &&
	cmp public-alice/a.bin "$(obj_path "$DATA" "$oid")" &&
	# The pre-push lock check goes first, anonymously: 401, then again
	# with credentials.
	grep "\"POST " "$LFS_LOG" | sed -n 1p | grep -q "\"POST /tock/libtock-c.git/info/lfs/locks/verify\" 401 " &&
	grep "\"POST " "$LFS_LOG" | sed -n 2p | grep -q "\"POST /tock/libtock-c.git/info/lfs/locks/verify\" 200 " &&
	log_wait "\"PUT /tock/libtock-c/info/lfs/objects/$oid\" 200 " &&
	test "$(log_count "\"POST /tock/libtock-c.git/info/lfs/objects/batch\" 200 ")" -eq 1 &&
	test "$(log_count "\"PUT /tock/libtock-c/info/lfs/objects/$oid\" 200 ")" -eq 1 &&
	test "$(git -C public-alice config --get "lfs.$LFS_URL/tock/libtock-c.git/info/lfs.access")" = basic
'

test_expect_success 'the upload is recorded as the writer'"'"'s' '
	oid=$(sha256_of public-alice/a.bin) &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT user FROM journal WHERE repo = '"'"'tock/libtock-c'"'"' AND oid = '"'"'$oid'"'"'")" = alice
'

test_expect_success 'a writer pushes to a private repo' '
	(cd private-alice && git push -q origin main 2>../push.err) &&
	cmp private-alice/a.bin "$(obj_path "$DATA" "$(sha256_of private-alice/a.bin)")"
'

test_expect_success 'an anonymous clone of a public repo works, without credentials' '
	GIT_LFS_SKIP_SMUDGE=1 git clone -q public.git public-anon &&
	setup_clone public-anon tock/libtock-c &&
	(cd public-anon && git lfs pull 2>../pull.err) &&
	cmp public-alice/a.bin public-anon/a.bin &&
	test -z "$(git -C public-anon config --get-regexp "^lfs\..*\.access$")"
'

test_expect_success 'an anonymous push to a public repo is refused with 401, nothing stored' '
	objects_snapshot >before &&
	n401=$(log_count "\"POST /tock/libtock-c.git/info/lfs/[a-z/]*\" 401 ") &&
	(
		cd public-anon &&
		make_file b.bin 3000 anon-b &&
		git add b.bin &&
		git commit -q -m "anonymous change" &&
		test_must_fail git push origin main 2>../anon-push.err
	) &&
	# git-lfs checks locks first: the 401 there makes it ask for
	# credentials, which it cannot get, so it stops before the batch.
	log_wait "\"POST /tock/libtock-c.git/info/lfs/[a-z/]*\" 401 " $((n401 + 1)) &&
	grep -q "credentials for $LFS_URL/tock/libtock-c.git/info/lfs not found" anon-push.err &&
	log_wait "\"PUT " 2 &&
	test "$(log_count "\"PUT ")" -eq 2 &&
	objects_snapshot >after &&
	test_cmp before after &&
	test_must_fail git --git-dir=public.git rev-parse --verify -q "main~1^{commit}" >/dev/null
'

test_expect_success 'a reader clones a private repo with credentials' '
	GIT_LFS_SKIP_SMUDGE=1 git clone -q private.git private-rita &&
	setup_clone private-rita private/secret rita &&
	(cd private-rita && git lfs pull 2>../rita-pull.err) &&
	cmp private-alice/a.bin private-rita/a.bin
'

test_expect_success 'a reader cannot push: the server answers 403, git-lfs fails, nothing stored' '
	objects_snapshot >before &&
	(
		cd private-rita &&
		make_file c.bin 4000 rita-c &&
		git add c.bin &&
		git commit -q -m "reader change" &&
		test_must_fail git push origin main 2>../rita-push.err
	) &&
	log_wait "\"POST /private/secret.git/info/lfs/objects/batch\" 403 " 1 &&
	objects_snapshot >after &&
	test_cmp before after &&
	test_path_is_missing "$(obj_path "$DATA" "$(sha256_of private-rita/c.bin)")"
'

test_expect_success 'anonymous clone of a private repo: git-lfs asks for credentials and fails' '
	GIT_LFS_SKIP_SMUDGE=1 git clone -q private.git private-anon &&
	setup_clone private-anon private/secret &&
	(cd private-anon && test_must_fail git lfs pull 2>../private-anon.err) &&
	log_wait "\"POST /private/secret.git/info/lfs/objects/batch\" 401 " 1 &&
	git -C private-anon cat-file -p HEAD:a.bin >ptr.expect &&
	cmp ptr.expect private-anon/a.bin
'

test_expect_success 'a stranger with the real git-lfs: the private repo is "not found"' '
	GIT_LFS_SKIP_SMUDGE=1 git clone -q private.git private-sam &&
	setup_clone private-sam private/secret sam &&
	(cd private-sam && test_must_fail git lfs pull 2>../sam.err) &&
	log_wait "\"POST /private/secret.git/info/lfs/objects/batch\" 404 " 1
'

test_expect_success 'a stranger gets the same answer for a private repo as for a missing one' '
	D="{\"operation\":\"download\",\"objects\":[]}" &&
	for repo in private/secret private/nothing nosuch/repo; do
		answer_of POST "$LFS_URL/$repo/info/lfs/objects/batch" -u sam:sam-pw \
			-H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" --data-binary "$D" >"sam-$(echo $repo | tr / -)" || return 1
	done &&
	head -n 2 sam-private-secret >expect &&
	printf "404\n{\"message\":\"repository not found\"}\n" >want &&
	test_cmp want expect &&
	test_cmp sam-private-secret sam-private-nothing &&
	test_cmp sam-private-secret sam-nosuch-repo
'

test_expect_success 'anonymous: 401 with LFS-Authenticate for a private repo and a missing one alike' '
	D="{\"operation\":\"download\",\"objects\":[]}" &&
	for repo in private/secret nosuch/repo; do
		answer_of POST "$LFS_URL/$repo/info/lfs/objects/batch" \
			-H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" --data-binary "$D" >"anon-$(echo $repo | tr / -)" || return 1
	done &&
	head -n 1 anon-private-secret >status &&
	echo 401 >want &&
	test_cmp want status &&
	grep -qx "LFS-Authenticate: Basic realm=\"Git LFS\"" anon-private-secret &&
	test_cmp anon-private-secret anon-nosuch-repo
'

test_expect_success 'the same holds for object downloads and lock lists' '
	oid=$(sha256_of private-alice/a.bin) &&
	answer_of GET "$LFS_URL/private/secret/info/lfs/objects/$oid" -u sam:sam-pw >get-private &&
	answer_of GET "$LFS_URL/nosuch/repo/info/lfs/objects/$oid" -u sam:sam-pw >get-missing &&
	test "$(head -n 1 get-private)" = 404 &&
	test_cmp get-private get-missing &&
	answer_of GET "$LFS_URL/private/secret/info/lfs/locks" -u sam:sam-pw -H "Accept: $LFS_TYPE" >locks-private &&
	answer_of GET "$LFS_URL/nosuch/repo/info/lfs/locks" -u sam:sam-pw -H "Accept: $LFS_TYPE" >locks-missing &&
	test "$(head -n 1 locks-private)" = 404 &&
	test_cmp locks-private locks-missing
'

test_expect_success 'a reader may list locks but a lock attempt gets 403' '
	test "$(http_status GET "$LFS_URL/private/secret.git/info/lfs/locks" -u rita:rita-pw -H "Accept: $LFS_TYPE")" = 200 &&
	test "$(http_status POST "$LFS_URL/private/secret.git/info/lfs/locks" -u rita:rita-pw \
		-H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" --data-binary "{\"path\":\"a.bin\"}")" = 403 &&
	jq -e ".message | type == \"string\"" body &&
	test "$(http_status GET "$LFS_URL/private/secret.git/info/lfs/locks" -u rita:rita-pw -H "Accept: $LFS_TYPE")" = 200 &&
	jq -e ".locks == []" body
'

test_expect_success 'a reader'"'"'s git lfs lock fails' '
	(cd private-rita && test_must_fail git lfs lock a.bin 2>../rita-lock.err) &&
	log_wait "\"POST /private/secret.git/info/lfs/locks\" 403 " 2
'

test_expect_success 'a user added to the users file while the server runs is picked up' '
	status_is 401 newbie:newbie-pw private/secret &&
	add_user users newbie newbie-pw &&
	POLL_TRIES=50 test_poll status_is 200 newbie:newbie-pw private/secret &&
	grep -q "users file reloaded" "$LFS_LOG"
'

test_expect_success 'a user deleted from the users file is refused (no stale cache)' '
	status_is 200 newbie:newbie-pw private/secret &&
	htpasswd -D users newbie 2>/dev/null &&
	POLL_TRIES=50 test_poll status_is 401 newbie:newbie-pw private/secret
'

test_expect_success 'a changed password: the old one stops working, the new one works' '
	status_is 200 rita:rita-pw private/secret &&
	add_user users rita rita-new &&
	POLL_TRIES=50 test_poll status_is 200 rita:rita-new private/secret &&
	status_is 401 rita:rita-pw private/secret &&
	add_user users rita rita-pw &&
	POLL_TRIES=50 test_poll status_is 200 rita:rita-pw private/secret
'

test_expect_success 'a weak hash written into the live users file: the old users stay' '
	cp users users.good &&
	htpasswd -m -b users mallory mallory-pw 2>/dev/null &&
	POLL_TRIES=50 test_poll reload_refused &&
	grep "users file not reloaded" "$LFS_LOG" | grep -q "mallory" &&
	status_is 200 alice:alice-pw private/secret &&
	status_is 401 mallory:mallory-pw tock/libtock-c &&
	cp users.good users
'

test_expect_success 'no password and no token ever reaches the log' '
	for secret in alice-pw rita-pw rita-new sam-pw newbie-pw mallory-pw \
		"$(printf alice:alice-pw | base64)" "$(printf rita:rita-pw | base64)" Bearer; do
		if grep -F -- "$secret" "$LFS_LOG"; then
			echo "log holds $secret" >&2
			return 1
		fi
	done
'

stop_rc
test_expect_success 'SIGTERM: the server exits 0' '
	stopped_cleanly
'

# A users file with a weak entry: the server must not start.
for flag in -m -d -s -p; do
	: >weak$flag
	add_user weak$flag alice alice-pw
	htpasswd $flag -b weak$flag mallory mallory-pw 2>/dev/null
	printf '[auth]\n\tusers = %s\n' "$TRASH/weak$flag" >weak$flag.cfg
done
test_expect_success 'a users file with an MD5/DES/SHA1/plain entry: exit 1 with one line naming the user' '
	for flag in -m -d -s -p; do
		grep -q "^mallory:" weak$flag &&
		test_expect_code 1 "$BIN/lfs-server" --config weak$flag.cfg --listen 127.0.0.1:0 \
			--data "$TRASH/weakdata" >out 2>err &&
		test "$(wc -l <err)" -eq 1 &&
		grep -q "mallory" err &&
		grep -q "weak$flag" err &&
		! grep -q "^listening" err &&
		! grep -q "mallory-pw" err || { echo "htpasswd $flag:" >&2; cat err >&2; return 1; }
	done
'

test_done
