#include "atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "mend/client/error.h"

namespace mend::client::detail {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& p, int err) {
  throw Error(Errc::kIo, what + " " + p.string() + ": " + std::strerror(err));
}

// mkdir -p with 0700 for every directory it creates (existing ones are left alone):
// the keystore's directory should not be listable by other users.
void make_private_dirs(const fs::path& dir) {
  if (dir.empty()) return;
  fs::path partial;
  for (const auto& part : dir) {
    partial /= part;
    std::error_code ec;
    if (fs::is_directory(partial, ec)) continue;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST)
      fail("cannot create directory", partial, errno);
  }
}

void write_all(int fd, std::string_view bytes, const fs::path& p) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", p, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) fail("cannot fsync directory", dir, err);
}

// Moves tmp to path unless path exists, atomically. renameat2(RENAME_NOREPLACE)
// where the filesystem supports it, else link()+unlink(), which is atomic too.
void rename_no_replace(const fs::path& tmp, const fs::path& path) {
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) return;
  if (errno == EEXIST) throw Error(Errc::kKeystoreExists, path.string());
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
    fail("cannot move the new keystore into place at", path, errno);
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    if (errno == EEXIST) throw Error(Errc::kKeystoreExists, path.string());
    fail("cannot move the new keystore into place at", path, errno);
  }
  ::unlink(tmp.c_str());
}

}  // namespace

void write_file_atomically(const fs::path& path, std::string_view bytes, IfExists if_exists) {
  const fs::path dir = path.parent_path();
  make_private_dirs(dir);

  std::string tmpl = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());  // O_EXCL, mode 0600
  if (fd < 0) fail("cannot create a temporary file in", dir, errno);
  const fs::path tmp = tmpl;
  try {
    if (::fchmod(fd, 0600) != 0) fail("cannot set mode 0600 on", tmp, errno);
    write_all(fd, bytes, tmp);
    if (::fsync(fd) != 0) fail("cannot fsync", tmp, errno);
    const int rc = ::close(fd);
    fd = -1;
    if (rc != 0) fail("cannot close", tmp, errno);
    if (if_exists == IfExists::kReplace) {
      if (::rename(tmp.c_str(), path.c_str()) != 0)
        fail("cannot move the new keystore into place at", path, errno);
    } else {
      rename_no_replace(tmp, path);
    }
  } catch (...) {
    // Nothing is left behind: the old file (if any) is untouched, the temporary gone.
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  // Without this the rename itself may not survive a power cut.
  fsync_dir(dir);
}

}  // namespace mend::client::detail
