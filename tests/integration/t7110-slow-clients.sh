#!/bin/bash
test_description='600 connections trickling headers from one address neither starve other clients nor stay open past the header deadline'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# trickle.pl PORT N SECONDS READY: opens N connections from 127.0.0.2 and
# sends each a request a byte every 3 s (the slow client; the pace is the
# attack, not synchronisation).  READY gets the number opened once all
# are; after SECONDS it prints how many the server has not closed, and
# exits: the clients stop by themselves.
cat >trickle.pl <<'EOF'
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time);
$SIG{PIPE} = 'IGNORE';
my ($port, $n, $secs, $ready) = @ARGV;
my %open;
for (1 .. $n) {
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
		LocalAddr => '127.0.0.2', Proto => 'tcp', Timeout => 5) or next;
	$c->blocking(0);
	$open{fileno($c)} = { sock => $c, pos => 0 };
}
open(my $f, '>', "$ready.tmp") or die;
print $f scalar(keys %open), "\n";
close $f;
rename("$ready.tmp", $ready) or die;
my $req = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: trickle\r\n\r\n";
my ($end, $next) = (time + $secs, 0);
while (time < $end) {
	if (time >= $next) {
		for my $k (keys %open) {
			my $c = $open{$k};
			my $w = syswrite($c->{sock}, substr($req, $c->{pos} % length($req), 1));
			if (defined $w) { $c->{pos}++ } elsif (!$!{EAGAIN}) { delete $open{$k} }
		}
		$next = time + 3;
	}
	my $sel = IO::Select->new(map { $_->{sock} } values %open);
	for my $s ($sel->can_read(0.25)) {
		my $buf;
		my $got = sysread($s, $buf, 4096);
		delete $open{fileno($s)} if !$got && !(defined $got || $!{EAGAIN});
		delete $open{fileno($s)} if defined $got && $got == 0;
	}
}
print scalar(keys %open), "\n";
EOF

start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }
PORT=${LFS_URL##*:}

perl trickle.pl "$PORT" 600 16 ready >trickle.out 2>trickle.err &
TRICKLE=$!
test_atexit "kill $TRICKLE 2>/dev/null"

test_expect_success 'setup: 600 trickling connections from 127.0.0.2' '
	POLL_TRIES=600 test_poll test -s ready &&
	test "$(cat ready)" -ge 500
'

test_expect_success 'meanwhile 20 requests from 127.0.0.1 each get their answer within 2 s' '
	test -e /proc/$TRICKLE &&
	for i in $(seq 1 20); do
		code=$(curl -sS -o /dev/null -w "%{http_code}" --max-time 2 "$LFS_URL/healthz") &&
		test "$code" = 200 || { echo "request $i: ${code:-no answer}" >&2; return 1; }
	done &&
	test -e /proc/$TRICKLE
'

test_expect_success 'no trickling connection outlived the header deadline' '
	POLL_TRIES=600 test_poll test -s trickle.out &&
	test "$(cat trickle.out)" = 0 &&
	grep -q "closing connection: request deadline passed" "$LFS_LOG"
'

test_expect_success 'server stops cleanly' 'stop_lfs_server'

# Behind a proxy every client has the proxy's address: no per-address
# limit there (it is the proxy's job), so 100 connections from one
# address all stay open until the clients stop, within the header deadline.
printf '[server]\n\tbehind-proxy = true\n' >proxy.cfg
start_lfs_server --config proxy.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }
test_expect_success 'behind-proxy: one address may hold more than 64 connections' '
	perl trickle.pl "${LFS_URL##*:}" 100 4 ready2 >trickle2.out &&
	test "$(cat ready2)" = 100 &&
	test "$(cat trickle2.out)" = 100
'
test_expect_success 'server stops cleanly (behind-proxy)' 'stop_lfs_server'
test_done
