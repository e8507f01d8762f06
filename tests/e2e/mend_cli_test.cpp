// End to end with the real binaries: two `mend` processes with their own keystores
// against a real mendd on loopback.

#include <sqlite3.h>

#include "e2e.h"
#include "mend/client/recovery_code.h"
#include "mend/common/hex.h"
#include "mend_cli.h"
#include "mend_cli_fixture.h"

namespace mend::test {
namespace {

TEST_F(MendCliTest, TwoPartnersPairSendBothWaysAndReadTheSameHistory) {
  init("a");
  init("b");
  const PairingRun p = pair();
  ASSERT_EQ(p.a.exit_code, 0) << p.a.err;
  ASSERT_EQ(p.b.exit_code, 0) << p.b.err;
  EXPECT_EQ(p.words_a, p.words_b);
  EXPECT_EQ(std::count(p.words_a.begin(), p.words_a.end(), ' '), 4) << p.words_a;
  const std::string number = json_string(p.a.out, "safety_number");
  EXPECT_EQ(number.size(), 71u) << "12 groups of 5 digits";
  EXPECT_EQ(number, json_string(p.b.out, "safety_number"));
  EXPECT_EQ(json_string(mend("b", {"verify"}).out, "safety_number"), number);

  const std::vector<std::string> said = {"I felt unheard on Sunday", "Thank you for saying so",
                                         "Can we talk tonight?"};
  ASSERT_EQ(mend("a", {"send", said[0]}).exit_code, 0);
  ASSERT_EQ(mend("b", {"send", said[1]}).exit_code, 0);
  ASSERT_EQ(mend("a", {"send", said[2]}).exit_code, 0);

  const MendResult log_a = mend("a", {"log"});
  const MendResult log_b = mend("b", {"log"});
  ASSERT_EQ(log_a.exit_code, 0) << log_a.err;
  ASSERT_EQ(log_b.exit_code, 0) << log_b.err;
  EXPECT_EQ(json_strings(log_a.out, "text"), said);
  EXPECT_EQ(json_strings(log_b.out, "text"), said);
  EXPECT_EQ(json_strings(log_a.out, "from"), (std::vector<std::string>{"me", "partner", "me"}));
  EXPECT_EQ(json_strings(log_b.out, "from"),
            (std::vector<std::string>{"partner", "me", "partner"}));
  EXPECT_EQ(log_a.out.find("\"problems\":[]") != std::string::npos, true) << log_a.out;

  // The relay holds ciphertext only; the local history is encrypted at rest too.
  ASSERT_EQ(count_rows(mendd.database(), "events"), 3);
  for (const auto& s : said) {
    EXPECT_FALSE(file_contains(mendd.database(), s)) << s;
    EXPECT_FALSE(file_contains(mendd.database().string() + "-wal", s)) << s;
    for (const auto& f : std::filesystem::directory_iterator(dir))
      EXPECT_FALSE(file_contains(f.path(), s)) << f.path();
  }

  // A unpairs alone: the relay forgets the pair; B is told and keeps its copy.
  const MendResult un = mend("a", {"unpair"});
  ASSERT_EQ(un.exit_code, 0) << un.err;
  EXPECT_EQ(count_rows(mendd.database(), "pairs"), 0);
  EXPECT_EQ(count_rows(mendd.database(), "events"), 0);
  const MendResult after = mend("b", {"log"});
  EXPECT_EQ(after.exit_code, 6) << after.err;
  EXPECT_NE(after.err.find("no pair"), std::string::npos) << after.err;
  EXPECT_EQ(json_strings(mend("b", {"log", "--offline"}).out, "text"), said);
  EXPECT_EQ(mend("a", {"send", "anyone?"}).exit_code, 6);
}

TEST_F(MendCliTest, RotatedHistoryKeyReachesThePartner) {
  init("a");
  init("b");
  const PairingRun p = pair();
  ASSERT_EQ(p.a.exit_code, 0) << p.a.err;
  ASSERT_EQ(mend("a", {"send", "before"}).exit_code, 0);
  const MendResult r = mend("a", {"rotate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string epoch = r.out.substr(r.out.find("\"epoch\":") + 8, 1);
  EXPECT_TRUE(epoch == "2" || epoch == "3") << r.out;
  ASSERT_EQ(mend("a", {"send", "after"}).exit_code, 0);
  const MendResult log_b = mend("b", {"log"});
  ASSERT_EQ(log_b.exit_code, 0) << log_b.err;
  EXPECT_EQ(json_strings(log_b.out, "text"), (std::vector<std::string>{"before", "after"}));
  EXPECT_NE(mend("b", {"status", "--offline"}).out.find("\"epoch\":" + epoch), std::string::npos);
  ASSERT_EQ(mend("b", {"send", "reply"}).exit_code, 0);
  EXPECT_EQ(json_strings(mend("a", {"log"}).out, "text"),
            (std::vector<std::string>{"before", "after", "reply"}));
}

TEST_F(MendCliTest, AMessageSentWhileTheServerIsDownGoesOutOnceLater) {
  init("a");
  init("b");
  const PairingRun p = pair();
  ASSERT_EQ(p.a.exit_code, 0) << p.a.err;
  ASSERT_EQ(mend("a", {"send", "first"}).exit_code, 0);
  ASSERT_EQ(mend("b", {"log"}).exit_code, 0);

  mendd.stop();
  const MendResult down = mend("a", {"send", "while the server was down"});
  EXPECT_EQ(down.exit_code, 5) << down.err;
  EXPECT_NE(down.err.find("kept on this device"), std::string::npos) << down.err;
  // Reading works offline, from the local history (with a warning, exit 0).
  const MendResult offline = mend("b", {"log"});
  EXPECT_EQ(offline.exit_code, 0) << offline.err;
  EXPECT_NE(offline.err.find("held on this device"), std::string::npos) << offline.err;
  EXPECT_EQ(json_strings(offline.out, "text"), std::vector<std::string>{"first"});
  const MendResult local = mend("a", {"log", "--offline"});
  EXPECT_NE(local.out.find("\"state\":\"pending\""), std::string::npos) << local.out;

  // Back up (same data, new port): the script's retry of the same command sends the
  // waiting message, once.
  mendd.start();
  ASSERT_EQ(mend("a", {"send", "while the server was down"}).exit_code, 0);
  ASSERT_EQ(mend("a", {"send", "while the server was down"}).exit_code, 0)
      << "an identical text sent again after success is a new message";
  EXPECT_EQ(count_rows(mendd.database(), "events"), 3);
  EXPECT_EQ(json_strings(mend("b", {"log"}).out, "text"),
            (std::vector<std::string>{"first", "while the server was down",
                                      "while the server was down"}));
}

TEST_F(MendCliTest, ListenPrintsMessagesAsTheyArrive) {
  init("a");
  init("b");
  const PairingRun p = pair();
  ASSERT_EQ(p.a.exit_code, 0) << p.a.err;
  MendCli b(args("b", {"listen", "--for", "20"}), env());
  EXPECT_EQ(json_string(b.read_line(20s), "event"), "listening");
  ASSERT_EQ(mend("a", {"send", "are you free at eight?"}).exit_code, 0);
  std::string line;
  do line = b.read_line(20s);  // presence events may come first
  while (json_string(line, "event") != "message");
  EXPECT_EQ(json_string(line, "text"), "are you free at eight?");
}

TEST_F(MendCliTest, MismatchingWordsStopPairingOnBothDevices) {
  init("a");
  init("b");
  const PairingRun p = pair("abacus acrobat admiral airship alcove");
  EXPECT_EQ(p.a.exit_code, 7) << p.a.err;
  EXPECT_NE(p.a.err.find("do not match"), std::string::npos) << p.a.err;
  EXPECT_EQ(p.b.exit_code, 7) << p.b.err;
  EXPECT_NE(p.b.err.find("partner stopped"), std::string::npos) << p.b.err;
  EXPECT_EQ(count_rows(mendd.database(), "pairs"), 0) << "the relay pair is ended";
  for (const char* who : {"a", "b"}) {
    const MendResult s = mend(who, {"send", "hello"});
    EXPECT_EQ(s.exit_code, 6) << who << s.err;
  }
}

TEST_F(MendCliTest, PairingSurvivesARestartMidWayWithTheSameWords) {
  init("a");
  init("b");
  auto a = std::make_unique<MendCli>(args("a", {"pair", "--confirm-sas", "-", "--timeout", "30"}),
                                     env());
  const std::string code = json_string(a->read_line(20s), "code");
  MendCli b(args("b", {"join", code, "--confirm-sas", "-", "--timeout", "30"}), env());
  const std::string words_a = json_string(a->read_line(20s), "words");
  const std::string words_b = json_string(b.read_line(20s), "words");
  a.reset();  // killed while the words are on screen, before anyone confirmed
  b.write_line(words_a);

  // Run again: it resumes from the keystore (no new code) and shows the same words.
  MendCli again(args("a", {"pair", "--confirm-sas", "-", "--timeout", "30"}), env());
  const std::string line = again.read_line(20s);
  EXPECT_EQ(json_string(line, "event"), "sas") << line;
  EXPECT_EQ(json_string(line, "words"), words_a);
  again.write_line(words_b);
  const MendResult ra = again.wait(40s);
  const MendResult rb = b.wait(40s);
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  EXPECT_EQ(json_string(ra.out, "safety_number"), json_string(rb.out, "safety_number"));
  ASSERT_EQ(mend("a", {"send", "still us"}).exit_code, 0);
  EXPECT_EQ(json_strings(mend("b", {"log"}).out, "text"), std::vector<std::string>{"still us"});
}

TEST_F(MendCliTest, APartnerKeyChangedOnTheServerIsRefusedLoudly) {
  init("a");
  init("b");
  const PairingRun p = pair();
  ASSERT_EQ(p.a.exit_code, 0) << p.a.err;
  ASSERT_EQ(mend("a", {"send", "hello"}).exit_code, 0);
  const std::string a_id = json_string(mend("a", {"status", "--offline"}).out, "device_id");

  // A hostile (or broken) server swaps A's key in its records.
  mendd.stop();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(mendd.database().c_str(), &db), SQLITE_OK);
  const std::string sql =
      "UPDATE pair_members SET public_key = randomblob(32) WHERE device_id = x'" + a_id + "'";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
  mendd.start();

  const MendResult r = mend("b", {"log"});
  EXPECT_EQ(r.exit_code, 8) << r.err;
  EXPECT_NE(r.err.find("WARNING: the partner's identity key changed"), std::string::npos) << r.err;
  EXPECT_EQ(json_string(r.out, "code"), "partner-key-changed");
  EXPECT_EQ(mend("b", {"send", "are you there?"}).exit_code, 8);
}

TEST_F(MendCliTest, PassphraseFromAFileDescriptorComesFirst) {
  init("a");
  // The environment holds a wrong passphrase; the descriptor (here stdin) the right one.
  MendCli p(args("a", {"--passphrase-fd", "0", "status", "--offline"}), env("wrong"));
  p.write_line("pass phrase");
  const MendResult r = p.wait(30s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(MendCliTest, WrongPassphraseIsSaidPlainly) {
  init("a");
  const MendResult r = MendCli::run(args("a", {"status", "--offline"}), env("not the passphrase"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("wrong passphrase"), std::string::npos) << r.err;
  EXPECT_EQ(json_string(r.out, "code"), "wrong-passphrase");
}

TEST_F(MendCliTest, DamagedKeystoreIsDetectedAndKept) {
  init("a");
  const auto path = dir / "a";
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 10);
  const auto size = std::filesystem::file_size(path);
  const MendResult r = mend("a", {"status", "--offline"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("damaged"), std::string::npos) << r.err;
  EXPECT_EQ(std::filesystem::file_size(path), size) << "nothing is overwritten";
  EXPECT_EQ(mend("a", {"init", "--kdf-cost", "interactive"}).exit_code, 4);
}

TEST_F(MendCliTest, UnreachableServerAndMissingPartnerAreExplained) {
  init("a");
  EXPECT_EQ(mend("a", {"send", "hello"}).exit_code, 6);
  const MendResult r =
      MendCli::run(args("a", {"--server", "ws://127.0.0.1:1/v1", "status"}), env());
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_NE(r.err.find("cannot reach the server"), std::string::npos) << r.err;
  const MendResult usage = mend("a", {"frobnicate"});
  EXPECT_EQ(usage.exit_code, 2);
}

TEST_F(MendCliTest, BackupOpensOnANewDeviceWithTheRecoveryCodeOnly) {
  init("a");
  init("b");
  const PairingRun p = pair();
  ASSERT_EQ(p.a.exit_code, 0) << p.a.err;
  ASSERT_EQ(p.b.exit_code, 0) << p.b.err;
  ASSERT_EQ(mend("a", {"send", "before the backup"}).exit_code, 0);

  const MendResult backup = mend("b", {"backup"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  const std::string code = json_string(backup.out, "recovery_code");
  ASSERT_EQ(std::count(code.begin(), code.end(), ' '), 17) << code;

  init("n");
  // A typo is caught by the checksum words, before any network use.
  std::string typo = code;
  typo[0] = typo[0] == 'z' ? 'y' : 'z';
  const MendResult mistyped = mend("n", {"restore", "--code", typo});
  EXPECT_EQ(mistyped.exit_code, 11) << mistyped.err;
  EXPECT_EQ(json_string(mistyped.out, "code"), "bad-recovery-code");
  // A well-formed code the relay has no backup for.
  const MendResult unknown =
      mend("n", {"restore", "--code", client::RecoveryCode::generate().text()});
  EXPECT_EQ(unknown.exit_code, 11) << unknown.err;
  EXPECT_EQ(json_string(unknown.out, "code"), "no-backup");

  // The code from the environment, as scripts pass it.
  auto e = env();
  e["MEND_RECOVERY_CODE"] = code;
  const MendResult restored = MendCli::run(args("n", {"restore"}), e);
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_NE(restored.out.find("\"restored\":true"), std::string::npos) << restored.out;
  EXPECT_NE(restored.out.find("\"epochs\":1"), std::string::npos) << restored.out;
  const MendResult status = mend("n", {"status", "--offline"});
  EXPECT_NE(status.out.find("\"restored_backup\":true"), std::string::npos) << status.out;

  // A second backup replaces the first: the old code finds nothing any more.
  const MendResult again = mend("b", {"backup"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(json_string(again.out, "recovery_code"), code);
  init("m");
  const MendResult old = mend("m", {"restore", "--code", code});
  EXPECT_EQ(old.exit_code, 11) << old.err;
  EXPECT_EQ(json_string(old.out, "code"), "no-backup");
  // The relay's copy holds no key in the clear (the blob is the only thing it keeps).
  EXPECT_FALSE(file_contains(mendd.database(), "before the backup"));
}

}  // namespace
}  // namespace mend::test
