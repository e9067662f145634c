// See validate.h.
#include "validate.h"

#include <cstdint>
#include <limits>

#include "text.h"

namespace chat {
namespace {

constexpr size_t kMaxMessageChars = 4000;
constexpr size_t kMaxRoomNameChars = 64;
constexpr size_t kMaxRoomTopicChars = 250;

// Decodes the code point at s[i], advancing i; returns -1 for invalid UTF-8.
int32_t Decode(const std::string& s, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) {
    ++i;
    return c;
  }
  int len;
  int32_t cp;
  int32_t min;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, cp = c & 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3, cp = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (i + len > s.size()) return -1;
  for (int k = 1; k < len; ++k) {
    unsigned char cc = byte(i + k);
    if ((cc & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  i += len;
  return cp;
}

// C0 and C1 controls, the line and paragraph separators (a name is one
// line), and the bidi embeddings, overrides and isolates that reorder the
// text around them (Trojan Source, CVE-2021-42574). The marks LRM, RLM and
// ALM stay allowed inside a name: they change no order but their own.
bool IsRefusedInName(int32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    if (Decode(s, i) < 0) return false;
  }
  return true;
}

size_t CountCodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Trim(const std::string& s) { return TrimBlank(s); }

std::string FoldCase(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsValidUsername(const std::string& s) {
  if (s.size() < 3 || s.size() > 32) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsValidPassword(const std::string& s) {
  return s.size() >= 8 && s.size() <= 1024 && s.find('\0') == std::string::npos;
}

namespace {
// The text rules of room names and topics: valid UTF-8, trimmed of blank
// characters at the ends, no refused character (control, format) anywhere,
// min_chars to max_chars code points after trimming.
std::optional<std::string> NormalizeNameText(const std::string& s, size_t min_chars,
                                             size_t max_chars) {
  if (!IsValidUtf8(s)) return std::nullopt;
  // Refused characters are refused anywhere, even where trimming would take
  // them away, except white space at the ends ("General\n" is "General").
  for (size_t i = 0; i < s.size();) {
    int32_t cp = Decode(s, i);
    if (IsRefusedInName(cp) && !IsSpace(cp)) return std::nullopt;
  }
  std::string text = Trim(s);
  size_t n = CountCodePoints(text);
  if (n < min_chars || n > max_chars) return std::nullopt;
  for (size_t i = 0; i < text.size();) {
    if (IsRefusedInName(Decode(text, i))) return std::nullopt;
  }
  return text;
}
}  // namespace

std::optional<std::string> NormalizeRoomName(const std::string& s) {
  std::optional<std::string> name = NormalizeNameText(s, 1, kMaxRoomNameChars);
  if (!name) return std::nullopt;
  if (RoomNameKey(*name).empty()) return std::nullopt;  // defence in depth: blanks are trimmed
  return name;
}

std::optional<std::string> NormalizeRoomTopic(const std::string& s) {
  return NormalizeNameText(s, 0, kMaxRoomTopicChars);
}

std::string RoomNameKey(const std::string& name) { return NameKey(name); }

bool IsValidMessageText(const std::string& s) {
  if (s.find('\0') != std::string::npos || !IsValidUtf8(s)) return false;
  size_t n = CountCodePoints(Trim(s));
  return n >= 1 && n <= kMaxMessageChars;
}

bool IsValidClientId(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<int64_t> ParseDecimal(const std::string& s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return static_cast<int64_t>(v);
}

}  // namespace chat
