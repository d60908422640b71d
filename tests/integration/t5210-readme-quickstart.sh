#!/bin/bash
test_description='the README quick start: make run LISTEN=… serves on that port with a private data dir; the printed lfs.url line and the .lfsconfig snippet work with git-lfs'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# A make started by `make test` passes its jobserver down: not ours.
unset MAKEFLAGS MAKELEVEL MFLAGS
git lfs install --skip-repo >/dev/null || { echo "Bail out! git lfs install failed"; exit 1; }

RUN_DATA="$TRASH/quick/lfs-data"
mkdir -p "$TRASH/quick"

# The README's own `make run LISTEN=…` line, on a free port: make runs in
# the background; once the server is up, MAKE_PID is make's pid and
# SERVER_PID the server's (make's child: the recipe execs it).
start_make_run() {
	local tries=0 i line cmd
	line=$(grep -o 'make run LISTEN=127\.0\.0\.1:[0-9]*' "$TEST_ROOT/README.md" | head -n 1)
	[ -n "$line" ] || { echo "README names no 'make run LISTEN=…'" >&2; return 1; }
	while [ $tries -lt 20 ]; do
		PORT=$(( 20000 + (RANDOM % 20000) ))
		cmd="${line%:*}:$PORT"
		(cd "$TRASH/quick" && exec make -C "$TEST_ROOT" --no-print-directory ${cmd#make } \
			LFS_DATA="$RUN_DATA") >make.out 2>&1 &
		MAKE_PID=$!
		i=0
		while [ $i -lt 400 ]; do
			grep -q "^listening on http://127.0.0.1:$PORT$" make.out && break
			kill -0 $MAKE_PID 2>/dev/null || break
			sleep 0.05
			i=$((i + 1))
		done
		if grep -q "^listening on" make.out; then
			SERVER_PID=$(cat "/proc/$MAKE_PID/task/$MAKE_PID/children" 2>/dev/null)
			SERVER_PID=${SERVER_PID%% *}
			[ -n "$SERVER_PID" ] || { echo "no server under make" >&2; return 1; }
			test_atexit "kill $SERVER_PID 2>/dev/null; wait $MAKE_PID 2>/dev/null"
			return 0
		fi
		kill $MAKE_PID 2>/dev/null
		wait $MAKE_PID 2>/dev/null
		grep -qi "address already in use" make.out || { cat make.out >&2; return 1; }
		tries=$((tries + 1))
	done
	return 1
}

start_make_run || { cat make.out; echo "Bail out! make run did not start"; exit 1; }
URL="http://127.0.0.1:$PORT"

test_expect_success 'make run LISTEN=…: the server listens there, data dir created 0700' '
	grep -q "^listening on $URL$" make.out &&
	test "$(stat -c %a "$RUN_DATA")" = 700 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$URL/healthz")" = 200
'

test_expect_success 'the line make run prints, pasted into a repository, pushes through git-lfs' '
	paste=$(sed -n "s/^paste into your repository: *//p" make.out) &&
	case "$paste" in "git config lfs.url $URL/"*) ;; *) echo "printed: $paste" >&2; false ;; esac &&
	git init -q --bare origin.git &&
	git init -q work &&
	(
		cd work &&
		eval "$(echo "$paste" | sed "s|<owner>/<repo>|tock/libtock-c|")" &&
		git lfs track "*.a" >/dev/null &&
		make_file lib.a 200000 readme-a &&
		git add .gitattributes lib.a && git commit -qm first &&
		git remote add origin ../origin.git &&
		git push -q origin main
	) &&
	cmp work/lib.a "$(obj_path "$RUN_DATA" "$(sha256_of work/lib.a)")"
'

test_expect_success 'the README .lfsconfig, committed, lets a plain clone find the server' '
	doc_block "$TEST_ROOT/README.md" "commit a \`\\.lfsconfig\`" >lfsconfig.doc &&
	grep -q "url = http://127.0.0.1:8080/<owner>/<repo>.git/info/lfs" lfsconfig.doc &&
	sed -e "s|127.0.0.1:8080|127.0.0.1:$PORT|" -e "s|<owner>/<repo>|tock/libtock-c|" lfsconfig.doc >work/.lfsconfig &&
	(
		cd work &&
		git config --unset lfs.url &&
		make_file lib2.a 100000 readme-b &&
		git add .lfsconfig lib2.a && git commit -qm "lfsconfig" &&
		git push -q origin main
	) &&
	git clone -q origin.git clone &&
	cmp work/lib.a clone/lib.a &&
	cmp work/lib2.a clone/lib2.a &&
	grep -q "\"GET /tock/libtock-c/info/lfs/objects/$(sha256_of work/lib2.a)" make.out
'

# make is this shell's child, not a test body's: stop it out here.
kill -TERM "$SERVER_PID"
wait "$MAKE_PID"
echo $? >stop.rc
test_expect_success 'the server under make run stops cleanly on SIGTERM (make exits 0)' '
	test "$(cat stop.rc)" = 0 &&
	! grep -q "^make: \*\*\*" make.out
'

test_expect_success 'a data dir that make run created is private even with umask 0' '
	rm -rf "$TRASH/u0" && mkdir "$TRASH/u0" &&
	(umask 0 && make -C "$TEST_ROOT" --no-print-directory -n run LFS_DATA="$TRASH/u0/d" |
		grep "^mkdir .*$TRASH/u0/d$" | sh) &&
	test "$(stat -c %a "$TRASH/u0/d")" = 700
'

test_done
