#pragma once

#include <sqlite3.h>

namespace mend::server::sqlite {

// Brings the schema up to the newest version (or to `up_to`, for tests of a later
// step), one transaction per step. Returns the resulting version. Refuses a
// database newer than this build.
int migrate(sqlite3* db, int up_to = 0);

}  // namespace mend::server::sqlite
