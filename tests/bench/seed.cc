// bench_seed: the fast loader of `make bench`. Writes users, rooms, messages
// and sessions straight through the real schema (one transaction, prepared
// statements, no API), then prints what the load generator needs.
//
//   bench_seed DB USERS ROOMS BIG SMALL OUTDIR
//
// Room 1 gets BIG messages, every other room SMALL; user i is in room
// 1 + i % ROOMS. Each user gets a session signed with the stack's own key
// (LoadOrCreateKey on <DB>.secret, as the workers do). Writes OUTDIR/users.txt
// ("<room> <latest id in room> <cookie>" per user, in user order) and prints
// {"users","rooms","messages","seconds"} as JSON.
#include <sodium.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/session.h"

namespace {

void Check(sqlite3* db, int rc) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    fprintf(stderr, "bench_seed: %s\n", sqlite3_errmsg(db));
    exit(1);
  }
}

sqlite3_stmt* Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  Check(db, sqlite3_prepare_v2(db, sql, -1, &s, nullptr));
  return s;
}

void Step(sqlite3* db, sqlite3_stmt* s) {
  Check(db, sqlite3_step(s));
  sqlite3_reset(s);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7 || sodium_init() < 0) {
    fprintf(stderr, "usage: bench_seed DB USERS ROOMS BIG SMALL OUTDIR\n");
    return 2;
  }
  auto start = std::chrono::steady_clock::now();
  std::string path = argv[1], outdir = argv[6];
  long users = atol(argv[2]), rooms = atol(argv[3]), big = atol(argv[4]), small = atol(argv[5]);
  chat::Result<chat::SessionKey> key = chat::LoadOrCreateKey(path + ".secret");
  if (!key.ok()) return 1;
  sqlite3* db = nullptr;
  Check(db, sqlite3_open(path.c_str(), &db));
  sqlite3_busy_timeout(db, 10000);
  Check(db, sqlite3_exec(db, "PRAGMA synchronous=OFF; BEGIN IMMEDIATE", nullptr, nullptr, nullptr));
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  sqlite3_stmt* user =
      Prepare(db,
              "INSERT INTO users (id, username, username_key, password_hash, room_id, created_at) "
              "VALUES (?1, 'bench' || ?1, 'bench' || ?1, '$s1$seeded-no-login', ?2, ?3)");
  sqlite3_stmt* room = Prepare(db,
                               "INSERT INTO rooms (id, name, name_key, owner_id, created_at) "
                               "VALUES (?1, 'Room ' || ?1, 'room ' || ?1, 1, ?2)");
  sqlite3_stmt* msg = Prepare(
      db, "INSERT INTO messages (room_id, user_id, text, created_at) VALUES (?1, ?2, ?3, ?4)");
  sqlite3_stmt* session = Prepare(
      db,
      "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)");
  // Rooms first (users reference them), owned by user 1 (foreign keys are
  // not enforced on this connection, and user 1 exists by the commit).
  for (long r = 1; r <= rooms; ++r) {
    sqlite3_bind_int64(room, 1, r);
    sqlite3_bind_int64(room, 2, now);
    Step(db, room);
  }
  std::vector<std::string> cookies(users + 1);
  for (long u = 1; u <= users; ++u) {
    sqlite3_bind_int64(user, 1, u);
    sqlite3_bind_int64(user, 2, 1 + u % rooms);
    sqlite3_bind_int64(user, 3, now);
    Step(db, user);
    chat::Token token;
    randombytes_buf(token.data(), token.size());
    unsigned char hash[32];
    crypto_generichash(hash, sizeof hash, token.data(), token.size(), nullptr, 0);
    sqlite3_bind_blob(session, 1, hash, sizeof hash, SQLITE_TRANSIENT);
    sqlite3_bind_int64(session, 2, u);
    sqlite3_bind_int64(session, 3, now);
    sqlite3_bind_int64(session, 4, now + 7LL * 24 * 3600 * 1000);
    Step(db, session);
    cookies[u] = chat::SignToken(token, key.value());
  }
  // Messages in id order room by room; texts of chat-like length.
  long total = 0;
  std::vector<int64_t> latest(rooms + 1, 0);
  for (long r = 1; r <= rooms; ++r) {
    long count = r == 1 ? big : small;
    for (long i = 0; i < count; ++i) {
      // One message in 100,000 of the big room, and one in each small room,
      // has the rare word S10 searches for (tests/bench/run.mjs).
      std::string text = "seeded message " + std::to_string(i) + " in room " + std::to_string(r) +
                         ", about as long as a chat line is" +
                         (i % 100000 == 777 ? ", quokka" : "");
      sqlite3_bind_int64(msg, 1, r);
      sqlite3_bind_int64(msg, 2, 1 + (i * rooms + r) % users);
      sqlite3_bind_text(msg, 3, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
      sqlite3_bind_int64(msg, 4, now - (count - i) * 1000);
      Step(db, msg);
      latest[r] = sqlite3_last_insert_rowid(db);
      ++total;
    }
  }
  Check(db, sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr));
  for (sqlite3_stmt* s : {user, room, msg, session}) sqlite3_finalize(s);
  sqlite3_close(db);
  FILE* f = fopen((outdir + "/users.txt").c_str(), "w");
  if (!f) return 1;
  for (long u = 1; u <= users; ++u) {
    long r = 1 + u % rooms;
    fprintf(f, "%ld %lld %s\n", r, static_cast<long long>(latest[r]), cookies[u].c_str());
  }
  fclose(f);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  printf("{\"users\":%ld,\"rooms\":%ld,\"messages\":%ld,\"seconds\":%.1f}\n", users, rooms, total,
         secs);
  return 0;
}
