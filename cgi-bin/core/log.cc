// See log.h. fprintf to an unbuffered stderr writes each line in one call,
// so lines from workers sharing the stream do not interleave.
#include "log.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>

#include "clock.h"

namespace chat {
namespace {

bool Escaped(int32_t cp, bool field) {
  return cp == '\\' || u_charType(cp) == U_CONTROL_CHAR ||
         u_hasBinaryProperty(cp, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) || cp == 0x2028 ||
         cp == 0x2029 || (field && u_isUWhiteSpace(cp));
}

void AppendDecimal(long long n, std::string* out) {
  if (n < 0) {
    out->push_back('-');
    n = -n;
  }
  char buf[24];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  out->append(p, buf + sizeof buf);
}

// One write for the whole line (a short write, rare on a pipe, is finished).
void WriteAll(const std::string& line) {
  fflush(stderr);  // anything a library left in stderr's buffer goes first
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::string EscapeForLog(const std::string& s, bool field) {
  static const char kHex[] = "0123456789abcdef";
  // Printable ASCII but the backslash (and, in a field, the space) is never
  // escaped: most paths and methods are only that, and need no ICU lookup.
  bool plain = true;
  for (char c : s) {
    if (c <= (field ? ' ' : '\x1f') || c == '\\' || c >= '\x7f') {
      plain = false;
      break;
    }
  }
  if (plain) return s;
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

// The line is put together in a string and written with one write(2), as
// fprintf to the unbuffered stderr did, without printf's parsing of a format
// per request.
void LogRequest(const char* program, const std::string& method, const std::string& path, int status,
                double ms, int64_t user_id) {
  std::string line = FormatTime(NowMs());
  line.reserve(line.size() + 96 + path.size());
  line += ' ';
  line += program;
  line += '[';
  AppendDecimal(getpid(), &line);
  line += "] ";
  line += EscapeForLog(method, true);
  line += ' ';
  line += EscapeForLog(path, true);
  line += ' ';
  AppendDecimal(status, &line);
  line += ' ';
  // Tenths of a millisecond, as "%.1f" wrote them (a tie may round the
  // other way: this is a duration measured to a microsecond or so).
  long long tenths = ms > 0 ? std::llround(ms * 10) : 0;
  AppendDecimal(tenths / 10, &line);
  line += '.';
  line += static_cast<char>('0' + tenths % 10);
  line += "ms user=";
  AppendDecimal(user_id, &line);
  line += '\n';
  WriteAll(line);
}

void LogLine(const char* program, const std::string& text) {
  fprintf(stderr, "%s %s[%d] %s\n", FormatTime(NowMs()).c_str(), program,
          static_cast<int>(getpid()), EscapeForLog(text).c_str());
}

}  // namespace chat
