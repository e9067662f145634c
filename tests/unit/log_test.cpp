// Log lines (core/log.h): client data cannot forge a line, hide one, or send
// the terminal reading the log a command (issue 11; CWE-117).
#include "core/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace chat {
namespace {

TEST(Log, EscapesEveryControlCharacterOfClientData) {
  struct Case {
    std::string in, out;
  };
  std::vector<Case> cases = {
      {"/api/rooms/1", "/api/rooms/1"},
      {"/api/rooms/1\n2026-01-01T00:00:00.000Z auth[1] error: x",
       "/api/rooms/1\\x0a2026-01-01T00:00:00.000Z auth[1] error: x"},
      {"a\r\nb", "a\\x0d\\x0ab"},
      {"\x1B[2J\x1B]0;owned\x07", "\\x1b[2J\\x1b]0;owned\\x07"},  // clear screen, set title, bell
      {std::string("a\0b", 3), "a\\x00b"},
      {"tab\there\x7F", "tab\\x09here\\x7f"},
      {"c1 \xC2\x9B"
       "31m \xC2\x85",
       "c1 \\xc2\\x9b31m \\xc2\\x85"},              // CSI and NEL as UTF-8
      {"raw \x9B\xFF\xC3", "raw \\x9b\\xff\\xc3"},  // not UTF-8
      {"ls \xE2\x80\xA8 ps \xE2\x80\xA9", "ls \\xe2\\x80\\xa8 ps \\xe2\\x80\\xa9"},
      {"evil\xE2\x80\xAEtxt.exe", "evil\\xe2\\x80\\xaetxt.exe"},  // RIGHT-TO-LEFT OVERRIDE
      {"iso\xE2\x81\xA6x\xE2\x81\xA9", "iso\\xe2\\x81\\xa6x\\xe2\\x81\\xa9"},  // LRI ... PDI
      {"back\\x0aslash", "back\\x5cx0aslash"},  // a literal "\x0a" cannot pass for an escape
      {"caf\xC3\xA9 \xF0\x9F\x98\x80 \xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7",
       "caf\xC3\xA9 \xF0\x9F\x98\x80 \xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7"},  // text stays
      {"zw\xE2\x80\x8Bsp \xE3\x85\xA4",
       "zw\\xe2\\x80\\x8bsp \\xe3\\x85\\xa4"},  // ZWSP, HANGUL FILLER
      {"", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(EscapeForLog(c.in), c.out) << c.in;
  EXPECT_EQ(EscapeForLog("/a b\xC2\xA0"
                         "c",
                         true),
            "/a\\x20b\\xc2\\xa0c");
  EXPECT_EQ(EscapeForLog("/a b"), "/a b");
}

// The whole line as written to stderr: one line, whatever the path holds.
TEST(Log, ARequestIsOneLine) {
  fflush(stderr);
  int saved = dup(2);
  FILE* tmp = tmpfile();
  ASSERT_NE(tmp, nullptr);
  dup2(fileno(tmp), 2);
  LogRequest("rooms", "GET\n",
             "/api/rooms/1\n2026-01-01T00:00:00.000Z auth[1] error: forged\x1B[31m", 404, 1.5, 7);
  LogLine("rooms", "error: \r\nfake line");
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::string text(4096, '\0');
  rewind(tmp);
  text.resize(fread(&text[0], 1, text.size(), tmp));
  fclose(tmp);
  ASSERT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  EXPECT_NE(text.find(" rooms["), std::string::npos) << text;
  EXPECT_NE(text.find("] GET\\x0a /api/rooms/1\\x0a2026-01-01T00:00:00.000Z\\x20auth[1]\\x20error:"
                      "\\x20forged\\x1b[31m 404 1.5ms user=7\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("] error: \\x0d\\x0afake line\n"), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1B'), std::string::npos);
}

}  // namespace
}  // namespace chat
