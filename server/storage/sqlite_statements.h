#pragma once

#include "storage/sqlite_statement.h"

// Every statement SqliteStorage runs, prepared once on its connection.
namespace mend::server::sqlite {

struct Statements {
  explicit Statements(sqlite3* db)
      : get_meta(db, "SELECT value FROM meta WHERE key = ?"),
        put_meta(db, "INSERT INTO meta(key, value) VALUES (?, ?)"),
        insert_event(db,
                     "INSERT INTO events(pair_id, sequence, sender_device_id, client_message_id,"
                     " header, ciphertext, stored_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"
                     " ON CONFLICT DO NOTHING"),
        find_by_client_id(db,
                          "SELECT sequence, stored_at_ms FROM events WHERE pair_id = ?1 AND"
                          " sender_device_id = ?2 AND client_message_id = ?3"
                          " AND client_message_id IS NOT NULL"),
        find_event(db,
                   "SELECT sender_device_id, deleted, tombstone_of FROM events"
                   " WHERE pair_id = ? AND sequence = ?"),
        mark_deleted(db,
                     "UPDATE events SET deleted = 1, ciphertext = NULL"
                     " WHERE pair_id = ? AND sequence = ?"),
        insert_tombstone(db,
                         "INSERT INTO events(pair_id, sequence, sender_device_id, tombstone_of,"
                         " stored_at_ms) VALUES (?, ?, ?, ?, ?)"),
        insert_pair(db, "INSERT INTO pairs(pair_id, created_at_ms) VALUES (?, ?)"),
        insert_member(db,
                      "INSERT INTO pair_members(device_id, pair_id, public_key, joined_at_ms)"
                      " VALUES (?, ?, ?, ?)"),
        find_member(db, "SELECT pair_id FROM pair_members WHERE device_id = ?"),
        members_of(db,
                   "SELECT device_id, public_key FROM pair_members WHERE pair_id = ?"
                   " ORDER BY joined_at_ms, device_id"),
        pair_exists(db, "SELECT 1 FROM pairs WHERE pair_id = ?"),
        max_sequence(db, "SELECT COALESCE(MAX(sequence), 0) FROM events WHERE pair_id = ?"),
        delete_events(db, "DELETE FROM events WHERE pair_id = ?"),
        delete_members(db, "DELETE FROM pair_members WHERE pair_id = ?"),
        delete_pair(db, "DELETE FROM pairs WHERE pair_id = ?"),
        events_after(db,
                     "SELECT sequence, stored_at_ms, sender_device_id, tombstone_of, deleted,"
                     " header, ciphertext FROM events WHERE pair_id = ? AND sequence > ?"
                     " ORDER BY sequence ASC LIMIT ?"),
        events_before(db,
                      "SELECT sequence, stored_at_ms, sender_device_id, tombstone_of, deleted,"
                      " header, ciphertext FROM events WHERE pair_id = ? AND sequence < ?"
                      " ORDER BY sequence DESC LIMIT ?"),
        delete_member(db, "DELETE FROM pair_members WHERE device_id = ?"),
        put_backup(db,
                   "INSERT INTO backups(backup_id, pair_id, device_id, blob, stored_at_ms)"
                   " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
        delete_backup_of(db, "DELETE FROM backups WHERE device_id = ?"),
        move_backup(db, "UPDATE backups SET device_id = ?2 WHERE device_id = ?1"),
        fetch_backup(db, "SELECT blob, stored_at_ms FROM backups WHERE backup_id = ?"),
        backup_owner(db, "SELECT device_id FROM backups WHERE backup_id = ?"),
        delete_backups(db, "DELETE FROM backups WHERE pair_id = ?") {}

  // A stepped but unfinished SELECT keeps a read snapshot open (and blocks WAL
  // checkpoints), so every public call of SqliteStorage leaves all statements reset.
  void reset_all() {
    for (Statement* st : {&get_meta, &put_meta, &insert_event, &find_by_client_id, &find_event,
                          &mark_deleted, &insert_tombstone, &insert_pair, &insert_member,
                          &find_member, &members_of, &pair_exists, &max_sequence, &delete_events,
                          &delete_members, &delete_pair, &events_after, &events_before,
                          &delete_member, &put_backup, &delete_backup_of, &move_backup,
                          &fetch_backup, &backup_owner, &delete_backups})
      st->reset();
  }

  Statement get_meta, put_meta, insert_event, find_by_client_id, find_event, mark_deleted,
      insert_tombstone, insert_pair, insert_member, find_member, members_of, pair_exists,
      max_sequence, delete_events, delete_members, delete_pair, events_after, events_before,
      delete_member, put_backup, delete_backup_of, move_backup, fetch_backup, backup_owner,
      delete_backups;
};

}  // namespace mend::server::sqlite
