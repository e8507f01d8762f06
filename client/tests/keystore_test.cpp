#include "mend/client/keystore.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "keystore_file.h"
#include "mend/client/backup.h"
#include "mend/client/error.h"
#include "mend/client/keystore_path.h"
#include "mend/common/ids.h"
#include "temp_dir.h"

namespace mend::client {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPassphrase = "correct horse battery staple";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void write_file(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

template <class F>
void expect_error(F&& f, Errc code) {
  try {
    f();
    ADD_FAILURE() << "expected error " << summary(code);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
  }
}

// Every test uses INTERACTIVE limits: MODERATE costs 256 MiB and ~1 s per unlock.
class KeystoreTest : public ::testing::Test {
 protected:
  test::TempDir dir;
  fs::path path = dir.path / "mend" / "keystore";
  Keystore create() { return Keystore::create(path, kPassphrase, PwhashLimits::interactive()); }
  // Opens and expects `code`, and that the file is byte-for-byte what it was.
  void expect_open_fails(std::string_view passphrase, Errc code, const std::string& why) {
    const std::string before = read_file(path);
    try {
      (void)Keystore::open(path, passphrase);
      ADD_FAILURE() << why << ": opened";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), code) << why << ": " << e.what();
    }
    EXPECT_EQ(read_file(path), before) << why;
  }
  std::vector<std::string> files_in_dir() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(path.parent_path()))
      out.push_back(e.path().filename().string());
    return out;
  }
};

PairRecord sample_pair(const DeviceIdentity& partner) {
  PairRecord p;
  p.pair_id = random_bytes(kPairIdBytes);
  p.partner_device_id = partner.device_id();
  p.partner_identity_key = partner.signing_public_key();
  p.pair_root_key = SecretBytes::random(32);
  p.epoch_keys.emplace(1, SecretBytes::random(32));
  p.epoch_keys.emplace(2, SecretBytes::random(32));
  p.current_epoch = 2;
  p.paired_at_ms = 1700000000000;
  return p;
}

TEST_F(KeystoreTest, CreateThenOpenGivesTheSameIdentity) {
  const Keystore created = create();
  const Keystore opened = Keystore::open(path, kPassphrase);
  const DeviceIdentity& a = created.identity();
  const DeviceIdentity& b = opened.identity();
  EXPECT_EQ(a.signing_public_key(), b.signing_public_key());
  EXPECT_EQ(a.kx_public_key(), b.kx_public_key());
  EXPECT_EQ(a.device_id(), b.device_id());
  EXPECT_EQ(b.device_id(), device_id_for(b.signing_public_key()));
  EXPECT_TRUE(a.signing_secret_key().equals(b.signing_secret_key().view()));
  EXPECT_TRUE(a.kx_secret_key().equals(b.kx_secret_key().view()));
  EXPECT_EQ(created.created_at_ms(), opened.created_at_ms());
  EXPECT_EQ(opened.limits().opslimit, PwhashLimits::interactive().opslimit);
  EXPECT_EQ(opened.limits().memlimit, PwhashLimits::interactive().memlimit);
  EXPECT_FALSE(opened.pair().has_value());
  // The keys work: a signature verifies under the public key.
  const std::string sig = b.sign("message");
  EXPECT_EQ(crypto_sign_verify_detached(
                reinterpret_cast<const unsigned char*>(sig.data()),
                reinterpret_cast<const unsigned char*>("message"), 7,
                reinterpret_cast<const unsigned char*>(a.signing_public_key().data())),
            0);
}

TEST_F(KeystoreTest, PairStateAndPendingPairingRoundTrip) {
  Keystore ks = create();
  const DeviceIdentity partner = DeviceIdentity::generate();
  PairRecord record = sample_pair(partner);
  record.former_devices = {FormerDevice{std::string(16, 'o'), true, 4},
                           FormerDevice{std::string(16, 'p'), false, 6}};
  record.replacement_epoch = 6;
  record.partner_min_epoch = 6;
  ks.set_pair(std::move(record));
  ks.set_pending_pairing(SecretBytes::copy_of("serialized pairing state"));
  ks.save();
  const Keystore opened = Keystore::open(path, kPassphrase);
  ASSERT_TRUE(opened.pair().has_value());
  const PairRecord& a = *ks.pair();
  const PairRecord& b = *opened.pair();
  EXPECT_EQ(a.pair_id, b.pair_id);
  EXPECT_EQ(b.partner_device_id, partner.device_id());
  EXPECT_EQ(b.partner_identity_key, partner.signing_public_key());
  EXPECT_TRUE(a.pair_root_key.equals(b.pair_root_key.view()));
  ASSERT_EQ(b.epoch_keys.size(), 2u);
  EXPECT_TRUE(a.epoch_keys.at(1).equals(b.epoch_keys.at(1).view()));
  EXPECT_TRUE(a.epoch_keys.at(2).equals(b.epoch_keys.at(2).view()));
  EXPECT_EQ(b.current_epoch, 2u);
  EXPECT_EQ(b.paired_at_ms, 1700000000000u);
  EXPECT_EQ(b.former_devices, a.former_devices);
  EXPECT_EQ(b.replacement_epoch, 6u);
  EXPECT_EQ(b.partner_min_epoch, 6u);
  EXPECT_EQ(opened.pending_pairing().view(), "serialized pairing state");

  ks.clear_pair();
  ks.clear_pending_pairing();
  ks.save();
  const Keystore cleared = Keystore::open(path, kPassphrase);
  EXPECT_FALSE(cleared.pair().has_value());
  EXPECT_TRUE(cleared.pending_pairing().empty());
}

TEST_F(KeystoreTest, FileIsPrivateAndWrittenWithoutLeftovers) {
  Keystore ks = create();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(path.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);  // the directory it had to create
  ks.save();
  ks.save();
  EXPECT_EQ(files_in_dir(), std::vector<std::string>{"keystore"});  // no temporary files
  const std::string header = read_file(path).substr(0, 8);
  EXPECT_EQ(header.substr(0, 6), "MENDKS");
  EXPECT_EQ(header[6], 1);  // version
  EXPECT_EQ(header[7], 2);  // Argon2id
}

TEST_F(KeystoreTest, RefusesToOverwriteAnExistingKeystoreUnlessAsked) {
  const Keystore first = create();
  const std::string before = read_file(path);
  expect_error([&] { (void)create(); }, Errc::kKeystoreExists);
  EXPECT_EQ(read_file(path), before);
  const Keystore replaced = Keystore::create(
      path, "another passphrase", PwhashLimits::interactive(), Keystore::IfExists::kReplace);
  EXPECT_NE(replaced.identity().signing_public_key(), first.identity().signing_public_key());
  expect_open_fails(kPassphrase, Errc::kWrongPassphrase, "old passphrase after replace");
}

TEST_F(KeystoreTest, WrongPassphraseSaysSoAndChangesNothing) {
  (void)create();
  const std::string before = read_file(path);
  try {
    (void)Keystore::open(path, "correct horse battery stapler");
    FAIL() << "opened with a wrong passphrase";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kWrongPassphrase);
    EXPECT_STREQ(e.what(), "wrong passphrase");
  }
  expect_open_fails("", Errc::kWrongPassphrase, "empty passphrase");
  EXPECT_EQ(read_file(path), before);
  EXPECT_EQ(files_in_dir(), std::vector<std::string>{"keystore"});
}

TEST_F(KeystoreTest, TruncatedFilesAreDamagedNotWrongPassphrase) {
  (void)create();
  const std::string good = read_file(path);
  for (size_t len : {size_t{0}, size_t{3}, size_t{6}, size_t{7}, size_t{50}, size_t{84},
                     size_t{131}, good.size() - 33, good.size() - 32, good.size() - 1}) {
    write_file(path, good.substr(0, len));
    expect_open_fails(kPassphrase, Errc::kKeystoreDamaged, "truncated to " + std::to_string(len));
  }
  write_file(path, good + "x");
  expect_open_fails(kPassphrase, Errc::kKeystoreDamaged, "trailing byte");
}

TEST_F(KeystoreTest, EveryCorruptedByteIsDetectedAsDamage) {
  (void)create();
  const std::string good = read_file(path);
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x01;  // the version byte becomes 0, which is damage too
    write_file(path, bad);
    expect_open_fails(kPassphrase, Errc::kKeystoreDamaged, "flipped byte " + std::to_string(i));
  }
  write_file(path, good);
  try {
    (void)Keystore::open(path, kPassphrase);
  } catch (const Error& e) {
    FAIL() << "the restored file must open: " << e.what();
  }
}

TEST_F(KeystoreTest, DeliberateTamperingWithAValidChecksumIsStillDetected) {
  (void)create();
  const std::string good = read_file(path);
  const size_t body = good.size() - detail::kKeystoreChecksumBytes;
  // Alter, then recompute the (unkeyed) checksum as an attacker could.
  const auto tampered = [&](size_t at) {
    std::string bad = good.substr(0, body);
    bad[at] ^= 0x01;
    return detail::assemble_keystore_file(bad.substr(0, detail::kKeystoreHeaderBytes),
                                          bad.substr(detail::kKeystoreHeaderBytes));
  };
  write_file(path, tampered(detail::kKeystoreHeaderBytes + 5));  // ciphertext
  expect_open_fails(kPassphrase, Errc::kKeystoreDamaged, "ciphertext");
  write_file(path, tampered(40));  // nonce (header, authenticated as associated data)
  expect_open_fails(kPassphrase, Errc::kKeystoreDamaged, "nonce");
  write_file(path, tampered(24));  // salt: a different key, so the check fails
  expect_open_fails(kPassphrase, Errc::kWrongPassphrase, "salt");
}

TEST_F(KeystoreTest, NewerFormatVersionIsUnsupported) {
  (void)create();
  std::string bad = read_file(path);
  bad[6] = 2;
  write_file(path, bad);
  expect_open_fails(kPassphrase, Errc::kKeystoreUnsupported, "version 2");
}

TEST_F(KeystoreTest, MissingFileIsNotFound) {
  expect_error([&] { (void)Keystore::open(path, kPassphrase); }, Errc::kKeystoreNotFound);
}

TEST_F(KeystoreTest, ChangePassphrase) {
  Keystore ks = create();
  ks.change_passphrase("a new passphrase", PwhashLimits::interactive());
  expect_open_fails(kPassphrase, Errc::kWrongPassphrase, "old passphrase");
  const Keystore opened = Keystore::open(path, "a new passphrase");
  EXPECT_EQ(opened.identity().device_id(), ks.identity().device_id());
}

// The file must hold no secret in the clear: not the keys, not any 8-byte piece of them.
TEST_F(KeystoreTest, FileContainsNoSecretKeyBytes) {
  Keystore ks = create();
  ks.set_pair(sample_pair(DeviceIdentity::generate()));
  const std::string pending = random_bytes(64);
  ks.set_pending_pairing(SecretBytes::copy_of(pending));
  const std::string local_key = ks.local_store_key().insecure_copy();
  ks.set_server_url("ws://relay.example:8470/v1");
  ks.save();
  const std::string file = read_file(path);
  const DeviceIdentity& id = ks.identity();
  std::vector<std::pair<std::string, std::string>> secrets = {
      {"signing seed", id.signing_seed().insecure_copy()},
      {"signing secret key", id.signing_secret_key().insecure_copy()},
      {"kx secret key", id.kx_secret_key().insecure_copy()},
      {"pair root key", ks.pair()->pair_root_key.insecure_copy()},
      {"epoch key 1", ks.pair()->epoch_keys.at(1).insecure_copy()},
      {"epoch key 2", ks.pair()->epoch_keys.at(2).insecure_copy()},
      {"pending pairing", pending},
      {"local store key", local_key},
      {"server url", "relay.example"},
      {"passphrase", std::string(kPassphrase)},
      // Not secret, but encrypted too: the file should not reveal who this device is.
      {"signing public key", id.signing_public_key()},
      {"partner identity key", ks.pair()->partner_identity_key},
  };
  for (const auto& [name, secret] : secrets) {
    ASSERT_GE(secret.size(), 8u);
    for (size_t i = 0; i + 8 <= secret.size(); ++i)
      EXPECT_EQ(file.find(secret.substr(i, 8)), std::string::npos)
          << name << " bytes " << i << ".." << i + 8 << " appear in the file";
  }
}

TEST_F(KeystoreTest, KeepsTheLocalStoreKeyServerUrlAndPairServerId) {
  Keystore ks = create();
  EXPECT_FALSE(ks.has_local_store_key());
  const std::string local_key = ks.local_store_key().insecure_copy();
  EXPECT_EQ(local_key.size(), 32u);
  PairRecord pair = sample_pair(DeviceIdentity::generate());
  pair.server_id = random_bytes(16);
  const std::string server_id = pair.server_id;
  ks.set_pair(std::move(pair));
  ks.set_server_url("ws://127.0.0.1:9/v1");
  ks.save();
  Keystore again = Keystore::open(path, kPassphrase);
  ASSERT_TRUE(again.has_local_store_key());
  EXPECT_TRUE(again.local_store_key().equals(local_key));
  EXPECT_EQ(again.server_url(), "ws://127.0.0.1:9/v1");
  EXPECT_EQ(again.pair()->server_id, server_id);
}

TEST(KeystorePath, ExplicitThenEnvironmentThenXdgThenHome) {
  // Each test runs in its own process under CTest, so changing the environment is safe;
  // the values are restored anyway for runs of the whole binary.
  struct Env {
    std::string name;
    std::optional<std::string> old;
    explicit Env(std::string n) : name(std::move(n)) {
      if (const char* v = std::getenv(name.c_str())) old = v;
    }
    ~Env() {
      if (old)
        ::setenv(name.c_str(), old->c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
  } mk("MEND_KEYSTORE"), xdg("XDG_DATA_HOME"), home("HOME");

  ::setenv("HOME", "/home/partner", 1);
  ::unsetenv("XDG_DATA_HOME");
  ::unsetenv("MEND_KEYSTORE");
  EXPECT_EQ(keystore_path(), fs::path("/home/partner/.local/share/mend/keystore"));
  ::setenv("XDG_DATA_HOME", "relative/dir", 1);  // ignored, as the XDG spec says
  EXPECT_EQ(keystore_path(), fs::path("/home/partner/.local/share/mend/keystore"));
  ::setenv("XDG_DATA_HOME", "/data", 1);
  EXPECT_EQ(keystore_path(), fs::path("/data/mend/keystore"));
  ::setenv("MEND_KEYSTORE", "/elsewhere/ks", 1);
  EXPECT_EQ(keystore_path(), fs::path("/elsewhere/ks"));
  EXPECT_EQ(keystore_path(fs::path("/flag/ks")), fs::path("/flag/ks"));
  EXPECT_EQ(keystore_path(fs::path()), fs::path("/elsewhere/ks"));  // empty flag = not given
}

TEST(PwhashLimits, DefaultIsModerate) {
  EXPECT_EQ(PwhashLimits::moderate().opslimit, crypto_pwhash_OPSLIMIT_MODERATE);
  EXPECT_EQ(PwhashLimits::moderate().memlimit, crypto_pwhash_MEMLIMIT_MODERATE);
  EXPECT_EQ(PwhashLimits::interactive().opslimit, crypto_pwhash_OPSLIMIT_INTERACTIVE);
  EXPECT_EQ(PwhashLimits::interactive().memlimit, crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

BackupContents backup_contents() {
  BackupContents c;
  c.pair_id = std::string(16, '\x11');
  c.device_id = std::string(16, '\x22');
  c.pair_root_key = SecretBytes::copy_of(std::string(32, '\x55'));
  c.epoch_keys.emplace(1, SecretBytes::copy_of(std::string(32, '\x66')));
  c.epoch_keys.emplace(2, SecretBytes::copy_of(std::string(32, '\x77')));
  c.current_epoch = 2;
  return c;
}

TEST(RestoredBackup, SurvivesAKeystoreSaveAndParsesBack) {
  test::TempDir dir;
  const auto path = dir.path / "keystore";
  {
    Keystore ks = Keystore::create(path, "pass", PwhashLimits::interactive());
    ks.set_restored_backup(serialize_backup_contents(backup_contents()));
    ks.save();
  }
  const Keystore ks = Keystore::open(path, "pass");
  const BackupContents c = parse_backup_contents(ks.restored_backup().view());
  EXPECT_EQ(c.pair_id, std::string(16, '\x11'));
  ASSERT_EQ(c.epoch_keys.size(), 2u);
  EXPECT_TRUE(c.epoch_keys.at(2).equals(std::string(32, '\x77')));
  EXPECT_THROW(parse_backup_contents("not a backup"), Error);
}

}  // namespace
}  // namespace mend::client
