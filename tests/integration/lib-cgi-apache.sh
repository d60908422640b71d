# lib-cgi-apache.sh: the LFS service in CGI mode, installed with `lfs-cgi install`
# into ~tock/public_html/lfs and served by a real Apache (lib-apache.sh):
# Debian's stock userdir block plus what a university that allows CGI
# adds (Options +ExecCGI, AddHandler cgi-script .cgi), the CGI running as
# the account owner (Apache's User is that account: www-data when the
# tests run as root, else the tester).  Source after lib-server.sh and
# lib-apache.sh.
#
#   start_cgi_service [CONFIG LINES...]
#        users alice (writer), bob (stranger), rita (reader); the config
#        has the data dir and users file outside public_html plus the
#        given lines (repo rules); installs, starts Apache.  Sets CGI_BASE
#        (the --url), CGI_URL (CGI_BASE/lfs-server.cgi), CGI_PUBLIC
#        (PUBLIC_DIR), CGI_DATA, CGI_CONF, CGI_PRIV (the account's private
#        dir, holding lfs-cgi), CGI_ACCOUNT, CGI_HOSTPORT; LFS_URL=CGI_URL
#        so lib-server.sh's batch/lfs_upload helpers talk to the CGI.
#   as_account CMD...     runs CMD as the account owner
#   cgi_creds USER        a credential store file for USER (path printed)
#   cgi_procs             prints any lfs-cgi process still running
#   cgi_static_gets OID   Apache's access-log lines of static fetches of OID

CGI_ACCOUNT=$(id -un)
[ "$(id -u)" = 0 ] && CGI_ACCOUNT=www-data

as_account() {
	if [ "$(id -u)" = 0 ]; then runuser -u "$CGI_ACCOUNT" -- "$@"; else "$@"; fi
}

start_cgi_service() {
	local ph home
	ph=$(apache_public_html tock) || return 1
	home=$(dirname "$ph")
	CGI_PRIV="$home/lfs"
	CGI_PUBLIC="$ph/lfs"
	CGI_DATA="$CGI_PRIV/data"
	CGI_CONF="$CGI_PRIV/lfs-server.conf"
	mkdir -p "$CGI_PRIV" && chmod 700 "$CGI_PRIV" &&
	cp "$BIN/lfs-cgi" "$CGI_PRIV/lfs-cgi" &&
	htpasswd -B -C 4 -bc "$CGI_PRIV/users" alice alice-pw 2>/dev/null &&
	htpasswd -B -C 4 -b "$CGI_PRIV/users" bob bob-pw 2>/dev/null &&
	htpasswd -B -C 4 -b "$CGI_PRIV/users" rita rita-pw 2>/dev/null || return 1
	{
		printf '[server]\n\tdata = %s\n[auth]\n\tusers = %s\n' "$CGI_DATA" "$CGI_PRIV/users"
		printf '%s\n' "$@"
	} >"$CGI_CONF" || return 1
	chown -R "$CGI_ACCOUNT" "$home" || return 1
	APACHE_MODULES="cgi ${APACHE_MODULES:-}"
	APACHE_DIR_CONF="    Options +ExecCGI
    AddHandler cgi-script .cgi
${APACHE_DIR_CONF:-}"
	start_apache "FileInfo AuthConfig Limit Indexes" cgi-apache || return 1
	CGI_BASE="$APACHE_URL/~tock/lfs"
	CGI_URL="$CGI_BASE/lfs-server.cgi"
	CGI_HOSTPORT=${APACHE_URL#http://}
	as_account "$CGI_PRIV/lfs-cgi" install "$CGI_PUBLIC" --url "$CGI_BASE" --config "$CGI_CONF" \
		>"$TRASH/cgi-install.out" || return 1
	LFS_URL=$CGI_URL
	export CGI_BASE CGI_URL CGI_PUBLIC CGI_DATA CGI_CONF CGI_PRIV CGI_HOSTPORT LFS_URL
	test_log_file "$APACHE_ERROR_LOG"
}

cgi_creds() {
	printf 'http://%s:%s-pw@%s\n' "$1" "$1" "$CGI_HOSTPORT" >"$TRASH/creds-$1" &&
	printf '%s\n' "$TRASH/creds-$1"
}

cgi_procs() {
	ps -eo pid=,args= | grep -F "$CGI_PRIV/lfs-cgi" | grep -v grep
}

cgi_static_gets() {
	grep -F "\"GET /~tock/lfs/objects/${1:0:2}/${1:2:2}/$1 HTTP/1.1\" 200" "$APACHE_ACCESS_LOG"
}
