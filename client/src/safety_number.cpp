#include "mend/client/safety_number.h"

#include <sodium.h>

#include <stdexcept>

#include "bytes.h"
#include "digit_groups.h"
#include "mend/client/identity.h"
#include "mend/common/sodium_init.h"

namespace mend::client {

namespace {
constexpr std::string_view kLabel = "mend-safety-number-v1";
constexpr size_t kHashBytes = crypto_generichash_BYTES_MAX;  // 64
}  // namespace

std::string couple_safety_number(std::string_view identity_key_a, std::string_view identity_key_b) {
  ensure_sodium();
  if (identity_key_a.size() != kPublicKeyBytes || identity_key_b.size() != kPublicKeyBytes)
    throw std::invalid_argument("couple_safety_number: identity keys must be 32 bytes");
  const int order = identity_key_a.compare(identity_key_b);
  // A device paired with itself is a bug (or an attack reflecting our own key).
  if (order == 0) throw std::invalid_argument("couple_safety_number: the two keys are equal");
  const std::string_view lo = order < 0 ? identity_key_a : identity_key_b;
  const std::string_view hi = order < 0 ? identity_key_b : identity_key_a;

  std::string input;
  input.reserve(kHashBytes + 2 * kPublicKeyBytes);
  input.append(kLabel).append(lo).append(hi);
  std::string h = detail::blake2b(input, kHashBytes);
  for (unsigned i = 2; i <= kSafetyNumberIterations; ++i) {
    input.assign(h).append(lo).append(hi);
    h = detail::blake2b(input, kHashBytes);
  }
  return detail::digit_groups(h, kSafetyNumberGroups);
}

}  // namespace mend::client
