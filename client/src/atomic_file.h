#pragma once

#include <filesystem>
#include <string_view>

namespace mend::client::detail {

enum class IfExists { kRefuse, kReplace };

// Writes `bytes` to `path` so that a crash at any moment leaves either the old file
// or the complete new one, never a mix: a temporary file (mode 0600) beside it,
// fsync, rename over (or, with kRefuse, an atomic no-replace rename), fsync of the
// directory. Missing parent directories are created with mode 0700.
// Throws Error(kKeystoreExists) under kRefuse when `path` exists, Error(kIo) otherwise.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                           IfExists if_exists);

}  // namespace mend::client::detail
