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
  EXPECT_NE(HashPassword("same password").value_or("a"), HashPassword("same password").value_or("a"));
}

TEST(Password, MalformedHashesNeverMatch) {
  std::string good = HashPassword("password123").value_or("");
  for (const std::string& bad : {std::string(""), std::string("$s1$"), std::string("plaintext"),
                                 good.substr(0, good.size() - 4), std::string(200, 'x'),
                                 std::string("$s1$0f0803$$")}) {
    EXPECT_FALSE(CheckPassword(bad, "password123")) << bad;
    EXPECT_FALSE(CheckPassword(bad, "")) << bad;
  }
}

}  // namespace
}  // namespace chat
