#include "mend/common/sodium_init.h"

#include <sodium.h>

#include <stdexcept>

namespace mend {

void ensure_sodium() {
  // sodium_init is itself thread-safe and idempotent (returns 1 when already done).
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

}  // namespace mend
