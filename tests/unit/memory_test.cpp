// The heap trimmer (core/memory.h): freed memory inside the heap, which
// glibc keeps resident (only the top of a heap shrinks by itself), goes back
// to the kernel within a couple of seconds after a request, and not while
// no request was answered.
#include "core/memory.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace chat {
namespace {

// Resident bytes of this process (/proc/self/statm, second field, pages).
long ResidentBytes() {
  long size = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
  std::fclose(f);
  return resident * sysconf(_SC_PAGESIZE);
}

TEST(HeapTrimmer, GivesFreedPagesBackOnlyAfterARequest) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // The sanitizers bring their own allocator (freed blocks wait in a
  // quarantine): glibc's heap, and malloc_trim's effect, are not seen.
  GTEST_SKIP() << "a sanitizer's allocator, not glibc's";
#endif
  StartHeapTrimmer();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // a first turn, idle
  // 16 MB in 1,000-byte blocks (below the mmap threshold: on the heap),
  // every byte touched; then the middle 12 MB freed, in one run of
  // neighbours that glibc joins into one free chunk. The blocks after it
  // stay, so the heap's top cannot shrink.
  std::vector<char*> blocks(16000);
  for (char*& b : blocks) {
    b = static_cast<char*>(std::malloc(1000));
    for (int i = 0; i < 1000; i += 64) b[i] = 1;
  }
  long full = ResidentBytes();
  for (size_t i = 2000; i < 14000; ++i) std::free(blocks[i]);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  long idle = ResidentBytes();
  EXPECT_GT(idle, full - 4'000'000) << "nothing answered, nothing trimmed";
  NoteRequestDone();
  long after = idle;
  for (int i = 0; i < 30 && after > full - 8'000'000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    after = ResidentBytes();
  }
  EXPECT_LT(after, full - 8'000'000)
      << "resident " << full << " with the blocks, " << after << " three seconds after a request";
  for (size_t i = 0; i < 2000; ++i) std::free(blocks[i]);
  for (size_t i = 14000; i < blocks.size(); ++i) std::free(blocks[i]);
}

}  // namespace
}  // namespace chat
