// Rooms as the programs share them: lookup, listing, the JSON shape, and the
// membership rule (a user is in at most one room, kept in users.room_id).
// A deleted room keeps its row (deleted_at set) so members still inside are
// told its name with 410; its messages are deleted with it.
#pragma once

#include <json/json.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "db.h"
#include "result.h"
#include "session.h"

namespace chat {

struct Room {
  int64_t id = 0;
  std::string name;
  int64_t owner_id = 0;
  std::string owner_name;
  int64_t created_at = 0;
  bool deleted = false;
  int64_t member_count = 0;
};

std::optional<Room> FindRoom(Db& db, int64_t id);
std::vector<Room> ListLiveRooms(Db& db);
Json::Value RoomJson(const Room& room);
Json::Value UserJson(int64_t id, const std::string& username);

// 404 room_not_found for no such room, 410 room_deleted (with the room's id
// and name) for a deleted one.
Result<Room> FindLiveRoom(Db& db, int64_t id);
// FindLiveRoom, then 409 not_in_room unless the user is in it. Reads
// users.room_id afresh, so call it inside the write transaction that depends on it.
Result<Room> CheckMembership(Db& db, int64_t user_id, int64_t room_id);
// True when the room exists and is not deleted: one primary-key read.
bool IsLiveRoom(Db& db, int64_t id);

// Migration 0006 (sql/migrations/*_room_name_keys.sql), run inside its
// transaction: recomputes every room's name_key with RoomNameKey, keeping
// every row. Names are trimmed as the input rules trim them; a name of
// invisible characters only becomes "Room <id>"; when live rooms now share a
// key, the oldest (lowest id) keeps its name and each later one is renamed
// "<name> (2)", "(3)" ... (cut to 64 characters) to the first free key.
// `note` hears one line per room renamed.
void RekeyRoomNames(Db& db, const std::function<void(const std::string&)>& note);

}  // namespace chat
