// A unit-test fixture over a real SQLite file in a scratch directory,
// brought to the newest schema by the migrations (core/migrate.h) as a
// program's start brings it. A test sets config_ before calling SetUp and
// adds its own rows after it:
//
//   void SetUp() override {
//     config_.login_pair_burst = 3;
//     ASSERT_NO_FATAL_FAILURE(MigratedDbTest::SetUp());
//     db_->Exec("INSERT INTO users ...");
//   }
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "core/config.h"
#include "core/db.h"
#include "core/migrate.h"

namespace chat {

class MigratedDbTest : public ::testing::Test {
 protected:
  // `name` names the scratch directory (/tmp/chat-NAME-XXXXXX) of a test
  // left behind when its TearDown did not run.
  explicit MigratedDbTest(std::string name) : name_(std::move(name)) {}

  void SetUp() override {
    std::string dir = "/tmp/chat-" + name_ + "-XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    config_.db_path = dir_ + "/chat.db";
    sqlite3* raw = nullptr;  // Db::Open opens an existing file only
    ASSERT_EQ(sqlite3_open(config_.db_path.c_str(), &raw), SQLITE_OK);
    sqlite3_close(raw);
    db_ = Db::Open(config_);
    ASSERT_TRUE(Upgrade(*db_, [](const std::string&) {}).ok());
  }
  void TearDown() override {
    db_.reset();
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }

  std::string dir_;
  Config config_;
  std::unique_ptr<Db> db_;

 private:
  std::string name_;
};

}  // namespace chat
