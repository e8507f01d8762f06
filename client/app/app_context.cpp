#include "app_context.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "mend/client/error.h"
#include "mend/client/keystore_path.h"

namespace mend::app {

namespace {

std::string read_line_from_fd(int fd) {
  std::string line;
  char c;
  for (;;) {
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;
    line.push_back(c);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Asks on the controlling terminal with echo off.
std::optional<std::string> ask_terminal(const char* prompt) {
  FILE* tty = std::fopen("/dev/tty", "r+");
  if (tty == nullptr) return std::nullopt;
  const int fd = fileno(tty);
  termios old{};
  const bool have_termios = tcgetattr(fd, &old) == 0;
  if (have_termios) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::fputs(prompt, tty);
  std::fflush(tty);
  std::string line = read_line_from_fd(fd);
  if (have_termios) tcsetattr(fd, TCSAFLUSH, &old);
  std::fclose(tty);
  return line;
}

}  // namespace

bool interactive() { return ::isatty(STDIN_FILENO) == 1; }

std::filesystem::path AppContext::keystore_path() const {
  std::optional<std::filesystem::path> explicit_path;
  if (!options_.keystore.empty()) explicit_path = options_.keystore;
  return client::keystore_path(explicit_path);
}

std::string AppContext::passphrase(bool new_passphrase) {
  if (passphrase_) return *passphrase_;
  if (options_.passphrase_fd >= 0) {
    passphrase_ = read_line_from_fd(options_.passphrase_fd);
  } else if (const char* env = std::getenv("MEND_PASSPHRASE"); env != nullptr) {
    passphrase_ = env;
  } else {
    auto first = ask_terminal(new_passphrase ? "New passphrase: " : "Passphrase: ");
    if (!first)
      throw UsageError(
          "no passphrase: run in a terminal, or set MEND_PASSPHRASE, or use --passphrase-fd N");
    if (new_passphrase) {
      auto again = ask_terminal("Repeat the passphrase: ");
      if (!again || *again != *first) throw UsageError("the two passphrases differ");
    }
    passphrase_ = *first;
  }
  if (new_passphrase && passphrase_->empty()) throw UsageError("the passphrase is empty");
  return *passphrase_;
}

client::Keystore AppContext::open_keystore() {
  const auto path = keystore_path();
  if (!std::filesystem::exists(path))
    throw client::Error(client::Errc::kKeystoreNotFound,
                        path.string() + " (run `mend init` first)");
  return client::Keystore::open(path, passphrase());
}

client::ServerUrl AppContext::server_url(const client::Keystore* keystore) const {
  std::string url = options_.server;
  if (url.empty())
    if (const char* env = std::getenv("MEND_SERVER"); env != nullptr && *env != '\0') url = env;
  if (url.empty() && keystore != nullptr) url = keystore->server_url();
  if (url.empty()) url = std::string(client::kDefaultServerUrl);
  try {
    return client::parse_server_url(url);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

std::unique_ptr<client::Session> AppContext::connect(const client::Keystore& keystore) const {
  client::TransportOptions t;
  t.ca_file = options_.ca_file;
  return client::Session::connect(server_url(&keystore), keystore.identity(), t);
}

std::unique_ptr<client::HistoryStore> AppContext::open_history(client::Keystore& keystore) const {
  if (!keystore.pair())
    throw client::Error(client::Errc::kNotPaired, "run `mend pair` or `mend join CODE` first");
  const bool fresh = !keystore.has_local_store_key();
  auto store =
      std::make_unique<client::HistoryStore>(client::HistoryStore::path_beside(keystore.path()),
                                             keystore.local_store_key(), keystore.pair()->pair_id);
  if (fresh) keystore.save();
  return store;
}

void AppContext::say(const std::string& text) const {
  std::ostream& out = options_.json ? std::cerr : std::cout;
  out << text << std::endl;
}

void AppContext::emit_json(const std::string& json) const { std::cout << json << std::endl; }

}  // namespace mend::app
