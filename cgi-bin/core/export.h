// A room's history as a download (GET /api/rooms/{id}/export, issue 13):
// JSON Lines (one message object per line, as the API gives it;
// https://jsonlines.org) or an HTML page where every string a user wrote
// (room name, usernames, texts) is HTML-escaped (OWASP XSS Prevention Cheat
// Sheet, rule 1) and nothing else is markup. Read in pages of kExportPage
// messages so memory stays bounded whatever the room's size.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "db.h"
#include "rooms.h"

namespace chat {

constexpr int kExportPage = 200;

// &, <, >, " and ' as character references.
std::string HtmlEscape(const std::string& s);
// Writes the whole live history of `room` in `format` ("jsonl" or "html")
// through `out`, page by page. Before each page after the first it asks
// `go_on` (each page is a read of its own, so the reader's access can end
// meanwhile) and stops short, returning false, when it says no. Throws
// DbError when a read fails (the caller has already sent its headers and
// can only stop).
bool WriteExport(Db& db, const Room& room, const std::string& format,
                 const std::function<void(const std::string&)>& out,
                 const std::function<bool()>& go_on);

}  // namespace chat
