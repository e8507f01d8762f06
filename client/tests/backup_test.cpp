// The recovery code and the key backup blob (docs/PROTOCOL.md part II, "Recovery code"
// and "Key backup"). Each derivation runs Argon2id at 256 MiB, so these tests share
// the keys of two codes instead of deriving them per test.

#include "mend/client/backup.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "mend/client/error.h"
#include "mend/client/recovery_code.h"
#include "mend/client/sas.h"

#include "test_bytes.h"

namespace mend::client {
namespace {

using test::seq;

Errc error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return Errc{};
}

TEST(RecoveryCode, HasAtLeast128BitsAndEighteenWords) {
  const RecoveryCode code = RecoveryCode::generate();
  EXPECT_GE(code.entropy().size() * 8, 128u);
  EXPECT_EQ(code.words().size(), kRecoveryWordCount);
  EXPECT_NE(code.entropy().view(), RecoveryCode::generate().entropy().view());
}

TEST(RecoveryCode, RoundTripsThroughItsWords) {
  for (int i = 0; i < 20; ++i) {
    const RecoveryCode code = RecoveryCode::generate();
    EXPECT_EQ(RecoveryCode::parse(code.text()).entropy().view(), code.entropy().view());
  }
}

TEST(RecoveryCode, AcceptsCaseHyphensAndThreeLetterPrefixes) {
  const RecoveryCode code = RecoveryCode::from_entropy(seq(0x10, 16));
  std::string typed;
  for (const auto& w : code.words()) typed += (typed.empty() ? "" : " - ") + w.substr(0, 3);
  for (auto& c : typed) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(RecoveryCode::parse(typed).entropy().view(), code.entropy().view());
}

TEST(RecoveryCode, ChecksumCatchesEverySingleWordTypo) {
  const RecoveryCode code = RecoveryCode::from_entropy(seq(0x42, 16));
  const auto words = code.words();
  const auto& list = sas_word_list();
  int caught = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    auto typo = words;
    // The neighbouring list word: a plausible slip that is still a valid word.
    for (size_t j = 0; j < list.size(); ++j)
      if (list[j] == words[i]) typo[i] = std::string(list[(j + 1) % list.size()]);
    if (error_of([&] { RecoveryCode::parse(join_words(typo)); }) == Errc::kBadRecoveryCode)
      ++caught;
  }
  EXPECT_EQ(caught, static_cast<int>(words.size()));
}

TEST(RecoveryCode, RefusesUnknownWordsAndWrongLengths) {
  const auto words = RecoveryCode::from_entropy(seq(0x42, 16)).words();
  auto unknown = words;
  unknown[3] = "xylophone";
  EXPECT_EQ(error_of([&] { RecoveryCode::parse(join_words(unknown)); }), Errc::kBadRecoveryCode);
  auto shorter = words;
  shorter.pop_back();
  EXPECT_EQ(error_of([&] { RecoveryCode::parse(join_words(shorter)); }), Errc::kBadRecoveryCode);
  EXPECT_EQ(error_of([&] { RecoveryCode::parse("abacus 1234"); }), Errc::kBadRecoveryCode);
  EXPECT_EQ(error_of([&] { RecoveryCode::parse(""); }), Errc::kBadRecoveryCode);
}

BackupContents sample_contents() {
  BackupContents c;
  c.pair_id = std::string(16, '\x11');
  c.device_id = std::string(16, '\x22');
  c.partner_device_id = std::string(16, '\x33');
  c.partner_identity_key = std::string(32, '\x44');
  c.pair_root_key = SecretBytes::copy_of(std::string(32, '\x55'));
  c.epoch_keys.emplace(1, SecretBytes::copy_of(std::string(32, '\x66')));
  c.epoch_keys.emplace(2, SecretBytes::copy_of(std::string(32, '\x77')));
  c.current_epoch = 2;
  c.server_id = std::string(16, '\x88');
  c.created_at_ms = 1700000000000;
  return c;
}

class BackupBlob : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new BackupKeys(derive_backup_keys(RecoveryCode::from_entropy(seq(0x00, 16))));
    other_keys_ = new BackupKeys(derive_backup_keys(RecoveryCode::from_entropy(seq(0x01, 16))));
  }
  static void TearDownTestSuite() {
    delete keys_;
    delete other_keys_;
  }
  static BackupKeys* keys_;
  static BackupKeys* other_keys_;
};
BackupKeys* BackupBlob::keys_ = nullptr;
BackupKeys* BackupBlob::other_keys_ = nullptr;

TEST_F(BackupBlob, DifferentCodesGiveDifferentIdsAndKeys) {
  EXPECT_EQ(keys_->backup_id.size(), kBackupIdBytes);
  EXPECT_NE(keys_->backup_id, other_keys_->backup_id);
  EXPECT_FALSE(keys_->wrapping_key.equals(other_keys_->wrapping_key.view()));
  EXPECT_FALSE(keys_->wrapping_key.equals(keys_->backup_id));
}

TEST_F(BackupBlob, SealsAndOpens) {
  const std::string blob = seal_backup(sample_contents(), *keys_);
  EXPECT_EQ(blob[0], '\x01');
  EXPECT_EQ(blob.find(std::string(32, '\x66')), std::string::npos);
  const BackupContents c = open_backup(blob, *keys_);
  EXPECT_EQ(c.pair_id, std::string(16, '\x11'));
  EXPECT_EQ(c.device_id, std::string(16, '\x22'));
  EXPECT_EQ(c.partner_device_id, std::string(16, '\x33'));
  EXPECT_EQ(c.partner_identity_key, std::string(32, '\x44'));
  EXPECT_TRUE(c.pair_root_key.equals(std::string(32, '\x55')));
  ASSERT_EQ(c.epoch_keys.size(), 2u);
  EXPECT_TRUE(c.epoch_keys.at(1).equals(std::string(32, '\x66')));
  EXPECT_TRUE(c.epoch_keys.at(2).equals(std::string(32, '\x77')));
  EXPECT_EQ(c.current_epoch, 2u);
  EXPECT_EQ(c.server_id, std::string(16, '\x88'));
  EXPECT_EQ(c.created_at_ms, 1700000000000u);
  EXPECT_NE(seal_backup(sample_contents(), *keys_), blob);  // fresh nonce each time
}

TEST_F(BackupBlob, WrongCodeIsRefused) {
  const std::string blob = seal_backup(sample_contents(), *keys_);
  EXPECT_EQ(error_of([&] { open_backup(blob, *other_keys_); }), Errc::kBackupRefused);
}

TEST_F(BackupBlob, EveryAlteredByteIsRefused) {
  const std::string blob = seal_backup(sample_contents(), *keys_);
  for (size_t i = 0; i < blob.size(); ++i) {
    std::string altered = blob;
    altered[i] ^= 0x01;
    EXPECT_EQ(error_of([&] { open_backup(altered, *keys_); }), Errc::kBackupRefused) << i;
  }
  EXPECT_EQ(error_of([&] { open_backup(blob.substr(0, blob.size() - 1), *keys_); }),
            Errc::kBackupRefused);
  EXPECT_EQ(error_of([&] { open_backup(blob.substr(0, 20), *keys_); }), Errc::kBackupRefused);
}

TEST_F(BackupBlob, AnotherBackupIdIsRefused) {
  // The AD binds the blob to its backup_id: a relay cannot serve one pair's blob
  // under another id (same wrapping key, other id: still refused).
  const std::string blob = seal_backup(sample_contents(), *keys_);
  BackupKeys moved{other_keys_->backup_id, keys_->wrapping_key.clone()};
  EXPECT_EQ(error_of([&] { open_backup(blob, moved); }), Errc::kBackupRefused);
}

}  // namespace
}  // namespace mend::client
