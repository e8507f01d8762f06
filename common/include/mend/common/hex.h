#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mend {

// Lower-case hex of arbitrary bytes. Used for ids in logs and URLs, never for secrets.
std::string to_hex(std::string_view bytes);

// Parses lower- or upper-case hex; nullopt on odd length or a non-hex digit.
std::optional<std::string> from_hex(std::string_view hex);

}  // namespace mend
