#pragma once

#include <array>
#include <string_view>

namespace mend::server {

// 256 short, distinct, easy-to-say English words for rendezvous codes.
const std::array<std::string_view, 256>& pairing_words();

}  // namespace mend::server
