// Fuzz target: path and query parsing. An input is "path?query" (or a path
// alone) sent as a GET with a live session, as a browser's poll or history
// request would be: the {id} segment parser, cgicc's query decoding, the
// cursor rules (after, before, limit) and the poll handler all see it. The
// answer is never a 5xx and always the API's JSON shape; a 200 for a message
// list names at most 200 messages, ascending.
#include <cstdint>
#include <map>
#include <string>

#include "core/json.h"
#include "harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t q = input.find('?');
  std::map<std::string, std::string> env = {
      {"REQUEST_METHOD", "GET"},
      {"DOCUMENT_URI", input.substr(0, q)},
      {"QUERY_STRING", q == std::string::npos ? "" : input.substr(q + 1)},
      {"REQUEST_URI", input},
      {"HTTP_COOKIE", chat::fuzz::Cookie()},
  };
  bool rooms = input.rfind("/api/rooms", 0) == 0;
  const auto& routes = rooms ? chat::fuzz::PollRoutes() : chat::fuzz::AuthRoutes();
  chat::fuzz::Reply r = chat::fuzz::Run(rooms ? "poll" : "auth", routes, env, "");
  chat::fuzz::CheckReply(r, input);
  if (r.status == 200 && rooms) {
    chat::Result<Json::Value> v = chat::ParseObject(r.body);
    const Json::Value& list = v.value()["messages"];
    chat::fuzz::Require(list.isArray() && list.size() <= 200, "message list", r.body);
    for (Json::ArrayIndex i = 1; i < list.size(); ++i) {
      chat::fuzz::Require(list[i]["id"].asInt64() > list[i - 1]["id"].asInt64(), "ascending",
                          r.body);
    }
  }
  return 0;
}
