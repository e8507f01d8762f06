#pragma once

#include <filesystem>
#include <string>

#include "mend/common/hex.h"
#include "mend/common/ids.h"

namespace mend::test {

// A directory under /tmp removed when the test ends.
struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("mend-unit-" + to_hex(random_bytes(6)));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace mend::test
