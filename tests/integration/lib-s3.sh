# lib-s3.sh: an S3-compatible store for a test (s3rver, tests/services/s3rver.sh).
#
#   s3_setup          uses the shared s3rver when S3_ENDPOINT is set (a
#                     `make test` run), else starts a private one in
#                     $TRASH/s3rver, stopped by test_atexit.  Makes this
#                     test's own bucket, S3_BUCKET (named after the test).
#   s3_start_private DIR [PORT]  a private s3rver (for tests that stop it).
#   s3_config FILE [PREFIX]      writes a server config using S3_BUCKET.
#   s3 CMD ARGS...    the independent client (tests/integration/s3check.py:
#                     mb, ls, get, put).
# Each test uses its own bucket: tests sharing one s3rver never see each
# other's objects.

S3_SERVICE="$TEST_ROOT/tests/services/s3rver.sh"

s3() {
	/usr/bin/python3 "$TEST_ROOT/tests/integration/s3check.py" "$@"
}

s3_start_private() {
	local dir="$1" out
	out=$("$S3_SERVICE" start "$dir" ${2:+"$2"}) || return 1
	eval "$out"
	test_track_pid "$S3RVER_PID" s3rver
	test_atexit "\"$S3_SERVICE\" stop \"$dir\""
	test_log_file "$dir/s3rver.log"
	S3RVER_LOG="$dir/s3rver.log"
	export S3_ENDPOINT S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY S3RVER_PID S3RVER_LOG
}

s3_setup() {
	if [ -z "${S3_ENDPOINT:-}" ]; then
		s3_start_private "$TRASH/s3rver" || return 1
	fi
	# A bucket name: 3-63 of [a-z0-9-], unique per run of this test.
	S3_BUCKET=$(printf '%s-%s' "$TEST_NAME" "$$" | tr 'A-Z_.' 'a-z--' | cut -c1-63)
	export S3_BUCKET
	s3 mb "$S3_BUCKET"
}

# s3_config FILE [PREFIX]: storage.type = s3 on this test's bucket, path
# style, credentials from a key file (the secret never in the config).
s3_config() {
	printf '%s\n' "$S3_SECRET_ACCESS_KEY" >"$TRASH/s3-secret"
	chmod 600 "$TRASH/s3-secret"
	cat >"$1" <<EOC
[storage]
	type = s3
[s3]
	endpoint = $S3_ENDPOINT
	bucket = $S3_BUCKET
	prefix = ${2:-}
	path-style = true
	access-key-id = $S3_ACCESS_KEY_ID
	secret-key-file = $TRASH/s3-secret
EOC
}
