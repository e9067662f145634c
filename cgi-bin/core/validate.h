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
// Removes leading and trailing blank characters: white space, zero-width and
// other default-ignorable characters, fillers (text.h TrimBlank). "Is it
// empty" is "is Trim empty", for room names and message texts alike.
std::string Trim(const std::string& s);
// ASCII lower case: the uniqueness key of usernames (ASCII only, so this is
// also their NFKC_Casefold).
std::string FoldCase(const std::string& s);

// 3-32 of A-Z a-z 0-9 _ . -
bool IsValidUsername(const std::string& s);
// 8-1024 bytes, no NUL (scrypt takes a C string).
bool IsValidPassword(const std::string& s);
// The trimmed room name when it is 1-64 characters of valid UTF-8 with no
// control, line-separator or bidirectional-override characters; nullopt
// otherwise. A name of blank characters only is empty after trimming.
std::optional<std::string> NormalizeRoomName(const std::string& s);
// A room's topic (issue 13): the name's rules, but 0-250 characters (empty
// is no topic). The trimmed topic, or nullopt when refused.
std::optional<std::string> NormalizeRoomTopic(const std::string& s);
// The uniqueness key of a room name (rooms.name_key): text.h NameKey, so
// names that look the same have the same key.
std::string RoomNameKey(const std::string& name);
// Valid UTF-8, no NUL, 1-4000 characters after trimming blank characters.
bool IsValidMessageText(const std::string& s);
// Optional client-made message id: 1-64 of A-Z a-z 0-9 and '-'.
bool IsValidClientId(const std::string& s);

// Decimal digits only (no sign, no spaces), at most INT64_MAX.
std::optional<int64_t> ParseDecimal(const std::string& s);

}  // namespace chat
