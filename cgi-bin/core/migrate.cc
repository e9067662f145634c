// See migrate.h.
#include "migrate.h"

#include <cstring>
#include <string>

#include "rooms.h"

namespace chat {
namespace {

using Note = std::function<void(const std::string&)>;

// Work a migration needs that SQL cannot do (SQLite cannot call ICU), run
// right after the migration's file in its transaction. Found by the name
// after the number, so a migration renumbered at a merge keeps its step.
struct CodeStep {
  const char* name;  // the file name after "NNNN_"
  void (*run)(Db& db, const Note& note);
};
const CodeStep kCodeSteps[] = {
    {"room_name_keys", RekeyRoomNames},
};

void RunCodeSteps(Db& db, const Migration& m, const Note& note) {
  const char* tail = strchr(m.name, '_');
  if (tail == nullptr) return;
  for (const CodeStep& step : kCodeSteps) {
    if (strcmp(tail + 1, step.name) == 0) step.run(db, note);
  }
}

ApiError Failed(const std::string& message) { return Err(500, "migration_failed", message); }

bool IsEmpty(Db& db) {
  auto q = db.Prepare("SELECT count(*) FROM sqlite_master");
  return q.Step() && q.Int(0) == 0;
}

// Runs schema.sql on an empty file. Two programs starting at once may both
// try; the loser's statements fail, and it is fine when the winner's result
// is there.
Status CreateSchema(Db& db) {
  try {
    db.Exec(kSchemaSql);
  } catch (const DbError& e) {
    if (SchemaVersion(db) == kSchemaVersion) return std::nullopt;
    return Failed(std::string("creating the schema: ") + e.what());
  }
  return std::nullopt;
}

// Foreign keys off for as long as it lives, on again after (the programs'
// setting). SQLite ignores PRAGMA foreign_keys inside a transaction, so this
// wraps the migration's transaction rather than sitting in it.
class ForeignKeysOff {
 public:
  explicit ForeignKeysOff(Db& db) : db_(db) { db_.Exec("PRAGMA foreign_keys = OFF"); }
  ~ForeignKeysOff() {
    try {
      db_.Exec("PRAGMA foreign_keys = ON");
    } catch (const DbError&) {
      // Only fails on a connection that is failing anyway; nothing to add.
    }
  }
  ForeignKeysOff(const ForeignKeysOff&) = delete;
  ForeignKeysOff& operator=(const ForeignKeysOff&) = delete;

 private:
  Db& db_;
};

// One migration in one write transaction, skipped when another process
// applied it while this one waited for the lock. Foreign keys are off while
// it runs, as https://sqlite.org/lang_altertable.html#otheralter requires for
// rebuilding a table (with them on, DROP TABLE deletes every row first and
// cascades into the tables that refer to it); foreign_key_check then proves
// nothing was left dangling before the commit.
Status Apply(Db& db, const Migration& m, const Note& note) {
  try {
    ForeignKeysOff off(db);
    Transaction tx(db);
    if (SchemaVersion(db) >= m.version) return std::nullopt;
    db.Exec(m.sql);
    RunCodeSteps(db, m, note);
    auto fk = db.Prepare("PRAGMA foreign_key_check");
    if (fk.Step())
      return Failed(std::string(m.name) + " leaves a foreign key broken in " + fk.Text(0));
    std::string set = "PRAGMA user_version = " + std::to_string(m.version);
    db.Exec(set.c_str());
    tx.Commit();
  } catch (const std::exception& e) {  // DbError, or ICU failing in a code step
    return Failed(std::string(m.name) + ": " + e.what());
  }
  return std::nullopt;
}

}  // namespace

int SchemaVersion(Db& db) {
  auto q = db.Prepare("PRAGMA user_version");
  return q.Step() ? static_cast<int>(q.Int(0)) : 0;
}

Result<int> Upgrade(Db& db, const std::function<void(const std::string&)>& note) {
  int version = SchemaVersion(db);
  if (version > kSchemaVersion) {
    return Err(500, "database_too_new",
               "The database is at schema version " + std::to_string(version) +
                   " but this program knows only up to " + std::to_string(kSchemaVersion) +
                   "; install the newer Chatroom release (or restore a backup).");
  }
  if (version == 0) {
    if (!IsEmpty(db)) {
      return Err(500, "not_a_chat_database",
                 "The database has tables but no schema version: not a Chatroom database.");
    }
    if (Status s = CreateSchema(db)) return *s;
    note("created the schema at version " + std::to_string(kSchemaVersion));
    return kSchemaVersion;
  }
  for (size_t i = 0; i < kMigrationCount; ++i) {
    const Migration& m = kMigrations[i];
    if (m.version <= version) continue;
    if (Status s = Apply(db, m, note)) return *s;
    note("applied migration " + std::string(m.name));
  }
  return SchemaVersion(db);
}

}  // namespace chat
