# lib-cgi.sh: drive build/bin/lfs-cgi directly as a CGI program, the way
# a web server does (RFC 3875): the request in the environment and on
# standard input, the answer on standard output.  No web server needed;
# the Apache tests (t935x) run it behind a real one.
#
#   CGI_CONFIG    the --config file (set by the script)
#   CGI_PUBLIC    the public directory: SCRIPT_FILENAME is CGI_PUBLIC/lfs-server.cgi,
#                 so its objects/ is the static tree
#   CGI_BASE      http://cgi.test/~alice/lfs: the URL of CGI_PUBLIC
#
#   cgi_request METHOD PATH_INFO [opts]   runs one request; prints the
#       status; headers in $TRASH/cgi.headers, body in $TRASH/cgi.body,
#       stderr appended to $TRASH/cgi.log.  opts:
#         -u USER:PW        Basic credentials (HTTP_AUTHORIZATION)
#         -H 'Name: value'  a request header (HTTP_NAME, CONTENT_TYPE)
#         -d FILE           the body (CONTENT_LENGTH is its size)
#         -q QUERY          QUERY_STRING
#         -e VAR=VALUE      any other environment variable
#   cgi_header NAME       a header of the last answer ("" when absent)
#   CGI_OUT=PREFIX        (optional) PREFIX.headers, PREFIX.body instead of
#                         $TRASH/cgi.*: for requests run side by side

CGI_PUBLIC=${CGI_PUBLIC:-$TRASH/public_html/lfs}
CGI_BASE=${CGI_BASE:-http://cgi.test/~alice/lfs}
test_log_file "$TRASH/cgi.log"

cgi_request() {
	local method="$1" path="$2" data=/dev/null name value var
	shift 2
	local envs=(GATEWAY_INTERFACE=CGI/1.1 "REQUEST_METHOD=$method" "PATH_INFO=$path"
		SERVER_PROTOCOL=HTTP/1.1 SERVER_NAME=cgi.test SERVER_PORT=80 HTTP_HOST=cgi.test
		REMOTE_ADDR=127.0.0.1 SCRIPT_NAME=/~alice/lfs/lfs-server.cgi
		"SCRIPT_FILENAME=$CGI_PUBLIC/lfs-server.cgi")
	while [ $# -ge 2 ]; do
		case "$1" in
		-u) envs+=("HTTP_AUTHORIZATION=Basic $(printf %s "$2" | base64 -w0)") ;;
		-H)
			name=${2%%:*} value=${2#*: }
			var=$(printf %s "$name" | tr a-z- A-Z_)
			case "$var" in
			CONTENT_TYPE|CONTENT_LENGTH) envs+=("$var=$value") ;;
			*) envs+=("HTTP_$var=$value") ;;
			esac ;;
		-d) data=$2; envs+=("CONTENT_LENGTH=$(wc -c <"$2")") ;;
		-q) envs+=("QUERY_STRING=$2") ;;
		-e) envs+=("$2") ;;
		*) echo "cgi_request: unknown option $1" >&2; return 2 ;;
		esac
		shift 2
	done
	[ $# -eq 0 ] || { echo "cgi_request: $1 needs a value" >&2; return 2; }
	local out=${CGI_OUT:-$TRASH/cgi}
	env -i "${envs[@]}" "$BIN/lfs-cgi" --config "$CGI_CONFIG" <"$data" >"$out.raw" 2>>"$TRASH/cgi.log" ||
		{ echo "lfs-cgi exited $?" >&2; return 1; }
	cgi_split "$out.raw"
}

# cgi_split FILE: a CGI answer into PREFIX.headers (CR stripped) and
# PREFIX.body (bytes as they are), PREFIX being CGI_OUT; prints the Status.
cgi_split() {
	local out=${CGI_OUT:-$TRASH/cgi}
	python3 - "$1" "$out.headers" "$out.body" <<-'EOF' || return 1
	import sys
	raw = open(sys.argv[1], "rb").read()
	head, sep, body = raw.partition(b"\r\n\r\n")
	if not sep:
	    sys.exit("no blank line after the CGI headers")
	open(sys.argv[2], "wb").write(head.replace(b"\r", b"") + b"\n")
	open(sys.argv[3], "wb").write(body)
	EOF
	sed -n 's/^Status: \([0-9]*\).*/\1/p' "$out.headers"
}

cgi_header() {
	sed -n "s/^$1: //Ip" "${CGI_OUT:-$TRASH/cgi}.headers"
}
