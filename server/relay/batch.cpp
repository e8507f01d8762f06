#include "relay/batch.h"

#include <cstdint>

#include "mend/v1/wire.pb.h"

namespace mend::server {

namespace {

// Protobuf wire format: a length-delimited field is its tag, the varint length,
// then the bytes.
constexpr uint8_t kVersionTag = (1 << 3) | 0;     // ServerFrame.version, varint
constexpr uint32_t kBatchTag = (23 << 3) | 2;     // ServerFrame.batch, length-delimited
constexpr uint8_t kFramesTag = (1 << 3) | 2;      // Batch.frames, length-delimited
constexpr size_t kOuterOverhead = 2 + 2 + 5;      // version field, batch tag, its length

static_assert(v1::ServerFrame::kVersionFieldNumber == 1 && v1::PROTOCOL_VERSION_1 == 1);
static_assert(v1::ServerFrame::kBatchFieldNumber == 23 && v1::Batch::kFramesFieldNumber == 1);

size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

size_t entry_size(const std::string& frame) {
  return 1 + varint_size(frame.size()) + frame.size();
}

}  // namespace

size_t batchable_prefix(const std::deque<std::string>& queue) {
  if (queue.empty()) return 0;
  size_t bytes = kOuterOverhead;
  size_t n = 0;
  for (const std::string& frame : queue) {
    if (n == kMaxBatchFrames) break;
    const size_t add = entry_size(frame);
    if (bytes + add > kMaxBatchBytes) break;
    bytes += add;
    ++n;
  }
  return n == 0 ? 1 : n;
}

std::string encode_batch(const std::deque<std::string>& queue, size_t count) {
  size_t payload = 0;
  for (size_t i = 0; i < count; ++i) payload += entry_size(queue[i]);
  std::string out;
  out.reserve(kOuterOverhead + payload);
  out.push_back(static_cast<char>(kVersionTag));
  out.push_back(1);  // PROTOCOL_VERSION_1
  put_varint(out, kBatchTag);
  put_varint(out, payload);
  for (size_t i = 0; i < count; ++i) {
    out.push_back(static_cast<char>(kFramesTag));
    put_varint(out, queue[i].size());
    out += queue[i];
  }
  return out;
}

}  // namespace mend::server
