// See mentions.h.
#include "mentions.h"

#include <algorithm>
#include <set>

#include "rooms.h"

namespace chat {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

bool IsNameLength(const std::string& s) { return s.size() >= 3 && s.size() <= 32; }

// The user the name is, if they may be mentioned in the room: one lookup by
// the unique username_key plus a primary-key read of the ban or membership.
int64_t AllowedUser(Db& db, const std::string& key, int64_t room_id, bool open, int64_t author_id) {
  auto q = db.Prepare(
      "SELECT u.id FROM users u WHERE u.username_key = ?1 AND u.disabled_at IS NULL "
      "AND u.id <> ?3 AND CASE WHEN ?4 THEN NOT EXISTS (SELECT 1 FROM room_bans b "
      "WHERE b.room_id = ?2 AND b.user_id = u.id) ELSE EXISTS (SELECT 1 FROM room_members m "
      "WHERE m.room_id = ?2 AND m.user_id = u.id) END");
  q.Bind(1, key).Bind(2, room_id).Bind(3, author_id).Bind(4, static_cast<int64_t>(open));
  return q.Step() ? q.Int(0) : 0;
}

}  // namespace

std::vector<std::vector<std::string>> MentionCandidates(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < text.size() && out.size() < kMaxMentionsPerMessage; ++i) {
    if (text[i] != '@' || (i > 0 && (IsNameChar(text[i - 1]) || text[i - 1] == '@'))) continue;
    size_t end = i + 1;
    while (end < text.size() && IsNameChar(text[end])) ++end;
    std::string run = Lower(text.substr(i + 1, end - i - 1));
    std::string trimmed = run;
    while (!trimmed.empty() && (trimmed.back() == '.' || trimmed.back() == '-')) trimmed.pop_back();
    std::vector<std::string> names;
    if (trimmed != run && IsNameLength(trimmed)) names.push_back(trimmed);
    if (IsNameLength(run)) names.push_back(run);
    if (!names.empty() && seen.insert(names.front()).second) out.push_back(names);
    i = end - 1;
  }
  return out;
}

std::vector<int64_t> StoreMentions(Db& db, int64_t message_id, int64_t room_id, bool open,
                                   int64_t author_id, const std::string& text) {
  std::set<int64_t> before;
  {
    auto q = db.Prepare("SELECT user_id FROM mentions WHERE message_id = ?1");
    q.Bind(1, message_id);
    while (q.Step()) before.insert(q.Int(0));
  }
  if (!before.empty()) ForgetMentions(db, message_id);
  std::vector<int64_t> added;
  std::set<int64_t> stored;
  for (const std::vector<std::string>& names : MentionCandidates(text)) {
    for (const std::string& name : names) {
      int64_t user = AllowedUser(db, name, room_id, open, author_id);
      if (user == 0) continue;
      if (stored.insert(user).second) {
        db.Prepare("INSERT INTO mentions (message_id, user_id, room_id) VALUES (?1, ?2, ?3)")
            .Bind(1, message_id)
            .Bind(2, user)
            .Bind(3, room_id)
            .Run();
        if (!before.count(user)) added.push_back(user);
      }
      break;
    }
  }
  return added;
}

void ForgetMentions(Db& db, int64_t message_id) {
  db.Prepare("DELETE FROM mentions WHERE message_id = ?1").Bind(1, message_id).Run();
}

Json::Value MentionsJson(Db& db, int64_t message_id) {
  auto q = db.Prepare(
      "SELECT x.user_id, u.username FROM mentions x JOIN users u ON u.id = x.user_id "
      "WHERE x.message_id = ?1 ORDER BY x.user_id");
  q.Bind(1, message_id);
  Json::Value list(Json::arrayValue);
  while (q.Step()) list.append(UserJson(q.Int(0), q.Text(1)));
  return list;
}

}  // namespace chat
