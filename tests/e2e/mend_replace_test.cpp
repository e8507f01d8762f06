// End to end: a partner loses their device. The new device restores the key backup
// with the recovery code, the remaining partner re-pairs with it (`mend pair
// --replace`), and the new device reads the whole history, with the real binaries.

#include "mend_cli_fixture.h"

namespace mend::test {
namespace {

// A number value of `key` in mend's flat JSON, or -1.
long json_number(const std::string& json, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  const size_t at = json.find(needle);
  return at == std::string::npos ? -1 : std::stol(json.substr(at + needle.size()));
}

class ReplaceTest : public MendCliTest {
 protected:
  // A runs `pair --replace`, N joins: the run's `b` is N.
  PairingRun replace(const std::string& words_for_a = {}) {
    return run_pairing("a", {"pair", "--replace"}, "n", words_for_a);
  }
  std::string backup_of(const std::string& who) {
    const MendResult b = mend(who, {"backup"});
    EXPECT_EQ(b.exit_code, 0) << b.err;
    return json_string(b.out, "recovery_code");
  }
  void restore(const std::string& who, const std::string& code) {
    init(who);
    const MendResult r = mend(who, {"restore", "--code", code});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
};

TEST_F(ReplaceTest, ARestoredDeviceRePairsAndReadsTheWholeHistory) {
  init("a");
  init("b");
  const PairingRun p = pair();
  ASSERT_EQ(p.a.exit_code, 0) << p.a.err;
  const std::string old_number = json_string(p.a.out, "safety_number");

  ASSERT_EQ(mend("a", {"send", "one, from A"}).exit_code, 0);
  ASSERT_EQ(mend("b", {"send", "two, from B's old phone"}).exit_code, 0);
  ASSERT_EQ(mend("b", {"rotate"}).exit_code, 0);
  ASSERT_EQ(mend("b", {"send", "three, under B's rotated key"}).exit_code, 0);
  const std::string code = backup_of("b");
  // After the backup: keys the backup does not hold, learnt again from the history.
  ASSERT_EQ(mend("a", {"rotate"}).exit_code, 0);
  ASSERT_EQ(mend("a", {"send", "four, after the backup"}).exit_code, 0);
  ASSERT_EQ(mend("b", {"rotate"}).exit_code, 0);
  ASSERT_EQ(mend("b", {"send", "five, B's last words on the old phone"}).exit_code, 0);

  // B's phone is lost. The new one restores the backup and re-pairs with A.
  restore("n", code);
  const PairingRun r = replace();
  ASSERT_EQ(r.a.exit_code, 0) << r.a.err;
  ASSERT_EQ(r.b.exit_code, 0) << r.b.err;
  EXPECT_EQ(r.words_a, r.words_b);
  const std::string number = json_string(r.a.out, "safety_number");
  EXPECT_EQ(number, json_string(r.b.out, "safety_number"));
  EXPECT_NE(number, old_number) << "a device changed, so the safety number did";
  EXPECT_NE(r.a.out.find("\"replacement\":true"), std::string::npos) << r.a.out;
  EXPECT_NE(r.a.err.find("Compare it with your partner again"), std::string::npos) << r.a.err;
  EXPECT_NE(r.b.err.find("Compare it with your partner again"), std::string::npos) << r.b.err;

  // Both now write under an epoch whose key comes from the new pairing, which the
  // lost phone never had.
  const std::string status_a = mend("a", {"status", "--offline"}).out;
  const std::string status_n = mend("n", {"status", "--offline"}).out;
  const long lost_epoch = json_number(mend("b", {"status", "--offline"}).out, "epoch");
  EXPECT_EQ(json_number(status_a, "epoch"), json_number(status_n, "epoch"));
  EXPECT_GT(json_number(status_a, "epoch"), lost_epoch);
  EXPECT_EQ(json_number(status_a, "former_devices"), 1);
  EXPECT_EQ(json_number(status_n, "former_devices"), 1);

  // The new device's log is A's log, with B's old messages as its own.
  const MendResult log_n = mend("n", {"log"});
  const MendResult log_a = mend("a", {"log"});
  ASSERT_EQ(log_n.exit_code, 0) << log_n.err;
  ASSERT_EQ(log_a.exit_code, 0) << log_a.err;
  EXPECT_NE(log_n.out.find("\"problems\":[]"), std::string::npos) << log_n.out;
  EXPECT_NE(log_a.out.find("\"problems\":[]"), std::string::npos) << log_a.out;
  const auto texts = json_strings(log_a.out, "text");
  EXPECT_EQ(json_strings(log_n.out, "text"), texts);
  EXPECT_EQ(texts, (std::vector<std::string>{
                       "one, from A", "two, from B's old phone", "three, under B's rotated key",
                       "four, after the backup", "five, B's last words on the old phone"}));
  std::vector<std::string> from_n = json_strings(log_n.out, "from");
  std::vector<std::string> from_a = json_strings(log_a.out, "from");
  ASSERT_EQ(from_n.size(), from_a.size());
  for (size_t i = 0; i < from_n.size(); ++i)
    EXPECT_NE(from_n[i], from_a[i]) << "message " << i << " is mine on one side only";

  // The pair goes on between A and the new device, both ways.
  ASSERT_EQ(mend("n", {"send", "six, from the new phone"}).exit_code, 0);
  ASSERT_EQ(mend("a", {"send", "seven, welcome back"}).exit_code, 0);
  const auto after_a = json_strings(mend("a", {"log"}).out, "text");
  const auto after_n = json_strings(mend("n", {"log"}).out, "text");
  EXPECT_EQ(after_a, after_n);
  ASSERT_GE(after_a.size(), 2u);
  EXPECT_EQ(after_a[after_a.size() - 2], "six, from the new phone");
  EXPECT_EQ(after_a.back(), "seven, welcome back");

  // The lost phone is out of the pair.
  const MendResult lost = mend("b", {"send", "it's me, honest"});
  EXPECT_EQ(lost.exit_code, 6) << lost.err;
  // Nothing readable reached the server.
  for (const std::string& t : after_a) {
    EXPECT_FALSE(file_contains(mendd.database(), t)) << t;
    EXPECT_FALSE(file_contains(mendd.database().string() + "-wal", t)) << t;
  }
}

TEST_F(ReplaceTest, MismatchingWordsKeepTheHistoryAndTheSameDeviceCanTryAgain) {
  init("a");
  init("b");
  ASSERT_EQ(pair().a.exit_code, 0);
  ASSERT_EQ(mend("b", {"send", "kept through everything"}).exit_code, 0);
  restore("n", backup_of("b"));

  const PairingRun bad = replace("abacus acrobat admiral airship alcove");
  EXPECT_EQ(bad.a.exit_code, 7) << bad.a.err;
  EXPECT_NE(bad.a.err.find("history are untouched"), std::string::npos) << bad.a.err;
  EXPECT_NE(bad.a.err.find("pair --replace"), std::string::npos) << bad.a.err;
  EXPECT_EQ(bad.b.exit_code, 7) << bad.b.err;
  EXPECT_EQ(count_rows(mendd.database(), "events"), 1) << "no unpair: the history stays";
  // A refuses the unverified device meanwhile, and says what to do.
  const MendResult refused = mend("a", {"send", "who is there?"});
  EXPECT_EQ(refused.exit_code, 8) << refused.err;
  EXPECT_NE(refused.err.find("pair --replace"), std::string::npos) << refused.err;

  // A new code: the same new device verifies again, this time with the right words.
  const PairingRun good = replace();
  ASSERT_EQ(good.a.exit_code, 0) << good.a.err;
  ASSERT_EQ(good.b.exit_code, 0) << good.b.err;
  // A's message from meanwhile was kept in its outbox and went out before the handover.
  EXPECT_EQ(json_strings(mend("n", {"log"}).out, "text"),
            (std::vector<std::string>{"kept through everything", "who is there?"}));
}

TEST_F(ReplaceTest, AReplacementSurvivesARestartOfTheRemainingDeviceWithTheSameWords) {
  init("a");
  init("b");
  ASSERT_EQ(pair().a.exit_code, 0);
  ASSERT_EQ(mend("b", {"send", "before"}).exit_code, 0);
  restore("n", backup_of("b"));
  auto a = std::make_unique<MendCli>(
      args("a", {"pair", "--replace", "--confirm-sas", "-", "--timeout", "30"}), env());
  const std::string code = json_string(a->read_line(30s), "code");
  MendCli n(args("n", {"join", code, "--confirm-sas", "-", "--timeout", "30"}), env());
  const std::string words_a = json_string(a->read_line(20s), "words");
  const std::string words_n = json_string(n.read_line(20s), "words");
  a.reset();  // killed while the words are on screen
  n.write_line(words_a);

  MendCli again(args("a", {"pair", "--replace", "--confirm-sas", "-", "--timeout", "30"}), env());
  std::string line;
  do line = again.read_line(20s);  // the resumed run shows no new code
  while (json_string(line, "event") != "sas" && json_string(line, "event") != "code");
  EXPECT_EQ(json_string(line, "event"), "sas") << line;
  EXPECT_EQ(json_string(line, "words"), words_a);
  again.write_line(words_n);
  const MendResult ra = again.wait(60s);
  const MendResult rn = n.wait(60s);
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rn.exit_code, 0) << rn.err;
  EXPECT_EQ(json_string(ra.out, "safety_number"), json_string(rn.out, "safety_number"));
  EXPECT_EQ(json_strings(mend("n", {"log"}).out, "text"), std::vector<std::string>{"before"});
  ASSERT_EQ(mend("a", {"send", "after"}).exit_code, 0);
  EXPECT_EQ(json_strings(mend("n", {"log"}).out, "text"),
            (std::vector<std::string>{"before", "after"}));
}

// The new device stops mid-way (killed while the words are shown); meanwhile the
// attempt fails on A. A's next code starts a new attempt on N, not a resumed one.
TEST_F(ReplaceTest, TheNewDeviceTakesANewCodeAfterAnInterruptedAttempt) {
  init("a");
  init("b");
  ASSERT_EQ(pair().a.exit_code, 0);
  ASSERT_EQ(mend("b", {"send", "before"}).exit_code, 0);
  restore("n", backup_of("b"));
  MendCli a(args("a", {"pair", "--replace", "--confirm-sas", "-", "--timeout", "30"}), env());
  const std::string code = json_string(a.read_line(30s), "code");
  auto n = std::make_unique<MendCli>(
      args("n", {"join", code, "--confirm-sas", "-", "--timeout", "30"}), env());
  json_string(a.read_line(20s), "words");
  const std::string old_words = json_string(n->read_line(20s), "words");
  n.reset();                                              // N dies with the words on screen
  a.write_line("abacus acrobat admiral airship alcove");  // and A's user says no
  EXPECT_EQ(a.wait(40s).exit_code, 7);

  const PairingRun again = replace();
  ASSERT_EQ(again.a.exit_code, 0) << again.a.err;
  ASSERT_EQ(again.b.exit_code, 0) << again.b.err;
  EXPECT_NE(again.words_b, old_words) << "a new attempt, new words";
  EXPECT_EQ(json_strings(mend("n", {"log"}).out, "text"), std::vector<std::string>{"before"});
}

TEST_F(ReplaceTest, JoiningAReplacementWithoutARestoredBackupIsExplained) {
  init("a");
  init("b");
  ASSERT_EQ(pair().a.exit_code, 0);
  init("n");
  MendCli a(args("a", {"pair", "--replace", "--confirm-sas", "-", "--timeout", "20"}), env());
  const std::string code = json_string(a.read_line(30s), "code");
  const MendResult n = mend("n", {"join", code, "--confirm-sas", "-"});
  EXPECT_NE(n.exit_code, 0);
  EXPECT_NE(n.err.find("mend restore"), std::string::npos) << n.err;
  const MendResult ra = a.wait(40s);
  EXPECT_EQ(ra.exit_code, 7) << ra.err;
  EXPECT_NE(ra.err.find("partner stopped"), std::string::npos) << ra.err;
}

}  // namespace
}  // namespace mend::test
