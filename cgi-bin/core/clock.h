// Wall-clock time as stored (integer milliseconds since the Unix epoch) and
// as shown in the API (RFC 3339 UTC with milliseconds, "2026-11-26T04:14:51.123Z").
//
// The wall clock is not monotonic: NTP or an admin can step it back. Code that
// measures time between two stored instants (the rate-limit buckets,
// throttle.h) must treat a negative interval as none. For tests only,
// CHAT_TEST_CLOCK_OFFSET_MS (an integer, may be negative; read once per
// process) shifts NowMs() so a test can start workers whose clock stands an
// hour behind the one that wrote the database, as after such a step.
#pragma once

#include <cstdint>
#include <string>

namespace chat {

int64_t NowMs();
std::string FormatTime(int64_t ms);

}  // namespace chat
