// Messages as the programs share them: the JSON shape and the reads.
//
// Two orders, two indexes, never OFFSET. History (join, before=) walks
// (room_id, id), the order people wrote in, and shows live messages only.
// The change feed (after=) walks (room_id, seq): seq is the number of a
// message's last creation or change, taken from one database-wide sequence
// inside SQLite's single write transaction (core/feed.h), so every reader
// sees every creation and change once, in one order, and a poll stays one
// range read however long the history or the list of edits.
#pragma once

#include <json/json.h>

#include <cstdint>

#include "db.h"

namespace chat {

constexpr int kJoinHistory = 50;
constexpr int kMaxPollBatch = 200;
constexpr int kMaxPageSize = 100;
constexpr int kReplyQuoteChars = 200;  // DESIGN.md: a reply quotes the first 200 characters
// Different emoji one message may carry (Discord's limit is 20): without it
// one person could hang ~1,000 emoji under every message, a wall on every
// screen and ~40 KB more in every join per message, one token each.
constexpr int kMaxDistinctReactions = 20;

// The change feed: messages of the room created or changed after change
// number `after`, each once in its current state (a deleted one as
// {"id","room_id","deleted":true}), ascending by change number, at most
// `limit`. *cursor becomes the change number of the last one returned, or
// stays `after` when nothing is new; *more says whether more are waiting.
Json::Value MessagesAfter(Db& db, int64_t room_id, int64_t after, int limit, int64_t* cursor,
                          bool* more);
// History: the `limit` live messages just before message id `before`,
// ascending by id.
Json::Value MessagesBefore(Db& db, int64_t room_id, int64_t before, int limit);
// Message `around` (live, of this room) with its neighbours: up to
// (limit-1)/2 live messages before it and the rest after it, ascending by
// id; *more_before / *more_after say whether more live messages lie beyond.
// Null when `around` is not a live message of the room.
Json::Value MessagesAround(Db& db, int64_t room_id, int64_t around, int limit, bool* more_before,
                           bool* more_after);
// Export: the `limit` live messages just after message id `after`,
// ascending by id (keyset paging: each page one indexed range read).
Json::Value MessagesFrom(Db& db, int64_t room_id, int64_t after, int limit);
// The latest `limit` live messages, ascending; *cursor is the room's newest
// change number (0 for a room that never had a message), so the next poll
// sends only what changes after this reading.
Json::Value LatestMessages(Db& db, int64_t room_id, int limit, int64_t* cursor);

// The stored message with this id in its current state (the deleted form
// once deleted), or null if there is none.
Json::Value MessageById(Db& db, int64_t id);

}  // namespace chat
