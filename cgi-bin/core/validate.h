// Input rules, checked against what is allowed (a character class and a
// length), never against a list of what is forbidden. Pure functions, so the
// unit tests can table-drive them without a database or a server.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace chat {

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(const std::string& s);
// Number of code points in valid UTF-8.
size_t CountCodePoints(const std::string& s);
// Removes leading and trailing white space (ASCII and Unicode spaces).
std::string Trim(const std::string& s);
// ASCII lower case: the uniqueness key of usernames and room names.
std::string FoldCase(const std::string& s);

// 3-32 of A-Z a-z 0-9 _ . -
bool IsValidUsername(const std::string& s);
// 8-1024 bytes, no NUL (scrypt takes a C string).
bool IsValidPassword(const std::string& s);
// The trimmed room name when it is 1-64 characters of valid UTF-8 with no
// control or bidirectional-override characters; nullopt otherwise.
std::optional<std::string> NormalizeRoomName(const std::string& s);
// Valid UTF-8, no NUL, 1-4000 characters after trimming.
bool IsValidMessageText(const std::string& s);
// Optional client-made message id: 1-64 of A-Z a-z 0-9 and '-'.
bool IsValidClientId(const std::string& s);

// Decimal digits only (no sign, no spaces), at most INT64_MAX.
std::optional<int64_t> ParseDecimal(const std::string& s);

}  // namespace chat
