// cgi-bin/rooms.cpp compiled into the fuzzers with its main renamed, so they
// reach its route table and handlers exactly as the program has them (the
// handlers, cgi-bin/rooms/*.cc, are linked in beside it: Makefile FUZZ_SHARED).
#define main rooms_main
#include "../../cgi-bin/rooms.cpp"
#undef main

namespace chat::fuzz {
const std::vector<Route>& RoomsRoutes() { return kRoutes; }
}  // namespace chat::fuzz
