// Which `@name` tokens a text offers for mentions (core/mentions.h), before
// any lookup: the boundaries (an address is not a mention), the case, the
// sentence end, repeats, and the cap.
#include "core/mentions.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chat {
namespace {

using Names = std::vector<std::vector<std::string>>;

TEST(Mentions, CandidatesFollowTheUsernameRules) {
  struct Case {
    std::string text;
    Names want;
  };
  const Case cases[] = {
      {"hi @bob", {{"bob"}}},
      {"@Bob at the start, @ALICE later", {{"bob"}, {"alice"}}},
      {"mail bob@example.com", {}},
      {"(@bob) and [@carol]", {{"bob"}, {"carol"}}},
      {"thanks @bob.", {{"bob", "bob."}}},
      {"@a.b-c_d works", {{"a.b-c_d"}}},
      {"@ab is too short, @@bob is not a mention", {}},
      {"@bob @BOB @bob.", {{"bob"}}},
      {"@" + std::string(33, 'x'), {}},
      {"é@bob: after a multibyte letter", {{"bob"}}},
      {"", {}},
  };
  for (const Case& c : cases) EXPECT_EQ(MentionCandidates(c.text), c.want) << c.text;
}

TEST(Mentions, AtMostOneHundredNamesAreLookedUp) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "@user" + std::to_string(i) + " ";
  Names got = MentionCandidates(text);
  ASSERT_EQ(got.size(), kMaxMentionsPerMessage);
  EXPECT_EQ(got.front(), std::vector<std::string>{"user0"});
  EXPECT_EQ(got.back(), std::vector<std::string>{"user99"});
}

}  // namespace
}  // namespace chat
