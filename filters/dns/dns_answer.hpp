// What the authentication filters see of DNS, without any I/O: answers as values, a
// synchronous view of answers already known, and the "evaluation that may need more
// lookups" convention. SPF, DKIM and DMARC evaluators are pure functions of their inputs
// and a DnsView: when an answer they need is not in the view they return the questions
// instead of a result, the asynchronous driver (dns_driver.hpp) asks the resolver and runs
// them again. Re-running is cheap (parsing a few records) and keeps every lookup limit,
// void-lookup count and recursion rule in one straight-line, testable function. The
// RFC test suites feed the same evaluators from an in-memory view (DESIGN.md: the one
// place a fake resolver is right).
// Untrusted input: every name and record in an Answer came from the network.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/cidr.hpp"

namespace portcullis::dns {

enum class RrType : std::uint16_t {
  kA = 1,
  kPtr = 12,
  kMx = 15,
  kTxt = 16,
  kAaaa = 28,
};

struct MxHost {
  std::uint16_t preference = 0;
  std::string host;  // lowercase, no trailing dot
};

struct Answer {
  enum class Status : std::uint8_t {
    kOk,        // NOERROR with at least one record of the type asked
    kNoData,    // NOERROR, no record of that type (the name exists)
    kNxDomain,  // the name does not exist
    kServFail,  // SERVFAIL, REFUSED, a malformed answer, …: try later
    kTimeout,   // no answer within the configured timeout × attempts
  };
  Status status = Status::kNxDomain;
  std::vector<std::string> txt;                   // one per TXT RR, its strings concatenated
  std::vector<config::IpAddress> addresses;       // A / AAAA
  std::vector<MxHost> mx;                         // MX, in answer order
  std::vector<std::string> names;                 // PTR targets, lowercase, no trailing dot
  std::uint32_t ttl = 0;                          // seconds the answer may be cached

  bool ok() const { return status == Status::kOk; }
  // A "void lookup" in RFC 7208 4.6.4 terms: the name or the data does not exist.
  bool nothing() const { return status == Status::kNoData || status == Status::kNxDomain; }
  // temperror territory: never read as pass or fail.
  bool temporary() const { return status == Status::kServFail || status == Status::kTimeout; }
};

struct Question {
  std::string name;  // as the evaluator built it; the view/resolver normalise case and dot
  RrType type = RrType::kTxt;
  bool operator==(const Question&) const = default;
};

// Answers already known to the caller. find() returns null when the answer is not known
// *yet* (the evaluator then asks for it); a known non-existent name is an Answer with
// status kNxDomain, never null. Names are matched case-insensitively, a trailing dot ignored.
class DnsView {
 public:
  virtual ~DnsView() = default;
  virtual const Answer* find(std::string_view name, RrType type) = 0;
};

// What a pure evaluator returns: either the result, or the questions it needs answered
// before it can go on (all of them may be asked in parallel).
template <class Result>
struct Evaluation {
  std::optional<Result> result;
  std::vector<Question> needs;

  static Evaluation done(Result r) { return {std::move(r), {}}; }
  static Evaluation need(std::vector<Question> q) { return {std::nullopt, std::move(q)}; }
};

// Lowercase ASCII, trailing dot removed: the key under which views and caches store names.
std::string normalize_name(std::string_view name);

// "name/type" with the name normalised: one key per question in caches and views.
std::string question_key(std::string_view name, RrType type);

}  // namespace portcullis::dns
