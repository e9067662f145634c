// See attachments.h.
#include "attachments.h"

#include <set>
#include <string>

namespace chat {
namespace {

#define ATTACHMENT_COLUMNS "id, name, type, image, size, width, height FROM files "

Json::Value ReadAttachment(const Query& q) {
  Json::Value a(Json::objectValue);
  int64_t id = q.Int(0);
  std::string url = "/api/files/" + std::to_string(id);
  a["id"] = static_cast<Json::Int64>(id);
  a["name"] = q.Text(1);
  a["type"] = q.Text(2);
  a["size"] = static_cast<Json::Int64>(q.Int(4));
  if (!q.IsNull(5)) a["width"] = static_cast<Json::Int64>(q.Int(5));
  if (!q.IsNull(6)) a["height"] = static_cast<Json::Int64>(q.Int(6));
  a["url"] = url;
  if (q.Int(3) == 1) a["thumb_url"] = url + "/thumb";
  return a;
}

}  // namespace

ApiError InvalidAttachment() {
  return Err(400, "invalid_attachment",
             "attachments must be up to 10 ids of your own files uploaded to this room in the "
             "last hour and not posted yet.");
}

Json::Value AttachmentById(Db& db, int64_t id) {
  auto q = db.Prepare("SELECT " ATTACHMENT_COLUMNS "WHERE id = ?1");
  return q.Bind(1, id).Step() ? ReadAttachment(q) : Json::Value();
}

Json::Value MessageAttachments(Db& db, int64_t message_id) {
  auto q = db.Prepare("SELECT " ATTACHMENT_COLUMNS "WHERE message_id = ?1 ORDER BY position");
  q.Bind(1, message_id);
  Json::Value list(Json::arrayValue);
  while (q.Step()) list.append(ReadAttachment(q));
  return list;
}

Result<std::vector<int64_t>> ParseAttachmentIds(const Json::Value& body) {
  std::vector<int64_t> ids;
  if (!body.isMember("attachments") || body["attachments"].isNull()) return ids;
  const Json::Value& list = body["attachments"];
  if (!list.isArray() || list.size() > kMaxAttachments) return InvalidAttachment();
  std::set<int64_t> seen;
  for (const Json::Value& v : list) {
    // An integer as written (not 1.0): how post.cpp reads reply_to too.
    bool integer = v.type() == Json::intValue || v.type() == Json::uintValue;
    if (!integer || !v.isInt64() || v.asInt64() <= 0) return InvalidAttachment();
    if (!seen.insert(v.asInt64()).second) return InvalidAttachment();
    ids.push_back(v.asInt64());
  }
  return ids;
}

Status AttachFiles(Db& db, const std::vector<int64_t>& ids, int64_t user_id, int64_t room_id,
                   int64_t message_id, int64_t now, int64_t unposted_ms) {
  for (size_t i = 0; i < ids.size(); ++i) {
    auto q = db.Prepare(
        "UPDATE files SET message_id = ?1, position = ?2 WHERE id = ?3 AND user_id = ?4 "
        "AND room_id = ?5 AND message_id IS NULL AND created_at > ?6");
    q.Bind(1, message_id)
        .Bind(2, static_cast<int64_t>(i))
        .Bind(3, ids[i])
        .Bind(4, user_id)
        .Bind(5, room_id)
        .Bind(6, now - unposted_ms)
        .Run();
    if (db.Changes() != 1) return InvalidAttachment();
  }
  return std::nullopt;
}

}  // namespace chat
