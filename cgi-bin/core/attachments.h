// Attachments as every program shows them, and the one rule of which
// uploads a post may carry (DESIGN.md "Version 2": "attachments": [id...]).
//
// An upload (files.cpp) is a files row with message_id NULL; posting names
// it, and the row then belongs to the message: deleted with it, shown with
// it, readable by whoever may read the room (files.cpp's GET routes).
#pragma once

#include <json/json.h>

#include <cstdint>
#include <vector>

#include "db.h"
#include "result.h"

namespace chat {

constexpr int kMaxAttachments = 10;  // DESIGN.md: a message carries at most 10

// {"id","name","type","size","width"?,"height"?,"url","thumb_url"?} of one
// files row, or null when there is none.
Json::Value AttachmentById(Db& db, int64_t id);
// A message's attachments in the order they were posted ([] when none).
Json::Value MessageAttachments(Db& db, int64_t message_id);

// The "attachments" of a post body: absent or null is none; otherwise an
// array of at most 10 distinct positive integers, else 400 invalid_attachment.
Result<std::vector<int64_t>> ParseAttachmentIds(const Json::Value& body);
// Gives `ids` to message `message_id`, in order, inside the post's write
// transaction. Each must be the poster's own upload to this room, not yet
// posted, uploaded less than `unposted_ms` ago; else 400 invalid_attachment
// and nothing was changed by the caller's rollback.
Status AttachFiles(Db& db, const std::vector<int64_t>& ids, int64_t user_id, int64_t room_id,
                   int64_t message_id, int64_t now, int64_t unposted_ms);

ApiError InvalidAttachment();

}  // namespace chat
