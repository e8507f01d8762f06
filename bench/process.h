#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

// The servers under test run as child processes on 127.0.0.1, each with its own
// temporary directory (data, port file, log). Also: the OS figures the
// benchmark reads (RSS, CPU time per thread) and the file-descriptor limit.
namespace mend::bench {

class ServerProcess {
 public:
  // Runs `binary args... --port 0 --port-file DIR/port` with stderr to DIR/log
  // and waits (at most 20 s) until the port file appears. `args` may use
  // "{dir}", replaced by the temporary directory. Throws if it does not start.
  ServerProcess(std::string name, std::string binary, std::vector<std::string> args);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // SIGTERM, then wait up to 20 s (SIGKILL after that). Returns the exit
  // status, or 128 + signal. Idempotent (later calls return -1).
  int stop();

  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }
  const std::string& name() const { return name_; }
  // The last `max_bytes` the server wrote to stderr.
  std::string log_tail(size_t max_bytes = 4000) const;

 private:
  std::string name_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

// VmRSS and RssAnon of a process in KiB (-1 if unreadable).
struct Rss {
  long vm_rss_kib = -1;
  long anon_kib = -1;
};
Rss read_rss(pid_t pid);

// CPU seconds (user + system) of every thread of a process, by thread name, and
// the seconds it was runnable but waited for a core (-1 without schedstat).
struct ThreadCpu {
  int tid;
  std::string name;
  double seconds;
  double waited = -1;
};
std::vector<ThreadCpu> thread_cpu(pid_t pid);
// CPU seconds of this process (all threads).
double self_cpu_seconds();
// Seconds this process's threads have waited for a core, summed (-1 if unknown).
double self_wait_seconds();

// CPU used by a server (per thread) and by this process between start and finish(),
// as a percentage of one core: tells whether a side was saturated. The wait
// figures are the time threads were ready to run but every core was taken (the
// run queue), summed over threads; -1 when the kernel does not say.
struct CpuUse {
  double server_pct = 0;
  std::vector<std::pair<std::string, double>> server_threads_pct;  // busiest first
  double client_pct = 0;
  double server_wait_pct = -1;
  double client_wait_pct = -1;
};
class CpuMeter {
 public:
  explicit CpuMeter(pid_t server);
  CpuUse finish() const;

 private:
  pid_t server_;
  std::vector<ThreadCpu> server_start_;
  double client_start_;
  double client_wait_start_;
  std::chrono::steady_clock::time_point start_;
};

// Bytes a process handed to write()/pwrite() (wchar), read() (rchar), and that
// reached the block layer (write_bytes), from /proc/PID/io; -1 if unreadable.
struct IoCounters {
  double rchar = -1, wchar = -1, write_bytes = -1;
};
IoCounters read_io(pid_t pid);

// mendd's /metrics (Prometheus text) as "name{labels}" -> value; empty on failure.
std::map<std::string, double> scrape_metrics(uint16_t port);

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
long raise_fd_limit();

}  // namespace mend::bench
