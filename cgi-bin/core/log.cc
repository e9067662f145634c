// See log.h. fprintf to an unbuffered stderr writes each line in one call,
// so lines from workers sharing the stream do not interleave.
#include "log.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>
#include <unistd.h>

#include <cstdio>

#include "clock.h"

namespace chat {
namespace {

bool Escaped(int32_t cp, bool field) {
  return cp == '\\' || u_charType(cp) == U_CONTROL_CHAR ||
         u_hasBinaryProperty(cp, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) || cp == 0x2028 ||
         cp == 0x2029 || (field && u_isUWhiteSpace(cp));
}

}  // namespace

std::string EscapeForLog(const std::string& s, bool field) {
  static const char kHex[] = "0123456789abcdef";
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const int32_t n = static_cast<int32_t>(s.size());
  std::string out;
  out.reserve(s.size());
  for (int32_t i = 0; i < n;) {
    int32_t start = i;
    UChar32 cp;
    U8_NEXT(p, i, n, cp);  // ICU's strict decoder: cp < 0 for an ill-formed sequence
    if (cp >= 0 && !Escaped(cp, field)) {
      out.append(s, start, i - start);
      continue;
    }
    for (int32_t k = start; k < i; ++k) {
      out += "\\x";
      out += kHex[p[k] >> 4];
      out += kHex[p[k] & 15];
    }
  }
  return out;
}

void LogRequest(const char* program, const std::string& method, const std::string& path, int status,
                double ms, int64_t user_id) {
  fprintf(stderr, "%s %s[%d] %s %s %d %.1fms user=%lld\n", FormatTime(NowMs()).c_str(), program,
          static_cast<int>(getpid()), EscapeForLog(method, true).c_str(),
          EscapeForLog(path, true).c_str(), status, ms, static_cast<long long>(user_id));
}

void LogLine(const char* program, const std::string& text) {
  fprintf(stderr, "%s %s[%d] %s\n", FormatTime(NowMs()).c_str(), program,
          static_cast<int>(getpid()), EscapeForLog(text).c_str());
}

}  // namespace chat
