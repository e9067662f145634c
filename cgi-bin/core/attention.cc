// See attention.h.
#include "attention.h"

#include <algorithm>
#include <utility>

#include "doorbell.h"
#include "mentions.h"
#include "messages.h"
#include "rooms.h"

namespace chat {

std::unordered_map<int64_t, int64_t> ReadMarks(Db& db, int64_t user_id) {
  auto q = db.Prepare("SELECT room_id, message_id FROM read_marks WHERE user_id = ?1");
  q.Bind(1, user_id);
  std::unordered_map<int64_t, int64_t> marks;
  while (q.Step()) marks[q.Int(0)] = q.Int(1);
  return marks;
}

std::optional<int64_t> EffectiveMark(const Room& room, std::optional<int64_t> stored) {
  if (stored || room.kind == "open") return stored;
  return 0;
}

int64_t CountUnread(Db& db, int64_t user_id, int64_t room_id, int64_t mark) {
  // Reads messages_room (room_id, id, user_id, deleted_at) alone: the
  // inner LIMIT bounds the entries read, whoever wrote them.
  auto q = db.Prepare(
      "SELECT count(*) FROM (SELECT user_id, deleted_at FROM messages WHERE room_id = ?1 AND id > "
      "?2 ORDER BY id LIMIT ?3) WHERE user_id <> ?4 AND deleted_at IS NULL");
  q.Bind(1, room_id).Bind(2, mark).Bind(3, kUnreadScan).Bind(4, user_id);
  return q.Step() ? std::min<int64_t>(q.Int(0), kMaxUnread) : 0;
}

namespace {

// The user's newest kMentionScan mentions as (room, message), newest first
// (core/mentions.h ForEachMention: copied or not yet).
std::vector<std::pair<int64_t, int64_t>> NewestMentions(Db& db, int64_t user_id) {
  std::vector<std::pair<int64_t, int64_t>> out;
  ForEachMention(db, user_id, INT64_MAX, [&](int64_t message, int64_t room) {
    out.emplace_back(room, message);
    return out.size() < static_cast<size_t>(kMentionScan);
  });
  return out;
}

}  // namespace

std::unordered_map<int64_t, int64_t> UnreadMentions(
    Db& db, int64_t user_id, const std::unordered_map<int64_t, int64_t>& marks,
    const std::function<bool(int64_t)>& wanted) {
  std::unordered_map<int64_t, int64_t> out;
  for (const auto& [room, id] : NewestMentions(db, user_id)) {
    auto m = marks.find(room);
    if (id > (m == marks.end() ? 0 : m->second) && wanted(room)) ++out[room];
  }
  return out;
}

std::string AttentionVersion(Db& db, int64_t user_id, int64_t attention) {
  return std::to_string(attention) + "." + std::to_string(NewestCopiedMention(db, user_id));
}

namespace {

int64_t NewestMessage(Db& db, int64_t room_id) {
  auto q = db.Prepare("SELECT max(id) FROM messages WHERE room_id = ?1");
  return q.Bind(1, room_id).Step() && !q.IsNull(0) ? q.Int(0) : 0;
}

}  // namespace

bool MoveReadMark(Db& db, int64_t user_id, int64_t room_id, int64_t id) {
  id = std::min(id, NewestMessage(db, room_id));
  db.Prepare(
        "INSERT INTO read_marks (user_id, room_id, message_id) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (user_id, room_id) DO UPDATE SET message_id = excluded.message_id "
        "WHERE excluded.message_id > read_marks.message_id")
      .Bind(1, user_id)
      .Bind(2, room_id)
      .Bind(3, id)
      .Run();
  return db.Changes() > 0;
}

int64_t MarkOnJoin(Db& db, int64_t user_id, const Room& room) {
  auto q = db.Prepare("SELECT message_id FROM read_marks WHERE user_id = ?1 AND room_id = ?2");
  if (q.Bind(1, user_id).Bind(2, room.id).Step()) return q.Int(0);
  if (room.kind != "open") return 0;
  int64_t newest = NewestMessage(db, room.id);
  db.Prepare("INSERT INTO read_marks (user_id, room_id, message_id) VALUES (?1, ?2, ?3)")
      .Bind(1, user_id)
      .Bind(2, room.id)
      .Bind(3, newest)
      .Run();
  return newest;
}

void BumpAttention(Db& db, const std::vector<int64_t>& users) {
  if (users.empty()) return;
  // One statement for everyone a post calls (json_each: SQLite's JSON1).
  std::string list = "[";
  for (int64_t u : users) list += (list.size() > 1 ? "," : "") + std::to_string(u);
  db.Prepare(
        "UPDATE users SET attention = attention + 1 WHERE id IN (SELECT value FROM json_each(?1))")
      .Bind(1, list + "]")
      .Run();
}

void RingPeople(const Config& config, const char* program, const std::vector<int64_t>& users) {
  RingPeopleDoorbells(config, program, users);
}

Json::Value AttentionSummary(Db& db, int64_t user_id, const std::string& version,
                             std::optional<int64_t> here) {
  std::unordered_map<int64_t, int64_t> marks = ReadMarks(db, user_id);
  auto mark_of = [&](int64_t room) {
    auto it = marks.find(room);
    return it == marks.end() ? 0 : it->second;
  };
  std::vector<int64_t> ids;  // message ids worth a notification
  int64_t mentions = 0, direct = 0;
  std::unordered_map<int64_t, bool> visible;
  for (const auto& [room, id] : NewestMentions(db, user_id)) {
    if (room == here || id <= mark_of(room)) continue;
    auto v = visible.find(room);
    // Not an open room the user is banned from: its messages are no longer
    // theirs to read (as GET /api/mentions and search leave it out).
    if (v == visible.end()) v = visible.emplace(room, MayReadRoom(db, room, user_id)).first;
    if (!v->second) continue;
    ++mentions;
    if (ids.size() < static_cast<size_t>(kSummaryMessages)) ids.push_back(id);
  }
  auto rooms = db.Prepare(
      "SELECT d.room_id FROM room_members rm JOIN direct_rooms d ON d.room_id = rm.room_id "
      "JOIN rooms r ON r.id = rm.room_id WHERE rm.user_id = ?1 AND r.deleted_at IS NULL");
  rooms.Bind(1, user_id);
  std::vector<int64_t> list;
  while (rooms.Step()) list.push_back(rooms.Int(0));
  for (int64_t room : list) {
    if (room == here) continue;
    direct += CountUnread(db, user_id, room, mark_of(room));
    auto q = db.Prepare(
        "SELECT id FROM messages WHERE room_id = ?1 AND id > ?2 AND user_id <> ?3 "
        "AND deleted_at IS NULL ORDER BY id DESC LIMIT ?4");
    q.Bind(1, room).Bind(2, mark_of(room)).Bind(3, user_id).Bind(4, kSummaryMessages);
    while (q.Step()) ids.push_back(q.Int(0));
  }
  std::sort(ids.begin(), ids.end(), std::greater<int64_t>());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (ids.size() > static_cast<size_t>(kSummaryMessages)) ids.resize(kSummaryMessages);
  Json::Value out(Json::objectValue);
  out["version"] = version;
  out["mentions"] = static_cast<Json::Int64>(std::min<int64_t>(mentions, kMaxUnread));
  out["direct"] = static_cast<Json::Int64>(std::min<int64_t>(direct, kMaxUnread));
  out["messages"] = Json::Value(Json::arrayValue);
  for (int64_t id : ids) {
    Json::Value m = MessageById(db, id);
    if (m.isNull() || m.isMember("deleted")) continue;
    std::optional<Room> room = FindRoom(db, m["room_id"].asInt64());
    if (!room) continue;
    m["room"] = RoomJson(*room);
    out["messages"].append(std::move(m));
  }
  return out;
}

}  // namespace chat
