#!/bin/bash
test_description='lfs-cgi answers like the daemon: one table of requests against both, same statuses and bodies'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-cgi.sh"

# The same config twice, each with its own data dir: the daemon on a
# loopback port, lfs-cgi run as a web server runs it.  Every row sends one
# request to each and checks both statuses against the table and the two
# bodies against each other (request ids, tokens, lock ids, times and the
# base of hrefs set aside).  anyone reads pub/*, alice writes it; only
# alice reads priv/*; bob is a stranger there.

: >users
add_user users alice alice-pw && add_user users bob bob-pw ||
	{ echo "Bail out! htpasswd failed"; exit 1; }
rules="[auth]
	users = $TRASH/users
[repo \"pub/*\"]
	read = *
	write = alice
[repo \"priv/*\"]
	read = alice
	write = alice"
printf '%s\n' "$rules" >daemon.cfg
printf '[server]\n\tdata = %s\n%s\n' "$TRASH/cgi-data" "$rules" >cgi.cfg
CGI_CONFIG=$TRASH/cgi.cfg
mkdir -p "$CGI_PUBLIC/objects" cgi-data && chmod 700 cgi-data
start_lfs_server --config daemon.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }

printf 'hello world\n' >obj
OID=$(sha256_of obj)
SIZE=$(wc -c <obj)
printf 'hello WORLD\n' >wrong
printf 'private bytes\n' >pobj
POID=$(sha256_of pobj)
PSIZE=$(wc -c <pobj)

# side_req daemon|cgi METHOD PATH [opts as cgi_request]: one request to one
# side; prints the status, body in $TRASH/SIDE.body.
side_req() {
	local side="$1" method="$2" path="$3" code
	shift 3
	if [ "$side" = cgi ]; then
		code=$(cgi_request "$method" "$path" "$@") || return 1
		cp "$TRASH/cgi.body" "$TRASH/cgi.out"
		cp "$TRASH/cgi.headers" "$TRASH/cgi.hdrs"
		printf '%s\n' "$code"
		return 0
	fi
	local args=(-sS -o "$TRASH/daemon.out" -D "$TRASH/daemon.hdrs" -w '%{http_code}\n') query=
	while [ $# -ge 2 ]; do
		case "$1" in
		-u) args+=(-u "$2") ;;
		-H) args+=(-H "$2") ;;
		-d) args+=(--data-binary "@$2") ;;
		-q) query="?$2" ;;
		esac
		shift 2
	done
	if [ "$method" != HEAD ]; then
		curl "${args[@]}" -X "$method" "$LFS_URL$path$query"
		return
	fi
	# curl writes a HEAD answer's headers where the body would go.
	curl "${args[@]}" --head "$LFS_URL$path$query" && : >"$TRASH/daemon.out"
}

# The parts that differ by nature: ids, tokens, times, the URL base.
normalize() {
	jq -S -c 'walk(if type == "object" then
		del(.request_id)
		| (if has("href") then .href |= sub("^.*/(info/lfs/)?objects/([0-9a-f]{2}/[0-9a-f]{2}/)?"; "objects/") else . end)
		| (if has("Authorization") then .Authorization = "T" else . end)
		| (if has("expires_in") then .expires_in = 0 else . end)
		| (if has("locked_at") then .id = "ID" | .locked_at = "T" else . end)
		| (if has("next_cursor") then .next_cursor = "C" else . end)
		else . end)' "$1" 2>/dev/null || cat "$1"
}

# A token for OP on PATH's repo and oid from SIDE, as alice.
side_token() {
	local side="$1" op="$2" repo="$3" oid="$4" size="$5"
	printf '{"operation":"%s","objects":[{"oid":"%s","size":%s}]}' "$op" "$oid" "$size" >tokreq.json
	[ "$(side_req "$side" POST "/$repo.git/info/lfs/objects/batch" -u alice:alice-pw \
		-H "Content-Type: $LFS_TYPE" -d tokreq.json)" = 200 ] &&
	jq -er ".objects[0].actions.$op.header.Authorization" "$TRASH/$side.out"
}

# row WANT METHOD PATH [opts]: both sides answer WANT with the same body.
# "-T OP" among the opts stands for "Authorization: <an OP token for the
# path's object, from that side>".
row() {
	local want="$1" method="$2" path="$3" side code tok oid repo
	shift 3
	local given=("$@")
	for side in daemon cgi; do
		local opts=()
		set -- "${given[@]}"
		while [ $# -ge 2 ]; do
			if [ "$1" = -T ]; then
				repo=${path#/}; repo=${repo%%/info/lfs/*}; oid=${path##*/}
				tok=$(side_token "$side" "$2" "$repo" "$oid" "$(cat "size.$oid" 2>/dev/null || echo 1)") ||
					{ echo "$side: no $2 token" >&2; return 1; }
				opts+=(-H "Authorization: $tok")
			else
				opts+=("$1" "$2")
			fi
			shift 2
		done
		set -- "${opts[@]}"
		code=$(side_req "$side" "$method" "$path" "$@") || return 1
		[ "$code" = "$want" ] || { echo "$side answered $code, want $want: $(cat "$TRASH/$side.out")" >&2; return 1; }
		normalize "$TRASH/$side.out" >"$side.norm"
	done
	test_cmp daemon.norm cgi.norm
}

printf %s "$SIZE" >"size.$OID"
printf %s "$PSIZE" >"size.$POID"
B=info/lfs/objects/batch
J="Content-Type: $LFS_TYPE"
json() { printf '%s' "$2" >"$1"; }
json up.json "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$OID\",\"size\":$SIZE}]}"
json down.json "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$OID\",\"size\":$SIZE}]}"
json pup.json "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$POID\",\"size\":$PSIZE}]}"
json pdown.json "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$POID\",\"size\":$PSIZE}]}"
json bad.json '{"operation":"upload","objects":['
json op.json '{"operation":"delete","objects":[]}'
json noobj.json '{"operation":"download"}'
json badoid.json '{"operation":"download","objects":[{"oid":"xyz","size":1},{"oid":"'"$OID"'","size":-1}]}'
json verify.json "{\"oid\":\"$OID\",\"size\":$SIZE}"
json verify-bad.json "{\"oid\":\"$OID\",\"size\":1}"
json lock.json '{"path":"assets/big.bin"}'
json badlock.json '{"path":"../etc/passwd"}'
json empty.json '{}'
json force.json '{"force":true}'

while IFS='|' read -r name want method path opts; do
	[ -n "$name" ] || continue
	eval "set -- $opts"
	args=
	[ $# -eq 0 ] || args=$(printf ' %q' "$@")
	test_expect_success "$name: $want from both" "row $want $method $path$args"
done <<EOF
batch: upload as alice|200|POST|/pub/a.git/$B|-u alice:alice-pw -H "$J" -d up.json
batch: download of an object nobody stored|200|POST|/pub/a.git/$B|-H "$J" -d down.json
batch: malformed JSON|400|POST|/pub/a.git/$B|-u alice:alice-pw -H "$J" -d bad.json
batch: unknown operation|422|POST|/pub/a.git/$B|-u alice:alice-pw -H "$J" -d op.json
batch: no objects|422|POST|/pub/a.git/$B|-u alice:alice-pw -H "$J" -d noobj.json
batch: bad oid and size are per-object errors|200|POST|/pub/a.git/$B|-H "$J" -d badoid.json
batch: wrong Content-Type|415|POST|/pub/a.git/$B|-u alice:alice-pw -H "Content-Type: text/plain" -d up.json
batch: anonymous upload|401|POST|/pub/a.git/$B|-H "$J" -d up.json
batch: anonymous on a private repo|401|POST|/priv/b.git/$B|-H "$J" -d pdown.json
batch: anonymous on a repo that does not exist|401|POST|/nowhere/c.git/$B|-H "$J" -d down.json
batch: stranger on a private repo|404|POST|/priv/b.git/$B|-u bob:bob-pw -H "$J" -d pdown.json
batch: reader asks to upload|403|POST|/pub/a.git/$B|-u bob:bob-pw -H "$J" -d up.json
batch: wrong password|401|POST|/pub/a.git/$B|-u alice:nope -H "$J" -d up.json
batch: unsupported scheme|401|POST|/pub/a.git/$B|-H "Authorization: Digest x" -H "$J" -d up.json
batch: GET is not allowed|405|GET|/pub/a.git/$B|
unknown path|404|GET|/pub/a.git/info/nothing|
PUT: bytes hash to another oid|422|PUT|/pub/a/info/lfs/objects/$OID|-T upload -d wrong
PUT: a forged token|403|PUT|/pub/a/info/lfs/objects/$OID|-H "Authorization: Bearer forged.token" -d obj
PUT: no token, anonymous|401|PUT|/pub/a/info/lfs/objects/$OID|-d obj
PUT: ok|200|PUT|/pub/a/info/lfs/objects/$OID|-T upload -d obj
PUT: again, already stored (a writer, no token)|200|PUT|/pub/a/info/lfs/objects/$OID|-u alice:alice-pw -d obj
PUT: private object|200|PUT|/priv/b/info/lfs/objects/$POID|-T upload -d pobj
batch: download of a stored public object|200|POST|/pub/a.git/$B|-H "$J" -d down.json
batch: download of a stored private object|200|POST|/priv/b.git/$B|-u alice:alice-pw -H "$J" -d pdown.json
GET: public object, anonymous|200|GET|/pub/a/info/lfs/objects/$OID|
HEAD: public object|200|HEAD|/pub/a/info/lfs/objects/$OID|
GET: Range|206|GET|/pub/a/info/lfs/objects/$OID|-H "Range: bytes=6-10"
GET: Range past the end|416|GET|/pub/a/info/lfs/objects/$OID|-H "Range: bytes=100-200"
GET: object the repo does not hold|404|GET|/pub/other/info/lfs/objects/$POID|
GET: private object, anonymous|401|GET|/priv/b/info/lfs/objects/$POID|
GET: private object, stranger|404|GET|/priv/b/info/lfs/objects/$POID|-u bob:bob-pw
GET: private object with a download token|200|GET|/priv/b/info/lfs/objects/$POID|-T download
GET: invalid oid|404|GET|/pub/a/info/lfs/objects/xyz|
verify: stored object|200|POST|/pub/a.git/info/lfs/objects/verify|-u alice:alice-pw -H "$J" -d verify.json
verify: wrong size|422|POST|/pub/a.git/info/lfs/objects/verify|-u alice:alice-pw -H "$J" -d verify-bad.json
locks: create|201|POST|/pub/a.git/info/lfs/locks|-u alice:alice-pw -H "$J" -d lock.json
locks: create again|409|POST|/pub/a.git/info/lfs/locks|-u alice:alice-pw -H "$J" -d lock.json
locks: path outside the repo|422|POST|/pub/a.git/info/lfs/locks|-u alice:alice-pw -H "$J" -d badlock.json
locks: anonymous create|401|POST|/pub/a.git/info/lfs/locks|-H "$J" -d lock.json
locks: reader creates|403|POST|/pub/a.git/info/lfs/locks|-u bob:bob-pw -H "$J" -d lock.json
locks: list|200|GET|/pub/a.git/info/lfs/locks|-u bob:bob-pw
locks: list by path|200|GET|/pub/a.git/info/lfs/locks|-q path=assets%2Fbig.bin
locks: bad limit|422|GET|/pub/a.git/info/lfs/locks|-q limit=x
locks: verify|200|POST|/pub/a.git/info/lfs/locks/verify|-u alice:alice-pw -H "$J" -d empty.json
locks: unlock one that does not exist|404|POST|/pub/a.git/info/lfs/locks/ffff/unlock|-u alice:alice-pw -H "$J" -d empty.json
healthz|200|GET|/healthz|
EOF

# Unlock needs the lock's id, which differs between the two.
test_expect_success 'locks: unlock by id: 200 from both, then the list is empty' '
	for side in daemon cgi; do
		[ "$(side_req $side GET /pub/a.git/info/lfs/locks -u alice:alice-pw)" = 200 ] &&
		id=$(jq -er ".locks[0].id" "$TRASH/$side.out") &&
		[ "$(side_req $side POST /pub/a.git/info/lfs/locks/$id/unlock -u alice:alice-pw -H "$J" -d empty.json)" = 200 ] &&
		jq -e ".lock.path == \"assets/big.bin\"" "$TRASH/$side.out" &&
		[ "$(side_req $side GET /pub/a.git/info/lfs/locks -u alice:alice-pw)" = 200 ] &&
		jq -e ".locks == []" "$TRASH/$side.out" || return 1
	done
'

test_expect_success 'GET through the CGI sends the bytes, Range the slice' '
	[ "$(cgi_request GET /pub/a/info/lfs/objects/$OID)" = 200 ] &&
	test_cmp obj "$TRASH/cgi.body" &&
	[ "$(cgi_header Content-Length)" = "$SIZE" ] &&
	[ "$(cgi_request GET /pub/a/info/lfs/objects/$OID -H "Range: bytes=6-10")" = 206 ] &&
	printf world >want && test_cmp want "$TRASH/cgi.body" &&
	[ "$(cgi_header Content-Range)" = "bytes 6-10/$SIZE" ] &&
	[ "$(cgi_request HEAD /pub/a/info/lfs/objects/$OID)" = 200 ] &&
	test_must_be_empty "$TRASH/cgi.body" &&
	[ "$(cgi_header Content-Length)" = "$SIZE" ]
'

test_expect_success 'hrefs are BASE/lfs-server.cgi/<repo>/...; public downloads point at the static tree' '
	[ "$(cgi_request POST /pub/a.git/$B -u alice:alice-pw -H "$J" -d up.json)" = 200 ] &&
	json up2.json "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$(printf %064d 7)\",\"size\":3}]}" &&
	[ "$(cgi_request POST /pub/a.git/$B -u alice:alice-pw -H "$J" -d up2.json)" = 200 ] &&
	jq -e --arg h "$CGI_BASE/lfs-server.cgi/pub/a/info/lfs/objects/$(printf %064d 7)" \
		".objects[0].actions.upload.href == \$h" "$TRASH/cgi.body" &&
	[ "$(cgi_request POST /pub/a.git/$B -H "$J" -d down.json)" = 200 ] &&
	jq -e --arg h "$CGI_BASE/objects/${OID:0:2}/${OID:2:2}/$OID" \
		".objects[0].actions.download.href == \$h" "$TRASH/cgi.body"
'

test_expect_success 'the public object is in the static tree, world-readable, same bytes; the private one is not' '
	f=$(obj_path "$CGI_PUBLIC" $OID) &&
	test_cmp obj "$f" &&
	[ "$(stat -c %a "$f")" = 644 ] &&
	[ "$(stat -c %a "$(dirname "$f")")" = 755 ] &&
	test_path_is_missing "$(obj_path "$CGI_PUBLIC" $POID)" &&
	[ "$(find "$CGI_PUBLIC/objects" -type f | wc -l)" = 1 ]
'

test_expect_success 'a private download batch keeps the CGI href (with a token)' '
	[ "$(cgi_request POST /priv/b.git/$B -u alice:alice-pw -H "$J" -d pdown.json)" = 200 ] &&
	jq -e --arg h "$CGI_BASE/lfs-server.cgi/priv/b/info/lfs/objects/$POID" \
		".objects[0].actions.download.href == \$h and (.objects[0].actions.download.header.Authorization | startswith(\"Bearer \"))" \
		"$TRASH/cgi.body"
'

test_expect_success 'an object stored before the repo had a static tree is placed there by the next download batch' '
	rm -f "$(obj_path "$CGI_PUBLIC" $OID)" &&
	[ "$(cgi_request POST /pub/a.git/$B -H "$J" -d down.json)" = 200 ] &&
	jq -e --arg h "$CGI_BASE/objects/${OID:0:2}/${OID:2:2}/$OID" \
		".objects[0].actions.download.href == \$h" "$TRASH/cgi.body" &&
	test_cmp obj "$(obj_path "$CGI_PUBLIC" $OID)"
'

test_expect_success 'without objects/ in the public directory, downloads stay with the CGI' '
	mv "$CGI_PUBLIC/objects" "$CGI_PUBLIC/objects.off" &&
	test_when_finished "mv \"$CGI_PUBLIC/objects.off\" \"$CGI_PUBLIC/objects\"" &&
	[ "$(cgi_request POST /pub/a.git/$B -H "$J" -d down.json)" = 200 ] &&
	jq -e --arg h "$CGI_BASE/lfs-server.cgi/pub/a/info/lfs/objects/$OID" \
		".objects[0].actions.download.href == \$h" "$TRASH/cgi.body"
'

test_expect_success 'the rewrite fallback: REDIRECT_HTTP_AUTHORIZATION counts as Authorization' '
	[ "$(cgi_request POST /priv/b.git/$B -e "REDIRECT_HTTP_AUTHORIZATION=Basic $(printf alice:alice-pw | base64 -w0)" \
		-H "$J" -d pdown.json)" = 200 ]
'

test_expect_success 'HTTPS and a non-default port show in the hrefs' '
	[ "$(cgi_request POST /pub/a.git/$B -u alice:alice-pw -H "$J" -d up2.json \
		-e HTTPS=on -e HTTP_HOST=cgi.test:8443)" = 200 ] &&
	jq -e ".objects[0].actions.upload.href | startswith(\"https://cgi.test:8443/~alice/lfs/lfs-server.cgi/pub/a/\")" \
		"$TRASH/cgi.body"
'

test_expect_success 'the operators pages are not served by the CGI, even to loopback clients' '
	[ "$(cgi_request GET /metrics)" = 404 ] &&
	[ "$(cgi_request GET /_lfs/status)" = 404 ] &&
	[ "$(curl -sS -o /dev/null -w "%{http_code}" "$LFS_URL/metrics")" = 200 ]
'

test_expect_success 'a query word cannot make the CGI run a subcommand' '
	env -i GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET PATH_INFO=/healthz \
		"$BIN/lfs-cgi" install --config "$CGI_CONFIG" </dev/null >raw 2>err &&
	[ "$(cgi_split raw)" = 200 ] && ! grep install err
'

test_done
