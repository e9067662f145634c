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

TEST(Validate, FoldCaseLowersAsciiOnly) {
  EXPECT_EQ(FoldCase("AliCE_9"), "alice_9");
  EXPECT_EQ(FoldCase("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");
}

}  // namespace
}  // namespace chat
