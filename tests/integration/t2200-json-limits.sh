#!/bin/bash
test_description='JSON bodies against hostile clients: bounded memory, shape limits, the in-flight budget (503), transfers, the objects cap'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

server_started() {
	[ -n "$LFS_PID" ] && [ -n "$LFS_URL" ] || { echo "server did not start" >&2; return 1; }
}
vmhwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$LFS_PID/status"; }

A=a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447
LIMIT_KB=$((256 * 1024))

# A 1 MiB batch body of 349,000 empty objects (~80 MB as a jansson tree),
# and a lock body of the same kind.
{
	printf '{"operation":"download","objects":['
	printf '{},%.0s' $(seq 348999)
	printf '{}]}'
} >empties.json
{
	printf '{"path":"a.bin","ref":['
	printf '{},%.0s' $(seq 348999)
	printf '{}]}'
} >lock-empties.json

# every_answer_is CODES FILES...: each status file holds one of CODES
# (a regex), and each body next to it is JSON with a message.
every_answer_is() {
	local codes="$1" f n=0
	shift
	for f in "$@"; do
		n=$((n + 1))
		grep -Eqx "$codes" "$f.code" || { echo "$f: status $(cat "$f.code")" >&2; return 1; }
		jq -e '.message | type == "string" and length > 0' "$f.body" >/dev/null ||
			{ echo "$f: body is not JSON with a message:" >&2; head -c 300 "$f.body" >&2; return 1; }
	done
	echo "$n answers checked"
	[ $n -gt 0 ]
}

# fire N URL FILE PREFIX: N concurrent POSTs of FILE; statuses and bodies
# in PREFIX.I.code / PREFIX.I.body.
fire() {
	local n="$1" url="$2" file="$3" prefix="$4"
	seq "$n" | xargs -P "$n" -I{} sh -c \
		'curl -sS -o "$1.$2.body" -w "%{http_code}" -H "Content-Type: application/vnd.git-lfs+json" \
			--data-binary @"$3" "$4" >"$1.$2.code"' sh "$prefix" {} "$file" "$url"
}

start_lfs_server

test_expect_success 'setup: server up, a 1 MiB body of 349,000 {}' '
	server_started &&
	test "$(wc -c <empties.json)" -le 1048576 &&
	test "$(wc -c <empties.json)" -gt 1040000 &&
	echo "VmHWM after start: $(vmhwm_kb) kB"
'

test_expect_success '60 such batch bodies at once: every answer 413 or 503 JSON' '
	fire 60 "$LFS_URL/r/info/lfs/objects/batch" empties.json b &&
	every_answer_is "413|503" $(ls b.*.code | sed "s/\.code$//")
'

test_expect_success '20 such lock bodies at once: every answer 413, 422 or 503 JSON' '
	fire 20 "$LFS_URL/r/info/lfs/locks" lock-empties.json l &&
	every_answer_is "413|422|503" $(ls l.*.code | sed "s/\.code$//")
'

test_expect_success 'peak RSS (VmHWM) stayed under 256 MiB, and the server still serves' '
	hwm=$(vmhwm_kb) &&
	echo "VmHWM: $hwm kB, limit $LIMIT_KB kB" &&
	test "$hwm" -gt 0 && test "$hwm" -lt $LIMIT_KB &&
	test "$(batch r "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$A\",\"size\":1}]}")" = 200 &&
	jq -e ".objects[0].error.code == 404" body
'

# shape STATUS JSON: one refused shape, answered as JSON.
shape() {
	local code
	code=$(batch r "$2") &&
	{ [ "$code" = "$1" ] || { echo "status $code, want $1: $(cat body)" >&2; return 1; }; } &&
	jq -e ".message | type == \"string\"" body >/dev/null &&
	grep -qi "^content-type: application/vnd.git-lfs+json" headers
}

test_expect_success 'batch nested deeper than a batch needs: 422' '
	shape 422 "{\"operation\":\"download\",\"objects\":[{\"oid\":{\"a\":{\"b\":[1]}},\"size\":1}]}"
'
test_expect_success 'batch with 10000 values in a ref: 413 before parsing' '
	shape 413 "{\"operation\":\"download\",\"objects\":[],\"ref\":[$(seq -s, 10000)]}"
'
test_expect_success 'lock body nested deeper than a lock needs: 422' '
	code=$(http_status POST "$LFS_URL/r/info/lfs/locks" -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"path\":\"a.bin\",\"ref\":{\"name\":{\"x\":[1]}}}") &&
	test "$code" = 422 && jq -e ".message | test(\"nested\")" body
'
test_expect_success 'verify body with 1000 values: 413' '
	code=$(http_status POST "$LFS_URL/r/info/lfs/objects/verify" -H "Content-Type: $LFS_TYPE" \
		--data-binary "[$(seq -s, 1000)]") &&
	test "$code" = 413 && jq -e ".message | type == \"string\"" body
'

# transfers ROW: JSON transfers value (or "absent"), status, expected transfer
while IFS='|' read -r offer want; do
	test_expect_success "transfers $offer: $want" '
		if [ "$offer" = absent ]; then t=; else t="\"transfers\":$offer,"; fi &&
		code=$(batch r "{\"operation\":\"download\",$t\"objects\":[]}") &&
		case "$want" in
		422) test "$code" = 422 && jq -e ".message | test(\"basic\")" body ;;
		*) test "$code" = 200 && jq -e ".transfer == \"basic\"" body ;;
		esac
	'
done <<'EOF'
["tus"]|422
["ssh"]|422
["tus","ssh"]|422
[]|422
"basic"|422
["basic"]|basic
["lfs-standalone-file","basic","ssh"]|basic
absent|basic
null|basic
EOF

test_expect_success 'the first server stops cleanly' '
	stop_lfs_server
'

# A second server: bodies up to 40 MiB, and a max-batch-objects far over
# the cap.  A 30 MiB body takes ~60 MiB of the 64 MiB JSON budget.
cat >big.cfg <<EOF
[server]
	max-json-bytes = 40m
	max-batch-objects = 1000000
EOF
start_lfs_server --config big.cfg
PORT=${LFS_URL##*:}

# padded SIZE: a valid, empty download batch padded with spaces to SIZE bytes.
padded() {
	printf '{"operation":"download","objects":[]}'
	head -c "$(($1 - 37))" /dev/zero | tr '\0' ' '
}
padded $((4 * 1024 * 1024)) >four.json

# hold_open: a request that declared 30 MiB and sent none of it; its
# budget is taken once the server has answered "100 Continue".
hold_open() {
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" &&
	printf "POST /r/info/lfs/objects/batch HTTP/1.1\r\nHost: x\r\nContent-Type: $LFS_TYPE\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n" \
		$((30 * 1024 * 1024)) >&3 &&
	IFS= read -r -t 10 line <&3 &&
	case "$line" in "HTTP/1.1 100"*) ;; *) echo "no 100 Continue: $line" >&2; false ;; esac
}

test_expect_success 'in-flight budget: while one 30 MiB body is held, a 4 MiB one gets 503 with Retry-After; small ones pass; once released, the 4 MiB one passes' '
	server_started &&
	hold_open &&
	code=$(http_status POST "$LFS_URL/r/info/lfs/objects/batch" -H "Content-Type: $LFS_TYPE" --data-binary @four.json) &&
	test "$code" = 503 &&
	grep -qi "^retry-after: [0-9]" headers &&
	jq -e ".message | test(\"busy\")" body &&
	code=$(http_status POST "$LFS_URL/r/info/lfs/objects/batch" -H "Content-Type: $LFS_TYPE" -H "Transfer-Encoding: chunked" --data-binary @four.json) &&
	test "$code" = 503 &&
	grep -qi "^retry-after: [0-9]" headers &&
	test "$(batch r "{\"operation\":\"download\",\"objects\":[]}")" = 200 &&
	exec 3>&- 3<&- &&
	passes() { test "$(http_status POST "$LFS_URL/r/info/lfs/objects/batch" -H "Content-Type: $LFS_TYPE" --data-binary @four.json)" = 200; } &&
	test_poll passes &&
	jq -e ".transfer == \"basic\"" body
'

# objects N: a download batch of N distinct objects.
objects() {
	printf '{"operation":"download","objects":['
	seq -f "%064g" 1 "$1" | sed 's/.*/{"oid":"&","size":1}/' | paste -sd,
	printf ']}'
}

test_expect_success 'max-batch-objects over the cap acts as 10000: 10001 objects get 413, 10000 are answered' '
	objects 10001 >o10001.json && objects 10000 >o10000.json &&
	code=$(http_status POST "$LFS_URL/r/info/lfs/objects/batch" -H "Content-Type: $LFS_TYPE" --data-binary @o10001.json) &&
	test "$code" = 413 && jq -e ".message | test(\"10000\")" body &&
	code=$(http_status POST "$LFS_URL/r/info/lfs/objects/batch" -H "Content-Type: $LFS_TYPE" --data-binary @o10000.json) &&
	test "$code" = 200 && jq -e "(.objects | length) == 10000 and all(.objects[]; .error.code == 404)" body
'

test_expect_success '10000 objects, each oid twice: answered once each, in order' '
	{
		printf "{\"operation\":\"upload\",\"objects\":["
		{ seq -f "%064g" 1 5000; seq -f "%064g" 1 5000; } | sed "s/.*/{\"oid\":\"&\",\"size\":1}/" | paste -sd,
		printf "]}"
	} >dups.json &&
	code=$(http_status POST "$LFS_URL/r/info/lfs/objects/batch" -H "Content-Type: $LFS_TYPE" --data-binary @dups.json) &&
	test "$code" = 200 &&
	jq -r ".objects[].oid" body >got &&
	seq -f "%064g" 1 5000 >want &&
	test_cmp want got
'

test_expect_success 'the server is alive and stops cleanly' '
	curl -sS -f "$LFS_URL/healthz" >/dev/null &&
	stop_lfs_server
'

test_done
