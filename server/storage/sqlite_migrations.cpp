#include "storage/sqlite_migrations.h"

#include <algorithm>
#include <array>
#include <string>

#include "mend/common/wall_clock.h"
#include "storage/sqlite_statement.h"

namespace mend::server::sqlite {

namespace {

// Each entry moves the schema from version i to i+1. Never edit a released
// entry; append a new one.
constexpr std::array kMigrations = {
    // 1: pairs, their two members, and the sequenced events of each pair.
    R"sql(
    CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
    CREATE TABLE pairs (
      pair_id BLOB PRIMARY KEY,
      created_at_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE pair_members (
      device_id BLOB PRIMARY KEY,
      pair_id BLOB NOT NULL REFERENCES pairs(pair_id) ON DELETE CASCADE,
      public_key BLOB NOT NULL,
      joined_at_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX pair_members_by_pair ON pair_members(pair_id);
    CREATE TABLE events (
      pair_id BLOB NOT NULL,
      sequence INTEGER NOT NULL,
      sender_device_id BLOB NOT NULL,
      client_message_id BLOB,
      header BLOB,
      ciphertext BLOB,
      deleted INTEGER NOT NULL DEFAULT 0,
      tombstone_of INTEGER,
      stored_at_ms INTEGER NOT NULL,
      PRIMARY KEY (pair_id, sequence)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX events_by_client_id
      ON events(pair_id, sender_device_id, client_message_id)
      WHERE client_message_id IS NOT NULL;
    )sql",
    // 2: the idempotency index leads with the client message id. Clients make
    // ids that start with an increasing big-endian value (docs/PROTOCOL.md),
    // so new entries land at the end of the index instead of on a random page
    // per message: a group commit then rewrites a few index pages, not one
    // per message. Uniqueness stays scoped to (pair, sender).
    R"sql(
    DROP INDEX events_by_client_id;
    CREATE UNIQUE INDEX events_by_client_id_v2
      ON events(client_message_id, pair_id, sender_device_id)
      WHERE client_message_id IS NOT NULL;
    )sql",
    // 3: events move to an ordinary rowid table, appended in arrival order, with
    // (pair, sequence) as a unique index. In the WITHOUT ROWID table of version 1
    // a row may keep only ~230 bytes on a 1 KiB page, so every message of a usual
    // size spilled into an overflow page of its own, and each group commit
    // rewrote a leaf per pair plus an overflow page per message. Appended rows
    // fill pages densely instead, and the two indexes hold only short keys.
    R"sql(
    CREATE TABLE events_v3 (
      id INTEGER PRIMARY KEY,
      pair_id BLOB NOT NULL,
      sequence INTEGER NOT NULL,
      sender_device_id BLOB NOT NULL,
      client_message_id BLOB,
      header BLOB,
      ciphertext BLOB,
      deleted INTEGER NOT NULL DEFAULT 0,
      tombstone_of INTEGER,
      stored_at_ms INTEGER NOT NULL
    );
    INSERT INTO events_v3(pair_id, sequence, sender_device_id, client_message_id, header,
                          ciphertext, deleted, tombstone_of, stored_at_ms)
      SELECT pair_id, sequence, sender_device_id, client_message_id, header, ciphertext,
             deleted, tombstone_of, stored_at_ms
      FROM events ORDER BY stored_at_ms, pair_id, sequence;
    DROP TABLE events;
    ALTER TABLE events_v3 RENAME TO events;
    CREATE UNIQUE INDEX events_by_pair_sequence ON events(pair_id, sequence);
    CREATE UNIQUE INDEX events_by_client_id_v3
      ON events(client_message_id, pair_id, sender_device_id)
      WHERE client_message_id IS NOT NULL;
    )sql",
    // 4: key backups (docs/PROTOCOL.md, "Key backups"): one opaque blob per
    // device, found by an id the client derives from its recovery code, and
    // deleted with the pair.
    R"sql(
    CREATE TABLE backups (
      backup_id BLOB NOT NULL UNIQUE,
      pair_id BLOB NOT NULL REFERENCES pairs(pair_id) ON DELETE CASCADE,
      device_id BLOB NOT NULL UNIQUE,
      blob BLOB NOT NULL,
      stored_at_ms INTEGER NOT NULL
    );
    CREATE INDEX backups_by_pair ON backups(pair_id);
    )sql",
};

}  // namespace

int migrate(sqlite3* db, int up_to) {
  const int target = up_to > 0 ? std::min(up_to, static_cast<int>(kMigrations.size()))
                               : static_cast<int>(kMigrations.size());
  exec(db,
       "CREATE TABLE IF NOT EXISTS schema_migrations ("
       " version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)");
  int current = 0;
  {
    Statement q(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (q.step()) current = static_cast<int>(q.int64(0));
  }
  if (current > static_cast<int>(kMigrations.size()))
    throw std::runtime_error("database schema version " + std::to_string(current) +
                             " is newer than this mendd understands (" +
                             std::to_string(kMigrations.size()) +
                             "); run a newer mendd or restore a backup");
  for (int v = current; v < target; ++v) {
    exec(db, "BEGIN IMMEDIATE");
    try {
      exec(db, kMigrations[static_cast<size_t>(v)]);
      Statement ins(db, "INSERT INTO schema_migrations(version, applied_at_ms) VALUES (?, ?)");
      ins.bind(1, static_cast<int64_t>(v + 1)).bind(2, unix_ms()).step();
      exec(db, "COMMIT");
    } catch (...) {
      exec(db, "ROLLBACK");
      throw;
    }
  }
  return std::max(current, target);
}

}  // namespace mend::server::sqlite
