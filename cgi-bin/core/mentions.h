// Mentions (issue 14): `@username` in a message's text names someone, and
// when that someone is allowed in the message's room the message mentions
// them. Decided once, when the message is posted or edited, and stored in
// the mentions table, so a read (the message's "mentions", GET
// /api/mentions, unread counts) never parses text again, and a name typed
// by someone who is not allowed in a private room is never stored: it
// notifies nobody and tells nobody that such a person exists.
//
// "Allowed" is CheckRoomAccess's rule (core/rooms.h) plus the bans of an
// open room: anyone with a live account in an open room unless banned from
// it; the members (room_members) of a private or direct room. The author is
// never mentioned by their own message.
#pragma once

#include <json/json.h>

#include <cstdint>
#include <string>
#include <vector>

#include "db.h"

namespace chat {

// At most this many different names are looked up per message: a text of
// 4000 characters could name ~800, and each costs a lookup and a row.
constexpr size_t kMaxMentionsPerMessage = 100;

// The `@name` tokens of a text, lower-cased, each once, in order of first
// appearance, at most kMaxMentionsPerMessage. A token starts after an '@'
// that begins the text or follows a character that cannot be part of a
// username (so "bob@example.com" names nobody) and runs over username
// characters (A-Z a-z 0-9 _ . -). When the run ends in '.' or '-' (the end
// of a sentence: "thanks @bob."), the run without them comes first and the
// whole run second; the caller takes the first that is a person.
std::vector<std::vector<std::string>> MentionCandidates(const std::string& text);

// Inside the write transaction of a post or an edit of message `message_id`
// in room `room_id` (`open`: kind "open") by `author_id`: replaces the
// message's stored mentions by those its text makes now. Returns the users
// mentioned now who were not before (whose attention the caller bumps).
std::vector<int64_t> StoreMentions(Db& db, int64_t message_id, int64_t room_id, bool open,
                                   int64_t author_id, const std::string& text);

// Inside a write transaction: a deleted message mentions nobody any more.
void ForgetMentions(Db& db, int64_t message_id);

// A message's "mentions": [user...], by user id.
Json::Value MentionsJson(Db& db, int64_t message_id);

}  // namespace chat
