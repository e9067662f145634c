// Fuzz target: the request dispatcher end to end. An input is a request as
// CGI sees it: lines NAME=value (REQUEST_METHOD, DOCUMENT_URI, QUERY_STRING,
// CONTENT_TYPE, CONTENT_LENGTH, HTTP_COOKIE, HTTP_ORIGIN, ...), an empty
// line, then the body; @COOKIE@ in a value stands for a live session's
// cookie. The program is picked from the path as nginx does, and the request
// runs through that program's real route table, checks and handlers over a
// real database. Whatever comes in, the answer is never a 5xx, always the
// API's JSON shape, and no transaction is left open.
#include <cstdint>
#include <map>
#include <string>

#include "harness.h"

namespace {

using chat::fuzz::Reply;

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// The path's segments after "/api/rooms", or -1 when it is not under it.
int RoomsDepth(const std::string& path, std::string* last) {
  static const std::string kPrefix = "/api/rooms";
  if (path.compare(0, kPrefix.size(), kPrefix) != 0) return -1;
  if (path.size() == kPrefix.size()) return 0;
  if (path[kPrefix.size()] != '/') return -1;
  int depth = 0;
  size_t at = kPrefix.size();
  while (at < path.size()) {
    size_t next = path.find('/', at + 1);
    std::string segment = path.substr(at + 1, next == std::string::npos ? next : next - at - 1);
    if (segment.empty()) return -1;
    *last = segment;
    ++depth;
    at = next == std::string::npos ? path.size() : next;
  }
  return depth;
}

// nginx's routing (conf/nginx.conf.in), by path and method.
const char* Program(const std::string& path, const std::string& method,
                    const std::vector<chat::Route>** routes) {
  std::string last;
  int depth = RoomsDepth(path, &last);
  if (depth == 2 && last == "messages") {
    bool post = method == "POST";
    *routes = post ? &chat::fuzz::PostRoutes() : &chat::fuzz::PollRoutes();
    return post ? "post" : "poll";
  }
  if (depth == 0 || depth == 1 || (depth == 2 && (last == "join" || last == "leave"))) {
    *routes = &chat::fuzz::RoomsRoutes();
    return "rooms";
  }
  *routes = &chat::fuzz::AuthRoutes();  // auth's routes, or a 404 as any program answers
  return "auth";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t split = input.find("\n\n");
  std::string head = input.substr(0, split);
  std::string body = split == std::string::npos ? "" : input.substr(split + 2);
  std::map<std::string, std::string> env;
  size_t pos = 0;
  while (pos <= head.size()) {
    size_t end = head.find('\n', pos);
    if (end == std::string::npos) end = head.size();
    std::string line = head.substr(pos, end - pos);
    size_t eq = line.find('=');
    if (eq != std::string::npos && eq > 0) {
      env[line.substr(0, eq)] = Replace(line.substr(eq + 1), "@COOKIE@", chat::fuzz::Cookie());
    }
    pos = end + 1;
  }
  if (!env.count("CONTENT_LENGTH") && !body.empty()) {
    env["CONTENT_LENGTH"] = std::to_string(body.size());
  }
  const std::vector<chat::Route>* routes = nullptr;
  const char* program = Program(env["DOCUMENT_URI"], env["REQUEST_METHOD"], &routes);
  Reply r = chat::fuzz::Run(program, *routes, env, body);
  chat::fuzz::CheckReply(r, input);
  return 0;
}
