#!/bin/bash
test_description='lfs-admin mirrors-check, the cron job of a CGI-hosted service: polls and verifies mirrors once, records verdicts in the metadata and the mirrors'"'"' state in DATA/mirror-health.json'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-apache.sh"
. "$TEST_ROOT/tests/integration/lib-cgi-apache.sh"

[ -x "$BIN/lfs-cgi" ] || { echo "Bail out! no $BIN/lfs-cgi (make cgi)"; exit 1; }

start_cgi_service '[repo "tock/*"]' '	read = *' '	write = alice' '	mirror = true' \
	'[journal]' '	readers = *' ||
	{ echo "Bail out! the CGI service did not start"; exit 1; }
# The mirror: another directory of the same account, served by the same Apache.
MDIR="$(dirname "$CGI_PUBLIC")/mirror"
printf '[mirror "uni"]\n\turl = %s\n' "$APACHE_URL/~tock/mirror" >>"$CGI_CONF"
HEALTH="$CGI_DATA/mirror-health.json"

check() {
	as_account "$BIN/lfs-admin" --config "$CGI_CONF" mirrors-check
}

for f in 1 2 3 4; do make_file "o$f" $((f * 10000)) "cgi-mcheck-$f"; done

test_expect_success 'setup: three objects through the CGI, synced to the mirror' '
	for f in 1 2 3; do lfs_upload tock/app o$f -u alice:alice-pw || exit 1; done &&
	"$BIN/lfs-mirror" sync --from "$CGI_URL" --to "$MDIR" >/dev/null &&
	chmod -R a+rX "$MDIR"
' 


test_expect_success 'before any check there is no state for the CGI' '
	test_path_is_missing "$HEALTH"
'

test_expect_success 'the first check verifies every copy and saves the state' '
	check >out &&
	printf "checked\tuni\t3\tgood 3\tbad 0\tlast_seq 3\n" >expect && test_cmp expect out &&
	jq -e ".mirrors[0] | .name == \"uni\" and .healthy == true and .last_seq == 3 and .verified == 3 and .failed == 0" "$HEALTH" &&
	jq -e ".written >= $(date +%s) - 600" "$HEALTH" &&
	[ "$(stat -c %a "$HEALTH")" = 600 ] && [ "$(stat -c %U "$HEALTH")" = "$CGI_ACCOUNT" ]
'

test_expect_success 'the next check has nothing due' '
	check >out &&
	printf "checked\tuni\t0\tgood 0\tbad 0\tlast_seq 3\n" >expect && test_cmp expect out
'

test_expect_success 'a new object whose mirror copy is corrupt: a bad line, exit 1, recorded' '
	lfs_upload tock/app o4 -u alice:alice-pw &&
	"$BIN/lfs-mirror" sync --from "$CGI_URL" --to "$MDIR" >/dev/null && chmod -R a+rX "$MDIR" &&
	o=$(obj_path "$MDIR" "$(sha256_of o4)") && printf x | dd of="$o" bs=1 seek=5 conv=notrunc 2>/dev/null &&
	test_expect_code 1 check >out &&
	grep "^bad	uni	4	$(sha256_of o4)	" out &&
	grep "^checked	uni	1	good 0	bad 1	last_seq 4$" out &&
	jq -e ".mirrors[0] | .healthy == true and .last_seq == 4 and .verified == 3 and .failed == 1" "$HEALTH"
'

# download_hrefs: the batch answer's download href of o1..o4, one a line.
download_hrefs() {
	local objs="" f
	for f in 1 2 3 4; do
		objs="$objs${objs:+,}{\"oid\":\"$(sha256_of o$f)\",\"size\":$((f * 10000))}"
	done
	curl -sf -H "Content-Type: application/vnd.git-lfs+json" -H "Accept: application/vnd.git-lfs+json" \
		-d "{\"operation\":\"download\",\"objects\":[$objs]}" \
		"$CGI_URL/tock/app.git/info/lfs/objects/batch" |
	jq -r ".objects[].actions.download.href"
}

test_expect_success 'the CGI sends clients to the mirror for verified copies only (o4 is corrupt there)' '
	download_hrefs >hrefs &&
	[ "$(wc -l <hrefs)" = 4 ] &&
	for f in 1 2 3; do
		grep -Fx "$(obj_path "$APACHE_URL/~tock/mirror" "$(sha256_of o$f)")" hrefs || exit 1
	done &&
	! grep -F "$(sha256_of o4)" hrefs | grep -F "/mirror/"
'

test_expect_success 'a check older than 30 minutes (cron stopped) sends nobody to the mirror' '
	cp "$HEALTH" health.saved &&
	jq ".written -= 3600" health.saved >"$HEALTH.new" && mv "$HEALTH.new" "$HEALTH" &&
	chown "$CGI_ACCOUNT" "$HEALTH" && chmod 600 "$HEALTH" &&
	download_hrefs >hrefs && [ "$(wc -l <hrefs)" = 4 ] &&
	! grep -F "/mirror/" hrefs &&
	cp health.saved "$HEALTH" && chown "$CGI_ACCOUNT" "$HEALTH" && chmod 600 "$HEALTH"
'

test_expect_success 'a mirror that stops answering: unreachable, exit 1, saved as unhealthy' '
	mv "$MDIR/mirror-state.json" "$MDIR/state.away" &&
	test_expect_code 1 check >out &&
	grep "^unreachable	uni	" out &&
	jq -e ".mirrors[0].healthy == false" "$HEALTH" &&
	download_hrefs >hrefs && [ "$(wc -l <hrefs)" = 4 ] && ! grep -F "/mirror/" hrefs &&
	mv "$MDIR/state.away" "$MDIR/mirror-state.json" &&
	check >out && jq -e ".mirrors[0].healthy == true" "$HEALTH"
'

test_expect_success 'usage: mirrors-check takes no arguments and needs the config' '
	test_expect_code 2 "$BIN/lfs-admin" --config "$CGI_CONF" mirrors-check extra &&
	test_expect_code 2 "$BIN/lfs-admin" --data "$CGI_DATA" mirrors-check
'

test_done
