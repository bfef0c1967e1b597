#!/usr/bin/perl
# Ground truth for bench/sa_agreement.py: the rules SpamAssassin hits on each message, run
# locally (no network tests, no Bayes, no auto-whitelist), as `spamassassin -L -t` would,
# but listing every rule hit including score-0 and `__` sub-rules.
# Usage: sa_truth.pl [--rules DIR] MESSAGE...   → one JSON object per line:
#   {"file": "...", "tests": ["GTUBE", ...], "subtests": ["__FOO", ...], "score": 1000.0}
use strict;
use warnings;
use lib '/usr/share/perl5';
use Mail::SpamAssassin;
use JSON::PP;

my $rules_dir;
if (@ARGV >= 2 && $ARGV[0] eq '--rules') { shift; $rules_dir = shift; }
my $sa = Mail::SpamAssassin->new({
  local_tests_only => 1,
  dont_copy_prefs => 1,
  userprefs_filename => '/dev/null',
  ($rules_dir ? (rules_filename => $rules_dir) : ()),
  post_config_text => "use_bayes 0\nuse_auto_whitelist 0\nuse_txrep 0\n",
});
$sa->init(1);
my $json = JSON::PP->new->canonical;
for my $file (@ARGV) {
  open my $fh, '<', $file or die "$file: $!";
  binmode $fh;
  my $text = do { local $/; <$fh> };
  close $fh;
  my $msg = $sa->parse($text);
  my $pms = $sa->check($msg);
  my @tests = grep { length } split /,/, $pms->get_names_of_tests_hit;
  my %sub = map { $_ => 1 } @{ $pms->{subtest_names_hit} || [] };
  print $json->encode({ file => $file, tests => [sort @tests], subtests => [sort keys %sub],
                        score => $pms->get_score + 0 }), "\n";
  $pms->finish;
  $msg->finish;
}
