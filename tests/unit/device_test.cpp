// Device cookies (core/device.h): a cookie verifies only as the server made
// it, for the account it names, until it expires; anything else (another
// key, another account spliced in, a session cookie, a re-spelled or cut
// value) is refused.
#include "core/device.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>
#include <vector>

namespace chat {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;

class DeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    randombytes_buf(key_.data(), key_.size());
  }
  SessionKey key_{};
};

TEST_F(DeviceTest, MadeCookieVerifiesWithItsAccountAndTime) {
  std::string c = MakeDeviceCookie(key_, "alice.b", kNow);
  std::optional<Device> d = VerifyDeviceCookie(c, key_, kNow + 1000);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->username_key, "alice.b");
  EXPECT_EQ(d->issued_at, kNow);
  EXPECT_EQ(d->id.size(), 22u);  // base64url of 16 random bytes
}

TEST_F(DeviceTest, EachCookieHasItsOwnId) {
  std::optional<Device> a = VerifyDeviceCookie(MakeDeviceCookie(key_, "bob", kNow), key_, kNow);
  std::optional<Device> b = VerifyDeviceCookie(MakeDeviceCookie(key_, "bob", kNow), key_, kNow);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->id, b->id);
}

TEST_F(DeviceTest, ExpiresAfterItsLifetime) {
  std::string c = MakeDeviceCookie(key_, "bob", kNow);
  EXPECT_TRUE(VerifyDeviceCookie(c, key_, kNow + kDeviceCookieTtlMs - 1));
  EXPECT_FALSE(VerifyDeviceCookie(c, key_, kNow + kDeviceCookieTtlMs));
}

TEST_F(DeviceTest, AnythingButTheServersOwnValueIsRefused) {
  std::string good = MakeDeviceCookie(key_, "alice", kNow);
  size_t dot = good.find('.');
  SessionKey other{};
  randombytes_buf(other.data(), other.size());
  std::string mallory = MakeDeviceCookie(key_, "mallory", kNow);
  Token token{};
  randombytes_buf(token.data(), token.size());

  std::string flipped_payload = good;
  flipped_payload[3] = flipped_payload[3] == 'A' ? 'B' : 'A';
  std::string flipped_mac = good;
  flipped_mac.back() = flipped_mac.back() == 'A' ? 'B' : 'A';

  const std::vector<std::pair<const char*, std::string>> bad = {
      {"empty", ""},
      {"a dot", "."},
      {"no mac", good.substr(0, dot)},
      {"no payload", good.substr(dot)},
      {"cut short", good.substr(0, good.size() - 1)},
      {"extended", good + "A"},
      {"two dots", good + ".AAAA"},
      {"payload changed", flipped_payload},
      {"mac changed", flipped_mac},
      {"signed with another key", MakeDeviceCookie(other, "alice", kNow)},
      {"another account's mac spliced on", good.substr(0, dot) + mallory.substr(mallory.find('.'))},
      {"a session cookie", SignToken(token, key_)},
      {"padding", good + "="},
      {"standard base64 alphabet", std::string(good).replace(0, 1, "+")},
  };
  for (const auto& [what, value] : bad) EXPECT_FALSE(VerifyDeviceCookie(value, key_, kNow)) << what;
  EXPECT_FALSE(VerifyCookie(good, key_)) << "a device cookie is no session cookie";
}

TEST_F(DeviceTest, NonCanonicalBase64IsRefused) {
  // The last character of a base64url group carries unused low bits:
  // another spelling of the same bytes must not verify (see session.h).
  std::string good = MakeDeviceCookie(key_, "alice", kNow);
  std::string b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  int respelled = 0;
  for (char c : b64) {
    std::string v = good;
    if (v.back() == c) continue;
    v.back() = c;
    if (VerifyDeviceCookie(v, key_, kNow)) ++respelled;
  }
  EXPECT_EQ(respelled, 0);
}

TEST_F(DeviceTest, HeaderIsHttpOnlyStrictAndSecureOverHttps) {
  EXPECT_EQ(DeviceCookieHeader("v", false),
            "chat_device=v; Path=/; Max-Age=15552000; HttpOnly; SameSite=Strict");
  EXPECT_EQ(DeviceCookieHeader("v", true),
            "__Host-chat_device=v; Path=/; Max-Age=15552000; HttpOnly; SameSite=Strict; Secure");
}

}  // namespace
}  // namespace chat
