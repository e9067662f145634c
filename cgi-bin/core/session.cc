// See session.h.
#include "session.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace chat {
namespace {

constexpr int kB64 = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
constexpr size_t kTokenChars = 22;  // base64url of 16 bytes
constexpr size_t kMacChars = 43;    // base64url of 32 bytes

std::string Base64(const unsigned char* data, size_t len) {
  std::string out(sodium_base64_encoded_len(len, kB64), '\0');
  sodium_bin2base64(out.data(), out.size(), data, len, kB64);
  out.resize(strlen(out.c_str()));
  return out;
}

bool Unbase64(const std::string& in, unsigned char* out, size_t want) {
  size_t got = 0;
  if (sodium_base642bin(out, want, in.data(), in.size(), nullptr, &got, nullptr, kB64) != 0) {
    return false;
  }
  return got == want;
}

std::array<unsigned char, 32> HashToken(const Token& token) {
  std::array<unsigned char, 32> h{};
  crypto_generichash(h.data(), h.size(), token.data(), token.size(), nullptr, 0);
  return h;
}

// Reads exactly kKeyBytes from the file: nullopt when done, else what is
// wrong with it ("missing" only when it does not exist). One byte more is
// asked for, so a file that is too long is told apart from a good one.
std::optional<std::string> ReadKey(const std::string& path, SessionKey* key) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? "missing" : std::string("cannot be read: ") + strerror(errno);
  unsigned char buf[kKeyBytes + 1];
  size_t got = 0;
  ssize_t n = 0;
  while (got < sizeof buf && (n = read(fd, buf + got, sizeof buf - got)) > 0) got += n;
  int read_errno = errno;
  close(fd);
  if (n < 0) return std::string("cannot be read: ") + strerror(read_errno);
  if (got != kKeyBytes) {
    return "holds " +
           std::string(got > kKeyBytes ? "more than " + std::to_string(kKeyBytes)
                                       : std::to_string(got)) +
           " bytes, not the " + std::to_string(kKeyBytes) + " random bytes of a session key";
  }
  std::copy(buf, buf + kKeyBytes, key->begin());
  return std::nullopt;
}

// A new random key in a fresh 0600 file beside `path` (`path`.TAG.pid),
// written and synced; its name, or "" when that failed (nothing left behind).
std::string NewKeyFile(const std::string& path, const char* tag) {
  SessionKey key{};
  randombytes_buf(key.data(), key.size());
  std::string tmp = path + "." + tag + "." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  bool written = fd >= 0 && write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
                 fsync(fd) == 0;
  if (fd >= 0) close(fd);
  if (!written) {
    unlink(tmp.c_str());
    return "";
  }
  return tmp;
}

}  // namespace

Result<SessionKey> LoadOrCreateKey(const std::string& path) {
  SessionKey key{};
  std::optional<std::string> wrong = ReadKey(path, &key);
  if (!wrong) return key;
  // Only a missing file is made: one that is there but broken is never
  // replaced behind the admin's back, which would sign everyone out.
  if (*wrong == "missing") {
    std::string tmp = NewKeyFile(path, "tmp");
    if (!tmp.empty()) {
      // link() fails if another process made the file first; then theirs wins
      // (read below), so its result needs no other handling.
      if (link(tmp.c_str(), path.c_str()) != 0) {
      }
      unlink(tmp.c_str());
    }
    wrong = ReadKey(path, &key);
    if (!wrong) return key;
    if (*wrong == "missing") wrong = "missing, and it could not be created there";
  }
  return Err(500, "no_secret",
             "session key file " + path + " " + *wrong +
                 "; restore it from a backup, or run `chatctl secret rotate` to make a new one "
                 "(which signs everyone out)");
}

bool ReplaceKey(const std::string& path) {
  std::string tmp = NewKeyFile(path, "new");
  if (tmp.empty()) return false;
  if (rename(tmp.c_str(), path.c_str()) == 0) return true;
  unlink(tmp.c_str());
  return false;
}

std::optional<KeyFile::Stamp> KeyFile::StampOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return Stamp{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
               static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

Result<KeyFile> KeyFile::Open(const std::string& path) {
  KeyFile f;
  f.path_ = path;
  // The stamp first: a rotation between the two is then seen on the next call.
  f.stamp_ = StampOf(path).value_or(Stamp{});
  Result<SessionKey> key = LoadOrCreateKey(path);
  if (!key.ok()) return key.error();
  f.key_ = key.value();
  return f;
}

const SessionKey& KeyFile::Current() {
  std::optional<Stamp> now = StampOf(path_);
  if (!now || *now == stamp_) return key_;
  SessionKey fresh{};
  if (!ReadKey(path_, &fresh)) {
    key_ = fresh;
    stamp_ = *now;
  }
  return key_;
}

std::string SignToken(const Token& token, const SessionKey& key) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, token.data(), token.size(), key.data());
  return Base64(token.data(), token.size()) + "." + Base64(mac, sizeof mac);
}

std::optional<Token> VerifyCookie(const std::string& value, const SessionKey& key) {
  if (value.size() != kTokenChars + 1 + kMacChars || value[kTokenChars] != '.') return std::nullopt;
  Token token{};
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  if (!Unbase64(value.substr(0, kTokenChars), token.data(), token.size()) ||
      !Unbase64(value.substr(kTokenChars + 1), mac, sizeof mac)) {
    return std::nullopt;
  }
  // Base64 has several spellings of the same bytes (the unused low bits of
  // the last character); accept only the canonical one, of both parts.
  if (Base64(token.data(), token.size()).compare(0, kTokenChars, value, 0, kTokenChars) != 0 ||
      Base64(mac, sizeof mac).compare(0, kMacChars, value, kTokenChars + 1, kMacChars) != 0) {
    return std::nullopt;
  }
  if (crypto_auth_hmacsha256_verify(mac, token.data(), token.size(), key.data()) != 0) {
    return std::nullopt;
  }
  return token;
}

std::optional<SessionUser> LookupSession(Db& db, const Token& token, int64_t now) {
  SessionUser user;
  user.token_hash = HashToken(token);
  auto q = db.Prepare(
      "SELECT u.id, u.username, u.room_id, s.created_at, s.expires_at, u.attention "
      "FROM sessions s JOIN users u ON u.id = s.user_id "
      "WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.disabled_at IS NULL");
  q.BindBlob(1, user.token_hash.data(), static_cast<int>(user.token_hash.size())).Bind(2, now);
  if (!q.Step()) return std::nullopt;
  user.id = q.Int(0);
  user.username = q.Text(1);
  if (!q.IsNull(2)) user.room_id = q.Int(2);
  user.created_at = q.Int(3);
  user.expires_at = q.Int(4);
  user.attention = q.Int(5);
  return user;
}

std::string CreateSession(Db& db, const SessionKey& key, int64_t user_id, int64_t now,
                          int64_t idle_ms, int64_t ttl_ms) {
  Token token{};
  randombytes_buf(token.data(), token.size());
  auto hash = HashToken(token);
  db.Prepare(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, "
        "?4)")
      .BindBlob(1, hash.data(), static_cast<int>(hash.size()))
      .Bind(2, user_id)
      .Bind(3, now)
      .Bind(4, now + std::min(idle_ms, ttl_ms))
      .Run();
  return SignToken(token, key);
}

bool SessionTooOld(const SessionUser& user, int64_t now, int64_t ttl_ms) {
  return now >= user.created_at + ttl_ms;
}

void TouchSession(Db& db, const SessionUser& user, int64_t now, int64_t idle_ms, int64_t ttl_ms) {
  int64_t until = std::min(now + idle_ms, user.created_at + ttl_ms);
  if (until - user.expires_at <= idle_ms / 10) return;
  try {
    db.Prepare("UPDATE sessions SET expires_at = ?2 WHERE token_hash = ?1 AND expires_at < ?2")
        .BindBlob(1, user.token_hash.data(), static_cast<int>(user.token_hash.size()))
        .Bind(2, until)
        .Run();
  } catch (const DbError&) {
    // Bookkeeping never fails the request it follows (the reply is made):
    // the next request of the session tries again.
  }
}

void RevokeSession(Db& db, const SessionUser& user) {
  db.Prepare("DELETE FROM sessions WHERE token_hash = ?1")
      .BindBlob(1, user.token_hash.data(), static_cast<int>(user.token_hash.size()))
      .Run();
}

void RevokeOtherSessions(Db& db, const SessionUser& user) {
  db.Prepare("DELETE FROM sessions WHERE user_id = ?1 AND token_hash != ?2")
      .Bind(1, user.id)
      .BindBlob(2, user.token_hash.data(), static_cast<int>(user.token_hash.size()))
      .Run();
}

std::string SessionCookieHeader(const std::string& value, int64_t ttl_ms, bool secure) {
  return std::string(SessionCookieName(secure)) + "=" + value +
         "; Path=/; Max-Age=" + std::to_string(ttl_ms / 1000) + "; HttpOnly; SameSite=Lax" +
         (secure ? "; Secure" : "");
}

std::string ClearCookieHeader(bool secure) {
  return std::string(SessionCookieName(secure)) + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" +
         (secure ? "; Secure" : "");
}

}  // namespace chat
