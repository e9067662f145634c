// Attention (issue 14): read marks, unread counts, and the per-person
// attention counter that tells a page there is news in another room.
//
// A read mark (read_marks) is the last message a person has read in a
// room; it only moves forward. Unread counts are never kept as counters
// (a post would have to update one row per reader); they are counted when
// asked, bounded so that a list of many rooms stays cheap: others' live
// messages after the mark, read from the (room_id, id, user_id, deleted_at)
// index alone among at most kUnreadScan entries and reported up to
// kMaxUnread ("99+"), and unread mentions, a range of the mentions_room
// index. Without a mark: a member of a private or direct room has read
// nothing; an open room the person never entered counts its mentions only
// (it is not "theirs" until they enter it, and the first join starts the
// mark at its newest message).
//
// users.attention is a number bumped inside the write transaction of
// whatever should catch the person's eye elsewhere: a message that mentions
// them, a direct message to them, their own read mark moving (so every tab
// recounts). It is read with the session (core/session.h), so a poll whose
// client already knows the number costs no query at all; when it differs the
// poll carries the summary (AttentionSummary) once. With push on, each bump
// also rings the person's own stream (GET /api/me/events) after the commit.
#pragma once

#include <json/json.h>

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "config.h"
#include "db.h"
#include "rooms.h"

namespace chat {

constexpr int64_t kMaxUnread = 100;              // DESIGN.md: "counted up to 100"
constexpr int64_t kUnreadScan = kMaxUnread + 1;  // index entries read at most per room and count
constexpr int64_t kSummaryMessages = 10;

struct Unread {
  int64_t unread = 0;
  int64_t mentions = 0;
};

// Every read mark of the user, by room: one range of read_marks' key.
std::unordered_map<int64_t, int64_t> ReadMarks(Db& db, int64_t user_id);
// The mark that counts for `room` (nullopt: an open room never entered).
std::optional<int64_t> EffectiveMark(const Room& room, std::optional<int64_t> stored);
// The room's unread messages and mentions for the user, given its mark.
Unread CountUnread(Db& db, int64_t user_id, int64_t room_id, std::optional<int64_t> mark);

// Inside a write transaction: moves the user's mark in the room forward to
// message `id` (or the room's newest message, if `id` is beyond it); never
// back. True when it moved.
bool MoveReadMark(Db& db, int64_t user_id, int64_t room_id, int64_t id);
// Inside the join's transaction: the user's mark before this join (what
// the page shows its "New messages" divider after), 0 when they have read
// nothing; an open room entered for the first time gets its mark at the
// newest message and answers that.
int64_t MarkOnJoin(Db& db, int64_t user_id, const Room& room);

// Inside a write transaction: something elsewhere calls for these users.
void BumpAttention(Db& db, const std::vector<int64_t>& users);
// After the commit: rings each user's own stream with {"type":"attention"}
// (push on; fire-and-forget like the room doorbell, all in one exchange).
void RingPeople(const Config& config, const char* program, const std::vector<int64_t>& users);

// What the page's indicator shows, for a user whose attention number is
// `version`, leaving out room `here` (the one they are looking at):
// {"version", "mentions": unread mentions elsewhere (among the newest
// kUnreadScan), "direct": unread messages in direct rooms elsewhere,
// "messages": the newest kSummaryMessages of those, newest first, each with
// "room"}. Only rooms the user may see now, and live.
Json::Value AttentionSummary(Db& db, int64_t user_id, int64_t version, std::optional<int64_t> here);

}  // namespace chat
