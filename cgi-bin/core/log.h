// One line per request to stderr (program, method, path, status, ms, user),
// which nginx, spawn-fcgi or journald keep. Also startup and error lines.
// Every text written is passed through EscapeForLog first, so no client can
// start a line of its own or send the terminal reading the log a command.
#pragma once

#include <cstdint>
#include <string>

namespace chat {

void LogRequest(const char* program, const std::string& method, const std::string& path, int status,
                double ms, int64_t user_id);
void LogLine(const char* program, const std::string& text);

// `s` with every byte that could forge or hide log content written as \xHH:
// controls (Cc: line feed, carriage return, escape ..., DEL, and the C1
// controls whose 8-bit forms some terminals obey), the line and paragraph
// separators, default-ignorable characters (zero-width characters, and the
// bidi overrides and isolates that reorder what a reader sees,
// CVE-2021-42574), bytes that are not UTF-8, and the backslash itself, so an
// escape in the log always means an escape. Other text (any language, emoji)
// is kept. See OWASP's Logging Cheat Sheet and CWE-117 (log injection).
// `field`: a field of a space-separated line (method, path), so every white
// space character too.
std::string EscapeForLog(const std::string& s, bool field = false);

}  // namespace chat
