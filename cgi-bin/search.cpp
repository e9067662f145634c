// search: full-text search over the messages a person may read (DESIGN.md
// "Version 2", issue 15). One FTS5 query over the trigram index
// (sql/schema.sql messages_fts) for candidates, each checked against the
// terms in C++, newest first, paged by message id.
#include "core/search.h"

#include <string>
#include <vector>

#include "core/http.h"
#include "core/messages.h"
#include "core/rooms.h"
#include "core/validate.h"

namespace chat {
namespace {

constexpr int kSearchPage = 20;

// GET /api/search?q=…&room=N&from=USERNAME&before=N
// Anyone logged in. 200 {"results": [{"message", "room": {"id", "name"},
// "highlights": [[start, end], ...]}], "more"}: live messages of live rooms
// the caller may read now (CheckRoomAccess's rule: open rooms, and private or
// direct rooms they are a member of) containing every term of q, newest
// first, at most 20, ids below `before` when given (the next page: before=
// the last result's id; never OFFSET). Terms: words split on spaces, or a
// "quoted phrase"; each matches anywhere in the text, case-insensitively.
// highlights: code-point offsets [start, end) of the terms in the text.
// Terms of one or two characters cannot use the trigram index: with at
// least one longer term they filter its results (compared in C++ with the
// highlights' case folding); alone they need room= and then that room's
// messages are read newest first until 20 match.
// 400 invalid_query (q empty, over 200 characters, not UTF-8 or with a
// NUL), query_too_short (only
// terms of 1-2 characters and no room=), invalid_cursor (before or room not
// a whole number); 401 not_logged_in; 404 room_not_found (room= the caller
// may not read, is banned from, or deleted).
Response HandleSearch(Context& ctx) {
  const Request& req = ctx.req;
  std::string q = req.Param("q").value_or("");
  std::vector<std::string> terms = SearchTerms(q);
  // Quotes alone (`"`, `""`) make no term: they are then the text sought.
  if (terms.empty()) {
    size_t a = q.find_first_not_of(" \t\r\n"), z = q.find_last_not_of(" \t\r\n");
    if (a != std::string::npos) terms.push_back(q.substr(a, z - a + 1));
  }
  // Text as messages are text (valid UTF-8, no NUL: core/validate.h), so
  // what reaches FTS5 and the highlights is what a message could contain.
  if (terms.empty() || CodePoints(q) > kMaxQueryChars || !IsValidUtf8(q) ||
      q.find('\0') != std::string::npos) {
    return Response::Error(
        Err(400, "invalid_query", "Type from 1 to 200 characters to search for."));
  }
  int64_t before = INT64_MAX, room_id = 0;
  if (auto b = req.Param("before")) {
    std::optional<int64_t> v = ParseDecimal(*b);
    if (!v) return Response::Error(Err(400, "invalid_cursor", "before must be a message id."));
    before = *v;
  }
  if (auto r = req.Param("room")) {
    std::optional<int64_t> v = ParseDecimal(*r);
    if (!v) return Response::Error(Err(400, "invalid_cursor", "room must be a room id."));
    Result<Room> room = FindVisibleRoom(ctx.db, ctx.user().id, *v);
    // Banned from an open room: it stays visible (README "Bans of open
    // rooms") but its messages are no longer the caller's to read.
    bool banned = ctx.db.Prepare("SELECT 1 FROM room_bans WHERE room_id = ?1 AND user_id = ?2")
                      .Bind(1, *v)
                      .Bind(2, ctx.user().id)
                      .Step();
    if (!room.ok() || room.value().deleted || banned) {
      return Response::Error(Err(404, "room_not_found", "There is no such room."));
    }
    room_id = *v;
  }
  std::vector<std::string> indexed;
  for (const std::string& t : terms) {
    if (CodePoints(t) >= kMinIndexedChars) indexed.push_back(t);
  }
  if (indexed.empty() && room_id == 0) {
    return Response::Error(Err(400, "query_too_short",
                               "Search for at least 3 characters, or search within one room."));
  }
  std::optional<std::string> from = req.Param("from");
  if (from && !IsValidUtf8(*from)) {
    return Response::Error(Err(400, "invalid_query", "from must be a username."));
  }

  // Two statements, each prepared once per process (core/db.h). The access
  // condition repeats CheckRoomAccess (core/rooms.h) as SQL: an open room,
  // or a row in room_members; and no ban (a banned person cannot join, so
  // cannot read the room). room= was checked above with the rule itself.
  // Parameters: ?1 caller, ?2 before, ?3 room (0: all), ?4 author key or
  // NULL, ?5 the MATCH string, ?6 the lowest id (below).
  auto query =
      indexed.empty()
          ? ctx.db.Prepare(
                "SELECT m.id, r.id, r.name, m.text FROM messages m JOIN rooms r ON r.id = "
                "m.room_id "
                "WHERE m.room_id = ?3 AND m.id < ?2 AND m.deleted_at IS NULL "
                "AND (?4 IS NULL OR m.user_id = (SELECT id FROM users WHERE username_key = ?4)) "
                "ORDER BY m.id DESC")
          : ctx.db.Prepare(
                "SELECT m.id, r.id, r.name, m.text FROM messages_fts f "
                "JOIN messages m ON m.id = f.rowid JOIN rooms r ON r.id = m.room_id "
                "WHERE messages_fts MATCH ?5 AND f.rowid < ?2 AND f.rowid >= ?6 "
                "AND m.deleted_at IS NULL "
                "AND r.deleted_at IS NULL AND (r.kind = 'open' OR EXISTS "
                "(SELECT 1 FROM room_members rm WHERE rm.room_id = r.id AND rm.user_id = ?1)) "
                "AND NOT EXISTS (SELECT 1 FROM room_bans b WHERE b.room_id = r.id AND b.user_id = "
                "?1) "
                "AND (?3 = 0 OR m.room_id = ?3) "
                "AND (?4 IS NULL OR m.user_id = (SELECT id FROM users WHERE username_key = ?4)) "
                "ORDER BY f.rowid DESC");
  // The index holds every room's messages in one id order, so a search in
  // one room walks past newer matches of other rooms. The room's own first
  // and last message ids (two reads of messages_room) bound the walk: an old
  // room whose last message is long past costs what a search everywhere does
  // (S9 in tests/bench/run.mjs). ?6 is the lowest id worth reading.
  int64_t lowest = 0;
  if (room_id) {
    // Two subqueries, not max() and min() in one: SQLite answers a lone
    // min() or max() from the index's end, but both together by a scan of
    // the room (https://sqlite.org/optoverview.html#minmax).
    auto last = ctx.db.Prepare(
        "SELECT (SELECT max(id) FROM messages WHERE room_id = ?1 AND id < ?2), "
        "(SELECT min(id) FROM messages WHERE room_id = ?1)");
    if (last.Bind(1, room_id).Bind(2, before).Step() && !last.IsNull(0)) {
      before = last.Int(0) + 1;
      lowest = last.Int(1);
    } else {
      before = 0;  // nothing in the room below `before`: no row can match
    }
  }
  query.Bind(1, ctx.user().id).Bind(2, before).Bind(3, room_id);
  if (from) {
    query.Bind(4, FoldCase(*from));
  } else {
    query.BindNull(4);
  }
  if (!indexed.empty()) query.Bind(5, FtsMatch(indexed)).Bind(6, lowest);
  Json::Value results(Json::arrayValue);
  bool more = false;
  while (query.Step()) {
    // Every term is checked here, with the same Unicode case folding as
    // the highlights: the index (detail=none) only says a message holds all
    // the trigrams of the long terms, not side by side, and knows nothing
    // of short terms. Rows are read newest first until the page is full.
    if (!ContainsAll(query.Text(3), terms)) continue;
    if (static_cast<int>(results.size()) == kSearchPage) {
      more = true;
      break;
    }
    Json::Value r(Json::objectValue);
    r["message"] = MessageById(ctx.db, query.Int(0));
    r["room"]["id"] = static_cast<Json::Int64>(query.Int(1));
    r["room"]["name"] = query.Text(2);
    r["highlights"] = Json::Value(Json::arrayValue);
    for (const auto& [start, end] : Highlights(r["message"]["text"].asString(), terms)) {
      Json::Value h(Json::arrayValue);
      h.append(start);
      h.append(end);
      r["highlights"].append(h);
    }
    results.append(r);
  }
  Json::Value body(Json::objectValue);
  body["results"] = results;
  body["more"] = more;
  return Response::Json(200, body);
}

const std::vector<Route> kRoutes = {
    {"GET", "/api/search", kNeedsSession, HandleSearch},
};

}  // namespace
}  // namespace chat

int main() { return chat::Serve("search", chat::kRoutes); }
