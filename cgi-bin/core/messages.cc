// See messages.h.
#include "messages.h"

#include <algorithm>

#include "clock.h"
#include "rooms.h"

namespace chat {
namespace {

#define MESSAGE_COLUMNS                                                                           \
  "m.id, m.room_id, m.user_id, u.username, m.text, m.created_at FROM messages m JOIN users u ON " \
  "u.id = m.user_id "

Json::Value ReadMessage(const Query& q) {
  Json::Value m(Json::objectValue);
  m["id"] = static_cast<Json::Int64>(q.Int(0));
  m["room_id"] = static_cast<Json::Int64>(q.Int(1));
  m["user"] = UserJson(q.Int(2), q.Text(3));
  m["text"] = q.Text(4);
  m["created_at"] = FormatTime(q.Int(5));
  return m;
}

}  // namespace

Json::Value MessagesAfter(Db& db, int64_t room_id, int64_t after, int limit, int64_t* cursor) {
  auto q = db.Prepare("SELECT " MESSAGE_COLUMNS
                      "WHERE m.room_id = ?1 AND m.id > ?2 ORDER BY m.id LIMIT ?3");
  q.Bind(1, room_id).Bind(2, after).Bind(3, static_cast<int64_t>(limit));
  Json::Value list(Json::arrayValue);
  *cursor = after;
  while (q.Step()) {
    *cursor = q.Int(0);
    list.append(ReadMessage(q));
  }
  return list;
}

Json::Value MessagesBefore(Db& db, int64_t room_id, int64_t before, int limit) {
  auto q = db.Prepare("SELECT " MESSAGE_COLUMNS
                      "WHERE m.room_id = ?1 AND m.id < ?2 ORDER BY m.id DESC LIMIT ?3");
  q.Bind(1, room_id).Bind(2, before).Bind(3, static_cast<int64_t>(limit));
  std::vector<Json::Value> rows;
  while (q.Step()) rows.push_back(ReadMessage(q));
  Json::Value list(Json::arrayValue);
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) list.append(std::move(*it));
  return list;
}

Json::Value LatestMessages(Db& db, int64_t room_id, int limit, int64_t* cursor) {
  Json::Value list = MessagesBefore(db, room_id, INT64_MAX, limit);
  *cursor = list.empty() ? 0 : list[list.size() - 1]["id"].asInt64();
  return list;
}

Json::Value MessageById(Db& db, int64_t id) {
  auto q = db.Prepare("SELECT " MESSAGE_COLUMNS "WHERE m.id = ?1");
  q.Bind(1, id);
  return q.Step() ? ReadMessage(q) : Json::Value();
}

}  // namespace chat
