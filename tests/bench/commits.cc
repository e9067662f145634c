// bench_commits: how many durable SQLite commits a second the disk allows.
// S4 (posts/s) runs with synchronous=FULL, so every 201 waits for an fsync
// of the WAL while holding SQLite's single write lock: posts cannot go
// faster than this, whatever the programs do. Measured on a scratch file
// beside the bench database (same file system), one row per transaction.
//
//   bench_commits PATH SECONDS SYNCHRONOUS   (FULL or NORMAL)
//
// Prints {"synchronous","commits_per_s"} as JSON.
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: bench_commits PATH SECONDS FULL|NORMAL\n");
    return 2;
  }
  std::string sync = argv[3] == std::string("NORMAL") ? "NORMAL" : "FULL";
  sqlite3* db = nullptr;
  if (sqlite3_open(argv[1], &db) != SQLITE_OK) return 1;
  std::string setup = "PRAGMA journal_mode=WAL; PRAGMA synchronous=" + sync +
                      "; CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)";
  if (sqlite3_exec(db, setup.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return 1;
  sqlite3_stmt *begin, *insert, *commit;
  sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO t (v) VALUES ('a chat message of ordinary length')", -1,
                     &insert, nullptr);
  sqlite3_prepare_v2(db, "COMMIT", -1, &commit, nullptr);
  auto start = std::chrono::steady_clock::now();
  double limit = atof(argv[2]), elapsed = 0;
  long n = 0;
  while (elapsed < limit) {
    for (sqlite3_stmt* s : {begin, insert, commit}) {
      if (sqlite3_step(s) != SQLITE_DONE) return 1;
      sqlite3_reset(s);
    }
    ++n;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  for (sqlite3_stmt* s : {begin, insert, commit}) sqlite3_finalize(s);
  sqlite3_close(db);
  printf("{\"synchronous\":\"%s\",\"commits_per_s\":%.0f}\n", sync.c_str(), n / elapsed);
  return 0;
}
