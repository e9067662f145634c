// See throttle.h.
#include "throttle.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace chat {
namespace {

struct Bucket {
  std::string key;
  double capacity;
};

// A trusted client (valid device cookie for the account) is counted per
// device and per account; anyone else per address, per (account, address)
// and per account.
std::vector<Bucket> BucketsOf(const Config& c, const LoginAttempt& a) {
  const std::string& user = a.username_key;
  if (!a.device.empty() && !user.empty()) {
    return {{"d:" + a.device, c.login_pair_burst}, {"u:" + user, c.login_account_burst}};
  }
  std::vector<Bucket> b = {{"a:" + a.address, c.login_address_burst}};
  if (!user.empty()) {
    b.push_back({"p:" + user + " " + a.address, c.login_pair_burst});
    b.push_back({"u:" + user, c.login_account_burst});
  }
  return b;
}

// The bucket's level now, after draining since its last update; sets
// *redated when it was stored after `now` (see BucketElapsed).
double LevelOf(Db& db, const Config& c, const Bucket& b, int64_t now, bool* redated = nullptr) {
  auto q = db.Prepare("SELECT level, updated_at FROM login_failures WHERE key = ?1");
  if (!q.Bind(1, b.key).Step()) return 0;
  if (redated != nullptr && BucketElapsed(q.Int(1), now).redated) *redated = true;
  return DrainedLevel(q.Real(0), q.Int(1), now, b.capacity / c.login_window_ms);
}

void Store(Db& db, const std::string& key, double level, int64_t now) {
  db.Prepare(
        "INSERT INTO login_failures (key, level, updated_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (key) DO UPDATE SET level = excluded.level, updated_at = excluded.updated_at")
      .Bind(1, key)
      .Bind(2, level)
      .Bind(3, now)
      .Run();
}

}  // namespace

BucketTime BucketElapsed(int64_t stored_at, int64_t now) {
  if (stored_at > now) return {0, true};
  return {now - stored_at, false};
}

namespace {

// Bucket contents kept to a billionth of a unit, so that the binary
// rounding of rate times time cannot leave a bucket a hair short of the
// unit its Retry-After promised (2000 ms at 0.0005 a ms is not exactly 1).
double Tidy(double units) { return std::round(units * 1e9) / 1e9; }

}  // namespace

double RefilledTokens(double tokens, int64_t stored_at, int64_t now, double per_ms,
                      double capacity) {
  double elapsed = static_cast<double>(BucketElapsed(stored_at, now).elapsed_ms);
  return std::min(capacity, Tidy(tokens + elapsed * per_ms));
}

double DrainedLevel(double level, int64_t stored_at, int64_t now, double per_ms) {
  double elapsed = static_cast<double>(BucketElapsed(stored_at, now).elapsed_ms);
  return std::max(0.0, Tidy(level - elapsed * per_ms));
}

int RetryAfterSeconds(double missing, double per_ms) {
  if (!(missing > 0)) return 1;
  // Times are whole milliseconds and a client waits whole seconds, so a
  // wait of ceil(ms / 1000) s is measured as at least that many ms.
  double seconds = std::ceil(Tidy(missing / per_ms) / 1000);
  return seconds < 1 ? 1 : seconds > 1e9 ? 1000000000 : static_cast<int>(seconds);
}

std::string ThrottleAddress(const std::string& remote_addr) {
  if (remote_addr.empty()) return "local";
  unsigned char v6[16];
  if (inet_pton(AF_INET6, remote_addr.c_str(), v6) != 1) return remote_addr;
  std::fill(v6 + 8, v6 + 16, 0);
  char out[INET6_ADDRSTRLEN];
  return inet_ntop(AF_INET6, v6, out, sizeof out) ? std::string(out) + "/64" : remote_addr;
}

Status ChargeLoginAttempt(Db& db, const Config& config, LoginAttempt& attempt, int64_t now) {
  Transaction tx(db);
  // Buckets that drained completely are forgotten, so the table stays small.
  db.Prepare("DELETE FROM login_failures WHERE updated_at < ?1")
      .Bind(1, now - config.login_window_ms)
      .Run();
  std::vector<Bucket> buckets = BucketsOf(config, attempt);
  // A device cookie that failed too often is locked out: the client is
  // then an untrusted one like any other (OWASP's device cookie lockout).
  bool trusted = !attempt.device.empty() && !attempt.username_key.empty();
  if (trusted && LevelOf(db, config, buckets[0], now) + 1 > buckets[0].capacity) {
    attempt.device.clear();
    buckets = BucketsOf(config, attempt);
  }
  std::vector<double> levels;
  int retry_after = 0;
  bool redated = false;
  for (const Bucket& b : buckets) {
    levels.push_back(LevelOf(db, config, b, now, &redated));
    double over = levels.back() + 1 - b.capacity;
    if (over > 0) {
      retry_after =
          std::max(retry_after, RetryAfterSeconds(over, b.capacity / config.login_window_ms));
    }
  }
  if (retry_after > 0) {
    if (redated) {
      // The clock stepped back: keep the levels as of now, so the buckets
      // drain from now on and the Retry-After below holds.
      for (size_t i = 0; i < buckets.size(); ++i) Store(db, buckets[i].key, levels[i], now);
      tx.Commit();
    }
    ApiError e = Err(429, "rate_limited", "Too many failed attempts; wait a while and try again.");
    e.retry_after = retry_after;
    return e;
  }
  for (size_t i = 0; i < buckets.size(); ++i) Store(db, buckets[i].key, levels[i] + 1, now);
  tx.Commit();
  return std::nullopt;
}

void RefundLoginAttempt(Db& db, const Config& config, const LoginAttempt& attempt, int64_t now) {
  for (const Bucket& b : BucketsOf(config, attempt)) {
    bool own = b.key[0] == 'p' || b.key[0] == 'd';  // this client's own bucket
    double level = own ? 0 : std::max(0.0, LevelOf(db, config, b, now) - 1);
    Store(db, b.key, level, now);
  }
}

Status TakeUserToken(Db& db, int64_t user_id, const TokenRate& rate, int64_t now,
                     const char* message) {
  double tokens = rate.burst;
  double per_ms = rate.rate / 1000;
  auto q =
      db.Prepare("SELECT tokens, updated_at FROM user_buckets WHERE user_id = ?1 AND action = ?2");
  // A bucket stored after `now` (BucketElapsed's redated) stays full: see
  // throttle.h for why this one is not re-dated like the others.
  if (q.Bind(1, user_id).Bind(2, rate.action).Step() && !BucketElapsed(q.Int(1), now).redated) {
    tokens = RefilledTokens(q.Real(0), q.Int(1), now, per_ms, rate.burst);
  }
  if (tokens < 1) {
    ApiError e = Err(429, "rate_limited", message);
    e.retry_after = RetryAfterSeconds(1 - tokens, per_ms);
    return e;
  }
  db.Prepare(
        "INSERT INTO user_buckets (user_id, action, tokens, updated_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (user_id, action) DO UPDATE SET tokens = excluded.tokens, "
        "updated_at = excluded.updated_at")
      .Bind(1, user_id)
      .Bind(2, rate.action)
      .Bind(3, tokens - 1)
      .Bind(4, now)
      .Run();
  return std::nullopt;
}

}  // namespace chat
