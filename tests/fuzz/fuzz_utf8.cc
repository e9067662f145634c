// Fuzz target: UTF-8 validation and the text rules built on it
// (core/validate.h), against a reference written from the Unicode standard's
// table of well-formed byte sequences (Table 3-7), not from validate.cc; and
// the properties of trimming and room-name keys (core/text.h: idempotent,
// blind to invisible characters at the ends).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/validate.h"

namespace {

void Require(bool ok, const char* what, const std::string& s) {
  if (ok) return;
  fprintf(stderr, "FUZZ CHECK FAILED: %s (%zu bytes)\n", what, s.size());
  abort();
}

// Table 3-7: the first byte decides the range of each following byte.
// Returns the number of code points, or -1 when ill-formed.
long Reference(const std::string& s) {
  long n = 0;
  for (size_t i = 0; i < s.size(); ++n) {
    unsigned char b = s[i];
    int len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b <= 0x7F) {
      len = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b == 0xE0) {
      len = 3, lo = 0xA0;
    } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
      len = 3;
    } else if (b == 0xED) {
      len = 3, hi = 0x9F;
    } else if (b == 0xF0) {
      len = 4, lo = 0x90;
    } else if (b >= 0xF1 && b <= 0xF3) {
      len = 4;
    } else if (b == 0xF4) {
      len = 4, hi = 0x8F;
    } else {
      return -1;
    }
    if (i + len > s.size()) return -1;
    for (int k = 1; k < len; ++k) {
      unsigned char c = s[i + k];
      unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
      if (c < l || c > h) return -1;
    }
    i += len;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string s(reinterpret_cast<const char*>(data), size);
  long ref = Reference(s);
  bool valid = chat::IsValidUtf8(s);
  Require(valid == (ref >= 0), "IsValidUtf8 disagrees with Table 3-7", s);
  if (valid) {
    Require(chat::CountCodePoints(s) == static_cast<size_t>(ref), "CountCodePoints", s);
    std::string t = chat::Trim(s);
    Require(s.find(t) != std::string::npos && chat::IsValidUtf8(t), "Trim cut a character", s);
    Require(chat::Trim(t) == t, "Trim: not idempotent", s);
    // Invisible characters at the ends change neither the trimmed text nor the
    // key. ZWSP is a grapheme Control (UAX #29 GB4/GB5), so it never joins
    // the cluster next to it.
    Require(chat::Trim("\xE2\x80\x8B" + s + "\xE2\x80\x8B") == t, "Trim: ZWSP kept", s);
    std::string key = chat::RoomNameKey(s);
    Require(chat::IsValidUtf8(key), "RoomNameKey: not UTF-8", s);
    Require(chat::RoomNameKey(key) == key, "RoomNameKey: not idempotent", s);
    Require(chat::RoomNameKey(s + "\xE2\x80\x8B") == key, "RoomNameKey: ZWSP counted", s);
  }
  Require(chat::FoldCase(s).size() == s.size(), "FoldCase changed the length", s);
  if (chat::IsValidMessageText(s)) {
    Require(valid && s.find('\0') == std::string::npos, "message text: invalid accepted", s);
    size_t n = chat::CountCodePoints(chat::Trim(s));
    Require(n >= 1 && n <= 4000, "message text: length", s);
  }
  if (std::optional<std::string> name = chat::NormalizeRoomName(s)) {
    size_t n = chat::CountCodePoints(*name);
    Require(chat::IsValidUtf8(*name) && n >= 1 && n <= 64, "room name: rules", s);
    Require(chat::NormalizeRoomName(*name) == name, "room name: not idempotent", s);
    Require(!chat::RoomNameKey(*name).empty(), "room name: empty key", s);
    for (unsigned char c : *name) Require(c >= 0x20 && c != 0x7F, "room name: control byte", s);
  }
  if (chat::IsValidUsername(s)) {
    Require(s.size() >= 3 && s.size() <= 32, "username: length", s);
  }
  if (std::optional<int64_t> v = chat::ParseDecimal(s)) {
    Require(*v >= 0 && !s.empty() && s.find_first_not_of("0123456789") == std::string::npos,
            "ParseDecimal accepted a non-number", s);
    std::string digits = s.substr(std::min(s.find_first_not_of('0'), s.size() - 1));
    Require(std::to_string(*v) == digits, "ParseDecimal value", s);
  }
  return 0;
}
