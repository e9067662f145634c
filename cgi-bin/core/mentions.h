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
//
// Two copies, two orders. The post's own transaction writes `mentions`,
// clustered by message: the 50 people one post names cost it one or two
// pages. Shortly after, the fan-out (FanOutMentions, run by the post
// program's MentionFanOut thread, core/fanout.h) copies them into
// `mention_inbox`, clustered by person, many posts in one transaction: every
// person's entries sit on a page of their own, so a post that wrote them
// itself cost ~50 pages and ~200 KB of WAL (README "Read marks, mentions and
// attention", S11). Readers never wait for the copy: ForEachMention merges
// the copied mentions with those not copied yet (message id after
// mention_fanout.done). Only the attention version (the poll's one read,
// core/attention.h) and the person's stream ring see a new mention once it
// is copied, ~50 ms after the post.
#pragma once

#include <json/json.h>

#include <cstdint>
#include <functional>
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
// (Its inbox entries go with the rows: trigger mention_gone, sql/schema.sql.)
void ForgetMentions(Db& db, int64_t message_id);

// Every mention of a message up to this id is in mention_inbox: one read
// of mention_fanout's single row.
int64_t FanOutDone(Db& db);

// In its own write transactions (call it outside any): copies every mention
// of a message after mention_fanout.done into mention_inbox and moves done
// past them, at most kFanOutRows rows (whole messages) per transaction.
// Returns the people it copied a mention of, each once, for the caller to
// ring (core/attention.h RingPeople). Several processes may run it at once:
// the write lock makes one of them find nothing left. Throws, writing
// nothing, when the database's schema version is not this program's
// (core/migrate.h: an old binary must not write to a schema it does not know).
constexpr int64_t kFanOutRows = 20000;
// Whether any mention waits for FanOutMentions: one read of
// mention_fanout and one of mentions' key.
bool MentionsToCopy(Db& db);
std::vector<int64_t> FanOutMentions(Db& db);

// Calls `each(message_id, room_id)` for the mentions of `user_id` with a
// message id below `before`, newest first, until it returns false: the
// copied ones (mention_inbox's key, walked backwards) merged with those not
// copied yet (the range of mentions' key after mention_fanout.done). No
// access rule is applied: callers ask MayReadRoom or the read marks.
void ForEachMention(Db& db, int64_t user_id, int64_t before,
                    const std::function<bool(int64_t message_id, int64_t room_id)>& each);

// The newest copied mention of `user_id`, 0 for none: the last entry of
// their mention_inbox range, one read of its key.
int64_t NewestCopiedMention(Db& db, int64_t user_id);

// A message's "mentions": [user...], by user id.
Json::Value MentionsJson(Db& db, int64_t message_id);

}  // namespace chat
