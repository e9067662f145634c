// post: new messages. Everything that decides whether a message may be
// stored (the room is live, the poster is in it, the rate limit, a repeated
// client_id) is checked inside the same BEGIN IMMEDIATE transaction as the
// insert, so a message can never land in a room deleted a moment before.
// The 201 is sent only after COMMIT returned, and the room's doorbell (push,
// core/doorbell.h) rings only then too.
#include <cmath>

#include "core/clock.h"
#include "core/doorbell.h"
#include "core/http.h"
#include "core/json.h"
#include "core/messages.h"
#include "core/validate.h"

namespace chat {
namespace {

// Token bucket per user in post_buckets: post_burst posts at once, then
// post_rate per second. Spends one token or says how long to wait.
Status TakePostToken(Context& ctx, int64_t now) {
  double tokens = ctx.config.post_burst;
  auto q = ctx.db.Prepare("SELECT tokens, updated_at FROM post_buckets WHERE user_id = ?1");
  if (q.Bind(1, ctx.user().id).Step()) {
    double elapsed = std::max<int64_t>(0, now - q.Int(1)) / 1000.0;
    tokens = std::min(ctx.config.post_burst, q.Real(0) + elapsed * ctx.config.post_rate);
  }
  if (tokens < 1) {
    ApiError e = Err(429, "rate_limited", "You are sending messages too fast; wait a moment.");
    e.retry_after = static_cast<int>(std::ceil((1 - tokens) / ctx.config.post_rate));
    return e;
  }
  ctx.db
      .Prepare(
          "INSERT INTO post_buckets (user_id, tokens, updated_at) VALUES (?1, ?2, ?3) "
          "ON CONFLICT (user_id) DO UPDATE SET tokens = excluded.tokens, "
          "updated_at = excluded.updated_at")
      .Bind(1, ctx.user().id)
      .Bind(2, tokens - 1)
      .Bind(3, now)
      .Run();
  return std::nullopt;
}

// POST /api/rooms/{id}/messages {"text", "client_id"?}
// A member of the room. Stores the message exactly as sent.
// 201 {"message"}; 200 {"message"} when this user already sent this
// client_id (a retry), with the message stored the first time.
// 400 invalid_text (valid UTF-8, no NUL, 1-4000 characters after trimming
// white space and invisible characters: validate.h Trim),
// invalid_client_id (1-64 of A-Z a-z 0-9 -); 401 not_logged_in;
// 404 room_not_found; 409 not_in_room; 410 room_deleted;
// 429 rate_limited with Retry-After. After the commit, rings the room's
// doorbell with {"type":"message","id"} (never fails or holds the reply).
Response HandlePostMessage(Context& ctx) {
  std::string text, client_id;
  if (!GetString(ctx.req.json, "text", &text) || !IsValidMessageText(text)) {
    return Response::Error(Err(400, "invalid_text", "Messages are 1 to 4000 characters of text."));
  }
  bool has_client_id = ctx.req.json.isMember("client_id");
  if (has_client_id &&
      (!GetString(ctx.req.json, "client_id", &client_id) || !IsValidClientId(client_id))) {
    return Response::Error(
        Err(400, "invalid_client_id", "client_id is 1 to 64 letters, digits or '-' (a UUID)."));
  }
  Transaction tx(ctx.db);
  Result<Room> room = CheckMembership(ctx.db, ctx.user().id, ctx.req.id);
  if (!room.ok()) return Response::Error(room.error());
  Json::Value body(Json::objectValue);
  if (has_client_id) {
    auto q = ctx.db.Prepare("SELECT id FROM messages WHERE user_id = ?1 AND client_id = ?2");
    if (q.Bind(1, ctx.user().id).Bind(2, client_id).Step()) {
      body["message"] = MessageById(ctx.db, q.Int(0));
      return Response::Json(200, body);
    }
  }
  int64_t now = NowMs();
  if (Status s = TakePostToken(ctx, now)) return Response::Error(*s);
  auto insert = ctx.db.Prepare(
      "INSERT INTO messages (room_id, user_id, text, client_id, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  insert.Bind(1, ctx.req.id).Bind(2, ctx.user().id).Bind(3, text).Bind(5, now);
  if (has_client_id) insert.Bind(4, client_id);
  insert.Run();
  int64_t id = ctx.db.LastInsertId();
  body["message"] = MessageById(ctx.db, id);
  tx.Commit();
  RingDoorbell(ctx.config, "post", ctx.req.id,
               "{\"type\":\"message\",\"id\":" + std::to_string(id) + "}");
  return Response::Json(201, body);
}

const std::vector<Route> kRoutes = {
    {"POST", "/api/rooms/{id}/messages", kNeedsSession | kNeedsJsonBody, HandlePostMessage},
    {"GET", "/api/rooms/{id}/messages", kPublic, nullptr},  // served by poll
};

}  // namespace
}  // namespace chat

int main() { return chat::Serve("post", chat::kRoutes); }
