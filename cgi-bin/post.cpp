// post: every write to messages: new messages, edits, deletions and
// reactions. Everything that decides whether a write may happen (the room is
// live, the writer is in it, the rate limit, a repeated client_id, who may
// act on the message) is checked inside the same BEGIN IMMEDIATE transaction
// as the write, so nothing can land in a room deleted a moment before. The
// reply is sent only after COMMIT returned, and the room's doorbell (push,
// core/doorbell.h) rings only then too. A change goes through the change
// feed's one step (core/feed.h), so polls carry it like a new message.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/attachments.h"
#include "core/attention.h"
#include "core/audit.h"
#include "core/blobs.h"
#include "core/clock.h"
#include "core/doorbell.h"
#include "core/emoji.h"
#include "core/fanout.h"
#include "core/feed.h"
#include "core/http.h"
#include "core/json.h"
#include "core/mentions.h"
#include "core/messages.h"
#include "core/test_gate.h"
#include "core/throttle.h"
#include "core/validate.h"

namespace chat {
namespace {

void StorePostTokens(Context& ctx, double tokens, int64_t now) {
  ctx.db
      .Prepare(
          "INSERT INTO post_buckets (user_id, tokens, updated_at) VALUES (?1, ?2, ?3) "
          "ON CONFLICT (user_id) DO UPDATE SET tokens = excluded.tokens, "
          "updated_at = excluded.updated_at")
      .Bind(1, ctx.user().id)
      .Bind(2, tokens)
      .Bind(3, now)
      .Run();
}

// Token bucket per user in post_buckets: post_burst posts at once, then
// post_rate per second (throttle.h's arithmetic). Spends one token or says
// how long to wait; *redated when the bucket was stored after `now` (the
// clock stepped back) and was stored again as of now: the caller commits
// that even when it refuses.
Status TakePostToken(Context& ctx, int64_t now, bool* redated) {
  double tokens = ctx.config.post_burst;
  double per_ms = ctx.config.post_rate / 1000;
  auto q = ctx.db.Prepare("SELECT tokens, updated_at FROM post_buckets WHERE user_id = ?1");
  if (q.Bind(1, ctx.user().id).Step()) {
    tokens = RefilledTokens(q.Real(0), q.Int(1), now, per_ms, ctx.config.post_burst);
    *redated = BucketElapsed(q.Int(1), now).redated;
  }
  if (tokens < 1) {
    if (*redated) StorePostTokens(ctx, tokens, now);
    ApiError e = Err(429, "rate_limited", "You are sending messages too fast; wait a moment.");
    e.retry_after = RetryAfterSeconds(1 - tokens, per_ms);
    return e;
  }
  StorePostTokens(ctx, tokens - 1, now);
  return std::nullopt;
}

// TakePostToken inside the write transaction `tx`: on a refusal, commits
// the bucket's new date when the clock stepped back (nothing else was
// written yet), so every write that spends a post token keeps that rule.
Status SpendPostToken(Context& ctx, Transaction& tx, int64_t now) {
  bool redated = false;
  Status s = TakePostToken(ctx, now, &redated);
  if (s && redated) tx.Commit();
  return s;
}

ApiError InvalidReplyTo() {
  return Err(400, "invalid_reply_to", "reply_to must be the id of a message in this room.");
}

bool IsLiveMessageOf(Db& db, int64_t id, int64_t room_id) {
  auto q =
      db.Prepare("SELECT 1 FROM messages WHERE id = ?1 AND room_id = ?2 AND deleted_at IS NULL");
  return q.Bind(1, id).Bind(2, room_id).Step();
}

// Who a write calls: the people it mentions anew, whose mentions the
// fan-out copies and rings (core/fanout.h), and those it rang itself after
// the reply (a direct room's other person, people an edit named anew).
struct Called {
  std::vector<int64_t> mentioned;
  std::vector<int64_t> rung;
};

// Inside the post's transaction: stores the mentions the text makes
// (core/mentions.h) and, in a direct room, bumps the other person's
// attention number (core/attention.h).
Called CallAttention(Context& ctx, const Room& room, int64_t id, const std::string& text) {
  Called called;
  called.mentioned = StoreMentions(ctx.db, id, room.id, room.kind == "open", ctx.user().id, text);
  // A new mention shows in the mentioned person's attention version by
  // itself once copied (their newest copied mention); a direct message
  // bumps the other one's.
  for (const auto& person : room.direct) {
    if (person.first != ctx.user().id) called.rung.push_back(person.first);
  }
  BumpAttention(ctx.db, called.rung);
  return called;
}

// Once `r` has gone to nginx, not before: rings the streams of the people
// the committed write called itself (RingPeople), and wakes the mention
// fan-out, which copies the new mentions ~50 ms later with whatever else
// came meanwhile and rings their people then (core/fanout.h). Either costs
// nginx a few microseconds a person (50 people: ~150 µs), which the poster
// would otherwise wait for (README "Performance", S11). Like every doorbell
// the rings are not durable (a page that missed one recounts when its
// stream connects).
void CallAfter(Context& ctx, Response& r, Called called) {
  if (called.mentioned.empty() && called.rung.empty()) return;
  const Config& config = ctx.config;  // the process's, outlives the request
  r.after = [&config, called = std::move(called)] {
    if (!called.rung.empty()) RingPeople(config, "post", called.rung);
    if (!called.mentioned.empty()) MentionFanOut::Wake(config, "post");
  };
}

// POST /api/rooms/{id}/messages {"text", "client_id"?, "reply_to"?, "attachments"?}
// A member of the room. Stores the message exactly as sent; reply_to names
// a live message of the same room that this one answers; attachments names
// up to 10 of the poster's own unposted uploads to this room (files.cpp),
// and then the text may be empty.
// 201 {"message"}; 200 {"message"} when this user already sent this
// client_id (a retry), with the message stored the first time.
// 400 invalid_text (valid UTF-8, no NUL, 1-4000 characters after trimming
// white space and invisible characters: validate.h Trim),
// invalid_client_id (1-64 of A-Z a-z 0-9 -), invalid_reply_to (not the id
// of a live message of this room), invalid_attachment (core/attachments.h);
// 401 not_logged_in;
// 404 room_not_found; 409 not_in_room; 410 room_deleted;
// 429 rate_limited with Retry-After. "mentions" lists who the text names
// as @username among the people allowed in the room (core/mentions.h);
// each of them, and in a direct room the other person, is called
// (core/attention.h: their attention version changes, the mentioned once
// the fan-out copied the mention, ~50 ms later). After the commit, rings
// the room's doorbell with {"type":"message","id"}; once the reply has
// gone, their own streams with {"type":"attention"} (the mentioned: after
// the fan-out's copy; never fails or holds the reply).
Response HandlePostMessage(Context& ctx) {
  std::string text, client_id;
  Result<std::vector<int64_t>> attachments = ParseAttachmentIds(ctx.req.json);
  if (!attachments.ok()) return Response::Error(attachments.error());
  bool has_files = !attachments.value().empty();
  if (has_files && !ctx.req.json.isMember("text")) ctx.req.json["text"] = "";
  bool text_ok = GetString(ctx.req.json, "text", &text) &&
                 (IsValidMessageText(text) || (has_files && Trim(text).empty()));
  if (!text_ok) {
    return Response::Error(Err(400, "invalid_text", "Messages are 1 to 4000 characters of text."));
  }
  if (has_files && Trim(text).empty()) text.clear();
  bool has_client_id = ctx.req.json.isMember("client_id");
  if (has_client_id &&
      (!GetString(ctx.req.json, "client_id", &client_id) || !IsValidClientId(client_id))) {
    return Response::Error(
        Err(400, "invalid_client_id", "client_id is 1 to 64 letters, digits or '-' (a UUID)."));
  }
  int64_t reply_to = 0;
  if (ctx.req.json.isMember("reply_to") && !ctx.req.json["reply_to"].isNull()) {
    const Json::Value& v = ctx.req.json["reply_to"];
    // An integer as written: jsoncpp's isInt64() also takes a real with no
    // fraction (1.0, 1e0), which is not how an id is spelled.
    bool integer = v.type() == Json::intValue || v.type() == Json::uintValue;
    if (!integer || !v.isInt64() || v.asInt64() <= 0) return Response::Error(InvalidReplyTo());
    reply_to = v.asInt64();
  }
  Transaction tx(ctx.db);
  Result<Room> room = CheckMembership(ctx.db, ctx.user().id, ctx.req.id);
  if (!room.ok()) return Response::Error(room.error());
  if (reply_to != 0 && !IsLiveMessageOf(ctx.db, reply_to, ctx.req.id)) {
    return Response::Error(InvalidReplyTo());
  }
  Json::Value body(Json::objectValue);
  if (has_client_id) {
    auto q = ctx.db.Prepare("SELECT id FROM messages WHERE user_id = ?1 AND client_id = ?2");
    if (q.Bind(1, ctx.user().id).Bind(2, client_id).Step()) {
      body["message"] = MessageById(ctx.db, q.Int(0));
      return Response::Json(200, body);
    }
  }
  int64_t now = NowMs();
  if (Status s = SpendPostToken(ctx, tx, now)) return Response::Error(*s);
  auto insert = ctx.db.Prepare(
      "INSERT INTO messages (room_id, user_id, text, client_id, created_at, reply_to) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  insert.Bind(1, ctx.req.id).Bind(2, ctx.user().id).Bind(3, text).Bind(5, now);
  if (has_client_id) insert.Bind(4, client_id);
  if (reply_to != 0) insert.Bind(6, reply_to);
  insert.Run();
  int64_t id = ctx.db.LastInsertId();
  if (Status s = AttachFiles(ctx.db, attachments.value(), ctx.user().id, ctx.req.id, id, now,
                             ctx.config.file_unposted_ms)) {
    return Response::Error(*s);
  }
  Called called = CallAttention(ctx, room.value(), id, text);
  body["message"] = MessageById(ctx.db, id);
  tx.Commit();
  // test_gate.h: off unless a test opens it (tests/api/push-busy.test.mjs
  // stops nginx while the doorbell rings).
  PauseAtTestGate("ring", std::to_string(ctx.user().id));
  RingChange(ctx.config, "post", ctx.req.id, id);
  Response r = Response::Json(201, body);
  CallAfter(ctx, r, std::move(called));
  return r;
}

// The message after a change, as every change route answers it; rings the
// room's doorbell once the transaction committed.
Response ChangedReply(Context& ctx, Transaction& tx, const MessageRef& ref, int64_t number) {
  Json::Value body(Json::objectValue);
  body["message"] = MessageById(ctx.db, ref.id);
  tx.Commit();
  RingChange(ctx.config, "post", ref.room_id, number);
  return Response::Json(200, body);
}

// PATCH /api/messages/{id} {"text"}
// The message's author, inside its room. Replaces the text (same rules as a
// post) and sets edited_at; the change reaches every reader's next poll.
// Its mentions are made again from the new text; people named anew are
// called like a post's (their attention number, their stream). Spends a token of the poster's rate
// limit (an edit fans out like a post). 200 {"message"}. 400 invalid_text; 401; 403 not_author; 404
// message_not_found (none, deleted, or its room deleted), room_not_found;
// 409 not_in_room; 410 room_deleted; 429 rate_limited with Retry-After.
Response HandleEditMessage(Context& ctx) {
  std::string text;
  if (!GetString(ctx.req.json, "text", &text) || !IsValidMessageText(text)) {
    return Response::Error(Err(400, "invalid_text", "Messages are 1 to 4000 characters of text."));
  }
  Transaction tx(ctx.db);
  Result<MessageRef> ref = FindMessageToActOn(ctx.db, ctx.user().id, ctx.req.id);
  if (!ref.ok()) return Response::Error(ref.error());
  if (ref.value().author_id != ctx.user().id) {
    return Response::Error(Err(403, "not_author", "Only its author can edit a message."));
  }
  int64_t now = NowMs();
  if (Status s = SpendPostToken(ctx, tx, now)) return Response::Error(*s);
  ctx.db.Prepare("UPDATE messages SET text = ?1, edited_at = ?2 WHERE id = ?3")
      .Bind(1, text)
      .Bind(2, now)
      .Bind(3, ctx.req.id)
      .Run();
  // Mentions follow the text; only people named anew are called again.
  // An older message's are copied by StoreMentions itself, so its new
  // people are called here (attention number, ring); a newer one's the
  // fan-out copies too.
  Called called;
  called.rung = StoreMentions(ctx.db, ctx.req.id, ref.value().room_id, ref.value().room_open,
                              ctx.user().id, text);
  BumpAttention(ctx.db, called.rung);
  called.mentioned = called.rung;
  Response r = ChangedReply(ctx, tx, ref.value(), MarkChanged(ctx.db, ctx.req.id));
  CallAfter(ctx, r, std::move(called));
  return r;
}

// DELETE /api/messages/{id}
// Its author or the room's owner, inside the message's room; or an admin,
// anywhere (any live message of a live room, even of a private room they
// cannot see: core/feed.h FindMessageForAdmin), which goes into the audit
// log (core/audit.h) when the admin is neither author nor owner. The
// text and the reactions are removed from the database (the row stays as
// {"id","room_id","deleted":true} for the change feed); replies to it say
// it was deleted. Spends a token of the rate limit. 204. 401; 403
// not_allowed; 404 message_not_found, room_not_found; 409 not_in_room;
// 410 room_deleted; 429 rate_limited with Retry-After.
Response HandleDeleteMessage(Context& ctx) {
  Transaction tx(ctx.db);
  const int64_t me = ctx.user().id;
  const bool admin = IsAdmin(ctx.db, me);
  Result<MessageRef> ref =
      admin ? FindMessageForAdmin(ctx.db, ctx.req.id) : FindMessageToActOn(ctx.db, me, ctx.req.id);
  if (!ref.ok()) return Response::Error(ref.error());
  const bool as_admin = ref.value().author_id != me && ref.value().room_owner_id != me;
  if (as_admin && !admin) {
    return Response::Error(
        Err(403, "not_allowed", "Only its author, the room's owner or an admin can delete it."));
  }
  int64_t now = NowMs();
  if (Status s = SpendPostToken(ctx, tx, now)) return Response::Error(*s);
  ctx.db.Prepare("UPDATE messages SET text = '', deleted_at = ?1 WHERE id = ?2")
      .Bind(1, now)
      .Bind(2, ctx.req.id)
      .Run();
  ctx.db.Prepare("DELETE FROM reactions WHERE message_id = ?1").Bind(1, ctx.req.id).Run();
  ForgetMentions(ctx.db, ctx.req.id);
  // Its files go with it: the rows now, the bytes once no row names them.
  ctx.db.Prepare("DELETE FROM files WHERE message_id = ?1").Bind(1, ctx.req.id).Run();
  int64_t number = MarkChanged(ctx.db, ctx.req.id);
  std::optional<AuditEntry> audit;
  if (as_admin) {
    audit = AuditEntry{
        me, ctx.user().username, "message_delete",
        "message " + std::to_string(ctx.req.id) + " in room " + std::to_string(ref.value().room_id),
        "written by user " + std::to_string(ref.value().author_id)};
    RecordAudit(ctx.db, *audit);
  }
  tx.Commit();
  if (audit) LogAudit("post", *audit);
  RingChange(ctx.config, "post", ref.value().room_id, number);
  EmptyBlobTrash(ctx.config, ctx.db);
  return Response::NoContent();
}

// PUT /api/messages/{id}/reactions {"emoji"}
// Anyone in the message's room. Adds the caller's reaction; adding it again
// changes nothing (no change number, no token). Spends a token of the rate
// limit. 200 {"message"}. 400 invalid_emoji (one emoji, at most 8 code
// points: core/emoji.h); 401; 404 message_not_found, room_not_found; 409
// not_in_room, reaction_limit (a new emoji on a message that already has
// kMaxDistinctReactions different ones); 410 room_deleted; 429
// rate_limited with Retry-After.
Response HandleAddReaction(Context& ctx) {
  std::string emoji;
  if (!GetString(ctx.req.json, "emoji", &emoji) || !IsOneEmoji(emoji)) {
    return Response::Error(
        Err(400, "invalid_emoji", "A reaction is one emoji (at most 8 code points)."));
  }
  Transaction tx(ctx.db);
  Result<MessageRef> ref = FindMessageToActOn(ctx.db, ctx.user().id, ctx.req.id);
  if (!ref.ok()) return Response::Error(ref.error());
  auto has = ctx.db.Prepare(
      "SELECT 1 FROM reactions WHERE message_id = ?1 AND emoji = ?2 AND user_id = ?3");
  if (has.Bind(1, ctx.req.id).Bind(2, emoji).Bind(3, ctx.user().id).Step()) {
    Json::Value body(Json::objectValue);
    body["message"] = MessageById(ctx.db, ctx.req.id);
    return Response::Json(200, body);
  }
  auto kinds = ctx.db.Prepare(
      "SELECT count(DISTINCT emoji), max(emoji = ?2) FROM reactions WHERE message_id = ?1");
  kinds.Bind(1, ctx.req.id).Bind(2, emoji).Step();
  if (kinds.Int(0) >= kMaxDistinctReactions && kinds.Int(1) != 1) {
    return Response::Error(
        Err(409, "reaction_limit",
            "This message has 20 different reactions already: add one of them."));
  }
  int64_t now = NowMs();
  if (Status s = SpendPostToken(ctx, tx, now)) return Response::Error(*s);
  ctx.db
      .Prepare(
          "INSERT INTO reactions (message_id, user_id, emoji, created_at) VALUES (?1, ?2, ?3, ?4)")
      .Bind(1, ctx.req.id)
      .Bind(2, ctx.user().id)
      .Bind(3, emoji)
      .Bind(4, now)
      .Run();
  return ChangedReply(ctx, tx, ref.value(), MarkChanged(ctx.db, ctx.req.id));
}

// DELETE /api/messages/{id}/reactions?emoji=...
// Anyone in the message's room. Removes the caller's own reaction with that
// emoji; removing one that is not there changes nothing. 200 {"message"}.
// 400 invalid_emoji; 401; 404 message_not_found, room_not_found; 409
// not_in_room; 410 room_deleted.
Response HandleRemoveReaction(Context& ctx) {
  std::optional<std::string> emoji = ctx.req.Param("emoji");
  if (!emoji || !IsOneEmoji(*emoji)) {
    return Response::Error(
        Err(400, "invalid_emoji", "A reaction is one emoji (at most 8 code points)."));
  }
  Transaction tx(ctx.db);
  Result<MessageRef> ref = FindMessageToActOn(ctx.db, ctx.user().id, ctx.req.id);
  if (!ref.ok()) return Response::Error(ref.error());
  ctx.db.Prepare("DELETE FROM reactions WHERE message_id = ?1 AND emoji = ?2 AND user_id = ?3")
      .Bind(1, ctx.req.id)
      .Bind(2, *emoji)
      .Bind(3, ctx.user().id)
      .Run();
  if (ctx.db.Changes() == 0) {
    Json::Value body(Json::objectValue);
    body["message"] = MessageById(ctx.db, ctx.req.id);
    return Response::Json(200, body);
  }
  return ChangedReply(ctx, tx, ref.value(), MarkChanged(ctx.db, ctx.req.id));
}

const std::vector<Route> kRoutes = {
    {"POST", "/api/rooms/{id}/messages", kNeedsSession | kNeedsJsonBody, HandlePostMessage},
    {"GET", "/api/rooms/{id}/messages", kPublic, nullptr},  // served by poll
    {"PATCH", "/api/messages/{id}", kNeedsSession | kNeedsJsonBody, HandleEditMessage},
    {"DELETE", "/api/messages/{id}", kNeedsSession, HandleDeleteMessage},
    {"PUT", "/api/messages/{id}/reactions", kNeedsSession | kNeedsJsonBody, HandleAddReaction},
    {"DELETE", "/api/messages/{id}/reactions", kNeedsSession, HandleRemoveReaction},
};

}  // namespace
}  // namespace chat

int main() {
  // Copies new mentions to their people's inboxes beside the requests.
  chat::MentionFanOut fan_out("post");
  return chat::Serve("post", chat::kRoutes, false, &fan_out);
}
