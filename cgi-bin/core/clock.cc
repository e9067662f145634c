// See clock.h.
#include "clock.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace chat {
namespace {

// CHAT_TEST_CLOCK_OFFSET_MS, or 0 when unset or not a whole number.
int64_t TestOffsetMs() {
  const char* v = getenv("CHAT_TEST_CLOCK_OFFSET_MS");
  if (v == nullptr || *v == '\0') return 0;
  char* end = nullptr;
  long long n = strtoll(v, &end, 10);
  return *end == '\0' ? n : 0;
}

}  // namespace

int64_t NowMs() {
  using namespace std::chrono;
  static const int64_t offset = TestOffsetMs();
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() + offset;
}

std::string FormatTime(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  int millis = static_cast<int>(ms % 1000);
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

}  // namespace chat
