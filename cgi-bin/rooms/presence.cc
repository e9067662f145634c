// rooms: who is inside a room now. Membership lives in users.room_id, so
// "one room at a time" is a single column update inside the join
// transaction; a join or leave rings the room's members event, and typing
// is a push event that stores nothing.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/attention.h"
#include "core/clock.h"
#include "core/coalesce.h"
#include "core/doorbell.h"
#include "core/json.h"
#include "core/log.h"
#include "core/messages.h"
#include "core/streams.h"
#include "core/throttle.h"
#include "rooms/handlers.h"

namespace chat {

namespace {

// Joins and leaves share one bucket: each moves the user and rings a members
// event in every page of the room (README "Security": 339 a second once made
// nginx send 67,840 events a second).
TokenRate MembershipRate(const Config& c) {
  return {"membership", c.membership_burst, c.membership_rate};
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

}  // namespace

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

}  // namespace chat
