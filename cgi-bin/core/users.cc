// See users.h.
#include "users.h"

#include "clock.h"
#include "validate.h"

namespace chat {

std::optional<int64_t> InsertUser(Db& db, const std::string& username,
                                  const std::string& password_hash) {
  std::string key = FoldCase(username);
  if (db.Prepare("SELECT 1 FROM users WHERE username_key = ?1").Bind(1, key).Step()) {
    return std::nullopt;
  }
  db.Prepare(
        "INSERT INTO users (username, username_key, password_hash, created_at) "
        "VALUES (?1, ?2, ?3, ?4)")
      .Bind(1, username)
      .Bind(2, key)
      .Bind(3, password_hash)
      .Bind(4, NowMs())
      .Run();
  return db.LastInsertId();
}

bool AccountUnchanged(Db& db, int64_t id, const std::string& password_hash) {
  return db
      .Prepare("SELECT 1 FROM users WHERE id = ?1 AND password_hash = ?2 AND disabled_at IS NULL")
      .Bind(1, id)
      .Bind(2, password_hash)
      .Step();
}

DisableResult SetDisabled(Db& db, int64_t id, bool disabled, int64_t now_ms) {
  DisableResult r;
  if (!disabled) {
    db.Prepare("UPDATE users SET disabled_at = NULL WHERE id = ?1").Bind(1, id).Run();
    return r;
  }
  // Before anything changes (core/streams.h): the streams that end.
  r.streams = StreamsToRevoke(db, AllStreams(id));
  db.Prepare("UPDATE users SET disabled_at = coalesce(disabled_at, ?2) WHERE id = ?1")
      .Bind(1, id)
      .Bind(2, now_ms)
      .Run();
  db.Prepare("DELETE FROM sessions WHERE user_id = ?1").Bind(1, id).Run();
  r.sessions_ended = db.Changes();
  return r;
}

}  // namespace chat
