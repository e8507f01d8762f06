#pragma once

namespace mend {

// Initialises libsodium once per process; throws std::runtime_error if it cannot.
// Safe to call from any thread, any number of times.
void ensure_sodium();

}  // namespace mend
