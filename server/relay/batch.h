#pragma once

#include <cstddef>
#include <deque>
#include <string>

// Server frames that wait in a connection's queue go out together, as one Batch
// frame, to clients that accept batches (docs/PROTOCOL.md, "Batches"). One
// WebSocket message then carries what would have been many, which is what the
// network thread and the client spend most of their time on under load.
namespace mend::server {

// The most payload bytes a Batch message may have; a client must accept messages
// of this size (a single frame larger than this is sent on its own).
inline constexpr size_t kMaxBatchBytes = 64 * 1024;
inline constexpr size_t kMaxBatchFrames = 512;

// How many frames from the front of `queue` (serialized ServerFrames) fit in one
// Batch of at most kMaxBatchBytes and kMaxBatchFrames. At least 1 when the queue
// is not empty: a frame that does not fit with others goes alone (unbatched).
size_t batchable_prefix(const std::deque<std::string>& queue);

// The wire bytes of ServerFrame{version: 1, batch: {frames: the first `count`
// frames of `queue`}}, built by framing the already serialized frames (no reparse).
std::string encode_batch(const std::deque<std::string>& queue, size_t count);

}  // namespace mend::server
