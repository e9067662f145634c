// SQLite access for a long-lived worker: one connection per process, opened
// once with the pragmas every program needs, and a cache of prepared
// statements so the poll path never re-parses SQL. Values are only ever bound.
//
// Query is a borrowed view of a cached statement: it resets and clears the
// bindings when it goes out of scope, so a statement is always ready for the
// next request. Transaction takes the write lock up front (BEGIN IMMEDIATE) so
// a writer never fails half-way with SQLITE_BUSY, and rolls back in its
// destructor unless committed. SQLite failures that no client can cause
// (I/O errors, a lock held past busy_timeout) throw DbError; the accept loop
// turns them into a logged 5xx.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "checkpoint.h"

namespace chat {

struct Config;

class DbError : public std::runtime_error {
 public:
  DbError(int code, const std::string& what, int sys_errno = 0)
      : std::runtime_error(what), code_(code), sys_errno_(sys_errno) {}
  int code() const { return code_; }  // SQLite's extended result code
  // The OS error behind it (sqlite3_system_errno), e.g. ENOSPC behind an
  // SQLITE_IOERR; 0 when none is known.
  int sys_errno() const { return sys_errno_; }

 private:
  int code_;
  int sys_errno_;
};

// Owns one prepared statement; finalizes it. Move-only.
class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& o) noexcept : stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// One use of a cached statement: bind, step, read columns. Parameters and
// columns are numbered as in SQLite (parameters from 1, columns from 0).
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& Bind(int i, int64_t v);
  Query& Bind(int i, double v);
  Query& Bind(int i, const std::string& v);
  Query& BindBlob(int i, const void* data, int size);
  Query& BindNull(int i);

  // Advances to the next row: true for a row, false when done.
  bool Step();
  // Runs a statement that returns no rows.
  void Run();

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Real(int col) const { return sqlite3_column_double(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string Text(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Db {
 public:
  // Opens the database and sets WAL, foreign keys, busy timeout, synchronous,
  // and the one-at-a-time checkpointer (checkpoint.h) in place of SQLite's.
  // Throws DbError SQLITE_READONLY when the file can only be read: SQLite
  // would otherwise open it read-only without a word, and every write would
  // fail until the process ends, whatever became of the permission.
  static std::unique_ptr<Db> Open(const Config& config);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // A statement from the per-process cache, prepared on first use. `sql`
  // must be a string literal: its address is the cache key.
  Query Prepare(const char* sql);
  void Exec(const char* sql);
  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  sqlite3* raw() const { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, Statement> cache_;
  std::unique_ptr<Checkpointer> checkpointer_;  // removed before the connection closes
};

// BEGIN IMMEDIATE ... COMMIT, rolled back on scope exit unless committed.
//
// The threads of one worker (serve.cc's CHAT_WORKER_THREADS) take their
// turns at writing through one mutex per process, held from BEGIN to the
// end: they wake each other at once, where SQLite's busy handler would have
// them sleep and poll for the write lock (1, 2, 5, 10 ... 100 ms), which
// under a burst of posts left most of the time idle. Workers of other
// processes still meet at SQLite's lock, as before.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void Commit();

 private:
  Db& db_;
  std::unique_lock<std::recursive_mutex> writer_;
  bool done_ = false;
};

// One read snapshot for a whole GET request: BEGIN (deferred) now, COMMIT
// when it goes. Every query in between sees the same committed state, and
// SQLite takes its shared locks (fcntl calls on the database and -shm file)
// once per request instead of once per statement: the poll's profile showed
// those locks as the largest single cost after the socket calls.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(Db& db);
  ~ReadSnapshot();
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  Db& db_;
};

}  // namespace chat
