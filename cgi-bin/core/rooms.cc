// See rooms.h.
#include "rooms.h"

#include <set>

#include "clock.h"
#include "validate.h"

namespace chat {
namespace {

// Columns read by ReadRoom, in order.
// A direct room (direct_rooms row) is stored as kind 'private' and read as
// "direct", with its two people.
#define ROOM_COLUMNS                                                                              \
  "r.id, r.name, r.owner_id, o.username, r.created_at, r.deleted_at IS NOT NULL, "                \
  "(SELECT count(*) FROM users m WHERE m.room_id = r.id), "                                       \
  "CASE WHEN d.room_id IS NULL THEN r.kind ELSE 'direct' END, r.topic, d.user_low, dl.username, " \
  "d.user_high, dh.username, r.retention_days FROM rooms r JOIN users o ON o.id = r.owner_id "    \
  "LEFT JOIN "                                                                                    \
  "direct_rooms d ON d.room_id = r.id LEFT JOIN users dl ON dl.id = d.user_low LEFT JOIN users "  \
  "dh ON dh.id = d.user_high "

Room ReadRoom(const Query& q) {
  Room r;
  r.id = q.Int(0);
  r.name = q.Text(1);
  r.owner_id = q.Int(2);
  r.owner_name = q.Text(3);
  r.created_at = q.Int(4);
  r.deleted = q.Int(5) != 0;
  r.member_count = q.Int(6);
  r.kind = q.Text(7);
  r.topic = q.Text(8);
  if (r.kind == "direct") {
    r.direct = {{q.Int(9), q.Text(10)}, {q.Int(11), q.Text(12)}};
  }
  r.retention_days = q.IsNull(13) ? 0 : q.Int(13);
  return r;
}

constexpr size_t kMaxRoomNameChars = 64;

// `name` + " (n)", the name cut (at a character) so the whole is at most 64.
std::string WithSuffix(const std::string& name, int n) {
  std::string suffix = " (" + std::to_string(n) + ")";
  size_t keep = kMaxRoomNameChars - suffix.size(), end = 0, chars = 0;
  while (end < name.size() && chars < keep) {
    ++end;
    while (end < name.size() && (static_cast<unsigned char>(name[end]) & 0xC0) == 0x80) ++end;
    ++chars;
  }
  return Trim(name.substr(0, end)) + suffix;
}

}  // namespace

void RekeyRoomNames(Db& db, const std::function<void(const std::string&)>& note) {
  struct Row {
    int64_t id;
    std::string old_name, name, key;
    bool live;
  };
  std::vector<Row> rows;
  auto q = db.Prepare("SELECT id, name, deleted_at IS NULL FROM rooms ORDER BY id");
  while (q.Step()) {
    Row r{q.Int(0), q.Text(1), "", "", q.Int(2) != 0};
    r.name = Trim(r.old_name);
    if (r.name.empty() || RoomNameKey(r.name).empty()) r.name = "Room " + std::to_string(r.id);
    r.key = RoomNameKey(r.name);
    rows.push_back(r);
  }
  // The keys every live room would like: a renamed room must not take one.
  std::set<std::string> wanted, taken;
  for (const Row& r : rows) {
    if (r.live) wanted.insert(r.key);
  }
  // Placeholders first (a control character never is in a key), so that no
  // row's new key meets another row's old one in the unique index midway.
  db.Exec("UPDATE rooms SET name_key = char(1) || id");
  for (Row& r : rows) {
    if (r.live && taken.count(r.key)) {
      std::string base = r.name;
      for (int n = 2; taken.count(r.key) || wanted.count(r.key); ++n) {
        r.name = WithSuffix(base, n);
        r.key = RoomNameKey(r.name);
      }
      note("room " + std::to_string(r.id) + " \"" + r.old_name +
           "\" looks the same as an older room's name: renamed \"" + r.name + "\"");
    }
    if (r.live) taken.insert(r.key);
    db.Prepare("UPDATE rooms SET name = ?2, name_key = ?3 WHERE id = ?1")
        .Bind(1, r.id)
        .Bind(2, r.name)
        .Bind(3, r.key)
        .Run();
  }
}

std::optional<Room> FindRoom(Db& db, int64_t id) {
  auto q = db.Prepare("SELECT " ROOM_COLUMNS "WHERE r.id = ?1");
  q.Bind(1, id);
  if (!q.Step()) return std::nullopt;
  return ReadRoom(q);
}

std::vector<Room> ListVisibleRooms(Db& db, int64_t user_id) {
  // CheckRoomAccess's rule as SQL, so the list is one query.
  auto q = db.Prepare("SELECT " ROOM_COLUMNS
                      "WHERE r.deleted_at IS NULL AND (r.kind = 'open' OR EXISTS (SELECT 1 FROM "
                      "room_members rm WHERE rm.room_id = r.id AND rm.user_id = ?1 AND "
                      "(rm.hidden_after IS NULL OR EXISTS (SELECT 1 FROM messages x WHERE "
                      "x.room_id = r.id AND x.id > rm.hidden_after AND x.deleted_at IS NULL)))) "
                      "ORDER BY r.name_key, r.id");
  q.Bind(1, user_id);
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
  j["name"] = room.kind == "direct" ? Json::Value() : Json::Value(room.name);
  j["owner"] = UserJson(room.owner_id, room.owner_name);
  j["created_at"] = FormatTime(room.created_at);
  j["member_count"] = static_cast<Json::Int64>(room.member_count);
  j["kind"] = room.kind;
  j["topic"] = room.topic;
  j["retention_days"] = room.retention_days
                            ? Json::Value(static_cast<Json::Int64>(room.retention_days))
                            : Json::Value();
  if (room.kind == "direct") {
    j["members"] = Json::Value(Json::arrayValue);
    for (const auto& [id, username] : room.direct) j["members"].append(UserJson(id, username));
  }
  return j;
}

bool IsRoomMember(Db& db, int64_t room_id, int64_t user_id) {
  auto q = db.Prepare("SELECT 1 FROM room_members WHERE room_id = ?1 AND user_id = ?2");
  return q.Bind(1, room_id).Bind(2, user_id).Step();
}

Status CheckRoomAccess(Db& db, const Room& room, int64_t user_id) {
  if (room.kind == "open" || IsRoomMember(db, room.id, user_id)) return std::nullopt;
  return Err(404, "room_not_found", "There is no such room.");
}

Result<Room> FindVisibleRoom(Db& db, int64_t user_id, int64_t id) {
  std::optional<Room> room = FindRoom(db, id);
  if (!room) return Err(404, "room_not_found", "There is no such room.");
  if (Status s = CheckRoomAccess(db, *room, user_id)) return *s;
  return *room;
}

Result<Room> FindLiveRoom(Db& db, int64_t user_id, int64_t id) {
  Result<Room> room = FindVisibleRoom(db, user_id, id);
  if (!room.ok()) return room;
  if (room.value().deleted) {
    ApiError e = Err(410, "room_deleted", "The room was deleted by its owner.");
    e.extra["room"]["id"] = static_cast<Json::Int64>(room.value().id);
    e.extra["room"]["name"] = room.value().name;
    return e;
  }
  return room;
}

Result<Room> CheckMembership(Db& db, int64_t user_id, int64_t room_id) {
  Result<Room> room = FindLiveRoom(db, user_id, room_id);
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

bool IsLiveRoomFor(Db& db, int64_t id, int64_t user_id) {
  auto q = db.Prepare("SELECT kind = 'open' FROM rooms WHERE id = ?1 AND deleted_at IS NULL");
  if (!q.Bind(1, id).Step()) return false;
  // The same rule as CheckRoomAccess, without reading the whole room.
  return q.Int(0) != 0 || IsRoomMember(db, id, user_id);
}

bool MayReadRoom(Db& db, int64_t room_id, int64_t user_id) {
  return IsLiveRoomFor(db, room_id, user_id) &&
         !db.Prepare("SELECT 1 FROM room_bans WHERE room_id = ?1 AND user_id = ?2")
              .Bind(1, room_id)
              .Bind(2, user_id)
              .Step();
}

}  // namespace chat
