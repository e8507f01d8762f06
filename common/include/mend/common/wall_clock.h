#pragma once

#include <cstdint>

namespace mend {

// Milliseconds since the Unix epoch (system clock): for timestamps shown to people
// and stored with messages. Use steady clocks for timeouts.
uint64_t unix_ms();

}  // namespace mend
