#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mend/v1/wire.pb.h"

// Parsing and checking of client frames: the first code that touches bytes from
// the network after the WebSocket layer, and the libFuzzer target's subject.
namespace mend::server {

inline constexpr size_t kMaxHeaderBytes = 512;
inline constexpr size_t kMaxPairingPayloadBytes = 4096;
inline constexpr size_t kMaxCodeChars = 64;
inline constexpr uint32_t kMaxHistoryLimit = 500;
inline constexpr uint32_t kDefaultHistoryLimit = 100;
inline constexpr size_t kBackupIdBytes = 32;
inline constexpr size_t kMaxBackupBytes = 64 * 1024;

struct FrameError {
  v1::ErrorCode code = v1::ERROR_CODE_UNSPECIFIED;
  std::string message;
  explicit operator bool() const { return code != v1::ERROR_CODE_UNSPECIFIED; }
};

// A client frame that parsed and whose fields have the sizes the protocol fixes.
// For Send, `header` holds the parsed envelope header.
struct ParsedFrame {
  v1::ClientFrame frame;
  v1::EnvelopeHeader header;
};

// Parses `bytes` into `out`. On failure returns the error to send back; the
// request id is kept in out.frame when it could be read.
FrameError parse_client_frame(std::string_view bytes, ParsedFrame& out);

// A ServerFrame with the version set and `request_id` echoed.
v1::ServerFrame server_frame(uint32_t request_id = 0);
std::string serialize(const v1::ServerFrame& frame);
std::string error_frame(uint32_t request_id, v1::ErrorCode code, std::string_view message,
                        bool fatal);

}  // namespace mend::server
