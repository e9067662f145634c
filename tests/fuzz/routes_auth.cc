// cgi-bin/auth.cpp compiled into the fuzzers with its main renamed, so they
// reach its route table and handlers exactly as the program has them.
#define main auth_main
#include "../../cgi-bin/auth.cpp"
#undef main

namespace chat::fuzz {
const std::vector<Route>& AuthRoutes() { return kRoutes; }
}  // namespace chat::fuzz
