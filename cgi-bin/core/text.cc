// See text.h. The ICU objects are made once per process (a worker serves one
// request at a time), and the text is read in place as UTF-8 (UText), so
// trimming a 4,000-character message copies nothing.
#include "text.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>

#include <memory>
#include <stdexcept>

namespace chat {
namespace {

void Check(UErrorCode status, const char* what) {
  if (U_FAILURE(status)) throw std::runtime_error(std::string(what) + ": " + u_errorName(status));
}

// Grapheme cluster boundaries (UAX #29), root locale. An iterator holds the
// text it walks: one per thread (serve.cc's CHAT_WORKER_THREADS).
icu::BreakIterator& Clusters() {
  thread_local const std::unique_ptr<icu::BreakIterator> it = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> b(
        icu::BreakIterator::createCharacterInstance(icu::Locale::getRoot(), status));
    Check(status, "ICU grapheme break iterator");
    return b;
  }();
  return *it;
}

// True when every code point of s[begin, end) is blank; ill-formed UTF-8 is not.
bool BlankRange(const std::string& s, int32_t begin, int32_t end) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  for (int32_t i = begin; i < end;) {
    UChar32 cp;
    U8_NEXT(p, i, end, cp);
    if (cp < 0 || !IsBlank(cp)) return false;
  }
  return true;
}

}  // namespace

bool IsBlank(int32_t cp) {
  return u_isUWhiteSpace(cp) || u_hasBinaryProperty(cp, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
         u_charType(cp) == U_CONTROL_CHAR || cp == 0x2800 || cp == 0x1D159;
}

bool IsSpace(int32_t cp) { return u_isUWhiteSpace(cp); }

std::string TrimBlank(const std::string& s) {
  UErrorCode status = U_ZERO_ERROR;
  icu::LocalUTextPointer text(
      utext_openUTF8(nullptr, s.data(), static_cast<int64_t>(s.size()), &status));
  Check(status, "ICU UText");
  icu::BreakIterator& it = Clusters();
  it.setText(text.getAlias(), status);
  Check(status, "ICU setText");
  // From each end only as far as the first visible cluster: a long message
  // costs no more than a short one.
  int32_t first = -1, last = -1;
  for (int32_t a = it.first(), b = it.next(); b != icu::BreakIterator::DONE; a = b, b = it.next()) {
    if (!BlankRange(s, a, b)) {
      first = a;
      break;
    }
  }
  if (first >= 0) {
    for (int32_t b = it.last(), a = it.previous(); a != icu::BreakIterator::DONE;
         b = a, a = it.previous()) {
      if (!BlankRange(s, a, b)) {
        last = b;
        break;
      }
    }
  }
  // The iterator keeps a pointer to s; point it at a text that stays.
  static const icu::UnicodeString kNothing;
  it.setText(kNothing);
  return first < 0 || last <= first ? std::string() : s.substr(first, last - first);
}

std::string NameKey(const std::string& s) {
  static const icu::Normalizer2* const nfkc_cf = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
    Check(status, "ICU NFKC_Casefold");  // throws, so the next call tries again
    return n;
  }();
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString folded = nfkc_cf->normalize(icu::UnicodeString::fromUTF8(s), status);
  Check(status, "ICU normalize");
  icu::UnicodeString key;
  bool space = false;
  for (int32_t i = 0; i < folded.length(); i = folded.moveIndex32(i, 1)) {
    UChar32 cp = folded.char32At(i);
    if (u_isUWhiteSpace(cp)) {
      space = !key.isEmpty();
      continue;
    }
    if (space) key.append(static_cast<UChar32>(' '));
    space = false;
    key.append(cp);
  }
  std::string out;
  return key.toUTF8String(out);
}

}  // namespace chat
