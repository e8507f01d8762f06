#include "mendd_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "mend/common/hex.h"
#include "mend/common/ids.h"

#ifndef MENDD_PATH
#error "MENDD_PATH must name the mendd binary"
#endif

namespace mend::test {

MenddProcess::MenddProcess(std::vector<std::string> extra_args, std::filesystem::path data_dir)
    : args_(std::move(extra_args)), data_dir_(std::move(data_dir)) {
  if (data_dir_.empty()) {
    data_dir_ = std::filesystem::temp_directory_path() / ("mendd-test-" + to_hex(random_bytes(6)));
    own_dir_ = true;
  }
  std::filesystem::create_directories(data_dir_);
  start();
}

MenddProcess::~MenddProcess() {
  if (pid_ > 0) stop(9);
  if (own_dir_ && !std::getenv("MEND_KEEP_TEST_DATA")) {
    std::error_code ec;
    std::filesystem::remove_all(data_dir_, ec);
  }
}

void MenddProcess::start() {
  if (pid_ > 0) throw std::logic_error("mendd is already running");
  const auto port_file = data_dir_ / "port";
  std::filesystem::remove(port_file);
  std::vector<std::string> argv_s = {MENDD_PATH,         "--port",           "0",
                                     "--data-dir",       data_dir_.string(), "--port-file",
                                     port_file.string(), "--log-level",      "debug"};
  argv_s.insert(argv_s.end(), args_.begin(), args_.end());
  const std::string log_path = (data_dir_ / "mendd.log").string();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    FILE* log = std::fopen(log_path.c_str(), "a");
    if (log) dup2(fileno(log), 2);
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
    if (in >> p && p > 0) {
      port_ = static_cast<uint16_t>(p);
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("mendd exited during start:\n" + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("mendd did not start listening within 20 s:\n" + log());
}

int MenddProcess::stop(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      throw std::runtime_error("mendd did not exit in time after signal " + std::to_string(sig));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

std::string MenddProcess::log() const {
  std::ifstream in(data_dir_ / "mendd.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string MenddProcess::http_get(const std::string& target, const std::string& headers) const {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("cannot connect to mendd for HTTP");
  }
  const std::string req =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers + "\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  const auto sp = resp.find(' ');
  const auto body = resp.find("\r\n\r\n");
  if (sp == std::string::npos || body == std::string::npos) return "0\n";
  return resp.substr(sp + 1, 3) + "\n" + resp.substr(body + 4);
}

double MenddProcess::metric(const std::string& sample) const {
  std::istringstream in(http_get("/metrics"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(sample + " ", 0) == 0) return std::stod(line.substr(sample.size() + 1));
  return -1;
}

long count_rows(const std::filesystem::path& db, const std::string& table,
                const std::string& where) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    throw std::runtime_error("cannot open " + db.string());
  }
  const std::string sql =
      "SELECT COUNT(*) FROM " + table + (where.empty() ? "" : " WHERE " + where);
  sqlite3_stmt* st = nullptr;
  long n = -1;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

bool file_contains(const std::filesystem::path& file, const std::string& needle) {
  for (const auto& f : {file, std::filesystem::path(file.string() + "-wal")}) {
    std::ifstream in(f, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (data.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace mend::test
