// The schema's version and how a database reaches it. sql/schema.sql makes a
// new database at the newest version; each sql/migrations/NNNN_name.sql takes
// a database from version NNNN-1 to NNNN. tools/embed-sql.sh compiles both
// into every program (build/gen/sql_embed.cc), so a binary knows exactly
// which version it speaks. The version lives in the file itself as
// PRAGMA user_version, set in the same transaction as the migration's
// changes: a crash leaves either the old schema or the new one, never half.
//
// Upgrade runs in every program at start (workers and chatctl), so the first
// process of a new release migrates and the others find nothing to do; each
// step takes the write lock (BEGIN IMMEDIATE) and re-reads the version, so
// concurrent starts apply a migration once. A database newer than the
// program is refused, never "downgraded": an old binary must not write to a
// schema it does not know.
//
// A migration file holds statements only (no BEGIN/COMMIT, no PRAGMA
// user_version) and runs with foreign_keys=OFF, so it can rebuild a table
// that others refer to (SQLite's documented procedure; no ON DELETE action
// fires meanwhile); it must keep every row (INSERT ... SELECT) and pass
// PRAGMA foreign_key_check, which Upgrade runs before it commits. Work SQL
// cannot do (SQLite has no ICU) is a C++ step that migrate.cc's kCodeSteps
// names after the file and runs right after it, in the same transaction.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "db.h"
#include "result.h"

namespace chat {

struct Migration {
  int version;       // the user_version it leads to
  const char* name;  // file name without .sql, e.g. "0002_users_disabled"
  const char* sql;   // the file's text
};

// From build/gen/sql_embed.cc.
extern const char* const kSchemaSql;
extern const Migration kMigrations[];
extern const size_t kMigrationCount;
extern const int kSchemaVersion;  // the newest version: what this program speaks

// PRAGMA user_version of the open database (0 for a new, empty file).
int SchemaVersion(Db& db);

// Creates the schema in an empty database, or applies every migration newer
// than the database's version, in order, one transaction each. `note` hears
// one line per step taken. Returns the version reached (kSchemaVersion), or
// an error: the database is newer than this program, is not a Chatroom
// database, or a step failed (its transaction rolled back; nothing changed).
Result<int> Upgrade(Db& db, const std::function<void(const std::string&)>& note);

}  // namespace chat
