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
#include <utility>
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
  std::string kind = "open";  // "open", "private" (rooms.kind) or "direct" (a direct_rooms row)
  std::string topic;
  // A direct room's two people (id, username), smaller id first; else empty.
  std::vector<std::pair<int64_t, std::string>> direct;
  // Days messages are kept (core/retention.h), 0 for forever; the API says null.
  int64_t retention_days = 0;
};

// The room whatever the reader: for code that is not answering a person
// (members events, migrations) or has already passed CheckRoomAccess.
std::optional<Room> FindRoom(Db& db, int64_t id);
// The live rooms `user_id` may see (CheckRoomAccess): every open room and the
// private and direct rooms the user is a member of, by name; a direct room
// the user hid (room_members.hidden_after) only once a newer live message
// is in it.
std::vector<Room> ListVisibleRooms(Db& db, int64_t user_id);
Json::Value RoomJson(const Room& room);
Json::Value UserJson(int64_t id, const std::string& username);

// THE access rule (DESIGN.md "Who may see what", issue 13), the one place
// that decides who may see a room: an open room everyone logged in, a
// private room only its members (room_members). A direct room is stored as
// private (kind 'private' plus a direct_rooms row), so its two people are
// the only ones who pass. Anyone else gets 404
// room_not_found, the answer for a room that does not exist, so an outsider
// cannot tell a private room from none (OWASP ASVS V4.2: no existence
// oracle). Every route about a room calls it, through the functions below.
Status CheckRoomAccess(Db& db, const Room& room, int64_t user_id);
// True when the user has a room_members row: one primary-key read.
bool IsRoomMember(Db& db, int64_t room_id, int64_t user_id);
// The room if `user_id` may see it (deleted or not), else 404 room_not_found.
Result<Room> FindVisibleRoom(Db& db, int64_t user_id, int64_t id);
// FindVisibleRoom, then 410 room_deleted (with the room's id and name) for a
// deleted one.
Result<Room> FindLiveRoom(Db& db, int64_t user_id, int64_t id);
// FindLiveRoom, then 409 not_in_room unless the user is in it. Reads
// users.room_id afresh, so call it inside the write transaction that depends on it.
Result<Room> CheckMembership(Db& db, int64_t user_id, int64_t room_id);
// The poll's fast path: true when the room exists, is not deleted and the
// user may see it. For an open room one primary-key read; a private room adds
// the room_members primary-key read (CheckRoomAccess's rule).
bool IsLiveRoomFor(Db& db, int64_t id, int64_t user_id);
// The read rule of everything read from a room without being inside it
// (a file's bytes; search and GET /api/mentions say the same in SQL): the
// room is live, the user may see it (CheckRoomAccess) and is not banned from
// it (an open room's ban: its messages are no longer theirs to read, README
// "Bans of open rooms"). Being inside the room (users.room_id) is not asked:
// only writes need that. Read afresh each time, so a removal, a ban or a
// deletion takes effect on the next request.
bool MayReadRoom(Db& db, int64_t room_id, int64_t user_id);

// Migration 0006 (sql/migrations/*_room_name_keys.sql), run inside its
// transaction: recomputes every room's name_key with RoomNameKey, keeping
// every row. Names are trimmed as the input rules trim them; a name of
// invisible characters only becomes "Room <id>"; when live rooms now share a
// key, the oldest (lowest id) keeps its name and each later one is renamed
// "<name> (2)", "(3)" ... (cut to 64 characters) to the first free key.
// `note` hears one line per room renamed.
void RekeyRoomNames(Db& db, const std::function<void(const std::string&)>& note);

}  // namespace chat
