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
// C0 controls (line feed, carriage return, escape ...), DEL, C1 controls
// (U+0080-U+009F, whose 8-bit forms some terminals obey), the line and
// paragraph separators, the bidi embeddings, overrides and isolates that
// reorder what a reader sees (CVE-2021-42574), bytes that are not UTF-8, and
// the backslash itself, so an escape in the log always means an escape.
// Printable text (any language, emoji) is kept as is. See OWASP's Logging
// Cheat Sheet ("Event data ... sanitized": CWE-117, log injection).
// `field`: a field of a space-separated line (the path), so spaces too.
std::string EscapeForLog(const std::string& s, bool field = false);

}  // namespace chat
