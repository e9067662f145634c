// The per-user token buckets of core/throttle.h (TakeUserToken) on a real
// database made from sql/schema.sql: a table of (time, expected outcome)
// steps for one bucket, covering the burst, the Retry-After promised and
// kept, the refill capped at the burst, and a clock stepped back; and the
// buckets of two users and two actions kept apart.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/throttle.h"
#include "migrated_db.h"

namespace chat {
namespace {

class UserBucketTest : public MigratedDbTest {
 protected:
  UserBucketTest() : MigratedDbTest("bucket") {}
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(MigratedDbTest::SetUp());
    db_->Exec(
        "INSERT INTO users (id, username, username_key, password_hash, created_at) "
        "VALUES (1, 'a', 'a', 'x', 0), (2, 'b', 'b', 'x', 0)");
  }

  // Takes a token in its own transaction, as a handler does; the retry-after
  // of the refusal, or 0 when the token was spent.
  int Take(int64_t user, const TokenRate& rate, int64_t now) {
    Transaction tx(*db_);
    Status s = TakeUserToken(*db_, user, rate, now, "slow down");
    if (s) {
      EXPECT_EQ(s->status, 429);
      EXPECT_EQ(s->code, "rate_limited");
      EXPECT_EQ(s->message, "slow down");
      EXPECT_GT(s->retry_after, 0);
      return s->retry_after;
    }
    tx.Commit();
    return 0;
  }
};

struct Step {
  int64_t now_ms;
  int retry_after;  // 0: allowed
};

TEST_F(UserBucketTest, BurstThenRateWithHonestRetryAfterAndBackwardClock) {
  const TokenRate rate{"room_create", 3, 0.5};  // 3 at once, then one each 2 s
  const std::vector<Step> steps = {
      {1000000, 0},
      {1000000, 0},
      {1000000, 0},  // the burst
      {1000000, 2},  // empty: one token in 2 s
      {1001000, 1},  // half a token: 1 s more
      {1002000, 0},  // the promised time: allowed
      {1002000, 2},  // empty again
      {9000000, 0},
      {9000000, 0},
      {9000000, 0},  // a long pause refills only up to the burst
      {9000000, 2},
      // The clock steps back an hour: the bucket is not frozen until the
      // clock catches up (it counts as full), and from then on time is
      // counted from the new present.
      {5400000, 0},
      {5400000, 0},
      {5400000, 0},
      {5400000, 2},
      {5402000, 0},
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(Take(1, rate, steps[i].now_ms), steps[i].retry_after) << "step " << i;
  }
}

TEST_F(UserBucketTest, UsersAndActionsHaveTheirOwnBuckets) {
  const TokenRate rooms{"room_create", 1, 0.001};
  const TokenRate joins{"membership", 1, 0.001};
  EXPECT_EQ(Take(1, rooms, 1000), 0);
  EXPECT_EQ(Take(1, rooms, 1000), 1000);
  EXPECT_EQ(Take(2, rooms, 1000), 0) << "another user";
  EXPECT_EQ(Take(1, joins, 1000), 0) << "another action";
  EXPECT_EQ(Take(1, joins, 1000), 1000);
}

TEST_F(UserBucketTest, ARefusalWritesNothing) {
  const TokenRate rate{"membership", 1, 1};
  auto row = [this] {
    auto q = db_->Prepare("SELECT tokens, updated_at FROM user_buckets WHERE user_id = 1");
    EXPECT_TRUE(q.Step());
    return std::to_string(q.Real(0)) + " " + std::to_string(q.Int(1));
  };
  EXPECT_EQ(Take(1, rate, 5000), 0);
  const std::string before = row();
  EXPECT_EQ(Take(1, rate, 5000), 1);
  EXPECT_EQ(row(), before);
}

}  // namespace
}  // namespace chat
