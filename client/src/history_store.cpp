#include "mend/client/history_store.h"

#include <sodium.h>
#include <sys/stat.h>

#include "bytes.h"
#include "mend/client/kdf.h"
#include "mend/common/ids.h"
#include "mend/common/sodium_init.h"
#include "mend/common/wall_clock.h"
#include "mend/v1/wire.pb.h"
#include "sqlite_statement.h"

namespace mend::client {

using detail::exec;
using detail::Statement;
using detail::u8;

namespace {

constexpr std::string_view kTextLabel = "mend-local-text-v1";

// Version 2. Outgoing rows have sequence NULL until acknowledged. Each sender device
// has its own counter chain (a replaced device's messages stay on theirs).
constexpr const char* kMessagesTable = R"(
CREATE TABLE messages (
  pair_id BLOB NOT NULL,
  sequence INTEGER,
  sender_device_id BLOB NOT NULL,
  from_me INTEGER NOT NULL,
  sender_counter INTEGER NOT NULL,
  client_message_id BLOB NOT NULL,
  stored_at_ms INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL,
  header BLOB NOT NULL,
  ciphertext BLOB NOT NULL,
  envelope_hash BLOB NOT NULL,
  text BLOB,
  state INTEGER NOT NULL,
  kind INTEGER NOT NULL DEFAULT 0,
  UNIQUE (pair_id, sender_device_id, client_message_id),
  UNIQUE (pair_id, sender_device_id, sender_counter)
);
CREATE UNIQUE INDEX messages_by_sequence ON messages (pair_id, sequence);
)";

constexpr const char* kOtherTables = R"(
CREATE TABLE IF NOT EXISTS stream (pair_id BLOB PRIMARY KEY, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS problems (
  pair_id BLOB NOT NULL, at_ms INTEGER NOT NULL, sequence INTEGER NOT NULL,
  kind BLOB NOT NULL, detail BLOB NOT NULL);
)";

constexpr int kSchemaVersion = 2;

int user_version(sqlite3* db) {
  Statement s(db, "PRAGMA user_version");
  return s.step() ? static_cast<int>(s.integer(0)) : 0;
}

// Version 1 had one chain per direction: the sender device comes from each row's
// header (every header names its sender).
void migrate_from_v1(sqlite3* db) {
  exec(db,
       "ALTER TABLE messages RENAME TO messages_v1; DROP INDEX IF EXISTS messages_by_sequence;");
  exec(db, kMessagesTable);
  Statement read(db,
                 "SELECT pair_id, sequence, from_me, sender_counter, client_message_id, "
                 "stored_at_ms, created_at_ms, header, ciphertext, envelope_hash, text, state, "
                 "kind FROM messages_v1");
  while (read.step()) {
    v1::EnvelopeHeader h;
    if (!h.ParseFromString(read.blob(7)))
      throw Error(Errc::kLocalStore, "the local history holds a header that does not parse");
    Statement w(db,
                "INSERT INTO messages (pair_id, sequence, sender_device_id, from_me, "
                "sender_counter, client_message_id, stored_at_ms, created_at_ms, header, "
                "ciphertext, envelope_hash, text, state, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?, ?, ?, ?, ?)");
    w.bind_blob(1, read.blob(0));
    if (read.is_null(1))
      w.bind_null(2);
    else
      w.bind(2, read.integer(1));
    w.bind_blob(3, h.sender_device_id())
        .bind(4, read.integer(2))
        .bind(5, read.integer(3))
        .bind_blob(6, read.blob(4))
        .bind(7, read.integer(5))
        .bind(8, read.integer(6))
        .bind_blob(9, read.blob(7))
        .bind_blob(10, read.blob(8))
        .bind_blob(11, read.blob(9));
    if (read.is_null(10))
      w.bind_null(12);
    else
      w.bind_blob(12, read.blob(10));
    w.bind(13, read.integer(11)).bind(14, read.integer(12));
    w.run();
  }
  exec(db, "DROP TABLE messages_v1;");
}

void migrate(sqlite3* db) {
  exec(db, "BEGIN IMMEDIATE;");
  try {
    const int v = user_version(db);
    if (v > kSchemaVersion)
      throw Error(Errc::kLocalStore,
                  "the local history was written by a newer version of mend; update mend");
    if (v == 0) exec(db, kMessagesTable);
    if (v == 1) migrate_from_v1(db);
    exec(db, kOtherTables);
    exec(db, "PRAGMA user_version = 2;");
    exec(db, "COMMIT;");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK;", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace

std::filesystem::path HistoryStore::path_beside(const std::filesystem::path& keystore_path) {
  std::filesystem::path p = keystore_path;
  p += ".history.sqlite3";
  return p;
}

HistoryStore::HistoryStore(const std::filesystem::path& path, const SecretBytes& local_store_key,
                           std::string pair_id)
    : pair_id_(std::move(pair_id)) {
  ensure_sodium();
  content_key_ = derive_subkey(local_store_key.view(), 1, kdf_context::kLocal, 32);
  const mode_t old = ::umask(077);  // the file is the user's alone, like the keystore
  const int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  ::umask(old);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(Errc::kLocalStore, "cannot open " + path.string() + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  exec(db_, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  try {
    migrate(db_);
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

HistoryStore::~HistoryStore() { sqlite3_close(db_); }

std::string HistoryStore::seal_text(std::string_view cmid, std::string_view text) const {
  // AD binds the text to its message, so rows cannot be swapped undetected.
  std::string ad(kTextLabel);
  ad.append(pair_id_).append(cmid);
  std::string out = random_bytes(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  const size_t n = out.size();
  out.resize(n + text.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(u8(out) + n, &clen, u8(text), text.size(), u8(ad),
                                             ad.size(), nullptr, u8(out), content_key_.data());
  return out;
}

std::string HistoryStore::open_text(std::string_view cmid, std::string_view sealed) const {
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (sealed.size() < kNonce + kTag) throw Error(Errc::kLocalStore, "a stored text is truncated");
  std::string ad(kTextLabel);
  ad.append(pair_id_).append(cmid);
  std::string out(sealed.size() - kNonce - kTag, '\0');
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(u8(out), &mlen, nullptr, u8(sealed) + kNonce,
                                                 sealed.size() - kNonce, u8(ad), ad.size(),
                                                 u8(sealed), content_key_.data()) != 0)
    throw Error(Errc::kLocalStore, "a stored text fails authentication (altered local store)");
  return out;
}

ChainHead HistoryStore::chain_head(std::string_view sender_device_id) {
  Statement s(db_,
              "SELECT sender_counter, envelope_hash FROM messages WHERE pair_id = ? AND "
              "sender_device_id = ? ORDER BY sender_counter DESC LIMIT 1");
  s.bind_blob(1, pair_id_).bind_blob(2, sender_device_id);
  if (!s.step()) return {};
  return ChainHead{static_cast<uint64_t>(s.integer(0)), s.blob(1)};
}

void HistoryStore::add_outgoing(std::string_view own_device_id, uint64_t counter,
                                const WireEnvelope& env, std::string_view hash,
                                std::string_view text, StoredMessage::Kind kind) {
  Statement s(db_,
              "INSERT INTO messages (pair_id, sequence, sender_device_id, from_me, "
              "sender_counter, client_message_id, created_at_ms, header, ciphertext, "
              "envelope_hash, text, state, kind) VALUES (?, NULL, ?, 1, ?, ?, ?, ?, ?, ?, ?, 0, "
              "?)");
  s.bind_blob(1, pair_id_)
      .bind_blob(2, own_device_id)
      .bind(3, static_cast<int64_t>(counter))
      .bind_blob(4, env.client_message_id)
      .bind(5, static_cast<int64_t>(unix_ms()))
      .bind_blob(6, env.header)
      .bind_blob(7, env.ciphertext)
      .bind_blob(8, hash)
      .bind_blob(9, seal_text(env.client_message_id, text))
      .bind(10, static_cast<int64_t>(kind));
  s.run();
}

std::vector<WireEnvelope> HistoryStore::pending_outgoing() {
  Statement s(db_,
              "SELECT client_message_id, header, ciphertext FROM messages WHERE pair_id = ? AND "
              "from_me = 1 AND state = 0 ORDER BY sender_counter");
  s.bind_blob(1, pair_id_);
  std::vector<WireEnvelope> out;
  while (s.step()) out.push_back(WireEnvelope{s.blob(0), s.blob(1), s.blob(2)});
  return out;
}

void HistoryStore::mark_acknowledged(std::string_view cmid, uint64_t sequence,
                                     uint64_t stored_at_ms) {
  Statement s(db_,
              "UPDATE messages SET sequence = ?, stored_at_ms = ?, state = 1 WHERE pair_id = ? "
              "AND from_me = 1 AND client_message_id = ?");
  s.bind(1, static_cast<int64_t>(sequence))
      .bind(2, static_cast<int64_t>(stored_at_ms))
      .bind_blob(3, pair_id_)
      .bind_blob(4, cmid);
  s.run();
}

std::optional<std::string> HistoryStore::hash_at(std::string_view sender_device_id,
                                                 uint64_t counter) {
  Statement s(db_,
              "SELECT envelope_hash FROM messages WHERE pair_id = ? AND sender_device_id = ? AND "
              "sender_counter = ?");
  s.bind_blob(1, pair_id_).bind_blob(2, sender_device_id).bind(3, static_cast<int64_t>(counter));
  if (!s.step()) return std::nullopt;
  return s.blob(0);
}

std::optional<WireEnvelope> HistoryStore::envelope_at(uint64_t sequence) {
  Statement s(db_,
              "SELECT client_message_id, header, ciphertext FROM messages WHERE pair_id = ? AND "
              "sequence = ?");
  s.bind_blob(1, pair_id_).bind(2, static_cast<int64_t>(sequence));
  if (!s.step()) return std::nullopt;
  return WireEnvelope{s.blob(0), s.blob(1), s.blob(2)};
}

void HistoryStore::add_incoming(const IncomingRow& row, const WireEnvelope& env,
                                std::string_view hash, std::string_view text,
                                StoredMessage::Kind kind) {
  Statement s(db_,
              "INSERT INTO messages (pair_id, sequence, sender_device_id, from_me, "
              "sender_counter, client_message_id, stored_at_ms, created_at_ms, header, "
              "ciphertext, envelope_hash, text, state, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
              "?, ?, ?, 1, ?)");
  s.bind_blob(1, pair_id_)
      .bind(2, static_cast<int64_t>(row.sequence))
      .bind_blob(3, row.sender_device_id)
      .bind(4, row.from_me ? 1 : 0)
      .bind(5, static_cast<int64_t>(row.counter))
      .bind_blob(6, env.client_message_id)
      .bind(7, static_cast<int64_t>(row.stored_at_ms))
      .bind(8, static_cast<int64_t>(unix_ms()))
      .bind_blob(9, env.header)
      .bind_blob(10, env.ciphertext)
      .bind_blob(11, hash)
      .bind_blob(12, seal_text(env.client_message_id, text))
      .bind(13, static_cast<int64_t>(kind));
  s.run();
}

void HistoryStore::mark_deleted(uint64_t sequence) {
  Statement s(db_,
              "UPDATE messages SET text = NULL, ciphertext = x'', state = 2 WHERE pair_id = ? AND "
              "sequence = ?");
  s.bind_blob(1, pair_id_).bind(2, static_cast<int64_t>(sequence));
  s.run();
}

uint64_t HistoryStore::stream_position() {
  Statement s(db_, "SELECT position FROM stream WHERE pair_id = ?");
  s.bind_blob(1, pair_id_);
  return s.step() ? static_cast<uint64_t>(s.integer(0)) : 0;
}

void HistoryStore::set_stream_position(uint64_t sequence) {
  Statement s(db_,
              "INSERT INTO stream (pair_id, position) VALUES (?, ?) ON CONFLICT (pair_id) DO "
              "UPDATE SET position = max(position, excluded.position)");
  s.bind_blob(1, pair_id_).bind(2, static_cast<int64_t>(sequence));
  s.run();
}

void HistoryStore::add_problem(const Problem& p) {
  Statement s(db_,
              "INSERT INTO problems (pair_id, at_ms, sequence, kind, detail) VALUES (?, ?, ?, ?, "
              "?)");
  s.bind_blob(1, pair_id_)
      .bind(2, static_cast<int64_t>(p.at_ms))
      .bind(3, static_cast<int64_t>(p.sequence))
      .bind_blob(4, p.kind)
      .bind_blob(5, p.detail);
  s.run();
}

std::vector<Problem> HistoryStore::problems() {
  Statement s(db_,
              "SELECT at_ms, sequence, kind, detail FROM problems WHERE pair_id = ? ORDER BY "
              "rowid");
  s.bind_blob(1, pair_id_);
  std::vector<Problem> out;
  while (s.step())
    out.push_back(Problem{static_cast<uint64_t>(s.integer(0)), static_cast<uint64_t>(s.integer(1)),
                          s.blob(2), s.blob(3)});
  return out;
}

std::vector<StoredMessage> HistoryStore::messages() {
  Statement s(db_,
              "SELECT sequence, from_me, sender_counter, client_message_id, stored_at_ms, "
              "created_at_ms, text, state, kind FROM messages WHERE pair_id = ? "
              "ORDER BY sequence IS NULL, sequence, sender_counter");
  s.bind_blob(1, pair_id_);
  std::vector<StoredMessage> out;
  while (s.step()) {
    StoredMessage m;
    m.sequence = s.is_null(0) ? 0 : static_cast<uint64_t>(s.integer(0));
    m.from_me = s.integer(1) != 0;
    m.sender_counter = static_cast<uint64_t>(s.integer(2));
    m.client_message_id = s.blob(3);
    m.stored_at_ms = static_cast<uint64_t>(s.integer(4));
    m.created_at_ms = static_cast<uint64_t>(s.integer(5));
    m.state = static_cast<StoredMessage::State>(s.integer(7));
    m.kind = static_cast<StoredMessage::Kind>(s.integer(8));
    if (!s.is_null(6)) m.text = open_text(m.client_message_id, s.blob(6));
    out.push_back(std::move(m));
  }
  return out;
}

void HistoryStore::wipe_pair() {
  for (const char* sql :
       {"DELETE FROM messages WHERE pair_id = ?", "DELETE FROM stream WHERE pair_id = ?",
        "DELETE FROM problems WHERE pair_id = ?"}) {
    Statement s(db_, sql);
    s.bind_blob(1, pair_id_);
    s.run();
  }
}

}  // namespace mend::client
