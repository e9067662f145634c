// bench_hello: the baseline of `make bench`. The least a FastCGI program
// behind our nginx can do: libfcgi's accept loop and a fixed 20-byte JSON
// reply. The chat's poll is measured as a ratio to this, on the same nginx
// with the same number of workers, in the same run.
//
// `bench_hello N` accepts on N threads (libfcgi's FCGX_Accept_r is safe to
// call from several threads once FCGX_Init ran): the shape persistent
// FastCGI connections need (nginx's fastcgi_keep_conn with an upstream
// keepalive pool holds a connection, and so a thread, between requests),
// measured against the plain one-connection-per-request loop (issue 17).
#include <fcgiapp.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>
#include <vector>

namespace {

void Loop() {
  FCGX_Request r;
  FCGX_InitRequest(&r, 0, 0);
  while (FCGX_Accept_r(&r) >= 0) {
    FCGX_PutS(
        "Status: 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n\r\n"
        "{\"ok\":true,\"n\":1234}",
        r.out);
    FCGX_Finish_r(&r);
  }
}

}  // namespace

int main(int argc, char** argv) {
  FCGX_Init();
  // Stopped at once by SIGTERM or SIGUSR1 (multiwatch's graceful stop):
  // libfcgi's own handlers would only end the loop of the thread they land
  // on. Nothing to save.
  signal(SIGTERM, [](int) { _exit(0); });
  signal(SIGUSR1, [](int) { _exit(0); });
  int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  std::vector<std::thread> more;
  for (int i = 1; i < threads; ++i) more.emplace_back(Loop);
  Loop();
  for (std::thread& t : more) t.join();
  return 0;
}
