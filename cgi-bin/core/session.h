// Sessions: a signed cookie naming a server-side session row.
//
// The cookie value is base64url(token) "." base64url(HMAC-SHA256(token)),
// token being 128 random bits. The MAC is checked (in constant time) before
// the database is touched, so forged, truncated or re-signed cookies cost
// nothing. The database keeps only a BLAKE2b hash of the token: a copy of
// chat.db lets nobody log in. Deleting the row (logout) revokes the cookie.
// The HMAC key is 32 random bytes in a file of mode 0600 beside the database,
// made at first start.
//
// A session ends at the first of two limits: the absolute one (created_at +
// session_ttl_ms, however active the user) and the idle one (expires_at,
// pushed to now + session_idle_ms by activity). Only what a person does
// counts as activity; background requests (message polls, the room list
// refresh) never push expires_at, so a tab left open does not keep a session
// alive forever. expires_at is rewritten at most once per tenth of the idle
// limit, so activity costs a write rarely, not on every request.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "db.h"
#include "result.h"

namespace chat {

constexpr const char* kSessionCookie = "chat_session";
// Over HTTPS the cookie is named with the __Host- prefix, which browsers
// accept only with Secure, Path=/ and no Domain, and which plain HTTP cannot
// set: an attacker on the network cannot plant a session for the https site.
constexpr const char* kSecureSessionCookie = "__Host-chat_session";

// The cookie name for a request that came over HTTPS or not.
inline const char* SessionCookieName(bool https) {
  return https ? kSecureSessionCookie : kSessionCookie;
}
constexpr size_t kTokenBytes = 16;
constexpr size_t kKeyBytes = 32;

using SessionKey = std::array<unsigned char, kKeyBytes>;
using Token = std::array<unsigned char, kTokenBytes>;

// Reads the key file, creating it atomically (link of a finished temp file)
// when missing, so concurrent first starts agree on one key.
Result<SessionKey> LoadOrCreateKey(const std::string& path);
// Puts a new random key in place of the file atomically (temp file, fsync,
// rename), for `chatctl secret rotate`; false when it could not.
bool ReplaceKey(const std::string& path);

// The key as its file holds it now. `chatctl secret rotate` replaces the
// file (a rename, so a new inode); Current() notices with one stat() and
// re-reads it, so running workers sign and verify with the new key from
// their next request on, without a restart. A file that has gone or cannot
// be read leaves the key in memory as it was.
class KeyFile {
 public:
  // LoadOrCreateKey, remembering which file it came from.
  static Result<KeyFile> Open(const std::string& path);
  const SessionKey& Current();

 private:
  struct Stamp {
    uint64_t dev = 0, ino = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Stamp& o) const {
      return dev == o.dev && ino == o.ino && mtime_ns == o.mtime_ns;
    }
  };
  static std::optional<Stamp> StampOf(const std::string& path);

  std::string path_;
  SessionKey key_{};
  Stamp stamp_;
};

std::string SignToken(const Token& token, const SessionKey& key);
// The token in a well-formed, correctly signed cookie value; nullopt otherwise.
std::optional<Token> VerifyCookie(const std::string& value, const SessionKey& key);

struct SessionUser {
  int64_t id = 0;
  std::string username;
  std::optional<int64_t> room_id;  // the room the user is in
  std::array<unsigned char, 32> token_hash{};
  int64_t created_at = 0;  // ms since epoch: start of the absolute limit
  int64_t expires_at = 0;  // ms since epoch: end of the idle limit
  // users.attention (core/attention.h), read with the session at no extra
  // cost, so a poll tells "nothing new elsewhere" without another query.
  int64_t attention = 0;
};

// The live session's user for a verified token, or nullopt (unknown,
// expired, or the user disabled by an admin).
std::optional<SessionUser> LookupSession(Db& db, const Token& token, int64_t now);
// Stores a new session for the user; returns the cookie value. Runs inside
// the caller's write transaction.
std::string CreateSession(Db& db, const SessionKey& key, int64_t user_id, int64_t now,
                          int64_t idle_ms, int64_t ttl_ms);
// True when the session has outlived its absolute limit.
bool SessionTooOld(const SessionUser& user, int64_t now, int64_t ttl_ms);
// Records activity: pushes the idle limit to now + idle_ms (never past the
// absolute limit) when that moves it by more than a tenth of idle_ms. Runs
// outside any transaction; a database error is swallowed (see session.cc).
void TouchSession(Db& db, const SessionUser& user, int64_t now, int64_t idle_ms, int64_t ttl_ms);
void RevokeSession(Db& db, const SessionUser& user);
// Ends every session of the user but this one (after a password change).
void RevokeOtherSessions(Db& db, const SessionUser& user);

// Set-Cookie header values.
std::string SessionCookieHeader(const std::string& value, int64_t ttl_ms, bool secure);
std::string ClearCookieHeader(bool secure);

}  // namespace chat
