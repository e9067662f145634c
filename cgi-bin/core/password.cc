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
  // Made once per process with the same parameters as real hashes.
  static const std::string dummy = HashPassword("dummy password for unknown users").value_or("");
  CheckPassword(dummy, password);
}

}  // namespace chat
