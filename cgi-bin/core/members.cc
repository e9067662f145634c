// See members.h.
#include "members.h"

namespace chat {
namespace {

// Columns read by ReadMember, in order: id, username, role, here.
Member ReadMember(const Query& q) { return Member{q.Int(0), q.Text(1), q.Text(2), q.Int(3) != 0}; }

}  // namespace

std::vector<Member> ListMembers(Db& db, const Room& room) {
  // An open room: its owner (here or not) and everyone inside; a private
  // room: its member rows. Either way one query, owner first.
  const bool is_private = room.kind != "open";  // private and direct rooms: their member rows
  auto q = is_private ? db.Prepare(
                            "SELECT u.id, u.username, m.role, u.room_id IS ?1 FROM room_members m "
                            "JOIN users u ON u.id = m.user_id WHERE m.room_id = ?1 "
                            "ORDER BY m.role = 'owner' DESC, u.username_key")
                      : db.Prepare(
                            "SELECT u.id, u.username, CASE WHEN u.id = ?2 THEN 'owner' ELSE "
                            "'member' END, u.room_id IS ?1 FROM users u WHERE u.room_id = ?1 OR "
                            "u.id = ?2 ORDER BY u.id = ?2 DESC, u.username_key");
  q.Bind(1, room.id);
  if (!is_private) q.Bind(2, room.owner_id);
  std::vector<Member> members;
  while (q.Step()) members.push_back(ReadMember(q));
  return members;
}

std::optional<Member> FindMember(Db& db, int64_t room_id, int64_t user_id) {
  auto q = db.Prepare(
      "SELECT u.id, u.username, m.role, u.room_id IS ?1 FROM room_members m "
      "JOIN users u ON u.id = m.user_id WHERE m.room_id = ?1 AND m.user_id = ?2");
  if (!q.Bind(1, room_id).Bind(2, user_id).Step()) return std::nullopt;
  return ReadMember(q);
}

Json::Value MemberJson(const Member& m) {
  Json::Value j(Json::objectValue);
  j["user"] = UserJson(m.id, m.username);
  j["role"] = m.role;
  j["here"] = m.here;
  return j;
}

}  // namespace chat
