#!/bin/bash
test_description='bad input, data-driven: every row of cases/bad-input.txt gets its status, stores nothing'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

CASES="$TEST_ROOT/tests/integration/cases"
H=a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447
X=1111111111111111111111111111111111111111111111111111111111111111
Y=2222222222222222222222222222222222222222222222222222222222222222
HU=$(printf %s "$H" | tr a-f A-F)

cat >server.cfg <<EOF
[server]
	max-json-bytes = 1024
	max-batch-objects = 4
	max-object-size = 1000
EOF

expand() {
	local s="$1"
	s=${s//\{HU\}/$HU}
	s=${s//\{H63\}/${H:0:63}}
	s=${s//\{H65\}/${H}0}
	s=${s//\{H\}/$H}
	s=${s//\{X\}/$X}
	s=${s//\{Y\}/$Y}
	printf '%s' "$s"
}

# token_from_batch OP REPO OID SIZE: the Authorization value a batch
# request hands out for that object.
token_from_batch() {
	local op="$1" repo="$2" oid="$3" size="$4" out
	out=$(curl -sS -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"operation\":\"$op\",\"objects\":[{\"oid\":\"$oid\",\"size\":$size}]}" \
		"$LFS_URL/$repo/info/lfs/objects/batch") || return 1
	printf '%s' "$out" | jq -er ".objects[0].actions.$op.header.Authorization"
}

# forge SECS OP REPO OID SIZE [wrongkey]: a transfer token signed with
# DATA/secret (or a random key) that expires SECS from now.  Its format is
# the server's own (lfs-server/core/token.h); the control test below proves the
# forging matches it, so an expired forged token tests expiry, not format.
forge() {
	local secs="$1" op="$2" repo="$3" oid="$4" size="$5" keyfile="$DATA/secret" payload mac
	if [ "$6" = wrongkey ]; then
		head -c 32 /dev/urandom >"$TRASH/wrong.key"
		keyfile="$TRASH/wrong.key"
	fi
	payload=$(printf 't1\ntransfer\n\n%s\n%s\n%s\n%s\n%s' "$repo" "$oid" "$size" "$op" \
		"$(($(date +%s) + secs))" | b64url)
	mac=$(printf '%s' "$payload" |
		openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(od -An -v -tx1 "$keyfile" | tr -d ' \n')" -binary |
		b64url)
	printf 'Bearer %s.%s' "$payload" "$mac"
}

# auth_header SPEC: the Authorization value for a TOKEN column.
auth_header() {
	local spec="$1" t
	case "$spec" in
	up:*) IFS=: read -r _ repo oid size <<<"$spec"; token_from_batch upload "$repo" "$oid" "$size" ;;
	tampered:*)
		t=$(auth_header "${spec#tampered:}") || return 1
		# Flip the first payload character: the signature no longer matches.
		case "${t:7:1}" in a) t="${t:0:7}b${t:8}" ;; *) t="${t:0:7}a${t:8}" ;; esac
		printf '%s' "$t" ;;
	forged:*) IFS=: read -r _ secs op repo oid size key <<<"$spec"; forge "$secs" "$op" "$repo" "$oid" "$size" "$key" ;;
	bearer:*) printf 'Bearer %s' "${spec#bearer:}" ;;
	*) echo "bad TOKEN column '$spec'" >&2; return 1 ;;
	esac
}

# Everything outside DATA's objects that a request might create: the trash
# dir (minus this script's own scratch files) and DATA itself.
# Fan-out directories are left out: an upload creates its objects/ab/cd
# at its start (lfs-server/store/local.c), and one whose bytes are then
# refused leaves it empty (objects_snapshot checks the files in them).
fs_snapshot() {
	(cd "$TRASH" && find . -path ./data/meta.db-wal -prune -o -path ./data/meta.db-shm -prune -o \
		-name body -prune -o -name headers -prune -o -name .test-out -prune -o \
		-name wrong.key -prune -o -name 'snap.*' -prune -o \
		\( -path './data/objects/*' -type d \) -o -print | sort)
	ls -la /tmp/lfs-escape /escape /tmp/escape 2>/dev/null
	return 0
}

# run_case METHOD PATH CT BODY STATUS TOKEN: one row of the table.
run_case() {
	local method="$1" path ct="$3" body status="$5" tok="${6:--}" code args=()
	path=$(expand "$2")
	body=$(expand "$4")
	case "$ct" in
	-) args+=(-H "Content-Type:") ;;
	lfs) args+=(-H "Content-Type: $LFS_TYPE") ;;
	*) args+=(-H "Content-Type: $ct") ;;
	esac
	case "$body" in
	-) ;;
	@*) args+=(--data-binary "@$CASES/${body#@}") ;;
	*) args+=(--data-binary "$body") ;;
	esac
	if [ "$tok" != - ]; then
		tok=$(auth_header "$(expand "$tok")") || { echo "no token for '$6'" >&2; return 1; }
		args+=(-H "Authorization: $tok")
	fi
	if [ "$method" = HEAD ]; then
		code=$(curl -sS --path-as-is -o "$TRASH/body" -D "$TRASH/headers" -w '%{http_code}' \
			--head "${args[@]}" "$LFS_URL$path")
	else
		code=$(http_status "$method" "$LFS_URL$path" --path-as-is "${args[@]}")
	fi
	case "$status" in
	200/422)
		[ "$code" = 200 ] || { echo "got $code, want 200" >&2; return 1; }
		jq -e '(.objects | length) > 0 and
			all(.objects[]; .error.code == 422 and (.error.message | type) == "string" and
			(has("actions") | not))' "$TRASH/body" >/dev/null ||
			{ echo "want every object to be a 422 error:" >&2; cat "$TRASH/body" >&2; return 1; }
		;;
	*)
		[ "$code" = "$status" ] || { echo "got $code, want $status" >&2; cat "$TRASH/body" >&2; return 1; }
		;;
	esac
	if [ "$code" -ge 400 ] && [ "$method" != HEAD ]; then
		jq -e '.message | type == "string" and length > 0' "$TRASH/body" >/dev/null ||
			{ echo "error body is not JSON with a message:" >&2; cat "$TRASH/body" >&2; return 1; }
		grep -qi "^content-type: application/vnd.git-lfs+json" "$TRASH/headers" ||
			{ echo "error is not of the LFS media type" >&2; return 1; }
	fi
	if [ "$code" = 405 ]; then
		grep -Eqi '^allow: [A-Z]' "$TRASH/headers" || { echo "405 without Allow" >&2; return 1; }
		! grep -Eqi "^allow: .*\\b$method\\b" "$TRASH/headers" ||
			{ echo "405, but Allow lists $method" >&2; return 1; }
	fi
	return 0
}

start_lfs_server --config server.cfg

test_expect_success 'setup: hello stored in repo r' '
	server_started &&
	test "$(http_status PUT "$LFS_URL/r/info/lfs/objects/$H" --data-binary @"$CASES/hello.txt")" = 200 &&
	test_cmp "$CASES/hello.txt" "$(obj_path "$DATA" $H)"
'

objects_snapshot >snap.objects
fs_snapshot >snap.fs

test_expect_success 'control: the token forging matches the server (so 403s below mean what they say)' '
	auth=$(forge 3600 download r $H 12) &&
	test "$(http_status GET "$LFS_URL/r/info/lfs/objects/$H" -H "Authorization: $auth")" = 200 &&
	test_cmp "$CASES/hello.txt" body &&
	auth=$(forge -10 download r $H 12) &&
	test "$(http_status GET "$LFS_URL/r/info/lfs/objects/$H" -H "Authorization: $auth")" = 403
'

test_expect_success 'control: forged tokens are accepted for R and R.git' '
	auth=$(auth_header "forged:3600:download:r:$H:12") &&
	test "$(http_status GET "$LFS_URL/r.git/info/lfs/objects/$H" -H "Authorization: $auth")" = 200 &&
	test_cmp "$CASES/hello.txt" body &&
	auth=$(auth_header "tampered:forged:3600:download:r:$H:12") &&
	test "$(http_status GET "$LFS_URL/r/info/lfs/objects/$H" -H "Authorization: $auth")" = 403
'

# One TAP test per row of the table, named after its line in the file.
rows=0 lineno=0
while read -r method path ct body status tok extra
do
	lineno=$((lineno + 1))
	case "$method" in ""|"#"*) continue ;; esac
	rows=$((rows + 1))
	title="bad-input.txt:$lineno: $method $path $ct $body${tok:+ $tok} -> $status"
	[ ${#title} -le 120 ] || title="${title:0:100}... -> $status"
	test_expect_success "${title//#/%23}" "
		test -z $(printf %q "$extra") || { echo 'too many columns' >&2; false; } &&
		run_case $(printf '%q ' "$method" "$path" "$ct" "$body" "$status" "$tok")
	" </dev/null
done <"$CASES/bad-input.txt"

test_expect_success 'cases/bad-input.txt has over 100 rows' "test $rows -gt 100"

test_expect_success 'nothing was stored, nothing created outside DATA/objects' '
	objects_snapshot >snap.objects.after &&
	test_cmp snap.objects snap.objects.after &&
	fs_snapshot >snap.fs.after &&
	test_cmp snap.fs snap.fs.after &&
	tmp_emptied "$DATA" &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT repo || \" \" || oid FROM journal ORDER BY seq")" = "r $H"
'

test_expect_success 'the server still answers /healthz' '
	test "$(http_status GET "$LFS_URL/healthz")" = 200 &&
	jq -e ".status == \"ok\"" body
'

test_expect_success 'a chunked batch body over max-json-bytes: 413' '
	test "$(http_status POST "$LFS_URL/r/info/lfs/objects/batch" -H "Content-Type: $LFS_TYPE" \
		-H "Transfer-Encoding: chunked" --data-binary @"$CASES/over-max-json-bytes.json")" = 413 &&
	jq -e ".message" body
'

test_expect_success 'object PUTs accept any Content-Type' '
	printf "a" >a.txt && printf "bb" >b.txt && printf "ccc" >c.txt && printf "dddd" >d.txt &&
	i=0 &&
	for ct in "" "image/png" "text/plain; charset=utf-8" "application/x-www-form-urlencoded"
	do
		i=$((i + 1)) &&
		f=$(printf "a\nb\nc\nd" | sed -n ${i}p).txt &&
		oid=$(sha256_of $f) &&
		auth=$(auth_header "up:ct:$oid:$(stat -c %s $f)") &&
		test "$(http_status PUT "$LFS_URL/ct/info/lfs/objects/$oid" -H "Authorization: $auth" \
			-H "Content-Type: $ct" --data-binary @$f)" = 200 &&
		test_cmp $f "$(obj_path "$DATA" $oid)" || return 1
	done
'

test_expect_success 'a token for repo s (upload) does not touch repo r' '
	oid=$(sha256_of d.txt) &&
	test "$(batch r "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$oid\",\"size\":4}]}")" = 200 &&
	jq -e ".objects[0].error.code == 404" body
'

stop_rc
test_expect_success 'SIGTERM: the server stops cleanly' '
	stopped_cleanly
'

test_done
