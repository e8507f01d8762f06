#pragma once

#include <sqlite3.h>

#include <filesystem>

#include "storage/storage.h"

namespace mend::server::sqlite {

// Opens the storage thread's connection to the database `file` (created if
// missing) and sets it up: WAL, 1 KiB pages for a new database, the
// durability's synchronous level, the page cache, no automatic checkpoints,
// the schema migrated to the latest version. With full durability it goes
// through the WAL write combiner (sqlite_wal_combiner.h) where that is safe.
// Throws std::runtime_error, with nothing left open, if any of it fails.
sqlite3* open_writer(const std::filesystem::path& file, Durability durability);

}  // namespace mend::server::sqlite
