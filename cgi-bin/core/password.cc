// See password.h.
#include "password.h"

#include <libscrypt.h>

#include <vector>

namespace chat {

std::optional<std::string> HashPassword(const std::string& password) {
  char out[SCRYPT_MCF_LEN + 1] = {0};
  if (libscrypt_hash(out, password.c_str(), 1u << kScryptLogN, kScryptR, kScryptP) != 1) {
    return std::nullopt;
  }
  return std::string(out);
}

bool CheckPassword(const std::string& mcf, const std::string& password) {
  if (mcf.size() > SCRYPT_MCF_LEN) return false;
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
