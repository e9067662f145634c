// Attention (issue 14): read marks, unread counts, and the version that
// tells a page there is news for its person in another room.
//
// A read mark (read_marks) is the last message a person has read in a
// room; it only moves forward. Unread counts are never kept as counters
// (a post would have to update one row per reader); they are counted when
// asked, bounded so that a list of many rooms stays cheap: others' live
// messages after the mark, read from the (room_id, id, user_id, deleted_at)
// index alone among at most kUnreadScan entries and reported up to
// kMaxUnread ("99+"); unread mentions, from one range of the person's
// newest kMentionScan mentions (core/mentions.h), each against its room's
// mark. Without a mark: a member of a private or direct room has read
// nothing; an open room the person never entered counts its mentions only
// (it is not "theirs" until they enter it, and the first join starts the
// mark at its newest message).
//
// The attention version is two numbers: users.attention, bumped inside the
// write transaction of a direct message to the person, a mention an edit
// adds, and their own read mark moving (so every tab recounts), read with
// the session at no cost (core/session.h); and the person's newest copied
// mention, the last entry of their mention_inbox range, one read of its key.
// A new mention is thus seen without writing the users row of everyone it
// names, once the fan-out copied it (~50 ms after the post, core/mentions.h):
// the post itself writes its mentions rows, one or two pages, and nothing more.
// When the version a page sends differs, the poll carries the summary
// (AttentionSummary) once. With push on, each of these also rings the
// person's own stream (GET /api/me/events) after the commit.
#pragma once

#include <json/json.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config.h"
#include "db.h"
#include "rooms.h"

namespace chat {

constexpr int64_t kMaxUnread = 100;              // DESIGN.md: "counted up to 100"
constexpr int64_t kUnreadScan = kMaxUnread + 1;  // index entries read at most per room
constexpr int64_t kMentionScan = 500;            // a person's newest mentions looked at for counts
constexpr int64_t kSummaryMessages = 10;

// Every read mark of the user, by room: one range of read_marks' key.
std::unordered_map<int64_t, int64_t> ReadMarks(Db& db, int64_t user_id);
// The mark that counts for `room` (nullopt: an open room never entered).
std::optional<int64_t> EffectiveMark(const Room& room, std::optional<int64_t> stored);
// Others' live messages after `mark` in the room, up to kMaxUnread.
int64_t CountUnread(Db& db, int64_t user_id, int64_t room_id, int64_t mark);
// Unread mentions of the user by room, among their newest kMentionScan:
// those after the room's mark in `marks` (0 for a room not in it), for the
// rooms `wanted` says yes to.
std::unordered_map<int64_t, int64_t> UnreadMentions(
    Db& db, int64_t user_id, const std::unordered_map<int64_t, int64_t>& marks,
    const std::function<bool(int64_t)>& wanted);

// Inside a write transaction: moves the user's mark in the room forward to
// message `id` (or the room's newest message, if `id` is beyond it); never
// back. True when it moved.
bool MoveReadMark(Db& db, int64_t user_id, int64_t room_id, int64_t id);
// Inside the join's transaction: the user's mark before this join (what
// the page shows its "New messages" divider after), 0 when they have read
// nothing; an open room entered for the first time gets its mark at the
// newest message and answers that.
int64_t MarkOnJoin(Db& db, int64_t user_id, const Room& room);

// Inside a write transaction: bumps users.attention of these users.
void BumpAttention(Db& db, const std::vector<int64_t>& users);
// After the commit: rings each user's own stream with {"type":"attention"}
// (push on; fire-and-forget like the room doorbell, all in one exchange).
void RingPeople(const Config& config, const char* program, const std::vector<int64_t>& users);

// The user's attention version: "<users.attention>.<newest mention id>",
// opaque to pages (they send it back as they got it).
std::string AttentionVersion(Db& db, int64_t user_id, int64_t attention);

// What the page's indicator shows, for a user whose attention version is
// `version`, leaving out room `here` (the one they are looking at):
// {"version", "mentions": unread mentions elsewhere (among the newest
// kMentionScan), "direct": unread messages in direct rooms elsewhere,
// "messages": the newest kSummaryMessages of those, newest first, each with
// "room"}. Only rooms the user may see now, and live.
Json::Value AttentionSummary(Db& db, int64_t user_id, const std::string& version,
                             std::optional<int64_t> here);

}  // namespace chat
