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

bool WriteExport(Db& db, const Room& room, const std::string& format,
                 const std::function<void(const std::string&)>& out,
                 const std::function<bool()>& go_on) {
  const bool html = format == "html";
  std::string title = room.kind == "direct" && room.direct.size() == 2
                          ? room.direct[0].second + " and " + room.direct[1].second
                          : room.name;
  if (html) {
    out("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
        HtmlEscape(title) +
        "</title>\n<style>p{white-space:pre-wrap}</style>\n</head>\n<body>\n<h1>" +
        HtmlEscape(title) + "</h1>\n");
  }
  int64_t after = 0;
  for (;;) {
    if (after > 0 && !go_on()) return false;
    const Json::Value page = MessagesFrom(db, room.id, after, kExportPage);
    for (const Json::Value& m : page) {
      if (html) {
        out("<p><time>" + HtmlEscape(m["created_at"].asString()) + "</time> <b>" +
            HtmlEscape(m["user"]["username"].asString()) +
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
