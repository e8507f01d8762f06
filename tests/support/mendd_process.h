#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

// Runs the real mendd binary on 127.0.0.1 with a free port and its own data
// directory (a fresh temporary one unless given), for end-to-end tests.
namespace mend::test {

class MenddProcess {
 public:
  explicit MenddProcess(std::vector<std::string> extra_args = {},
                        std::filesystem::path data_dir = {});
  ~MenddProcess();
  MenddProcess(const MenddProcess&) = delete;
  MenddProcess& operator=(const MenddProcess&) = delete;

  // Starts (or starts again, keeping the data directory) and waits until it listens.
  void start();
  // Sends `sig` and waits for the exit; returns the exit status (or 128+signal).
  int stop(int sig = 15, std::chrono::milliseconds timeout = std::chrono::seconds(15));
  void kill_hard() { stop(9); }
  bool running() const { return pid_ > 0; }

  uint16_t port() const { return port_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  std::filesystem::path database() const { return data_dir_ / "mendd.sqlite3"; }
  std::string log() const;  // what mendd wrote to stderr so far

  // Plain HTTP GET on the same port; returns "STATUS\nBODY". `headers` are
  // extra request lines ("Name: value\r\n" each).
  std::string http_get(const std::string& target, const std::string& headers = {}) const;
  // The value of one Prometheus sample line (name with labels, exactly), or -1.
  double metric(const std::string& sample) const;

 private:
  std::vector<std::string> args_;
  std::filesystem::path data_dir_;
  bool own_dir_ = false;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

// Counts rows of a table in mendd's SQLite file (opened read-only).
long count_rows(const std::filesystem::path& db, const std::string& table,
                const std::string& where = "");

// Does the file contain `needle` anywhere (including WAL)?
bool file_contains(const std::filesystem::path& file, const std::string& needle);

}  // namespace mend::test
