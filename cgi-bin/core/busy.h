// How a connection waits for another process's write lock: it tries again
// every kBusyStep until its timeout has passed since the first try.
//
// SQLite's own handler (sqlite3_busy_timeout) sleeps 1, 2, 5, 10 ... and
// then 100 ms between tries (sqlite3.c sqliteDefaultBusyCallback) and is not
// fair: under a stream of posts the other worker's threads hand the write
// lock to each other within microseconds of each commit, and a waiter that
// wakes every 100 ms found it taken, again and again, for seconds; the
// threads of its own process meanwhile wait behind it at Transaction's
// mutex (db.h). Trying again every kBusyStep finds one of the short gaps
// between the other process's transactions (README "Posts beside
// uploads"). A waiting thread costs a wake-up per step, only while it waits.
// Under a stream of posts from two workers, a 1 ms step cost about 10 us of
// worker CPU per post (slowest post about 100 ms); 250 us cost about 35 us
// (slowest post about 80 ms).
#pragma once

#include <sqlite3.h>

#include <chrono>

namespace chat {

constexpr std::chrono::microseconds kBusyStep{1000};

// The state of one connection's waits; must outlive the connection's use.
struct BusyWait {
  std::chrono::milliseconds timeout{0};
  std::chrono::steady_clock::time_point since;  // the first try of this wait
};

// Installs the handler on `db` (https://sqlite.org/c3ref/busy_handler.html):
// a statement that finds the lock taken tries again every kBusyStep and
// fails with SQLITE_BUSY once wait->timeout has passed.
void WaitBrieflyWhenBusy(sqlite3* db, BusyWait* wait);

}  // namespace chat
