// auth: accounts and sessions. Register, log in, log out, "who am I", and
// the admin's list of accounts with disable/enable (/api/admin/users).
// Password hashing (about a quarter second of scrypt) happens outside any
// transaction, so a login never holds the database's write lock while it hashes.
#include "core/audit.h"
#include "core/clock.h"
#include "core/device.h"
#include "core/feed.h"
#include "core/http.h"
#include "core/json.h"
#include "core/migrate.h"
#include "core/password.h"
#include "core/storage.h"
#include "core/streams.h"
#include "core/test_gate.h"
#include "core/throttle.h"
#include "core/users.h"
#include "core/validate.h"

namespace chat {
namespace {

// The reply of a register or login: {"user"}, the session cookie and a new
// device cookie for the account (device.h), in that order.
Response LoggedIn(Context& ctx, int status, int64_t user_id, const std::string& username,
                  const std::string& cookie) {
  Json::Value body(Json::objectValue);
  body["user"] = UserJson(user_id, username);
  Response r = Response::Json(status, body);
  r.headers.emplace_back("Set-Cookie",
                         SessionCookieHeader(cookie, ctx.config.session_ttl_ms, ctx.req.https));
  r.headers.emplace_back(
      "Set-Cookie",
      DeviceCookieHeader(MakeDeviceCookie(ctx.key, FoldCase(username), NowMs()), ctx.req.https));
  return r;
}

// Who is trying to log in as `username_key`: the device cookie counts only
// when it is valid and names this very account.
LoginAttempt AttemptOf(Context& ctx, const std::string& username_key) {
  LoginAttempt a{username_key, ThrottleAddress(ctx.req.remote_addr), ""};
  if (username_key.empty() || ctx.req.device_cookie.empty()) return a;
  std::optional<Device> d = VerifyDeviceCookie(ctx.req.device_cookie, ctx.key, NowMs());
  if (d && d->username_key == username_key) a.device = d->id;
  return a;
}

std::string NewSession(Context& ctx, int64_t user_id) {
  return CreateSession(ctx.db, ctx.key, user_id, NowMs(), ctx.config.session_idle_ms,
                       ctx.config.session_ttl_ms);
}

// POST /api/register {"username", "password"}
// Anyone. Creates the account and logs it in.
// 201 {"user"} + session cookie + device cookie (device.h).
// 400 invalid_username (3-32 of A-Z a-z 0-9 _ . -), invalid_password (8-1024
// bytes, no NUL); 409 username_taken (case-insensitive); 429 rate_limited (nginx).
Response HandleRegister(Context& ctx) {
  std::string username, password;
  if (!GetString(ctx.req.json, "username", &username) || !IsValidUsername(username)) {
    return Response::Error(
        Err(400, "invalid_username", "Usernames are 3 to 32 letters, digits, '_', '.' or '-'."));
  }
  if (!GetString(ctx.req.json, "password", &password) || !IsValidPassword(password)) {
    return Response::Error(
        Err(400, "invalid_password", "Passwords are 8 to 1024 characters long."));
  }
  std::optional<std::string> hash = HashPassword(password);
  if (!hash) throw std::runtime_error("libscrypt_hash failed");
  // The account and its session in one transaction: nothing (an admin's
  // delete) can come between them.
  Transaction tx(ctx.db);
  std::optional<int64_t> id = InsertUser(ctx.db, username, *hash);
  if (!id) return Response::Error(Err(409, "username_taken", "That username is taken."));
  std::string cookie = NewSession(ctx, *id);
  tx.Commit();
  return LoggedIn(ctx, 201, *id, username, cookie);
}

// POST /api/login {"username", "password"}
// Anyone. 200 {"user"} + session cookie + device cookie (device.h).
// 401 invalid_credentials, the same answer after the same work for an
// unknown user and a wrong password, and also when the account changed while
// its password was being checked (changed or reset, disabled, deleted): the
// session is made only in the write transaction that finds the row as it was
// checked (users.h AccountUnchanged). 403 account_disabled (right password,
// disabled by `chatctl user disable`); 400 invalid_json when a field is not a
// string; 429 rate_limited with Retry-After: too many failures for this
// account from this address, from this address, or for this account, or from
// this device when the request carries a device cookie for the account
// (throttle.h; checked before any password work), or too many requests from
// this address (nginx).
Response HandleLogin(Context& ctx) {
  std::string username, password;
  if (!GetString(ctx.req.json, "username", &username) ||
      !GetString(ctx.req.json, "password", &password)) {
    return Response::Error(
        Err(400, "invalid_json", "Send \"username\" and \"password\" as strings."));
  }
  std::string key = IsValidUsername(username) ? FoldCase(username) : "";
  LoginAttempt attempt = AttemptOf(ctx, key);
  if (Status s = ChargeLoginAttempt(ctx.db, ctx.config, attempt, NowMs())) {
    return Response::Error(*s);
  }
  bool found = false, disabled = false;
  int64_t user_id = 0;
  std::string name, stored;
  {
    // Copied out and the statement reset before scrypt runs: a statement
    // left open would hold its read snapshot through the hashing, and the
    // session's BEGIN IMMEDIATE could then not move on to the newest data
    // (SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out: a 503 under
    // contention, tests/api/contention.test.mjs), and no checkpoint could
    // copy past it meanwhile.
    auto q = ctx.db.Prepare(
        "SELECT id, username, password_hash, disabled_at FROM users WHERE username_key = ?1");
    q.Bind(1, FoldCase(username));
    found = IsValidUsername(username) && IsValidPassword(password) && q.Step();
    if (found) {
      user_id = q.Int(0);
      name = q.Text(1);
      stored = q.Text(2);
      disabled = !q.IsNull(3);
    }
  }
  bool ok = false;
  if (found) {
    ok = CheckPassword(stored, password);
    if (ok && disabled) {
      return Response::Error(
          Err(403, "account_disabled", "This account has been disabled by an administrator."));
    }
  } else {
    CheckPasswordAgainstDummy(password);
  }
  ApiError failed = Err(401, "invalid_credentials", "That username and password do not match.");
  if (!ok) return Response::Error(failed);
  PauseAtTestGate("login", key);  // test_gate.h: off unless a race test opens it
  Transaction tx(ctx.db);
  if (!AccountUnchanged(ctx.db, user_id, stored)) return Response::Error(failed);
  RefundLoginAttempt(ctx.db, ctx.config, attempt, NowMs());
  std::string cookie = NewSession(ctx, user_id);
  tx.Commit();
  return LoggedIn(ctx, 200, user_id, name, cookie);
}

// POST /api/logout
// A logged-in user. Revokes this session: its cookie is refused from now on,
// and its open event stream is closed (core/streams.h). The browser is told
// to drop its cache of this site: a file's bytes are kept there for a year
// (files.cpp, Cache-Control private immutable) under their address alone,
// and the next person at a shared computer would be served them without a
// session (W3C Clear Site Data; OWASP Session Management Cheat Sheet).
// 204, cookie cleared, Clear-Site-Data "cache". 401 not_logged_in.
Response HandleLogout(Context& ctx) {
  Transaction tx(ctx.db);
  std::vector<StreamId> streams =
      StreamsToRevoke(ctx.db, SessionStreams(ctx.user().id, ctx.user().token_hash));
  RevokeSession(ctx.db, ctx.user());
  tx.Commit();
  RevokeStreams(ctx.config, "auth", streams);
  Response r = Response::NoContent();
  r.headers.emplace_back("Set-Cookie", ClearCookieHeader(ctx.req.https));
  r.headers.emplace_back("Clear-Site-Data", "\"cache\"");
  return r;
}

// POST /api/password {"old", "new"}
// A logged-in user. Changes the password and ends every other session of the
// user (this one stays logged in), and their event streams: a stolen cookie
// dies with the old password.
// 204. 400 invalid_json (fields not strings), invalid_password (new: 8-1024
// bytes, no NUL); 401 not_logged_in; 403 wrong_password (old does not match);
// 429 rate_limited: guesses at "old" are throttled like logins (throttle.h).
Response HandleChangePassword(Context& ctx) {
  std::string old_password, new_password;
  if (!GetString(ctx.req.json, "old", &old_password) ||
      !GetString(ctx.req.json, "new", &new_password)) {
    return Response::Error(Err(400, "invalid_json", "Send \"old\" and \"new\" as strings."));
  }
  if (!IsValidPassword(new_password)) {
    return Response::Error(
        Err(400, "invalid_password", "Passwords are 8 to 1024 characters long."));
  }
  std::string stored;
  {
    auto q = ctx.db.Prepare("SELECT password_hash FROM users WHERE id = ?1");
    if (q.Bind(1, ctx.user().id).Step()) stored = q.Text(0);
  }
  LoginAttempt attempt = AttemptOf(ctx, FoldCase(ctx.user().username));
  if (Status s = ChargeLoginAttempt(ctx.db, ctx.config, attempt, NowMs())) {
    return Response::Error(*s);
  }
  ApiError wrong = Err(403, "wrong_password", "The current password is not right.");
  if (!IsValidPassword(old_password) || !CheckPassword(stored, old_password)) {
    return Response::Error(wrong);
  }
  std::optional<std::string> hash = HashPassword(new_password);
  if (!hash) throw std::runtime_error("libscrypt_hash failed");
  Transaction tx(ctx.db);
  // Only if nobody changed it meanwhile: the old password was checked against `stored`.
  ctx.db.Prepare("UPDATE users SET password_hash = ?2 WHERE id = ?1 AND password_hash = ?3")
      .Bind(1, ctx.user().id)
      .Bind(2, *hash)
      .Bind(3, stored)
      .Run();
  if (ctx.db.Changes() != 1) return Response::Error(wrong);
  std::vector<StreamId> streams =
      StreamsToRevoke(ctx.db, OtherSessionsStreams(ctx.user().id, ctx.user().token_hash));
  RevokeOtherSessions(ctx.db, ctx.user());
  RefundLoginAttempt(ctx.db, ctx.config, attempt, NowMs());
  tx.Commit();
  RevokeStreams(ctx.config, "auth", streams);
  return Response::NoContent();
}

// GET /api/me
// A logged-in user. 200 {"user": user plus "admin": true for an admin (who
// may delete any room and message and use /admin), "room": the room the user
// is in, or null}. 401 not_logged_in.
Response HandleMe(Context& ctx) {
  Json::Value body(Json::objectValue);
  body["user"] = UserJson(ctx.user().id, ctx.user().username);
  if (IsAdmin(ctx.db, ctx.user().id)) body["user"]["admin"] = true;
  body["room"] = Json::Value();
  if (ctx.user().room_id) {
    std::optional<Room> room = FindRoom(ctx.db, *ctx.user().room_id);
    if (room && !room->deleted) body["room"] = RoomJson(*room);
  }
  return Response::Json(200, body);
}

// GET /api/health
// Anyone, no session: for load balancers and monitoring. Looks at the free
// space beside the database, reads it and takes and drops the write lock
// (WAL readers are never blocked, so only the lock shows whether a post
// could be stored right now).
// 200 {"ok": true} when all answer at the schema version this program
// speaks; otherwise 503 {"ok": false, "error": {"code"}} + Retry-After, the
// code saying why: storage_read_only (the database or its folder cannot be
// written, even if this worker's open file still can), storage_full (under
// 1 MiB left for the database's files or a write failed for want of space),
// unavailable (write lock held past the busy timeout,
// I/O error, or the database migrated by a newer release). A worker that
// could not start at all answers the same shape itself (core/serve.cc), with
// secret_invalid for an unusable session key file.
Response HandleHealth(Context& ctx) {
  Json::Value body(Json::objectValue);
  ApiError e = Err(503, "unavailable", "The database is not answering.");
  e.retry_after = 5;
  try {
    if (!StorageWritable(ctx.config.db_path)) {
      e = FaultError(StorageFault::kReadOnly);
    } else if (StorageNearlyFull(ctx.config.db_path)) {
      e = FaultError(StorageFault::kFull);
    } else {
      ctx.db.Prepare("SELECT 1 FROM users LIMIT 1").Step();
      Transaction probe(ctx.db);  // rolled back at once: nothing is written
      if (SchemaVersion(ctx.db) == kSchemaVersion) {
        body["ok"] = true;
        return Response::Json(200, body);
      }
    }
  } catch (const DbError& error) {
    StorageFault fault = FaultOf(error);
    if (fault == StorageFault::kFull || fault == StorageFault::kReadOnly) e = FaultError(fault);
  }
  e.extra["ok"] = false;
  return Response::Error(e);
}

constexpr int kAdminUsersPage = 100;

// 403 not_admin unless the caller is an admin (`chatctl user admin NAME on`).
Status RequireAdmin(Context& ctx) {
  if (IsAdmin(ctx.db, ctx.user().id)) return std::nullopt;
  return Err(403, "not_admin", "Only an admin can do this.");
}

// An account as the admin page shows it.
Json::Value AdminUserJson(const Query& q) {
  Json::Value u = UserJson(q.Int(0), q.Text(1));
  u["created_at"] = FormatTime(q.Int(2));
  u["disabled"] = !q.IsNull(3);
  u["admin"] = q.Int(4) != 0;
  return u;
}

// GET /api/admin/users?after=N
// An admin. 200 {"users": [{"id", "username", "created_at", "disabled",
// "admin"}...] the next 100 accounts with an id above N (default 0) by id,
// "more": whether more follow (ask again with after= the last id)}.
// 400 invalid_cursor (N not a whole number); 401; 403 not_admin.
Response HandleAdminUsers(Context& ctx) {
  if (Status s = RequireAdmin(ctx)) return Response::Error(*s);
  int64_t after = 0;
  if (std::optional<std::string> text = ctx.req.Param("after")) {
    std::optional<int64_t> v = ParseDecimal(*text);
    if (!v) {
      return Response::Error(
          Err(400, "invalid_cursor", "after must be a whole number of at least 0."));
    }
    after = *v;
  }
  auto q = ctx.db.Prepare(
      "SELECT id, username, created_at, disabled_at, admin FROM users WHERE id > ?1 "
      "ORDER BY id LIMIT ?2");
  q.Bind(1, after).Bind(2, static_cast<int64_t>(kAdminUsersPage + 1));
  Json::Value body(Json::objectValue);
  body["users"] = Json::Value(Json::arrayValue);
  body["more"] = false;
  while (q.Step()) {
    if (body["users"].size() == kAdminUsersPage) {
      body["more"] = true;
      break;
    }
    body["users"].append(AdminUserJson(q));
  }
  return Response::Json(200, body);
}

// POST /api/admin/users/{id} {"disabled": true|false}
// An admin disables or enables an account, as `chatctl user disable|enable`
// does (core/users.h SetDisabled, the same code): disabling ends every
// session of the account and its open event streams at once. Recorded in
// the audit log with who did it (core/audit.h). 200 {"user"} as in the list.
// 400 invalid_json ("disabled" not true or false); 401; 403 not_admin;
// 404 user_not_found; 409 own_account (an admin cannot disable themself:
// that would end the very session asking).
Response HandleAdminSetUser(Context& ctx) {
  if (Status s = RequireAdmin(ctx)) return Response::Error(*s);
  const Json::Value& v = ctx.req.json["disabled"];
  if (!v.isBool()) {
    return Response::Error(Err(400, "invalid_json", "Send {\"disabled\": true} or false."));
  }
  const bool disabled = v.asBool();
  if (disabled && ctx.req.id == ctx.user().id) {
    return Response::Error(Err(409, "own_account", "You cannot disable your own account."));
  }
  Transaction tx(ctx.db);
  auto who = ctx.db.Prepare("SELECT username FROM users WHERE id = ?1");
  if (!who.Bind(1, ctx.req.id).Step()) {
    return Response::Error(Err(404, "user_not_found", "There is no such user."));
  }
  const std::string name = who.Text(0);
  DisableResult done = SetDisabled(ctx.db, ctx.req.id, disabled, NowMs());
  const AuditEntry audit{ctx.user().id, ctx.user().username,
                         disabled ? "user_disable" : "user_enable", Named("user", ctx.req.id, name),
                         disabled ? std::to_string(done.sessions_ended) + " session(s) ended" : ""};
  RecordAudit(ctx.db, audit);
  auto q = ctx.db.Prepare(
      "SELECT id, username, created_at, disabled_at, admin FROM users WHERE id = ?1");
  q.Bind(1, ctx.req.id).Step();
  Json::Value body(Json::objectValue);
  body["user"] = AdminUserJson(q);
  tx.Commit();
  LogAudit("auth", audit);
  RevokeStreams(ctx.config, "auth", done.streams);
  return Response::Json(200, body);
}

const std::vector<Route> kRoutes = {
    {"GET", "/api/health", kOwnTransactions, HandleHealth},
    {"POST", "/api/register", kNeedsJsonBody, HandleRegister},
    {"POST", "/api/login", kNeedsJsonBody, HandleLogin},
    {"POST", "/api/logout", kNeedsSession, HandleLogout},
    {"POST", "/api/password", kNeedsSession | kNeedsJsonBody, HandleChangePassword},
    {"GET", "/api/me", kNeedsSession, HandleMe},
    {"GET", "/api/admin/users", kNeedsSession, HandleAdminUsers},
    {"POST", "/api/admin/users/{id}", kNeedsSession | kNeedsJsonBody, HandleAdminSetUser},
};

}  // namespace
}  // namespace chat

int main() { return chat::Serve("auth", chat::kRoutes); }
