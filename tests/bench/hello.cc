// bench_hello: the baseline of `make bench`. The least a FastCGI program
// behind our nginx can do: libfcgi's accept loop and a fixed 20-byte JSON
// reply. The chat's poll is measured as a ratio to this, on the same nginx
// with the same number of workers, in the same run.
#include <fcgiapp.h>

int main() {
  FCGX_Init();
  FCGX_Request r;
  FCGX_InitRequest(&r, 0, 0);
  while (FCGX_Accept_r(&r) >= 0) {
    FCGX_PutS(
        "Status: 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n\r\n"
        "{\"ok\":true,\"n\":1234}",
        r.out);
    FCGX_Finish_r(&r);
  }
  return 0;
}
