// One line per request to stderr (program, method, path, status, ms, user),
// which nginx, spawn-fcgi or journald keep. Also startup and error lines.
#pragma once

#include <cstdint>
#include <string>

namespace chat {

void LogRequest(const char* program, const std::string& method, const std::string& path, int status,
                double ms, int64_t user_id);
void LogLine(const char* program, const std::string& text);

}  // namespace chat
