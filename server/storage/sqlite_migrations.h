#pragma once

#include <sqlite3.h>

namespace mend::server::sqlite {

// Brings the schema up to the newest version, one transaction per step.
// Returns the resulting version. Refuses a database newer than this build.
int migrate(sqlite3* db);

}  // namespace mend::server::sqlite
