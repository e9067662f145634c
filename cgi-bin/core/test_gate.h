// A pause point for race tests, off in every real deployment.
//
// Some races need a request to stop at an exact place while the test does
// something else (tests/api/login-races.test.mjs holds a login between its
// scrypt check and its session insert while the password is changed or the
// account deleted). Timing such a window with sleeps is flaky on a loaded
// machine; a gate makes every round hit it. The gate is a file: only when the
// environment variable CHAT_TEST_GATE_DIR names a directory (set by the test
// for the workers it starts; README "Tests") and <dir>/<point>-<who> exists
// does the request create <dir>/<point>-<who>.reached and wait until the gate
// file is removed (at most 30 s). Without the variable it costs one getenv()
// per process.
#pragma once

#include <string>

namespace chat {

// Waits at the gate `point`-`who` if the test opened it; returns at once
// otherwise. `who` must be a file-name-safe string (a username key).
void PauseAtTestGate(const char* point, const std::string& who);

}  // namespace chat
