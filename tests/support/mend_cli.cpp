#include "mend_cli.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <thread>

#ifndef MEND_PATH
#error "MEND_PATH must name the mend binary"
#endif

namespace mend::test {

MendCli::MendCli(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
    throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> argv_s{MEND_PATH};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  out_ = out[0];
  err_ = err[0];
}

MendCli::~MendCli() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  for (int fd : {in_, out_, err_})
    if (fd >= 0) ::close(fd);
}

void MendCli::pump(std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{out_eof_ ? -1 : out_, POLLIN, 0}, {err_eof_ ? -1 : err_, POLLIN, 0}};
  if (poll(fds, 2, static_cast<int>(timeout.count())) <= 0) return;
  char buf[4096];
  for (int i = 0; i < 2; ++i) {
    if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
    const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
    if (n <= 0) {
      (i == 0 ? out_eof_ : err_eof_) = true;
      continue;
    }
    (i == 0 ? out_buf_ : err_buf_).append(buf, static_cast<size_t>(n));
  }
}

std::string MendCli::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const size_t nl = out_buf_.find('\n');
    if (nl != std::string::npos) {
      std::string line = out_buf_.substr(0, nl);
      out_buf_.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || (out_eof_ && err_eof_))
      throw std::runtime_error("mend printed no line in time; stderr so far:\n" + err_buf_);
    pump(std::min(left, std::chrono::milliseconds(100)));
  }
}

void MendCli::write_line(const std::string& line) {
  const std::string s = line + "\n";
  if (::write(in_, s.data(), s.size()) != static_cast<ssize_t>(s.size()))
    throw std::runtime_error("cannot write to mend's stdin");
}

void MendCli::close_stdin() {
  if (in_ >= 0) ::close(in_);
  in_ = -1;
}

MendResult MendCli::wait(std::chrono::milliseconds timeout) {
  close_stdin();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  MendResult r;
  int status = 0;
  for (;;) {
    pump(std::chrono::milliseconds(20));
    if (waitpid(pid_, &status, WNOHANG) == pid_) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      throw std::runtime_error("mend did not exit in time; stderr:\n" + err_buf_);
    }
  }
  pid_ = -1;
  while (!out_eof_ || !err_eof_) pump(std::chrono::milliseconds(100));
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = out_buf_;
  r.err = err_buf_;
  return r;
}

MendResult MendCli::run(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env,
                        std::chrono::milliseconds timeout) {
  MendCli p(args, env);
  return p.wait(timeout);
}

}  // namespace mend::test
