// poll: the hot path. Every user in a room asks every 2 seconds for what was
// created or changed after their cursor (the change feed, core/messages.h);
// the answer is one indexed range read of (room_id, seq) with statements
// prepared once per process. It also says who
// may subscribe to a room's push events (the same membership check).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <unordered_map>

#include "core/attention.h"
#include "core/http.h"
#include "core/mentions.h"
#include "core/messages.h"
#include "core/rooms.h"
#include "core/streams.h"
#include "core/validate.h"

namespace chat {
namespace {

constexpr int kMentionsPage = 50;  // DESIGN.md: GET /api/mentions, at most 50

// The change number of the room's last rename or topic change, 0 if none:
// one primary-key read, the only one an empty poll adds.
int64_t RoomChangedSeq(Db& db, int64_t room_id) {
  auto q = db.Prepare("SELECT changed_seq FROM rooms WHERE id = ?1");
  return q.Bind(1, room_id).Step() ? q.Int(0) : 0;
}

Status ParseCursor(const std::optional<std::string>& text, int64_t* out) {
  if (!text) return std::nullopt;
  std::optional<int64_t> v = ParseDecimal(*text);
  if (!v) return Err(400, "invalid_cursor", "The cursor must be a whole number of at least 0.");
  *out = *v;
  return std::nullopt;
}

// GET /api/rooms/{id}/messages?after=N
// GET /api/rooms/{id}/messages?before=N&limit=L
// A member of the room. Background: a poll is not activity for the
// session's idle limit (an open tab alone does not keep a session alive).
// after=N: 200 {"messages": every message created or changed after change
// number N, once, in its current state (deleted ones as {"id","room_id",
// "deleted":true}), ascending by change number, at most 200, "cursor": the
// last change number sent or N when nothing is new, "more": true when
// another page is waiting}. A message id is its creation number, so
// after=<a message's id> means "everything since that message".
// before=N: 200 {"messages": the L (1-100, default 50) live messages just
// before message N, ascending, "more": whether older ones exist}.
// around=N&limit=L: 200 {"messages": live message N with up to (L-1)/2
// live messages before it and the rest of L after it, ascending (L 1-100,
// default 50), "more_before", "more_after"}: a search result opened in its
// room (issue 15); history then loads up with before= and down with after=.
// Neither: the latest 50 and their cursor, like join.
// after=N also carries "room": the room (name, topic ...) when its owner
// changed it after change number N (rooms.changed_seq), and the cursor then
// moves past that change even with no message; on a page with "more" the
// room waits for the last page, whose cursor passes it.
// With attention=V (after= or neither, not before= or around=): when the caller's
// attention version is not V (e.g. "attention=" on the first poll), the
// answer also has "attention": {"version", "mentions",
// "direct", "messages"} about the other rooms (core/attention.h
// AttentionSummary); the page sends the version back next time.
// 400 invalid_cursor (not a decimal number, more than one given, bad limit);
// 401 not_logged_in; 404 room_not_found, message_not_found (around= is not
// a live message of this room); 409 not_in_room;
// 410 room_deleted with "room": {"id", "name"}.
Response HandleMessages(Context& ctx) {
  const Request& req = ctx.req;
  int64_t after = -1, before = -1, around = -1, limit = kJoinHistory;
  std::optional<std::string> limit_text = req.Param("limit");
  if (Status s = ParseCursor(req.Param("after"), &after)) return Response::Error(*s);
  if (Status s = ParseCursor(req.Param("before"), &before)) return Response::Error(*s);
  if (Status s = ParseCursor(req.Param("around"), &around)) return Response::Error(*s);
  if (Status s = ParseCursor(limit_text, &limit)) return Response::Error(*s);
  if ((after >= 0) + (before >= 0) + (around >= 0) > 1 || limit < 1 || limit > kMaxPageSize ||
      (limit_text && before < 0 && around < 0)) {
    return Response::Error(Err(400, "invalid_cursor",
                               "Use one of after=N, before=N&limit=L or around=N&limit=L "
                               "(L from 1 to 100)."));
  }
  Json::Value body(Json::objectValue);
  if (around >= 0) {
    bool more_before = false, more_after = false;
    body["messages"] =
        MessagesAround(ctx.db, req.id, around, static_cast<int>(limit), &more_before, &more_after);
    if (body["messages"].isNull()) {
      return Response::Error(
          Err(404, "message_not_found", "There is no such message in this room."));
    }
    body["more_before"] = more_before;
    body["more_after"] = more_after;
    return Response::Json(200, body);
  }
  int64_t cursor = 0;
  if (before >= 0) {
    body["messages"] = MessagesBefore(ctx.db, req.id, before, static_cast<int>(limit) + 1);
    body["more"] = body["messages"].size() > static_cast<unsigned>(limit);
    if (body["more"].asBool()) body["messages"].removeIndex(0, nullptr);
    return Response::Json(200, body);
  }
  if (after >= 0) {
    // Read in the request's one snapshot (dispatch.cc), so every change
    // numbered below the room's is in the messages read next.
    int64_t room_changed = RoomChangedSeq(ctx.db, req.id);
    bool more = false;
    body["messages"] = MessagesAfter(ctx.db, req.id, after, kMaxPollBatch, &cursor, &more);
    body["more"] = more;
    if (room_changed > after && !more) {
      if (std::optional<Room> room = FindRoom(ctx.db, req.id)) body["room"] = RoomJson(*room);
      cursor = std::max(cursor, room_changed);
    }
  } else {
    body["messages"] = LatestMessages(ctx.db, req.id, kJoinHistory, &cursor);
  }
  body["cursor"] = static_cast<Json::Int64>(cursor);
  // News from other rooms, only when the caller's attention version is not
  // the one the page sent: users.attention came with the session row, and
  // the newest mention is one index read (core/attention.h).
  if (std::optional<std::string> seen = req.Param("attention")) {
    std::string version = AttentionVersion(ctx.db, ctx.user().id, ctx.user().attention);
    if (*seen != version) {
      body["attention"] = AttentionSummary(ctx.db, ctx.user().id, version, req.id);
    }
  }
  return Response::Json(200, body);
}

// A Last-Event-ID as nchan writes it ("<time>:<tags>", conf/push-events.conf.in):
// a decimal time, then one tag per channel, each a decimal or "-" (-1),
// the active one in brackets, separated by commas. nchan reads anything
// else as "no id" or answers its own text/plain 400, so a client that
// sends one gets the API's 400 instead.
bool IsEventId(const std::string& id) {
  size_t colon = id.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 10 || id.size() > 100) return false;
  if (!ParseDecimal(id.substr(0, colon))) return false;
  size_t i = colon + 1;
  do {
    bool bracket = i < id.size() && id[i] == '[';
    if (bracket) ++i;
    size_t start = i;
    if (i < id.size() && id[i] == '-') ++i;
    while (i < id.size() && id[i] >= '0' && id[i] <= '9' && i - start < 6) ++i;
    if (i == start) return false;
    if (bracket && (i >= id.size() || id[i++] != ']')) return false;
  } while (i < id.size() && id[i++] == ',');
  return i == id.size() && id.back() != ',';
}

Response CheckEventRequest(Context& ctx);

bool AcceptsEventStream(const std::string& accept) {
  std::string folded = FoldCase(accept);
  return folded.find("text/event-stream") != std::string::npos;
}

// GET /api/rooms/{id}/events (an EventSource)
// A member of the room, from the site's own origin. The workers only decide;
// nginx's nchan module holds the stream: the reply is X-Accel-Redirect to
// the internal subscriber location for this room and this session
// (core/streams.h), which answers 200 text/event-stream and then one
// `data: {"type": "message"|"room_deleted"|"members", ...}` per doorbell.
// The stream is closed when the session or the membership ends.
// 400 invalid_last_event_id (not of nchan's form); 401 not_logged_in;
// 403 bad_origin (another origin); 404 room_not_found, or not_found when push
// is off; 405 method_not_allowed (HEAD: an event stream has no head);
// 406 not_acceptable without Accept: text/event-stream (the only form this
// address has, RFC 9110 section 15.5.7); 409 not_in_room; 410 room_deleted.
Response HandleEvents(Context& ctx) {
  Response r = CheckEventRequest(ctx);
  if (r.status != 200) return r;
  r.headers.emplace_back("X-Accel-Redirect", SubscribePath(ctx.req.id, ctx.user().token_hash));
  return r;
}

// What both streams check before nginx takes over: an empty 200 to go on
// with, or the refusal.
Response CheckEventRequest(Context& ctx) {
  const Request& req = ctx.req;
  if (req.head) {
    Response r = Response::Error(
        Err(405, "method_not_allowed", "An event stream is read with GET, not HEAD."));
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  if (ctx.config.push_socket.empty()) {
    return Response::Error(Err(404, "not_found", "There is nothing at this address."));
  }
  if (!AcceptsEventStream(req.accept)) {
    return Response::Error(Err(406, "not_acceptable",
                               "This address is an event stream: send Accept: text/event-stream."));
  }
  if (req.last_event_id && !IsEventId(*req.last_event_id)) {
    return Response::Error(
        Err(400, "invalid_last_event_id", "Last-Event-ID is not an id this stream sent."));
  }
  // Test hook (tests/api/push-revoke.test.mjs): widens the moment between
  // this check and nginx subscribing the stream, where a revocation can
  // commit unseen (core/streams.h sends its DELETEs twice for this).
  static const std::optional<int64_t> delay_ms =
      ParseDecimal(getenv("CHAT_TEST_EVENTS_DELAY_MS") ? getenv("CHAT_TEST_EVENTS_DELAY_MS") : "");
  if (delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(*delay_ms));
  Response r;
  r.status = 200;
  return r;
}

// GET /api/mentions?before=N
// A logged-in user. 200 {"messages": [message...] that mention the caller,
// newest first, at most 50, each with "room": room, ids below N when given;
// "more": whether older ones exist}. Only rooms the caller may see now and
// that are live (a mention in a private room they were since removed from
// is not shown), and not an open room they are banned from (its messages
// are no longer theirs to read, as search says). 400 invalid_cursor (before
// not a whole number); 401.
Response HandleMentions(Context& ctx) {
  int64_t before = INT64_MAX;
  if (Status s = ParseCursor(ctx.req.Param("before"), &before)) return Response::Error(*s);
  // Newest first (core/mentions.h), each room asked once for the read rule
  // MayReadRoom (core/rooms.h), one more than a page to tell "more".
  std::vector<int64_t> ids;
  std::unordered_map<int64_t, bool> readable;
  ForEachMention(ctx.db, ctx.user().id, before, [&](int64_t message, int64_t room) {
    auto it = readable.find(room);
    if (it == readable.end()) {
      it = readable.emplace(room, MayReadRoom(ctx.db, room, ctx.user().id)).first;
    }
    if (it->second) ids.push_back(message);
    return ids.size() <= static_cast<size_t>(kMentionsPage);
  });
  Json::Value body(Json::objectValue);
  body["messages"] = Json::Value(Json::arrayValue);
  body["more"] = ids.size() > static_cast<size_t>(kMentionsPage);
  if (ids.size() > static_cast<size_t>(kMentionsPage)) ids.pop_back();
  for (int64_t id : ids) {
    Json::Value m = MessageById(ctx.db, id);
    if (m.isNull()) continue;
    std::optional<Room> room = FindRoom(ctx.db, m["room_id"].asInt64());
    if (!room) continue;
    m["room"] = RoomJson(*room);
    body["messages"].append(std::move(m));
  }
  return Response::Json(200, body);
}

// GET /api/me/events (an EventSource)
// A logged-in user, from the site's own origin: the person's own stream,
// whichever room they are in (or none). Like the room stream, the workers
// only decide and nginx's nchan holds it (X-Accel-Redirect to
// core/streams.h PersonSubscribePath): 200 text/event-stream, then
// `data: {"type":"attention"}` whenever the caller's attention number is
// bumped (a mention, a direct message, their read mark moving: the page
// then polls, or reloads the room list). Closed when the session ends
// (logout, password change, the account disabled or deleted).
// 400 invalid_last_event_id; 401 not_logged_in; 403 bad_origin; 404
// not_found when push is off; 405 for HEAD; 406 not_acceptable without
// Accept: text/event-stream.
Response HandlePersonEvents(Context& ctx) {
  Response r = CheckEventRequest(ctx);
  if (r.status != 200) return r;
  r.headers.emplace_back("X-Accel-Redirect",
                         PersonSubscribePath(ctx.user().id, ctx.user().token_hash));
  return r;
}

const std::vector<Route> kRoutes = {
    {"GET", "/api/rooms/{id}/events", kSameOrigin | kNeedsSession | kNeedsMembership | kBackground,
     HandleEvents},
    {"GET", "/api/rooms/{id}/messages", kNeedsSession | kNeedsMembership | kBackground,
     HandleMessages},
    {"POST", "/api/rooms/{id}/messages", kPublic, nullptr},  // served by post
    {"GET", "/api/mentions", kNeedsSession | kBackground, HandleMentions},
    {"GET", "/api/me/events", kSameOrigin | kNeedsSession | kBackground, HandlePersonEvents},
};

}  // namespace
}  // namespace chat

int main() { return chat::Serve("poll", chat::kRoutes); }
