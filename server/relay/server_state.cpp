#include "relay/server_state.h"

#include "relay/device_session.h"
#include "relay/rate_key.h"

namespace mend::server {

ServerState::ServerState(Config config, std::unique_ptr<Storage> storage, CommitQueue::Post post)
    : config_(std::move(config)),
      trusted_proxies_(parse_ranges(config_.trusted_proxies, "trusted_proxies")),
      metrics_allow_(parse_ranges(config_.metrics_allow, "metrics_allow")),
      rendezvous_(std::chrono::seconds(config_.pairing_code_validity_s)) {
  // Read the id before the storage moves to its worker thread.
  server_id_ = storage->server_id();
  storage_ = std::make_unique<CommitQueue>(std::move(storage), std::move(post), metrics_,
                                           config_.storage_batch_max);
}

void ServerState::attach(DeviceSession& session) {
  auto [it, inserted] = online_.try_emplace(session.device_id(), &session);
  if (!inserted) {
    DeviceSession* older = it->second;
    it->second = &session;
    older->replaced();
    return;  // devices_online unchanged: one device, one entry
  }
  metrics_.devices_online.fetch_add(1, std::memory_order_relaxed);
}

void ServerState::detach(DeviceSession& session) {
  auto it = online_.find(session.device_id());
  if (it == online_.end() || it->second != &session) return;
  online_.erase(it);
  metrics_.devices_online.fetch_sub(1, std::memory_order_relaxed);
}

DeviceSession* ServerState::online(const std::string& device_id) const {
  auto it = online_.find(device_id);
  return it == online_.end() ? nullptr : it->second;
}

std::optional<PendingSlot> ServerState::try_pending(const boost::asio::ip::address& raw_peer) {
  if (pending_ >= config_.max_pending_connections) {
    metrics_.reject(Rejection::pending_cap);
    return std::nullopt;
  }
  const boost::asio::ip::address peer = canonical(raw_peer);
  std::string key;  // a trusted proxy carries many clients: the total only
  if (!in_any(trusted_proxies_, peer)) {
    key = rate_key(peer.to_string());  // an IPv6 /64 is one address
    uint32_t& n = pending_per_ip_[key];
    if (n >= config_.max_pending_connections_per_ip) {
      metrics_.reject(Rejection::pending_per_ip_cap);
      return std::nullopt;
    }
    ++n;
  }
  ++pending_;
  metrics_.pending_connections.fetch_add(1, std::memory_order_relaxed);
  return PendingSlot(this, std::move(key));
}

void ServerState::release_pending(const std::string& ip) {
  --pending_;
  metrics_.pending_connections.fetch_sub(1, std::memory_order_relaxed);
  if (ip.empty()) return;
  auto it = pending_per_ip_.find(ip);
  if (it != pending_per_ip_.end() && --it->second == 0) pending_per_ip_.erase(it);
}

PendingSlot::~PendingSlot() {
  if (state_) state_->release_pending(ip_);
}

bool ServerState::admit(const std::string& ip) {
  if (total_connections_ >= config_.max_connections) {
    metrics_.reject(Rejection::connection_cap);
    return false;
  }
  uint32_t& n = per_ip_[rate_key(ip)];  // an IPv6 /64 is one address
  if (n >= config_.max_connections_per_ip) {
    metrics_.reject(Rejection::per_ip_cap);
    return false;
  }
  ++n;
  ++total_connections_;
  return true;
}

void ServerState::release(const std::string& ip) {
  auto it = per_ip_.find(rate_key(ip));
  if (it == per_ip_.end()) return;
  if (--it->second == 0) per_ip_.erase(it);
  --total_connections_;
}

bool ServerState::send_allowed(const std::string& device_id) {
  if (send_buckets_.size() > 4 * static_cast<size_t>(config_.max_connections)) {
    // Forget devices whose bucket has refilled: they are indistinguishable from new ones.
    for (auto it = send_buckets_.begin(); it != send_buckets_.end();)
      it = it->second.full() ? send_buckets_.erase(it) : std::next(it);
  }
  auto [it, _] =
      send_buckets_.try_emplace(device_id, config_.messages_per_second, config_.message_burst);
  return it->second.try_take();
}

bool ServerState::pairing_attempt_allowed(const std::string& ip) {
  const double per_minute = config_.pairing_attempts_per_minute;
  if (pairing_buckets_.size() > 10'000) {
    for (auto it = pairing_buckets_.begin(); it != pairing_buckets_.end();)
      it = it->second.full() ? pairing_buckets_.erase(it) : std::next(it);
    rendezvous_.prune();
  }
  auto [it, _] = pairing_buckets_.try_emplace(rate_key(ip), per_minute / 60.0, per_minute);
  return it->second.try_take();
}

}  // namespace mend::server
