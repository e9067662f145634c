// Throttling, shared by every worker through SQLite: login attempts
// (login_failures) and the per-user abuse limits at the end (user_buckets).
//
// Each login attempt is charged, before any scrypt work, to three leaky
// buckets: the (account, address) pair, the address, and the account. A
// bucket drains completely in one window (CHAT_LOGIN_WINDOW_MINUTES); when
// one is full the attempt gets 429 rate_limited with Retry-After and no
// password is checked. A successful login empties its pair bucket and gives
// the address and account buckets their unit back, so only failures add up.
//
// The pair bucket is small (5 by default): a guesser at one account from one
// address is stopped quickly, while the real owner logging in from another
// address is not affected. The address bucket (50) stops one address trying
// many accounts; the account bucket (100) stops many addresses trying one
// account, at the price of locking its owner out too until it drains, which
// is the usual trade-off. Charging happens in a write transaction before the
// check, so parallel guesses cannot slip past a bucket together.
//
// Shared addresses (an office or campus NAT): a browser that logged in to
// the account before carries a device cookie for it (device.h, OWASP's
// device cookie pattern). Such a trusted attempt is not charged to, nor held
// by, the address or pair buckets, which others at the same address fill:
// it goes to its own device bucket (the pair limit, 5) and to the account
// bucket, which still applies. A device bucket that fills locks that cookie
// out: its attempts are then counted as an untrusted client's.
//
// Every bucket of the project (these, the post bucket, and any new one) goes
// through the same arithmetic below, because the wall clock can step back (an
// NTP correction, a restored VM): a bucket stored "in the future" must count
// as no time passed and be re-dated to now, or it freezes until the clock
// catches up (an empty post bucket answered 429 for a whole hour after a
// one-hour step back, and a full login bucket stayed shut for the hour plus
// its window). Retry-After is rounded up to whole seconds, and the contents
// are kept free of binary rounding errors, so a client that waits that long
// is let through.
#pragma once

#include <cstdint>
#include <string>

#include "config.h"
#include "db.h"
#include "result.h"

namespace chat {

// How a bucket stored at `stored_at` has moved by `now`.
struct BucketTime {
  int64_t elapsed_ms;  // never negative
  // The stored time is after now: the clock stepped back. The caller must
  // store the bucket again as of now, even when it refuses the request, so
  // that it refills (or drains) from now on; elapsed_ms is 0.
  bool redated;
};
BucketTime BucketElapsed(int64_t stored_at, int64_t now);

// A token bucket: `tokens` stored at `stored_at`, refilled at `per_ms`
// tokens a millisecond up to `capacity`.
double RefilledTokens(double tokens, int64_t stored_at, int64_t now, double per_ms,
                      double capacity);
// A leaky bucket: `level` stored at `stored_at`, drained at `per_ms` a
// millisecond down to 0.
double DrainedLevel(double level, int64_t stored_at, int64_t now, double per_ms);
// Whole seconds (at least 1) after which `missing` units have come back at
// `per_ms` a millisecond: the Retry-After to send.
int RetryAfterSeconds(double missing, double per_ms);

// The address a bucket is kept for: IPv4 as is, IPv6 by its /64 (one
// machine or home usually holds a whole /64), "local" when there is none.
std::string ThrottleAddress(const std::string& remote_addr);

// Who is trying to log in.
struct LoginAttempt {
  std::string username_key;  // "" when no such account can exist (only the address is charged)
  std::string address;       // ThrottleAddress of the client
  std::string device;        // id of a valid device cookie for this account (device.h), or ""
};

// Charges one attempt. nullopt when it may go on; 429 rate_limited with
// retry_after otherwise (nothing charged then). Clears attempt.device when
// that device is locked out, so the refund goes where the charge went.
Status ChargeLoginAttempt(Db& db, const Config& config, LoginAttempt& attempt, int64_t now);

// After the password matched: empties this client's own bucket (pair or
// device) and refunds the others. Runs inside the caller's write transaction.
void RefundLoginAttempt(Db& db, const Config& config, const LoginAttempt& attempt, int64_t now);

// Abuse limits per user (README "Security"): a token bucket per (user,
// action) in user_buckets, the same shape as the post limit (post.cpp): a
// user may act `burst` times at once, then `rate` times a second. Creating
// rooms ("room_create") and joining or leaving them ("membership") each have
// one, so one account cannot flood the room list or the members events.
struct TokenRate {
  const char* action;  // the bucket's name in user_buckets.action
  double burst;        // tokens when full
  double rate;         // tokens refilled per second
};

// Spends one token of the user's `rate.action` bucket, or answers 429
// rate_limited with `message` and the seconds until a token is there
// (Retry-After). Runs inside the caller's write transaction, so the check
// and the action it allows commit together. The arithmetic is the shared
// one above, but a bucket last written in the future (the clock stepped
// back) counts as full instead of being re-dated: its callers roll their
// transaction back on 429, so a re-date would be lost and the bucket frozen
// until the clock caught up. One extra burst after a step back is the price.
Status TakeUserToken(Db& db, int64_t user_id, const TokenRate& rate, int64_t now,
                     const char* message);

}  // namespace chat
