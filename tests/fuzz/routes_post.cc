// cgi-bin/post.cpp compiled into the fuzzers with its main renamed, so they
// reach its route table and handlers exactly as the program has them.
#define main post_main
#include "../../cgi-bin/post.cpp"
#undef main

namespace chat::fuzz {
const std::vector<Route>& PostRoutes() { return kRoutes; }
}  // namespace chat::fuzz
