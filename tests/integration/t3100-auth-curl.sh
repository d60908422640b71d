#!/bin/bash
test_description='authentication by curl: every refusal and its status, malformed Authorization headers, the failed-login lockout, rejected action tokens'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# Users: alice writes everywhere, rita reads private/*, sam is a stranger.
# tock/libtock-c is public (read = *), private/secret is private, and
# nosuch/repo matches no rule at all.

# "hello world\n", stored by setup in both repos
H=a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447
printf 'hello world\n' >hello.txt
# objects nobody may store: N (12 bytes) and N2 (9 bytes)
printf 'not saved\n!' >n.txt
N=$(sha256_of n.txt)
printf 'second.\n\n' >n2.txt
N2=$(sha256_of n2.txt)

# creds WHO: curl arguments for a user (anon: none; badpw: alice with a
# wrong password).
creds() {
	case "$1" in
	anon) ;;
	badpw) printf '%s\n' -u alice:wrong-pw ;;
	*) printf '%s\n' -u "$1:$1-pw" ;;
	esac
}

# req WHO ENDPOINT REPO: one request, prints the status.  Endpoints:
# batch-d, batch-u, get, put, verify, locks-get, lock, locks-verify, unlock.
req() {
	local who="$1" what="$2" repo="$3" base="$LFS_URL/$3/info/lfs"
	local -a c
	mapfile -t c < <(creds "$who")
	local -a json=(-H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE")
	case "$what" in
	batch-d) http_status POST "$base/objects/batch" "${c[@]}" "${json[@]}" \
			--data-binary "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$H\",\"size\":12}]}" ;;
	batch-u) http_status POST "$base/objects/batch" "${c[@]}" "${json[@]}" \
			--data-binary "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$N\",\"size\":11}]}" ;;
	get) http_status GET "$base/objects/$H" "${c[@]}" ;;
	put) http_status PUT "$base/objects/$N" "${c[@]}" --data-binary @n.txt ;;
	verify) http_status POST "$base/objects/verify" "${c[@]}" "${json[@]}" \
			--data-binary "{\"oid\":\"$H\",\"size\":12}" ;;
	locks-get) http_status GET "$base/locks" "${c[@]}" -H "Accept: $LFS_TYPE" ;;
	lock) http_status POST "$base/locks" "${c[@]}" "${json[@]}" --data-binary '{"path":"x.bin"}' ;;
	locks-verify) http_status POST "$base/locks/verify" "${c[@]}" "${json[@]}" --data-binary '{}' ;;
	unlock) http_status POST "$base/locks/0123456789abcdef/unlock" "${c[@]}" "${json[@]}" --data-binary '{}' ;;
	esac
}

# A refusal's shape: JSON {"message"} with the LFS media type; 401 with
# LFS-Authenticate, 404 saying "repository not found".  Bash matching
# only: this runs hundreds of times, on a machine with little CPU.
refusal_shape() {
	local status="$1" h b rc=0
	h=$(<"$TRASH/headers") b=$(<"$TRASH/body")
	shopt -s nocasematch
	[[ $h == *$'\n'"content-type: application/vnd.git-lfs+json"$'\r'* ]] || rc=1
	[[ $b == '{'*'"message": "'?* || $b == '{'*'"message":"'?* ]] || rc=1
	case "$status" in
	401) [[ $h == *$'\n''lfs-authenticate: Basic realm="Git LFS"'$'\r'* ]] || rc=1 ;;
	404) [[ $b == *'"message":"repository not found"'* || $b == *'"message": "repository not found"'* ]] || rc=1 ;;
	esac
	shopt -u nocasematch
	[ $rc = 0 ] || { echo "bad $status refusal:" >&2; printf '%s\n%s\n' "$h" "$b" >&2; }
	return $rc
}

# expect_all WANT WHO REPO ENDPOINTS...: each endpoint answers WANT.
expect_all() {
	local want="$1" who="$2" repo="$3" what got bad=0
	shift 3
	for what in "$@"; do
		got=$(req "$who" "$what" "$repo")
		if [ "$got" != "$want" ]; then
			echo "$who $what $repo: got $got, want $want: $(cat "$TRASH/body")" >&2
			bad=1
		elif [ "$want" -ge 400 ]; then
			refusal_shape "$want" || { echo "  ($who $what $repo)" >&2; bad=1; }
		fi
	done
	return $bad
}

ALL="batch-d batch-u get put verify locks-get lock locks-verify unlock"
WRITES="batch-u put verify lock locks-verify unlock"
READS="batch-d get locks-get"

# make_token KIND USER REPO OID SIZE OP EXPIRES
make_token() {
	local key payload sig
	key=$(od -An -v -tx1 "$DATA/secret" | tr -d ' \n') &&
	payload=$(printf 't1\n%s\n%s\n%s\n%s\n%s\n%s\n%s' "$@" | b64url) &&
	sig=$(printf %s "$payload" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | b64url) &&
	printf '%s.%s\n' "$payload" "$sig"
}
later() {
	echo $(($(date +%s) + 600))
}

# put_with TOKEN REPO OID FILE: PUT with an action token; prints the status.
put_with() {
	http_status PUT "$LFS_URL/$2/info/lfs/objects/$3" -H "Authorization: Bearer $1" --data-binary "@$4"
}
get_with() {
	http_status GET "$LFS_URL/$2/info/lfs/objects/$3" -H "Authorization: Bearer $1"
}

cat >server.cfg <<EOF
[auth]
	users = $TRASH/users
	# every refusal below is a failed login: no lockout in this part
	lockout-failures = 100000
[repo "tock/*"]
	read = *
	write = alice
[repo "private/*"]
	read = rita
	write = alice
EOF
: >users
add_user users alice alice-pw
add_user users rita rita-pw
add_user users sam sam-pw

start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }

test_expect_success 'setup: alice stores hello.txt in the public and the private repo' '
	server_started &&
	for repo in tock/libtock-c private/secret; do
		test "$(http_status PUT "$LFS_URL/$repo/info/lfs/objects/$H" -u alice:alice-pw --data-binary @hello.txt)" = 200 &&
		test "$(req rita get $repo)" = 200 &&
		test_cmp hello.txt body || return 1
	done &&
	objects_snapshot >snapshot.0 &&
	test "$(wc -l <snapshot.0)" -eq 1
'

test_expect_success 'public repo: anonymous reads, and needs credentials (401) for the rest' '
	expect_all 200 anon tock/libtock-c $READS &&
	expect_all 401 anon tock/libtock-c $WRITES
'

test_expect_success 'public repo: a stranger and a reader read, and get 403 for the rest' '
	expect_all 200 sam tock/libtock-c $READS &&
	expect_all 403 sam tock/libtock-c $WRITES &&
	expect_all 200 rita tock/libtock-c $READS &&
	expect_all 403 rita tock/libtock-c $WRITES
'

# alice's right password after every three wrong ones resets her growing
# per-user delay (docs/security.md), which would otherwise slow this down.
test_expect_success 'a wrong password: 401 everywhere, even where anonymous may read' '
	for what in $ALL; do
		expect_all 401 badpw tock/libtock-c $what &&
		expect_all 401 badpw private/secret $what &&
		expect_all 401 badpw nosuch/repo $what &&
		test "$(req alice batch-d private/secret)" = 200 || return 1
	done
'

test_expect_success 'an unknown user: 401' '
	test "$(http_status POST "$LFS_URL/tock/libtock-c/info/lfs/objects/batch" -u nobody:alice-pw \
		-H "Content-Type: $LFS_TYPE" --data-binary "{\"operation\":\"download\",\"objects\":[]}")" = 401 &&
	refusal_shape 401
'

test_expect_success 'private repo: anonymous gets 401 for everything' '
	expect_all 401 anon private/secret $ALL
'

test_expect_success 'private repo: a stranger gets 404 "repository not found" for everything' '
	expect_all 404 sam private/secret $ALL
'

test_expect_success 'private repo: a reader reads, and gets 403 for the rest' '
	expect_all 200 rita private/secret $READS &&
	expect_all 403 rita private/secret $WRITES
'

test_expect_success 'a repo no rule names: 401 anonymously, 404 for every user' '
	expect_all 401 anon nosuch/repo $ALL &&
	expect_all 404 sam nosuch/repo $ALL &&
	expect_all 404 rita nosuch/repo $ALL &&
	expect_all 404 alice nosuch/repo $ALL
'

test_expect_success 'the writer may do all of it (the refusals were about rights)' '
	expect_all 200 alice private/secret batch-d batch-u get verify locks-get locks-verify
'

test_expect_success 'after all the refusals nothing was stored, and the server serves' '
	objects_snapshot >snapshot.1 &&
	test_cmp snapshot.0 snapshot.1 &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT count(*) FROM journal")" -eq 2 &&
	test "$(http_status GET "$LFS_URL/healthz")" = 200
'

# Malformed Authorization headers, on the public repo where anonymous may
# read: each must be refused with 401, not taken as anonymous.
bad_headers() {
	printf '%s\n' \
		'Basic !!!not-base64!!!' \
		"Basic $(printf alicealice-pw | base64)" \
		"Basic $(head -c 10240 /dev/zero | tr '\0' A)" \
		"Basic $(printf 'al\377ice:\376\375' | base64)" \
		"Basic $(printf 'alice\0:alice-pw' | base64)" \
		"Basic $(printf ':alice-pw' | base64)" \
		"Basic $(printf 'alice:alice-pw' | base64 | cut -c2-)" \
		'Basic' \
		'Basic ' \
		'Digest username="alice", realm="Git LFS", response="0"' \
		'Negotiate YIIBhgYGKwYBBQUCoIIBejCCAXag' \
		"Token $(printf alice:alice-pw | base64)" \
		"$(printf alice:alice-pw | base64)"
	printf 'Basic \377\376\375\374\n'
}

test_expect_success 'malformed Authorization headers: 401, with the usual shape' '
	bad_headers >bad.list &&
	test "$(wc -l <bad.list)" -eq 14 &&
	while IFS= read -r h; do
		got=$(http_status POST "$LFS_URL/tock/libtock-c/info/lfs/objects/batch" -H "Authorization: $h" \
			-H "Content-Type: $LFS_TYPE" --data-binary "{\"operation\":\"download\",\"objects\":[]}") &&
		if [ "$got" != 401 ]; then
			echo "[$(printf %s "$h" | cut -c1-60)]: got $got" >&2
			return 1
		fi &&
		refusal_shape 401 || return 1
	done <bad.list
'

test_expect_success 'malformed Authorization on uploads: 401, nothing stored' '
	while IFS= read -r h; do
		got=$(http_status PUT "$LFS_URL/tock/libtock-c/info/lfs/objects/$N" -H "Authorization: $h" \
			--data-binary @n.txt) &&
		if [ "$got" != 401 ]; then
			echo "[$(printf %s "$h" | cut -c1-60)]: got $got" >&2
			return 1
		fi
	done <bad.list &&
	objects_snapshot >snapshot.2 &&
	test_cmp snapshot.0 snapshot.2
'

test_expect_success 'the right credentials, with the scheme in any case, still work' '
	for scheme in Basic basic BASIC; do
		test "$(http_status POST "$LFS_URL/private/secret/info/lfs/objects/batch" \
			-H "Authorization: $scheme $(printf alice:alice-pw | base64)" \
			-H "Content-Type: $LFS_TYPE" --data-binary "{\"operation\":\"download\",\"objects\":[]}")" = 200 || return 1
	done &&
	test "$(http_status GET "$LFS_URL/healthz")" = 200
'

# Action tokens: anything but the right token for this repo, oid and
# operation is 403 (never 401: git-lfs 3.3 loops on 401 there).
test_expect_success 'a real upload token works only for its object (control)' '
	test "$(req alice batch-u private/secret)" = 200 &&
	tok=$(jq -r ".objects[0].actions.upload.header.Authorization" body | sed "s/^Bearer //") &&
	echo "$tok" >upload.token &&
	test -n "$tok" &&
	test "$(put_with "$tok" tock/libtock-c "$N" n.txt)" = 403 &&
	test "$(put_with "$tok" private/secret "$N2" n2.txt)" = 403 &&
	objects_snapshot >snapshot.3 &&
	test_cmp snapshot.0 snapshot.3
'

test_expect_success 'a tampered upload token: every one-byte change gets 403, nothing stored' '
	tok=$(cat upload.token) &&
	len=${#tok} &&
	for i in 0 5 17 $((len / 2)) $((len - 44)) $((len - 43)) $((len - 20)) $((len - 1)); do
		c=${tok:$i:1} &&
		if [ "$c" = A ]; then r=B; else r=A; fi &&
		bad="${tok:0:$i}$r${tok:$((i + 1))}" &&
		got=$(put_with "$bad" private/secret "$N" n.txt) &&
		if [ "$got" != 403 ]; then echo "byte $i: got $got" >&2; return 1; fi &&
		refusal_shape 403 || return 1
	done &&
	test "$(put_with "${tok%?}" private/secret "$N" n.txt)" = 403 &&
	test "$(put_with "${tok}A" private/secret "$N" n.txt)" = 403 &&
	test "$(put_with "${tok%%.*}" private/secret "$N" n.txt)" = 403 &&
	test "$(put_with "" private/secret "$N" n.txt)" = 403 &&
	test "$(put_with "garbage" private/secret "$N" n.txt)" = 403 &&
	objects_snapshot >snapshot.4 &&
	test_cmp snapshot.0 snapshot.4
'

test_expect_success 'tokens made with the server key: the right one works (the maker is sound)' '
	tok=$(make_token transfer alice private/secret "$H" 12 download "$(later)") &&
	test "$(get_with "$tok" private/secret "$H")" = 200 &&
	test_cmp hello.txt body
'

test_expect_success 'an expired token: 403' '
	tok=$(make_token transfer alice private/secret "$H" 12 download $(($(date +%s) - 5))) &&
	test "$(get_with "$tok" private/secret "$H")" = 403 &&
	refusal_shape 403 &&
	jq -e ".message | test(\"expired\")" body &&
	tok=$(make_token transfer alice private/secret "$N" 11 upload $(($(date +%s) - 5))) &&
	test "$(put_with "$tok" private/secret "$N" n.txt)" = 403
'

test_expect_success 'a token for another repo, oid or operation, or of another kind: 403' '
	t=$(make_token transfer alice tock/libtock-c "$H" 12 download "$(later)") &&
	test "$(get_with "$t" private/secret "$H")" = 403 &&
	refusal_shape 403 &&
	t=$(make_token transfer alice private/secret "$N" 11 download "$(later)") &&
	test "$(get_with "$t" private/secret "$H")" = 403 &&
	t=$(make_token transfer alice private/secret "$H" 12 upload "$(later)") &&
	test "$(get_with "$t" private/secret "$H")" = 403 &&
	t=$(make_token api alice private/secret "" -1 download "$(later)") &&
	test "$(get_with "$t" private/secret "$H")" = 403 &&
	t=$(make_token transfer alice private/secret "$N" 11 download "$(later)") &&
	test "$(put_with "$t" private/secret "$N" n.txt)" = 403 &&
	t=$(make_token transfer alice tock/libtock-c "$N" 11 upload "$(later)") &&
	test "$(put_with "$t" private/secret "$N" n.txt)" = 403 &&
	t=$(make_token api alice private/secret "" -1 upload "$(later)") &&
	test "$(put_with "$t" private/secret "$N" n.txt)" = 403 &&
	objects_snapshot >snapshot.5 &&
	test_cmp snapshot.0 snapshot.5
'

test_expect_success 'a token signed with another key: 403' '
	head -c 32 /dev/urandom >other.key &&
	key=$(od -An -v -tx1 other.key | tr -d " \n") &&
	p=$(printf "t1\ntransfer\nalice\nprivate/secret\n%s\n12\ndownload\n%s" "$H" "$(later)" | b64url) &&
	s=$(printf %s "$p" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | b64url) &&
	test "$(get_with "$p.$s" private/secret "$H")" = 403
'

test_expect_success 'api tokens on the batch endpoint: the right one works, others get 403' '
	D="{\"operation\":\"download\",\"objects\":[]}" &&
	U="{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$N\",\"size\":11}]}" &&
	api() {
		http_status POST "$LFS_URL/$1/info/lfs/objects/batch" -H "Authorization: Bearer $2" \
			-H "Content-Type: $LFS_TYPE" --data-binary "$3"
	} &&
	t=$(make_token api rita private/secret "" -1 download "$(later)") &&
	test "$(api private/secret "$t" "$D")" = 200 &&
	test "$(api tock/libtock-c "$t" "$D")" = 403 &&
	test "$(api private/secret "${t%?}" "$D")" = 403 &&
	t=$(make_token api rita private/secret "" -1 download $(($(date +%s) - 5))) &&
	test "$(api private/secret "$t" "$D")" = 403 &&
	t=$(make_token transfer rita private/secret "$H" 12 download "$(later)") &&
	test "$(api private/secret "$t" "$D")" = 403 &&
	t=$(make_token api alice private/secret "" -1 download "$(later)") &&
	test "$(api private/secret "$t" "$U")" = 403 &&
	t=$(make_token api alice private/secret "" -1 upload "$(later)") &&
	test "$(api private/secret "$t" "$U")" = 200 &&
	t=$(make_token api sam private/secret "" -1 download "$(later)") &&
	test "$(api private/secret "$t" "$D")" = 404 &&
	t=$(make_token api rita private/secret "" -1 upload "$(later)") &&
	test "$(api private/secret "$t" "$U")" = 403
'

test_expect_success 'after every rejected token, nothing stored and the server serves' '
	objects_snapshot >snapshot.6 &&
	test_cmp snapshot.0 snapshot.6 &&
	tmp_emptied "$DATA" &&
	test "$(http_status GET "$LFS_URL/healthz")" = 200
'

test_expect_success 'a writer may PUT with Basic credentials instead of a token' '
	test "$(req alice put private/secret)" = 200 &&
	cmp n.txt "$(obj_path "$DATA" "$N")" &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT user FROM journal WHERE oid = '"'"'$N'"'"'")" = alice
'

test_expect_success 'no password ever reaches the log' '
	for secret in alice-pw rita-pw sam-pw wrong-pw "$(printf alice:alice-pw | base64)" Bearer "$(cut -c1-40 upload.token)"; do
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

# The lockout: 3 failures within 60 s lock the address out for 300 s.
cat >lockout.cfg <<EOF
[auth]
	users = $TRASH/users
	lockout-failures = 3
	lockout-window = 60
	lockout-time = 300
[repo "private/*"]
	read = rita
	write = alice
EOF
start_lfs_server --config lockout.cfg

test_expect_success 'lockout: two wrong passwords, then the right one works' '
	server_started &&
	expect_all 401 badpw private/secret batch-d &&
	expect_all 401 badpw private/secret batch-d &&
	expect_all 200 alice private/secret batch-d
'

test_expect_success 'lockout: the right password did not clear the count; the third wrong one locks out' '
	expect_all 401 badpw private/secret batch-d &&
	grep -q "too many failed logins from 127.0.0.1" "$LFS_LOG"
'

test_expect_success 'locked out: 429 with Retry-After, even with the right password' '
	objects_snapshot >before &&
	for who in alice rita badpw; do
		test "$(req $who batch-d private/secret)" = 429 &&
		refusal_shape 429 &&
		ra=$(grep -i "^retry-after:" headers | tr -d "\r" | cut -d" " -f2) &&
		test "$ra" -ge 1 && test "$ra" -le 300 || { cat headers >&2; return 1; }
	done &&
	test "$(req alice put private/secret)" = 429 &&
	test "$(req rita get private/secret)" = 429 &&
	objects_snapshot >after &&
	test_cmp before after
'

test_expect_success 'locked out: malformed credentials get 429 too' '
	test "$(http_status POST "$LFS_URL/private/secret/info/lfs/objects/batch" -H "Authorization: Basic !!!" \
		-H "Content-Type: $LFS_TYPE" --data-binary "{\"operation\":\"download\",\"objects\":[]}")" = 429
'

test_expect_success 'the server still serves while an address is locked out' '
	test "$(http_status GET "$LFS_URL/healthz")" = 200
'

stop_rc
test_expect_success 'SIGTERM: the server exits 0' '
	stopped_cleanly
'

# The lockout ends: with lockout-time = 1 the right password works again.
sed -e "s/lockout-time = 300/lockout-time = 1/" lockout.cfg >short.cfg
start_lfs_server --config short.cfg

test_expect_success 'after lockout-time the right password works again' '
	server_started &&
	expect_all 401 badpw private/secret batch-d &&
	expect_all 401 badpw private/secret batch-d &&
	expect_all 401 badpw private/secret batch-d &&
	POLL_TRIES=100 test_poll expect_all 200 alice private/secret batch-d
'

stop_rc
test_expect_success 'SIGTERM: the server exits 0' '
	stopped_cleanly
'

test_done
