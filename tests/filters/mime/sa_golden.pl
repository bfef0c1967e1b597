#!/usr/bin/perl
# Writes SpamAssassin's view of each message next to it, for message_view_test.cpp:
#   <name>.body  the rendered body array (get_rendered_body_text_array), elements joined, a
#                "\n" added after an element that does not end in one (portcullis joins the
#                array that way) except the last;
#   <name>.uris  get_uri_list(), sorted, one per line.
# Usage (SpamAssassin 4.0.1 installed): perl sa_golden.pl messages/*.eml
use strict; use warnings;
use Mail::SpamAssassin;
use File::Temp qw(tempdir);
my $empty = tempdir(CLEANUP => 1);
my $sa = Mail::SpamAssassin->new({ local_tests_only => 1, dont_copy_prefs => 1,
  userprefs_filename => '/dev/null', site_rules_filename => $empty, rules_filename => $empty,
  post_config_text => "normalize_charset 1\nutil_rb_tld com net org de fr ru\n" });
$sa->init(0);
for my $file (@ARGV) {
  open(my $in, '<', $file) or die "$file: $!";
  my $raw = do { local $/; <$in> };
  close $in;
  my $msg = $sa->parse($raw, 1);
  my $pms = Mail::SpamAssassin::PerMsgStatus->new($sa, $msg);
  my @lines = @{$msg->get_rendered_body_text_array()};
  my $body = '';
  for my $i (0 .. $#lines) {
    $body .= $lines[$i];
    $body .= "\n" if $i < $#lines && $lines[$i] !~ /\n\z/;
  }
  (my $base = $file) =~ s/\.eml\z//;
  open(my $b, '>:raw', "$base.body") or die; print $b $body; close $b;
  open(my $u, '>:raw', "$base.uris") or die; print $u map { "$_\n" } sort $pms->get_uri_list(); close $u;
  $pms->finish; $msg->finish;
}
