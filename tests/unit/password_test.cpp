// Password hashing (core/password.h): scrypt MCF strings at the documented
// parameters; only libscrypt_check's 1 means a match.
#include "core/password.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace chat {
namespace {

TEST(Password, HashCarriesTheDocumentedParametersAndChecks) {
  std::optional<std::string> h = HashPassword("correct horse battery");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->rfind("$s1$0f0803$", 0), 0u) << *h;  // N=2^15 (0f), r=8, p=3
  EXPECT_TRUE(CheckPassword(*h, "correct horse battery"));
  EXPECT_FALSE(CheckPassword(*h, "correct horse batterY"));
  EXPECT_FALSE(CheckPassword(*h, ""));
}

TEST(Password, SaltsDiffer) {
  EXPECT_NE(HashPassword("same password").value_or("a"),
            HashPassword("same password").value_or("a"));
}

std::string Flip(std::string s, size_t i) {
  s[i] = s[i] == 'A' ? 'B' : 'A';
  return s;
}

std::string Params(std::string s, const char* params) { return s.replace(4, 6, params); }

TEST(Password, MalformedHashesNeverMatch) {
  std::string good = HashPassword("password123").value_or("");
  for (const std::string& bad :
       {std::string(""), std::string("$s1$"), std::string("plaintext"),
        good.substr(0, good.size() - 4), std::string(200, 'x'), std::string("$s1$0f0803$$"),
        good + "$x", Flip(good, good.size() - 3), Flip(good, 14), Params(good, "0fffff"),
        Params(good, "000000"), Params(good, "1f0803"), Params(good, "0f08zz")}) {
    EXPECT_FALSE(CheckPassword(bad, "password123")) << bad;
    EXPECT_FALSE(CheckPassword(bad, "")) << bad;
  }
}

}  // namespace
}  // namespace chat
