// rooms: invite links to a private room. Codes are made and hashed by
// core/invites.h; only the hash is stored, so the creating reply is the
// only time a code is seen.
#include "core/invites.h"

#include <optional>
#include <string>

#include "core/clock.h"
#include "core/json.h"
#include "rooms/handlers.h"

namespace chat {

// POST /api/rooms/{id}/invites (no body needed)
// The owner of a private room makes an invite link: 201 {"invite": {"code",
// "url": "/invite/{code}", "expires_at": 7 days on}}. Only its hash is
// stored (core/invites.h), so this answer is the only time the code is seen.
// 400 room_not_private (an open room needs no invite); 403 not_owner;
// 403 direct_room; 404 room_not_found (also a private room the user is not a
// member of); 410 room_deleted; 401.
Response HandleCreateInvite(Context& ctx) {
  Transaction tx(ctx.db);
  Result<Room> room = OwnedPrivateRoom(ctx, "invite");
  if (!room.ok()) return Response::Error(room.error());
  const NewInvite invite = MakeInviteCode();
  const int64_t now = NowMs(), expires = now + kInviteLifetimeMs;
  ctx.db
      .Prepare(
          "INSERT INTO room_invites (code_hash, room_id, created_by, created_at, expires_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5)")
      .BindBlob(1, invite.hash.data(), static_cast<int>(invite.hash.size()))
      .Bind(2, ctx.req.id)
      .Bind(3, ctx.user().id)
      .Bind(4, now)
      .Bind(5, expires)
      .Run();
  tx.Commit();
  Json::Value body(Json::objectValue);
  body["invite"]["code"] = invite.code;
  body["invite"]["url"] = "/invite/" + invite.code;
  body["invite"]["expires_at"] = FormatTime(expires);
  return Response::Json(201, body);
}

// POST /api/invites/accept {"code"}
// Anyone logged in with a live invite's code becomes a member of its room
// (already one: the same answer, nothing written). The code may be used by
// several people until it expires. 200 {"room"}. 400 invalid_json ("code"
// not a string); 404 invite_not_found (no such code, or its room deleted:
// the same answer, so a code tells nothing more); 410 invite_expired; 401.
Response HandleAcceptInvite(Context& ctx) {
  std::string code;
  if (!GetString(ctx.req.json, "code", &code)) {
    return Response::Error(Err(400, "invalid_json", "Send {\"code\": \"...\"}."));
  }
  const ApiError not_found = Err(404, "invite_not_found", "There is no such invite.");
  std::optional<InviteHash> hash = HashInviteCode(code);
  if (!hash) return Response::Error(not_found);
  Transaction tx(ctx.db);
  auto q = ctx.db.Prepare(
      "SELECT i.room_id, i.expires_at FROM room_invites i JOIN rooms r ON r.id = i.room_id "
      "WHERE i.code_hash = ?1 AND r.deleted_at IS NULL");
  if (!q.BindBlob(1, hash->data(), static_cast<int>(hash->size())).Step()) {
    return Response::Error(not_found);
  }
  const int64_t room_id = q.Int(0);
  if (q.Int(1) <= NowMs()) {
    return Response::Error(
        Err(410, "invite_expired", "This invite has expired; ask for a new one."));
  }
  ctx.db
      .Prepare(
          "INSERT INTO room_members (room_id, user_id, role, added_at) VALUES (?1, ?2, 'member', "
          "?3) ON CONFLICT DO NOTHING")
      .Bind(1, room_id)
      .Bind(2, ctx.user().id)
      .Bind(3, NowMs())
      .Run();
  const Room room = *FindRoom(ctx.db, room_id);
  tx.Commit();
  return RoomReply(200, room);
}

}  // namespace chat
