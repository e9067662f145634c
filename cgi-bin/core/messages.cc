// See messages.h.
#include "messages.h"

#include <algorithm>
#include <vector>

#include "attachments.h"
#include "clock.h"
#include "mentions.h"
#include "rooms.h"

namespace chat {
namespace {

// Columns 0-12 of every message read: the message, its author, and the
// message it answers (LEFT JOIN: that one may be deleted or gone).
#define MESSAGE_COLUMNS                                                                         \
  "m.id, m.room_id, m.user_id, u.username, m.text, m.created_at, m.seq, m.edited_at, "          \
  "m.deleted_at, m.reply_to, r.user_id, ru.username, substr(r.text, 1, 200), r.deleted_at "     \
  "FROM messages m JOIN users u ON u.id = m.user_id LEFT JOIN messages r ON r.id = m.reply_to " \
  "LEFT JOIN users ru ON ru.id = r.user_id "

// Each emoji on the message with who used it, in order of the emoji's first
// use and then of each person's.
Json::Value Reactions(Db& db, int64_t message_id) {
  auto q = db.Prepare(
      "SELECT x.emoji, x.user_id, u.username FROM reactions x JOIN users u ON u.id = x.user_id "
      "WHERE x.message_id = ?1 ORDER BY (SELECT min(f.id) FROM reactions f "
      "WHERE f.message_id = x.message_id AND f.emoji = x.emoji), x.id");
  q.Bind(1, message_id);
  Json::Value list(Json::arrayValue);
  while (q.Step()) {
    std::string emoji = q.Text(0);
    if (list.empty() || list[list.size() - 1]["emoji"].asString() != emoji) {
      Json::Value r(Json::objectValue);
      r["emoji"] = emoji;
      r["users"] = Json::Value(Json::arrayValue);
      list.append(std::move(r));
    }
    list[list.size() - 1]["users"].append(UserJson(q.Int(1), q.Text(2)));
  }
  return list;
}

Json::Value ReplyQuote(const Query& q) {
  if (q.IsNull(9)) return Json::Value();
  Json::Value r(Json::objectValue);
  r["id"] = static_cast<Json::Int64>(q.Int(9));
  if (q.IsNull(10) || !q.IsNull(13)) {
    r["deleted"] = true;  // deleted, or removed with its author's account
    return r;
  }
  r["user"] = UserJson(q.Int(10), q.Text(11));
  r["text"] = q.Text(12);
  return r;
}

Json::Value ReadMessage(Db& db, const Query& q) {
  Json::Value m(Json::objectValue);
  m["id"] = static_cast<Json::Int64>(q.Int(0));
  m["room_id"] = static_cast<Json::Int64>(q.Int(1));
  if (!q.IsNull(8)) {
    m["deleted"] = true;
    return m;
  }
  m["user"] = UserJson(q.Int(2), q.Text(3));
  m["text"] = q.Text(4);
  m["created_at"] = FormatTime(q.Int(5));
  m["edited_at"] = q.IsNull(7) ? Json::Value() : Json::Value(FormatTime(q.Int(7)));
  m["reply_to"] = ReplyQuote(q);
  m["reactions"] = Reactions(db, q.Int(0));
  m["mentions"] = MentionsJson(db, q.Int(0));
  m["attachments"] = MessageAttachments(db, q.Int(0));
  return m;
}

}  // namespace

Json::Value MessagesAfter(Db& db, int64_t room_id, int64_t after, int limit, int64_t* cursor,
                          bool* more) {
  auto q = db.Prepare("SELECT " MESSAGE_COLUMNS
                      "WHERE m.room_id = ?1 AND m.seq > ?2 ORDER BY m.seq LIMIT ?3");
  q.Bind(1, room_id).Bind(2, after).Bind(3, static_cast<int64_t>(limit) + 1);
  Json::Value list(Json::arrayValue);
  *cursor = after;
  *more = false;
  while (q.Step()) {
    if (static_cast<int>(list.size()) == limit) {
      *more = true;
      break;
    }
    *cursor = q.Int(6);
    list.append(ReadMessage(db, q));
  }
  return list;
}

Json::Value MessagesBefore(Db& db, int64_t room_id, int64_t before, int limit) {
  auto q = db.Prepare("SELECT " MESSAGE_COLUMNS
                      "WHERE m.room_id = ?1 AND m.id < ?2 AND m.deleted_at IS NULL "
                      "ORDER BY m.id DESC LIMIT ?3");
  q.Bind(1, room_id).Bind(2, before).Bind(3, static_cast<int64_t>(limit));
  std::vector<Json::Value> rows;
  while (q.Step()) rows.push_back(ReadMessage(db, q));
  Json::Value list(Json::arrayValue);
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) list.append(std::move(*it));
  return list;
}

Json::Value MessagesAround(Db& db, int64_t room_id, int64_t around, int limit, bool* more_before,
                           bool* more_after) {
  auto self = db.Prepare("SELECT " MESSAGE_COLUMNS
                         "WHERE m.id = ?1 AND m.room_id = ?2 AND m.deleted_at IS NULL");
  self.Bind(1, around).Bind(2, room_id);
  if (!self.Step()) return Json::Value();
  Json::Value middle = ReadMessage(db, self);
  int before_count = (limit - 1) / 2, after_count = limit - 1 - before_count;
  // One more than wanted on each side says whether more lie beyond.
  Json::Value list = MessagesBefore(db, room_id, around, before_count + 1);
  *more_before = static_cast<int>(list.size()) > before_count;
  if (*more_before) list.removeIndex(0, nullptr);
  list.append(middle);
  auto after = db.Prepare("SELECT " MESSAGE_COLUMNS
                          "WHERE m.room_id = ?1 AND m.id > ?2 AND m.deleted_at IS NULL "
                          "ORDER BY m.id LIMIT ?3");
  after.Bind(1, room_id).Bind(2, around).Bind(3, static_cast<int64_t>(after_count) + 1);
  int n = 0;
  *more_after = false;
  while (after.Step()) {
    if (n++ == after_count) {
      *more_after = true;
      break;
    }
    list.append(ReadMessage(db, after));
  }
  return list;
}

Json::Value MessagesFrom(Db& db, int64_t room_id, int64_t after, int limit) {
  auto q = db.Prepare("SELECT " MESSAGE_COLUMNS
                      "WHERE m.room_id = ?1 AND m.id > ?2 AND m.deleted_at IS NULL "
                      "ORDER BY m.id LIMIT ?3");
  q.Bind(1, room_id).Bind(2, after).Bind(3, static_cast<int64_t>(limit));
  Json::Value list(Json::arrayValue);
  while (q.Step()) list.append(ReadMessage(db, q));
  return list;
}

Json::Value LatestMessages(Db& db, int64_t room_id, int limit, int64_t* cursor) {
  Json::Value list = MessagesBefore(db, room_id, INT64_MAX, limit);
  auto q = db.Prepare("SELECT seq FROM messages WHERE room_id = ?1 ORDER BY seq DESC LIMIT 1");
  *cursor = q.Bind(1, room_id).Step() ? q.Int(0) : 0;
  return list;
}

Json::Value MessageById(Db& db, int64_t id) {
  auto q = db.Prepare("SELECT " MESSAGE_COLUMNS "WHERE m.id = ?1");
  q.Bind(1, id);
  return q.Step() ? ReadMessage(db, q) : Json::Value();
}

}  // namespace chat
