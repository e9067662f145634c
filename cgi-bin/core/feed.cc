// See feed.h.
#include "feed.h"

#include "config.h"
#include "doorbell.h"
#include "rooms.h"

namespace chat {

Result<MessageRef> FindMessageToActOn(Db& db, int64_t user_id, int64_t message_id) {
  auto q = db.Prepare(
      "SELECT m.room_id, m.user_id, r.owner_id, r.kind = 'open' FROM messages m "
      "JOIN rooms r ON r.id = m.room_id "
      "WHERE m.id = ?1 AND m.deleted_at IS NULL");
  if (!q.Bind(1, message_id).Step()) {
    return Err(404, "message_not_found", "There is no such message.");
  }
  MessageRef ref{message_id, q.Int(0), q.Int(1), q.Int(2), q.Int(3) != 0};
  // A message of a room the user may not see does not exist for them
  // (CheckRoomAccess, core/rooms.h): not even its id is confirmed.
  if (!FindVisibleRoom(db, user_id, ref.room_id).ok()) {
    return Err(404, "message_not_found", "There is no such message.");
  }
  Result<Room> room = CheckMembership(db, user_id, ref.room_id);
  if (!room.ok()) return room.error();
  return ref;
}

Result<MessageRef> FindMessageForAdmin(Db& db, int64_t message_id) {
  auto q = db.Prepare(
      "SELECT m.room_id, m.user_id, r.owner_id FROM messages m JOIN rooms r ON r.id = m.room_id "
      "WHERE m.id = ?1 AND m.deleted_at IS NULL AND r.deleted_at IS NULL");
  if (!q.Bind(1, message_id).Step()) {
    return Err(404, "message_not_found", "There is no such message.");
  }
  return MessageRef{message_id, q.Int(0), q.Int(1), q.Int(2)};
}

bool IsAdmin(Db& db, int64_t user_id) {
  auto q = db.Prepare("SELECT admin FROM users WHERE id = ?1");
  return q.Bind(1, user_id).Step() && q.Int(0) != 0;
}

int64_t NextChangeNumber(Db& db) {
  auto next =
      db.Prepare("UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'messages' RETURNING seq");
  if (next.Step()) {
    int64_t number = next.Int(0);
    while (next.Step()) {
    }
    return number;
  }
  // No message was ever stored, so SQLite has no row for the table yet; one
  // may be inserted by hand, and the next message's id is then past it
  // (https://sqlite.org/autoinc.html, "ordinary UPDATE, INSERT, and DELETE
  // statements" on sqlite_sequence).
  db.Prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('messages', 1)").Run();
  return 1;
}

int64_t MarkChanged(Db& db, int64_t id) {
  int64_t number = NextChangeNumber(db);
  db.Prepare("UPDATE messages SET seq = ?1 WHERE id = ?2").Bind(1, number).Bind(2, id).Run();
  return number;
}

void RingChange(const Config& config, const char* program, int64_t room_id, int64_t number) {
  RingDoorbell(config, program, room_id,
               "{\"type\":\"message\",\"id\":" + std::to_string(number) + "}");
}

}  // namespace chat
