#!/bin/bash
test_description='file descriptors: the soft limit is raised at start, connections stay within the limit, and running out answers 503 with Retry-After, never store damage'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# slow.pl PORT PATH N SECONDS: N connections GET PATH and read only the
# status line, with a tiny receive window, so each download stays in
# progress (object fd open).  Prints one status per connection ("none"
# when the server closed it unanswered) once all have answered or waited
# 5 s, then holds them SECONDS more and exits.
cat >slow.pl <<'EOF'
use strict;
use warnings;
use Socket;
use IO::Select;
use Time::HiRes qw(time);
$SIG{PIPE} = 'IGNORE';
my ($port, $path, $n, $hold) = @ARGV;
my (@socks, %status);
for my $i (1 .. $n) {
	socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
	setsockopt($s, SOL_SOCKET, SO_RCVBUF, 4096);
	connect($s, sockaddr_in($port, inet_aton('127.0.0.1'))) or die "connect: $!";
	syswrite($s, "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	push @socks, $s;
}
my $sel = IO::Select->new(@socks);
my $end = time + 5;
while ($sel->count && time < $end) {
	for my $s ($sel->can_read(0.2)) {
		my $buf;
		my $got = sysread($s, $buf, 64);
		$status{fileno($s)} = $got && $buf =~ m{^HTTP/1\.1 (\d+)} ? $1 : 'none';
		$sel->remove($s);
	}
}
print $status{fileno($_)} // 'waiting', "\n" for @socks;
close STDOUT;
sleep $hold;
EOF

printf 'x%.0s' $(seq 1 1024) >k.txt
# 8 MiB: more than a socket's send buffer (4 MiB at most), so a download
# whose client does not read stays in progress, its object fd open.
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13; do cat k.txt k.txt >k2.txt && mv k2.txt k.txt; done
OID=$(sha256_of k.txt)
OBJ=/r/info/lfs/objects/$OID

soft_hard() {
	awk '/^Max open files/ { print $4, $5 }' "/proc/$LFS_PID/limits"
}

# 1. A soft limit below the hard one is raised at start.
HARD=$(ulimit -Hn)
ulimit -Sn 256
start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }
ulimit -Sn "$HARD"
test_expect_success 'the soft fd limit is raised to the hard limit at start' '
	test "$(soft_hard)" = "$HARD $HARD"
'
test_expect_success 'setup: an 8 MiB object' '
	lfs_upload r k.txt
'
stop_lfs_server

# 2. A hard limit of 128: the server takes only the connections it has
# descriptors for; 60 slow downloads get 200 or are closed unanswered,
# never a 500 or damage in the log.  (A wrapper sets the limit; exec keeps
# the pid.)
mkdir -p lowbin
printf '#!/bin/sh\nulimit -n 128 && exec "%s/lfs-server" "$@"\n' "$BIN" >lowbin/lfs-server
chmod +x lowbin/lfs-server
REAL_BIN=$BIN
BIN=$TRASH/lowbin start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }
BIN=$REAL_BIN
test_expect_success 'at fd limit 128, the connection limit shrinks to fit (logged)' '
	test "$(soft_hard)" = "128 128" &&
	grep -q "file descriptor limit 128: serving at most [0-9]* connections" "$LFS_LOG"
'
test_expect_success '60 slow downloads at fd limit 128: no 500, no 503, no store damage' '
	perl slow.pl "${LFS_URL##*:}" "$OBJ" 60 2 >slow.out &&
	test "$(wc -l <slow.out)" = 60 &&
	test "$(grep -c "^200$" slow.out)" -ge 10 &&
	test -z "$(grep -v -e "^200$" -e "^none$" -e "^waiting$" slow.out)" || { sort slow.out | uniq -c >&2; false; }
' 
test_expect_success 'nothing was logged as damage; the server serves after they end' '
	! grep -E "unreadable|Too many open files" "$LFS_LOG" &&
	POLL_TRIES=200 test_poll test "$(curl -sS -o /dev/null -w "%{http_code}" --max-time 5 "$LFS_URL$OBJ")" = 200
'
stop_lfs_server

# 3. Out of descriptors anyway (the limit lowered under a running server):
# idle connections take all but one descriptor, so the next download is
# accepted but cannot open the object.
start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }
# The smallest limit that leaves the server exactly $1 free descriptor
# numbers (new descriptors take the lowest free number; those above the
# soft limit are refused).
limit_leaving() {
	ls "/proc/$LFS_PID/fd" | sort -n | awk -v want="$1" '
		{ used[$1] = 1 }
		END { for (l = 0; ; l++) { if (!(l in used)) free++; if (free == want) { print l + 1; exit } } }'
}
test_expect_success 'out of descriptors: 503 with Retry-After, not 500, not logged as damage' '
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do curl -sS -o /dev/null "$LFS_URL$OBJ" & done; wait &&
	lim=$(limit_leaving 12) &&
	prlimit --pid "$LFS_PID" --nofile=$lim:$HARD &&
	test_when_finished "prlimit --pid $LFS_PID --nofile=$HARD:$HARD" &&
	perl -MIO::Socket::INET -e '"'"'
		my ($port, $lim, $pid, $path) = @ARGV;
		# descriptors numbered below the limit (what the kernel counts)
		sub used { scalar grep { m{/(\d+)$} && $1 < $lim } glob("/proc/$pid/fd/*") }
		my @idle;
		for (1 .. 50) {
			my $n = used();
			last if $n >= $lim - 1;
			push @idle, IO::Socket::INET->new("127.0.0.1:$port") or die;
			for (1 .. 100) { last if used() > $n; select(undef, undef, undef, 0.02) }
		}
		my $s = IO::Socket::INET->new("127.0.0.1:$port") or die;
		print $s "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
		local $/; print scalar <$s>;
	'"'"' "${LFS_URL##*:}" "$lim" "$LFS_PID" "$OBJ" >busy.resp &&
	head -n1 busy.resp | grep -q "^HTTP/1.1 503" &&
	grep -qi "^Retry-After: [0-9]" busy.resp &&
	grep -q "^{\"message\":" busy.resp &&
	! grep -E "unreadable" "$LFS_LOG"
'
test_expect_success 'the server serves again once descriptors are back' '
	prlimit --pid "$LFS_PID" --nofile=$HARD:$HARD &&
	POLL_TRIES=200 test_poll test "$(curl -sS -o /dev/null -w "%{http_code}" --max-time 5 "$LFS_URL$OBJ")" = 200
'
test_expect_success 'server stops cleanly' 'stop_lfs_server'
test_done
