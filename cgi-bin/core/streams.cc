// The stream channels' names, and which streams a revocation ends (streams.h).
#include "streams.h"

#include <sodium.h>

#include "doorbell.h"

namespace chat {

std::string StreamKey(const TokenHash& session) {
  // Half the hash (128 bits) names a session uniquely enough, and keeps the
  // channel id short; the hex of a hash tells nothing about the cookie.
  char hex[33];
  sodium_bin2hex(hex, sizeof hex, session.data(), 16);
  return hex;
}

std::string SubscribePath(int64_t room_id, const TokenHash& session) {
  return "/_push/subscribe/" + std::to_string(room_id) + "/" + StreamKey(session);
}

std::string StreamPublisherPath(const StreamId& stream) {
  return "/streams/" + std::to_string(stream.room_id) + "/" + stream.key;
}

StreamScope AllStreams(int64_t user_id, std::optional<int64_t> room) {
  StreamScope s;
  s.user_id = user_id;
  s.room_id = room;
  return s;
}

StreamScope SessionStreams(int64_t user_id, const TokenHash& session) {
  StreamScope s = AllStreams(user_id);
  s.sessions = StreamScope::kOnly;
  s.session = &session;
  return s;
}

StreamScope OtherSessionsStreams(int64_t user_id, const TokenHash& session) {
  StreamScope s = AllStreams(user_id);
  s.sessions = StreamScope::kAllBut;
  s.session = &session;
  return s;
}

std::optional<int64_t> CurrentRoom(Db& db, int64_t user_id) {
  auto q = db.Prepare("SELECT room_id FROM users WHERE id = ?1");
  if (!q.Bind(1, user_id).Step() || q.IsNull(0)) return std::nullopt;
  return q.Int(0);
}

std::vector<StreamId> StreamsToRevoke(Db& db, const StreamScope& scope) {
  std::vector<StreamId> out;
  std::optional<int64_t> room = scope.room_id ? scope.room_id : CurrentRoom(db, scope.user_id);
  if (!room) return out;
  if (scope.sessions == StreamScope::kOnly) {
    out.push_back({*room, StreamKey(*scope.session)});
    return out;
  }
  // StreamKey in SQL: the first 16 bytes of the hash, in lowercase hex.
  auto q = db.Prepare(
      "SELECT lower(hex(substr(token_hash, 1, 16))) FROM sessions "
      "WHERE user_id = ?1 AND token_hash IS NOT ?2");
  q.Bind(1, scope.user_id);
  if (scope.sessions == StreamScope::kAllBut) {
    q.BindBlob(2, scope.session->data(), static_cast<int>(scope.session->size()));
  } else {
    q.BindNull(2);  // statements are cached: clear the last call's binding
  }
  while (q.Step()) out.push_back({*room, q.Text(0)});
  return out;
}

void RevokeStreams(const Config& config, const char* program,
                   const std::vector<StreamId>& streams) {
  for (const StreamId& s : streams) DeleteChannel(config, program, StreamPublisherPath(s));
}

}  // namespace chat
