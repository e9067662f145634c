// See search.h.
#include "search.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>

namespace chat {
namespace {

// Code points of valid UTF-8 (bad bytes become U+FFFD), case-folded when
// `fold` is set.
std::vector<int32_t> Decode(const std::string& s, bool fold) {
  std::vector<int32_t> out;
  int32_t i = 0, n = static_cast<int32_t>(s.size());
  while (i < n) {
    UChar32 c;
    U8_NEXT(s.data(), i, n, c);
    if (c < 0) c = 0xFFFD;
    out.push_back(fold ? u_foldCase(c, U_FOLD_CASE_DEFAULT) : c);
  }
  return out;
}

bool IsQuerySpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::vector<std::string> SearchTerms(const std::string& q) {
  std::vector<std::string> terms;
  auto add = [&terms](std::string t) {
    if (!t.empty() && std::find(terms.begin(), terms.end(), t) == terms.end()) {
      terms.push_back(std::move(t));
    }
  };
  size_t i = 0;
  while (i < q.size()) {
    if (IsQuerySpace(q[i])) {
      ++i;
    } else if (q[i] == '"') {
      size_t end = q.find('"', i + 1);
      if (end == std::string::npos) end = q.size();
      std::string phrase = q.substr(i + 1, end - i - 1);
      // A phrase's own ends are trimmed: `" hello "` is `hello`.
      size_t a = 0, b = phrase.size();
      while (a < b && IsQuerySpace(phrase[a])) ++a;
      while (b > a && IsQuerySpace(phrase[b - 1])) --b;
      add(phrase.substr(a, b - a));
      i = end + 1;
    } else {
      size_t start = i;
      while (i < q.size() && !IsQuerySpace(q[i]) && q[i] != '"') ++i;
      add(q.substr(start, i - start));
    }
  }
  return terms;
}

std::string FtsMatch(const std::vector<std::string>& terms) {
  std::vector<std::string> grams;
  for (const std::string& t : terms) {
    // Byte offsets of each code point's start, and the end: a trigram is
    // three code points (https://sqlite.org/fts5.html#the_trigram_tokenizer).
    std::vector<int32_t> starts;
    int32_t i = 0, n = static_cast<int32_t>(t.size());
    while (i < n) {
      starts.push_back(i);
      UChar32 c;
      U8_NEXT(t.data(), i, n, c);
    }
    starts.push_back(n);
    // Side by side, not overlapping (0, 3, 6, ... and the last three): every
    // character is in one, and each more trigram is one more list of
    // message ids to intersect (a common one lists most messages) while
    // ContainsAll checks the candidates anyway. "message 1234 in" asks 5
    // lists, not 13.
    size_t chars = starts.size() - 1;
    for (size_t k = 0; k + 3 <= chars;) {
      std::string g = t.substr(starts[k], starts[k + 3] - starts[k]);
      if (std::find(grams.begin(), grams.end(), g) == grams.end()) grams.push_back(std::move(g));
      if (k + 3 == chars) break;
      k = std::min(k + 3, chars - 3);
    }
  }
  std::string out;
  for (const std::string& g : grams) {
    if (!out.empty()) out += ' ';  // FTS5: strings side by side are an implicit AND
    out += '"';
    for (char c : g) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  return out;
}

int CodePoints(const std::string& s) { return static_cast<int>(Decode(s, false).size()); }

std::vector<std::pair<int, int>> Highlights(const std::string& text,
                                            const std::vector<std::string>& terms) {
  std::vector<int32_t> hay = Decode(text, true);
  std::vector<std::pair<int, int>> found;
  for (const std::string& t : terms) {
    std::vector<int32_t> needle = Decode(t, true);
    if (needle.empty() || needle.size() > hay.size()) continue;
    auto it = hay.begin();
    while ((it = std::search(it, hay.end(), needle.begin(), needle.end())) != hay.end()) {
      int start = static_cast<int>(it - hay.begin());
      found.emplace_back(start, start + static_cast<int>(needle.size()));
      ++it;
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<std::pair<int, int>> merged;
  for (const auto& r : found) {
    if (!merged.empty() && r.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

bool ContainsAll(const std::string& text, const std::vector<std::string>& terms) {
  if (terms.empty()) return true;
  std::vector<int32_t> hay = Decode(text, true);
  for (const std::string& t : terms) {
    std::vector<int32_t> needle = Decode(t, true);
    if (std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) == hay.end()) {
      return false;
    }
  }
  return true;
}

}  // namespace chat
