#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

// Runs the real `mend` binary as a child process for end-to-end tests: arguments,
// environment, a pipe to its stdin, its stdout read line by line with deadlines.
namespace mend::test {

struct MendResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class MendCli {
 public:
  // Starts `mend args...` with the current environment plus `env`.
  MendCli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env);
  ~MendCli();
  MendCli(const MendCli&) = delete;
  MendCli& operator=(const MendCli&) = delete;

  // The next line of stdout (without the newline); throws on timeout or end of output.
  std::string read_line(std::chrono::milliseconds timeout);
  void write_line(const std::string& line);
  void close_stdin();
  // Waits for the exit (kills it after `timeout`); returns the rest of stdout and stderr.
  MendResult wait(std::chrono::milliseconds timeout);

  // Runs to completion.
  static MendResult run(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60));

 private:
  void pump(std::chrono::milliseconds timeout);
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  std::string out_buf_, err_buf_;
  bool out_eof_ = false, err_eof_ = false;
};

}  // namespace mend::test
