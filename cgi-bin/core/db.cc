// See db.h.
#include "db.h"

#include <unistd.h>

#include "config.h"

namespace chat {
namespace {

[[noreturn]] void Fail(sqlite3* db, int rc, const char* what) {
  throw DbError(rc, std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)),
                db ? sqlite3_system_errno(db) : 0);
}

void Check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK) Fail(db, rc, what);
}

}  // namespace

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}

Query::~Query() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Query& Query::Bind(int i, int64_t v) {
  Check(db_, sqlite3_bind_int64(stmt_, i, v), "bind");
  return *this;
}

Query& Query::Bind(int i, double v) {
  Check(db_, sqlite3_bind_double(stmt_, i, v), "bind");
  return *this;
}

Query& Query::Bind(int i, const std::string& v) {
  Check(db_, sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT),
        "bind");
  return *this;
}

Query& Query::BindBlob(int i, const void* data, int size) {
  Check(db_, sqlite3_bind_blob(stmt_, i, data, size, SQLITE_TRANSIENT), "bind");
  return *this;
}

Query& Query::BindNull(int i) {
  Check(db_, sqlite3_bind_null(stmt_, i), "bind");
  return *this;
}

bool Query::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Fail(db_, rc, "step");
}

void Query::Run() {
  while (Step()) {
  }
}

std::string Query::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::unique_ptr<Db> Db::Open(const Config& config) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(config.db_path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    int sys = raw ? sqlite3_system_errno(raw) : 0;
    sqlite3_close(raw);
    throw DbError(rc, "open " + config.db_path + ": " + msg, sys);
  }
  std::unique_ptr<Db> db(new Db(raw));
  // SQLITE_OPEN_READWRITE falls back to read-only when the OS refuses write
  // access (https://sqlite.org/c3ref/open.html); sqlite3_db_readonly tells.
  if (sqlite3_db_readonly(raw, "main") == 1) {
    throw DbError(SQLITE_READONLY, "open " + config.db_path +
                                       ": the database can only be read by this process (uid " +
                                       std::to_string(geteuid()) +
                                       "); the file and its folder must be writable");
  }
  sqlite3_busy_timeout(raw, config.busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  try {
    db->Exec("PRAGMA journal_mode=WAL");
  } catch (const DbError& e) {
    // The file is writable but the -wal and -shm files beside it cannot be
    // made: the folder is not writable (https://sqlite.org/wal.html#readonly).
    int primary = e.code() & 0xff;
    if (primary != SQLITE_READONLY && primary != SQLITE_CANTOPEN) throw;
    throw DbError(e.code(),
                  "open " + config.db_path + ": " + e.what() +
                      "; its folder must be writable by this process (uid " +
                      std::to_string(geteuid()) + ") for the -wal and -shm files",
                  e.sys_errno());
  }
  db->Exec("PRAGMA foreign_keys=ON");
  // A deleted message's text must leave the file, not only the queries
  // (issue 12): SQLite then zeroes the bytes it frees instead of leaving
  // them in free space (https://sqlite.org/pragma.html#pragma_secure_delete).
  db->Exec("PRAGMA secure_delete=ON");
  db->Exec(config.synchronous == "NORMAL" ? "PRAGMA synchronous=NORMAL"
                                          : "PRAGMA synchronous=FULL");
  // When the WAL starts over, the file is cut back to what one checkpoint
  // interval writes (frames of a 4 KiB page plus their 24-byte headers).
  int64_t limit = static_cast<int64_t>(config.checkpoint_pages) * (4096 + 24);
  db->Exec(("PRAGMA journal_size_limit=" + std::to_string(limit)).c_str());
  db->checkpointer_ = std::make_unique<Checkpointer>(
      raw, config.db_path, CheckpointLockPath(config.db_path), config.checkpoint_pages);
  return db;
}

Db::~Db() {
  cache_.clear();  // statements must be finalized before the connection closes
  checkpointer_.reset();
  sqlite3_close(db_);
}

Query Db::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    Check(db_, sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr),
          "prepare");
    it = cache_.emplace(sql, Statement(stmt)).first;
  }
  return Query(db_, it->second.get());
}

void Db::Exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = std::string(sql) + ": " + (err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    throw DbError(rc, msg, sqlite3_system_errno(db_));
  }
}

namespace {
std::recursive_mutex& ProcessWriter() {
  static std::recursive_mutex writer;  // recursive: a write may nest another (a second Db)
  return writer;
}
}  // namespace

Transaction::Transaction(Db& db) : db_(db), writer_(ProcessWriter()) {
  db_.Prepare("BEGIN IMMEDIATE").Run();
}

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.raw(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::Commit() {
  db_.Prepare("COMMIT").Run();
  done_ = true;
  writer_.unlock();
}

ReadSnapshot::ReadSnapshot(Db& db) : db_(db) { db_.Prepare("BEGIN").Run(); }

ReadSnapshot::~ReadSnapshot() {
  // A read-only transaction: COMMIT just ends it (a prepared, cached one).
  try {
    if (!sqlite3_get_autocommit(db_.raw())) db_.Prepare("COMMIT").Run();
  } catch (const DbError&) {
    sqlite3_exec(db_.raw(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

}  // namespace chat
