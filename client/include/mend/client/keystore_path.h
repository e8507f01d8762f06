#pragma once

#include <filesystem>
#include <optional>

namespace mend::client {

// Where the keystore lives, first match wins:
//   1. `explicit_path` (the app's --keystore flag), if given and non-empty
//   2. $MEND_KEYSTORE, if set and non-empty
//   3. $XDG_DATA_HOME/mend/keystore, if XDG_DATA_HOME is an absolute path (the XDG
//      Base Directory spec says to ignore a relative one)
//   4. $HOME/.local/share/mend/keystore, else the passwd entry's home directory
// Throws Error(kNoKeystorePath) if none applies.
std::filesystem::path keystore_path(const std::optional<std::filesystem::path>& explicit_path = {});

}  // namespace mend::client
