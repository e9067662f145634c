// See names.h.
#include "files/names.h"

#include <cctype>

#include "core/validate.h"

namespace chat {
namespace {

// `name` (valid UTF-8) with each character a room name refuses too
// (core/validate.cc) replaced by '_': C0 and C1 controls, the line and
// paragraph separators, and the bidi embeddings, overrides and isolates
// (U+202A-202E, U+2066-2069) that would show "invoice\u202Efdp.exe" as
// "invoiceexe.pdf" (Trojan Source, CVE-2021-42574; Unicode UTS #55).
// Matched on their UTF-8 bytes, which valid UTF-8 makes unambiguous.
std::string ReplaceRefused(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    auto at = [&](size_t k) {
      return i + k < name.size() ? static_cast<unsigned char>(name[i + k]) : 0;
    };
    unsigned char c = at(0);
    size_t skip = 0;
    if (c < 0x20 || c == 0x7f) {
      skip = 1;
    } else if (c == 0xC2 && at(1) >= 0x80 && at(1) <= 0x9F) {
      skip = 2;  // U+0080-009F
    } else if (c == 0xE2 && at(1) == 0x80 && at(2) >= 0xA8 && at(2) <= 0xAE) {
      skip = 3;  // U+2028-202E
    } else if (c == 0xE2 && at(1) == 0x81 && at(2) >= 0xA6 && at(2) <= 0xA9) {
      skip = 3;  // U+2066-2069
    }
    if (skip == 0) {
      out += name[i];
    } else {
      out += '_';
      i += skip - 1;
    }
  }
  return out;
}

}  // namespace

std::string CleanFileName(const std::string& sent) {
  size_t slash = sent.find_last_of("/\\");
  std::string name = slash == std::string::npos ? sent : sent.substr(slash + 1);
  if (!IsValidUtf8(name)) return "file";
  name = ReplaceRefused(name);
  if (name.size() > 255) {
    size_t cut = 255;
    // Back to the first byte of a character (not a 10xxxxxx continuation).
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
    name.resize(cut);
  }
  if (Trim(name).empty() || name == "." || name == "..") return "file";
  return name;
}

std::string ShownFileType(const std::string& declared) {
  static const std::string kOpaque = "application/octet-stream";
  std::string t;
  for (char c : declared) t += static_cast<char>(tolower(static_cast<unsigned char>(c)));
  size_t semi = t.find(';');
  if (semi != std::string::npos) t.resize(semi);
  while (!t.empty() && t.back() == ' ') t.pop_back();
  if (t.empty() || t.size() > 100 || t.compare(0, 6, "image/") == 0) return kOpaque;
  size_t slash = t.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == t.size()) return kOpaque;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    bool token = isalnum(static_cast<unsigned char>(c)) ||
                 std::string("!#$&^_.+-").find(c) != std::string::npos;
    if (!(token || (i == slash))) return kOpaque;
  }
  return t;
}

std::string ContentDisposition(const char* disposition, const std::string& name) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string ascii, encoded;
  for (unsigned char c : name) {
    bool plain = isalnum(c) || c == '.' || c == '-' || c == '_';
    // One '_' per character: UTF-8 continuation bytes (10xxxxxx) add none.
    if ((c & 0xC0) != 0x80) ascii += (plain || c == ' ') ? static_cast<char>(c) : '_';
    if (plain) {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  return std::string(disposition) + "; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

}  // namespace chat
