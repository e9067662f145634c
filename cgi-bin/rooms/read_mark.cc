// rooms: the caller's read mark in a room, which the unread counts of the
// room list and the page's "New messages" divider are measured from
// (core/attention.h).
#include "core/attention.h"
#include "core/json.h"
#include "rooms/handlers.h"

namespace chat {

// POST /api/rooms/{id}/read {"id"}
// A member of the room, inside it (like posting: DESIGN.md "Who may see
// what"). Moves the caller's read mark in the room forward to message "id"
// (a larger id than the room's newest message stops at that one); never
// back, so a late or repeated request changes nothing. When it moved, the
// caller's attention number is bumped so their other tabs recount, and
// their own stream rings (core/attention.h).
// 204. 400 invalid_message_id ("id" not a whole number > 0); 401
// not_logged_in; 404 room_not_found; 409 not_in_room; 410 room_deleted.
Response HandleReadMark(Context& ctx) {
  const Json::Value& v = ctx.req.json["id"];
  // An integer as written (jsoncpp's isInt64() also takes 1.0 and 1e0).
  bool integer = v.type() == Json::intValue || v.type() == Json::uintValue;
  if (!integer || !v.isInt64() || v.asInt64() <= 0) {
    return Response::Error(
        Err(400, "invalid_message_id", "\"id\" must be the id of a message (a whole number)."));
  }
  Transaction tx(ctx.db);
  Result<Room> room = CheckMembership(ctx.db, ctx.user().id, ctx.req.id);
  if (!room.ok()) return Response::Error(room.error());
  bool moved = MoveReadMark(ctx.db, ctx.user().id, ctx.req.id, v.asInt64());
  if (moved) BumpAttention(ctx.db, {ctx.user().id});
  tx.Commit();
  if (moved) RingPeople(ctx.config, "rooms", {ctx.user().id});
  return Response::NoContent();
}

}  // namespace chat
