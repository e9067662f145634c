// See busy.h.
#include "busy.h"

#include <thread>

namespace chat {
namespace {

// SQLite calls this with `tries` 0 on the first call of each wait; 0 back
// gives up (the statement fails with SQLITE_BUSY: 503 busy, storage.h).
int WaitBriefly(void* arg, int tries) {
  auto* wait = static_cast<BusyWait*>(arg);
  auto now = std::chrono::steady_clock::now();
  if (tries == 0) wait->since = now;
  if (now - wait->since >= wait->timeout) return 0;
  std::this_thread::sleep_for(kBusyStep);
  return 1;
}

}  // namespace

void WaitBrieflyWhenBusy(sqlite3* db, BusyWait* wait) {
  sqlite3_busy_handler(db, &WaitBriefly, wait);
}

}  // namespace chat
