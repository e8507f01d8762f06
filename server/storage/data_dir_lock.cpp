#include "storage/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace mend::server {

DataDirLock::DataDirLock(const std::filesystem::path& dir) {
  const auto file = dir / "mendd.lock";
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0)
    throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    throw std::runtime_error("another mendd is already using the data directory " + dir.string() +
                             "; stop it or choose another --data-dir");
  }
}

DataDirLock::~DataDirLock() { ::close(fd_); }

}  // namespace mend::server
