#!/bin/bash
test_description='GET /metrics: Prometheus text that Prometheus parses, counters that move, mirror lag, and access for metrics.readers only'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-nginx.sh"

# Prometheus' own parser (Debian's python3-prometheus-client), under the
# system python: a python3 earlier on PATH may be another install.
cat >prom.py <<'EOP'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = sys.stdin.read()
for fam in text_string_to_metric_families(text):
    for s in fam.samples:
        labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        print("%s|%s|%s|%s" % (s.name, labels, repr(float(s.value)), fam.type))
EOP

# scrape FILE [curl args]: GET /metrics (200 expected), parsed into FILE:
# one "name|labels|value|type" line per sample.
scrape() {
	local out="$1" code
	shift
	code=$(http_status GET "$LFS_URL/metrics" "$@") &&
	[ "$code" = 200 ] || { echo "GET /metrics: $code $(cat "$TRASH/body")" >&2; return 1; }
	grep -qi '^Content-Type: text/plain; version=0.0.4' "$TRASH/headers" &&
	/usr/bin/python3 prom.py <"$TRASH/body" >"$out"
}

# val FILE NAME [LABELS]: a sample's value as an integer ("" if absent).
val() {
	awk -F'|' -v n="$2" -v l="${3:-}" '$1 == n && $2 == l { printf "%d\n", $3 }' "$1"
}

# delta NAME LABELS WANT: the sample grew by WANT between a.txt and b.txt.
delta() {
	local a b
	a=$(val a.txt "$1" "$2") && b=$(val b.txt "$1" "$2")
	[ "$((${b:-0} - ${a:-0}))" = "$3" ] || { echo "$1{$2}: ${a:-none} -> ${b:-none}, want +$3" >&2; return 1; }
}

htpasswd -B -C 4 -b -c users alice apw 2>/dev/null
add_user users bob bpw
add_user users carol cpw
MIRROR="$TRASH/mirror"
mkdir -p "$MIRROR"
start_nginx "$MIRROR" uni || { echo "Bail out! nginx did not start"; exit 1; }

cat >server.cfg <<EOC
[auth]
	users = $TRASH/users
[repo "pub/*"]
	read = *
	write = alice
	mirror = true
[repo "priv/*"]
	read = alice
	write = alice
[journal]
	readers = *
[mirror "uni"]
	url = $NGINX_URL
[mirror "gone"]
	url = http://127.0.0.1:9
[mirror]
	check-interval = 1
[metrics]
	readers = carol
EOC
start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }

make_file one.bin 100000 one
make_file two.bin 2345 two
make_file three.bin 777 three

test_expect_success 'loopback (no proxy) reads /metrics anonymously; Prometheus parses it' '
	lfs_upload pub/a one.bin -u alice:apw &&
	lfs_upload pub/a two.bin -u alice:apw &&
	scrape a.txt &&
	test "$(val a.txt lfs_build_info "version=$("$BIN/lfs-server" --version | awk "{print \$NF}")")" = 1 &&
	grep -q "^lfs_http_request_duration_seconds_bucket|endpoint=batch,le=+Inf|.*|histogram$" a.txt &&
	grep -q "^lfs_http_requests_total|code=200,endpoint=batch|.*|counter$" a.txt
'

test_expect_success 'objects and bytes stored come from the metadata' '
	test "$(val a.txt lfs_objects_stored)" = 2 &&
	test "$(val a.txt lfs_stored_bytes)" = 102345
'

test_expect_success 'request counters, durations and bytes move as requests are made' '
	for i in 1 2 3; do
		test "$(batch pub/a "{\"operation\":\"download\",\"objects\":[]}")" = 200 || return 1
	done &&
	test "$(batch priv/x "{\"operation\":\"download\",\"objects\":[]}")" = 401 &&
	test "$(http_status GET "$LFS_URL/no/such/path")" = 404 &&
	oid=$(sha256_of one.bin) &&
	test "$(http_status GET "$LFS_URL/pub/a/info/lfs/objects/$oid")" = 200 &&
	cmp one.bin "$TRASH/body" &&
	scrape b.txt &&
	delta lfs_http_requests_total code=200,endpoint=batch 3 &&
	delta lfs_http_requests_total code=401,endpoint=batch 1 &&
	delta lfs_http_requests_total code=404,endpoint=none 1 &&
	delta lfs_http_requests_total code=200,endpoint=object 1 &&
	delta lfs_http_requests_total code=200,endpoint=metrics 1 &&
	delta lfs_http_request_duration_seconds_count endpoint=batch 4 &&
	delta "lfs_http_request_duration_seconds_bucket" "endpoint=batch,le=+Inf" 4 &&
	delta lfs_http_sent_bytes_total endpoint=object 100000 &&
	delta lfs_http_received_bytes_total endpoint=object 0 &&
	test "$(val b.txt lfs_uploads_in_flight)" = 0 &&
	test "$(val b.txt lfs_downloads_in_flight)" = 0
'

test_expect_success 'an upload counts its bytes in' '
	cp b.txt a.txt &&
	lfs_upload priv/x three.bin -u alice:apw &&
	scrape b.txt &&
	delta lfs_http_received_bytes_total endpoint=object 777 &&
	delta lfs_http_requests_total code=200,endpoint=object 1
'

test_expect_success 'objects stored follow within the cache time (10 s)' '
	POLL_TRIES=600 test_poll eval "scrape c.txt && test \"\$(val c.txt lfs_objects_stored)\" = 3" &&
	test "$(val c.txt lfs_stored_bytes)" = 103122
'

test_expect_success 'failed logins are counted' '
	cp b.txt a.txt &&
	test "$(http_status GET "$LFS_URL/priv/x/info/lfs/locks" -u alice:wrong)" = 401 &&
	test "$(http_status GET "$LFS_URL/priv/x/info/lfs/locks" -u nobody:wrong)" = 401 &&
	scrape b.txt &&
	delta lfs_failed_logins_total "" 2 &&
	delta lfs_lockouts_total "" 0
'

mirror_ready() {
	curl -s "$LFS_URL/healthz" | jq -e '.mirrors[] | select(.name == "uni") | .healthy and .verified >= 2' >/dev/null
}

test_expect_success 'mirror health, lag and verification' '
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$MIRROR" >sync.out &&
	POLL_TRIES=600 test_poll mirror_ready &&
	scrape m.txt &&
	test "$(val m.txt lfs_feed_last_seq)" = 2 &&
	test "$(val m.txt lfs_mirror_up mirror=uni)" = 1 &&
	test "$(val m.txt lfs_mirror_last_seq mirror=uni)" = 2 &&
	test "$(val m.txt lfs_mirror_lag mirror=uni)" = 0 &&
	test "$(val m.txt lfs_mirror_verified_objects mirror=uni)" = 2 &&
	test "$(val m.txt lfs_mirror_failed_objects mirror=uni)" = 0 &&
	test "$(val m.txt lfs_mirror_up mirror=gone)" = 0 &&
	test "$(val m.txt lfs_mirror_lag mirror=gone)" = 2
'

test_expect_success 'a new mirrored object shows as lag until the mirror syncs' '
	make_file four.bin 500 four &&
	lfs_upload pub/a four.bin -u alice:apw &&
	scrape m.txt &&
	test "$(val m.txt lfs_feed_last_seq)" = 3 &&
	test "$(val m.txt lfs_mirror_lag mirror=uni)" = 1 &&
	test "$(val m.txt lfs_mirror_lag mirror=gone)" = 3
'

test_expect_success 'the alert rules of docs/operations.md parse and use metrics the server has' '
	doc_block "$TEST_ROOT/docs/operations.md" "^## Monitoring" 3 >rules.yml &&
	grep -q "alert: LfsMirrorLagging" rules.yml &&
	/usr/bin/python3 -c "import sys, yaml; r = yaml.safe_load(open(sys.argv[1])); assert len(r[\"groups\"][0][\"rules\"]) == 2" rules.yml &&
	doc_block "$TEST_ROOT/docs/operations.md" "^## Monitoring" 2 >scrape.yml &&
	/usr/bin/python3 -c "import sys, yaml; yaml.safe_load(open(sys.argv[1]))[\"scrape_configs\"][0][\"basic_auth\"]" scrape.yml &&
	for m in $(grep -o "lfs_[a-z_]*" rules.yml | sort -u); do
		grep -q "^$m|" m.txt || { echo "$m is not exposed" >&2; return 1; }
	done
'

test_expect_success 'metrics.readers read with credentials; /metrics answers GET only' '
	scrape r.txt -u carol:cpw &&
	test "$(http_status POST "$LFS_URL/metrics")" = 405
'

test_expect_success 'server stops cleanly' 'stop_lfs_server'

# Behind a proxy every request comes from loopback: loopback means nothing.
DATA="$TRASH/data2"
sed "s|^\[metrics\]|[server]\n\tbehind-proxy = true\n[metrics]|" server.cfg >proxy.cfg
start_lfs_server --config proxy.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }

test_expect_success 'behind a proxy: anonymous from loopback gets 401 with LFS-Authenticate' '
	test "$(http_status GET "$LFS_URL/metrics")" = 401 &&
	grep -qi "^LFS-Authenticate: Basic" "$TRASH/headers" &&
	jq -e .message "$TRASH/body" >/dev/null
'

test_expect_success 'behind a proxy: a forwarded loopback address does not help' '
	test "$(http_status GET "$LFS_URL/metrics" -H "X-Forwarded-For: 127.0.0.1")" = 401
'

test_expect_success 'behind a proxy: known users who are not readers get 404' '
	test "$(http_status GET "$LFS_URL/metrics" -u bob:bpw)" = 404 &&
	test "$(http_status GET "$LFS_URL/metrics" -u alice:apw)" = 404 &&
	! grep -q lfs_ "$TRASH/body"
'

test_expect_success 'behind a proxy: a wrong password gets 401' '
	test "$(http_status GET "$LFS_URL/metrics" -u carol:wrong)" = 401
'

test_expect_success 'behind a proxy: a reader gets the metrics' '
	scrape p.txt -u carol:cpw &&
	test "$(val p.txt lfs_failed_logins_total)" = 1 &&
	test "$(val p.txt lfs_lockouts_total)" = 0
'

test_expect_success 'a lockout is counted' '
	for i in $(seq 10); do
		test "$(http_status GET "$LFS_URL/metrics" -u nobody:x -H "X-Forwarded-For: 192.0.2.9")" = 401 || return 1
	done &&
	test "$(http_status GET "$LFS_URL/metrics" -u carol:cpw -H "X-Forwarded-For: 192.0.2.9")" = 429 &&
	scrape p.txt -u carol:cpw -H "X-Forwarded-For: 192.0.2.10" &&
	test "$(val p.txt lfs_failed_logins_total)" = 11 &&
	test "$(val p.txt lfs_lockouts_total)" = 1 &&
	test "$(val p.txt lfs_http_requests_total code=429,endpoint=metrics)" = 1
'

test_expect_success 'server stops cleanly' 'stop_lfs_server'
stop_nginx
test_done
