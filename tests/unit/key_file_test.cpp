// Table-driven tests of loading the session key file (core/session.h): a
// file that is there but unusable is refused with its name and what is
// wrong, and is left as it was (never silently replaced, which would sign
// everyone out); only a missing file is made.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/session.h"

namespace chat {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class KeyFileLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/chat-keyload-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/chat.db.secret";
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }
  void Write(const std::string& bytes) { std::ofstream(path_, std::ios::binary) << bytes; }
  std::string dir_, path_;
};

TEST_F(KeyFileLoadTest, BrokenFilesAreRefusedNamingTheFileAndTheFault) {
  struct Case {
    std::string contents;
    std::string says;
  };
  std::vector<Case> cases = {
      {"short", "holds 5 bytes, not the 32"},
      {"", "holds 0 bytes, not the 32"},
      {std::string(31, 'k'), "holds 31 bytes"},
      {std::string(33, 'k'), "holds more than 32 bytes"},
      {std::string(4096, 'k'), "holds more than 32 bytes"},
  };
  for (const Case& c : cases) {
    Write(c.contents);
    Result<SessionKey> key = LoadOrCreateKey(path_);
    ASSERT_FALSE(key.ok()) << c.says;
    const std::string& message = key.error().message;
    EXPECT_NE(message.find(path_), std::string::npos) << message;
    EXPECT_NE(message.find(c.says), std::string::npos) << message;
    EXPECT_NE(message.find("chatctl secret rotate"), std::string::npos) << message;
    EXPECT_EQ(Slurp(path_), c.contents) << "the broken file is left for the admin to look at";
    EXPECT_FALSE(KeyFile::Open(path_).ok()) << c.says;
  }
}

TEST_F(KeyFileLoadTest, AFolderInItsPlaceCannotBeRead) {
  ASSERT_EQ(mkdir(path_.c_str(), 0700), 0);
  Result<SessionKey> key = LoadOrCreateKey(path_);
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.error().message.find(path_ + " cannot be read: Is a directory"), std::string::npos)
      << key.error().message;
}

TEST_F(KeyFileLoadTest, OnlyAMissingFileIsMadeAndAGoodOneIsReadAsItIs) {
  Result<SessionKey> made = LoadOrCreateKey(path_);
  ASSERT_TRUE(made.ok());
  SessionKey good{};
  good.fill(0x42);
  Write(std::string(good.begin(), good.end()));
  Result<SessionKey> read = LoadOrCreateKey(path_);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read.value(), good);
}

TEST_F(KeyFileLoadTest, AMissingFileThatCannotBeMadeSaysSo) {
  std::string path = dir_ + "/no-such-folder/chat.db.secret";
  Result<SessionKey> key = LoadOrCreateKey(path);
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.error().message.find(path + " missing, and it could not be created"),
            std::string::npos)
      << key.error().message;
}

}  // namespace
}  // namespace chat
