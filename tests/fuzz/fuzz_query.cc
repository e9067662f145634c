// Fuzz target: path and query parsing. An input is "path?query" (or a path
// alone) sent as a GET with a live session, as a browser's poll or history
// request would be: the {id} segment parser, cgicc's query decoding, the
// cursor rules (after, before, limit) and the poll handler all see it. The
// answer is never a 5xx and always the API's JSON shape. The room holds 300
// messages (and another room 300 more, interleaved), so a 200 for a message
// list is checked for real: at most 200 messages (100 for a before= page),
// ascending, all of the room asked for, all after the cursor asked for. Each
// check counts how often it ran, and tests/fuzz/run.sh fails a run in which
// one never did (the database used to hold no message at all, so "at most
// 200, ascending" was never tested).
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "core/json.h"
#include "harness.h"

namespace {

constexpr int kSeeded = 600;  // half of them in kRoomId

chat::fuzz::Property ascending("ascending lists of 2 or more messages");
chat::fuzz::Property capped("after=N lists cut at the 200 cap");
chat::fuzz::Property paged("before=N pages of 2 or more messages");

// The value of `name` in a query string when it is plain digits and the
// query has no %-escape (which could spell the name another way), else -1.
int64_t Param(const std::string& query, const std::string& name) {
  if (query.find('%') != std::string::npos) return -1;
  size_t at = ("&" + query).find("&" + name + "=");
  if (at == std::string::npos) return -1;
  std::string v = query.substr(at + name.size() + 1);
  v = v.substr(0, v.find('&'));
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  return std::atoll(v.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  chat::fuzz::SeedMessages(kSeeded);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t q = input.find('?');
  std::string query = q == std::string::npos ? "" : input.substr(q + 1);
  std::map<std::string, std::string> env = {
      {"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", input.substr(0, q)},  {"QUERY_STRING", query},
      {"REQUEST_URI", input},    {"HTTP_COOKIE", chat::fuzz::Cookie()},
  };
  bool rooms = input.rfind("/api/rooms", 0) == 0;
  const auto& routes = rooms ? chat::fuzz::PollRoutes() : chat::fuzz::AuthRoutes();
  chat::fuzz::Reply r = chat::fuzz::Run(rooms ? "poll" : "auth", routes, env, "");
  chat::fuzz::CheckReply(r, input);
  if (r.status != 200 || !rooms) return 0;
  chat::Result<Json::Value> v = chat::ParseObject(r.body);
  const Json::Value& list = v.value()["messages"];
  if (list.isNull()) return 0;                  // not a message list (e.g. GET /api/rooms/1)
  bool before = !v.value().isMember("cursor");  // a before=N page has no cursor
  chat::fuzz::Require(list.isArray() && list.size() <= (before ? 100u : 200u), "message list",
                      r.body);
  for (Json::ArrayIndex i = 0; i < list.size(); ++i) {
    chat::fuzz::Require(list[i]["room_id"].asInt64() == chat::fuzz::kRoomId, "room", r.body);
    if (i > 0) {
      chat::fuzz::Require(list[i]["id"].asInt64() > list[i - 1]["id"].asInt64(), "ascending",
                          r.body);
    }
  }
  int64_t after = Param(query, "after");
  if (!before && list.size() > 0) {
    chat::fuzz::Require(v.value()["cursor"].asInt64() == list[list.size() - 1]["id"].asInt64(),
                        "cursor is the last id", r.body);
    if (after >= 0) {
      chat::fuzz::Require(list[0]["id"].asInt64() > after, "ids after the cursor", r.body);
    }
  }
  if (list.size() >= 2) ascending.Reached();
  if (!before && list.size() == 200) capped.Reached();
  if (before && list.size() >= 2) paged.Reached();
  return 0;
}
