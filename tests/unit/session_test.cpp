// Cookie signing and verification (core/session.h): only the exact cookie
// the server signed is accepted; anything else is refused without a database.
#include "core/session.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace chat {
namespace {

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    randombytes_buf(key_.data(), key_.size());
    randombytes_buf(token_.data(), token_.size());
  }
  SessionKey key_{};
  Token token_{};
};

TEST_F(SessionTest, SignedTokenVerifies) {
  std::string cookie = SignToken(token_, key_);
  std::optional<Token> got = VerifyCookie(cookie, key_);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, token_);
}

TEST_F(SessionTest, TamperedCookiesAreRefused) {
  std::string good = SignToken(token_, key_);
  SessionKey other{};
  randombytes_buf(other.data(), other.size());
  std::string resigned = SignToken(token_, other);  // right token, wrong key

  std::string flipped_mac = good;
  flipped_mac.back() = flipped_mac.back() == 'A' ? 'B' : 'A';
  std::string flipped_token = good;
  flipped_token[0] = flipped_token[0] == 'A' ? 'B' : 'A';

  std::vector<std::string> bad = {
      "",
      ".",
      good.substr(0, good.size() - 1),  // truncated
      good + "A",                       // extended
      good.substr(0, 22),               // token only
      flipped_mac,
      flipped_token,
      resigned,
      std::string(good.size(), 'A'),
      good.substr(0, 22) + "!" + good.substr(23),
      std::string(good).replace(22, 1, "A"),
      good.substr(0, 21) + "=" + good.substr(22),
  };
  for (const std::string& c : bad) EXPECT_FALSE(VerifyCookie(c, key_)) << c;
  EXPECT_TRUE(VerifyCookie(resigned, other));
}

TEST_F(SessionTest, NonCanonicalBase64IsRefused) {
  std::string good = SignToken(token_, key_);
  // The last character of a 16-byte base64url token carries 2 unused bits;
  // changing them spells the same bytes differently.
  std::string alt = good;
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t idx = alphabet.find(alt[21]);
  alt[21] = alphabet[(idx & ~3u) | ((idx + 1) & 3u)];
  EXPECT_FALSE(VerifyCookie(alt, key_));
  // The same for the MAC's last character (43 characters carry 258 bits).
  std::string mac_alt = good;
  idx = alphabet.find(mac_alt.back());
  mac_alt.back() = alphabet[(idx & ~3u) | ((idx + 1) & 3u)];
  EXPECT_FALSE(VerifyCookie(mac_alt, key_));
  // Debian's libsodium decodes every byte from 0x80 up as '_' (63), so a
  // cookie with '_' in its MAC verified with any such byte in its place
  // (found by tests/fuzz/fuzz_cookie.cc). Cookies whose token and MAC both
  // hold '_': no other byte anywhere verifies.
  int tried = 0;
  // Random tokens: about one in seven has '_' in both parts under any key,
  // so three are found long before the bound (a fixed set of tokens would
  // depend on the random key and sometimes find fewer than three).
  for (int n = 0; n < 100000 && tried < 3; ++n) {
    Token t{};
    randombytes_buf(t.data(), t.size());
    std::string c = SignToken(t, key_);
    if (c.find('_') >= 22 || c.find('_', 23) == std::string::npos) continue;
    ++tried;
    for (size_t i = 0; i < c.size(); ++i) {
      for (int b = 0; b < 256; ++b) {
        if (static_cast<char>(b) == c[i]) continue;
        std::string other = c;
        other[i] = static_cast<char>(b);
        EXPECT_FALSE(VerifyCookie(other, key_)) << "byte " << b << " at " << i << " of " << c;
      }
    }
  }
  EXPECT_EQ(tried, 3);
}

TEST_F(SessionTest, CookieHeadersCarryTheSecurityAttributes) {
  std::string h = SessionCookieHeader("v", 3600 * 1000, false);
  EXPECT_NE(h.find("chat_session=v;"), std::string::npos);
  EXPECT_NE(h.find("HttpOnly"), std::string::npos);
  EXPECT_NE(h.find("SameSite=Lax"), std::string::npos);
  EXPECT_NE(h.find("Path=/"), std::string::npos);
  EXPECT_EQ(h.find("Secure"), std::string::npos);
  EXPECT_NE(SessionCookieHeader("v", 1000, true).find("; Secure"), std::string::npos);
  EXPECT_EQ(SessionCookieHeader("v", 1000, true).rfind("__Host-chat_session=v; Path=/;", 0), 0u);
  EXPECT_EQ(ClearCookieHeader(true).rfind("__Host-chat_session=; Path=/;", 0), 0u);
  EXPECT_EQ(SessionCookieHeader("v", 1000, false).rfind("chat_session=v; Path=/;", 0), 0u);
  EXPECT_NE(ClearCookieHeader(false).find("Max-Age=0"), std::string::npos);
}

TEST_F(SessionTest, KeyFileIsMadeOnceWithMode0600) {
  char dir[] = "/tmp/chat-key-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/chat.db.secret";
  Result<SessionKey> first = LoadOrCreateKey(path);
  ASSERT_TRUE(first.ok());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  Result<SessionKey> second = LoadOrCreateKey(path);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first.value(), second.value());
  unlink(path.c_str());
  rmdir(dir);
}

// `chatctl secret rotate` writes a temp file and renames it over the key:
// a KeyFile follows it at once; a key file that vanishes leaves the old key.
TEST_F(SessionTest, KeyFileFollowsARotatedFile) {
  char dir[] = "/tmp/chat-key-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/chat.db.secret";
  Result<KeyFile> file = KeyFile::Open(path);
  ASSERT_TRUE(file.ok());
  // The key in use is the one written to the file, a random one, and a
  // second Open (another worker) loads it rather than making its own.
  SessionKey before = file.value().Current();
  SessionKey on_disk{};
  FILE* in = fopen(path.c_str(), "rb");
  ASSERT_NE(in, nullptr);
  ASSERT_EQ(fread(on_disk.data(), 1, on_disk.size(), in), on_disk.size());
  fclose(in);
  EXPECT_EQ(before, on_disk);
  EXPECT_NE(before, SessionKey{});
  Result<KeyFile> second = KeyFile::Open(path);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.value().Current(), before);

  SessionKey rotated{};
  rotated.fill(0x5a);
  std::string tmp = path + ".new";
  FILE* f = fopen(tmp.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(fwrite(rotated.data(), 1, rotated.size(), f), rotated.size());
  fclose(f);
  ASSERT_EQ(rename(tmp.c_str(), path.c_str()), 0);
  EXPECT_EQ(file.value().Current(), rotated);
  EXPECT_NE(SignToken(Token{}, before), SignToken(Token{}, file.value().Current()));

  unlink(path.c_str());
  EXPECT_EQ(file.value().Current(), rotated);
  rmdir(dir);
}

}  // namespace
}  // namespace chat
