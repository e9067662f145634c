// What counts as one emoji for a reaction (DESIGN.md: "one emoji, at most 8
// code points"): the answer comes from ICU's copy of Unicode's emoji data
// (UTS #51), not from tables of our own.
#pragma once

#include <string>

namespace chat {

constexpr int kMaxEmojiCodePoints = 8;

// True when `s` is valid UTF-8 of 1 to kMaxEmojiCodePoints code points that
// together form one emoji: an RGI emoji (UTS #51 ED-27: a single emoji,
// a keycap, a flag, a modifier or ZWJ sequence; ICU's UCHAR_RGI_EMOJI), or a
// single code point with the Emoji property other than the ASCII characters
// that have it (digits, '#', '*'), optionally followed by U+FE0F. So "👍",
// "❤", "❤️", "👩‍💻", "🇫🇷" and "1️⃣" pass; "abc", "👍👍", "ok👍" and "1"
// do not.
bool IsOneEmoji(const std::string& s);

}  // namespace chat
