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
// that have it (digits, '#', '*'), optionally followed by U+FE0F. So U+1F44D
// (thumbs up), U+2764 and U+2764 U+FE0F (heart), a ZWJ sequence such as
// U+1F469 U+200D U+1F4BB, a flag and a keycap pass; "abc", two thumbs up,
// "ok" followed by one, and "1" do not (tests/api/changes.test.mjs).
bool IsOneEmoji(const std::string& s);

}  // namespace chat
