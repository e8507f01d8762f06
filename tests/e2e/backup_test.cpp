#include "devices.h"
#include "e2e.h"
#include "stream.h"

namespace mend::test {
namespace {

v1::ServerFrame put_backup(Device& d, const std::string& id, const std::string& blob) {
  auto f = d.conn->frame(d.next_request++);
  f.mutable_put_backup()->set_backup_id(id);
  f.mutable_put_backup()->set_blob(blob);
  d.conn->send(f);
  return d.conn->next();
}

v1::ServerFrame fetch_backup(Device& d, const std::string& id) {
  auto f = d.conn->frame(d.next_request++);
  f.mutable_fetch_backup()->set_backup_id(id);
  d.conn->send(f);
  return d.conn->next();
}

TEST(Backups, APairedDeviceStoresOneAndAnyDeviceFetchesItByIdUntilUnpair) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  const std::string id1 = random_id(32), id2 = random_id(32);

  const auto stored = put_backup(a, id1, "first blob");
  ASSERT_EQ(stored.body_case(), Body::kBackupStored) << stored.DebugString();
  EXPECT_GT(stored.backup_stored().stored_at_ms(), 0u);
  // A new device, not paired, restores with the id alone.
  Device n = fresh(mendd.port());
  const auto got = fetch_backup(n, id1);
  ASSERT_EQ(got.body_case(), Body::kBackup) << got.DebugString();
  EXPECT_EQ(got.backup().blob(), "first blob");

  // A device keeps one backup: a new one replaces the old.
  ASSERT_EQ(put_backup(a, id2, "second blob").body_case(), Body::kBackupStored);
  EXPECT_EQ(fetch_backup(n, id1).error().code(), v1::ERROR_CODE_NOT_FOUND);
  EXPECT_EQ(fetch_backup(n, id2).backup().blob(), "second blob");
  // Another device cannot take an id that is in use; an unpaired one cannot store at all.
  EXPECT_EQ(put_backup(b, id2, "theirs").error().code(), v1::ERROR_CODE_FORBIDDEN);
  EXPECT_EQ(put_backup(n, random_id(32), "x").error().code(), v1::ERROR_CODE_NOT_PAIRED);
  ASSERT_EQ(put_backup(b, random_id(32), "b's blob").body_case(), Body::kBackupStored);
  EXPECT_EQ(count_rows(mendd.database(), "backups"), 2);

  // Unpair deletes the pair's backups with everything else.
  auto u = a.conn->frame(a.next_request++);
  u.mutable_unpair();
  a.conn->send(u);
  a.conn->expect(Body::kPairEnded);
  EXPECT_EQ(fetch_backup(n, id2).error().code(), v1::ERROR_CODE_NOT_FOUND);
  EXPECT_EQ(count_rows(mendd.database(), "backups"), 0);
}

TEST(Backups, MalformedIdsAndOversizedBlobsAreRefused) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  auto f = a.conn->frame(7);
  f.mutable_put_backup()->set_backup_id(random_id(32));
  f.mutable_put_backup()->set_blob(std::string(64 * 1024 + 1, 'x'));
  a.conn->send(f);
  const auto e = a.conn->next();
  ASSERT_EQ(e.body_case(), Body::kError);
  EXPECT_EQ(e.error().code(), v1::ERROR_CODE_MALFORMED_FRAME);
  EXPECT_EQ(a.conn->wait_closed(5s), 1002);
  EXPECT_EQ(fetch_backup(b, "short").error().code(), v1::ERROR_CODE_MALFORMED_FRAME);
}

// B loses its phone: A asks for a replacement code, B's new device N redeems it
// and takes B's place in the same pair, with the whole history and B's backup.
TEST(DeviceReplacement, TheNewDeviceTakesTheLostOnesPlaceWithTheHistory) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  EXPECT_EQ(mendd.metric("mendd_pairs_online"), 1);
  b.send_stored("from the old phone");
  a.send_stored("before the loss");
  const std::string backup_id = random_id(32);
  ASSERT_EQ(put_backup(b, backup_id, "b's wrapped keys").body_case(), Body::kBackupStored);

  auto req = a.conn->frame(a.next_request++);
  req.mutable_request_pairing_code()->set_replace_partner(true);
  a.conn->send(req);
  const std::string code = a.conn->expect(Body::kPairingCode).pairing_code().code();

  Device n = fresh(mendd.port());
  EXPECT_EQ(fetch_backup(n, backup_id).backup().blob(), "b's wrapped keys");
  auto redeem = n.conn->frame(n.next_request++);
  redeem.mutable_redeem_pairing_code()->set_code(code);
  n.conn->send(redeem);
  const auto pn = n.conn->expect(Body::kPaired).paired();
  const auto pa = a.conn->expect(Body::kPaired).paired();
  EXPECT_EQ(pn.pair_id(), a.pair_id) << "same pair, same history";
  EXPECT_EQ(pa.pair_id(), a.pair_id);
  EXPECT_EQ(pn.replaced_device_id(), b.id.device_id);
  EXPECT_EQ(pa.replaced_device_id(), b.id.device_id);
  EXPECT_EQ(pa.partner_device_id(), n.id.device_id);
  EXPECT_EQ(pa.partner_public_key(), n.id.public_key);
  EXPECT_EQ(pn.partner_device_id(), a.id.device_id);
  EXPECT_FALSE(pn.initiator());
  // The lost device is out of the pair at once, and stays out.
  const auto ended = b.conn->expect(Body::kPairEnded).pair_ended();
  EXPECT_EQ(ended.reason(), v1::PAIR_END_REASON_DEVICE_REPLACED);
  EXPECT_EQ(mendd.metric("mendd_pairs_online"), 1) << "a and n now, no longer a and b";
  EXPECT_TRUE(b.reconnect(mendd.port()).pair_id().empty());
  EXPECT_EQ(count_rows(mendd.database(), "pair_members"), 2);

  // N reads the whole history, and the pair goes on.
  n.pair_id = pn.pair_id();
  n.partner_id = pn.partner_device_id();
  subscribe(n, 0);
  const auto events = collect(*n.conn, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].envelope().ciphertext(), "from the old phone");
  EXPECT_EQ(events[0].sender_device_id(), b.id.device_id);
  EXPECT_EQ(events[1].envelope().ciphertext(), "before the loss");
  n.conn->expect(Body::kCaughtUp);
  EXPECT_EQ(n.send_stored("from the new phone").sequence(), 3u);
  // B's backup moved with its place: the same recovery code still finds it.
  EXPECT_EQ(fetch_backup(n, backup_id).backup().blob(), "b's wrapped keys");

  // The code was single use, and only a paired device may ask for one.
  Device x = fresh(mendd.port());
  auto again = x.conn->frame(1);
  again.mutable_redeem_pairing_code()->set_code(code);
  x.conn->send(again);
  EXPECT_EQ(x.conn->next().error().code(), v1::ERROR_CODE_CODE_USED);
  auto unpaired_req = x.conn->frame(2);
  unpaired_req.mutable_request_pairing_code()->set_replace_partner(true);
  x.conn->send(unpaired_req);
  EXPECT_EQ(x.conn->next().error().code(), v1::ERROR_CODE_NOT_PAIRED);
}

// Both partners ask for a code to replace the other; the first redemption wins
// and the loser's code is dead: it cannot pull the pair away from its new members.
TEST(DeviceReplacement, ACodeDiesWhenItsDeviceIsReplaced) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  const std::string code_of_a = replace_code(a);  // would replace b
  const std::string code_of_b = replace_code(b);  // would replace a

  Device n2 = fresh(mendd.port());
  auto r = n2.conn->frame(n2.next_request++);
  r.mutable_redeem_pairing_code()->set_code(code_of_b);
  n2.conn->send(r);
  EXPECT_EQ(n2.conn->expect(Body::kPaired).paired().replaced_device_id(), a.id.device_id);
  EXPECT_EQ(a.conn->expect(Body::kPairEnded).pair_ended().reason(),
            v1::PAIR_END_REASON_DEVICE_REPLACED);

  Device n = fresh(mendd.port());
  auto late = n.conn->frame(n.next_request++);
  late.mutable_redeem_pairing_code()->set_code(code_of_a);
  n.conn->send(late);
  EXPECT_EQ(n.conn->next().error().code(), v1::ERROR_CODE_CODE_NOT_FOUND);
  // The pair is b and n2, and a is out for good.
  EXPECT_TRUE(a.reconnect(mendd.port()).pair_id().empty());
  const auto rec_b = b.reconnect(mendd.port());
  EXPECT_EQ(rec_b.partner_device_id(), n2.id.device_id);
  EXPECT_EQ(count_rows(mendd.database(), "pair_members"), 2);
}

// A replacement whose words did not match leaves the new device in the pair. The
// remaining partner's next code may be redeemed by that same device (it verifies
// again; nothing changes in storage), but a paired device cannot redeem other codes.
TEST(DeviceReplacement, TheReplacedInDeviceMayRedeemACodeThatReplacesItself) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  a.send_stored("history");
  Device n = fresh(mendd.port());
  auto r1 = n.conn->frame(n.next_request++);
  r1.mutable_redeem_pairing_code()->set_code(replace_code(a));
  n.conn->send(r1);
  ASSERT_EQ(n.conn->expect(Body::kPaired).paired().replaced_device_id(), b.id.device_id);
  a.conn->expect(Body::kPaired);

  // Someone else's ordinary code: refused, and still good for its rightful redeemer.
  Device c = fresh(mendd.port());
  auto rc = c.conn->frame(c.next_request++);
  rc.mutable_request_pairing_code();
  c.conn->send(rc);
  const std::string other_code = c.conn->expect(Body::kPairingCode).pairing_code().code();
  auto steal = n.conn->frame(n.next_request++);
  steal.mutable_redeem_pairing_code()->set_code(other_code);
  n.conn->send(steal);
  EXPECT_EQ(n.conn->next().error().code(), v1::ERROR_CODE_ALREADY_PAIRED);
  Device d = fresh(mendd.port());
  auto rd = d.conn->frame(d.next_request++);
  rd.mutable_redeem_pairing_code()->set_code(other_code);
  d.conn->send(rd);
  EXPECT_EQ(d.conn->expect(Body::kPaired).paired().partner_device_id(), c.id.device_id);

  // A's new replacement code, redeemed by n itself: both get Paired again.
  auto r2 = n.conn->frame(n.next_request++);
  r2.mutable_redeem_pairing_code()->set_code(replace_code(a));
  n.conn->send(r2);
  const auto pn = n.conn->expect(Body::kPaired).paired();
  const auto pa = a.conn->expect(Body::kPaired).paired();
  EXPECT_EQ(pn.pair_id(), a.pair_id);
  EXPECT_EQ(pn.partner_device_id(), a.id.device_id);
  EXPECT_EQ(pa.partner_device_id(), n.id.device_id);
  EXPECT_EQ(pa.replaced_device_id(), n.id.device_id);
  EXPECT_EQ(count_rows(mendd.database(), "pair_members"), 4) << "two pairs of two";
  EXPECT_EQ(count_rows(mendd.database(), "events"), 1) << "the history is untouched";
}

}  // namespace
}  // namespace mend::test
