// Table-driven tests of what an upload's name and declared type become
// (cgi-bin/files/names.h) and of the Content-Disposition sent back.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "files/names.h"

namespace chat {
namespace {

struct Case {
  std::string input;
  std::string want;
};

TEST(FileNames, KeepTheTextWithoutFoldersOrControlCharacters) {
  std::vector<Case> cases = {
      {"photo.png", "photo.png"},
      {"../../etc/passwd", "passwd"},
      {"C:\\Users\\me\\scan.pdf", "scan.pdf"},
      {"a\nb\tc.txt", "a_b_c.txt"},
      {"Grüße.txt", "Grüße.txt"},
      {"", "file"},
      {"   ", "file"},
      {"dir/", "file"},
      {"..", "file"},
      {"\xff\xfe.txt", "file"},  // not UTF-8
      // Bidi overrides and isolates, C1 controls and line separators, as
      // room names refuse them: "invoice<RLO>fdp.exe" would show as
      // "invoiceexe.pdf".
      {"invoice\u202Efdp.exe", "invoice_fdp.exe"},
      {"a\u202A\u202B\u202C\u202Db.txt", "a____b.txt"},
      {"\u2066x\u2069\u2067\u2068.txt", "_x___.txt"},
      {"a\u2028b\u2029c\u0085d.txt", "a_b_c_d.txt"},
      {"mark\u200Fok\u00A0\u2030.txt", "mark\u200Fok\u00A0\u2030.txt"},  // kept: no reordering
      {std::string(300, 'a'), std::string(255, 'a')},
      // Cut on a character boundary: 254 ASCII then a 2-byte character.
      {std::string(254, 'a') + "\xC3\xA9" + "b", std::string(254, 'a')},
  };
  for (const Case& c : cases) EXPECT_EQ(CleanFileName(c.input), c.want) << c.input;
}

TEST(FileNames, ShownTypesArePlainTokensAndNeverImages) {
  std::vector<Case> cases = {
      {"application/pdf", "application/pdf"},
      {"Text/Plain; charset=utf-8", "text/plain"},
      {"image/svg+xml", "application/octet-stream"},
      {"image/png", "application/octet-stream"},
      {"", "application/octet-stream"},
      {"text", "application/octet-stream"},
      {"text/", "application/octet-stream"},
      {"text/html\r\nX-Evil: 1", "application/octet-stream"},
      {"a/b c", "application/octet-stream"},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
       "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
  };
  for (const Case& c : cases) EXPECT_EQ(ShownFileType(c.input), c.want) << c.input;
}

TEST(FileNames, ContentDispositionHasAnAsciiFallbackAndTheExactNameEncoded) {
  EXPECT_EQ(ContentDisposition("attachment", "a b.txt"),
            "attachment; filename=\"a b.txt\"; filename*=UTF-8''a%20b.txt");
  EXPECT_EQ(ContentDisposition("inline", "é\".png"),
            "inline; filename=\"__.png\"; filename*=UTF-8''%C3%A9%22.png");
  // Nothing that could end the header or the quoted string survives raw.
  std::string d = ContentDisposition("attachment", "x\"\r\n;y");
  EXPECT_EQ(d.find('\r'), std::string::npos);
  EXPECT_EQ(d.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace chat
