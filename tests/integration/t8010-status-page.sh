#!/bin/bash
test_description='GET /_lfs/status in a real browser (headless chromium): storage, repos, uploads chart, mirrors with lag and verification, recent errors, all escaped; 401/404 for others'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-nginx.sh"

ARTIFACTS="$TEST_ROOT/build/artifacts"
mkdir -p "$ARTIFACTS" "$TRASH/chrome"

# browser URL [chromium flags...]: headless chromium, network quiet, a
# profile of its own in the trash directory.
browser() {
	local url="$1"
	shift
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$TRASH/chrome" "$@" "$url" 2>>"$TRASH/chrome.log"
}

htpasswd -B -C 4 -b -c users alice apw 2>/dev/null
add_user users carol cpw
add_user users bob bpw
M1="$TRASH/mirror1"
M2="$TRASH/mirror2"
mkdir -p "$M1" "$M2"
start_nginx "$M1" uni || { echo "Bail out! nginx did not start"; exit 1; }
URL1=$NGINX_URL
start_nginx "$M2" evil || { echo "Bail out! nginx did not start"; exit 1; }
URL2=$NGINX_URL

# The second mirror's name is markup: the page must show it as text.
EVIL='<i>evil&co</i>'
# Behind a proxy, so loopback is nobody in particular and the browser
# has to log in as a reader.
cat >server.cfg <<EOC
[server]
	behind-proxy = true
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
	url = $URL1
[mirror "$EVIL"]
	url = $URL2
[mirror "gone"]
	url = http://127.0.0.1:9
[mirror]
	check-interval = 1
[metrics]
	readers = carol
EOC
start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }
STATUS="$LFS_URL/_lfs/status"
AUTHED="http://carol:cpw@${LFS_URL#http://}/_lfs/status"

# mirror_state NAME JQ: /healthz's entry for mirror NAME satisfies JQ.
mirror_state() {
	curl -s "$LFS_URL/healthz" | jq -e --arg n "$1" ".mirrors[] | select(.name == \$n) | $2" >/dev/null
}

test_expect_success 'objects in a mirrored and a private repo; two mirrors synced, one copy rotten' '
	for i in 1 2 3; do
		make_file pub$i.bin $((1000 * i)) pub$i && lfs_upload pub/app pub$i.bin -u alice:apw || return 1
	done &&
	make_file priv.bin 4000 priv && lfs_upload priv/tools priv.bin -u alice:apw &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M1" >/dev/null &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to stage >/dev/null &&
	oid=$(sha256_of pub2.bin) &&
	f=$(obj_path stage "$oid") && chmod u+w "$f" && printf X | dd of="$f" bs=1 seek=10 conv=notrunc 2>/dev/null &&
	# Published rotten: the objects first, then the state that announces them.
	cp -a stage/objects "$M2/" && cp stage/mirror-state.json "$M2/" &&
	POLL_TRIES=600 test_poll mirror_state uni ".healthy and .verified == 3" &&
	POLL_TRIES=600 test_poll mirror_state "$EVIL" ".healthy and .verified == 2 and .failed == 1"
'

test_expect_success 'anonymous gets 401 with LFS-Authenticate, even claiming loopback' '
	test "$(http_status GET "$STATUS")" = 401 &&
	grep -qi "^LFS-Authenticate: Basic" "$TRASH/headers" &&
	test "$(http_status GET "$STATUS" -H "X-Forwarded-For: 127.0.0.1")" = 401 &&
	! grep -q "lfs-server status" "$TRASH/body"
'

test_expect_success 'a user who is not a reader gets 404, as for a repo she may not read' '
	test "$(http_status GET "$STATUS" -u bob:bpw)" = 404 &&
	test "$(http_status GET "$STATUS" -u alice:apw)" = 404 &&
	! grep -q "lfs-server status" "$TRASH/body"
'

test_expect_success 'a reader gets HTML that loads nothing else' '
	test "$(http_status GET "$STATUS" -u carol:cpw)" = 200 &&
	grep -qi "^Content-Type: text/html; charset=utf-8" "$TRASH/headers" &&
	grep -qi "^Content-Security-Policy: default-src .none." "$TRASH/headers" &&
	! grep -qi "<script\|src=\|href=" "$TRASH/body"
'

test_expect_success 'the browser renders it: storage, repos and the uploads chart' '
	browser "$AUTHED" --dump-dom >dom.html &&
	grep -q "<h1>lfs-server status</h1>" dom.html &&
	grep -q "id=\"objects\">4<" dom.html &&
	grep -q "id=\"bytes\">9.8 KiB (10000 bytes)<" dom.html &&
	grep -q "<td>pub/app</td><td class=\"n\">3</td>" dom.html &&
	grep -q "<td>priv/tools</td><td class=\"n\">1</td>" dom.html &&
	grep -q "<title>$(date -u +%F): 4</title>" dom.html &&
	test "$(grep -c "<rect " dom.html)" = 30
'

test_expect_success 'each mirror with health, lag and verification' '
	grep -q "last seq 3<" dom.html &&
	grep -q "<td>uni</td><td>[^<]*</td><td class=\"ok\">healthy</td><td class=\"n\">3</td><td class=\"n\">0</td><td class=\"n\">3</td><td class=\"n\">0</td>" dom.html &&
	grep -q "<td>gone</td><td>[^<]*</td><td class=\"bad\">down</td><td class=\"n\">never answered</td><td class=\"n\">3</td><td class=\"n\">0</td><td class=\"n\">0</td>" dom.html &&
	grep -q "<td>&lt;i&gt;evil&amp;co&lt;/i&gt;</td><td>[^<]*</td><td class=\"ok\">healthy</td><td class=\"n\">3</td><td class=\"n\">0</td><td class=\"n\">2</td><td class=\"n bad\">1</td>" dom.html
'

test_expect_success 'recent errors show the rotten copy, escaped; no markup got through' '
	grep -q "mirror &lt;i&gt;evil&amp;co&lt;/i&gt;: copy of $(sha256_of pub2.bin) (seq 2) is bad" dom.html &&
	! grep -q "<i>" dom.html
'

test_expect_success 'a screenshot of the page is kept in build/artifacts/status.png' '
	rm -f "$ARTIFACTS/status.png" &&
	shown=$(log_count "\"GET /_lfs/status\" 200") &&
	browser "$AUTHED" --screenshot="$ARTIFACTS/status.png" --window-size=1200,1400 >/dev/null &&
	test "$(log_count "\"GET /_lfs/status\" 200")" = $((shown + 1)) &&
	test "$(head -c 8 "$ARTIFACTS/status.png" | od -An -tx1 | tr -d " \n")" = 89504e470d0a1a0a
'

test_expect_success 'the browser without credentials is asked for them and sees no status' '
	ok_before=$(log_count "\"GET /_lfs/status\" 200") &&
	denied_before=$(log_count "\"GET /_lfs/status\" 401") &&
	test "$(http_status GET "$STATUS")" = 401 &&
	grep -qi "^WWW-Authenticate: Basic realm=" "$TRASH/headers" &&
	browser "$STATUS" --dump-dom >anon.html &&
	! grep -q "lfs-server status" anon.html &&
	test "$(log_count "\"GET /_lfs/status\" 401")" = $((denied_before + 2)) &&
	test "$(log_count "\"GET /_lfs/status\" 200")" = "$ok_before"
'

test_expect_success 'server stops cleanly' 'stop_lfs_server'
stop_nginx
stop_nginx
test_done
