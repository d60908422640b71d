#!/bin/bash
test_description='lfs-mirror sync against a hostile or broken feed: pages that do not advance stop the run, --max-entries bounds an endless feed, trickling answers are abandoned by the deadline'
. "$(dirname "$0")/test-lib.sh"

test_must_be_empty() {
	[ ! -s "$1" ] || { echo "'$1' is not empty:" >&2; cat "$1" >&2; return 1; }
}

state_seq() {
	jq -e -r 'select(.version == 1) | .last_seq' "$1/mirror-state.json"
}

# A feed server on a loopback port, one behaviour per base URL
# (http://127.0.0.1:PORT/MODE): every entry names the same small object.
cat >feed.py <<'PY'
import hashlib, http.server, json, sys, time, urllib.parse

BODY = b"hostile object\n" * 20
OID = hashlib.sha256(BODY).hexdigest()

def entry(seq):
    return {"seq": seq, "oid": OID, "size": len(BODY), "time": "2026-11-25T10:00:00Z"}

def page(mode, after, limit):
    if mode == "stuck":        # the same page whatever `after` says
        return [1, 2], 2
    if mode == "decreasing":   # seq goes down inside a page
        return [1, 3, 2], 2
    if mode == "not-above":    # page two starts at page one's last seq
        return ([1, 2], 2) if after == 0 else ([2, 3], 3)
    if mode == "next-behind":  # next is below the page's last seq
        return [after + 1, after + 2], after + 1
    if mode == "empty-next":   # no entries, and a next that stays put
        return [], after
    if mode == "endless":      # always another full page
        return list(range(after + 1, after + limit + 1)), after + limit
    return ([1], None) if after == 0 else ([], None)

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, body, ctype, trickle):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if not trickle:
                self.wfile.write(body)
                return
            for i in range(0, len(body), 2):   # 2 bytes a second
                self.wfile.write(body[i:i + 2])
                self.wfile.flush()
                time.sleep(1)
        except OSError:
            pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        _, mode, rest = url.path.split("/", 2)
        if rest == "_lfs/journal":
            q = urllib.parse.parse_qs(url.query)
            seqs, nxt = page(mode, int(q["after"][0]), int(q["limit"][0]))
            body = json.dumps({"entries": [entry(s) for s in seqs], "next": nxt}).encode()
            self.answer(body, "application/json", mode == "trickle-page")
        elif rest == "_lfs/objects/" + OID:
            self.answer(BODY, "application/octet-stream", mode == "trickle-object")
        else:
            self.send_error(404)

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
PY

/usr/bin/python3 feed.py "$TRASH/port" 2>feed.log &
FEED_PID=$!
test_atexit "kill $FEED_PID 2>/dev/null; wait $FEED_PID 2>/dev/null"
test_poll test -s "$TRASH/port" || { echo "Bail out! the feed server did not start"; exit 1; }
URL="http://127.0.0.1:$(cat "$TRASH/port")"
OID=$(printf 'hostile object\n%.0s' $(seq 20) | sha256sum | cut -d' ' -f1)

# Every sync below runs under timeout(1): one that does not stop by
# itself is a failure (124), not a hang of the test.
sync_to() {
	timeout 60 "$BIN/lfs-mirror" sync --from "$URL/$1" --to "$TRASH/m-$1" "${@:2}"
}

test_expect_success 'setup: a well-behaved mode syncs' '
	sync_to plain >out 2>err &&
	echo "synced 1 objects (300 bytes), skipped 0, last_seq 1" >expect &&
	test_cmp expect out &&
	test_must_be_empty err
'

# mode, what stderr must say, the state the tree must be left with ("none":
# no state file)
while read -r mode says state; do
	test_expect_success "a feed that $mode stops the sync with exit 1" "
		test_expect_code 1 sync_to $mode >out 2>err &&
		test_must_be_empty out &&
		test \$(wc -l <err) = 1 &&
		grep -q '$URL/$mode/_lfs/journal' err &&
		grep -q '$says' err &&
		if [ $state = none ]; then
			test_path_is_missing '$TRASH/m-$mode/mirror-state.json'
		else
			test \"\$(state_seq '$TRASH/m-$mode')\" = $state
		fi
	"
done <<'ROWS'
stuck does.not.advance 2
decreasing not.above.the.previous.entry none
not-above does.not.advance 2
next-behind next.must.be none
empty-next without.entries.must.be.the.last none
ROWS

test_expect_success '--max-entries stops an endless feed, records what it fetched, and the next run goes on' '
	sync_to endless --max-entries 2500 >out 2>err &&
	echo "synced 1 objects (300 bytes), skipped 2499, last_seq 2500" >expect &&
	test_cmp expect out &&
	grep -q "^lfs-mirror: stopped after 2500 feed entries (--max-entries); the next run goes on after seq 2500$" err &&
	test "$(state_seq "$TRASH/m-endless")" = 2500 &&
	sync_to endless --max-entries 700 >out 2>err &&
	echo "synced 0 objects (0 bytes), skipped 700, last_seq 3200" >expect &&
	test_cmp expect out &&
	test "$(state_seq "$TRASH/m-endless")" = 3200
'

test_expect_success 'without --max-entries an endless feed stops at the default, 100000 entries' '
	rm -rf "$TRASH/m-endless" &&
	sync_to endless >out 2>err &&
	echo "synced 1 objects (300 bytes), skipped 99999, last_seq 100000" >expect &&
	test_cmp expect out &&
	grep -q "stopped after 100000 feed entries" err &&
	test "$(state_seq "$TRASH/m-endless")" = 100000
'

test_expect_success 'a feed page trickling at 2 bytes/s is abandoned at the --timeout deadline' '
	test_expect_code 1 sync_to trickle-page --timeout 2 >out 2>err &&
	test_must_be_empty out &&
	test $(wc -l <err) = 1 &&
	grep -q "$URL/trickle-page/_lfs/journal.*: Operation timed out" err &&
	test_path_is_missing "$TRASH/m-trickle-page/mirror-state.json"
'

test_expect_success 'an object trickling at 2 bytes/s is abandoned by the low-speed limit; no temp is left' '
	test_expect_code 1 sync_to trickle-object --timeout 2 >out 2>err &&
	test_must_be_empty out &&
	test $(wc -l <err) = 1 &&
	grep -q "^lfs-mirror: $OID: $URL/trickle-object/_lfs/objects/$OID: .*[Ll]ess than 1024 bytes/sec" err &&
	test -z "$(ls "$TRASH/m-trickle-object/tmp")" &&
	test_path_is_missing "$(obj_path "$TRASH/m-trickle-object" "$OID")"
'

test_expect_success '--timeout and --max-entries refuse what is not a number' '
	test_expect_code 2 "$BIN/lfs-mirror" sync --from "$URL/plain" --to x --timeout 0 2>err &&
	grep -q "^usage: lfs-mirror" err &&
	test_expect_code 2 "$BIN/lfs-mirror" sync --from "$URL/plain" --to x --timeout 5s 2>err &&
	test_expect_code 2 "$BIN/lfs-mirror" sync --from "$URL/plain" --to x --max-entries 0 2>err &&
	test_expect_code 2 "$BIN/lfs-mirror" sync --from "$URL/plain" --to x --max-entries many 2>err
'

test_done
