#include "mend/client/envelope_crypto.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

#include "mend/v1/wire.pb.h"

namespace mend::client {
namespace {

// A real serialized EnvelopeHeader, as the sync engine will produce it.
std::string make_header(uint64_t counter, size_t plaintext_size, uint32_t epoch = 1) {
  mend::v1::EnvelopeHeader h;
  h.set_pair_id(std::string(16, '\x01'));
  h.set_sender_device_id(std::string(16, '\x02'));
  h.set_sender_counter(counter);
  h.set_epoch(epoch);
  h.set_kind(mend::v1::ENVELOPE_KIND_STORED);
  h.set_client_message_id(std::string(16, '\x03'));
  h.set_padded_length(static_cast<uint32_t>(padded_length(plaintext_size)));
  h.set_previous_hash(std::string(32, '\x04'));
  h.set_content_version(1);
  return h.SerializeAsString();
}

struct Sealed {
  SecretBytes key = SecretBytes::random(kEpochKeyBytes);
  std::string plaintext = "we said we would talk on Sunday";
  uint64_t counter = 42;
  std::string header = make_header(counter, plaintext.size());
  std::string ciphertext = seal_envelope(plaintext, header, key, counter);
};

void expect_error(const Result<SecretBytes>& r, Errc code) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), code) << r.error().what();
}

TEST(EnvelopeCrypto, RoundTripsAndPadsToBuckets) {
  const SecretBytes key = SecretBytes::random(kEpochKeyBytes);
  for (size_t n : {0, 1, 100, 255, 256, 257, 1000, 70000}) {
    const std::string plaintext(n, 'p');
    const std::string header = make_header(7, n);
    const std::string ct = seal_envelope(plaintext, header, key, 7);
    const size_t padded = padded_length(n);
    EXPECT_EQ(padded % kPaddingBucket, 0u);
    EXPECT_GT(padded, n);
    EXPECT_LE(padded, n + kPaddingBucket);
    EXPECT_EQ(ct.size(), kEnvelopeNonceBytes + padded + kEnvelopeTagBytes);
    EXPECT_EQ(padded_length_of_ciphertext(ct.size()), padded);
    Result<SecretBytes> opened = open_envelope(ct, header, key, 7);
    ASSERT_TRUE(opened.ok()) << opened.error().what();
    EXPECT_EQ(opened.value().view(), plaintext) << n;
  }
  EXPECT_EQ(padded_length(0), 256u);
  EXPECT_EQ(padded_length(255), 256u);
  EXPECT_EQ(padded_length(256), 512u);
}

TEST(EnvelopeCrypto, NoncesAreFreshEachTime) {
  const Sealed s;
  const std::string again = seal_envelope(s.plaintext, s.header, s.key, s.counter);
  EXPECT_NE(again.substr(0, kEnvelopeNonceBytes), s.ciphertext.substr(0, kEnvelopeNonceBytes));
  EXPECT_NE(again, s.ciphertext);
}

TEST(EnvelopeCrypto, AnyAlteredHeaderByteFails) {
  const Sealed s;
  for (size_t i = 0; i < s.header.size(); ++i) {
    std::string h = s.header;
    h[i] ^= 0x01;
    expect_error(open_envelope(s.ciphertext, h, s.key, s.counter), Errc::kAuthenticationFailed);
  }
  // A well-formed header with one field changed (what a relay would try).
  mend::v1::EnvelopeHeader h;
  ASSERT_TRUE(h.ParseFromString(s.header));
  h.set_epoch(2);
  expect_error(open_envelope(s.ciphertext, h.SerializeAsString(), s.key, s.counter),
               Errc::kAuthenticationFailed);
  expect_error(open_envelope(s.ciphertext, "", s.key, s.counter), Errc::kAuthenticationFailed);
}

TEST(EnvelopeCrypto, AlteredCiphertextOrTagFails) {
  const Sealed s;
  for (size_t i : {kEnvelopeNonceBytes, kEnvelopeNonceBytes + 100, s.ciphertext.size() - 1}) {
    std::string ct = s.ciphertext;
    ct[i] ^= 0x80;
    expect_error(open_envelope(ct, s.header, s.key, s.counter), Errc::kAuthenticationFailed);
  }
}

TEST(EnvelopeCrypto, AlteredNonceFails) {
  const Sealed s;
  for (size_t i = 0; i < kEnvelopeNonceBytes; ++i) {
    std::string ct = s.ciphertext;
    ct[i] ^= 0x01;
    expect_error(open_envelope(ct, s.header, s.key, s.counter), Errc::kAuthenticationFailed);
  }
}

TEST(EnvelopeCrypto, WrongCounterOrKeyFails) {
  const Sealed s;
  expect_error(open_envelope(s.ciphertext, s.header, s.key, s.counter + 1),
               Errc::kAuthenticationFailed);
  expect_error(open_envelope(s.ciphertext, s.header, s.key, s.counter - 1),
               Errc::kAuthenticationFailed);
  expect_error(open_envelope(s.ciphertext, s.header, SecretBytes::random(32), s.counter),
               Errc::kAuthenticationFailed);
}

TEST(EnvelopeCrypto, ImpossibleLengthsAreMalformed) {
  const Sealed s;
  expect_error(open_envelope("", s.header, s.key, s.counter), Errc::kMalformedEnvelope);
  expect_error(open_envelope(s.ciphertext.substr(0, 40), s.header, s.key, s.counter),
               Errc::kMalformedEnvelope);
  expect_error(
      open_envelope(s.ciphertext.substr(0, s.ciphertext.size() - 1), s.header, s.key, s.counter),
      Errc::kMalformedEnvelope);
  expect_error(open_envelope(s.ciphertext + "x", s.header, s.key, s.counter),
               Errc::kMalformedEnvelope);
}

TEST(EnvelopeCrypto, AuthenticButBadlyPaddedIsReportedAsSuch) {
  // A sender holding the key seals 256 bytes without the 0x80 marker: the tag is
  // right, the padding is not. Only a broken or hostile partner client can do this.
  const SecretBytes epoch = SecretBytes::random(32);
  const std::string header = make_header(3, 10);
  const SecretBytes key = message_key(epoch, 3);
  const std::string plain(256, 'z');
  std::string ct(kEnvelopeNonceBytes + plain.size() + kEnvelopeTagBytes, '\0');
  randombytes_buf(ct.data(), kEnvelopeNonceBytes);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(ct.data()) + kEnvelopeNonceBytes, &clen,
      reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
      reinterpret_cast<const unsigned char*>(header.data()), header.size(), nullptr,
      reinterpret_cast<const unsigned char*>(ct.data()), key.data());
  expect_error(open_envelope(ct, header, epoch, 3), Errc::kBadPadding);
}

TEST(EnvelopeCrypto, FailedOpenThrowsOnlyWhenTheValueIsDemanded) {
  const Sealed s;
  Result<SecretBytes> r = open_envelope(s.ciphertext, s.header, s.key, s.counter + 1);
  EXPECT_FALSE(r);
  try {
    (void)r.value();
    FAIL() << "value() of a failed open must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kAuthenticationFailed);
    EXPECT_NE(std::string(e.what()).find("failed authentication"), std::string::npos);
  }
}

TEST(EnvelopeCrypto, MessageKeysDifferPerCounter) {
  const SecretBytes epoch = SecretBytes::random(32);
  EXPECT_FALSE(message_key(epoch, 1).equals(message_key(epoch, 2).view()));
  EXPECT_THROW(message_key(SecretBytes::random(16), 1), std::invalid_argument);
}

TEST(EnvelopeHash, IsBlake2b256OfHeaderThenCiphertext) {
  const Sealed s;
  const std::string joined = s.header + s.ciphertext;
  std::string expected(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(expected.data()), 32,
                     reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), nullptr,
                     0);
  EXPECT_EQ(envelope_hash(s.header, s.ciphertext), expected);
  std::string altered = s.ciphertext;
  altered[50] ^= 1;
  EXPECT_NE(envelope_hash(s.header, altered), expected);
}

}  // namespace
}  // namespace mend::client
