# lib-apache.sh: a real Apache (Debian's apache2) serving users' public_html
# with mod_userdir, on a free loopback port, for a test script.
#
#   start_apache OVERRIDE [NAME]
#        starts apache2 in the foreground (a child of the test, stopped by
#        the exit trap) with a self-contained config in $TRASH/NAME
#        (default "apache"): prefork, the modules a stock Debian install
#        enables for static files plus userdir, headers and expires, and
#        Debian's <Directory> block for public_html (mods-available/
#        userdir.conf) with `AllowOverride OVERRIDE` ("None" allowed).
#        ~USER/ maps to $APACHE_HOME/USER/public_html (an absolute UserDir
#        path: no system user needed); the public_html dirs are shared by
#        every instance, so several AllowOverride levels can serve one tree.
#        Sets APACHE_URL (http://127.0.0.1:PORT), APACHE_PID, APACHE_PORT,
#        APACHE_ACCESS_LOG ('HOST "REQUEST" STATUS BYTES' per line),
#        APACHE_ERROR_LOG.
#   stop_apache          stops the instance started last (TERM, then waits)
#   apache_public_html USER
#        creates and prints $APACHE_HOME/USER/public_html
#
# Hooks, read by start_apache:
#   APACHE_MODULES   more module names to load (e.g. "cgi" loads mod_cgi.so)
#   APACHE_DIR_CONF  lines inside the public_html <Directory> block
#                    (e.g. "Options +ExecCGI" and "AddHandler cgi-script .cgi")
#   APACHE_CONF      lines at the end of the server config
#
# Run as root, Apache serves from workers running as www-data (it will not
# serve as root), so the files must be world-readable and every directory
# above them world-searchable, as on a real host.

APACHE_BIN=$(command -v apache2 || echo /usr/sbin/apache2)
APACHE_MODDIR=${APACHE_MODDIR:-/usr/lib/apache2/modules}
APACHE_HOME=${APACHE_HOME:-$TRASH/home}
APACHE_PID=

apache_public_html() {
	local dir="$APACHE_HOME/$1/public_html"
	mkdir -p "$dir" &&
	chmod a+rx "$APACHE_HOME" "$APACHE_HOME/$1" "$dir" || return 1
	# A checkout under a private home would give 403s that look like bugs.
	if [ "$(id -u)" = 0 ] && ! runuser -u www-data -- test -x "$dir"; then
		echo "apache_public_html: www-data cannot reach $dir: a directory above it is not world-searchable" >&2
		return 1
	fi
	printf '%s\n' "$dir"
}

# apache_conf OVERRIDE BASE PORT: the config file's text.
apache_conf() {
	local override="$1" base="$2" port="$3" m
	cat <<-EOC
	ServerName 127.0.0.1
	ServerRoot $base
	Listen 127.0.0.1:$port
	PidFile $base/httpd.pid
	ErrorLog $base/error.log
	LogLevel warn
	DefaultRuntimeDir $base
	Mutex file:$base default
	EOC
	for m in mpm_prefork authz_core authz_host access_compat mime dir autoindex \
		alias negotiation userdir headers expires $APACHE_MODULES; do
		printf 'LoadModule %s_module %s/mod_%s.so\n' "$m" "$APACHE_MODDIR" "$m"
	done
	if [ "$(id -u)" = 0 ]; then
		printf 'User www-data\nGroup www-data\n'
	fi
	cat <<-EOC
	StartServers 2
	MinSpareServers 1
	MaxSpareServers 4
	MaxRequestWorkers 16
	TypesConfig /etc/mime.types
	LogFormat "%h \"%r\" %>s %B" lfs
	CustomLog $base/access.log lfs
	DocumentRoot $base/htdocs
	# From Debian's apache2.conf.
	<Directory />
	    Options FollowSymLinks
	    AllowOverride None
	    Require all denied
	</Directory>
	AccessFileName .htaccess
	<FilesMatch "^\.ht">
	    Require all denied
	</FilesMatch>
	# Debian's mods-available/userdir.conf, with an absolute path.
	UserDir $APACHE_HOME/*/public_html
	<Directory $APACHE_HOME/*/public_html>
	    AllowOverride $override
	    Options MultiViews Indexes SymLinksIfOwnerMatch IncludesNoExec
	    Require method GET POST OPTIONS
	$APACHE_DIR_CONF
	</Directory>
	$APACHE_CONF
	EOC
}

start_apache() {
	local override="$1" name="${2:-apache}" base port tries=0 i
	base="$TRASH/$name"
	mkdir -p "$base/htdocs" "$APACHE_HOME" || return 1
	chmod a+rx "$APACHE_HOME" || return 1
	while [ $tries -lt 20 ]; do
		port=$(( 20000 + (RANDOM % 20000) ))
		apache_conf "$override" "$base" "$port" >"$base/httpd.conf" || return 1
		: >"$base/error.log"
		# Its own config only: nothing from /etc/apache2 or its envvars.
		# Its own process group too: at shutdown the parent signals its
		# whole group, which would otherwise be the test's.  (setsid execs
		# in place here, as a background job is no group leader.)
		setsid "$APACHE_BIN" -f "$base/httpd.conf" -DFOREGROUND >>"$base/error.log" 2>&1 &
		APACHE_PID=$!
		i=0
		while [ $i -lt 200 ]; do
			if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
				APACHE_URL="http://127.0.0.1:$port"
				APACHE_PORT=$port
				APACHE_ACCESS_LOG="$base/access.log"
				APACHE_ERROR_LOG="$base/error.log"
				export APACHE_URL APACHE_PID APACHE_PORT APACHE_ACCESS_LOG APACHE_ERROR_LOG
				test_atexit "kill $APACHE_PID 2>/dev/null; wait $APACHE_PID 2>/dev/null"
				return 0
			fi
			kill -0 "$APACHE_PID" 2>/dev/null || break
			sleep 0.05
			i=$((i + 1))
		done
		kill "$APACHE_PID" 2>/dev/null
		wait "$APACHE_PID" 2>/dev/null
		APACHE_PID=
		grep -q "Address already in use" "$base/error.log" || { cat "$base/error.log" >&2; return 1; }
		tries=$((tries + 1))
	done
	echo "start_apache: no free port found" >&2
	return 1
}

stop_apache() {
	[ -n "$APACHE_PID" ] || return 0
	kill -TERM "$APACHE_PID" 2>/dev/null
	wait "$APACHE_PID" 2>/dev/null
	APACHE_PID=
}
