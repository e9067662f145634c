// See emoji.h.
#include "emoji.h"

#include <unicode/uchar.h>
#include <unicode/ustring.h>

#include <vector>

namespace chat {

bool IsOneEmoji(const std::string& s) {
  if (s.empty() || s.size() > kMaxEmojiCodePoints * 4) return false;
  UErrorCode status = U_ZERO_ERROR;
  std::vector<UChar> u16(s.size() * 2 + 1);
  int32_t len = 0;
  u_strFromUTF8(u16.data(), static_cast<int32_t>(u16.size()), &len, s.data(),
                static_cast<int32_t>(s.size()), &status);
  if (U_FAILURE(status) || len == 0) return false;
  int32_t code_points = u_countChar32(u16.data(), len);
  if (code_points > kMaxEmojiCodePoints) return false;
  if (u_stringHasBinaryProperty(u16.data(), len, UCHAR_RGI_EMOJI)) return true;
  UChar32 first;
  int32_t i = 0;
  U16_NEXT(u16.data(), i, len, first);
  if (first < 0x80 || !u_hasBinaryProperty(first, UCHAR_EMOJI)) return false;
  return i == len || (i + 1 == len && u16[i] == 0xFE0F);
}

}  // namespace chat
