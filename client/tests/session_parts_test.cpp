// The pieces under Session that need no network: URL parsing and frame decoding.

#include <gtest/gtest.h>

#include "mend/client/error.h"
#include "mend/client/server_event.h"
#include "mend/client/session.h"
#include "mend/client/transport.h"
#include "mend/v1/wire.pb.h"

namespace mend::client {
namespace {

TEST(ServerUrl, ParsesWhatUsersType) {
  auto u = parse_server_url("ws://127.0.0.1:8470/v1");
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 8470);
  EXPECT_EQ(u.path, "/v1");
  u = parse_server_url("wss://mend.example");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.path, "/v1");
  u = parse_server_url("ws://[::1]:9000/v1");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 9000);
  EXPECT_EQ(parse_server_url("ws://h:1/v1").text(), "ws://h:1/v1");
  for (const char* bad :
       {"http://h/v1", "ws://:80/v1", "ws://h:0/v1", "ws://h:99999/v1", "ws://h:x/v1", "h:80"})
    EXPECT_THROW(parse_server_url(bad), std::invalid_argument) << bad;
}

v1::ServerFrame frame(uint32_t request_id) {
  v1::ServerFrame f;
  f.set_version(1);
  f.set_request_id(request_id);
  return f;
}

TEST(FrameDecoder, DecodesADelivery) {
  auto f = frame(0);
  auto* e = f.mutable_deliver()->mutable_event();
  e->set_sequence(7);
  e->set_stored_at_ms(99);
  e->set_sender_device_id("dddddddddddddddd");
  e->mutable_envelope()->set_header("H");
  e->mutable_envelope()->set_ciphertext("C");
  auto events = decode_server_frame(f.SerializeAsString());
  ASSERT_EQ(events.size(), 1u);
  const auto& d = std::get<DeliveredEvent>(events[0]);
  EXPECT_EQ(d.sequence, 7u);
  EXPECT_EQ(d.stored_at_ms, 99u);
  EXPECT_EQ(d.header, "H");
  EXPECT_EQ(d.ciphertext, "C");
  EXPECT_FALSE(d.is_tombstone);
}

TEST(FrameDecoder, DecodesTombstonesAcksAndErrors) {
  auto t = frame(0);
  t.mutable_deliver()->mutable_event()->set_sequence(9);
  t.mutable_deliver()->mutable_event()->mutable_tombstone()->set_deleted_sequence(4);
  const auto tomb = std::get<DeliveredEvent>(decode_server_frame(t.SerializeAsString())[0]);
  EXPECT_TRUE(tomb.is_tombstone);
  EXPECT_EQ(tomb.deleted_sequence, 4u);

  auto a = frame(5);
  a.mutable_ack()->set_client_message_id("m");
  a.mutable_ack()->set_sequence(3);
  a.mutable_ack()->set_duplicate(true);
  const auto ack = std::get<AckEvent>(decode_server_frame(a.SerializeAsString())[0]);
  EXPECT_EQ(ack.request_id, 5u);
  EXPECT_EQ(ack.sequence, 3u);
  EXPECT_TRUE(ack.duplicate);

  auto err = frame(6);
  err.mutable_error()->set_code(v1::ERROR_CODE_PARTNER_OFFLINE);
  err.mutable_error()->set_message("offline");
  const auto e = std::get<ServerErrorEvent>(decode_server_frame(err.SerializeAsString())[0]);
  EXPECT_EQ(e.code, server_error::kPartnerOffline);
  EXPECT_EQ(e.request_id, 6u);
  EXPECT_FALSE(e.fatal);
}

TEST(FrameDecoder, RefusesGarbageAndOtherVersions) {
  try {
    decode_server_frame("\xff\xff\xff");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kProtocolViolation);
  }
  auto f = frame(0);
  f.set_version(2);
  f.mutable_presence()->set_partner_online(true);
  EXPECT_THROW(decode_server_frame(f.SerializeAsString()), Error);
}

TEST(FrameDecoder, RelayErrorsBecomeClientErrors) {
  auto code_of = [](int code) {
    try {
      throw_server_error(ServerErrorEvent{1, code, "m", false});
    } catch (const Error& e) {
      return e.code();
    }
    return Errc::kIo;
  };
  EXPECT_EQ(code_of(server_error::kNotPaired), Errc::kNotPaired);
  EXPECT_EQ(code_of(server_error::kAlreadyPaired), Errc::kAlreadyPaired);
  EXPECT_EQ(code_of(server_error::kCodeUsed), Errc::kPairingCodeRefused);
  EXPECT_EQ(code_of(server_error::kInternal), Errc::kServerRefused);
}

}  // namespace
}  // namespace mend::client
