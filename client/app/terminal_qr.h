#pragma once

#include <string>
#include <string_view>

namespace mend::app {

// `text` as a QR code drawn with Unicode half blocks (two modules per character
// cell, with the quiet zone), for a terminal. Empty if it cannot be encoded.
std::string terminal_qr(std::string_view text);

}  // namespace mend::app
