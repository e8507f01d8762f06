#include "mend/client/history_store.h"

#include <sodium.h>
#include <sys/stat.h>

#include "bytes.h"
#include "mend/client/kdf.h"
#include "mend/common/ids.h"
#include "mend/common/sodium_init.h"
#include "mend/common/wall_clock.h"
#include "sqlite_statement.h"

namespace mend::client {

using detail::exec;
using detail::Statement;
using detail::u8;

namespace {

constexpr std::string_view kTextLabel = "mend-local-text-v1";

// Version 1. Outgoing rows have sequence NULL until acknowledged.
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS messages (
  pair_id BLOB NOT NULL,
  sequence INTEGER,
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
  UNIQUE (pair_id, from_me, client_message_id),
  UNIQUE (pair_id, from_me, sender_counter)
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_sequence ON messages (pair_id, sequence);
CREATE TABLE IF NOT EXISTS stream (pair_id BLOB PRIMARY KEY, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS problems (
  pair_id BLOB NOT NULL, at_ms INTEGER NOT NULL, sequence INTEGER NOT NULL,
  kind BLOB NOT NULL, detail BLOB NOT NULL);
PRAGMA user_version = 1;
)";

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
  exec(db_, kSchema);
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

namespace {
ChainHead head(sqlite3* db, std::string_view pair_id, int from_me) {
  Statement s(db,
              "SELECT sender_counter, envelope_hash FROM messages WHERE pair_id = ? AND "
              "from_me = ? ORDER BY sender_counter DESC LIMIT 1");
  s.bind_blob(1, pair_id).bind(2, from_me);
  if (!s.step()) return {};
  return ChainHead{static_cast<uint64_t>(s.integer(0)), s.blob(1)};
}
}  // namespace

ChainHead HistoryStore::own_head() { return head(db_, pair_id_, 1); }
ChainHead HistoryStore::partner_head() { return head(db_, pair_id_, 0); }

void HistoryStore::add_outgoing(uint64_t counter, const WireEnvelope& env, std::string_view hash,
                                std::string_view text, StoredMessage::Kind kind) {
  Statement s(db_,
              "INSERT INTO messages (pair_id, sequence, from_me, sender_counter, "
              "client_message_id, created_at_ms, header, ciphertext, envelope_hash, text, state, "
              "kind) VALUES (?, NULL, 1, ?, ?, ?, ?, ?, ?, ?, 0, ?)");
  s.bind_blob(1, pair_id_)
      .bind(2, static_cast<int64_t>(counter))
      .bind_blob(3, env.client_message_id)
      .bind(4, static_cast<int64_t>(unix_ms()))
      .bind_blob(5, env.header)
      .bind_blob(6, env.ciphertext)
      .bind_blob(7, hash)
      .bind_blob(8, seal_text(env.client_message_id, text))
      .bind(9, static_cast<int64_t>(kind));
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

std::optional<std::string> HistoryStore::partner_hash_at(uint64_t counter) {
  Statement s(db_,
              "SELECT envelope_hash FROM messages WHERE pair_id = ? AND from_me = 0 AND "
              "sender_counter = ?");
  s.bind_blob(1, pair_id_).bind(2, static_cast<int64_t>(counter));
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

void HistoryStore::add_incoming(uint64_t sequence, uint64_t stored_at_ms, uint64_t counter,
                                const WireEnvelope& env, std::string_view hash,
                                std::string_view text, StoredMessage::Kind kind) {
  Statement s(db_,
              "INSERT INTO messages (pair_id, sequence, from_me, sender_counter, "
              "client_message_id, stored_at_ms, created_at_ms, header, ciphertext, "
              "envelope_hash, text, state, kind) VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)");
  s.bind_blob(1, pair_id_)
      .bind(2, static_cast<int64_t>(sequence))
      .bind(3, static_cast<int64_t>(counter))
      .bind_blob(4, env.client_message_id)
      .bind(5, static_cast<int64_t>(stored_at_ms))
      .bind(6, static_cast<int64_t>(unix_ms()))
      .bind_blob(7, env.header)
      .bind_blob(8, env.ciphertext)
      .bind_blob(9, hash)
      .bind_blob(10, seal_text(env.client_message_id, text))
      .bind(11, static_cast<int64_t>(kind));
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
