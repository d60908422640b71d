# lib-nginx.sh: a real nginx serving a directory on a free loopback port.
#
#   start_nginx DIR [NAME [PORT]]
#                            serves DIR statically; sets NGINX_URL, NGINX_PID,
#                            NGINX_PORT, NGINX_ACCESS_LOG (one line per
#                            request, with status and bytes).  NAME keeps
#                            several apart; PORT restarts on a known port
#                            (same URL), otherwise a free one is picked.
#   start_nginx_upstream NAME ADDR...
#                            a load balancer instead: proxies everything to
#                            an `upstream` of the HOST:PORTs given (round
#                            robin, the next one on an error or a 502/503),
#                            sets the same variables, and NGINX_UPSTREAM_LOG
#                            (each request with the upstream(s) that served
#                            it and their statuses: "A, B 502, 200" when A
#                            failed and B answered).  With
#                            NGINX_REQUEST_BUFFERING=off, bodies stream
#                            through instead (a cut upload is a 502).
#   stop_nginx               stops it (QUIT, then waits, bounded: it may
#                            have been started in another shell)
# Ready means our nginx answered a request of its own: a probe with a
# unique path must reach its access log (a busy port may be answered by
# another test's server, which must not be taken for ours).
# nginx runs as the invoking user's root-owned master with `user root;`
# when run as root: workers running as nobody could not read the trash dir.

NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)

start_nginx() {
	local dir="$1" name="${2:-nginx}" want_port="${3:-}" port tries=0 conf
	local base="$TRASH/$name"
	mkdir -p "$base"
	while [ $tries -lt 20 ]; do
		port=${want_port:-$(( 20000 + (RANDOM % 20000) ))}
		conf="$base/nginx.conf"
		{
			[ "$(id -u)" = 0 ] && echo "user root;"
			cat <<-EOC
			daemon off;
			worker_processes 1;
			pid $base/nginx.pid;
			error_log $base/error.log;
			events { worker_connections 256; }
			http {
			    log_format lfs '\$remote_addr "\$request" \$status \$body_bytes_sent';
			    access_log $base/access.log lfs;
			    client_body_temp_path $base/body;
			    proxy_temp_path $base/proxy;
			    fastcgi_temp_path $base/fastcgi;
			    uwsgi_temp_path $base/uwsgi;
			    scgi_temp_path $base/scgi;
			    sendfile on;
			    types { application/json json; }
			    default_type application/octet-stream;
			    ${NGINX_HTTP_CONF:-}
			    server {
			        listen 127.0.0.1:$port;
			        ${NGINX_SERVER_CONF:-root $dir;}
			    }
			}
			EOC
		} >"$conf"
		: >"$base/error.log"
		"$NGINX_BIN" -c "$conf" -e "$base/error.log" &
		NGINX_PID=$!
		test_track_pid "$NGINX_PID" nginx
		test_log_file "$base/error.log"
		if nginx_wait_ready "$NGINX_PID" "$port" "$base/access.log"; then
			NGINX_URL="http://127.0.0.1:$port"
			NGINX_PORT=$port
			NGINX_ACCESS_LOG="$base/access.log"
			export NGINX_URL NGINX_PID NGINX_PORT NGINX_ACCESS_LOG
			test_atexit "test_kill_ours -TERM $NGINX_PID"
			return 0
		fi
		kill "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null
		grep -q "Address already in use" "$base/error.log" || { cat "$base/error.log" >&2; return 1; }
		[ -z "$want_port" ] || { echo "start_nginx: port $want_port is busy" >&2; return 1; }
		tries=$((tries + 1))
	done
	echo "start_nginx: no free port found" >&2
	return 1
}

# start_nginx_upstream NAME ADDR...: nginx as the load balancer of the
# servers at ADDR (HOST:PORT each).  Request bodies are buffered whole
# (nginx's default), so an upload whose server dies can be sent again to
# the next one; PUT is idempotent for nginx, a batch POST is not (the
# client retries it).  NGINX_REQUEST_BUFFERING=off streams bodies
# instead: then a cut upload is a 502 to the client.  No size limit and
# generous timeouts: a proxied upload waits while the server streams it
# on to its store.
start_nginx_upstream() {
	local name="$1" a ups="" base="$TRASH/$1"
	shift
	for a in "$@"; do
		ups="$ups server $a max_fails=1 fail_timeout=30s;"
	done
	NGINX_HTTP_CONF="log_format up '\$request_method \$uri \$status [\$upstream_addr] [\$upstream_status]';
	    upstream lfs { $ups }" \
	NGINX_SERVER_CONF="access_log $base/access.log lfs;
	        access_log $base/upstream.log up;
	        client_max_body_size 0;
	        proxy_request_buffering ${NGINX_REQUEST_BUFFERING:-on};
	        location / {
	            proxy_pass http://lfs;
	            proxy_set_header Host \$http_host;
	            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
	            proxy_http_version 1.1;
	            proxy_set_header Connection \"\";
	            proxy_next_upstream error timeout http_502 http_503;
	            proxy_read_timeout 120s;
	            proxy_send_timeout 120s;
	        }" \
	start_nginx /nonexistent "$name" || return 1
	NGINX_UPSTREAM_LOG="$base/upstream.log"
	export NGINX_UPSTREAM_LOG
}

# nginx_wait_ready PID PORT ACCESS_LOG: succeeds once the nginx PID
# answers on 127.0.0.1:PORT, its own access log showing our probe; fails
# when it exits first (a busy port) or after 10 s.
nginx_wait_ready() {
	local pid="$1" port="$2" log="$3" i=0 probe="/.ready-$$-$RANDOM"
	while [ $i -lt 200 ]; do
		[ -n "$(proc_starttime "$pid")" ] || return 1
		if curl -s -o /dev/null "http://127.0.0.1:$port$probe" 2>/dev/null &&
			POLL_TRIES=40 test_poll grep -qF "\"GET $probe " "$log"; then
			return 0
		fi
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

stop_nginx() {
	[ -n "$NGINX_PID" ] || return 0
	local i=0
	test_kill_ours -QUIT "$NGINX_PID"
	wait "$NGINX_PID" 2>/dev/null
	while kill -0 "$NGINX_PID" 2>/dev/null && [ "$(proc_starttime "$NGINX_PID")" ] && [ $i -lt 400 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	NGINX_PID=
}
