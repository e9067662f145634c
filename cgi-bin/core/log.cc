// See log.h. fprintf to an unbuffered stderr writes each line in one call,
// so lines from workers sharing the stream do not interleave.
#include "log.h"

#include <unistd.h>

#include <cstdio>

#include "clock.h"

namespace chat {

void LogRequest(const char* program, const std::string& method, const std::string& path, int status,
                double ms, int64_t user_id) {
  fprintf(stderr, "%s %s[%d] %s %s %d %.1fms user=%lld\n", FormatTime(NowMs()).c_str(), program,
          static_cast<int>(getpid()), method.c_str(), path.c_str(), status, ms,
          static_cast<long long>(user_id));
}

void LogLine(const char* program, const std::string& text) {
  fprintf(stderr, "%s %s[%d] %s\n", FormatTime(NowMs()).c_str(), program,
          static_cast<int>(getpid()), text.c_str());
}

}  // namespace chat
