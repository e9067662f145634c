// cgi-bin/poll.cpp compiled into the fuzzers with its main renamed, so they
// reach its route table and handlers exactly as the program has them.
#define main poll_main
#include "../../cgi-bin/poll.cpp"
#undef main

namespace chat::fuzz {
const std::vector<Route>& PollRoutes() { return kRoutes; }
}  // namespace chat::fuzz
