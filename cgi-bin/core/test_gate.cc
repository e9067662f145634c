// See test_gate.h.
#include "test_gate.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace chat {

void PauseAtTestGate(const char* point, const std::string& who) {
  static const char* const dir = getenv("CHAT_TEST_GATE_DIR");
  if (dir == nullptr || *dir == '\0' || who.empty()) return;
  std::string gate = std::string(dir) + "/" + point + "-" + who;
  if (access(gate.c_str(), F_OK) != 0) return;
  int fd = open((gate + ".reached").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) close(fd);
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (access(gate.c_str(), F_OK) == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace chat
