#!/bin/bash
test_description='s3.public-url: publicly readable repos objects are also written to a public bucket and get plain hrefs there; private ones never; a public view of the main bucket is refused'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-s3.sh"

s3_setup || { echo "Bail out! no s3rver"; exit 1; }
PUB_BUCKET=$(printf '%s' "$S3_BUCKET" | cut -c1-55)-pub
s3 mb "$PUB_BUCKET"
PUB_URL="$S3_ENDPOINT/$PUB_BUCKET/lfs"
: >users && add_user users alice secret-a
s3_config base.cfg
cat base.cfg - >server.cfg <<CFG
	public-url = $PUB_URL
[auth]
	users = $TRASH/users
[repo "pub/*"]
	read = *
	write = alice
[repo "priv/*"]
	read = alice
	write = alice
CFG
grep -v public-url server.cfg >nopub.cfg
make_file pubobj 3000 pubobj && make_file privobj 4000 privobj && make_file older 5000 older
POID=$(sha256_of pubobj) && SOID=$(sha256_of privobj) && OOID=$(sha256_of older)
key() { printf '%s/%s/%s' "$(printf %s "$1" | cut -c1-2)" "$(printf %s "$1" | cut -c3-4)" "$1"; }
dl() { # REPO OID SIZE [curl args]: a download batch
	local repo=$1 oid=$2 size=$3
	shift 3
	batch "$repo" "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$oid\",\"size\":$size}]}" "$@"
}

# An object of a public repo uploaded before s3.public-url was set.
start_lfs_server --config nopub.cfg
lfs_upload pub/old older -u alice:secret-a
stop_lfs_server
start_lfs_server --config server.cfg

test_expect_success 'setup: a public and a private upload' '
	server_started &&
	lfs_upload pub/a pubobj -u alice:secret-a &&
	lfs_upload priv/x privobj -u alice:secret-a
'

test_expect_success 'the public object is in the public bucket too, the private one only in the main bucket' '
	s3 ls "$PUB_BUCKET" >pub.list &&
	echo "lfs/objects/$(key "$POID") 3000" >expect &&
	test_cmp expect pub.list &&
	s3 ls "$S3_BUCKET" | grep -q "$SOID" &&
	s3 ls "$S3_BUCKET" | grep -q "$POID"
'

test_expect_success 'a public repo gets a plain href in the public bucket, no expiry, readable without credentials' '
	test "$(dl pub/a "$POID" 3000)" = 200 &&
	test "$(jq -r ".objects[0].actions.download.href" "$TRASH/body")" = "$PUB_URL/objects/$(key "$POID")" &&
	jq -e ".objects[0].actions.download | has(\"expires_in\") | not" "$TRASH/body" >/dev/null &&
	curl -sS -f -o got "$PUB_URL/objects/$(key "$POID")" &&
	cmp pubobj got
'

test_expect_success 'a private repo gets a presigned href on the main bucket' '
	test "$(dl priv/x "$SOID" 4000 -u alice:secret-a)" = 200 &&
	href=$(jq -r ".objects[0].actions.download.href" "$TRASH/body") &&
	case "$href" in "$S3_ENDPOINT/$S3_BUCKET/objects/$(key "$SOID")?"*X-Amz-Signature=*) ;; *) echo "$href" >&2; false ;; esac
'

test_expect_success 'an object the public bucket lacks (uploaded before) gets a presigned href' '
	test "$(dl pub/old "$OOID" 5000)" = 200 &&
	href=$(jq -r ".objects[0].actions.download.href" "$TRASH/body") &&
	case "$href" in "$S3_ENDPOINT/$S3_BUCKET/objects/$(key "$OOID")?"*X-Amz-Signature=*) ;; *) echo "$href" >&2; false ;; esac &&
	curl -sS -f -o got "$href" && cmp older got
'

stop_lfs_server
start_lfs_server --config server.cfg

test_expect_success 'after a restart (nothing cached) the public href is still given' '
	server_started &&
	test "$(dl pub/a "$POID" 3000)" = 200 &&
	test "$(jq -r ".objects[0].actions.download.href" "$TRASH/body")" = "$PUB_URL/objects/$(key "$POID")"
'

# Each row: a public-url | words of the refusal.
cat >bad.txt <<EOF2
$S3_ENDPOINT/$S3_BUCKET|would show the private objects
$S3_ENDPOINT/$S3_BUCKET/objects|would show the private objects
http://elsewhere.example/$PUB_BUCKET|must name a bucket on s3.endpoint
EOF2
while IFS='|' read -r url want; do
	test_expect_success "refused at start: public-url $url" '
		sed "s|public-url = .*|public-url = $url|" server.cfg >bad.cfg &&
		test_expect_code 1 "$BIN/lfs-server" --config bad.cfg --listen 127.0.0.1:0 --data "$TRASH/bad-data" 2>err &&
		grep -q "$want" err
	'
done <bad.txt

stop_rc
test_expect_success 'the server stopped cleanly' 'stopped_cleanly'

test_done
