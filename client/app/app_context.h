#pragma once

// What every `mend` command shares: the global options, where the keystore is,
// the passphrase (asked once), the relay URL, and how to print.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "mend/client/history_store.h"
#include "mend/client/keystore.h"
#include "mend/client/session.h"
#include "mend/client/transport.h"

namespace mend::app {

struct GlobalOptions {
  std::string server;    // --server; else $MEND_SERVER; else the keystore's; else the default
  std::string keystore;  // --keystore; else $MEND_KEYSTORE; else the XDG data directory
  int passphrase_fd = -1;
  bool json = false;
  std::string ca_file;  // --ca-file for wss
};

// A usage problem found before any work is done (exit code 2).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class AppContext {
 public:
  explicit AppContext(const GlobalOptions& options) : options_(options) {}

  const GlobalOptions& options() const { return options_; }
  bool json() const { return options_.json; }

  std::filesystem::path keystore_path() const;
  // From --passphrase-fd, $MEND_PASSPHRASE, or the terminal without echo (twice when
  // `new_passphrase`). Throws UsageError if none is available.
  std::string passphrase(bool new_passphrase = false);
  client::Keystore open_keystore();

  client::ServerUrl server_url(const client::Keystore* keystore) const;
  // Connects and authenticates with the keystore's identity.
  std::unique_ptr<client::Session> connect(const client::Keystore& keystore) const;

  // The pair's local history beside the keystore (makes and saves its key on first use).
  // Throws Error(kNotPaired) without a pair.
  std::unique_ptr<client::HistoryStore> open_history(client::Keystore& keystore) const;

  // Human text: stdout normally, stderr in --json mode (stdout then holds only JSON).
  void say(const std::string& text) const;
  // One JSON document (or JSON line) on stdout, flushed at once.
  void emit_json(const std::string& json) const;

 private:
  const GlobalOptions& options_;
  std::optional<std::string> passphrase_;
};

// True if standard input is a terminal a person can answer on.
bool interactive();

}  // namespace mend::app
