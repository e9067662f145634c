// What a piece of Unicode text looks like, as far as the input rules care:
// which characters draw nothing, trimming them, and the key under which two
// room names count as the same. Every answer comes from ICU's Unicode
// Character Database and algorithms (Debian's libicu), not from tables of
// our own, so a new Unicode version arrives with the library. One request
// at a time per process, like the workers: TrimBlank reuses one iterator.
#pragma once

#include <cstdint>
#include <string>

namespace chat {

// True for a code point that draws nothing (or nothing but space) in a
// browser: White_Space, Default_Ignorable_Code_Point (zero-width space and
// joiners, bidi marks, variation selectors, soft hyphen, the Hangul fillers
// U+115F U+1160 U+3164 U+FFA0, tags ...), controls (Cc), and the two graphic
// characters whose glyph is empty by definition (U+2800 BRAILLE PATTERN
// BLANK, U+1D159 MUSICAL SYMBOL NULL NOTEHEAD).
bool IsBlank(int32_t cp);
// Unicode White_Space (u_isUWhiteSpace): spaces, tabs, line breaks.
bool IsSpace(int32_t cp);

// Removes leading and trailing grapheme clusters (UAX #29) made only of
// blank characters. Whole clusters, so "❤\uFE0F" keeps its emoji variation
// selector and "a\u200D" its joiner, while "\u200Bhi\u3164" becomes "hi".
// Bytes that are not UTF-8 count as visible.
std::string TrimBlank(const std::string& s);

// The key under which two room names are the same name: ICU's NFKC_Casefold
// (UAX #15 compatibility normalisation + Unicode full case folding + removal
// of default-ignorables, UTS #31 / UAX #44), then every run of white space
// made one U+0020 and the ends trimmed, since a browser draws a run of
// spaces as one. "GENERAL", "Gen\u200Ceral", "Ｇｅｎｅｒａｌ" and "General\u00A0"
// all give "general"; "Cafe\u0301" and "Caf\u00E9" give "café"; "Straße" gives
// "strasse". Input must be valid UTF-8.
std::string NameKey(const std::string& s);

}  // namespace chat
