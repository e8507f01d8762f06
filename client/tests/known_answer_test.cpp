// Known-answer vectors: fixed inputs -> exact bytes. The same values are written out
// in docs/PROTOCOL.md part II ("Test vectors") so that an independent implementation can
// check itself, and were verified independently with Python (hashlib.blake2b,
// PyNaCl); see client/tests/client_crypto_vectors.py.

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

#include "envelope_internal.h"
#include "keystore_file.h"
#include "mend/client/backup.h"
#include "mend/client/envelope_crypto.h"
#include "mend/client/identity.h"
#include "mend/client/kdf.h"
#include "mend/client/pairing.h"
#include "mend/client/recovery_code.h"
#include "mend/client/safety_number.h"
#include "mend/client/sas.h"
#include "mend/common/hex.h"
#include "mend/v1/wire.pb.h"
#include "pairing_internal.h"

#include "test_bytes.h"

namespace mend::client {
namespace {

using test::seq;
const unsigned char* u8(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

TEST(KnownAnswer, Kdf) {
  const std::string key = seq(0x00, 32);
  EXPECT_EQ(to_hex(derive_subkey(key, 1, "mendSAS_", 32).view()),
            "86e9142acfff491c5b2703344c051c1e4e4c3cc772a2794a1b14945422912d6a");
  EXPECT_EQ(to_hex(derive_subkey(key, 7, "mendmsg_", 32).view()),
            "695e98c1c29fb7c1ad00d608429b0f5a627c3b1445aa2008b00d4a071f093402");
}

std::string vector_header() {
  mend::v1::EnvelopeHeader h;
  h.set_pair_id(std::string(16, '\x11'));
  h.set_sender_device_id(std::string(16, '\x22'));
  h.set_sender_counter(7);
  h.set_epoch(1);
  h.set_kind(mend::v1::ENVELOPE_KIND_STORED);
  h.set_client_message_id(std::string(16, '\x33'));
  h.set_padded_length(256);
  h.set_previous_hash(std::string(32, '\x44'));
  h.set_content_version(1);
  return h.SerializeAsString();
}

TEST(KnownAnswer, EpochAndLocalStoreKeys) {
  // Epoch 1's history key from the pair root key (recomputed with Python hashlib).
  EXPECT_EQ(to_hex(epoch_key_from_root(SecretBytes::copy_of(seq(0x80, 32)), 1).view()),
            "a512ba812fb1a53bfd79f4c72ebb06c35b10a5d5e2c0f48496476d7d88e5a274");
  EXPECT_EQ(to_hex(derive_subkey(seq(0x00, 32), 1, kdf_context::kLocal, 32).view()),
            "c9ca965f2d69dd6351477417c8deaa11051fa46d110041020dcba350be0677e9");
}

TEST(KnownAnswer, Envelope) {
  const SecretBytes epoch_key = SecretBytes::copy_of(seq(0x80, 32));
  const std::string header = vector_header();
  const std::string plaintext = "hello, partner";
  const std::string nonce = seq(0x00, 24);
  EXPECT_EQ(to_hex(header),
            "0a10111111111111111111111111111111111210222222222222222222222222"
            "2222222218072001280132103333333333333333333333333333333338800242"
            "2044444444444444444444444444444444444444444444444444444444444444"
            "444801");
  EXPECT_EQ(to_hex(message_key(epoch_key, 7).view()),
            "ae024e148a1e61da6e3b320761a6fd8f037ae9a99201606ce5e65b8070f91984");
  const std::string ct = detail::seal_envelope_with_nonce(plaintext, header, epoch_key, 7, nonce);
  EXPECT_EQ(to_hex(ct),
            "000102030405060708090a0b0c0d0e0f1011121314151617e2b55a201ee4d244"
            "49f285e339337e7fc12da810e5b2fb8d7f876e886a43e505b7690ea9494a2588"
            "34d1ed5c2ee6b9a5374f70dc66e8d1441182dd730dc7953582c8fbb56f2a025f"
            "6cc59b65b58d388a8d4fd1cb221d581863690a4d388511e18433f9af90ded15b"
            "13d84552b333838cff01db03848ecadf929c5095ba3a330e4e33d4eed4ed7d6f"
            "8c18271ab406fd2f46dcd2895fb9a7c984672ea46427cc550968cea7ba5a7a54"
            "4fdc0eb42dd0229cfd9679bcd25e7fe6d4c1f15d8529a0e331d07b34217de798"
            "3d39aa2f45bf2e266cfcf2593e5f6e561f36af95fa438370d121f56b99101773"
            "53e192cc499581135d975029c71f1884797ea9d762d7b5a345a5618ff71073b3"
            "20266a9867909c11");
  EXPECT_EQ(to_hex(envelope_hash(header, ct)),
            "9b3fb2ea04f6418af6fd1e355a2c4a02300e38b04eb54f9d590b5a239f5e4c58");
  Result<SecretBytes> opened = open_envelope(ct, header, epoch_key, 7);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened.value().view(), plaintext);
}

struct VectorPairing {
  DeviceIdentity ia = DeviceIdentity::from_seeds(SecretBytes::copy_of(seq(0x10, 32)),
                                                 SecretBytes::copy_of(seq(0xd0, 32)));
  DeviceIdentity ib = DeviceIdentity::from_seeds(SecretBytes::copy_of(seq(0x30, 32)),
                                                 SecretBytes::copy_of(seq(0xf0, 32)));
  std::string code = "7-amber-lantern";
  std::string esk_a = seq(0x50, 32), esk_b = seq(0x70, 32);
  std::string n_a = seq(0x90, 32), n_b = seq(0xb0, 32);
  PairingState a = PairingStateAccess::from_parts(
      PairingRole::kInitiator, code, ia.signing_public_key(), SecretBytes::copy_of(esk_a), n_a);
  PairingState b = PairingStateAccess::from_parts(
      PairingRole::kJoiner, code, ib.signing_public_key(), SecretBytes::copy_of(esk_b), n_b);
};

TEST(KnownAnswer, Pairing) {
  VectorPairing v;
  EXPECT_EQ(to_hex(v.ia.signing_public_key()),
            "7776e870b93354f2a0b24c23f2a36cc4e80e223218c1b97926fdd018396a2b9b");
  EXPECT_EQ(to_hex(v.ib.signing_public_key()),
            "8bb04e1c1b83dddf311f5bcddf7c50ede3c0802f47ec796e2a131cf41298d9f3");
  const std::string c = v.b.commitment();
  EXPECT_EQ(to_hex(c), "2053ab0b8bce7576958a24b93fd4b9f8f3b735a178fb02b68b0666523cb23154");
  v.a.accept_commitment(c);
  const PairingReveal ra = v.a.own_reveal();
  v.b.accept_reveal(ra);
  const PairingReveal rb = v.b.own_reveal();
  v.a.accept_reveal(rb);
  EXPECT_EQ(to_hex(ra.ephemeral_public_key),
            "392d174a38b3b1beafaf1fe824870841c5fa531bc6eafdb6402c124664488c1c");
  EXPECT_EQ(to_hex(rb.ephemeral_public_key),
            "23b7bb8c91ae008711fb12846780bcdf1e065f821bdfec49f57e7c7dcd4c4823");

  // The intermediate values, recomputed here straight from libsodium following the
  // documented layout, so the document's intermediate lines are checked too.
  auto lv = [](std::string& t, const std::string& f) {
    for (int i = 0; i < 4; ++i) t.push_back(static_cast<char>((f.size() >> (8 * i)) & 0xff));
    t += f;
  };
  std::string transcript;
  for (const std::string& f :
       {std::string("mend-pair-transcript-v1"), v.code, c, ra.ephemeral_public_key, v.n_a,
        v.ia.signing_public_key(), rb.ephemeral_public_key, v.n_b, v.ib.signing_public_key()})
    lv(transcript, f);
  EXPECT_EQ(to_hex(transcript),
            "170000006d656e642d706169722d7472616e7363726970742d76310f00000037"
            "2d616d6265722d6c616e7465726e200000002053ab0b8bce7576958a24b93fd4"
            "b9f8f3b735a178fb02b68b0666523cb2315420000000392d174a38b3b1beafaf"
            "1fe824870841c5fa531bc6eafdb6402c124664488c1c20000000909192939495"
            "969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf200000007776"
            "e870b93354f2a0b24c23f2a36cc4e80e223218c1b97926fdd018396a2b9b2000"
            "000023b7bb8c91ae008711fb12846780bcdf1e065f821bdfec49f57e7c7dcd4c"
            "482320000000b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9"
            "cacbcccdcecf200000008bb04e1c1b83dddf311f5bcddf7c50ede3c0802f47ec"
            "796e2a131cf41298d9f3");
  std::string t(32, '\0'), s(32, '\0'), k(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(t.data()), 32, u8(transcript),
                     transcript.size(), nullptr, 0);
  ASSERT_EQ(crypto_scalarmult(reinterpret_cast<unsigned char*>(s.data()), u8(v.esk_a),
                              u8(rb.ephemeral_public_key)),
            0);
  crypto_generichash(reinterpret_cast<unsigned char*>(k.data()), 32, u8(t), 32, u8(s), 32);
  EXPECT_EQ(to_hex(t), "f99ba02eebe259b82bda6926c6dd539931e80e147a1781ffc007b305ab6188e0");
  EXPECT_EQ(to_hex(s), "006c14a7f1faeb7d6a36a8bfa03008a8e09a98639dea63b71b325b11fe38cb0f");
  EXPECT_EQ(to_hex(k), "17c8e2b22fb145292812f58af19bf983d50f24ebfefc114959a4c3185f77c43b");
  EXPECT_EQ(to_hex(derive_subkey(k, 1, "mendSAS_", 32).view()),
            "0ff85ccfad44da307ed1f87b8141e9e8e658797c1d0f4c73c80dd325ab32446d");

  for (const PairingState* side : {&v.a, &v.b}) {
    const PairingOutcome o = side->outcome();
    EXPECT_EQ(o.transcript_hash, t);
    EXPECT_EQ(join_words(o.sas_words), "balcony yacht granola sled pollen");
    EXPECT_EQ(o.sas_digits, "41485 87409 57993");
    EXPECT_EQ(to_hex(o.confirmation_key.view()),
              "3bbb1d3e885bc3fb7067bf3f58ea50798859e062f5d34769e736a82118d214a7");
    EXPECT_EQ(to_hex(o.pair_root_key.view()),
              "009e0976210d7a2c8d1c1cbbe1941ccc0d186a531e80509e7a634446ba26ea7d");
  }
}

// In person: the link's secret P = seq(60, 32) joins T in K; same exchange otherwise.
TEST(KnownAnswer, InPersonPairing) {
  VectorPairing v;
  v.a.set_in_person_secret(SecretBytes::copy_of(seq(0x60, 32)));
  v.b.set_in_person_secret(SecretBytes::copy_of(seq(0x60, 32)));
  v.a.accept_commitment(v.b.commitment());
  v.b.accept_reveal(v.a.own_reveal());
  v.a.accept_reveal(v.b.own_reveal());
  for (const PairingState* side : {&v.a, &v.b}) {
    const PairingOutcome o = side->outcome();
    EXPECT_EQ(to_hex(o.transcript_hash),
              "f99ba02eebe259b82bda6926c6dd539931e80e147a1781ffc007b305ab6188e0");
    EXPECT_EQ(to_hex(o.confirmation_key.view()),
              "84eed3556a575c80ef323b88f07665d37c75cd8d18f5e7d38c93fc49b6498034");
    EXPECT_EQ(to_hex(o.pair_root_key.view()),
              "999cdc274dfdca0e8fb2e583b73444c59955204ca5833f44b5190290bd4af20b");
  }
  // A different secret on one side: different keys, so the confirmations fail.
  VectorPairing w;
  w.a.set_in_person_secret(SecretBytes::copy_of(seq(0x60, 32)));
  w.b.set_in_person_secret(SecretBytes::copy_of(seq(0x61, 32)));
  w.a.accept_commitment(w.b.commitment());
  w.b.accept_reveal(w.a.own_reveal());
  w.a.accept_reveal(w.b.own_reveal());
  EXPECT_FALSE(w.a.outcome().confirmation_key.equals(w.b.outcome().confirmation_key.view()));
  // The secret survives a save and restore of the state.
  const PairingState restored = PairingState::parse(v.a.serialize().view());
  EXPECT_TRUE(restored.in_person());
  EXPECT_TRUE(restored.outcome().pair_root_key.equals(v.a.outcome().pair_root_key.view()));
}

TEST(KnownAnswer, SafetyNumber) {
  VectorPairing v;
  EXPECT_EQ(couple_safety_number(v.ia.signing_public_key(), v.ib.signing_public_key()),
            "03806 15321 88038 51182 78633 17941 00790 30709 08099 89142 75930 54871");
}

TEST(KnownAnswer, KeystorePassphraseKeys) {
  const detail::PassphraseKeys k = detail::derive_passphrase_keys(
      "correct horse battery staple", seq(0x00, 16), PwhashLimits::interactive());
  EXPECT_EQ(to_hex(k.file_key.view()),
            "a095319922c92fa03742f7021875ef59872bbf0832d5cc9fa63d0a65c3acc09e");
  EXPECT_EQ(to_hex(k.passphrase_check), "18209e5f13bb367252dbd7f205abd957");
}

TEST(KnownAnswer, RecoveryCodeAndBackup) {
  // Entropy 00 01 .. 0f: the 18 words, the checksum, the Argon2id-based derivations
  // and a blob with a fixed nonce (docs/PROTOCOL.md part II, "Test vectors").
  const RecoveryCode code = RecoveryCode::from_entropy(seq(0x00, 16));
  EXPECT_EQ(to_hex(recovery_checksum(code.entropy().view())), "c7cb");
  EXPECT_EQ(code.text(),
            "abacus acrobat admiral airship alcove almond alpaca anvil apron arcade armada attic "
            "avocado axle baker balcony sausage sesame");
  const BackupKeys keys = derive_backup_keys(code);
  EXPECT_EQ(to_hex(keys.backup_id),
            "182352aeb6a27cad2c7d25d2fd1d9f4a693df8982f1b2f818446b97c40f9a6c1");
  // Argon2id here was recomputed with the `cryptography` package (OpenSSL).
  EXPECT_EQ(to_hex(keys.wrapping_key.view()),
            "3bf748671580f85162dfffb02116a1b61be19b59bb13746b7e544796381f6576");
  BackupContents c;
  c.pair_id = std::string(16, '\x11');
  c.device_id = std::string(16, '\x22');
  c.pair_root_key = SecretBytes::copy_of(seq(0x80, 32));
  c.epoch_keys.emplace(1, SecretBytes::copy_of(seq(0xa0, 32)));
  c.current_epoch = 1;
  const std::string blob = detail::seal_backup_with_nonce(c, keys, seq(0x40, 24));
  EXPECT_EQ(to_hex(blob),
            "01404142434445464748494a4b4c4d4e4f505152535455565778187b0125b547"
            "e94e1eeb5217450508f068fddad58283ebd3e5553badd5eabb46ad1009ac75b9"
            "ab221910bc6a1718153923696e541276faf4e3582fc86f538e86eb965e5ac9a1"
            "b99b7c465670a032e3c01de04639d25f1cd7ca3cdb44110227485149447726a9"
            "6ff9134795fe782cdcfe539b2685bfac41e6f60b6a6ddc0bfa");
}

}  // namespace
}  // namespace mend::client
