// Wall-clock time as stored (integer milliseconds since the Unix epoch) and
// as shown in the API (RFC 3339 UTC with milliseconds, "2026-11-26T04:14:51.123Z").
#pragma once

#include <cstdint>
#include <string>

namespace chat {

int64_t NowMs();
std::string FormatTime(int64_t ms);

}  // namespace chat
