#!/bin/bash
test_description='lfs-admin repos: objects and bytes per repo, sorted by name, beside a running server'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

admin() {
	"$BIN/lfs-admin" --data "$DATA" "$@"
}

htpasswd -B -C 4 -b -c users alice alice-pw 2>/dev/null
cat >server.cfg <<CFG
[auth]
	users = $TRASH/users
[repo "*/*"]
	write = alice
CFG
make_file s1 1000 s1 && make_file s2 2345 s2 && make_file x1 77 x1 && make_file shared 4096 shared &&
make_file big 300000 big && : >empty

start_lfs_server --config server.cfg
A="-u alice:alice-pw"

test_expect_success 'an empty data dir: no lines' '
	server_started &&
	admin repos >out 2>err &&
	test_must_be_empty out && test_must_be_empty err
'

test_expect_success 'setup: uploads to four repos, one object in two of them' '
	lfs_upload zeta/z shared $A && lfs_upload zeta/z s1 $A &&
	lfs_upload Alpha/A big $A &&
	lfs_upload alpha/b s1 $A && lfs_upload alpha/b s2 $A && lfs_upload alpha/b shared $A &&
	lfs_upload alpha/b.git s2 $A &&
	lfs_upload alpha/b-x x1 $A && lfs_upload alpha/b-x empty $A
'

test_expect_success 'one tab-separated line per repo: objects and bytes, bytewise by name' '
	admin repos >out 2>err &&
	test_must_be_empty err &&
	printf "Alpha/A\t1\t300000\nalpha/b\t3\t7441\nalpha/b-x\t2\t77\nzeta/z\t2\t5096\n" >expect &&
	test_cmp expect out
'

test_expect_success 'the counts agree with uploads and stats' '
	for r in Alpha/A alpha/b alpha/b-x zeta/z; do
		admin uploads --repo $r >rows &&
		printf "%s\t%s\t%s\n" $r $(wc -l <rows) $(awk -F "\t" "{ s += \$5 } END { print s + 0 }" rows) ||
			return 1
	done >from-uploads &&
	test_cmp from-uploads out &&
	admin stats >stats &&
	grep -q "^repos: 4$" stats &&
	grep -q "^bytes: $((1000 + 2345 + 77 + 4096 + 300000))$" stats
'

stop_rc

test_expect_success 'after the server stopped: the same lines; usage errors exit 2' '
	stopped_cleanly &&
	admin repos >out2 && test_cmp out out2 &&
	test_expect_code 2 admin repos extra 2>err && grep -q "^usage: lfs-admin" err &&
	test_expect_code 1 "$BIN/lfs-admin" --data "$TRASH/nope" repos 2>err &&
	"$BIN/lfs-admin" --config server.cfg --data "$DATA" repos >out3 && test_cmp out out3
'

test_done
