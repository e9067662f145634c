// See mentions.h.
#include "mentions.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "migrate.h"
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

// Every key of `keys` (a JSON array of lower-cased names) that names a
// person who may be mentioned in the room, with their id: one statement for
// the whole message (the unique username_key index, then a primary-key read
// of the ban or the membership per name), not one per name.
std::map<std::string, int64_t> AllowedUsers(Db& db, const std::string& keys, int64_t room_id,
                                            bool open, int64_t author_id) {
  auto q = db.Prepare(
      "SELECT u.username_key, u.id FROM json_each(?1) j JOIN users u ON u.username_key = j.value "
      "WHERE u.disabled_at IS NULL AND u.id <> ?3 AND CASE WHEN ?4 THEN NOT EXISTS (SELECT 1 "
      "FROM room_bans b WHERE b.room_id = ?2 AND b.user_id = u.id) ELSE EXISTS (SELECT 1 FROM "
      "room_members m WHERE m.room_id = ?2 AND m.user_id = u.id) END");
  q.Bind(1, keys).Bind(2, room_id).Bind(3, author_id).Bind(4, static_cast<int64_t>(open));
  std::map<std::string, int64_t> out;
  while (q.Step()) out[q.Text(0)] = q.Int(1);
  return out;
}

// A JSON array for json_each: names made only of username characters
// (nothing in them needs escaping).
std::string JsonNames(const std::vector<std::string>& names) {
  std::string out = "[";
  for (const std::string& n : names) out += (out.size() > 1 ? ",\"" : "\"") + n + "\"";
  return out + "]";
}

void CopyToInbox(Db& db, int64_t user, int64_t message_id, int64_t room_id) {
  db.Prepare(
        "INSERT OR IGNORE INTO mention_inbox (user_id, message_id, room_id) VALUES (?1, ?2, ?3)")
      .Bind(1, user)
      .Bind(2, message_id)
      .Bind(3, room_id)
      .Run();
}

// One fan-out transaction: at most kFanOutRows rows, whole messages. True
// when mentions after done remain (the caller runs another).
bool FanOutSome(Db& db, std::set<int64_t>& people) {
  Transaction tx(db);
  // Not into a schema this program does not know (core/migrate.h): a newer
  // release may have migrated the file while this worker runs, and its
  // inbox and `done` may mean something else. Read inside the write lock,
  // so no migration comes between the check and the copy.
  if (int version = SchemaVersion(db); version != kSchemaVersion) {
    throw std::runtime_error("the database is at schema version " + std::to_string(version) +
                             ", this program's is " + std::to_string(kSchemaVersion) +
                             ": nothing copied");
  }
  const int64_t done = FanOutDone(db);
  int64_t last = done, rows = 0;
  bool more = false;
  {
    auto q = db.Prepare(
        "SELECT message_id, user_id, room_id FROM mentions WHERE message_id > ?1 "
        "ORDER BY message_id, user_id");
    q.Bind(1, done);
    while (q.Step()) {
      const int64_t message = q.Int(0);
      if (message != last && rows >= kFanOutRows) {
        more = true;
        break;
      }
      // Single-row INSERTs: no statement journal (see StoreMentions).
      CopyToInbox(db, q.Int(1), message, q.Int(2));
      people.insert(q.Int(1));
      last = message;
      ++rows;
    }
  }                                // the read ends (its statement reset) before the commit
  if (last == done) return false;  // nothing to copy: nothing written
  db.Prepare("UPDATE mention_fanout SET done = ?1 WHERE id = 1").Bind(1, last).Run();
  tx.Commit();
  return more;
}

// Steps one of ForEachMention's two queries: (message_id, room_id) rows of
// `user` below `before`, newest first.
struct Cursor {
  Query q;
  bool live;
  Cursor(Db& db, const char* sql, int64_t user, int64_t before) : q(db.Prepare(sql)) {
    q.Bind(1, user).Bind(2, before);
    live = q.Step();
  }
  int64_t id() const { return q.Int(0); }
};

}  // namespace

int64_t FanOutDone(Db& db) {
  auto q = db.Prepare("SELECT done FROM mention_fanout WHERE id = 1");
  return q.Step() ? q.Int(0) : 0;
}

bool MentionsToCopy(Db& db) {
  return db
      .Prepare(
          "SELECT 1 FROM mentions "
          "WHERE message_id > (SELECT done FROM mention_fanout WHERE id = 1) LIMIT 1")
      .Step();
}

std::vector<int64_t> FanOutMentions(Db& db) {
  std::set<int64_t> people;
  while (FanOutSome(db, people)) {
  }
  return {people.begin(), people.end()};
}

void ForEachMention(Db& db, int64_t user_id, int64_t before,
                    const std::function<bool(int64_t message_id, int64_t room_id)>& each) {
  // Two statements stepped side by side on one connection, in the caller's
  // transaction (one snapshot for both).
  Cursor copied(db,
                "SELECT message_id, room_id FROM mention_inbox WHERE user_id = ?1 "
                "AND message_id < ?2 ORDER BY message_id DESC",
                user_id, before);
  Cursor fresh(db,
               "SELECT message_id, room_id FROM mentions WHERE message_id > (SELECT done FROM "
               "mention_fanout WHERE id = 1) AND message_id < ?2 AND user_id = ?1 "
               "ORDER BY message_id DESC",
               user_id, before);
  while (copied.live || fresh.live) {
    Cursor& next = !fresh.live || (copied.live && copied.id() > fresh.id()) ? copied : fresh;
    if (!each(next.id(), next.q.Int(1))) break;
    next.live = next.q.Step();
  }
}

int64_t NewestCopiedMention(Db& db, int64_t user_id) {
  auto q = db.Prepare("SELECT max(message_id) FROM mention_inbox WHERE user_id = ?1");
  return q.Bind(1, user_id).Step() && !q.IsNull(0) ? q.Int(0) : 0;
}

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
  const std::vector<std::vector<std::string>> candidates = MentionCandidates(text);
  if (candidates.empty()) return {};
  std::vector<std::string> names;
  for (const auto& c : candidates) names.insert(names.end(), c.begin(), c.end());
  const std::map<std::string, int64_t> allowed =
      AllowedUsers(db, JsonNames(names), room_id, open, author_id);
  std::set<int64_t> stored;
  std::vector<int64_t> added;
  for (const auto& c : candidates) {
    for (const std::string& name : c) {
      auto it = allowed.find(name);
      if (it == allowed.end()) continue;
      if (stored.insert(it->second).second && !before.count(it->second))
        added.push_back(it->second);
      break;
    }
  }
  // One single-row INSERT per person, not one INSERT ... SELECT for all:
  // a statement that may change several rows and may fail half-way (the
  // foreign keys) needs a statement journal holding the original of every
  // page it changes (https://sqlite.org/tempfiles.html#statement_journal_files).
  // Where each person's entry sits on a page of its own (the inbox), 50
  // people made that ~200 KB: past SQLite's 64 KiB spill it became a
  // temporary file created, written and deleted by every such post (README
  // "Performance", S11). A single-row INSERT needs no statement journal.
  // A message the fan-out has already passed (an edit of an older one) is
  // copied here, in the same transaction; a new post never is.
  const bool copied = message_id <= FanOutDone(db);
  for (int64_t user : stored) {
    db.Prepare("INSERT INTO mentions (message_id, user_id, room_id) VALUES (?1, ?2, ?3)")
        .Bind(1, message_id)
        .Bind(2, user)
        .Bind(3, room_id)
        .Run();
    if (copied) CopyToInbox(db, user, message_id, room_id);
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
