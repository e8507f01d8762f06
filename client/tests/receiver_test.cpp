// Tamper detection on receive: every check of Receiver, one test each.
#include <fstream>

#include "mend/client/receiver.h"

#include <gtest/gtest.h>

#include "mend/client/envelope_crypto.h"
#include "mend/common/ids.h"
#include "mend/v1/content.pb.h"
#include "mend/v1/wire.pb.h"
#include "temp_dir.h"

namespace mend::client {
namespace {

using namespace std::chrono_literals;

// The partner's side: seals stored envelopes with counters and a hash chain.
struct FakePartner {
  std::string pair_id = random_bytes(16);
  std::string device_id = random_bytes(16);
  SecretBytes epoch_key = SecretBytes::random(32);
  uint64_t counter = 0;
  std::string last_hash;
  uint64_t sequence = 0;

  DeliveredEvent make(const std::string& text, uint64_t counter_value, std::string previous_hash,
                      uint32_t epoch = 1) {
    v1::content::Content c;
    c.set_schema_version(1);
    c.mutable_text()->set_body(text);
    return make_content(c.SerializeAsString(), counter_value, previous_hash, epoch);
  }
  DeliveredEvent make_content(const std::string& plain, uint64_t counter_value,
                              std::string previous_hash, uint32_t epoch = 1,
                              bool ephemeral = false) {
    v1::EnvelopeHeader h;
    h.set_pair_id(pair_id);
    h.set_sender_device_id(device_id);
    h.set_sender_counter(counter_value);
    h.set_epoch(epoch);
    h.set_kind(ephemeral ? v1::ENVELOPE_KIND_EPHEMERAL : v1::ENVELOPE_KIND_STORED);
    h.set_client_message_id(random_bytes(16));
    h.set_padded_length(static_cast<uint32_t>(padded_length(plain.size())));
    h.set_previous_hash(previous_hash);
    h.set_content_version(1);
    DeliveredEvent e;
    e.header = h.SerializeAsString();
    e.ciphertext = seal_envelope(plain, e.header, epoch_key, counter_value);
    e.sender_device_id = device_id;
    e.sequence = ephemeral ? 0 : ++sequence;
    e.stored_at_ms = 1;
    return e;
  }
  // The next message in a correct chain.
  DeliveredEvent next(const std::string& text) {
    DeliveredEvent e = make(text, ++counter, last_hash);
    last_hash = envelope_hash(e.header, e.ciphertext);
    return e;
  }
  DeliveredEvent live(const std::string& text) {
    v1::content::Content c;
    c.set_schema_version(1);
    c.mutable_text()->set_body(text);
    return make_content(c.SerializeAsString(), 0, {}, 1, true);
  }
  DeliveredEvent next_key_update(uint32_t epoch, const std::string& key) {
    v1::content::Content c;
    c.set_schema_version(1);
    c.mutable_key_update()->set_epoch(epoch);
    c.mutable_key_update()->set_key(key);
    DeliveredEvent e = make_content(c.SerializeAsString(), ++counter, last_hash);
    last_hash = envelope_hash(e.header, e.ciphertext);
    return e;
  }
};

class ReceiverTest : public ::testing::Test {
 protected:
  test::TempDir dir;
  FakePartner partner;
  std::map<uint32_t, SecretBytes> keys;
  SecretBytes local_key = SecretBytes::random(32);
  std::unique_ptr<HistoryStore> store;
  std::unique_ptr<Receiver> rx;

  void SetUp() override {
    keys.emplace(1, partner.epoch_key.clone());
    store = std::make_unique<HistoryStore>(dir.path / "h.sqlite3", local_key, partner.pair_id);
    rx = std::make_unique<Receiver>(*store,
                                    ReceiveContext{partner.pair_id, partner.device_id, &keys}, 0ms);
  }
  std::vector<std::string> texts() {
    std::vector<std::string> out;
    for (const auto& m : store->messages()) out.push_back(m.text);
    return out;
  }
  std::string only_problem() {
    EXPECT_EQ(rx->problems().size(), 1u);
    EXPECT_EQ(store->problems().size(), rx->problems().size()) << "problems are also stored";
    return rx->problems().empty() ? "" : rx->problems().front().kind;
  }
};

TEST_F(ReceiverTest, AcceptsAnIntactChainInOrder) {
  rx->on_event(partner.next("one"));
  rx->on_event(partner.next("two"));
  rx->on_event(partner.next("three"));
  EXPECT_EQ(rx->accepted(), 3u);
  EXPECT_TRUE(rx->problems().empty());
  EXPECT_EQ(texts(), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(store->stream_position(), 3u);
}

TEST_F(ReceiverTest, RejectsAlteredCiphertext) {
  DeliveredEvent e = partner.next("secret");
  e.ciphertext[40] ^= 1;
  rx->on_event(e);
  EXPECT_EQ(only_problem(), "authentication");
  EXPECT_TRUE(texts().empty());
}

TEST_F(ReceiverTest, RejectsAlteredHeader) {
  DeliveredEvent e = partner.next("secret");
  v1::EnvelopeHeader h;
  ASSERT_TRUE(h.ParseFromString(e.header));
  h.set_content_version(7);  // any change of the associated data
  e.header = h.SerializeAsString();
  rx->on_event(e);
  EXPECT_EQ(only_problem(), "authentication");
  EXPECT_TRUE(texts().empty());
}

TEST_F(ReceiverTest, RejectsAReplayUnderANewSequence) {
  DeliveredEvent first = partner.next("hello");
  rx->on_event(first);
  DeliveredEvent again = first;
  again.sequence = ++partner.sequence;
  rx->on_event(again);
  EXPECT_EQ(only_problem(), "replay");
  EXPECT_EQ(texts(), (std::vector<std::string>{"hello"}));
}

TEST_F(ReceiverTest, IgnoresAnIdenticalRedeliveryOfAHeldSequence) {
  DeliveredEvent first = partner.next("hello");
  rx->on_event(first);
  rx->on_event(first);  // a restarted stream repeats it: expected, not an attack
  EXPECT_TRUE(rx->problems().empty());
  EXPECT_EQ(rx->accepted(), 1u);
}

TEST_F(ReceiverTest, RejectsDifferentContentUnderAHeldSequence) {
  DeliveredEvent first = partner.next("hello");
  rx->on_event(first);
  DeliveredEvent other = partner.next("other");
  other.sequence = first.sequence;
  rx->on_event(other);
  EXPECT_EQ(only_problem(), "sequence-reused");
}

TEST_F(ReceiverTest, ReportsAGapAfterTheGracePeriodThenAcceptsWhatFollows) {
  rx->on_event(partner.next("one"));
  (void)partner.next("two (dropped by the server)");
  rx->on_event(partner.next("three"));
  EXPECT_TRUE(rx->holding());
  EXPECT_TRUE(rx->problems().empty()) << "no verdict before the catch-up and the grace period";
  rx->on_caught_up(partner.sequence);
  rx->settle_gaps();
  EXPECT_EQ(only_problem(), "gap");
  EXPECT_EQ(texts(), (std::vector<std::string>{"one", "three"}));
}

TEST_F(ReceiverTest, AGapFilledWithinTheGracePeriodIsNoProblem) {
  Receiver patient(*store, ReceiveContext{partner.pair_id, partner.device_id, &keys}, 60s);
  DeliveredEvent one = partner.next("one");
  DeliveredEvent two = partner.next("two");
  DeliveredEvent three = partner.next("three");
  std::swap(two.sequence, three.sequence);  // stored out of counter order
  patient.on_event(one);
  patient.on_event(three);
  EXPECT_TRUE(patient.holding());
  patient.on_event(two);
  patient.on_caught_up(3);
  patient.settle_gaps();
  EXPECT_FALSE(patient.holding());
  EXPECT_TRUE(patient.problems().empty());
  EXPECT_EQ(patient.accepted(), 3u);
  EXPECT_EQ(texts(), (std::vector<std::string>{"one", "three", "two"})) << "in sequence order";
}

TEST_F(ReceiverTest, RejectsASecondMessageWithACounterAlreadyHeld) {
  rx->on_event(partner.next("one"));
  rx->on_event(partner.make("another one", 1, {}));
  EXPECT_EQ(only_problem(), "fork");
}

TEST_F(ReceiverTest, RejectsAMessageThatDoesNotChainToThePreviousOne) {
  rx->on_event(partner.next("one"));
  rx->on_event(partner.make("two", 2, std::string(32, 'x')));
  EXPECT_EQ(only_problem(), "fork");
  EXPECT_EQ(texts(), (std::vector<std::string>{"one"}));
}

TEST_F(ReceiverTest, RejectsAnEventFromAnotherDevice) {
  DeliveredEvent e = partner.next("hi");
  e.sender_device_id = random_bytes(16);
  rx->on_event(e);
  EXPECT_EQ(only_problem(), "wrong-sender");
}

TEST_F(ReceiverTest, RejectsAHeaderNamingAnotherSender) {
  FakePartner impostor;
  impostor.pair_id = partner.pair_id;
  impostor.epoch_key = partner.epoch_key.clone();
  DeliveredEvent e = impostor.next("hi");
  e.sender_device_id = partner.device_id;  // the relay claims it is the partner
  rx->on_event(e);
  EXPECT_EQ(only_problem(), "wrong-sender");
}

TEST_F(ReceiverTest, RejectsAnotherPair) {
  FakePartner other;
  other.device_id = partner.device_id;
  other.epoch_key = partner.epoch_key.clone();
  rx->on_event(other.next("hi"));
  EXPECT_EQ(only_problem(), "wrong-pair");
}

TEST_F(ReceiverTest, RejectsAnUnknownEpoch) {
  rx->on_event(partner.make("hi", 1, {}, 9));
  EXPECT_EQ(only_problem(), "unknown-epoch");
}

TEST_F(ReceiverTest, RejectsASequenceTheStreamAlreadyPassed) {
  rx->on_event(partner.next("one"));
  rx->on_caught_up(10);
  DeliveredEvent late = partner.next("two");
  late.sequence = 5;
  rx->on_event(late);
  EXPECT_EQ(only_problem(), "reorder");
}

class KeyUpdateTest : public ReceiverTest {
 protected:
  std::string me = random_bytes(16);
  std::vector<uint32_t> added;
  void SetUp() override {
    ReceiverTest::SetUp();
    ReceiveContext ctx{
        partner.pair_id, partner.device_id, &keys, {}, 0, [this](uint32_t epoch, SecretBytes key) {
          added.push_back(epoch);
          keys.emplace(epoch, std::move(key));
        }};
    rx = std::make_unique<Receiver>(*store, ctx, 0ms);
  }
  uint32_t partners_epoch() { return next_owned_epoch(1, partner.device_id, me); }
};

TEST_F(KeyUpdateTest, APartnersNewHistoryKeyIsAddedAndUsable) {
  const std::string key = random_bytes(32);
  const uint32_t epoch = partners_epoch();
  rx->on_event(partner.next_key_update(epoch, key));
  ASSERT_EQ(added, std::vector<uint32_t>{epoch});
  EXPECT_TRUE(keys.at(epoch).equals(key));
  // The next message is sealed under the new epoch.
  partner.epoch_key = SecretBytes::copy_of(key);
  DeliveredEvent e = partner.make("under the new key", ++partner.counter, partner.last_hash, epoch);
  rx->on_event(e);
  EXPECT_TRUE(rx->problems().empty());
  const auto msgs = store->messages();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].kind, StoredMessage::Kind::kKeyUpdate);
  EXPECT_EQ(msgs[1].text, "under the new key");
}

TEST_F(KeyUpdateTest, EpochOneComesOnlyFromThePairing) {
  rx->on_event(partner.next_key_update(1, random_bytes(32)));
  EXPECT_EQ(only_problem(), "bad-content");
  EXPECT_TRUE(added.empty());
}

TEST_F(KeyUpdateTest, ASecondDifferentKeyForAnEpochIsRefused) {
  const uint32_t epoch = partners_epoch();
  keys.emplace(epoch, SecretBytes::random(32));
  rx->on_event(partner.next_key_update(epoch, random_bytes(32)));
  EXPECT_EQ(only_problem(), "bad-content");
}

TEST(EpochOwnership, EachDeviceOwnsOneParity) {
  const std::string lo(16, '\x01'), hi(16, '\x02');
  EXPECT_EQ(next_owned_epoch(1, lo, hi), 2u);
  EXPECT_EQ(next_owned_epoch(1, hi, lo), 3u);
  EXPECT_EQ(next_owned_epoch(3, lo, hi), 4u);
  EXPECT_EQ(next_owned_epoch(4, hi, lo), 5u);
  EXPECT_EQ(next_owned_epoch(0, lo, hi), 2u);
}

TEST_F(ReceiverTest, ADeletedMessageKeepsItsPlaceInTheChain) {
  rx->on_event(partner.next("one"));
  DeliveredEvent gone = partner.next("two");
  gone.deleted = true;
  gone.ciphertext.clear();
  rx->on_event(gone);
  rx->on_event(partner.next("three"));  // cannot be linked to "two": accepted unlinked
  EXPECT_TRUE(rx->problems().empty());
  const auto msgs = store->messages();
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[1].state, StoredMessage::State::kDeleted);
  EXPECT_EQ(msgs[2].text, "three");
}

TEST_F(ReceiverTest, AFakeDeletedMessageCannotReuseAHeldCounter) {
  DeliveredEvent one = partner.next("one");
  rx->on_event(one);
  DeliveredEvent fake = one;
  fake.sequence = ++partner.sequence;
  fake.deleted = true;
  fake.ciphertext.clear();
  rx->on_event(fake);
  EXPECT_EQ(only_problem(), "replay");
}

TEST_F(ReceiverTest, TextsAreEncryptedAtRest) {
  rx->on_event(partner.next("a very particular sentence"));
  store.reset();  // close the database so everything is on disk
  for (const auto& f : std::filesystem::directory_iterator(dir.path)) {
    std::ifstream in(f.path(), std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), {}};
    EXPECT_EQ(bytes.find("a very particular sentence"), std::string::npos) << f.path();
  }
}

}  // namespace
}  // namespace mend::client

namespace mend::client {
namespace {

// A pair whose partner replaced a device: the history holds the old device's chain,
// then the new device's chain starting again at counter 1.
class FormerDeviceTest : public ReceiverTest {
 protected:
  FakePartner old_device;  // same pair and key, another device id
  std::vector<uint32_t> added;
  // The replacement opened epoch 5 (held here, and known to whoever holds old keys too
  // for the sake of the test); `min_epoch` is the partner's floor.
  void use_former(bool own, uint32_t min_epoch = 0) {
    old_device.pair_id = partner.pair_id;
    old_device.epoch_key = partner.epoch_key.clone();
    keys.emplace(5, partner.epoch_key.clone());
    rx = std::make_unique<Receiver>(*store,
                                    ReceiveContext{partner.pair_id,
                                                   partner.device_id,
                                                   &keys,
                                                   {FormerDevice{old_device.device_id, own, 5}},
                                                   min_epoch,
                                                   [this](uint32_t epoch, SecretBytes key) {
                                                     added.push_back(epoch);
                                                     keys.emplace(epoch, std::move(key));
                                                   }},
                                    0ms);
  }
  DeliveredEvent after(FakePartner& from, const std::string& text, uint64_t sequence) {
    DeliveredEvent e = from.next(text);
    e.sequence = sequence;
    return e;
  }
};

TEST_F(FormerDeviceTest, EachSenderHasItsOwnChain) {
  use_former(false);
  rx->on_event(after(old_device, "old one", 1));
  rx->on_event(after(old_device, "old two", 2));
  rx->on_event(after(partner, "new one", 3));  // counter 1 again, on the new chain
  rx->on_event(after(partner, "new two", 4));
  EXPECT_TRUE(rx->problems().empty()) << rx->problems().front().detail;
  EXPECT_EQ(texts(), (std::vector<std::string>{"old one", "old two", "new one", "new two"}));
  EXPECT_EQ(store->chain_head(old_device.device_id).counter, 2u);
  EXPECT_EQ(store->chain_head(partner.device_id).counter, 2u);
}

TEST_F(FormerDeviceTest, AnEarlierDeviceOfMineIsStoredAsMine) {
  use_former(true);
  rx->on_event(after(old_device, "written on my lost phone", 1));
  rx->on_event(after(partner, "partner", 2));
  const auto msgs = store->messages();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_TRUE(msgs[0].from_me);
  EXPECT_FALSE(msgs[1].from_me);
}

TEST_F(FormerDeviceTest, AReplayOnAFormerChainIsStillAReplay) {
  use_former(false);
  DeliveredEvent first = after(old_device, "once", 1);
  rx->on_event(first);
  first.sequence = 2;
  rx->on_event(first);
  EXPECT_EQ(only_problem(), "replay");
}

// Someone holding the lost device's keys, with the relay's help, writing after the
// replacement: every way in is refused and reported.
TEST_F(FormerDeviceTest, AReplacedDeviceCannotAnnounceAKeyPastItsReplacement) {
  use_former(false);
  rx->on_event(old_device.next_key_update(1000, random_bytes(32)));
  EXPECT_EQ(only_problem(), "bad-content");
  EXPECT_TRUE(added.empty());
  EXPECT_FALSE(keys.contains(1000));
}

TEST_F(FormerDeviceTest, AReplacedDeviceCannotWriteUnderTheNewKeys) {
  use_former(false);
  rx->on_event(old_device.make("after I was replaced", 1, {}, 5));
  EXPECT_EQ(only_problem(), "stale-epoch");
}

TEST_F(FormerDeviceTest, TheNewPartnerDeviceCannotBeImpersonatedWithOldKeys) {
  use_former(false, 5);
  rx->on_event(partner.make("forged with epoch 1", 1, {}, 1));
  EXPECT_EQ(only_problem(), "stale-epoch");
  rx->on_event(partner.make("genuine", 1, {}, 5));
  EXPECT_EQ(texts(), std::vector<std::string>{"genuine"});
}

TEST_F(FormerDeviceTest, AReplacedDeviceSendsNoLiveMessages) {
  use_former(false);
  rx->on_event(old_device.live("I'm online"));
  EXPECT_EQ(only_problem(), "wrong-sender");
  EXPECT_EQ(rx->ephemeral_accepted(), 0u);
}

// The remaining partner's device named the replaced device's last message (counter 2):
// nothing past it, and nothing else in its place, is accepted.
TEST_F(FormerDeviceTest, AClosedChainTakesNothingPastItsLastMessage) {
  use_former(false);
  DeliveredEvent one = after(old_device, "one", 1);
  DeliveredEvent two = after(old_device, "two", 2);
  FormerDevice closed{
      old_device.device_id, false, 5, true, 2, envelope_hash(two.header, two.ciphertext)};
  rx = std::make_unique<Receiver>(
      *store, ReceiveContext{partner.pair_id, partner.device_id, &keys, {closed}}, 0ms);
  rx->on_event(one);
  rx->on_event(two);
  EXPECT_TRUE(rx->problems().empty());
  rx->on_event(after(old_device, "appended later with old keys", 3));
  EXPECT_EQ(only_problem(), "replaced-device");
}

TEST_F(FormerDeviceTest, AClosedChainsLastMessageCannotBeSwapped) {
  use_former(false);
  DeliveredEvent one = after(old_device, "one", 1);
  FormerDevice closed{old_device.device_id, false, 5, true, 2, std::string(32, 'x')};
  rx = std::make_unique<Receiver>(
      *store, ReceiveContext{partner.pair_id, partner.device_id, &keys, {closed}}, 0ms);
  rx->on_event(one);
  rx->on_event(after(old_device, "not the real last one", 2));
  EXPECT_EQ(only_problem(), "fork");
}

TEST_F(FormerDeviceTest, AnUnlistedDeviceIsStillRefused) {
  // Without the replacement recorded, the old device is a stranger.
  rx->on_event(after(old_device, "who?", 1));
  EXPECT_EQ(only_problem(), "wrong-sender");
}

}  // namespace
}  // namespace mend::client
