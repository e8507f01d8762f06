#include "relay/frame_codec.h"

#include <gtest/gtest.h>

namespace mend::server {
namespace {

v1::ClientFrame base() {
  v1::ClientFrame f;
  f.set_version(1);
  f.set_request_id(4);
  return f;
}

FrameError parse(const v1::ClientFrame& f, ParsedFrame& out) {
  return parse_client_frame(f.SerializeAsString(), out);
}

v1::ClientFrame send_frame(const v1::EnvelopeHeader& h, std::string ciphertext = "c") {
  auto f = base();
  f.mutable_send()->mutable_envelope()->set_header(h.SerializeAsString());
  f.mutable_send()->mutable_envelope()->set_ciphertext(ciphertext);
  return f;
}

v1::EnvelopeHeader good_header() {
  v1::EnvelopeHeader h;
  h.set_pair_id(std::string(16, 'p'));
  h.set_sender_device_id(std::string(16, 'd'));
  h.set_client_message_id(std::string(16, 'm'));
  h.set_kind(v1::ENVELOPE_KIND_STORED);
  h.set_sender_counter(1);
  return h;
}

TEST(FrameCodec, AcceptsAWellFormedSend) {
  ParsedFrame out;
  EXPECT_FALSE(parse(send_frame(good_header()), out));
  EXPECT_EQ(out.header.sender_counter(), 1u);
  EXPECT_EQ(out.frame.request_id(), 4u);
}

TEST(FrameCodec, RefusesGarbageAndWrongVersion) {
  ParsedFrame out;
  EXPECT_EQ(parse_client_frame("\xff\xff\xff", out).code, v1::ERROR_CODE_MALFORMED_FRAME);
  auto f = base();
  f.set_version(9);
  f.mutable_unpair();
  EXPECT_EQ(parse(f, out).code, v1::ERROR_CODE_UNSUPPORTED_VERSION);
  EXPECT_EQ(parse(base(), out).code, v1::ERROR_CODE_MALFORMED_FRAME) << "no body";
}

TEST(FrameCodec, ChecksEveryFixedSize) {
  ParsedFrame out;
  auto auth = base();
  auth.mutable_authenticate()->set_public_key(std::string(31, 'k'));
  auth.mutable_authenticate()->set_signature(std::string(64, 's'));
  EXPECT_TRUE(parse(auth, out));
  auth.mutable_authenticate()->set_public_key(std::string(32, 'k'));
  EXPECT_FALSE(parse(auth, out));
  auth.mutable_authenticate()->set_signature(std::string(63, 's'));
  EXPECT_TRUE(parse(auth, out));

  for (auto mutate : std::vector<std::function<void(v1::EnvelopeHeader&)>>{
           [](auto& h) { h.set_pair_id("short"); }, [](auto& h) { h.set_sender_device_id(""); },
           [](auto& h) { h.set_client_message_id(std::string(17, 'x')); },
           [](auto& h) { h.set_kind(v1::ENVELOPE_KIND_UNSPECIFIED); },
           [](auto& h) { h.set_previous_hash("abc"); }}) {
    auto h = good_header();
    mutate(h);
    EXPECT_EQ(parse(send_frame(h), out).code, v1::ERROR_CODE_MALFORMED_FRAME);
  }
  EXPECT_TRUE(parse(send_frame(good_header(), ""), out)) << "empty ciphertext";
  auto big = send_frame(good_header());
  big.mutable_send()->mutable_envelope()->set_header(std::string(kMaxHeaderBytes + 1, '\x08'));
  EXPECT_TRUE(parse(big, out));
}

TEST(FrameCodec, ChecksRequestLimits) {
  ParsedFrame out;
  auto h = base();
  h.mutable_fetch_history()->set_direction(v1::HISTORY_DIRECTION_FORWARD);
  h.mutable_fetch_history()->set_limit(kMaxHistoryLimit + 1);
  EXPECT_TRUE(parse(h, out));
  h.mutable_fetch_history()->set_limit(kMaxHistoryLimit);
  EXPECT_FALSE(parse(h, out));
  h.mutable_fetch_history()->set_direction(v1::HISTORY_DIRECTION_UNSPECIFIED);
  EXPECT_TRUE(parse(h, out));

  auto code = base();
  code.mutable_redeem_pairing_code()->set_code(std::string(kMaxCodeChars + 1, 'a'));
  EXPECT_TRUE(parse(code, out));
  auto pm = base();
  pm.mutable_pairing_message()->set_payload(std::string(kMaxPairingPayloadBytes + 1, 'a'));
  EXPECT_TRUE(parse(pm, out));
  auto del = base();
  del.mutable_delete_message()->set_sequence(0);
  EXPECT_TRUE(parse(del, out));
}

TEST(FrameCodec, ErrorFramesCarryCodeMessageAndFatality) {
  v1::ServerFrame f;
  ASSERT_TRUE(f.ParseFromString(error_frame(3, v1::ERROR_CODE_NOT_PAIRED, "pair first", true)));
  EXPECT_EQ(f.version(), 1u);
  EXPECT_EQ(f.request_id(), 3u);
  EXPECT_EQ(f.error().code(), v1::ERROR_CODE_NOT_PAIRED);
  EXPECT_EQ(f.error().message(), "pair first");
  EXPECT_TRUE(f.error().fatal());
}

}  // namespace
}  // namespace mend::server
