// End to end: in-person pairing. The initiator shows a link (and QR code) holding a
// 32-byte secret; the partner joins with it, and no words need comparing.

#include "mend_cli_fixture.h"

namespace mend::test {
namespace {

class InPersonTest : public MendCliTest {
 protected:
  // A runs `pair --in-person`; B joins with `link_for_b(link)`.
  PairingRun pair_in_person(const std::function<std::string(const std::string&)>& link_for_b) {
    MendCli a(args("a", {"pair", "--in-person", "--timeout", "30"}), env());
    const std::string line = a.read_line(30s);
    const std::string link = json_string(line, "link");
    EXPECT_TRUE(link.starts_with("mend-pair:" + json_string(line, "code") + "/")) << line;
    PairingRun run;
    run.b = MendCli::run(args("b", {"join", link_for_b(link), "--timeout", "30"}), env());
    run.a = a.wait(60s);
    return run;
  }
};

TEST_F(InPersonTest, TheLinkPairsWithoutComparingWords) {
  init("a");
  init("b");
  const PairingRun p = pair_in_person([](const std::string& link) { return link; });
  ASSERT_EQ(p.a.exit_code, 0) << p.a.err;
  ASSERT_EQ(p.b.exit_code, 0) << p.b.err;
  for (const MendResult* r : {&p.a, &p.b})
    EXPECT_EQ(r->out.find("\"event\":\"sas\""), std::string::npos) << "no words asked for";
  const std::string number = json_string(p.a.out, "safety_number");
  EXPECT_EQ(number.size(), 71u);
  EXPECT_EQ(number, json_string(p.b.out, "safety_number"));
  ASSERT_EQ(mend("b", {"send", "paired at the kitchen table"}).exit_code, 0);
  EXPECT_EQ(json_strings(mend("a", {"log"}).out, "text"),
            std::vector<std::string>{"paired at the kitchen table"});
}

TEST_F(InPersonTest, AWrongSecretStopsPairingOnBothDevices) {
  init("a");
  init("b");
  // The right code, another secret: what someone who only saw the code would try.
  const PairingRun p = pair_in_person([](const std::string& link) {
    std::string forged = link;
    forged.back() = forged.back() == '0' ? '1' : '0';
    return forged;
  });
  EXPECT_EQ(p.b.exit_code, 7) << p.b.err;
  EXPECT_EQ(p.a.exit_code, 7) << p.a.err;
  EXPECT_NE((p.a.err + p.b.err).find("does not hold the secret"), std::string::npos)
      << p.a.err << p.b.err;
  EXPECT_EQ(count_rows(mendd.database(), "pairs"), 0) << "the relay pair is ended";
  EXPECT_EQ(mend("a", {"send", "hello?"}).exit_code, 6);
}

TEST_F(InPersonTest, ADamagedLinkIsExplainedBeforeAnythingIsSent) {
  init("b");
  const MendResult r = mend("b", {"join", "mend-pair:4-amber-lantern/abcd"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("pairing link is damaged"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mend::test
