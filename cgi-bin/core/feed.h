// The change feed's one mechanism, shared by every way a message changes
// (edit, delete, reaction added or removed): take the next number of the
// database-wide sequence, stamp it on the message, and after the commit ring
// the room's doorbell exactly as a new message does. Polls (messages.h) then
// carry the change once, in order, to every reader.
//
// The sequence is SQLite's own AUTOINCREMENT counter for messages (the
// 'messages' row of sqlite_sequence, https://sqlite.org/autoinc.html), so a
// new message's id and a change's number come from one counter: an id is
// its creation number, and a cursor stays one integer. Everything here runs
// inside the caller's BEGIN IMMEDIATE transaction, so numbers are handed out
// in commit order, and a restore that keeps sqlite_sequence keeps them unique.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "db.h"
#include "result.h"

namespace chat {

struct Config;

// A live message as the rules about acting on it need it.
struct MessageRef {
  int64_t id = 0;
  int64_t room_id = 0;
  int64_t author_id = 0;
  int64_t room_owner_id = 0;
  bool room_open = false;  // rooms.kind 'open' (who may be mentioned: core/mentions.h)
};

// The rule for acting on a message (edit, delete, react), for every route
// that does (DESIGN.md "Who may see what": like posting, the caller must be
// in the message's room). 404 message_not_found for no such message, a
// deleted one, one of a deleted room, or one of a private room the user is
// not a member of (CheckRoomAccess); then CheckMembership's 404/410/409.
// Call inside the write transaction that acts on it.
Result<MessageRef> FindMessageToActOn(Db& db, int64_t user_id, int64_t message_id);

// An admin's delete (DELETE /api/messages/{id}): any live message of a live
// room, whether or not the admin may see the room or is in it (an admin
// moderates everywhere; core/audit.h records it). 404 message_not_found
// otherwise.
Result<MessageRef> FindMessageForAdmin(Db& db, int64_t message_id);

// True for an account an admin made an admin (`chatctl user admin NAME on`).
bool IsAdmin(Db& db, int64_t user_id);

// Takes the next number of the sequence and returns it. Inside a write
// transaction. Also for changes that are not a message's (a room's rename,
// rooms.changed_seq), so one cursor orders them all.
int64_t NextChangeNumber(Db& db);

// Stamps the next change number on message `id` and returns it. Inside a
// write transaction; the message must exist.
int64_t MarkChanged(Db& db, int64_t id);

// After the commit: rings room `room_id`'s doorbell for change or creation
// `number`, the same event a new message rings ({"type":"message","id":N}).
void RingChange(const Config& config, const char* program, int64_t room_id, int64_t number);

}  // namespace chat
