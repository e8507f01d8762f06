#include "mend/client/keystore_path.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "mend/client/error.h"

namespace mend::client {

namespace {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

std::optional<std::string> passwd_home() {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* result = nullptr;
  if (getpwuid_r(getuid(), &pw, buf.data(), buf.size(), &result) != 0 || result == nullptr ||
      pw.pw_dir == nullptr || *pw.pw_dir == '\0')
    return std::nullopt;
  return std::string(pw.pw_dir);
}

}  // namespace

std::filesystem::path keystore_path(const std::optional<std::filesystem::path>& explicit_path) {
  if (explicit_path && !explicit_path->empty()) return *explicit_path;
  if (auto p = env("MEND_KEYSTORE")) return *p;
  if (auto xdg = env("XDG_DATA_HOME"); xdg && std::filesystem::path(*xdg).is_absolute())
    return std::filesystem::path(*xdg) / "mend" / "keystore";
  std::optional<std::string> home = env("HOME");
  if (!home) home = passwd_home();
  if (!home)
    throw Error(Errc::kNoKeystorePath,
                "set MEND_KEYSTORE, XDG_DATA_HOME or HOME, or pass the keystore path");
  return std::filesystem::path(*home) / ".local" / "share" / "mend" / "keystore";
}

}  // namespace mend::client
