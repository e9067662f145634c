// What an upload's name and declared type may become, and how they are
// sent back in Content-Disposition. A name is shown in the pages and sent
// in a header, so it is checked against what is allowed (valid UTF-8, no
// control characters, no folder part, at most 255 bytes) rather than
// trusted; a declared type is kept only for display, and only when it is a
// plain type/subtype token (RFC 9110 8.3.1).
#pragma once

#include <string>

namespace chat {

// The name to store: the part after the last '/' or '\' of `sent`,
// control characters, line separators and bidi overrides and isolates
// replaced by '_' (what a room name refuses: core/validate.h), cut to 255 bytes on a character
// boundary; "file" when nothing valid is left.
std::string CleanFileName(const std::string& sent);

// The type to show for a file that is not a decoded image: the declared
// type, lower-cased, when it is a token/token of at most 100 characters
// and not image/* (only decoded images are called images); else
// application/octet-stream.
std::string ShownFileType(const std::string& declared);

// Content-Disposition for `name` (RFC 6266): `disposition` ("inline" or
// "attachment"), an ASCII fallback filename and the exact name as
// filename* (RFC 8187 UTF-8 percent-encoding).
std::string ContentDisposition(const char* disposition, const std::string& name);

}  // namespace chat
