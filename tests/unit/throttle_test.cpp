// Table-driven tests of the bucket arithmetic every rate limit shares
// (core/throttle.h), above all across a wall clock that steps back, and of
// the login buckets over a real SQLite file with the clock stepped back an
// hour: they must neither freeze nor promise a Retry-After they do not keep.
#include "core/throttle.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "core/migrate.h"
#include "migrated_db.h"

namespace chat {
namespace {

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kT = 1'800'000'000'000;  // some instant in 2027

TEST(BucketElapsed, NegativeIntervalsCountAsNoneAndAskToRedate) {
  struct Case {
    int64_t stored_at, now, elapsed;
    bool redated;
  };
  std::vector<Case> cases = {
      {kT, kT, 0, false},    {kT, kT + 1, 1, false},    {kT, kT + kHour, kHour, false},
      {kT, kT - 1, 0, true}, {kT, kT - kHour, 0, true},
  };
  for (const Case& c : cases) {
    BucketTime t = BucketElapsed(c.stored_at, c.now);
    EXPECT_EQ(t.elapsed_ms, c.elapsed) << c.now - c.stored_at;
    EXPECT_EQ(t.redated, c.redated) << c.now - c.stored_at;
  }
}

TEST(RefilledTokens, RefillsUpToCapacityAndNeverBackwards) {
  struct Case {
    double tokens;
    int64_t stored_at, now;
    double want;
  };
  const double per_ms = 2.0 / 1000;  // 2 a second
  const double capacity = 20;
  std::vector<Case> cases = {
      {0, kT, kT, 0},
      {0, kT, kT + 500, 1},
      {0, kT, kT + 5000, 10},
      {0, kT, kT + kHour, capacity},
      {19.5, kT, kT + 1000, capacity},
      {0.25, kT, kT - kHour, 0.25},  // stepped back: kept, not drained or frozen below 0
      {0, kT, kT - 1, 0},
  };
  for (const Case& c : cases) {
    EXPECT_DOUBLE_EQ(RefilledTokens(c.tokens, c.stored_at, c.now, per_ms, capacity), c.want)
        << c.tokens << " after " << c.now - c.stored_at << " ms";
  }
}

TEST(DrainedLevel, DrainsDownToZeroAndNeverGrowsBackwards) {
  struct Case {
    double level;
    int64_t stored_at, now;
    double want;
  };
  const double per_ms = 5.0 / (15 * 60 * 1000);  // 5 per 15 minutes
  std::vector<Case> cases = {
      {5, kT, kT, 5},         {5, kT, kT + 3 * 60 * 1000, 4}, {5, kT, kT + 15 * 60 * 1000, 0},
      {5, kT, kT + kHour, 0}, {5, kT, kT - kHour, 5},  // stepped back: as stored, never more
  };
  for (const Case& c : cases) {
    EXPECT_NEAR(DrainedLevel(c.level, c.stored_at, c.now, per_ms), c.want, 1e-9)
        << c.level << " after " << c.now - c.stored_at << " ms";
  }
}

TEST(RetryAfterSeconds, RoundsUpToWholeSeconds) {
  struct Case {
    double missing, per_ms;
    int want;
  };
  std::vector<Case> cases = {
      {1, 2.0 / 1000, 1},      // 500 ms
      {0.01, 2.0 / 1000, 1},   // 5 ms
      {1, 1.0 / 1000, 1},      // exactly 1000 ms
      {1.001, 1.0 / 1000, 2},  // 1001 ms
      {1, 0.5 / 1000, 2},      // 2000 ms, though 1 / 0.0005 is not exact in binary
      {1, 0.1 / 1000, 10},     // 10 s
      {0, 1.0 / 1000, 1},      // never 0: Retry-After is at least a second
      {1, 5.0 / (15 * 60 * 1000), 180},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RetryAfterSeconds(c.missing, c.per_ms), c.want) << c.missing << " at " << c.per_ms;
  }
}

// A Retry-After is kept: after waiting exactly that long (whole seconds of
// whole milliseconds), the bucket has the unit back.
TEST(RetryAfterSeconds, WaitingItIsEnough) {
  for (double per_ms : {2.0 / 1000, 0.5 / 1000, 0.3 / 1000, 1.0 / 7000, 5.0 / 900000}) {
    for (double tokens : {0.0, 0.1, 0.5, 0.999, 1.0 / 3, -0.5}) {
      int wait = RetryAfterSeconds(1 - tokens, per_ms);
      EXPECT_GE(RefilledTokens(tokens, kT, kT + wait * 1000, per_ms, 20), 1)
          << tokens << " at " << per_ms;
    }
  }
}

// The login buckets over a real database, the clock stepping back an hour
// between the failures and the next attempt.
class LoginThrottleClockTest : public MigratedDbTest {
 protected:
  LoginThrottleClockTest() : MigratedDbTest("throttle") {}
  void SetUp() override {
    config_.login_pair_burst = 3;
    config_.login_window_ms = 60 * 1000;  // a full bucket drains in a minute
    MigratedDbTest::SetUp();
  }
  Status Charge(int64_t now) {
    LoginAttempt attempt{"alice", "10.0.0.1", ""};
    return ChargeLoginAttempt(*db_, config_, attempt, now);
  }
};

TEST_F(LoginThrottleClockTest, AFullBucketOpensWithinTheWindowAfterTheClockStepsBack) {
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(Charge(kT).has_value()) << i;
  Status refused = Charge(kT);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(refused->retry_after, 20);  // a third of the window: one unit of three

  // The clock steps back an hour. The bucket is as full as it was (no
  // time has passed as far as anyone can tell), and the Retry-After it
  // promises is kept by the clock as it now runs.
  int64_t back = kT - kHour;
  Status after_step = Charge(back);
  ASSERT_TRUE(after_step.has_value());
  EXPECT_EQ(after_step->retry_after, 20);
  int64_t retry_at = back + after_step->retry_after * 1000;
  EXPECT_TRUE(Charge(retry_at - 2000).has_value()) << "not before its time";
  EXPECT_FALSE(Charge(retry_at).has_value()) << "the promised Retry-After is kept";
}

TEST_F(LoginThrottleClockTest, BackwardStepNeitherEmptiesNorFillsABucket) {
  ASSERT_FALSE(Charge(kT).has_value());
  // An hour back, two more failures fit (burst 3), the third is refused:
  // the one before the step still counts.
  EXPECT_FALSE(Charge(kT - kHour).has_value());
  EXPECT_FALSE(Charge(kT - kHour).has_value());
  EXPECT_TRUE(Charge(kT - kHour).has_value());
}

// The per-user buckets (room creation, joins): after a step back they are
// full rather than frozen, and a Retry-After they give is kept.
TEST_F(LoginThrottleClockTest, UserTokenBucketsNeitherFreezeNorBreakTheirRetryAfter) {
  db_->Exec(
      "INSERT INTO users (id, username, username_key, password_hash, created_at) "
      "VALUES (7, 'ann', 'ann', 'x', 0)");
  const TokenRate rate{"room_create", 2, 0.1};  // 2 at once, then one each 10 s
  auto take = [&](int64_t now) { return TakeUserToken(*db_, 7, rate, now, "slow down"); };
  ASSERT_FALSE(take(kT).has_value());
  ASSERT_FALSE(take(kT).has_value());
  Status refused = take(kT);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(refused->retry_after, 10);
  EXPECT_TRUE(take(kT + 9000).has_value());
  EXPECT_FALSE(take(kT + refused->retry_after * 1000).has_value()) << "the Retry-After is kept";

  // An hour back: not frozen until the clock catches up.
  EXPECT_FALSE(take(kT - kHour).has_value());
}

}  // namespace
}  // namespace chat
