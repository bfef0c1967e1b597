#include "rules/sa/replace_tags.hpp"

#include <vector>

namespace portcullis::rules::sa {
namespace {

constexpr std::size_t kMaxResult = 1u << 20;

// Removes the first "<KIND NAME>" (non-greedy NAME) and returns NAME, or "".
std::string take_modifier(std::string& re, const CfSet& set, const std::string& kind) {
  const std::string open = set.replace_start + kind + " ";
  std::size_t at = re.find(open);
  while (at != std::string::npos) {
    std::size_t name_start = at + open.size();
    std::size_t close = re.find(set.replace_end, name_start + 1);  // .+? needs one char
    if (close != std::string::npos) {
      std::string name = re.substr(name_start, close - name_start);
      re.erase(at, close + set.replace_end.size() - at);
      return name;
    }
    at = re.find(open, at + 1);
  }
  return "";
}

// Perl's split(/(<[^<>]+>)/, $re): text and tag pieces alternating, trailing empty pieces
// dropped.
std::vector<std::string> split_tags(const std::string& re) {
  std::vector<std::string> parts;
  std::string text;
  for (std::size_t i = 0; i < re.size();) {
    if (re[i] == '<') {
      std::size_t j = i + 1;
      while (j < re.size() && re[j] != '<' && re[j] != '>') ++j;
      if (j < re.size() && re[j] == '>' && j > i + 1) {
        parts.push_back(text);
        text.clear();
        parts.push_back(re.substr(i, j + 1 - i));
        i = j + 1;
        continue;
      }
    }
    text += re[i++];
  }
  parts.push_back(text);
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  return parts;
}

// First "<NAME>" (start, end delimiters, non-greedy) in s: position and NAME.
bool find_tag(const std::string& s, const CfSet& set, std::size_t from, std::size_t* at,
              std::size_t* len, std::string* name) {
  std::size_t a = s.find(set.replace_start, from);
  while (a != std::string::npos) {
    std::size_t name_start = a + set.replace_start.size();
    std::size_t close = s.find(set.replace_end, name_start + 1);
    if (close != std::string::npos) {
      *at = a;
      *len = close + set.replace_end.size() - a;
      *name = s.substr(name_start, close - name_start);
      return true;
    }
    a = s.find(set.replace_start, a + 1);
  }
  return false;
}

// Perl /<[^>]+>/: a '<' whose next '>' is not right after it.
bool has_tag_like(const std::string& s) {
  for (std::size_t a = s.find('<'); a != std::string::npos; a = s.find('<', a + 1)) {
    std::size_t close = s.find('>', a + 1);
    if (close != std::string::npos && close > a + 1) return true;
  }
  return false;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

std::string lookup(const std::map<std::string, std::string>& table, const std::string& key) {
  auto it = table.find(key);
  return it == table.end() ? "" : it->second;
}

}  // namespace

bool replace_tags(const CfSet& set, std::string& pattern) {
  std::string re = pattern;
  int passes = 0;
  bool again = false;
  do {
    again = false;
    std::string pre = take_modifier(re, set, "pre");
    std::string post = take_modifier(re, set, "post");
    std::string inter = take_modifier(re, set, "inter");
    std::vector<std::string> parts = split_tags(re);
    std::size_t at = 0, len = 0;
    std::string name;
    const std::string pre_text = pre.empty() ? "" : lookup(set.replace_pre, pre);
    const std::string post_text = post.empty() ? "" : lookup(set.replace_post, post);
    const std::string inter_text = inter.empty() ? "" : lookup(set.replace_inter, inter);
    for (auto& part : parts) {
      if (!pre_text.empty() && find_tag(part, set, 0, &at, &len, &name)) part.insert(at, pre_text);
      if (!post_text.empty()) {
        for (std::size_t from = 0; find_tag(part, set, from, &at, &len, &name);) {
          part.insert(at + len, post_text);
          from = at + len + post_text.size();
        }
      }
      // (SA's text always starts with its "(?aa)" prefix, so a leading piece is never empty
      // there: inter only fills the gaps between adjacent tags.)
      if (!inter_text.empty() && part.empty() && &part != &parts.front()) part = inter_text;
    }
    for (auto& part : parts) {
      if (!find_tag(part, set, 0, &at, &len, &name) || name.empty()) continue;
      std::string replacement = lookup(set.replace_tag, name);
      if (replacement.empty()) continue;
      replace_all(part, set.replace_start + name + set.replace_end, replacement);
      if (!again) again = has_tag_like(replacement);
    }
    re.clear();
    for (const auto& part : parts) re += part;
    if (re.size() > kMaxResult) return false;
    ++passes;
  } while (again && passes <= 5);
  pattern = std::move(re);
  return true;
}

}  // namespace portcullis::rules::sa
