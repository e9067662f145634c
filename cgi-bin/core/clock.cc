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
  // Every log line and every message sent carries a time: the calendar
  // fields of the last second seen are kept (per thread), and the digits
  // written by hand, instead of gmtime_r and snprintf each time.
  thread_local time_t cached_secs = -1;
  thread_local struct tm tm {};
  if (secs != cached_secs) {
    gmtime_r(&secs, &tm);
    cached_secs = secs;
  }
  int year = tm.tm_year + 1900;
  if (year < 0 || year > 9999) {
    char buf[64];
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    return buf;
  }
  char buf[] = "0000-00-00T00:00:00.000Z";
  auto put = [&buf](int at, int value, int digits) {
    for (int i = at + digits - 1; i >= at; --i, value /= 10)
      buf[i] = static_cast<char>('0' + value % 10);
  };
  put(0, year, 4);
  put(5, tm.tm_mon + 1, 2);
  put(8, tm.tm_mday, 2);
  put(11, tm.tm_hour, 2);
  put(14, tm.tm_min, 2);
  put(17, tm.tm_sec, 2);
  put(20, millis, 3);
  return std::string(buf, sizeof buf - 1);
}

}  // namespace chat
