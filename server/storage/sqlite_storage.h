#pragma once

#include <filesystem>
#include <memory>

#include "storage/storage.h"

namespace mend::server {

// Opens (creating if needed) <data_dir>/mendd.sqlite3 in WAL mode and runs the
// schema migrations. Throws std::runtime_error with a readable message on failure.
std::unique_ptr<Storage> open_sqlite_storage(const std::filesystem::path& data_dir,
                                             Durability durability);

}  // namespace mend::server
