// See rooms.h.
#include "rooms.h"

#include "clock.h"

namespace chat {
namespace {

// Columns read by ReadRoom, in order.
#define ROOM_COLUMNS                                                                           \
  "r.id, r.name, r.owner_id, o.username, r.created_at, r.deleted_at IS NOT NULL, "             \
  "(SELECT count(*) FROM users m WHERE m.room_id = r.id) FROM rooms r JOIN users o ON o.id = " \
  "r.owner_id "

Room ReadRoom(const Query& q) {
  Room r;
  r.id = q.Int(0);
  r.name = q.Text(1);
  r.owner_id = q.Int(2);
  r.owner_name = q.Text(3);
  r.created_at = q.Int(4);
  r.deleted = q.Int(5) != 0;
  r.member_count = q.Int(6);
  return r;
}

}  // namespace

std::optional<Room> FindRoom(Db& db, int64_t id) {
  auto q = db.Prepare("SELECT " ROOM_COLUMNS "WHERE r.id = ?1");
  q.Bind(1, id);
  if (!q.Step()) return std::nullopt;
  return ReadRoom(q);
}

std::vector<Room> ListLiveRooms(Db& db) {
  auto q =
      db.Prepare("SELECT " ROOM_COLUMNS "WHERE r.deleted_at IS NULL ORDER BY r.name_key, r.id");
  std::vector<Room> rooms;
  while (q.Step()) rooms.push_back(ReadRoom(q));
  return rooms;
}

Json::Value UserJson(int64_t id, const std::string& username) {
  Json::Value u(Json::objectValue);
  u["id"] = static_cast<Json::Int64>(id);
  u["username"] = username;
  return u;
}

Json::Value RoomJson(const Room& room) {
  Json::Value j(Json::objectValue);
  j["id"] = static_cast<Json::Int64>(room.id);
  j["name"] = room.name;
  j["owner"] = UserJson(room.owner_id, room.owner_name);
  j["created_at"] = FormatTime(room.created_at);
  j["member_count"] = static_cast<Json::Int64>(room.member_count);
  return j;
}

Result<Room> FindLiveRoom(Db& db, int64_t id) {
  std::optional<Room> room = FindRoom(db, id);
  if (!room) return Err(404, "room_not_found", "There is no such room.");
  if (room->deleted) {
    ApiError e = Err(410, "room_deleted", "The room was deleted by its owner.");
    e.extra["room"]["id"] = static_cast<Json::Int64>(room->id);
    e.extra["room"]["name"] = room->name;
    return e;
  }
  return *room;
}

Result<Room> CheckMembership(Db& db, int64_t user_id, int64_t room_id) {
  Result<Room> room = FindLiveRoom(db, room_id);
  if (!room.ok()) return room;
  auto q = db.Prepare("SELECT room_id FROM users WHERE id = ?1");
  q.Bind(1, user_id);
  bool in_a_room = q.Step() && !q.IsNull(0);
  if (in_a_room && q.Int(0) == room_id) return room;
  // Say only what is true: the caller may never have joined this room, or
  // have left it, or have moved to another one (another tab). "in_room"
  // names where they are (null: nowhere) so a page can word its notice.
  ApiError e = in_a_room ? Err(409, "not_in_room",
                               "You are in another room now; join this one to read or post here.")
                         : Err(409, "not_in_room",
                               "You are not in this room; join it to read or post here.");
  e.extra["in_room"] = in_a_room ? Json::Value(static_cast<Json::Int64>(q.Int(0))) : Json::Value();
  return e;
}

bool IsLiveRoom(Db& db, int64_t id) {
  auto q = db.Prepare("SELECT 1 FROM rooms WHERE id = ?1 AND deleted_at IS NULL");
  return q.Bind(1, id).Step();
}

}  // namespace chat
