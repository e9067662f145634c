// The people of a room, as GET /api/rooms/{id}/members lists them (issue
// 13): for a private room its members (room_members: who may see it); for an
// open room, which keeps no member rows, its owner and whoever is inside now
// (users.room_id). Each carries "here": inside the room now.
#pragma once

#include <json/json.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db.h"
#include "rooms.h"

namespace chat {

struct Member {
  int64_t id = 0;
  std::string username;
  std::string role;  // "owner" or "member"
  bool here = false;
};

// The owner first, then the others by username (case-insensitive).
std::vector<Member> ListMembers(Db& db, const Room& room);
// The user's room_members row in this room, or nullopt.
std::optional<Member> FindMember(Db& db, int64_t room_id, int64_t user_id);
Json::Value MemberJson(const Member& m);

}  // namespace chat
