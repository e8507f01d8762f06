#pragma once

// The fixture of the end-to-end tests that run the real `mend` binary: a real mendd,
// one keystore per device in a temporary directory, and JSON output read back.

#include "e2e.h"
#include "mend/common/hex.h"
#include "mend_cli.h"

namespace mend::test {

// The string values of `key` in `json`, in order (enough for mend's flat output).
inline std::vector<std::string> json_strings(const std::string& json, const std::string& key) {
  std::vector<std::string> out;
  const std::string needle = "\"" + key + "\":\"";
  for (size_t at = json.find(needle); at != std::string::npos; at = json.find(needle, at)) {
    at += needle.size();
    std::string v;
    while (at < json.size() && json[at] != '"') {
      if (json[at] == '\\' && at + 1 < json.size()) {
        ++at;
        v.push_back(json[at] == 'n' ? '\n' : json[at]);
      } else {
        v.push_back(json[at]);
      }
      ++at;
    }
    out.push_back(v);
  }
  return out;
}
inline std::string json_string(const std::string& json, const std::string& key) {
  auto v = json_strings(json, key);
  return v.empty() ? "" : v.front();
}

class MendCliTest : public ::testing::Test {
 protected:
  MenddProcess mendd;
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("mend-cli-" + to_hex(random_bytes(6)));

  void SetUp() override { std::filesystem::create_directories(dir); }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  std::map<std::string, std::string> env(const std::string& passphrase = "pass phrase") {
    return {{"MEND_PASSPHRASE", passphrase},
            {"MEND_SERVER", "ws://127.0.0.1:" + std::to_string(mendd.port()) + "/v1"}};
  }
  std::vector<std::string> args(const std::string& who, std::vector<std::string> rest) {
    std::vector<std::string> a{"--keystore", (dir / who).string(), "--json"};
    a.insert(a.end(), rest.begin(), rest.end());
    return a;
  }
  MendResult mend(const std::string& who, std::vector<std::string> rest) {
    return MendCli::run(args(who, std::move(rest)), env());
  }
  void init(const std::string& who) {
    auto r = mend(who, {"init", "--kdf-cost", "interactive"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  struct PairingRun {
    MendResult a, b;
    std::string words_a, words_b;
  };
  // A runs `pair`, B runs `join CODE`; each is told the words the other printed,
  // unless `words_for_a` replaces what A is told.
  PairingRun pair(const std::string& words_for_a = {}) {
    return run_pairing("a", {"pair"}, "b", words_for_a);
  }
  // `initiator` runs `command` (`pair`, or `pair --replace`), `joiner` joins with the
  // code it prints, and they exchange the words as in pair().
  PairingRun run_pairing(const std::string& initiator, std::vector<std::string> command,
                         const std::string& joiner, const std::string& words_for_a) {
    for (const char* flag : {"--confirm-sas", "-", "--timeout", "30"}) command.push_back(flag);
    MendCli a(args(initiator, command), env());
    const std::string code = json_string(a.read_line(30s), "code");
    EXPECT_FALSE(code.empty());
    MendCli b(args(joiner, {"join", code, "--confirm-sas", "-", "--timeout", "30"}), env());
    PairingRun run;
    run.words_a = json_string(a.read_line(20s), "words");
    run.words_b = json_string(b.read_line(20s), "words");
    a.write_line(words_for_a.empty() ? run.words_b : words_for_a);
    b.write_line(run.words_a);
    run.a = a.wait(60s);
    run.b = b.wait(60s);
    return run;
  }
};

}  // namespace mend::test
