#!/usr/bin/perl
# lfs-actions.pl OP: reads an LFS batch answer on stdin and prints one line
# per object, "OID<TAB>HREF<TAB>AUTHORIZATION", for `make bench`.  An
# object without the OP action prints "OID<TAB>-<TAB>-" (upload of an
# object the repo already has).  An object with an error, or an answer
# that is not a batch answer, makes it exit 1 with the reason on stderr.
use strict;
use warnings;
use JSON::PP;

my $op = shift or die "usage: lfs-actions.pl upload|download\n";
my $text = do { local $/; <STDIN> };
my $doc = eval { decode_json($text) } or die "lfs-actions: not JSON: $@";
ref $doc->{objects} eq 'ARRAY' or die "lfs-actions: no objects array in the answer\n";
for my $o (@{ $doc->{objects} }) {
	if ($o->{error}) {
		die sprintf "lfs-actions: %s: error %s %s\n", $o->{oid},
		    $o->{error}{code} // '?', $o->{error}{message} // '';
	}
	my $a = $o->{actions} && $o->{actions}{$op};
	if (!$a) {
		print "$o->{oid}\t-\t-\n";
		next;
	}
	my $auth = ($a->{header} || {})->{Authorization} // '-';
	print "$o->{oid}\t$a->{href}\t$auth\n";
}
