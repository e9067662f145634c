// chatctl commands about the database file as a whole: init, migrate,
// backup, restore, stats, check, secret rotate. Backups use SQLite's online
// backup API in one step, which copies one consistent snapshot while the
// workers keep writing (WAL readers never block writers); restore runs the
// same API the other way, so the file is replaced page by page inside
// SQLite's locking and never half-written.
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <map>

#include "chatctl/chatctl.h"
#include "core/clock.h"
#include "core/migrate.h"
#include "core/session.h"

namespace chat::ctl {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

int64_t SizeOf(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

// Copies everything of `from` into `to` (both open) in one step.
bool CopyDb(sqlite3* from, sqlite3* to, std::string* error) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (b == nullptr) {
    *error = sqlite3_errmsg(to);
    return false;
  }
  int rc;
  do {
    rc = sqlite3_backup_step(b, -1);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    *error = sqlite3_errstr(rc);
    return false;
  }
  return true;
}

// Opens a plain connection (no pragmas), for backup files.
sqlite3* OpenFile(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

// Makes an empty file for a copy of the database with the database's own
// permissions less any for others (0600 when the database is not there):
// a copy holds the password hashes and sessions, so it must be no easier to
// read than chat.db itself (OWASP ASVS 8.3.x, sensitive data at rest).
// SQLite then opens it as an empty database and gives its journal the same
// mode (SQLite's unix VFS, findCreateFileMode).
bool CreatePrivate(const std::string& path, const std::string& like) {
  struct stat st;
  mode_t mode = stat(like.c_str(), &st) == 0 ? (st.st_mode & 0660) | 0600 : 0600;
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return false;
  bool ok = fchmod(fd, mode) == 0;  // whatever the umask took away
  close(fd);
  return ok;
}

std::string Single(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(st, 0);
    out = t ? reinterpret_cast<const char*>(t) : "";
  }
  sqlite3_finalize(st);
  return out;
}

int64_t Count(Db& db, const char* sql) {
  auto q = db.Prepare(sql);
  return q.Step() ? q.Int(0) : 0;
}

// sqlite_sequence: the highest id each AUTOINCREMENT table (rooms, messages)
// ever handed out, kept even when the rows are gone (sqlite.org/autoinc.html).
std::map<std::string, int64_t> Sequences(sqlite3* db) {
  std::map<std::string, int64_t> out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT name, seq FROM sqlite_sequence", -1, &st, nullptr) ==
      SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* name = sqlite3_column_text(st, 0);
      if (name != nullptr) out[reinterpret_cast<const char*>(name)] = sqlite3_column_int64(st, 1);
    }
  }
  sqlite3_finalize(st);
  return out;
}

// Raises each sequence in `db` to at least `floor`'s value, so the next
// room or message id is above every one handed out before. Only tables
// that exist in `db` (an older backup may lack some).
bool RaiseSequences(sqlite3* db, const std::map<std::string, int64_t>& floor, std::string* error) {
  const char* sql =
      "INSERT INTO sqlite_sequence(name, seq) SELECT ?1, ?2 WHERE EXISTS "
      "(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1) AND NOT EXISTS "
      "(SELECT 1 FROM sqlite_sequence WHERE name = ?1)";
  const char* raise = "UPDATE sqlite_sequence SET seq = ?2 WHERE name = ?1 AND seq < ?2";
  for (const char* q : {sql, raise}) {
    for (const auto& [name, seq] : floor) {
      sqlite3_stmt* st = nullptr;
      int rc = sqlite3_prepare_v2(db, q, -1, &st, nullptr);
      if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, seq);
        rc = sqlite3_step(st);
      }
      sqlite3_finalize(st);
      if (rc != SQLITE_DONE) {
        *error = sqlite3_errmsg(db);
        return false;
      }
    }
  }
  return true;
}

}  // namespace

// The existing database, opened but not upgraded (migrate and check look at
// it as it is); nullptr after saying why.
std::unique_ptr<Db> OpenAsIs(const Config& config) {
  if (!Exists(config.db_path)) {
    Fail("no database at " + config.db_path + " (run `chatctl init`, or pass --db PATH)");
    return nullptr;
  }
  try {
    return Db::Open(config);
  } catch (const DbError& e) {
    Fail(e.what());
    return nullptr;
  }
}

std::unique_ptr<Db> OpenDb(const Config& config) {
  std::unique_ptr<Db> db = OpenAsIs(config);
  if (!db) return nullptr;
  Result<int> v = Upgrade(*db, [](const std::string& s) { printf("%s\n", s.c_str()); });
  if (!v.ok()) {
    Fail(v.error().message);
    return nullptr;
  }
  return db;
}

// chatctl init
int CmdInit(Args& a) {
  if (!a.rest.empty()) return Usage("chatctl init");
  const Config& c = a.config;
  bool existed = Exists(c.db_path);
  if (!existed) {
    sqlite3* raw = OpenFile(c.db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (raw == nullptr) return Fail("cannot create " + c.db_path);
    sqlite3_close(raw);
    chmod(c.db_path.c_str(), 0640);
  }
  std::unique_ptr<Db> db = OpenDb(c);
  if (!db) return 1;
  bool had_secret = Exists(c.secret_path);
  Result<SessionKey> key = LoadOrCreateKey(c.secret_path);
  if (!key.ok()) return Fail(key.error().message);
  printf("database %s: %s, schema version %d\n", c.db_path.c_str(),
         existed ? "already there" : "created", SchemaVersion(*db));
  printf("secret %s: %s\n", c.secret_path.c_str(), had_secret ? "already there" : "created");
  return 0;
}

// chatctl migrate
int CmdMigrate(Args& a) {
  if (!a.rest.empty()) return Usage("chatctl migrate");
  const Config& c = a.config;
  std::unique_ptr<Db> db = OpenAsIs(c);
  if (!db) return 1;
  int from = SchemaVersion(*db);
  if (from == kSchemaVersion) {
    printf("database %s is at schema version %d: nothing to do\n", c.db_path.c_str(), from);
    return 0;
  }
  if (from > 0 && from < kSchemaVersion) {
    std::string copy = c.db_path + ".before-v" + std::to_string(kSchemaVersion);
    if (Exists(copy)) return Fail(copy + " exists; move it away first");
    if (!CreatePrivate(copy, c.db_path)) return Fail("cannot create " + copy);
    sqlite3* out = OpenFile(copy, SQLITE_OPEN_READWRITE);
    std::string error;
    bool ok = out != nullptr && CopyDb(db->raw(), out, &error);
    sqlite3_close(out);
    if (!ok) return Fail("backup before migrating to " + copy + " failed: " + error);
    printf("copied the database to %s\n", copy.c_str());
  }
  Result<int> v = Upgrade(*db, [](const std::string& s) { printf("%s\n", s.c_str()); });
  if (!v.ok()) return Fail(v.error().message);
  printf("database %s is at schema version %d (was %d)\n", c.db_path.c_str(), v.value(), from);
  return 0;
}

// chatctl backup FILE
int CmdBackup(Args& a, Db& db) {
  if (a.rest.size() != 1) return Usage("chatctl backup FILE");
  const std::string& file = a.rest[0];
  if (Exists(file)) return Fail(file + " exists; choose a new name");
  std::string tmp = file + ".partial";
  unlink(tmp.c_str());
  if (!CreatePrivate(tmp, a.config.db_path)) return Fail("cannot create " + tmp);
  sqlite3* out = OpenFile(tmp, SQLITE_OPEN_READWRITE);
  if (out == nullptr) return Fail("cannot open " + tmp);
  std::string error;
  bool ok = CopyDb(db.raw(), out, &error);
  std::string check = ok ? Single(out, "PRAGMA integrity_check") : "";
  // The copy is a plain rollback-journal file: one self-contained file to keep.
  if (ok) Single(out, "PRAGMA journal_mode=DELETE");
  sqlite3_close(out);
  if (!ok || check != "ok") {
    unlink(tmp.c_str());
    return Fail("backup failed: " + (ok ? "integrity check says " + check : error));
  }
  // The files the copy names, into FILE.files/ (chatctl/files.cc).
  sqlite3* copy = OpenFile(tmp, SQLITE_OPEN_READONLY);
  int copied = 0;
  bool files_ok = copy != nullptr && BackupFiles(a.config, copy, file, &copied, &error);
  sqlite3_close(copy);
  if (!files_ok) {
    unlink(tmp.c_str());
    return Fail("backup of the files failed: " + error);
  }
  if (rename(tmp.c_str(), file.c_str()) != 0) return Fail("cannot rename " + tmp + " to " + file);
  printf("backed up %s to %s (%lld bytes, integrity ok) and %d file(s) to %s\n",
         a.config.db_path.c_str(), file.c_str(), static_cast<long long>(SizeOf(file)), copied,
         BackupFilesDir(file).c_str());
  return 0;
}

// chatctl restore FILE
int CmdRestore(Args& a) {
  if (a.rest.size() != 1) return Usage("chatctl restore FILE");
  const std::string& file = a.rest[0];
  sqlite3* in = Exists(file) ? OpenFile(file, SQLITE_OPEN_READONLY) : nullptr;
  if (in == nullptr) return Fail("cannot open " + file);
  std::string check = Single(in, "PRAGMA integrity_check");
  int version = atoi(Single(in, "PRAGMA user_version").c_str());
  if (check != "ok") {
    sqlite3_close(in);
    return Fail(file + " is not a sound database (integrity check: " + check + ")");
  }
  if (version < 1 || version > kSchemaVersion) {
    sqlite3_close(in);
    return Fail(file + " has schema version " + std::to_string(version) +
                "; this tool knows 1 to " + std::to_string(kSchemaVersion));
  }
  if (!Exists(a.config.db_path)) {
    sqlite3* raw = OpenFile(a.config.db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3_close(raw);
    chmod(a.config.db_path.c_str(), 0640);  // as chatctl init makes it
  }
  std::unique_ptr<Db> db;
  try {
    db = Db::Open(a.config);
  } catch (const DbError& e) {
    sqlite3_close(in);
    return Fail(e.what());
  }
  // Ids handed out since the backup (to open pages: message ids are their
  // poll cursors; room ids are their links) must not be handed out again,
  // or a page polling after=N silently misses the new messages numbered
  // below N. So the backup is copied into memory, its sequences are raised
  // to the live database's, and that goes into the live file in one step.
  // The backup's files first: once the rows are back, every file they name is there.
  int copied = 0;
  std::string files_error;
  if (!RestoreFiles(a.config, in, file, &copied, &files_error)) {
    sqlite3_close(in);
    return Fail("restore of the files failed: " + files_error);
  }
  std::map<std::string, int64_t> issued = Sequences(db->raw());
  sqlite3* staged = OpenFile(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  std::string error;
  bool ok = staged != nullptr && CopyDb(in, staged, &error) &&
            RaiseSequences(staged, issued, &error) && CopyDb(staged, db->raw(), &error);
  sqlite3_close(in);
  sqlite3_close(staged);
  if (!ok) return Fail("restore failed: " + error);
  Result<int> v = Upgrade(*db, [](const std::string& s) { printf("%s\n", s.c_str()); });
  if (!v.ok()) return Fail(v.error().message);
  int orphans = RemoveOrphanBlobs(a.config, *db);
  printf(
      "restored %s from %s (schema version %d); %d file(s) copied back, %d not in the backup "
      "removed\n",
      a.config.db_path.c_str(), file.c_str(), v.value(), copied, orphans);
  std::map<std::string, int64_t> next = Sequences(db->raw());
  for (const auto& [name, seq] : next) {
    printf("next %s id: %lld (above every one issued before)\n", name.c_str(),
           static_cast<long long>(seq + 1));
  }
  return 0;
}

// chatctl stats
int CmdStats(Args& a, Db& db) {
  if (!a.rest.empty()) return Usage("chatctl stats");
  int64_t now = NowMs();
  printf("users         %lld (%lld disabled)\n",
         static_cast<long long>(Count(db, "SELECT count(*) FROM users")),
         static_cast<long long>(
             Count(db, "SELECT count(*) FROM users WHERE disabled_at IS NOT NULL")));
  printf(
      "rooms         %lld (%lld deleted)\n",
      static_cast<long long>(Count(db, "SELECT count(*) FROM rooms WHERE deleted_at IS NULL")),
      static_cast<long long>(Count(db, "SELECT count(*) FROM rooms WHERE deleted_at IS NOT NULL")));
  printf("messages      %lld\n",
         static_cast<long long>(Count(db, "SELECT count(*) FROM messages")));
  auto live = db.Prepare("SELECT count(*) FROM sessions WHERE expires_at > ?1");
  live.Bind(1, now).Step();
  printf("sessions      %lld live\n", static_cast<long long>(live.Int(0)));
  printf("schema        version %d\n", SchemaVersion(db));
  printf("database      %s %lld bytes\n", a.config.db_path.c_str(),
         static_cast<long long>(SizeOf(a.config.db_path)));
  printf("wal           %lld bytes\n", static_cast<long long>(SizeOf(a.config.db_path + "-wal")));
  return 0;
}

// chatctl search-reindex: FTS5's 'rebuild' reads every message again, as
// migration 0014 built the index (https://sqlite.org/fts5.html#the_rebuild_command).
int CmdSearchReindex(Args& a, Db& db) {
  if (!a.rest.empty()) return Usage("chatctl search-reindex");
  db.Exec("INSERT INTO messages_fts(messages_fts) VALUES('rebuild')");
  printf("search index rebuilt\n");
  return 0;
}

// chatctl check
int CmdCheck(Args& a) {
  if (!a.rest.empty()) return Usage("chatctl check");
  const Config& c = a.config;
  int problems = 0;
  auto report = [&problems](bool ok, const std::string& what) {
    printf("%s %s\n", ok ? "ok     " : "PROBLEM", what.c_str());
    if (!ok) ++problems;
  };
  std::unique_ptr<Db> db = OpenAsIs(c);
  if (!db) return 1;
  int version = SchemaVersion(*db);
  report(version == kSchemaVersion, "schema version " + std::to_string(version) +
                                        " (this release: " + std::to_string(kSchemaVersion) + ")");
  std::string integrity = Single(db->raw(), "PRAGMA integrity_check");
  report(integrity == "ok", "integrity check: " + integrity);
  // The search index against itself and, with rank 1, against the messages
  // (https://sqlite.org/fts5.html#the_integrity_check_command); a broken one
  // is rebuilt by `chatctl search-reindex`.
  std::string fts = sqlite3_exec(db->raw(),
                                 "INSERT INTO messages_fts(messages_fts, rank) "
                                 "VALUES('integrity-check', 1)",
                                 nullptr, nullptr, nullptr) == SQLITE_OK
                        ? ""
                        : sqlite3_errmsg(db->raw());
  report(fts.empty(), fts.empty()
                          ? "search index"
                          : "search index: " + fts + " (chatctl search-reindex rebuilds it)");
  std::string fk = Single(db->raw(), "PRAGMA foreign_key_check");
  report(fk.empty(), fk.empty() ? "foreign keys" : "foreign key broken in table " + fk);
  std::string mode = Single(db->raw(), "PRAGMA journal_mode");
  report(mode == "wal", "journal mode " + mode);
  struct stat st;
  bool secret = stat(c.secret_path.c_str(), &st) == 0;
  report(secret && st.st_size == static_cast<off_t>(kKeyBytes),
         "secret " + c.secret_path +
             (secret ? " " + std::to_string(st.st_size) + " bytes" : " missing"));
  if (secret) {
    report((st.st_mode & 077) == 0, "secret readable by its owner only");
  }
  report(access(c.db_path.c_str(), W_OK) == 0, "database writable by this user");
  if (version >= 16) CheckFiles(c, *db, report);  // 0016_files made the table
  if (problems > 0) return Fail(std::to_string(problems) + " problem(s) found");
  printf("all checks passed\n");
  return 0;
}

// chatctl secret rotate
int CmdSecretRotate(Args& a, Db& db) {
  if (!a.rest.empty()) return Usage("chatctl secret rotate");
  if (!ReplaceKey(a.config.secret_path)) return Fail("cannot write " + a.config.secret_path);
  Transaction tx(db);
  db.Prepare("DELETE FROM sessions").Run();
  int ended = db.Changes();
  tx.Commit();
  printf("new secret in %s; %d session(s) ended. Running workers use it from their next request.\n",
         a.config.secret_path.c_str(), ended);
  return 0;
}

}  // namespace chat::ctl
