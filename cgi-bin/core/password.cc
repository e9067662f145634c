// See password.h.
#include "password.h"

#include <libscrypt.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace chat {

std::optional<std::string> HashPassword(const std::string& password) {
  char out[SCRYPT_MCF_LEN + 1] = {0};
  if (libscrypt_hash(out, password.c_str(), 1u << kScryptLogN, kScryptR, kScryptP) != 1) {
    return std::nullopt;
  }
  return std::string(out);
}

namespace {

bool IsBase64(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
  });
}

// Exactly the shape libscrypt_hash writes: "$s1$" NNrrpp "$" base64(16-byte
// salt) "$" base64(64-byte hash), with parameters in a sane range. A
// corrupted or tampered hash is refused before libscrypt parses it, so it can
// neither match nor make one login allocate gigabytes (r and p up to 255).
bool IsWellFormedMcf(const std::string& mcf) {
  if (mcf.size() != 4 + 6 + 1 + 24 + 1 + 88 || mcf.compare(0, 4, "$s1$") != 0 || mcf[10] != '$' ||
      mcf[35] != '$') {
    return false;
  }
  std::string params = mcf.substr(4, 6);
  if (!std::all_of(params.begin(), params.end(), [](char c) { return std::isxdigit(c) != 0; })) {
    return false;
  }
  unsigned long v = std::stoul(params, nullptr, 16);
  unsigned log_n = v >> 16, r = (v >> 8) & 0xff, p = v & 0xff;
  return log_n >= 10 && log_n <= 20 && r >= 1 && r <= 32 && p >= 1 && p <= 16 &&
         IsBase64(mcf.substr(11, 24)) && IsBase64(mcf.substr(36));
}

}  // namespace

bool CheckPassword(const std::string& mcf, const std::string& password) {
  if (!IsWellFormedMcf(mcf)) return false;
  std::vector<char> copy(mcf.begin(), mcf.end());  // libscrypt_check writes into its argument
  copy.push_back('\0');
  return libscrypt_check(copy.data(), password.c_str()) == 1;
}

void CheckPasswordAgainstDummy(const std::string& password) {
  // A real hash at the same parameters (N=2^15, r=8, p=3) of a random
  // password nobody kept, so the first unknown-user login of a process costs
  // no more than the others.
  static const std::string kDummy =
      "$s1$0f0803$stgzWGrbp1d5UFYF3+0M1w==$c2OwcYd4Gq8yYsu0ibchJn/pMgD6c42zoPnE08OWv3Oy2B6VA/"
      "IxsUDo15XiM+YI3UcLPeU/nbdjoNZLy8E6ow==";
  CheckPassword(kDummy, password);
}

}  // namespace chat
