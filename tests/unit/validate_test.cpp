// Table-driven tests of the input rules in core/validate.h.
#include "core/validate.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chat {
namespace {

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

struct Case {
  std::string input;
  bool ok;
};

TEST(Validate, UsernamesAreThreeToThirtyTwoOfTheAllowedClass) {
  std::vector<Case> cases = {
      {"abc", true},
      {"A_b.c-9", true},
      {Repeat("a", 32), true},
      {"ab", false},
      {Repeat("a", 33), false},
      {"", false},
      {"al ice", false},
      {"alice!", false},
      {"al\xC3\xA9", false},
      {"<script>", false},
      {std::string("ab\0c", 4), false},
      {"../x", false},
  };
  for (const Case& c : cases) EXPECT_EQ(IsValidUsername(c.input), c.ok) << c.input;
}

TEST(Validate, PasswordsAreEightTo1024BytesWithoutNul) {
  std::vector<Case> cases = {
      {"12345678", true},
      {Repeat("x", 1024), true},
      {"1234567", false},
      {Repeat("x", 1025), false},
      {std::string("1234\0"
                   "5678",
                   9),
       false},
      {"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", true},  // 4 characters, 8 bytes
  };
  for (const Case& c : cases) EXPECT_EQ(IsValidPassword(c.input), c.ok) << c.input.size();
}

TEST(Validate, Utf8IsStrict) {
  std::vector<Case> cases = {
      {"plain", true},
      {"\xC3\xA9", true},           // é
      {"\xF0\x9F\x98\x80", true},   // 😀
      {"\xC0\xAF", false},          // overlong '/'
      {"\xE0\x80\xAF", false},      // overlong '/'
      {"\xED\xA0\x80", false},      // surrogate U+D800
      {"\xF4\x90\x80\x80", false},  // above U+10FFFF
      {"\xFF", false},
      {"\xC3", false},  // truncated
      {"\x80", false},  // lone continuation
  };
  for (const Case& c : cases) EXPECT_EQ(IsValidUtf8(c.input), c.ok) << c.input;
}

TEST(Validate, RoomNamesAreTrimmedAndCountedInCharacters) {
  EXPECT_EQ(NormalizeRoomName("  General  ").value_or("?"), "General");
  EXPECT_EQ(NormalizeRoomName("\xC2\xA0"
                              "Caf\xC3\xA9\xE3\x80\x80")
                .value_or("?"),
            "Caf\xC3\xA9");
  EXPECT_TRUE(NormalizeRoomName(Repeat("\xF0\x9F\x98\x80", 64)));  // 64 characters, 256 bytes
  EXPECT_FALSE(NormalizeRoomName(Repeat("\xF0\x9F\x98\x80", 65)));
  EXPECT_TRUE(NormalizeRoomName(Repeat("a", 64)));
  EXPECT_FALSE(NormalizeRoomName(Repeat("a", 65)));
  EXPECT_FALSE(NormalizeRoomName(""));
  EXPECT_FALSE(NormalizeRoomName("   \t "));
  EXPECT_FALSE(NormalizeRoomName("a\nb"));
  EXPECT_FALSE(NormalizeRoomName("a\x7F"));
  EXPECT_FALSE(
      NormalizeRoomName("a\xC2\x85"
                        "b"));                                 // C1 control NEL inside
  EXPECT_FALSE(NormalizeRoomName("evil\xE2\x80\xAEtxt.exe"));  // RTL override
  EXPECT_FALSE(NormalizeRoomName("bad\xFF"));
  EXPECT_EQ(NormalizeRoomName("<b>../x</b>").value_or("?"), "<b>../x</b>");  // text, not markup
}

TEST(Validate, MessageTextIsOneTo4000CharactersAfterTrimming) {
  std::vector<Case> cases = {
      {"hi", true},
      {"  hi  ", true},
      {"", false},
      {" \n\t ", false},
      {Repeat("a", 4000), true},
      {Repeat("a", 4001), false},
      {Repeat("\xF0\x9F\x98\x80", 4000), true},  // 4000 characters, 16000 bytes
      {Repeat("\xF0\x9F\x98\x80", 4001), false},
      {"  " + Repeat("a", 4000) + "\n", true},  // counted after trimming
      {std::string("a\0b", 3), false},
      {"bad \xED\xA0\x80", false},
      {"<img src=x onerror=alert(1)>", true},
  };
  for (const Case& c : cases) EXPECT_EQ(IsValidMessageText(c.input), c.ok) << c.input.size();
}

TEST(Validate, DecimalsAreDigitsUpToInt64Max) {
  struct DecCase {
    std::string in;
    std::optional<int64_t> out;
  };
  std::vector<DecCase> cases = {
      {"0", 0},
      {"42", 42},
      {"007", 7},
      {"9223372036854775807", INT64_MAX},
      {"9223372036854775808", std::nullopt},   // 2^63
      {"18446744073709551616", std::nullopt},  // 2^64
      {"-1", std::nullopt},
      {"+1", std::nullopt},
      {"", std::nullopt},
      {" 1", std::nullopt},
      {"1e3", std::nullopt},
      {"0x10", std::nullopt},
      {"abc", std::nullopt},
  };
  for (const DecCase& c : cases) EXPECT_EQ(ParseDecimal(c.in), c.out) << c.in;
}

TEST(Validate, ClientIdsAreShortTokens) {
  EXPECT_TRUE(IsValidClientId("3f2b8c1e-9d4a-4b5e-8f7a-1c2d3e4f5a6b"));
  EXPECT_FALSE(IsValidClientId(""));
  EXPECT_FALSE(IsValidClientId(Repeat("a", 65)));
  EXPECT_FALSE(IsValidClientId("a b"));
  EXPECT_FALSE(IsValidClientId("'; DROP TABLE messages; --"));
}

// Issue 11: names and texts made only of characters that draw nothing are
// empty; invisible characters at the ends are trimmed like spaces, by whole
// grapheme clusters; a joiner or a variation selector inside a character
// (emoji sequences, Persian ZWNJ) stays.
TEST(Validate, InvisibleCharactersAreBlankForEmptinessAndTrimming) {
  struct TrimCase {
    std::string in;
    std::string out;
  };
  std::vector<TrimCase> cases = {
      {"\u200B", ""},                      // ZERO WIDTH SPACE
      {"\u200C\u200D", ""},                // ZWNJ, ZWJ alone
      {"\u200E", ""},                      // LEFT-TO-RIGHT MARK
      {"\u3164", ""},                      // HANGUL FILLER
      {"\u115F\u1160", ""},                // HANGUL CHOSEONG + JUNGSEONG FILLER
      {"\uFFA0", ""},                      // HALFWIDTH HANGUL FILLER
      {"\u2800", ""},                      // BRAILLE PATTERN BLANK
      {"\u00AD\u034F\u061C\u180E", ""},    // soft hyphen, CGJ, ALM, Mongolian VS
      {"\uFEFF\u2060\u2061\u2064", ""},    // BOM, word joiner, invisible operators
      {"\uFE0F\U000E0041\U0001D159", ""},  // VS16, TAG A, NULL NOTEHEAD
      {"\x01\x1B\u0085\u3000 \t\n", ""},   // controls and spaces
      {"\u200Bhi\u3164", "hi"},
      {" \u200E\u05E9\u05DC\u05D5\u05DD\u200F ", "\u05E9\u05DC\u05D5\u05DD"},
      {"\u2764\uFE0F", "\u2764\uFE0F"},                  // ❤️ keeps its VS16
      {"\U0001F44D\U0001F3FD", "\U0001F44D\U0001F3FD"},  // 👍🏽
      {"\U0001F468\u200D\U0001F469\u200D\U0001F467",     // 👨‍👩‍👧
       "\U0001F468\u200D\U0001F469\u200D\U0001F467"},
      {"\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645",  // Persian می‌خواهم
       "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645"},
      {"a\u200Bb", "a\u200Bb"},  // inside: kept, the text is stored as sent
  };
  for (const TrimCase& c : cases) {
    EXPECT_EQ(Trim(c.in), c.out) << c.in;
    EXPECT_EQ(IsValidMessageText(c.in), !c.out.empty()) << c.in;
    EXPECT_EQ(NormalizeRoomName(c.in).has_value(), !c.out.empty()) << c.in;
  }
  EXPECT_EQ(NormalizeRoomName("\u200BGeneral\u2060").value_or("?"), "General");
  EXPECT_FALSE(NormalizeRoomName("General\x1B"));    // controls refused even at the ends
  EXPECT_FALSE(NormalizeRoomName("Gen\u2028eral"));  // a name is one line
  EXPECT_TRUE(IsValidMessageText("line\u2028two"));
}

// Issue 11: names that look the same are the same name (NFKC_Casefold,
// default-ignorables removed, runs of white space as one space).
TEST(Validate, RoomNamesThatLookTheSameHaveOneKey) {
  struct KeyCase {
    std::string a, b;
    bool same;
  };
  std::vector<KeyCase> cases = {
      {"General", "GENERAL", true},
      {"General", "General\u200B", true},
      {"General", "Gen\u200Ceral", true},
      {"General", "Gen\u00ADeral", true},
      {"General", "Gen\u3164eral", true},
      {"General", "\uFF27\uFF45\uFF4E\uFF45\uFF52\uFF41\uFF4C", true},  // fullwidth
      {"Caf\u00E9", "Cafe\u0301", true},                                // NFC vs NFD
      {"Caf\u00E9", "CAF\u00C9", true},
      {"Stra\u00DFe", "STRASSE", true},  // full case folding
      {"\u01C4", "D\u017D", true},       // Ǆ compatibility
      {"Team Chat", "team\u00A0chat", true},
      {"Team Chat", "Team   Chat", true},  // drawn alike by a browser
      {"Team Chat", "Team\u3000Chat", true},
      {"General", "Genera1", false},
      {"Cafe", "Caf\u00E9", false},
      {"Team Chat", "TeamChat", false},
      {"General", "Gen\u2800eral", false},  // a blank glyph inside draws a gap
      {"\u0430", "a", false},               // Cyrillic а vs Latin a: confusables are not merged
  };
  for (const KeyCase& c : cases) {
    EXPECT_EQ(RoomNameKey(c.a) == RoomNameKey(c.b), c.same) << c.a << " vs " << c.b;
  }
  EXPECT_EQ(RoomNameKey("GENERAL"), "general");
  EXPECT_EQ(RoomNameKey("Room 5"), "room 5");  // tests/bench/seed.cc writes keys so
}

TEST(Validate, FoldCaseLowersAsciiOnly) {
  EXPECT_EQ(FoldCase("AliCE_9"), "alice_9");
  EXPECT_EQ(FoldCase("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");
}

}  // namespace
}  // namespace chat
