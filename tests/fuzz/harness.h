// Shared pieces of the libFuzzer targets (tests/fuzz/fuzz_*.cc): a real
// SQLite database made from sql/schema.sql in a temp folder, a fixed session
// key, one user with a known session who is inside one room, and a way to
// run one request through the programs' real accept path (serve.cc's Handle:
// cgicc, the dispatcher, the route's handler, the reply writer) without a
// FastCGI server. Nothing is mocked but the socket.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/http.h"

namespace chat::fuzz {

// The route tables of the four programs (routes_*.cc include the programs).
const std::vector<Route>& AuthRoutes();
const std::vector<Route>& RoomsRoutes();
const std::vector<Route>& PostRoutes();
const std::vector<Route>& PollRoutes();

// The Cookie header ("chat_session=...") of the fuzz user's session, and the
// id of the room that user is in. Inputs spell the cookie as @COOKIE@.
std::string Cookie();
constexpr int64_t kRoomId = 1;

// Adds `count` messages by the fuzz user, alternating between the fuzz
// user's room and a second live room (id kOtherRoomId), so the message
// lists a target reads are long enough to test their caps, order and
// room filter. Call once, from LLVMFuzzerInitialize.
constexpr int64_t kOtherRoomId = 2;
void SeedMessages(int count);

// A property check that counts how often it was reached: at exit the
// target prints "fuzz property <name>: reached N times", and
// tests/fuzz/run.sh fails a run in which any property was reached 0 times
// (a check that never runs cannot fail).
class Property {
 public:
  explicit Property(const char* name);
  ~Property();
  void Reached() { ++count_; }
  Property(const Property&) = delete;
  Property& operator=(const Property&) = delete;

 private:
  const char* name_;
  long count_ = 0;
};

struct Reply {
  int status = 0;
  std::string head;
  std::string body;
};

// Runs one request (CGI variables + body) through Handle with `routes`.
Reply Run(const char* program, const std::vector<Route>& routes,
          const std::map<std::string, std::string>& env, const std::string& body);

// Aborts (a crash for libFuzzer) with a message when `ok` is false.
void Require(bool ok, const char* what, const std::string& detail = "");

// Checks what every reply must be: no 5xx, a JSON object body with the
// error shape on 4xx, nothing at all for 204.
void CheckReply(const Reply& r, const std::string& input);

}  // namespace chat::fuzz
