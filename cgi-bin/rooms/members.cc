// rooms: who belongs to a room. A private room's members (the owner adds
// and removes them, a member may leave), an open room's bans (removing
// someone from an open room bans them), and hiding a direct room from
// one's own list. Whoever loses a room is put out of it in the same
// transaction (core/streams.h).
#include "core/members.h"

#include <string>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/streams.h"
#include "core/validate.h"
#include "rooms/handlers.h"

namespace chat {

namespace {

// The owner of a private room adds members; an open room has none to add
// (it is everyone's), which is its own 400 so a client can tell.
Status CheckPrivate(const Room& room) {
  if (room.kind == "private") return std::nullopt;
  return Err(400, "room_not_private",
             "An open room is open to everyone: only a private room has members to add or "
             "remove.");
}

}  // namespace

// True when the owner of open room `room_id` banned `user_id`: one
// primary-key read.
bool IsBanned(Db& db, int64_t room_id, int64_t user_id) {
  return db.Prepare("SELECT 1 FROM room_bans WHERE room_id = ?1 AND user_id = ?2")
      .Bind(1, room_id)
      .Bind(2, user_id)
      .Step();
}

// GET /api/rooms/{id}/members
// A user who may see the room (CheckRoomAccess). 200 {"members": [{"user",
// "role": "owner"|"member", "here": inside the room now}]}, owner first: a
// private room's members; an open room's owner and whoever is inside now.
// 404 room_not_found (also a private room the user is not a member of);
// 410 room_deleted; 401.
Response HandleListMembers(Context& ctx) {
  Result<Room> room = FindLiveRoom(ctx.db, ctx.user().id, ctx.req.id);
  if (!room.ok()) return Response::Error(room.error());
  Json::Value body(Json::objectValue);
  body["members"] = Json::Value(Json::arrayValue);
  for (const Member& m : ListMembers(ctx.db, room.value())) body["members"].append(MemberJson(m));
  return Response::Json(200, body);
}

// The room in the path, live, visible to the caller, private (not direct)
// and owned by the caller: the rule of every owner-only action on members
// and invites. 404/410 as FindLiveRoom; 403 direct_room; 400
// room_not_private; 403 not_owner ("Only the room's owner can <what>.").
Result<Room> OwnedPrivateRoom(Context& ctx, const char* what) {
  Result<Room> room = FindLiveRoom(ctx.db, ctx.user().id, ctx.req.id);
  if (!room.ok()) return room;
  if (room.value().kind == "direct") return DirectRoomError();
  if (Status s = CheckPrivate(room.value())) return *s;
  if (room.value().owner_id != ctx.user().id) {
    return Err(403, "not_owner", std::string("Only the room's owner can ") + what + ".");
  }
  return room;
}

// POST /api/rooms/{id}/members {"username"}
// The owner of a private room adds a member, who may then see, join and
// read it. 201 {"member"}. 400 room_not_private (an open room); 400
// invalid_json ("username" not a string); 403 not_owner; 404 room_not_found
// (also a private room the user is not a member of); 404 user_not_found
// (none, or disabled); 409 already_member; 410 room_deleted; 401.
Response HandleAddMember(Context& ctx) {
  std::string username;
  if (!GetString(ctx.req.json, "username", &username)) {
    return Response::Error(Err(400, "invalid_json", "Send {\"username\": \"...\"}."));
  }
  Transaction tx(ctx.db);
  Result<Room> room = OwnedPrivateRoom(ctx, "add members");
  if (!room.ok()) return Response::Error(room.error());
  auto who = ctx.db.Prepare("SELECT id FROM users WHERE username_key = ?1 AND disabled_at IS NULL");
  if (!IsValidUsername(username) || !who.Bind(1, FoldCase(username)).Step()) {
    return Response::Error(Err(404, "user_not_found", "There is no such user."));
  }
  const int64_t user_id = who.Int(0);
  if (FindMember(ctx.db, ctx.req.id, user_id)) {
    return Response::Error(Err(409, "already_member", "That user is a member already."));
  }
  ctx.db
      .Prepare(
          "INSERT INTO room_members (room_id, user_id, role, added_at) "
          "VALUES (?1, ?2, 'member', ?3)")
      .Bind(1, ctx.req.id)
      .Bind(2, user_id)
      .Bind(3, NowMs())
      .Run();
  Json::Value body(Json::objectValue);
  body["member"] = MemberJson(*FindMember(ctx.db, ctx.req.id, user_id));
  tx.Commit();
  return Response::Json(201, body);
}

namespace {

// DELETE /api/rooms/{id}/members/{user} on an OPEN room: a ban (issue 13).
// Only the owner; {user} must be an account other than the owner. The ban
// is stored (room_bans) and the person put out at once in the same
// transaction, as a removal does: users.room_id cleared, their event streams
// there closed (core/streams.h), {"type":"members"} rung when they were
// inside. Their join then answers 403 banned; the room stays listed to them
// (DESIGN.md "Who may see what": an open room is everyone's to see). Banning
// twice is 204 again (the ban stands). 204. 403 not_owner; 404
// user_not_found; 409 owner_stays; 401.
Response BanFromOpenRoom(Context& ctx, Transaction& tx, const Room& room) {
  const int64_t target = ctx.req.path_user;
  if (room.owner_id != ctx.user().id) {
    return Response::Error(Err(403, "not_owner", "Only the room's owner can ban someone."));
  }
  if (target == room.owner_id) {
    return Response::Error(
        Err(409, "owner_stays", "The owner cannot be banned; delete the room instead."));
  }
  if (!ctx.db.Prepare("SELECT 1 FROM users WHERE id = ?1").Bind(1, target).Step()) {
    return Response::Error(Err(404, "user_not_found", "There is no such user."));
  }
  // Before anything changes (core/streams.h): the streams the ban ends.
  std::vector<StreamId> streams = StreamsToRevoke(ctx.db, AllStreams(target, room.id));
  ctx.db
      .Prepare(
          "INSERT INTO room_bans (room_id, user_id, banned_at) VALUES (?1, ?2, ?3) "
          "ON CONFLICT DO NOTHING")
      .Bind(1, room.id)
      .Bind(2, target)
      .Bind(3, NowMs())
      .Run();
  ctx.db.Prepare("UPDATE users SET room_id = NULL WHERE id = ?1 AND room_id = ?2")
      .Bind(1, target)
      .Bind(2, room.id)
      .Run();
  const bool put_out = ctx.db.Changes() > 0;
  tx.Commit();
  RevokeStreams(ctx.config, "rooms", streams);
  if (put_out) RingMembers(ctx, room.id);
  return Response::NoContent();
}

// DELETE /api/rooms/{id}/members/{me} on a DIRECT room: hides it from my
// list (room_members.hidden_after = its newest message id). It comes back
// when a live message newer than that arrives, or when I open it again with
// POST /api/direct. Nothing else changes (the other side keeps it; I stay
// inside if I was). 204. 403 direct_room ({user} is the other person).
Response HideDirectRoom(Context& ctx, Transaction& tx) {
  if (ctx.req.path_user != ctx.user().id) return Response::Error(DirectRoomError());
  ctx.db
      .Prepare(
          "UPDATE room_members SET hidden_after = (SELECT coalesce(max(id), 0) FROM messages "
          "WHERE room_id = ?1) WHERE room_id = ?1 AND user_id = ?2")
      .Bind(1, ctx.req.id)
      .Bind(2, ctx.user().id)
      .Run();
  tx.Commit();
  return Response::NoContent();
}

}  // namespace

// DELETE /api/rooms/{id}/members/{user}
// The owner of a private room removes a member, or a member removes
// themself. Whoever is removed is put out at once, in the same transaction:
// users.room_id cleared (their next poll or post: 404 room_not_found) and
// their event streams there closed (core/streams.h); {"type":"members"}
// rings when they were inside. When the owner removes someone else, the
// room's invite links made so far end with it (room_invites rows deleted):
// a link is for anyone, many times, for 7 days, so the removed person would
// otherwise accept it again at once and be back in; the owner makes a new
// one when needed. Leaving of one's own accord keeps them. On an open room
// it bans instead (BanFromOpenRoom). 204. 403 not_owner
// (someone else's membership); 404 room_not_found (also for a non-member);
// 404 member_not_found ({user} is not a member); 409 owner_stays (the owner
// cannot be removed: delete the room instead); 410 room_deleted; 401.
Response HandleRemoveMember(Context& ctx) {
  Transaction tx(ctx.db);
  Result<Room> room = FindLiveRoom(ctx.db, ctx.user().id, ctx.req.id);
  if (!room.ok()) return Response::Error(room.error());
  if (room.value().kind == "open") return BanFromOpenRoom(ctx, tx, room.value());
  if (room.value().kind == "direct") return HideDirectRoom(ctx, tx);
  const int64_t target = ctx.req.path_user;
  if (room.value().owner_id != ctx.user().id && target != ctx.user().id) {
    return Response::Error(Err(403, "not_owner", "Only the room's owner can remove someone else."));
  }
  std::optional<Member> member = FindMember(ctx.db, ctx.req.id, target);
  if (!member) {
    return Response::Error(Err(404, "member_not_found", "That user is not a member."));
  }
  if (member->role == "owner") {
    return Response::Error(
        Err(409, "owner_stays", "The owner cannot be removed; delete the room instead."));
  }
  // Before anything changes (core/streams.h): the streams the removal ends.
  std::vector<StreamId> streams = StreamsToRevoke(ctx.db, AllStreams(target, ctx.req.id));
  ctx.db.Prepare("DELETE FROM room_members WHERE room_id = ?1 AND user_id = ?2")
      .Bind(1, ctx.req.id)
      .Bind(2, target)
      .Run();
  if (target != ctx.user().id) {
    ctx.db.Prepare("DELETE FROM room_invites WHERE room_id = ?1").Bind(1, ctx.req.id).Run();
  }
  ctx.db.Prepare("UPDATE users SET room_id = NULL WHERE id = ?1 AND room_id = ?2")
      .Bind(1, target)
      .Bind(2, ctx.req.id)
      .Run();
  const bool put_out = ctx.db.Changes() > 0;
  tx.Commit();
  RevokeStreams(ctx.config, "rooms", streams);
  if (put_out) RingMembers(ctx, ctx.req.id);
  return Response::NoContent();
}

}  // namespace chat
