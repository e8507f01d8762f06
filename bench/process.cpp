#include "process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace mend::bench {

namespace fs = std::filesystem;

namespace {

fs::path make_temp_dir(const std::string& name) {
  std::string pattern = (fs::temp_directory_path() / ("mend-bench-" + name + "-XXXXXX")).string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory");
  return pattern;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

ServerProcess::ServerProcess(std::string name, std::string binary, std::vector<std::string> args)
    : name_(std::move(name)), dir_(make_temp_dir(name_)) {
  const fs::path port_file = dir_ / "port";
  const std::string log_path = (dir_ / "log").string();
  std::vector<std::string> argv_s = {binary};
  for (auto& a : args) {
    if (auto at = a.find("{dir}"); at != std::string::npos) a.replace(at, 5, dir_.string());
    argv_s.push_back(a);
  }
  for (const char* a : {"--port", "0", "--port-file"}) argv_s.emplace_back(a);
  argv_s.push_back(port_file.string());

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // The server must not outlive the benchmark, whatever happens to it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) dup2(fd, 2);
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
    }
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file);
    unsigned p = 0;
    if (in >> p && p > 0 && p < 65536) {
      port_ = static_cast<uint16_t>(p);
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      const std::string log = log_tail();
      std::error_code ec;
      fs::remove_all(dir_, ec);
      throw std::runtime_error(
          name_ + " (" + binary + ") exited during start" +
          (WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " (cannot execute it)" : "") + ":\n" +
          log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop();
  throw std::runtime_error(name_ + " did not start listening within 20 s:\n" + log_tail());
}

ServerProcess::~ServerProcess() {
  try {
    stop();
  } catch (...) {
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

int ServerProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int status = 0;
  for (;;) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

std::string ServerProcess::log_tail(size_t max_bytes) const {
  std::string log = read_file(dir_ / "log");
  if (log.size() > max_bytes) log = "..." + log.substr(log.size() - max_bytes);
  return log;
}

Rss read_rss(pid_t pid) {
  std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/status"));
  Rss r;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) r.vm_rss_kib = std::stol(line.substr(6));
    if (line.rfind("RssAnon:", 0) == 0) r.anon_kib = std::stol(line.substr(8));
  }
  return r;
}

namespace {
// schedstat(5 of proc): time on a CPU, time waiting on a run queue (ns), slices.
double run_queue_seconds(const fs::path& task) {
  std::istringstream in(read_file(task / "schedstat"));
  double running = 0, waiting = 0;
  if (!(in >> running >> waiting)) return -1;
  return waiting / 1e9;
}
}  // namespace

std::vector<ThreadCpu> thread_cpu(pid_t pid) {
  std::vector<ThreadCpu> out;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    const std::string stat = read_file(entry.path() / "stat");
    const auto open = stat.find('(');
    const auto close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::vector<std::string> fields;
    std::string f;
    while (fields.size() < 13 && rest >> f) fields.push_back(f);
    if (fields.size() < 13) continue;
    // After the name: state is field 3 of stat(5), utime 14, stime 15.
    const double secs = (std::stod(fields[11]) + std::stod(fields[12])) / tick;
    out.push_back({std::stoi(entry.path().filename().string()),
                   stat.substr(open + 1, close - open - 1), secs, run_queue_seconds(entry.path())});
  }
  return out;
}

double self_wait_seconds() {
  double sum = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc/self/task", ec)) {
    const double w = run_queue_seconds(entry.path());
    if (w < 0) return -1;
    sum += w;
  }
  return ec ? -1 : sum;
}

double self_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

CpuMeter::CpuMeter(pid_t server)
    : server_(server),
      server_start_(thread_cpu(server)),
      client_start_(self_cpu_seconds()),
      client_wait_start_(self_wait_seconds()),
      start_(std::chrono::steady_clock::now()) {}

CpuUse CpuMeter::finish() const {
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  CpuUse use;
  if (wall <= 0) return use;
  use.client_pct = 100 * (self_cpu_seconds() - client_start_) / wall;
  const double client_waited = self_wait_seconds();
  if (client_waited >= 0 && client_wait_start_ >= 0)
    use.client_wait_pct = 100 * (client_waited - client_wait_start_) / wall;
  double server_waited = 0;
  bool wait_known = true;
  for (const ThreadCpu& t : thread_cpu(server_)) {
    double before = 0, waited_before = 0;
    for (const ThreadCpu& s : server_start_)
      if (s.tid == t.tid) {
        before = s.seconds;
        waited_before = s.waited;
      }
    const double pct = 100 * (t.seconds - before) / wall;
    use.server_pct += pct;
    if (t.waited < 0 || waited_before < 0)
      wait_known = false;
    else
      server_waited += t.waited - waited_before;
    if (pct >= 0.5)
      use.server_threads_pct.emplace_back(
          t.name + (t.tid == server_ ? " (main)" : " (tid " + std::to_string(t.tid) + ")"), pct);
  }
  if (wait_known) use.server_wait_pct = 100 * server_waited / wall;
  std::sort(use.server_threads_pct.begin(), use.server_threads_pct.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  return use;
}

IoCounters read_io(pid_t pid) {
  std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/io"));
  IoCounters io;
  std::string key;
  double value = 0;
  while (in >> key >> value) {
    if (key == "rchar:") io.rchar = value;
    if (key == "wchar:") io.wchar = value;
    if (key == "write_bytes:") io.write_bytes = value;
  }
  return io;
}

std::map<std::string, double> scrape_metrics(uint16_t port) {
  std::map<std::string, double> out;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return out;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string resp;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[8192];
      ssize_t n;
      // Bounded: mendd closes after the response, and each read waits at most 5 s.
      while (resp.size() < (1u << 20) && (n = read(fd, buf, sizeof buf)) > 0)
        resp.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  const auto body = resp.find("\r\n\r\n");
  if (body == std::string::npos) return out;
  std::istringstream in(resp.substr(body + 4));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    try {
      out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
    } catch (...) {
    }
  }
  return out;
}

long raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return -1;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  return static_cast<long>(lim.rlim_cur);
}

}  // namespace mend::bench
