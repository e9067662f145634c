// Messages as the programs share them: the JSON shape and the three reads,
// all by cursor over the (room_id, id) index, never OFFSET. Ids are
// assigned inside SQLite's single write transaction, so id order is commit
// order and a reader never sees a gap fill in later.
#pragma once

#include <json/json.h>

#include <cstdint>

#include "db.h"

namespace chat {

constexpr int kJoinHistory = 50;
constexpr int kMaxPollBatch = 200;
constexpr int kMaxPageSize = 100;

// Messages with id > after, ascending, at most `limit`; *cursor becomes the
// last id returned, or stays `after` when nothing is new.
Json::Value MessagesAfter(Db& db, int64_t room_id, int64_t after, int limit, int64_t* cursor);
// The `limit` messages just before `before`, ascending.
Json::Value MessagesBefore(Db& db, int64_t room_id, int64_t before, int limit);
// The latest `limit` messages, ascending; *cursor is the newest id or 0.
Json::Value LatestMessages(Db& db, int64_t room_id, int limit, int64_t* cursor);

// The stored message with this id, as JSON (null if none).
Json::Value MessageById(Db& db, int64_t id);

}  // namespace chat
