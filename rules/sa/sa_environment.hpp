// What the SpamAssassin install we imitate provides, for `ifplugin X` and `if (expr)` in .cf
// files: its version, the plugins its .pre files load, and the `can(...)` features it has.
// The default is Debian's spamassassin 4.0.1 package as installed (checked with a Perl
// script against Mail::SpamAssassin: plugin list and every can() the shipped rules ask).
// Untrusted input: condition text from .cf files; the evaluator is a small recursive-descent
// parser over a bounded string and never executes anything. Limits: expressions of at most
// 4 KiB and 64 levels of nesting. Known gaps: `perl_version` is taken as 5.036; `has(...)`
// is answered like `can(...)`.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace portcullis::rules::sa {

struct SaEnvironment {
  double version = 4.000001;               // Mail::SpamAssassin::VERSION, numeric form
  double perl_version = 5.036000;          // $]
  bool local_tests_only = true;            // we imitate `spamassassin -L`
  std::set<std::string> plugins;           // Mail::SpamAssassin::Plugin::X loaded
  std::set<std::string> features;          // `can(A::B::c)` that answer true (plugin methods
                                           // count only while their plugin is loaded)
  // Plugins whose rules only mean something with network lookups.
  std::set<std::string> network_plugins;

  // Debian's spamassassin 4.0.1 with the shipped /etc/spamassassin/*.pre.
  static SaEnvironment debian_4_0_1();

  // `loadplugin NAME [path]` (from a .pre or .cf file); SpamAssassin's two renamed plugins
  // (Dmarc, WhiteListSubject) are mapped to their new names.
  void load_plugin(std::string_view name);
  bool has_plugin(std::string_view name) const;
  bool can(std::string_view name) const;

  // Evaluates the text after `if` (or, for ifplugin, "plugin(NAME)"). Returns false and sets
  // *error on a syntax error (SpamAssassin then skips the block too).
  bool eval_condition(std::string_view expr, std::string* error) const;
};

// Reads the `loadplugin` lines of every *.pre file in dir (name order) into env.
void load_pre_files(SaEnvironment& env, const std::string& dir);

std::string canonical_plugin_name(std::string_view name);

}  // namespace portcullis::rules::sa
