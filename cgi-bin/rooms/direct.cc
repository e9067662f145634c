// rooms: direct rooms, one per pair of people (README "Choices made"). A
// direct room is a private room with both as members and a row in
// direct_rooms, whose UNIQUE pair makes two opens at once one room.
#include <algorithm>
#include <string>

#include "core/clock.h"
#include "core/json.h"
#include "core/validate.h"
#include "rooms/handlers.h"

namespace chat {

// POST /api/direct {"username"}
// A logged-in user opens the one direct room of the two of them: 201
// {"room"} when it is made (both become members, kind "direct", "name"
// null, "members": [user, user] smaller id first), 200 {"room"} (the same
// room) when it exists; either way it is shown again in the caller's list.
// The pair is UNIQUE in direct_rooms, and the lookup and the insert share
// one BEGIN IMMEDIATE transaction, so two POSTs at once make one room.
// 400 invalid_username (malformed, or yourself); 400 invalid_json
// ("username" not a string); 404 user_not_found (none, or disabled); 401.
Response HandleOpenDirect(Context& ctx) {
  std::string username;
  if (!GetString(ctx.req.json, "username", &username)) {
    return Response::Error(Err(400, "invalid_json", "Send {\"username\": \"...\"}."));
  }
  const int64_t me = ctx.user().id;
  if (!IsValidUsername(username) || FoldCase(username) == FoldCase(ctx.user().username)) {
    return Response::Error(
        Err(400, "invalid_username", "Give the username of someone else to write to."));
  }
  Transaction tx(ctx.db);
  auto who = ctx.db.Prepare("SELECT id FROM users WHERE username_key = ?1 AND disabled_at IS NULL");
  if (!who.Bind(1, FoldCase(username)).Step()) {
    return Response::Error(Err(404, "user_not_found", "There is no such user."));
  }
  const int64_t other = who.Int(0);
  const int64_t low = std::min(me, other), high = std::max(me, other);
  auto found = ctx.db.Prepare(
      "SELECT d.room_id FROM direct_rooms d JOIN rooms r ON r.id = d.room_id "
      "WHERE d.user_low = ?1 AND d.user_high = ?2");
  int status = 200;
  int64_t room_id = 0;
  if (found.Bind(1, low).Bind(2, high).Step()) {
    room_id = found.Int(0);
  } else {
    status = 201;
    const int64_t now = NowMs();
    // A name nobody can type (control characters never are in a name key),
    // so the live-name index never meets a real room's name.
    const std::string key = "\x02direct " + std::to_string(low) + " " + std::to_string(high);
    ctx.db
        .Prepare(
            "INSERT INTO rooms (name, name_key, owner_id, created_at, kind, topic) "
            "VALUES ('', ?1, ?2, ?3, 'private', '')")
        .Bind(1, key)
        .Bind(2, me)
        .Bind(3, now)
        .Run();
    room_id = ctx.db.LastInsertId();
    ctx.db.Prepare("INSERT INTO direct_rooms (room_id, user_low, user_high) VALUES (?1, ?2, ?3)")
        .Bind(1, room_id)
        .Bind(2, low)
        .Bind(3, high)
        .Run();
    ctx.db
        .Prepare(
            "INSERT INTO room_members (room_id, user_id, role, added_at) "
            "VALUES (?1, ?2, 'member', ?4), (?1, ?3, 'member', ?4)")
        .Bind(1, room_id)
        .Bind(2, low)
        .Bind(3, high)
        .Bind(4, now)
        .Run();
  }
  ctx.db.Prepare("UPDATE room_members SET hidden_after = NULL WHERE room_id = ?1 AND user_id = ?2")
      .Bind(1, room_id)
      .Bind(2, me)
      .Run();
  const Room room = *FindRoom(ctx.db, room_id);
  tx.Commit();
  return RoomReply(status, room);
}

}  // namespace chat
