#!/bin/bash
test_description='locking API over curl: shapes, statuses, bad input, paging, rights'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# alice and bob write tock/*, carol administers it, rita only reads it,
# mallory is a valid user with no rights there.  pub/* is readable by
# everyone (anonymous included), open/* even writable by everyone: a lock
# still needs a named owner there.

: >users
for u in alice bob carol rita mallory; do
	htpasswd -B -C 4 -b users "$u" "$u-pw" 2>/dev/null || { echo "Bail out! htpasswd failed"; exit 1; }
done
cat >server.cfg <<EOF || { echo "Bail out! cannot write the config"; exit 1; }
[server]
	data = $DATA
[auth]
	users = $TRASH/users
[repo "tock/*"]
	read = rita
	write = alice bob
	admin = carol
[repo "pub/*"]
	read = *
	write = alice
[repo "open/*"]
	read = *
	write = *
EOF

start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }

# api USER METHOD REPO-RELATIVE-PATH [curl args]: USER "-" is anonymous.
# Prints the status; body in $TRASH/body, headers in $TRASH/headers.
api() {
	local user="$1" method="$2" path="$3"
	shift 3
	if [ "$user" = - ]; then
		http_status "$method" "$LFS_URL/$path" -H "Accept: $LFS_TYPE" "$@"
	else
		http_status "$method" "$LFS_URL/$path" -u "$user:$user-pw" -H "Accept: $LFS_TYPE" "$@"
	fi
}

# post_lock USER REPO JSON / post_verify USER REPO JSON /
# post_unlock USER REPO ID JSON / get_locks USER REPO QUERY
post_lock() {
	api "$1" POST "$2/info/lfs/locks" -H "Content-Type: $LFS_TYPE" --data-binary "$3"
}
post_verify() {
	api "$1" POST "$2/info/lfs/locks/verify" -H "Content-Type: $LFS_TYPE" --data-binary "$3"
}
post_unlock() {
	api "$1" POST "$2/info/lfs/locks/$3/unlock" -H "Content-Type: $LFS_TYPE" --data-binary "$4"
}
get_locks() {
	api "$1" GET "$2/info/lfs/locks${3:+?$3}"
}

# A whole lock: 32-hex id, string path, RFC 3339 UTC locked_at, owner.name.
LOCK_OK='(.id | type == "string" and test("^[0-9a-f]{32}$"))
	and (.path | type == "string")
	and (.locked_at | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))
	and (.owner.name | type == "string" and length > 0)'

# expect STATUS GOT: the status, and the LFS media type on the answer.
expect() {
	if [ "$2" != "$1" ]; then
		echo "status $2, wanted $1; body:" >&2
		cat "$TRASH/body" >&2
		echo >&2
		return 1
	fi
	grep -qi "^content-type: application/vnd.git-lfs+json" "$TRASH/headers" || {
		echo "not the LFS media type:" >&2
		cat "$TRASH/headers" >&2
		return 1
	}
}

# expect_error STATUS GOT: as expect, and the body is {"message": "…"}.
expect_error() {
	expect "$@" || return 1
	jq -e '.message | type == "string" and length > 0' "$TRASH/body" >/dev/null ||
		{ cat "$TRASH/body" >&2; return 1; }
}

# The paths locked in REPO, one a line, sorted (asked as carol).
paths_in() {
	test "$(get_locks carol "$1" "limit=100")" = 200 &&
	jq -r '.locks[].path' "$TRASH/body" | LC_ALL=C sort
}

utc_now() {
	date -u +%Y-%m-%dT%H:%M:%SZ
}

test_expect_success 'create: 201 with the whole lock, owned by the caller' '
	t0=$(utc_now) &&
	expect 201 "$(post_lock alice tock/game "{\"path\":\"assets/a.bin\",\"ref\":{\"name\":\"refs/heads/main\"}}")" &&
	t1=$(utc_now) &&
	jq -e ".lock | $LOCK_OK" body &&
	jq -e ".lock.path == \"assets/a.bin\" and .lock.owner.name == \"alice\"" body &&
	jq -e "keys == [\"lock\"]" body &&
	at=$(jq -r .lock.locked_at body) &&
	! [[ "$at" < "$t0" ]] && ! [[ "$at" > "$t1" ]] &&
	jq -c .lock body >lock-a.json
'

test_expect_success 'create again, by anyone: 409 with the existing lock and a message' '
	expect 409 "$(post_lock bob tock/game "{\"path\":\"assets/a.bin\"}")" &&
	jq -e ".message == \"already created lock\"" body &&
	jq -c .lock body >got.json && test_cmp lock-a.json got.json &&
	expect 409 "$(post_lock alice tock/game "{\"path\":\"assets/a.bin\",\"ref\":{}}")" &&
	jq -c .lock body >got.json && test_cmp lock-a.json got.json
'

test_expect_success 'R and R.git are one repo; other repos have their own locks' '
	expect 409 "$(post_lock bob tock/game.git "{\"path\":\"assets/a.bin\"}")" &&
	jq -c .lock body >got.json && test_cmp lock-a.json got.json &&
	expect 201 "$(post_lock bob tock/other "{\"path\":\"assets/a.bin\"}")" &&
	jq -e ".lock.owner.name == \"bob\"" body &&
	paths_in tock/other >other.paths && echo assets/a.bin >expect && test_cmp expect other.paths &&
	paths_in tock/game.git >game.paths && test_cmp expect game.paths
'

test_expect_success 'paths are stored as sent: a different case or a longer name is another path' '
	expect 201 "$(post_lock bob tock/game "{\"path\":\"assets/A.bin\"}")" &&
	expect 201 "$(post_lock bob tock/game "{\"path\":\"assets/a.bin.orig\"}")" &&
	expect 201 "$(post_lock bob tock/game "{\"path\":\"./x\"}")" &&
	printf "%s\n" ./x assets/A.bin assets/a.bin assets/a.bin.orig >expect &&
	paths_in tock/game >actual && test_cmp expect actual
'

test_expect_success 'a non-ASCII path works and is echoed byte for byte' '
	printf "{\"path\":\"d\\303\\251p\\303\\264t/\\303\\274ber gro\\303\\237.bin\"}" >utf8.json &&
	expect 201 "$(api bob POST tock/game/info/lfs/locks -H "Content-Type: $LFS_TYPE" --data-binary @utf8.json)" &&
	jq -j .lock.path body >got.path &&
	printf "d\\303\\251p\\303\\264t/\\303\\274ber gro\\303\\237.bin" >want.path &&
	test_cmp want.path got.path &&
	expect 200 "$(get_locks rita tock/game "path=d%C3%A9p%C3%B4t%2F%C3%BCber%20gro%C3%9F.bin")" &&
	jq -e "(.locks | length) == 1" body &&
	jq -j ".locks[0].path" body >got.path && test_cmp want.path got.path
'

test_expect_success 'list: 200 with whole locks, exact path and id filters, [] when nothing matches' '
	expect 200 "$(get_locks rita tock/game)" &&
	jq -e "(.locks | length) == 5 and all(.locks[]; $LOCK_OK)" body &&
	jq -e "has(\"next_cursor\") | not" body &&
	expect 200 "$(get_locks rita tock/game "path=assets%2Fa.bin&refspec=refs%2Fheads%2Fmain")" &&
	jq -c ".locks" body >got.json && echo "[$(cat lock-a.json)]" >want.json && test_cmp want.json got.json &&
	expect 200 "$(get_locks rita tock/game "id=$(jq -r .id lock-a.json)")" &&
	jq -c ".locks" body >got.json && test_cmp want.json got.json &&
	expect 200 "$(get_locks rita tock/game "path=assets")" &&
	jq -c . body >got.json && echo "{\"locks\":[]}" >want.json && test_cmp want.json got.json &&
	expect 200 "$(get_locks rita tock/game "id=0123456789abcdef0123456789abcdef")" &&
	jq -c . body >got.json && test_cmp want.json got.json &&
	expect 200 "$(get_locks rita tock/empty)" &&
	jq -c . body >got.json && test_cmp want.json got.json
'

test_expect_success 'verify: ours and theirs split by caller, both arrays always present' '
	expect 200 "$(post_verify alice tock/game "{\"ref\":{\"name\":\"refs/heads/main\"}}")" &&
	jq -e "(.ours | length) == 1 and .ours[0].owner.name == \"alice\" and (.theirs | length) == 4" body &&
	jq -e "all(.theirs[]; .owner.name == \"bob\") and all((.ours + .theirs)[]; $LOCK_OK)" body &&
	jq -e "has(\"next_cursor\") | not" body &&
	expect 200 "$(post_verify bob tock/game "{}")" &&
	jq -e "(.ours | length) == 4 and (.theirs | length) == 1 and .theirs[0].owner.name == \"alice\"" body &&
	expect 200 "$(post_verify carol tock/empty "{\"ref\":{\"name\":\"refs/heads/main\"}}")" &&
	jq -c . body >got.json && echo "{\"ours\":[],\"theirs\":[]}" >want.json && test_cmp want.json got.json
'

# STATUS NAME BODY: lock requests that must be refused, nothing stored.
cat >bad-create.txt <<\EOF
422 empty path|{"path":""}
422 absolute path|{"path":"/etc/passwd"}
422 absolute path, one segment|{"path":"/a.bin"}
422 a/../b|{"path":"a/../b"}
422 ..|{"path":".."}
422 ../x|{"path":"../x"}
422 x/..|{"path":"x/.."}
422 number path|{"path":5}
422 null path|{"path":null}
422 array path|{"path":["a.bin"]}
422 object path|{"path":{"name":"a.bin"}}
422 boolean path|{"path":true}
422 missing path|{"ref":{"name":"refs/heads/main"}}
422 body is an array|[{"path":"a.bin"}]
400 truncated JSON|{"path":
400 not JSON|path=a.bin
400 trailing garbage|{"path":"a.bin"} x
EOF

test_expect_success 'bad lock requests: 422 or 400 with a JSON message, nothing stored' '
	paths_in tock/game >before &&
	fails=0 &&
	while IFS="|" read -r want json; do
		status=${want%% *} name=${want#* } &&
		printf "%s" "$json" >req.json &&
		got=$(api bob POST tock/game/info/lfs/locks -H "Content-Type: $LFS_TYPE" --data-binary @req.json) &&
		if ! expect_error "$status" "$got" 2>err.out; then
			echo "FAIL: $name: $(cat req.json) -> $got $(cat body)" >&2
			fails=$((fails + 1))
		fi
	done <bad-create.txt &&
	paths_in tock/game >after &&
	test_cmp before after &&
	test $fails -eq 0
'

test_expect_success 'a path containing NUL (valid JSON, \u0000): 422, nothing stored' '
	for json in "{\"path\":\"a\\u0000b\"}" "{\"path\":\"a.bin\\u0000\"}" "{\"path\":\"\\u0000\"}"; do
		expect_error 422 "$(post_lock bob tock/game "$json")" || { echo "body $json" >&2; return 1; }
	done &&
	paths_in tock/game >after &&
	test_cmp before after
'

test_expect_success 'a body that is not UTF-8: 400, nothing stored' '
	printf "{\"path\":\"\377\376.bin\"}" >req.json &&
	expect_error 400 "$(api bob POST tock/game/info/lfs/locks -H "Content-Type: $LFS_TYPE" --data-binary @req.json)" &&
	paths_in tock/game >after &&
	test_cmp before after
'

test_expect_success 'path length: 1024 bytes is fine, 1025 is 422' '
	p1024=$(printf "d/%01022d" 0 | tr 0 x) &&
	test ${#p1024} -eq 1024 &&
	expect_error 422 "$(post_lock bob tock/long "{\"path\":\"${p1024}y\"}")" &&
	expect 201 "$(post_lock bob tock/long "{\"path\":\"$p1024\"}")" &&
	jq -j .lock.path body >got.path && printf %s "$p1024" >want.path && test_cmp want.path got.path &&
	paths_in tock/long >actual && echo "$p1024" >expect && test_cmp expect actual
'

test_expect_success 'a lock body over server.max-json-bytes (1 MiB): 413, nothing stored' '
	{ printf "{\"path\":\"big.bin\",\"pad\":\"" && head -c 1100000 /dev/zero | tr "\\0" x && printf "\"}"; } >big.json &&
	test $(wc -c <big.json) -gt 1048576 &&
	expect_error 413 "$(api bob POST tock/game/info/lfs/locks -H "Content-Type: $LFS_TYPE" --data-binary @big.json)" &&
	! paths_in tock/game | grep -q big.bin
'

test_expect_success 'wrong or missing Content-Type: 415 on create, verify and unlock' '
	for ep in locks locks/verify locks/0123456789abcdef0123456789abcdef/unlock; do
		expect_error 415 "$(api bob POST "tock/game/info/lfs/$ep" -H "Content-Type: text/plain" --data-binary "{\"path\":\"ct.bin\"}")" &&
		expect_error 415 "$(api bob POST "tock/game/info/lfs/$ep" -H "Content-Type:" --data-binary "{\"path\":\"ct.bin\"}")" &&
		expect_error 415 "$(api bob POST "tock/game/info/lfs/$ep" --data-binary "{\"path\":\"ct.bin\"}")" || return 1
	done &&
	! paths_in tock/game | grep -q ct.bin &&
	expect 201 "$(api bob POST tock/game/info/lfs/locks -H "Content-Type: $LFS_TYPE; charset=utf-8" --data-binary "{\"path\":\"ct1.bin\"}")" &&
	expect 201 "$(api bob POST tock/game/info/lfs/locks -H "Content-Type: application/json" --data-binary "{\"path\":\"ct2.bin\"}")"
'

test_expect_success 'malformed JSON on verify and unlock: 400' '
	expect_error 400 "$(post_verify bob tock/game "{\"ref\":")" &&
	expect_error 400 "$(post_unlock bob tock/game "$(jq -r .id lock-a.json)" "{force:true}")" &&
	paths_in tock/game | grep -qx assets/a.bin
'

test_expect_success 'unlock of an unknown id: 404 with a message' '
	expect_error 404 "$(post_unlock bob tock/game 0123456789abcdef0123456789abcdef "{\"force\":false}")" &&
	expect_error 404 "$(post_unlock carol tock/game 0123456789abcdef0123456789abcdef "{\"force\":true}")" &&
	expect_error 404 "$(post_unlock alice tock/other "$(jq -r .id lock-a.json)" "{\"force\":false}")" &&
	paths_in tock/game | grep -qx assets/a.bin
'

test_expect_success 'lock id in the URL with bad characters or too long: 404' '
	long=$(printf "%0200d" 0) &&
	for id in ab.cd .. %2e%2e ab%2Fcd ab%00cd ab%20cd "ab%22cd" "a;b" "$long"; do
		expect_error 404 "$(post_unlock alice tock/game "$id" "{\"force\":false}")" ||
			{ echo "id $id" >&2; return 1; }
	done &&
	expect_error 404 "$(api alice POST "tock/game/info/lfs/locks/$(jq -r .id lock-a.json)" -H "Content-Type: $LFS_TYPE" --data-binary "{}")" &&
	expect_error 404 "$(api alice POST "tock/game/info/lfs/locks/$(jq -r .id lock-a.json)/unlock/x" -H "Content-Type: $LFS_TYPE" --data-binary "{}")" &&
	paths_in tock/game | grep -qx assets/a.bin
'

test_expect_success 'wrong methods: 405 with Allow' '
	expect_error 405 "$(api alice DELETE tock/game/info/lfs/locks)" &&
	grep -qi "^allow: GET, POST" headers &&
	expect_error 405 "$(api alice GET tock/game/info/lfs/locks/verify)" &&
	grep -qi "^allow: POST" headers &&
	expect_error 405 "$(api alice GET "tock/game/info/lfs/locks/$(jq -r .id lock-a.json)/unlock")" &&
	grep -qi "^allow: POST" headers
'

test_expect_success 'limit and cursor that are not numbers or ids: 422' '
	for q in limit=abc limit=-1 limit=2x cursor=zz "cursor=..%2F" "cursor=$(printf "%040d" 0)"; do
		expect_error 422 "$(get_locks rita tock/game "$q")" || { echo "query $q" >&2; return 1; }
	done &&
	expect_error 422 "$(post_verify alice tock/game "{\"limit\":\"abc\"}")" &&
	expect_error 422 "$(post_verify alice tock/game "{\"limit\":-1}")" &&
	expect_error 422 "$(post_verify alice tock/game "{\"cursor\":\"zz\"}")"
'

test_expect_success 'cursor paging: 5 locks with limit=2, following next_cursor, each lock once' '
	for i in 1 2 3 4 5; do
		u=alice && [ $i -gt 3 ] && u=bob
		expect 201 "$(post_lock $u tock/page "{\"path\":\"p$i.bin\"}")" &&
		jq -r .lock.id body >>created.ids || return 1
	done &&
	cursor= pages= &&
	: >seen.ids &&
	while :; do
		expect 200 "$(get_locks rita tock/page "limit=2${cursor:+&cursor=$cursor}")" &&
		jq -e "all(.locks[]; $LOCK_OK)" body >/dev/null &&
		jq -r ".locks[].id" body >>seen.ids &&
		pages="$pages $(jq ".locks | length" body)" &&
		test $(wc -l <seen.ids) -le 5 || return 1
		cursor=$(jq -r ".next_cursor // empty" body)
		[ -n "$cursor" ] || break
	done &&
	test "$pages" = " 2 2 1" &&
	jq -e "has(\"next_cursor\") | not" body &&
	sort created.ids >want && sort seen.ids >got && test_cmp want got &&
	test "$(sort -u seen.ids | wc -l)" -eq 5
'

test_expect_success 'paging ends exactly: 4 locks with limit=2 are two pages, the last without next_cursor' '
	expect 200 "$(post_unlock alice tock/page "$(head -n 1 created.ids)" "{\"force\":false}")" &&
	expect 200 "$(get_locks rita tock/page "limit=2")" &&
	cursor=$(jq -r .next_cursor body) && test -n "$cursor" &&
	expect 200 "$(get_locks rita tock/page "limit=2&cursor=$cursor")" &&
	jq -e "(.locks | length) == 2 and (has(\"next_cursor\") | not)" body
'

test_expect_success 'verify pages too: ours and theirs over all pages make up every lock' '
	cursor= && : >ours && : >theirs && n=0 &&
	while :; do
		req="{\"ref\":{\"name\":\"refs/heads/main\"},\"limit\":3${cursor:+,\"cursor\":\"$cursor\"}}" &&
		expect 200 "$(post_verify alice tock/page "$req")" &&
		jq -r ".ours[].id" body >>ours && jq -r ".theirs[].id" body >>theirs &&
		jq -e "all(.ours[]; .owner.name == \"alice\") and all(.theirs[]; .owner.name == \"bob\")" body >/dev/null &&
		n=$((n + 1)) && test $n -le 3 || return 1
		cursor=$(jq -r ".next_cursor // empty" body)
		[ -n "$cursor" ] || break
	done &&
	test $n -eq 2 &&
	test $(wc -l <ours) -eq 2 && test $(wc -l <theirs) -eq 2 &&
	sed 1d created.ids | sort >want && sort ours theirs >got && test_cmp want got
'

test_expect_success 'limit is clamped to 1..100: limit=0 and limit=1000 give pages of 100' '
	# One curl for the 101 locks: a process per request would be slow.
	args=() &&
	for i in $(seq 101); do
		args+=(--next -sS -o /dev/null -w "%{http_code}\n" -u alice:alice-pw -H "Content-Type: $LFS_TYPE"
		       --data-binary "{\"path\":\"m$i\"}" "$LFS_URL/tock/many/info/lfs/locks")
	done &&
	curl "${args[@]:1}" >codes &&
	test "$(sort codes | uniq -c | sed "s/^ *//")" = "101 201" &&
	for q in "" limit=0 limit=1000 limit=99999999999999999999999; do
		expect 200 "$(get_locks rita tock/many "$q")" &&
		jq -e "(.locks | length) == 100 and (.next_cursor | type == \"string\")" body || { echo "query $q" >&2; return 1; }
	done &&
	expect 200 "$(get_locks rita tock/many "limit=1000&cursor=$(jq -r .next_cursor body)")" &&
	jq -e "(.locks | length) == 1 and (has(\"next_cursor\") | not)" body &&
	expect 200 "$(get_locks rita tock/many "limit=1")" &&
	jq -e "(.locks | length) == 1 and (.next_cursor | type == \"string\")" body &&
	expect 200 "$(post_verify alice tock/many "{\"limit\":1000}")" &&
	jq -e "(.ours | length) == 100 and (.theirs | length) == 0 and (.next_cursor | type == \"string\")" body
'

test_expect_success 'anonymous lock attempts with auth on: 401 with LFS-Authenticate, nothing stored' '
	for repo in tock/game pub/game open/game; do
		expect_error 401 "$(api - POST "$repo/info/lfs/locks" -H "Content-Type: $LFS_TYPE" --data-binary "{\"path\":\"anon.bin\"}")" &&
		grep -qi "^lfs-authenticate: Basic realm=\"" headers &&
		expect_error 401 "$(api - POST "$repo/info/lfs/locks/verify" -H "Content-Type: $LFS_TYPE" --data-binary "{}")" &&
		grep -qi "^lfs-authenticate: Basic realm=\"" headers &&
		expect_error 401 "$(api - POST "$repo/info/lfs/locks/$(jq -r .id lock-a.json)/unlock" -H "Content-Type: $LFS_TYPE" --data-binary "{\"force\":true}")" &&
		grep -qi "^lfs-authenticate: Basic realm=\"" headers || { echo "repo $repo" >&2; return 1; }
	done &&
	test -z "$(paths_in pub/game)" && test -z "$(paths_in open/game)" &&
	! paths_in tock/game | grep -q anon.bin
'

test_expect_success 'anonymous listing: 401 on a private repo, 200 where everyone may read' '
	expect_error 401 "$(get_locks - tock/game)" &&
	grep -qi "^lfs-authenticate: Basic realm=\"" headers &&
	expect 201 "$(post_lock alice pub/game "{\"path\":\"pub.bin\"}")" &&
	expect 200 "$(get_locks - pub/game)" &&
	jq -e "(.locks | length) == 1 and .locks[0].owner.name == \"alice\"" body
'

test_expect_success 'wrong password: 401' '
	expect_error 401 "$(http_status POST "$LFS_URL/tock/game/info/lfs/locks" -u alice:nope -H "Content-Type: $LFS_TYPE" --data-binary "{\"path\":\"pw.bin\"}")" &&
	! paths_in tock/game | grep -q pw.bin
'

test_expect_success 'a reader may list but not lock, verify or unlock: 403' '
	expect 200 "$(get_locks rita tock/game)" &&
	expect_error 403 "$(post_lock rita tock/game "{\"path\":\"rita.bin\"}")" &&
	expect_error 403 "$(post_verify rita tock/game "{}")" &&
	expect_error 403 "$(post_unlock rita tock/game "$(jq -r .id lock-a.json)" "{\"force\":false}")" &&
	expect_error 403 "$(post_unlock rita tock/game "$(jq -r .id lock-a.json)" "{\"force\":true}")" &&
	! paths_in tock/game | grep -q rita.bin &&
	paths_in tock/game | grep -qx assets/a.bin
'

test_expect_success 'a user who may not read the repo gets 404, as for a repo that does not exist' '
	expect_error 404 "$(get_locks mallory tock/game)" &&
	cp body body.hidden &&
	expect_error 404 "$(post_lock mallory tock/game "{\"path\":\"m.bin\"}")" &&
	expect_error 404 "$(post_unlock mallory tock/game "$(jq -r .id lock-a.json)" "{\"force\":true}")" &&
	expect_error 404 "$(get_locks mallory nosuch/repo)" &&
	jq -r .message body >m1 && jq -r .message body.hidden >m2 && test_cmp m1 m2
'

test_expect_success 'unlock: only the owner without force, 403 for others (admins included)' '
	id=$(jq -r .id lock-a.json) &&
	expect_error 403 "$(post_unlock bob tock/game "$id" "{\"force\":false}")" &&
	expect_error 403 "$(post_unlock bob tock/game "$id" "{}")" &&
	expect_error 403 "$(post_unlock carol tock/game "$id" "{\"force\":false}")" &&
	expect_error 422 "$(post_unlock alice tock/game "$id" "{\"force\":\"yes\"}")" &&
	paths_in tock/game | grep -qx assets/a.bin
'

test_expect_success 'force by a writer who is no admin: 403; by an admin: 200 with the deleted lock' '
	id=$(jq -r .id lock-a.json) &&
	expect_error 403 "$(post_unlock bob tock/game "$id" "{\"force\":true}")" &&
	paths_in tock/game | grep -qx assets/a.bin &&
	expect 200 "$(post_unlock carol tock/game "$id" "{\"force\":true,\"ref\":{\"name\":\"refs/heads/main\"}}")" &&
	jq -c .lock body >got.json && test_cmp lock-a.json got.json &&
	! paths_in tock/game | grep -qx assets/a.bin &&
	expect_error 404 "$(post_unlock carol tock/game "$id" "{\"force\":true}")"
'

test_expect_success 'the owner unlocks: 200 with the lock, then 404; the path can be locked again' '
	expect 201 "$(post_lock alice tock/game "{\"path\":\"assets/a.bin\"}")" &&
	jq -c .lock body >lock-a2.json &&
	test "$(jq -r .id lock-a2.json)" != "$(jq -r .id lock-a.json)" &&
	expect 200 "$(post_unlock alice tock/game.git "$(jq -r .id lock-a2.json)" "{\"force\":false}")" &&
	jq -c .lock body >got.json && test_cmp lock-a2.json got.json &&
	expect_error 404 "$(post_unlock alice tock/game "$(jq -r .id lock-a2.json)" "{\"force\":false}")" &&
	expect 201 "$(post_lock bob tock/game "{\"path\":\"assets/a.bin\"}")" &&
	jq -e ".lock.owner.name == \"bob\"" body
'

test_expect_success 'api tokens from git-lfs-authenticate: upload may lock, download may not' '
	tok() {
		SSH_ORIGINAL_COMMAND="git-lfs-authenticate tock/tok $1" \
			"$BIN/git-lfs-authenticate" --config server.cfg --user alice |
			jq -r ".header.Authorization"
	} &&
	down=$(tok download) && up=$(tok upload) &&
	case "$down" in Bearer\ ?*) ;; *) false ;; esac &&
	expect_error 403 "$(http_status POST "$LFS_URL/tock/tok/info/lfs/locks" -H "Authorization: $down" -H "Content-Type: $LFS_TYPE" --data-binary "{\"path\":\"t.bin\"}")" &&
	expect 200 "$(http_status GET "$LFS_URL/tock/tok/info/lfs/locks" -H "Authorization: $down")" &&
	jq -c . body >got.json && echo "{\"locks\":[]}" >want.json && test_cmp want.json got.json &&
	expect 201 "$(http_status POST "$LFS_URL/tock/tok/info/lfs/locks" -H "Authorization: $up" -H "Content-Type: $LFS_TYPE" --data-binary "{\"path\":\"t.bin\"}")" &&
	jq -e ".lock.owner.name == \"alice\"" body &&
	expect_error 403 "$(http_status POST "$LFS_URL/tock/other/info/lfs/locks" -H "Authorization: $up" -H "Content-Type: $LFS_TYPE" --data-binary "{\"path\":\"t2.bin\"}")"
'

test_expect_success 'every answer of this script was logged, none a 5xx' '
	! grep -E "\" 5[0-9][0-9] " "$LFS_LOG"
'

# stop_lfs_server must run in the shell that started the server.
stop_lfs_server 2>stop.err
echo $? >stop.rc
test_expect_success 'the server stops cleanly' '
	test "$(cat stop.rc)" = 0 || { cat stop.err >&2; false; }
'

test_done
