// Received formats of named MTAs after "from " (webmail front ends, Microsoft SMTPSVC and
// Exchange, XMail, ecelerity, Exim, Postfix, Scalix, Lotus Domino, sendmail, qpsmtpd,
// qmail), tried in the order SpamAssassin 4.0.1 tries them; the first that reads enough
// wins. Where SpamAssassin tests a cheap marker ("Exim" somewhere in the text) before its
// formats, so do we, because the marker decides which formats are tried at all.
// Untrusted input: the text (a normalised Received value without "from "). Limits: the
// shared step budget (match_kit.hpp). Gaps: see received_relays.hpp.
#include <string>
#include <string_view>

#include "filters/received/received_line.hpp"

namespace portcullis::received::detail {
namespace {

using namespace kit;

inline constexpr CharSet kDotDash = CharSet::of(".-");

bool contains(std::string_view s, std::string_view what) {
  return s.find(what) != std::string_view::npos;
}
std::string str(std::string_view v) { return std::string(v); }

// Webmail front ends that name the client IP in front of "by".
Step webmail(Ctx& c, Fields& f) {
  if (search(c, seq(" (", alt("SquirrelMail", "NaSMail"), " authenticated user ")) &&
      search(c, seq(cap<1>(IP), WB, not_ahead(run(kDotDash, 1, 1)), run(kAnyChar, 10, 80),
                    "by ", cap<2>(S1), " with HTTP"))) {
    f.ip = str(c[1]);
    f.by = str(c[2]);
    return Step::kRelay;
  }
  if (contains(c.s, "aol.com") && contains(c.s, "with HTTP (WebMailUI)") &&
      search(c, seq(cap<1>(IP), " by ", cap<2>(S1), " (", IP, ") with HTTP (WebMailUI)"))) {
    f.ip = str(c[1]);
    f.by = str(c[2]);
    return Step::kRelay;
  }
  return Step::kNoMatch;
}

Step microsoft_smtpsvc(Ctx& c, Fields& f) {
  // "from helo ([192.0.2.1] unverified) by host with Microsoft SMTPSVC(…)"
  if (match(c, seq(cap<1>(S0), " ([", cap<2>(IP), "]", run(kNotCloseParen, 0, 40), ") by ",
                   cap<3>(S1), " with Microsoft SMTPSVC"))) {
    f.helo = str(c[1]);
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  if (match(c, seq("mail pickup service by ", S1, " with Microsoft SMTPSVC", END)))
    return Step::kSkip;
  return Step::kNoMatch;
}

// Exchange and Outlook.com: "from HOST (IP) by HOST (IP) with Microsoft SMTP Server (…)
// id 15.20.…" or "with mapi id …". SpamAssassin drops the id here.
Step microsoft_exchange(Ctx& c, Fields& f) {
  if (match(c, seq(cap<1>(S1), " (", opt("["), cap<2>(IP), opt("%", run(kZoneChar, 0)), opt("]"),
                   ") by ", cap<3>(S1), " "))) {
    f.helo = str(c[1]);
    f.ip = str(c[2]);
    f.by = str(c[3]);
    f.id.clear();
    return Step::kRelay;
  }
  return Step::kNoMatch;
}

Step xmail(Ctx& c, Fields& f) {
  if (!match(c, seq(cap<1>(S1), " (", cap<2>(opt("["), IP, opt("]")), ":", D1, ") by ",
                    cap<3>(S1), opt(" (", S1, ")"), " with [XMail")))
    return Step::kNoMatch;
  f.helo = str(c[1]);
  f.ip = str(c[2]);
  f.by = str(c[3]);
  if (search(c, seq(" id <", cap<1>(S1), ">"))) f.id = str(c[1]);
  if (search(c, seq(" from <", cap<1>(S1), ">"))) f.envfrom = str(c[1]);
  return Step::kRelay;
}

Step ecelerity(Ctx& c, Fields& f) {
  if (match(c, seq("([", cap<1>(IP), ":", D1, "] helo=", cap<2>(S1), ") by ", cap<3>(S1), " "))) {
    f.ip = str(c[1]);
    f.helo = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  if (match(c, seq(S1, " ([", cap<1>(IP), ":", D1, "]) by ", cap<2>(S1), " "))) {
    f.ip = str(c[1]);
    f.by = str(c[2]);
    return Step::kRelay;
  }
  return Step::kNoMatch;
}

Step exim(Ctx& c, Fields& f) {
  if (search(c, seq(WB, "with local", opt("-", S1), " "))) return Step::kSkip;
  // "from [IP] (helo=… ident=…) by host"
  if (match(c, seq("[", cap<1>(IP), "] (", cap<2>(LazyAny), ") by ", cap<3>(S1), " "))) {
    f.ip = str(c[1]);
    f.by = str(c[3]);
    read_helo_ident(c[2], f);
    return Step::kRelay;
  }
  // "from rdns ([IP] helo=…) by host" — the HELO defaults to the rDNS name
  if (match(c, seq(cap<1>(S1), " ([", cap<2>(IP), "]", cap<3>(LazyAny), ") by ", cap<4>(S1),
                   " "))) {
    f.rdns = str(c[1]);
    f.helo = f.rdns;
    f.ip = str(c[2]);
    f.by = str(c[4]);
    read_helo_ident(c[3], f);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " [", cap<2>(IP), "]", opt(":", D1), " by ", cap<3>(S1), " "))) {
    f.rdns = str(c[1]);
    f.helo = f.rdns;
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  // Odd Exim spellings: pick up what can be found; an IP and a "by" are enough.
  if (match(c, seq(cap<1>(S1), " "))) f.rdns = str(c[1]);
  if (search(c, seq(" (", cap<1>(S1), ") "))) f.helo = str(c[1]);
  if (search(c, seq(" [", cap<1>(IP), opt(".", D1), "] "))) f.ip = str(c[1]);
  if (search(c, seq("by ", cap<1>(S1), " "))) {
    f.by = str(c[1]);
    if (perl_true(f.ip)) return Step::kRelay;
  }
  return Step::kNoMatch;
}

Step postfix(Ctx& c, Fields& f) {
  // "from helo (rdns [IP]) by host (Postfix) with …", also "(rdns[IP])" (pobox.com)
  if (match(c, seq(cap<1>(S1), " (", cap<2>(S1), " [", cap<3>(IP), "]) by ", cap<4>(S1), " ")) ||
      match(c, seq(cap<1>(S1), " (", cap<2>(S1), "[", cap<3>(IP), "]) by ", cap<4>(S1), " "))) {
    f.helo = str(c[1]);
    f.rdns = c[2] == "unknown" ? std::string() : str(c[2]);
    f.ip = str(c[3]);
    f.by = str(c[4]);
    return Step::kRelay;
  }
  return Step::kNoMatch;
}

// The branch SpamAssassin picks by marker: at most one of these families is tried.
Step by_marker(Ctx& c, Fields& f) {
  const std::string_view t = c.s;
  if (contains(t, " SMTPSVC")) return microsoft_smtpsvc(c, f);
  if (search(c, seq(" with ", alt("Microsoft SMTP Server", "mapi id"), " ",
                    opt("(", run(kNotCloseParen), ") "), D1, ".", D1, ".", D1, ".", D1,
                    alt(END, " "))))
    return microsoft_exchange(c, f);
  if (contains(t, "[XMail ")) return xmail(c, f);
  if (search(c, seq("(ecelerity", WB))) return ecelerity(c, f);
  if (contains(t, "Exim")) return exim(c, f);
  if (contains(t, " (Postfix) with")) return postfix(c, f);
  if (contains(t, "(Scalix SMTP Relay")) {
    if (match(c, seq(cap<1>(S1), " (", opt(" "), cap<2>(IP), ") by ", cap<3>(S1)))) {
      f.helo = str(c[1]);
      f.ip = str(c[2]);
      f.by = str(c[3]);
      return Step::kRelay;
    }
    return Step::kNoMatch;
  }
  if (contains(t, " (Lotus Domino ")) {
    if (match(c, seq(cap<1>(S1), " ([", cap<2>(IP), "]) by ", cap<3>(S1), " (Lotus"))) {
      f.helo = str(c[1]);
      f.ip = str(c[2]);
      f.by = str(c[3]);
      return Step::kRelay;
    }
  }
  return Step::kNoMatch;
}

// sendmail's "from helo (rdns [IP] …) by host (8.x/8.x)", with IDENT lookups in front of
// the rDNS name. Not tried on qmail-ldap lines, which look alike.
Step sendmail(Ctx& c, Fields& f) {
  if (search(c, seq(" by ", S1, " (qmail-", S1, ") with "))) return Step::kNoMatch;
  if (!match(c, seq(cap<1>(S1), " (", cap<2>(S1), " [", cap<3>(IP), "]", Any0, ") by ",
                    cap<4>(S1), " (")))
    return Step::kNoMatch;
  f.helo = str(c[1]);
  std::string rdns = str(c[2]);
  f.ip = str(c[3]);
  f.by = str(c[4]);
  if (rdns.starts_with("IDENT:")) {
    const std::size_t at = rdns.find('@', 6);
    if (at != std::string::npos) {
      f.ident = rdns.substr(6, at - 6);
      rdns.erase(0, at + 1);
    }
  }
  if (const std::size_t at = rdns.find('@'); at != std::string::npos) {
    f.ident = rdns.substr(0, at);
    rdns.erase(0, at + 1);
  }
  f.rdns = rdns;
  return Step::kRelay;
}

// Less common spellings with an rDNS name, HELO and IP (Exchange IMS, sourceforge's smtp,
// attbi, qpsmtpd, LMTP, GMX, smtpd firewalls).
Step assorted(Ctx& c, Fields& f) {
  if (match(c, seq(cap<1>(S1), " (", cap<2>(S1), " [", cap<3>(IP), "]) by ", cap<4>(S1),
                   " with ", S1, " ("))) {
    f.rdns = str(c[2]);
    f.ip = str(c[3]);
    f.helo = str(c[1]);
    f.by = str(c[4]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " ([", cap<2>(IP), "] helo=", cap<3>(S1), ") by ", cap<4>(S1),
                   " with "))) {
    f.rdns = str(c[1]);
    f.ip = str(c[2]);
    f.helo = str(c[3]);
    f.by = str(c[4]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " (<unknown", S0, ">[", cap<2>(IP), "]) by ", cap<3>(S1), " "))) {
    f.helo = str(c[1]);
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " (", cap<2>(S1, ".", S1), "[", cap<3>(IP), "]) by ", cap<4>(S1),
                   " "))) {
    f.helo = str(c[1]);
    f.rdns = str(c[2]);
    f.ip = str(c[3]);
    f.by = str(c[4]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " (", cap<2>(S0), "@[", cap<3>(IP), "]", Any0, ") by ",
                   cap<4>(S1), " ("))) {
    f.helo = str(c[1]);
    f.ident = str(c[2]);
    f.ip = str(c[3]);
    f.by = str(c[4]);
    return Step::kRelay;
  }
  if (search(c, seq("by ", cap<1>(S1, ".hotmail.msn.com"), " "))) {
    f.by = str(c[1]);
    if (match(c, seq(cap<1>(IP), " "))) f.ip = str(c[1]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " (", HELO_EHLO, " ", cap<2>(S0), ") (", cap<3>(IP), ") by ",
                   cap<4>(S1), " (qpsmtpd/", S1, ") with ", alt("ESMTP", "SMTP"))) ||
      match(c, seq(cap<1>(S1), " (LHLO ", cap<2>(S0), ") (", cap<3>(IP), ") by ", cap<4>(S1),
                   " with LMTP")) ||
      match(c, seq(cap<1>(S1), " (", HELO_EHLO, " ", cap<2>(S0), ") [", cap<3>(IP), "] by ",
                   cap<4>(S1), " (", run(kNotCloseParen), ") with ", alt("ESMTP", "SMTP")))) {
    f.rdns = str(c[1]);
    f.helo = str(c[2]);
    f.ip = str(c[3]);
    f.by = str(c[4]);
    return Step::kRelay;
  }
  if (match(c, seq(cap<1>(S1), " ([", cap<2>(IP), "]) by ", cap<3>(S1),
                   " via smtpd (for ", S1, ") with SMTP("))) {
    f.helo = str(c[1]);
    f.ip = str(c[2]);
    f.by = str(c[3]);
    return Step::kRelay;
  }
  return Step::kNoMatch;
}

// qmail and its patches: "from rdns (HELO name) (ident@IP) by host with SMTP". Once the
// overall shape fits, the line counts as read even if no finer format gives an IP.
Step qmail(Ctx& c, Fields& f) {
  constexpr auto env_sender = opt(" (envelope-sender <", S1, ">)");
  // SpamAssassin writes "( \(.+\))*" for the comments after the host; any run of such
  // comments is itself one " (…)", so an optional one accepts the same lines.
  if (!match(c, seq(S1, opt(" (", HELO_EHLO, " ", S0, ")"), " (", opt(S1, "@"), opt("["), IP,
                    opt("]"), ")", env_sender, " by ", S1, opt(" (", Any1, ")"), " with ",
                    opt(Any0, " "), alt("SMTP", "QMQP"), not_ahead(" id "))))
    return Step::kNoMatch;
  constexpr Run helo_name = run(kNotSpaceParens, 0);
  if (match(c, seq(cap<1>(S1), " (", HELO_EHLO, " ", cap<2>(helo_name), ") (", cap<3>(S0), "@",
                   opt("["), cap<4>(IP), opt("]"), ")", env_sender, " by ", cap<5>(S1)))) {
    f.rdns = str(c[1]);
    f.helo = str(c[2]);
    f.ident = str(c[3]);
    f.ip = str(c[4]);
    f.by = str(c[5]);
  } else if (match(c, seq(cap<1>(S1), " (", HELO_EHLO, " ", cap<2>(helo_name), ") (", opt("["),
                          cap<3>(IP), opt("]"), ")", env_sender, " by ", cap<4>(S1)))) {
    f.rdns = str(c[1]);
    f.helo = str(c[2]);
    f.ip = str(c[3]);
    f.by = str(c[4]);
  } else if (match(c, seq(cap<1>(S1), " (", cap<2>(S0), "@", opt("["), cap<3>(IP), opt("]"), ")",
                          env_sender, " by ", cap<4>(S1)))) {
    f.rdns = str(c[1]);  // qmail omits the HELO when it equals the rDNS name
    f.helo = f.rdns;
    f.ident = str(c[2]);
    f.ip = str(c[3]);
    f.by = str(c[4]);
  } else if (match(c, seq(cap<1>(S1), " (", opt("["), cap<2>(IP), opt("]"), ")", env_sender,
                          " by ", cap<3>(S1)))) {
    f.rdns = str(c[1]);
    f.helo = f.rdns;
    f.ip = str(c[2]);
    f.by = str(c[3]);
  }
  if (f.rdns == "unknown") f.rdns.clear();
  return Step::kRelay;
}

}  // namespace

void read_helo_ident(std::string_view comment, Fields& f) {
  std::string sub(comment);
  for (std::size_t p = sub.find("helo="); p != std::string::npos; p = sub.find("helo=", p + 1)) {
    std::size_t e = p + 5;
    while (e < sub.size() && sub[e] != ' ') ++e;
    if (e > p + 5) {
      f.helo = sub.substr(p + 5, e - p - 5);
      sub.erase(p, e - p);
      break;
    }
  }
  if (const std::size_t p = sub.find("ident="); p != std::string::npos) {
    std::size_t e = p + 6;
    while (e < sub.size() && sub[e] != ' ') ++e;
    f.ident = sub.substr(p + 6, e - p - 6);
  }
}

Step from_named_mtas(Ctx& c, Fields& f) {
  Step s = webmail(c, f);
  if (s == Step::kNoMatch) s = by_marker(c, f);
  if (s != Step::kNoMatch) return s;
  // numeric HELO faked by some webmail: "from IP ([IP]) by host (IMP) with HTTP"
  if (search(c, seq(WB, "with HTTP", WB)) &&
      match(c, seq(cap<1>(IP), " ([", IP, "]) by ", cap<2>(S1)))) {
    f.ip = str(c[1]);
    f.by = str(c[2]);
    return Step::kRelay;
  }
  if ((s = sendmail(c, f)) != Step::kNoMatch) return s;
  if ((s = assorted(c, f)) != Step::kNoMatch) return s;
  return qmail(c, f);
}

}  // namespace portcullis::received::detail
