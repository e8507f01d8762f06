#include "relay/batch.h"

#include <gtest/gtest.h>

#include "relay/frame_codec.h"

namespace mend::server {
namespace {

std::string ack_frame(uint32_t request_id, uint64_t sequence, size_t id_bytes = 16) {
  v1::ServerFrame f = server_frame(request_id);
  f.mutable_ack()->set_client_message_id(std::string(id_bytes, 'c'));
  f.mutable_ack()->set_sequence(sequence);
  return serialize(f);
}

TEST(Batch, EncodesQueuedFramesAsOneServerFrameInOrder) {
  std::deque<std::string> queue;
  for (uint32_t i = 1; i <= 40; ++i) queue.push_back(ack_frame(i, i * 1000));
  const std::string bytes = encode_batch(queue, 30);

  v1::ServerFrame outer;
  ASSERT_TRUE(outer.ParseFromString(bytes));
  EXPECT_EQ(outer.version(), static_cast<uint32_t>(v1::PROTOCOL_VERSION_1));
  EXPECT_EQ(outer.request_id(), 0u);
  ASSERT_EQ(outer.body_case(), v1::ServerFrame::kBatch);
  ASSERT_EQ(outer.batch().frames_size(), 30);
  for (int i = 0; i < 30; ++i) {
    // Byte for byte what would have gone out alone.
    EXPECT_EQ(outer.batch().frames(i).SerializeAsString(), queue[static_cast<size_t>(i)]);
    EXPECT_EQ(outer.batch().frames(i).ack().sequence(), static_cast<uint64_t>(i + 1) * 1000);
  }
}

TEST(Batch, LargeFramesAreCountedWithTheirMultiByteLengths) {
  // 200-byte frames need a two-byte length: the encoder and the size estimate agree.
  std::deque<std::string> queue(3, ack_frame(7, 7, 180));
  ASSERT_GT(queue[0].size(), 127u);
  v1::ServerFrame outer;
  ASSERT_TRUE(outer.ParseFromString(encode_batch(queue, 3)));
  EXPECT_EQ(outer.batch().frames_size(), 3);
}

TEST(Batch, PrefixStaysWithinTheByteLimit) {
  std::deque<std::string> queue(200, std::string(1000, 'x'));
  const size_t n = batchable_prefix(queue);
  EXPECT_GT(n, 50u);
  EXPECT_LT(n, 200u);
  EXPECT_LE(encode_batch(queue, n).size(), kMaxBatchBytes);
  EXPECT_GT(encode_batch(queue, n + 1).size(), kMaxBatchBytes);
}

TEST(Batch, PrefixStaysWithinTheFrameLimit) {
  std::deque<std::string> queue(kMaxBatchFrames + 100, std::string(4, 'x'));
  EXPECT_EQ(batchable_prefix(queue), kMaxBatchFrames);
}

TEST(Batch, AFrameTooLargeToShareGoesAlone) {
  std::deque<std::string> queue;
  EXPECT_EQ(batchable_prefix(queue), 0u);
  queue.push_back(std::string(kMaxBatchBytes + 10, 'x'));
  queue.push_back("small");
  EXPECT_EQ(batchable_prefix(queue), 1u);
}

}  // namespace
}  // namespace mend::server
