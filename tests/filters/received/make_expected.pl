#!/usr/bin/perl
# Regenerates expected.txt: SpamAssassin's own relay pseudo-headers for every message in
# messages/ (sorted by name), as `spamassassin -L -t` computes them with the installed
# configuration (Debian 4.0.1, no trusted_networks/internal_networks).
#   perl make_expected.pl messages > expected.txt
# Output, per message:
#   == <file name>
#   trusted: <X-Spam-Relays-Trusted>
#   untrusted: <X-Spam-Relays-Untrusted>
#   internal: <X-Spam-Relays-Internal>
#   external: <X-Spam-Relays-External>
#   unparseable: <number of Received fields SpamAssassin could not read>
use strict;
use warnings;
use File::Temp qw(tempdir);
use Mail::SpamAssassin;

my $dir = shift @ARGV or die "usage: $0 MESSAGES_DIR\n";
opendir(my $dh, $dir) or die "$dir: $!\n";
my @files = sort grep { /\.eml$/ } readdir($dh);
closedir($dh);

my $home = tempdir(CLEANUP => 1);
my $sa = Mail::SpamAssassin->new({
  local_tests_only => 1,
  dont_copy_prefs => 1,
  userprefs_filename => "$home/user_prefs",
  home_dir_for_helpers => $home,
  userstate_dir => $home,
  post_config_text => "use_bayes 0\nuse_auto_whitelist 0\n",
});
$sa->init(1);

for my $file (@files) {
  open(my $fh, '<:raw', "$dir/$file") or die "$file: $!\n";
  my $text = do { local $/; <$fh> };
  close($fh);
  my $mail = $sa->parse($text);
  my $pms = $sa->check($mail);
  print "== $file\n";
  for my $which (qw(Trusted Untrusted Internal External)) {
    my $value = $pms->get("X-Spam-Relays-$which");
    $value = '' unless defined $value;
    $value =~ s/\n\z//;
    print lc($which), ": $value\n";
  }
  print "unparseable: ", ($pms->{num_relays_unparseable} || 0), "\n";
  $pms->finish();
  $mail->finish();
}
