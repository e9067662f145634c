// rooms: the room list and one room's life: creating, reading, changing
// (name, topic, how long messages are kept) and deleting a room. Who may
// see a room is core/rooms.h's rule; the unread counts of the list are
// core/attention.h's.
#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/attention.h"
#include "core/audit.h"
#include "core/blobs.h"
#include "core/clock.h"
#include "core/doorbell.h"
#include "core/feed.h"
#include "core/json.h"
#include "core/retention.h"
#include "core/throttle.h"
#include "core/validate.h"
#include "rooms/handlers.h"

namespace chat {

namespace {

// The two text refusals of create and update (core/validate.h has the rules).
ApiError InvalidRoomName() {
  return Err(400, "invalid_room_name",
             "Room names are 1 to 64 visible characters, without control characters.");
}
ApiError InvalidTopic() {
  return Err(400, "invalid_topic",
             "A topic is at most 250 visible characters, without control characters.");
}

}  // namespace

Response RoomReply(int status, const Room& room) {
  Json::Value body(Json::objectValue);
  body["room"] = RoomJson(room);
  return Response::Json(status, body);
}

// A direct room belongs to both its people alike: nobody renames, deletes
// or manages its members (README "Choices made").
ApiError DirectRoomError() {
  return Err(403, "direct_room",
             "A direct room belongs to both of you: it cannot be renamed, deleted or given "
             "members; hide it from your list instead.");
}

// GET /api/rooms
// A logged-in user. 200 {"rooms": [room...]} by name, [] when none exist:
// every open room and the private rooms the user is a member of
// (CheckRoomAccess, core/rooms.h), each with the caller's "unread" (others'
// live messages after their read mark, up to 100) and "mentions" (unread
// messages that mention them), counted as core/attention.h says.
// 401 not_logged_in. The page refreshes the list on a timer, so this is
// background (not activity for the session's idle limit).
Response HandleListRooms(Context& ctx) {
  Json::Value body(Json::objectValue);
  body["rooms"] = Json::Value(Json::arrayValue);
  const std::unordered_map<int64_t, int64_t> marks = ReadMarks(ctx.db, ctx.user().id);
  // Rooms left out of the list are left out of the counts (the map is only
  // read); an open room the caller is banned from stays listed, but its
  // messages are no longer theirs to read (as GET /api/mentions says), so
  // its mentions are not news. One read per room mentioned, not per mention.
  std::unordered_map<int64_t, bool> readable;
  const std::unordered_map<int64_t, int64_t> mentions =
      UnreadMentions(ctx.db, ctx.user().id, marks, [&](int64_t room) {
        auto it = readable.find(room);
        if (it == readable.end()) {
          it = readable.emplace(room, !IsBanned(ctx.db, room, ctx.user().id)).first;
        }
        return it->second;
      });
  for (const Room& room : ListVisibleRooms(ctx.db, ctx.user().id)) {
    auto it = marks.find(room.id);
    std::optional<int64_t> mark =
        EffectiveMark(room, it == marks.end() ? std::nullopt : std::optional<int64_t>(it->second));
    auto m = mentions.find(room.id);
    int64_t mentioned = m == mentions.end() ? 0 : std::min(m->second, kMaxUnread);
    Json::Value j = RoomJson(room);
    // An open room never entered: only its mentions are news.
    j["unread"] = static_cast<Json::Int64>(mark ? CountUnread(ctx.db, ctx.user().id, room.id, *mark)
                                                : mentioned);
    j["mentions"] = static_cast<Json::Int64>(mentioned);
    body["rooms"].append(std::move(j));
  }
  return Response::Json(200, body);
}

// POST /api/rooms {"name", "kind"?, "topic"?}
// A logged-in user, who becomes the owner (and, of a private room, its owner
// member). 201 {"room"}.
// 400 invalid_room_name (1-64 characters after trimming blank characters, no
// control characters); 400 invalid_room_kind ("open", the default, or
// "private"); 400 invalid_topic (0-250 characters, the name's rules); 403 room_limit (the user owns
// CHAT_ROOMS_PER_USER live rooms already); 409 room_name_taken (a live room has the same
// RoomNameKey: same name after NFKC, case folding and removing invisible characters); 429
// rate_limited with Retry-After (CHAT_ROOM_CREATE_BURST at once, then CHAT_ROOM_CREATE_RATE a
// second; only rooms created count); 401.
Response HandleCreateRoom(Context& ctx) {
  std::string raw;
  std::optional<std::string> name;
  if (GetString(ctx.req.json, "name", &raw)) name = NormalizeRoomName(raw);
  if (!name) {
    return Response::Error(InvalidRoomName());
  }
  std::string kind = "open";
  if (ctx.req.json.isMember("kind") &&
      (!GetString(ctx.req.json, "kind", &kind) || (kind != "open" && kind != "private"))) {
    return Response::Error(
        Err(400, "invalid_room_kind", "A room's kind is \"open\" or \"private\"."));
  }
  std::optional<std::string> topic = std::string();
  if (ctx.req.json.isMember("topic")) {
    topic.reset();
    if (GetString(ctx.req.json, "topic", &raw)) topic = NormalizeRoomTopic(raw);
  }
  if (!topic) {
    return Response::Error(InvalidTopic());
  }
  Transaction tx(ctx.db);
  auto owned = ctx.db.Prepare(
      "SELECT count(*) FROM rooms r WHERE owner_id = ?1 AND deleted_at IS NULL AND "
      "NOT EXISTS (SELECT 1 FROM direct_rooms d WHERE d.room_id = r.id)");
  if (owned.Bind(1, ctx.user().id).Step() && owned.Int(0) >= ctx.config.rooms_per_user) {
    return Response::Error(Err(403, "room_limit",
                               "You own " + std::to_string(ctx.config.rooms_per_user) +
                                   " rooms, the most allowed; delete one to create another."));
  }
  auto taken = ctx.db.Prepare("SELECT 1 FROM rooms WHERE name_key = ?1 AND deleted_at IS NULL");
  if (taken.Bind(1, RoomNameKey(*name)).Step()) {
    return Response::Error(Err(409, "room_name_taken", "A room with that name exists."));
  }
  const TokenRate rate{"room_create", ctx.config.room_create_burst, ctx.config.room_create_rate};
  if (Status s = TakeUserToken(ctx.db, ctx.user().id, rate, NowMs(),
                               "You are creating rooms too fast; wait a moment.")) {
    return Response::Error(*s);
  }
  const int64_t now = NowMs();
  ctx.db
      .Prepare(
          "INSERT INTO rooms (name, name_key, owner_id, created_at, kind, topic) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
      .Bind(1, *name)
      .Bind(2, RoomNameKey(*name))
      .Bind(3, ctx.user().id)
      .Bind(4, now)
      .Bind(5, kind)
      .Bind(6, *topic)
      .Run();
  const int64_t id = ctx.db.LastInsertId();
  // The creator of a private room is its owner member (CheckRoomAccess).
  if (kind == "private") {
    ctx.db
        .Prepare(
            "INSERT INTO room_members (room_id, user_id, role, added_at) "
            "VALUES (?1, ?2, 'owner', ?3)")
        .Bind(1, id)
        .Bind(2, ctx.user().id)
        .Bind(3, now)
        .Run();
  }
  std::optional<Room> room = FindRoom(ctx.db, id);
  tx.Commit();
  return RoomReply(201, *room);
}

// GET /api/rooms/{id}
// A logged-in user who may see the room. 200 {"room"}. 404 room_not_found
// (also a private room the user is not a member of); 410 room_deleted; 401.
Response HandleGetRoom(Context& ctx) {
  Result<Room> room = FindLiveRoom(ctx.db, ctx.user().id, ctx.req.id);
  if (!room.ok()) return Response::Error(room.error());
  return RoomReply(200, room.value());
}

// PATCH /api/rooms/{id} {"name"?, "topic"?, "retention_days"?}
// The room's owner renames it, changes its topic, or sets how long its
// messages are kept: retention_days an integer 1-3650, or null for forever
// (core/retention.h deletes older ones for good); a field left out stays.
// 200 {"room"}. 400 invalid_room_name, invalid_topic (the rules of
// creation), invalid_retention; 403 not_owner; 403 direct_room (a direct room has no name or
// topic to change); 404 room_not_found (also a private room the
// user is not a member of); 409 room_name_taken (another live room has the
// same RoomNameKey, as at creation); 410 room_deleted; 401.
// A change takes the next change-feed number (rooms.changed_seq), so the
// next poll of everyone inside carries the room (poll.cpp), and rings
// {"type":"room"} in the room's push stream, which makes their pages poll.
Response HandleUpdateRoom(Context& ctx) {
  std::string raw;
  std::optional<std::string> name, topic;
  if (ctx.req.json.isMember("name")) {
    if (GetString(ctx.req.json, "name", &raw)) name = NormalizeRoomName(raw);
    if (!name) {
      return Response::Error(InvalidRoomName());
    }
  }
  if (ctx.req.json.isMember("topic")) {
    if (GetString(ctx.req.json, "topic", &raw)) topic = NormalizeRoomTopic(raw);
    if (!topic) {
      return Response::Error(InvalidTopic());
    }
  }
  // Days as a JSON integer (not 7.0 or "7"), or null; 0 stands for null below.
  std::optional<int64_t> retention;
  if (ctx.req.json.isMember("retention_days")) {
    const Json::Value& v = ctx.req.json["retention_days"];
    const bool integer = v.type() == Json::intValue || v.type() == Json::uintValue;
    if (v.isNull()) {
      retention = 0;
    } else if (integer && v.isInt64() && v.asInt64() >= kMinRetentionDays &&
               v.asInt64() <= kMaxRetentionDays) {
      retention = v.asInt64();
    } else {
      return Response::Error(Err(400, "invalid_retention",
                                 "retention_days is a whole number of days from 1 to 3650, or "
                                 "null to keep messages forever."));
    }
  }
  Transaction tx(ctx.db);
  Result<Room> room = FindLiveRoom(ctx.db, ctx.user().id, ctx.req.id);
  if (!room.ok()) return Response::Error(room.error());
  if (room.value().kind == "direct") return Response::Error(DirectRoomError());
  if (room.value().owner_id != ctx.user().id) {
    return Response::Error(Err(403, "not_owner", "Only the room's owner can change it."));
  }
  if (retention) {
    auto set = ctx.db.Prepare("UPDATE rooms SET retention_days = ?2 WHERE id = ?1");
    set.Bind(1, ctx.req.id);
    if (*retention) set.Bind(2, *retention);
    set.Run();
  }
  if (name) {
    // The unique index rooms_live_name holds the same rule; asking first
    // gives the clear 409 instead of a constraint error.
    auto taken = ctx.db.Prepare(
        "SELECT 1 FROM rooms WHERE name_key = ?1 AND deleted_at IS NULL AND id != ?2");
    if (taken.Bind(1, RoomNameKey(*name)).Bind(2, ctx.req.id).Step()) {
      return Response::Error(Err(409, "room_name_taken", "A room with that name exists."));
    }
    ctx.db.Prepare("UPDATE rooms SET name = ?2, name_key = ?3 WHERE id = ?1")
        .Bind(1, ctx.req.id)
        .Bind(2, *name)
        .Bind(3, RoomNameKey(*name))
        .Run();
  }
  if (topic) {
    ctx.db.Prepare("UPDATE rooms SET topic = ?2 WHERE id = ?1")
        .Bind(1, ctx.req.id)
        .Bind(2, *topic)
        .Run();
  }
  // Whatever changed, the room object people inside see changed with it.
  const bool changed = name || topic || retention;
  if (changed) {
    ctx.db.Prepare("UPDATE rooms SET changed_seq = ?2 WHERE id = ?1")
        .Bind(1, ctx.req.id)
        .Bind(2, NextChangeNumber(ctx.db))
        .Run();
  }
  std::optional<Room> updated = FindRoom(ctx.db, ctx.req.id);
  tx.Commit();
  if (changed) RingDoorbell(ctx.config, "rooms", ctx.req.id, "{\"type\":\"room\"}");
  return RoomReply(200, *updated);
}

// DELETE /api/rooms/{id}
// The room's owner, or an admin (any live open or private room, whether or
// not they may see it; recorded in the audit log, core/audit.h, unless the
// admin owns it). A direct room is never deleted, not by an admin either:
// POST /api/direct must keep finding the pair's one room; an admin deletes
// its messages instead. Deletes the room, its
// messages and its files; members still inside
// get 410 room_deleted on their next poll or post, which the doorbell
// ({"type":"room_deleted"}) makes at once when push is on. The name is free
// again. 204. 403 not_owner; 403 direct_room (a direct room is both
// people's: neither side deletes it, each may hide it); 404 room_not_found (also when already
// deleted, or private and the user is not a member); 401.
Response HandleDeleteRoom(Context& ctx) {
  Transaction tx(ctx.db);
  // An admin reaches every room; anyone else only the rooms they may see.
  const bool admin = IsAdmin(ctx.db, ctx.user().id);
  std::optional<Room> room;
  if (admin) {
    room = FindRoom(ctx.db, ctx.req.id);
  } else if (Result<Room> seen = FindVisibleRoom(ctx.db, ctx.user().id, ctx.req.id); seen.ok()) {
    room = seen.value();
  }
  if (!room || room->deleted) {
    return Response::Error(Err(404, "room_not_found", "There is no such room."));
  }
  if (room->kind == "direct") return Response::Error(DirectRoomError());
  const bool owner = room->owner_id == ctx.user().id;
  if (!owner && !admin) {
    return Response::Error(Err(403, "not_owner", "Only the room's owner can delete it."));
  }
  int64_t id = ctx.req.id;
  ctx.db.Prepare("UPDATE rooms SET deleted_at = ?2 WHERE id = ?1")
      .Bind(1, id)
      .Bind(2, NowMs())
      .Run();
  ctx.db.Prepare("DELETE FROM messages WHERE room_id = ?1").Bind(1, id).Run();
  const int messages = ctx.db.Changes();
  // Its files: the posted ones went with their messages (ON DELETE
  // CASCADE), the unposted ones go here; the bytes once no row names them.
  ctx.db.Prepare("DELETE FROM files WHERE room_id = ?1").Bind(1, id).Run();
  ctx.db.Prepare("UPDATE users SET room_id = NULL WHERE room_id = ?1").Bind(1, id).Run();
  std::optional<AuditEntry> audit;
  if (!owner) {
    audit =
        AuditEntry{ctx.user().id, ctx.user().username, "room_delete", Named("room", id, room->name),
                   room->kind + " room of user " + std::to_string(room->owner_id) + ", " +
                       std::to_string(messages) + " message(s)"};
    RecordAudit(ctx.db, *audit);
  }
  tx.Commit();
  if (audit) LogAudit("rooms", *audit);
  RingDoorbell(ctx.config, "rooms", id, "{\"type\":\"room_deleted\"}");
  EmptyBlobTrash(ctx.config, ctx.db);
  return Response::NoContent();
}

}  // namespace chat
