// core/search.h: what a person typed becomes terms and a MATCH string that
// is never FTS5 syntax; highlights are code-point offsets, case-folded.
#include "core/search.h"

#include <gtest/gtest.h>

namespace chat {
namespace {

using Terms = std::vector<std::string>;
using Ranges = std::vector<std::pair<int, int>>;

TEST(SearchTerms, WordsPhrasesAndStrayQuotes) {
  EXPECT_EQ(SearchTerms("  hello   world "), (Terms{"hello", "world"}));
  EXPECT_EQ(SearchTerms("say \"purple elephant\" now"), (Terms{"say", "purple elephant", "now"}));
  EXPECT_EQ(SearchTerms("\" padded \""), (Terms{"padded"}));
  EXPECT_EQ(SearchTerms("\"unclosed phrase"), (Terms{"unclosed phrase"}));
  EXPECT_EQ(SearchTerms("a\"b\"c"), (Terms{"a", "b", "c"}));
  EXPECT_EQ(SearchTerms("dup dup"), (Terms{"dup"}));
  EXPECT_TRUE(SearchTerms("\"\"").empty());
  EXPECT_TRUE(SearchTerms(" \t\n").empty());
}

TEST(FtsMatch, TrigramsSideBySideQuotedInnerQuotesDoubled) {
  EXPECT_EQ(FtsMatch({"NEAR(", "a*-x"}), "\"NEA\" \"AR(\" \"a*-\" \"*-x\"");
  EXPECT_EQ(FtsMatch({"a\"b"}), "\"a\"\"b\"");
  EXPECT_EQ(FtsMatch({"会议记录"}), "\"会议记\" \"议记录\"");
  EXPECT_EQ(FtsMatch({"message 1234 in"}), "\"mes\" \"sag\" \"e 1\" \"234\" \" in\"");
  EXPECT_EQ(FtsMatch({"abcabc", "bca"}), "\"abc\" \"bca\"");  // each trigram once
  EXPECT_EQ(FtsMatch({"ab"}), "");
}

TEST(Highlights, CodePointsCaseFoldedMerged) {
  EXPECT_EQ(Highlights("Déjà vu: the Conference", {"FERENC"}), (Ranges{{16, 22}}));
  EXPECT_EQ(Highlights("ΣΊΣΥΦΟΣ σίσυφος", {"σίσυφος"}), (Ranges{{0, 7}, {8, 15}}));
  EXPECT_EQ(Highlights("今天的会议记录", {"会议"}), (Ranges{{3, 5}}));
  EXPECT_EQ(Highlights("🚀🚀 go", {"🚀"}), (Ranges{{0, 2}}));  // touching ranges: one mark
  EXPECT_EQ(Highlights("abcabc", {"bca", "cab"}), (Ranges{{1, 5}}));
  EXPECT_TRUE(Highlights("short", {"longer than it"}).empty());
  EXPECT_EQ(CodePoints("語a🚀"), 3);
}

TEST(ContainsAll, EveryTermFolded) {
  EXPECT_TRUE(ContainsAll("Hello World", {"wo", "HE"}));
  EXPECT_FALSE(ContainsAll("Hello World", {"wo", "xy"}));
  EXPECT_TRUE(ContainsAll("anything", {}));
}

}  // namespace
}  // namespace chat
