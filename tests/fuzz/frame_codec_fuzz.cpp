// libFuzzer target for the first code that reads network bytes after the
// WebSocket layer: ClientFrame parsing and validation, envelope header included.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "relay/frame_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mend::server::ParsedFrame parsed;
  const auto err = mend::server::parse_client_frame(
      std::string_view(reinterpret_cast<const char*>(data), size), parsed);
  if (!err) {
    // A frame that passed must re-serialise, and its checked sizes must hold.
    (void)parsed.frame.SerializeAsString();
    if (parsed.frame.has_send() && parsed.header.client_message_id().size() != 16) __builtin_trap();
    if (parsed.frame.has_authenticate() && parsed.frame.authenticate().signature().size() != 64)
      __builtin_trap();
  } else if (err.message.empty()) {
    __builtin_trap();  // every refusal explains itself
  }
  return 0;
}
