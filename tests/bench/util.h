// Small helpers the load generators of `make bench` share (load.cc,
// subscribe.cc): a monotonic clock in microseconds, latency samples with
// percentiles, the open-file limit and reading a file of lines. Header-only:
// each bench program is one .cc file and this.
#pragma once

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace bench {

inline int64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

// Latencies in microseconds; percentiles (in ms) by sorting at the end.
struct Samples {
  std::vector<int64_t> v;
  void Add(int64_t us) { v.push_back(us); }
  double Pct(double p) {
    if (v.empty()) return 0;
    size_t k = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * v.size()));
    std::nth_element(v.begin(), v.begin() + k, v.end());
    return v[k] / 1000.0;
  }
};

// Raises the soft open-file limit to `want` (and the hard one too, where the
// process may). Complains on stderr when it cannot.
inline void RaiseFdLimit(size_t want, const char* program) {
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  if (r.rlim_cur >= want) return;
  r.rlim_cur = want;
  if (r.rlim_max < want) r.rlim_max = want;  // root may raise the hard limit
  if (setrlimit(RLIMIT_NOFILE, &r) != 0) {
    fprintf(stderr, "%s: cannot raise the open-file limit to %zu\n", program, want);
  }
}

// The non-empty lines of a file.
inline std::vector<std::string> ReadLines(const char* path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(f, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

}  // namespace bench
