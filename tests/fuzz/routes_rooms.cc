// cgi-bin/rooms.cpp compiled into the fuzzers with its main renamed, so they
// reach its route table and handlers exactly as the program has them.
#define main rooms_main
#include "../../cgi-bin/rooms.cpp"
#undef main

namespace chat::fuzz {
const std::vector<Route>& RoomsRoutes() { return kRoutes; }
}  // namespace chat::fuzz
