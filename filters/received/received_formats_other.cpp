// The rest of the Received formats after "from " (Yahoo, MDaemon, CommuniGate, Obtuse
// smtpd, smap, F-Secure, plain "from [IP] by host" and the generic "from X (Y [IP]) by Z"),
// then the known non-handovers (local submission, mail fetchers, content scanners, …), and
// the "FROM " and "(from " families. Same order as SpamAssassin 4.0.1: an earlier format
// that fits wins even when a later one would read more.
// Untrusted input: the text. Limits: the shared step budget (match_kit.hpp).
// Gaps: see received_relays.hpp.
#include <string>
#include <string_view>

#include "filters/received/received_line.hpp"

namespace portcullis::received::detail {
namespace {

using namespace kit;

inline constexpr CharSet kParenOrBracket = CharSet::of(")[");

bool contains(std::string_view s, std::string_view what) {
  return s.find(what) != std::string_view::npos;
}
std::string str(std::string_view v) { return std::string(v); }

std::string without_trailing_at(std::string_view v) {
  if (!v.empty() && v.back() == '@') v.remove_suffix(1);
  return std::string(v);
}

// Formats that name the IP right after "from" or inside one bracketed comment.
Step bracketed(Ctx& c, Fields& f) {
  if (contains(c.s, " via HTTP") &&
      match(c, seq("[", cap<1>(IP), "] by ", cap<2>(S1), " via HTTP", END))) {
    f.ip = str(c[1]);
    f.by = str(c[2]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " ( [", cap<2>(IP), "])", LazyAny, " by ", cap<3>(S1), " "))) {
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  if (match(c, seq("(", cap<1>(S1), " [", cap<2>(IP), "]) by ", cap<3>(S1), " "))) {
    f.helo = str(c[1]);
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  if (match(c, seq("[", cap<1>(IP), "] by ", cap<2>(S1), " ")) ||
      match(c, seq("(", opt("["), cap<1>(IP), opt("]"), ") by ", cap<2>(S1), " "))) {
    f.ip = str(c[1]);
    f.by = str(c[2]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " [", cap<2>(IP), "] by ", cap<3>(S1), " [", IP, "] with ")) ||
      match(c, seq(cap<1>(S1), " [(", cap<2>(IP), ")] by ", cap<3>(S1), " (", IP, ") ")) ||
      match(c, seq(cap<1>(S1), " ([", cap<2>(IP), "]) by ", cap<3>(S1), " ("))) {
    f.helo = str(c[1]);
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  // the generic sendmail-like "from helo (rdns [IP]) … by host"
  if (match(c, seq(cap<1>(S1), " (", cap<2>(S1), " [", cap<3>(IP), "])", LazyAny, " by ",
                   cap<4>(S1), WB))) {
    if (c[2] != "softdnserr") f.rdns = str(c[2]);  // couriertcpd's "no rDNS" marker
    f.helo = str(c[1]);
    f.ip = str(c[3]);
    f.by = str(c[4]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " ([", cap<2>(IP), opt(run(kDotColon, 1, 1), D1), "])", LazyAny,
                   " by ", cap<3>(S1), " "))) {
    f.helo = str(c[1]);
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " (", cap<2>(S1), " [", cap<3>(IP), "])",
                   opt(" (authenticated bits=", D1, ")"), " by ", cap<4>(S1), " ("))) {
    f.helo = str(c[1]);
    f.rdns = str(c[2]);
    f.ip = str(c[3]);
    f.by = str(c[4]);
    return Step::kRelay;
  }
  return Step::kNoMatch;
}

// qmail-like lines that the strict qmail format did not take.
Step qmailish(Ctx& c, Fields& f) {
  if (match(c, seq(cap<1>(S1), " (", HELO_EHLO, " ", cap<2>(run(kNotCloseParen, 0)), ") (",
                   opt(cap<3>(S0, "@")), opt("["), cap<4>(IP), opt("]"), ")", Any0, " by ",
                   cap<5>(S1), " "))) {
    f.rdns = str(c[1]);
    f.helo = str(c[2]);
    f.ident = c.got[3] ? without_trailing_at(c[3]) : std::string();
    f.ip = str(c[4]);
    f.by = str(c[5]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " (", opt(cap<2>(S0, "@")), opt("["), cap<3>(IP), opt("]"), ")",
                   Any0, " by ", cap<4>(S1), " "))) {
    f.rdns = str(c[1]);
    f.helo = f.rdns;
    f.ident = c.got[2] ? without_trailing_at(c[2]) : std::string();
    f.ip = str(c[3]);
    f.by = str(c[4]);
    return Step::kRelay;
  }
  return Step::kNoMatch;
}

// Products that say who they are (outblaze, smap, Post.Office, ArGoSoft, InterScan, …).
Step products(Ctx& c, Fields& f) {
  const std::string_view t = c.s;
  auto ip_by = [&] {
    f.ip = str(c[1]);
    f.by = str(c[2]);
    return Step::kRelay;
  };
  if (contains(t, " with http for ") &&
      match(c, seq("[", cap<1>(IP), "] by ", cap<2>(S1), " with http for ")))
    return ip_by();
  if (contains(t, " via smap ") &&
      match(c, seq(cap<1>(S1), "(", cap<2>(IP), ") by ", cap<3>(S1), " via smap "))) {
    f.rdns = str(c[1]);
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), "(", cap<2>(IP), ", ", HELO_EHLO, " ", cap<3>(S0), ") by ",
                   cap<4>(S1), " via smap "))) {
    f.rdns = str(c[1]);
    f.ip = str(c[2]);
    f.helo = str(c[3]);
    f.by = str(c[4]);
    return Step::kRelay;
  }
  if ((contains(t, " (Post") && match(c, seq("[", cap<1>(IP), "] by ", cap<2>(S1), " (Post"))) ||
      (contains(t, " (ArGoSoft") &&
       match(c, seq("[", cap<1>(IP), "] by ", cap<2>(S1), " (ArGoSoft"))) ||
      match(c, seq(cap<1>(IP), " by ", cap<2>(S1), " (", alt("SMTPL", "InterScan"), WB)))
    return ip_by();
  return Step::kNoMatch;
}

// Everything between the BSMTP skip and the X-Originating-IP pseudo line.
Step late_formats(Ctx& c, Fields& f) {
  if (match(c, seq(cap<1>(S1), " (", cap<2>(S1), " [", cap<3>(IP), "]) by ", cap<4>(S1),
                   " with "))) {
    f.helo = str(c[1]);
    f.rdns = str(c[2]);
    f.ip = str(c[3]);
    f.by = str(c[4]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " (", HELO_EHLO, " ", cap<2>(S0), ") (", opt(cap<3>(S1), "@"),
                   cap<4>(IP), LazyAny, ") by ", cap<5>(S1), " with "))) {
    f.rdns = str(c[1]);
    f.helo = str(c[2]);
    if (c.got[3]) f.ident = str(c[3]);
    f.ip = str(c[4]);
    f.by = str(c[5]);
    return Step::kRelay;
  }
  if (match(c, seq("[", cap<1>(IP), "] (", opt("account ", S1, " "), HELO_EHLO, " ", cap<2>(S0),
                   ") by ", cap<3>(S1), " ("))) {
    f.ip = str(c[1]);
    f.helo = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  if (contains(c.s, " (CommuniGate Pro") &&
      match(c, seq(cap<1>(S1), " ([", cap<2>(IP), "] verified) by ", cap<3>(S1), " ("))) {
    f.rdns = str(c[1]);
    f.helo = f.rdns;
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  if (match(c, seq("([", cap<1>(IP), "]) by ", cap<2>(S1), " with "))) {
    f.ip = str(c[1]);
    f.by = str(c[2]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(run(kNotDigit, 1, 1), S1), " (", cap<2>(IP), ") by ", cap<3>(S1), " "))) {
    f.helo = str(c[1]);
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  if (match(c, seq(S1, " (", S1, ") by ", S1, " (Content Technologies "))) return Step::kSkip;
  if (match(c, seq(cap<1>(S1), " ([", cap<2>(IP), "] [", S1, "]) by ", cap<3>(S1), " with "))) {
    f.helo = str(c[1]);
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(IP), " by ", cap<2>(S1), " with "))) {
    f.ip = str(c[1]);
    f.by = str(c[2]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " (", cap<2>(S1), "[", cap<3>(IP), "]) by ", cap<4>(S1), " "))) {
    f.helo = str(c[1]);
    f.rdns = str(c[2]);
    f.ip = str(c[3]);
    f.by = str(c[4]);
    return Step::kRelay;
  }
  if (match(c, seq("[", cap<1>(IP), "]", S1, " (", HELO_EHLO, " ", cap<2>(S0), ") by ",
                   cap<3>(S1), " ")) ||
      match(c, seq(cap<1>(IP), " (", HELO_EHLO, " ", cap<2>(S0), ") by ", cap<3>(S1), " "))) {
    f.ip = str(c[1]);
    f.helo = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " [", cap<2>(IP), "] by ", cap<3>(S1), " "))) {
    f.helo = str(c[1]);
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), "(", cap<2>(IP), ") by ", cap<3>(S1), " "))) {
    f.rdns = str(c[1]);
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  if (match(c, seq("[", cap<1>(IP), "] by ", cap<2>(S1), " (MailGate "))) {
    f.ip = str(c[1]);
    f.by = str(c[2]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " (unverified [", cap<2>(IP), "]) by ", cap<3>(S1), " "))) {
    f.helo = str(c[1]);
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(IP), " (", run(kAlpha, 1, 1), run(kNotCloseParen), ") by ", cap<2>(S1),
                   " with "))) {
    f.ip = str(c[1]);
    f.by = str(c[2]);
    return Step::kRelay;
  }
  if (match(c, seq("[", cap<1>(IP), "] (", cap<2>(run(kNotCloseParen)), ") by ", cap<3>(S1),
                   " "))) {
    f.ip = str(c[1]);
    f.by = str(c[3]);
    read_helo_ident(c[2], f);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " (", opt(S1, "@"), cap<2>(IP), ") by ", cap<3>(S1), " with "))) {
    f.rdns = str(c[1]);
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  // Obtuse smtpd: "from rdns(IP), claiming to be "helo" via SMTP by host, id …"
  if (match(c, seq(cap<1>(S1), "(", cap<2>(IP), ")", opt(", claiming to be \"", cap<3>(S1), "\""),
                   " via ", S1, " by ", cap<4>(S1), ","))) {
    f.rdns = str(c[1]);
    f.ip = str(c[2]);
    f.helo = c.got[3] ? str(c[3]) : std::string();
    f.by = str(c[4]);
    return Step::kRelay;
  }
  // Yahoo authenticated SMTP
  if (match(c, seq(cap<1>(S1), " (", S1, "@", cap<2>(IP), " with login) by ",
                   cap<3>(S1, ".yahoo.com"), " with SMTP"))) {
    f.helo = str(c[1]);
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  // the pseudo line relay_headers builds from X-Originating-IP and friends
  if (match(c, seq("X-Originating-IP: ", cap<1>(IP), END))) {
    f.ip = str(c[1]);
    f.by.clear();
    return Step::kRelay;
  }
  return Step::kNoMatch;
}

// Lines known not to describe a network handover we could use; "Skip" keeps them from
// counting as unparseable. qmail-scanner's note hands its envelope sender to the next
// (older) relay.
Step non_handovers(Ctx& c, Fields& f, LineResult& result) {
  if (match(c, seq(S1, " (", run(kNotSpaceAt), "@", LOCALHOST, ") by ", S1, " (")) ||
      match(c, seq(S1, " ", S1, " by ", S1, " with local-", opt("e"), "smtp ")) ||
      match(c, seq("127.0.0.1 (AVG SMTP ", S1, " [", S1, "])")) ||
      match(c, seq(S1, "@", S1, " by ", S1, " by uid ", S1, " ")) ||
      match(c, seq(S1, "@", S1, " by ", S1, " ")) || match(c, lit("Unknown/Local (")) ||
      match(c, seq(LOCALHOST, " (", opt(S1, "@"), LOCALHOST, run(kParenOrBracket, 1, 1))) ||
      match(c, seq(S1, " (", opt(S1, "@"), LOCALHOST, ") ")) ||
      match(c, seq(S1, " (", S1, "@", S1, " [", LOCALHOST, "]) ")) ||
      match(c, seq("(AUTH: ", S1, ") by ", S1, " with ")) ||
      match(c, lit("localhost (localhost [[UNIX: localhost]]) by ")) ||
      match(c, seq(S1, ".amazon.com by ", S1, ".amazon.com with ESMTP (peer crosscheck: ")) ||
      match(c, seq(run(kNotDot), " by ", S1, " with Novell_GroupWise")) ||
      match(c, seq("no.name.available by ", S1, " via smtpd (for ")))
    return Step::kSkip;
  if (match(c, seq(S1, " by ", S1, " (", run(kAnyChar, 0, 100), ") with qmail-scanner"))) {
    if (f.envfrom) result.scanner_envfrom = f.envfrom;  // cleaned by the caller
    return Step::kSkip;
  }
  if (match(c, seq(S1, " by ", S1, " with local")) ||
      match(c, seq(S1, " ([unix socket]) by ", S1, " (Cyrus v", run(kDigit, 0), ".",
                   run(kDigit, 0), ".", run(kDigit, 0), ") with LMTPA")) ||
      match(c, seq(S1, " by ", S1, " ", alt("with", "via", "for", "("))) ||
      match(c, seq(S1, " ", alt(seq(alt("with", "via", "for"), " ", S1), "(unverified)"), " by",
                   WB)) ||
      match(c, seq(S1, " (unknown) by ", S1, " (SG) with ", WB)) ||
      match(c, seq(S1, " (", S1, " [local]) by ", S1, " (OpenSMTPD) with ", WB)) ||
      contains(c.s, "(LSMTP for") ||
      match(c, seq("([", LOCALHOST, "]) with MailEnable ")) ||
      match(c, seq("facebook.com (", run(kNotCloseParen), ") by facebook.com with Thrift id ", S1,
                   END)) ||
      match(c, seq(S1, " named ", S1, " by gmailapi.google.com with HTTPREST", END)) ||
      match(c, seq(S1, " id ", S1, END)) || match(c, seq("[<", LazyAny, " (Jetsend")))
    return Step::kSkip;
  return Step::kNoMatch;
}

}  // namespace

Step from_other_formats(Ctx& c, Fields& f, LineResult& result) {
  Step s = bracketed(c, f);
  if (s != Step::kNoMatch) return s;
  // fetchmail/getmail: the handover into the mailbox that was fetched from
  if (search(c, seq("with ", alt("POP3", "IMAP")))) return Step::kMailFetch;
  if ((s = qmailish(c, f)) != Step::kNoMatch) return s;
  if ((s = products(c, f)) != Step::kNoMatch) return s;
  if (contains(c.s, " with BSMTP") && match(c, seq(S1, " by ", S1, " with BSMTP")))
    return Step::kSkip;
  if ((s = late_formats(c, f)) != Step::kNoMatch) return s;
  if ((s = non_handovers(c, f, result)) != Step::kNoMatch) return s;
  // no HELO found yet: take the first word
  if (!perl_true(f.helo) && match(c, seq(cap<1>(S1), run(kNotHostChar, 1, 1)))) f.helo = str(c[1]);
  return Step::kNoMatch;
}

Step from_uppercase(Ctx& c, Fields& f) {
  // simta, Rockliffe: "FROM helo (rdns [IP]) BY host ID id"
  if (match(c, seq(cap<1>(S1), " (", cap<2>(S1), " [", cap<3>(IP), "]) BY ", cap<4>(S1), " ",
                   opt("(", run(kNotCloseParen), ") WITH SMTP "), "ID ", opt("<"),
                   cap<5>(lazy_run(kNotSpace, 1)), opt(">"), opt(" FOR <", run(kNotGt), ">"),
                   END))) {
    f.helo = str(c[1]);
    f.rdns = c[2] == "unverified" ? std::string() : str(c[2]);
    f.ip = str(c[3]);
    f.by = str(c[4]);
    f.id = str(c[5]);
    return Step::kRelay;
  }
  return Step::kNoMatch;
}

Step from_parenthesised(Ctx& c, Fields& f) {
  // Norton AntiVirus gateway
  if (match(c, seq(cap<1>(S0), " [", cap<2>(IP), "]) by ", cap<3>(S1), " (NAVGW ", LazyAny,
                   ") with "))) {
    f.helo = str(c[1]);
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  // sendmail -t, jqueuemail: local submissions
  if (match(c, seq(S1, "@localhost) by ", S1, " ")) ||
      match(c, seq(run(kNotSpaceAt), "@", run(kNotCloseParen), ") by ", S1, "(jqueuemail) id ",
                   run(kNotSpaceSemi))))
    return Step::kSkip;
  return Step::kNoMatch;
}

}  // namespace portcullis::received::detail
