// See export.h.
#include "export.h"

#include "json.h"
#include "messages.h"

namespace chat {

std::string HtmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

// "2026-11-30T03:12:05.123Z" (the API's created_at, always UTC) as a person
// reads it: "2026-11-30 03:12". Anything not in that shape stays as it is.
std::string ReadableUtc(const std::string& iso) {
  if (iso.size() < 16 || iso[10] != 'T' || iso[13] != ':') return iso;
  return iso.substr(0, 10) + " " + iso.substr(11, 5);
}

}  // namespace

bool WriteExport(Db& db, const Room& room, const std::string& format,
                 const std::function<void(const std::string&)>& out,
                 const std::function<bool()>& go_on) {
  const bool html = format == "html";
  std::string title = room.kind == "direct" && room.direct.size() == 2
                          ? room.direct[0].second + " and " + room.direct[1].second
                          : room.name;
  if (html) {
    // The topic under the name says what the room was for; the times are
    // UTC, said once here rather than on every line. No script: the page
    // is text and one style element (the file is opened from disk, so the
    // site's CSP does not reach it; there is still nothing to run).
    std::string head =
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
        HtmlEscape(title) +
        "</title>\n<style>p{white-space:pre-wrap;overflow-wrap:anywhere}.topic,.note{color:#555}</"
        "style>\n</head>\n"
        "<body>\n<h1>" +
        HtmlEscape(title) + "</h1>\n";
    if (!room.topic.empty()) head += "<p class=\"topic\">" + HtmlEscape(room.topic) + "</p>\n";
    head += "<p class=\"note\">Times are UTC.</p>\n";
    out(head);
  }
  int64_t after = 0;
  for (;;) {
    if (after > 0 && !go_on()) return false;
    const Json::Value page = MessagesFrom(db, room.id, after, kExportPage);
    for (const Json::Value& m : page) {
      if (html) {
        const std::string at = m["created_at"].asString();
        out("<p><time datetime=\"" + HtmlEscape(at) + "\">" + HtmlEscape(ReadableUtc(at)) +
            "</time> <b>" + HtmlEscape(m["user"]["username"].asString()) +
            "</b>: " + HtmlEscape(m["text"].asString()) + "</p>\n");
      } else {
        out(ToJson(m) + "\n");
      }
      after = m["id"].asInt64();
    }
    if (static_cast<int>(page.size()) < kExportPage) break;
  }
  if (html) out("</body>\n</html>\n");
  return true;
}

}  // namespace chat
