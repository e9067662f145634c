// Retention (core/retention.h) on a real database made by the migrations: a
// table of messages with ages around each room's cutoff, then PruneBatch
// with a small limit until it finds nothing; exactly the messages created
// before now - retention_days go (the cutoff itself stays: "older than"),
// oldest first, never more than the limit a batch, with their reactions;
// rooms kept forever and deleted rooms are left alone.
#include "core/retention.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "migrated_db.h"

namespace chat {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;

class RetentionTest : public MigratedDbTest {
 protected:
  RetentionTest() : MigratedDbTest("retention") {}
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(MigratedDbTest::SetUp());
    db_->Exec(
        "INSERT INTO users (id, username, username_key, password_hash, created_at) "
        "VALUES (1, 'a', 'a', 'x', 0);"
        "INSERT INTO rooms (id, name, name_key, owner_id, created_at, retention_days, deleted_at) "
        "VALUES (1, 'week', 'week', 1, 0, 7, NULL), (2, 'forever', 'forever', 1, 0, NULL, NULL), "
        "(3, 'day', 'day', 1, 0, 1, NULL), (4, 'gone', 'gone', 1, 0, 1, 1)");
  }

  int64_t Add(int64_t room, int64_t created_at) {
    auto q = db_->Prepare(
        "INSERT INTO messages (room_id, user_id, text, created_at) VALUES (?1, 1, 't', ?2)");
    q.Bind(1, room).Bind(2, created_at).Run();
    int64_t id = db_->LastInsertId();
    db_->Prepare(
           "INSERT INTO reactions (message_id, user_id, emoji, created_at) VALUES (?1, 1, 'x', 0)")
        .Bind(1, id)
        .Run();
    return id;
  }
  bool Exists(int64_t id) {
    return db_->Prepare("SELECT 1 FROM messages WHERE id = ?1").Bind(1, id).Step();
  }
  int64_t Count(const char* sql) {
    auto q = db_->Prepare(sql);
    return q.Step() ? q.Int(0) : -1;
  }
};

TEST_F(RetentionTest, DeletesExactlyWhatIsOlderInBoundedBatches) {
  struct Row {
    int64_t room;
    int64_t age_ms;
    bool kept;
  };
  const std::vector<Row> rows = {
      {1, 7 * kDayMs + 1, false},  // a millisecond past a week
      {1, 7 * kDayMs, true},       // exactly the cutoff: not older
      {1, 7 * kDayMs - 1, true},   //
      {1, 30 * kDayMs, false},     //
      {1, 0, true},                // just now
      {2, 3650 * kDayMs, true},    // forever
      {3, kDayMs + 1, false},      //
      {3, kDayMs - 1000, true},    //
      {3, 2 * kDayMs, false},      //
      {4, 400 * kDayMs, true},     // a deleted room: not this code's business
      {1, -kDayMs, true},          // from the future (a clock stepped back)
  };
  std::vector<int64_t> ids;
  for (const Row& r : rows) ids.push_back(Add(r.room, kNow - r.age_ms));
  // Twenty more old ones in room 3, written after the rest (higher ids).
  for (int i = 0; i < 20; ++i) Add(3, kNow - 5 * kDayMs);
  int batches = 0, total = 0;
  for (;;) {
    int batch = 0;
    for (const Pruned& p : PruneBatch(*db_, kNow, 6)) {
      EXPECT_TRUE(p.room_id == 1 || p.room_id == 3) << p.room_id;
      batch += p.count;
    }
    EXPECT_LE(batch, 6);
    if (batch == 0) break;
    total += batch;
    ++batches;
  }
  EXPECT_EQ(total, 24);
  EXPECT_EQ(batches, 4);  // 24 rows, 6 a batch
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(Exists(ids[i]), rows[i].kept) << "row " << i;
  }
  EXPECT_EQ(Count("SELECT count(*) FROM reactions"), Count("SELECT count(*) FROM messages"));
  EXPECT_EQ(Count("SELECT count(*) FROM messages WHERE room_id = 3"), 1);
}

TEST_F(RetentionTest, DeleteMessagesOlderThanTakesTheOldestFirstAndStopsAtTheLimit) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Add(2, 100 + i));
  Transaction tx(*db_);
  EXPECT_EQ(DeleteMessagesOlderThan(*db_, 2, 1000, 2), 2);
  tx.Commit();
  EXPECT_FALSE(Exists(ids[0]));
  EXPECT_FALSE(Exists(ids[1]));
  EXPECT_TRUE(Exists(ids[2]));
  Transaction tx2(*db_);
  EXPECT_EQ(DeleteMessagesOlderThan(*db_, 2, 103, 100), 1);  // created_at 102 only
  tx2.Commit();
  EXPECT_TRUE(Exists(ids[3]));
  EXPECT_TRUE(Exists(ids[4]));
}

}  // namespace
}  // namespace chat
