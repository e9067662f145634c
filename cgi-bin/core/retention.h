// Retention (issue 13): a room's owner may keep its messages N days
// (rooms.retention_days, 1-3650) instead of forever. Older messages are
// deleted for real, rows and all (not the tombstones a person's delete
// leaves), in small batches: by every worker between requests
// (MaybePruneBetweenRequests, at most CHAT_PRUNE_BATCH rows a transaction
// every CHAT_PRUNE_INTERVAL_SECONDS, so a post never waits long behind the
// write lock) and by `chatctl prune` from a timer.
//
// What points at a message stays right when it goes: its reactions are
// deleted with it; a reply to it reads the original as {"id","deleted":true}
// (core/messages.cc joins it with LEFT JOIN); history pages and polls are
// keyset ranges (id < N, seq > N), so a cursor or a page edge naming a
// message that is gone still works; and the change feed's sequence
// (sqlite_sequence) never goes back, since AUTOINCREMENT never reuses a
// number (https://sqlite.org/autoinc.html). A page that shows a pruned
// message keeps it until it reloads: pruning tells no one.
#pragma once

#include <cstdint>
#include <vector>

#include "config.h"
#include "db.h"

namespace chat {

constexpr int64_t kMinRetentionDays = 1;
constexpr int64_t kMaxRetentionDays = 3650;
constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// THE place messages are deleted for good. Deletes at most `limit` messages
// of room `room_id` created before `cutoff_ms` (ms since epoch), oldest
// first, with everything that hangs on them (reactions, mentions), and returns how
// many went. Inside the caller's write transaction. It first collects the
// ids it deletes; whatever else keeps rows per message (a search index,
// attached files) must delete them here, for those ids, so that no path
// that deletes messages for good forgets them. (PRAGMA secure_delete, set
// by core/db, zeroes the freed bytes, so the text leaves chat.db too.)
int DeleteMessagesOlderThan(Db& db, int64_t room_id, int64_t cutoff_ms, int limit);

// One room's pruning in one batch.
struct Pruned {
  int64_t room_id = 0;
  int count = 0;
};

// One batch: for the live rooms with a retention (by id), deletes what is
// older than now - retention_days, at most `limit` rows in all, in one
// BEGIN IMMEDIATE transaction; the write lock is taken only when a read
// found something to delete. Returns what went, per room (rooms with
// nothing to delete left out).
std::vector<Pruned> PruneBatch(Db& db, int64_t now_ms, int limit);

// Called by the worker loop (core/serve.cc) after each request is answered:
// runs one PruneBatch when CHAT_PRUNE_INTERVAL_SECONDS passed since the
// last look by any process of this database (<db>-prune.lock's mtime; at
// once again while batches come out full), one process at a time (flock on
// that file); never throws (a failed batch is logged and tried later).
void MaybePruneBetweenRequests(const char* program, const Config& config, Db& db);

}  // namespace chat
