// See memory.h. Why these two and not others (numbers in README
// "Performance", S6, from `run.mjs --s6` after QUICK's load up to S5):
//
// - After a burst of requests most of a worker's heap above what SQLite
//   holds (its page cache, schema and statements) is free chunks that glibc
//   keeps: its heap shrinks only from the top (M_TRIM_THRESHOLD), and the
//   middle stays resident. malloc_trim(0) also releases the whole free pages
//   inside the heap (glibc >= 2.8, madvise(MADV_DONTNEED)). It walks every
//   free chunk under the arena lock (about 1 ms for 20,000 chunks here), so
//   it runs at most once a second, on a thread of its own rather than after
//   a reply: a worker that has gone quiet is trimmed too.
// - With one arena per thread each keeps its own high-water mark; one arena
//   shared by a worker's 3 threads cost no measurable CPU per poll or post
//   (tests/bench/ab.mjs, interleaved), the threads' small blocks coming
//   from their own tcache without the lock.
// Tried and not kept: fixed M_MMAP_THRESHOLD/M_TRIM_THRESHOLD (no change),
// SQLITE_CONFIG_PAGECACHE (the pool is resident in full from the start,
// even in workers that barely read), fewer threads for auth, rooms and
// search (within the noise). Debian's SQLite is built with OMIT_LOOKASIDE,
// so a connection has no lookaside to shrink.
#include "memory.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace chat {
namespace {

std::atomic<bool> answered{false};

}  // namespace

void ConfigureMalloc(int threads) {
  if (threads > 1) mallopt(M_ARENA_MAX, 1);
}

void StartHeapTrimmer() {
  // The thread inherits the creator's signal mask: all blocked while it is
  // made, so no signal meant for the accept loop lands on it.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  std::thread([] {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      if (answered.exchange(false, std::memory_order_relaxed)) malloc_trim(0);
    }
  }).detach();
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void NoteRequestDone() { answered.store(true, std::memory_order_relaxed); }

}  // namespace chat
