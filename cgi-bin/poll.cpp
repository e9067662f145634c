// poll: the hot path. Every user in a room asks every 2 seconds for what was
// created or changed after their cursor (the change feed, core/messages.h);
// the answer is one indexed range read of (room_id, seq) with statements
// prepared once per process. It also says who
// may subscribe to a room's push events (the same membership check).
#include "core/http.h"
#include "core/messages.h"
#include "core/validate.h"

namespace chat {
namespace {

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
// Neither: the latest 50 and their cursor, like join.
// 400 invalid_cursor (not a decimal number, both given, bad limit);
// 401 not_logged_in; 404 room_not_found; 409 not_in_room;
// 410 room_deleted with "room": {"id", "name"}.
Response HandleMessages(Context& ctx) {
  const Request& req = ctx.req;
  int64_t after = -1, before = -1, limit = kJoinHistory;
  std::optional<std::string> limit_text = req.Param("limit");
  if (Status s = ParseCursor(req.Param("after"), &after)) return Response::Error(*s);
  if (Status s = ParseCursor(req.Param("before"), &before)) return Response::Error(*s);
  if (Status s = ParseCursor(limit_text, &limit)) return Response::Error(*s);
  if ((after >= 0 && before >= 0) || limit < 1 || limit > kMaxPageSize ||
      (limit_text && before < 0)) {
    return Response::Error(
        Err(400, "invalid_cursor", "Use either after=N or before=N&limit=L (L from 1 to 100)."));
  }
  Json::Value body(Json::objectValue);
  int64_t cursor = 0;
  if (before >= 0) {
    body["messages"] = MessagesBefore(ctx.db, req.id, before, static_cast<int>(limit) + 1);
    body["more"] = body["messages"].size() > static_cast<unsigned>(limit);
    if (body["more"].asBool()) body["messages"].removeIndex(0, nullptr);
    return Response::Json(200, body);
  }
  if (after >= 0) {
    bool more = false;
    body["messages"] = MessagesAfter(ctx.db, req.id, after, kMaxPollBatch, &cursor, &more);
    body["more"] = more;
  } else {
    body["messages"] = LatestMessages(ctx.db, req.id, kJoinHistory, &cursor);
  }
  body["cursor"] = static_cast<Json::Int64>(cursor);
  return Response::Json(200, body);
}

// GET /api/rooms/{id}/events (as nginx's nchan_authorize_request for a subscriber)
// Asked by nginx, with the subscriber's cookie, before it holds an event
// stream open for the room; the stream itself is nchan's (conf/push.conf.in).
// A member of the room. Background. 204 lets the subscriber in;
// 401 not_logged_in; 404 room_not_found; 409 not_in_room; 410 room_deleted
// are handed to the subscriber as they are.
Response HandleAuthorizeEvents(Context&) { return Response::NoContent(); }

const std::vector<Route> kRoutes = {
    {"GET", "/api/rooms/{id}/events", kNeedsSession | kNeedsMembership | kBackground,
     HandleAuthorizeEvents},
    {"GET", "/api/rooms/{id}/messages", kNeedsSession | kNeedsMembership | kBackground,
     HandleMessages},
    {"POST", "/api/rooms/{id}/messages", kPublic, nullptr},  // served by post
};

}  // namespace
}  // namespace chat

int main() { return chat::Serve("poll", chat::kRoutes); }
