// rooms: the room list, creating and deleting rooms, joining and leaving.
// Membership lives in users.room_id, so "one room at a time" is a single
// column update inside the join transaction.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "core/attention.h"
#include "core/audit.h"
#include "core/blobs.h"
#include "core/clock.h"
#include "core/coalesce.h"
#include "core/doorbell.h"
#include "core/export.h"
#include "core/feed.h"
#include "core/http.h"
#include "core/invites.h"
#include "core/json.h"
#include "core/log.h"
#include "core/members.h"
#include "core/messages.h"
#include "core/retention.h"
#include "core/streams.h"
#include "core/test_gate.h"
#include "core/throttle.h"
#include "core/validate.h"

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

// True when the owner of open room `room_id` banned `user_id`: one
// primary-key read.
bool IsBanned(Db& db, int64_t room_id, int64_t user_id) {
  return db.Prepare("SELECT 1 FROM room_bans WHERE room_id = ?1 AND user_id = ?2")
      .Bind(1, room_id)
      .Bind(2, user_id)
      .Step();
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

// Joins and leaves share one bucket: each moves the user and rings a members
// event in every page of the room (README "Security": 339 a second once made
// nginx send 67,840 events a second).
TokenRate MembershipRate(const Config& c) {
  return {"membership", c.membership_burst, c.membership_rate};
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

// Tells a room's subscribers how many people are in it now:
// {"type":"members","count":N}. Unlike a message's doorbell it carries its
// datum, so a join does not make every page in the room fetch. Runs on the
// request's thread or the members bell's (core/coalesce.h), each with a
// connection of its own, and reads the count as it rings. The read and the
// ring happen under one lock file shared by every rooms worker, so rings
// leave in the order their counts were read: the last one published carries
// a count read after the last change committed.
void RingMembersNow(const Config& config, int64_t room_id) {
  try {
    thread_local std::unique_ptr<Db> db;
    if (!db) db = Db::Open(config);
    int fd = open((config.db_path + "-members.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("members lock: " + std::string(strerror(errno)));
    struct Unlock {
      int fd;
      ~Unlock() { close(fd); }  // closing drops the flock
    } unlock{fd};
    flock(fd, LOCK_EX);
    std::optional<Room> room = FindRoom(*db, room_id);
    if (!room || room->deleted) return;
    RingDoorbell(config, "rooms", room_id,
                 "{\"type\":\"members\",\"count\":" + std::to_string(room->member_count) + "}");
  } catch (const std::exception& e) {
    // A lost members event costs a stale header until the next change; it
    // must never take the worker (or the bell's thread) down.
    LogLine("rooms",
            std::string("members event for room ") + std::to_string(room_id) + ": " + e.what());
  }
}

// A join or leave changed who is in the room: rings its members event now,
// or, when the room rang within the last kMembersWindow, once at the end of
// that window (core/coalesce.h). The bell lives as long as the process.
constexpr std::chrono::milliseconds kMembersWindow{250};
void RingMembers(const Context& ctx, int64_t room_id) {
  if (ctx.config.push_socket.empty()) return;
  static Coalescer bell(kMembersWindow,
                        [config = ctx.config](int64_t room) { RingMembersNow(config, room); });
  bell.Changed(room_id);
}

// POST /api/rooms/{id}/join
// A logged-in user. Enters the room, leaving any other (a poll or post there
// then answers 409 not_in_room, and the user's event streams there are
// closed). Rings {"type":"members","count"} in the room
// entered and in the one left, if any (push on).
// 200 {"room", "messages": the last 50 live ones ascending, "cursor": the
// room's newest change number or 0 (core/messages.h),
// "events": "/api/rooms/{id}/events" only when push is on (CHAT_PUSH_SOCKET),
// "last_read": the caller's read mark before this join, where the page puts
// its "New messages" divider (0: nothing read; the first join of an open
// room starts the mark at its newest message: core/attention.h)}.
// 403 banned (the owner of this open room banned the user);
// 404 room_not_found (also a private room the user is not a member of);
// 410 room_deleted; 429 rate_limited with Retry-After (joins and leaves
// together: CHAT_JOIN_BURST at once, then CHAT_JOIN_RATE a second); 401.
Response HandleJoinRoom(Context& ctx) {
  Transaction tx(ctx.db);
  Result<Room> room = FindLiveRoom(ctx.db, ctx.user().id, ctx.req.id);
  if (!room.ok()) return Response::Error(room.error());
  if (IsBanned(ctx.db, ctx.req.id, ctx.user().id)) {
    return Response::Error(Err(403, "banned", "The room's owner has banned you from this room."));
  }
  if (Status s = TakeUserToken(ctx.db, ctx.user().id, MembershipRate(ctx.config), NowMs(),
                               "You are joining and leaving rooms too fast; wait a moment.")) {
    return Response::Error(*s);
  }
  const std::optional<int64_t> was_in = ctx.user().room_id;
  // Moving out of a room ends the streams opened there (core/streams.h).
  std::vector<StreamId> streams;
  if (std::optional<int64_t> now_in = CurrentRoom(ctx.db, ctx.user().id);
      now_in && *now_in != ctx.req.id) {
    streams = StreamsToRevoke(ctx.db, AllStreams(ctx.user().id, now_in));
  }
  ctx.db.Prepare("UPDATE users SET room_id = ?2 WHERE id = ?1")
      .Bind(1, ctx.user().id)
      .Bind(2, ctx.req.id)
      .Run();
  int64_t cursor = 0;
  Json::Value body(Json::objectValue);
  body["last_read"] = static_cast<Json::Int64>(MarkOnJoin(ctx.db, ctx.user().id, room.value()));
  body["messages"] = LatestMessages(ctx.db, ctx.req.id, kJoinHistory, &cursor);
  body["cursor"] = static_cast<Json::Int64>(cursor);
  const Room entered = *FindRoom(ctx.db, ctx.req.id);  // member_count includes the joiner
  body["room"] = RoomJson(entered);
  if (!ctx.config.push_socket.empty()) {
    body["events"] = "/api/rooms/" + std::to_string(ctx.req.id) + "/events";
  }
  std::optional<Room> left;
  if (was_in && *was_in != ctx.req.id) left = FindRoom(ctx.db, *was_in);
  tx.Commit();
  RevokeStreams(ctx.config, "rooms", streams);
  if (was_in != ctx.req.id) RingMembers(ctx, entered.id);
  if (left && !left->deleted) RingMembers(ctx, left->id);
  return Response::Json(200, body);
}

// POST /api/rooms/{id}/leave
// A logged-in user. Leaves the room if the user is in it (idempotent), closes
// the user's event streams there, and then rings {"type":"members","count"}
// there (push on).
// 204. 404 room_not_found (also a private room the user is not a member
// of); 429 rate_limited with Retry-After (shared with join); 401.
Response HandleLeaveRoom(Context& ctx) {
  Transaction tx(ctx.db);
  if (Result<Room> room = FindVisibleRoom(ctx.db, ctx.user().id, ctx.req.id); !room.ok()) {
    return Response::Error(room.error());
  }
  if (Status s = TakeUserToken(ctx.db, ctx.user().id, MembershipRate(ctx.config), NowMs(),
                               "You are joining and leaving rooms too fast; wait a moment.")) {
    return Response::Error(*s);
  }
  // The user's streams of this room end with the membership (core/streams.h).
  std::vector<StreamId> streams = StreamsToRevoke(ctx.db, AllStreams(ctx.user().id, ctx.req.id));
  ctx.db.Prepare("UPDATE users SET room_id = NULL WHERE id = ?1 AND room_id = ?2")
      .Bind(1, ctx.user().id)
      .Bind(2, ctx.req.id)
      .Run();
  const bool left = ctx.db.Changes() > 0;
  const Room room = *FindRoom(ctx.db, ctx.req.id);
  tx.Commit();
  if (left) RevokeStreams(ctx.config, "rooms", streams);
  if (left && !room.deleted) RingMembers(ctx, room.id);
  return Response::NoContent();
}

// The owner of a private room adds members; an open room has none to add
// (it is everyone's), which is its own 400 so a client can tell.
Status CheckPrivate(const Room& room) {
  if (room.kind == "private") return std::nullopt;
  return Err(400, "room_not_private",
             "An open room is open to everyone: only a private room has members to add or "
             "remove.");
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

// GET /api/rooms/{id}/export?format=jsonl|html
// Someone inside the room (kNeedsMembership: the access rule, then being in
// it, as DESIGN.md's row lists 409) downloads its whole live history:
// Content-Disposition: attachment, "room-{id}.jsonl" (one message object a
// line, oldest first) or "room-{id}.html" (every user string HTML-escaped).
// Written in pages after the headers (core/export.h), so memory stays
// bounded; a page is written only while the caller is still inside the
// room with a live account (removed, banned, the room deleted or the
// account disabled meanwhile: the download stops short). 200. 400
// invalid_format; 404 room_not_found; 409 not_in_room; 410 room_deleted;
// 401.
Response HandleExport(Context& ctx) {
  const std::string format = ctx.req.Param("format").value_or("");
  if (format != "jsonl" && format != "html") {
    return Response::Error(Err(400, "invalid_format", "Ask for format=jsonl or format=html."));
  }
  const Room room = *FindRoom(ctx.db, ctx.req.id);
  Response r;
  const std::string file = "room-" + std::to_string(room.id) + "." + format;
  r.headers.emplace_back("Content-Type", format == "html" ? "text/html; charset=utf-8"
                                                          : "application/jsonl; charset=utf-8");
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + file + "\"");
  Db& db = ctx.db;
  const int64_t user_id = ctx.user().id;
  const std::string who = FoldCase(ctx.user().username);
  r.stream = [&db, room, format, user_id, who](const std::function<void(const std::string&)>& out) {
    try {
      // Each page is a read of its own, so the caller's access can end
      // while the download runs: before every page after the first, the
      // caller must still be inside the room (removal, ban and deletion end
      // that) with a live account (disabling it ends their sessions).
      bool whole = WriteExport(db, room, format, out, [&] {
        PauseAtTestGate("export", who);  // test_gate.h: off unless a race test opens it
        return CheckMembership(db, user_id, room.id).ok() &&
               db.Prepare("SELECT 1 FROM users WHERE id = ?1 AND disabled_at IS NULL")
                   .Bind(1, user_id)
                   .Step();
      });
      if (!whole) {
        LogLine("rooms", "export of room " + std::to_string(room.id) +
                             " stopped: the reader's access ended");
      }
    } catch (const std::exception& e) {
      // The status is sent: the download ends short, and the log says why.
      LogLine("rooms",
              std::string("export of room ") + std::to_string(room.id) + " stopped: " + e.what());
    }
  };
  return r;
}

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

// POST /api/rooms/{id}/typing
// A member of the room, inside it. Says on the room's push stream that the
// caller is typing: {"type":"typing","user":{"id","username"}}; the page
// shows it for a few seconds. Nothing is stored and nothing is said without
// push (the page does not send it then). At most one each 3 seconds per
// session: nginx's limit_req (conf/nginx.conf.in, zone chat_typing) answers
// the rest 429 rate_limited before they reach a worker, so a typist costs
// the workers one membership read per 3 s and the database no write.
// 204. 401 not_logged_in; 404 room_not_found; 409 not_in_room; 410
// room_deleted; 429 rate_limited (nginx, with Retry-After).
Response HandleTyping(Context& ctx) {
  Json::Value event(Json::objectValue);
  event["type"] = "typing";
  event["user"] = UserJson(ctx.user().id, ctx.user().username);
  RingDoorbell(ctx.config, "rooms", ctx.req.id, ToJson(event));
  return Response::NoContent();
}

const std::vector<Route> kRoutes = {
    {"GET", "/api/rooms", kNeedsSession | kBackground, HandleListRooms},
    {"POST", "/api/rooms", kNeedsSession | kNeedsJsonBody, HandleCreateRoom},
    {"GET", "/api/rooms/{id}", kNeedsSession, HandleGetRoom},
    {"PATCH", "/api/rooms/{id}", kNeedsSession | kNeedsJsonBody, HandleUpdateRoom},
    {"DELETE", "/api/rooms/{id}", kNeedsSession, HandleDeleteRoom},
    {"POST", "/api/rooms/{id}/join", kNeedsSession, HandleJoinRoom},
    {"POST", "/api/rooms/{id}/leave", kNeedsSession, HandleLeaveRoom},
    {"GET", "/api/rooms/{id}/members", kNeedsSession, HandleListMembers},
    {"POST", "/api/rooms/{id}/members", kNeedsSession | kNeedsJsonBody, HandleAddMember},
    {"DELETE", "/api/rooms/{id}/members/{user}", kNeedsSession, HandleRemoveMember},
    {"POST", "/api/direct", kNeedsSession | kNeedsJsonBody, HandleOpenDirect},
    {"POST", "/api/rooms/{id}/invites", kNeedsSession, HandleCreateInvite},
    {"POST", "/api/invites/accept", kNeedsSession | kNeedsJsonBody, HandleAcceptInvite},
    {"GET", "/api/rooms/{id}/export", kNeedsSession | kNeedsMembership, HandleExport},
    {"POST", "/api/rooms/{id}/read", kNeedsSession | kNeedsJsonBody, HandleReadMark},
    {"POST", "/api/rooms/{id}/typing", kNeedsSession | kNeedsMembership, HandleTyping},
};

}  // namespace
}  // namespace chat

int main() { return chat::Serve("rooms", chat::kRoutes); }
