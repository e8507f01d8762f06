#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "config/config.h"
#include "ops/metrics.h"
#include "ops/token_bucket.h"
#include "pairing/rendezvous.h"
#include "storage/commit_queue.h"
#include "transport/client_address.h"

namespace mend::server {

class DeviceSession;
class Outbound;
class ServerState;

// One of max_pending_connections (and of its address's share, unless the peer
// is a trusted proxy), held by a connection from accept until it is upgraded
// to a WebSocket or closed.
class PendingSlot {
 public:
  PendingSlot(PendingSlot&& other) noexcept
      : state_(std::exchange(other.state_, nullptr)), ip_(std::move(other.ip_)) {}
  PendingSlot& operator=(PendingSlot&&) = delete;
  PendingSlot(const PendingSlot&) = delete;
  ~PendingSlot();

 private:
  friend class ServerState;
  PendingSlot(ServerState* state, std::string ip) : state_(state), ip_(std::move(ip)) {}
  ServerState* state_;
  std::string ip_;  // empty: not counted per address
};

// Everything the sessions share: settings, metrics, storage, rendezvous codes,
// the registry of online devices, and the connection accounting. Lives on the
// network thread (only metrics and the commit queue are touched elsewhere).
class ServerState {
 public:
  ServerState(Config config, std::unique_ptr<Storage> storage, CommitQueue::Post post);

  const Config& config() const { return config_; }
  Metrics& metrics() { return metrics_; }
  CommitQueue& storage() { return *storage_; }
  Rendezvous& rendezvous() { return rendezvous_; }
  const std::string& server_id() const { return server_id_; }

  // -- online devices (the router) --
  // Registers an authenticated session; an older session of the same device is replaced.
  void attach(DeviceSession& session);
  void detach(DeviceSession& session);
  DeviceSession* online(const std::string& device_id) const;

  // -- connections --
  // At accept: nullopt if max_pending_connections or the peer's share is used
  // up (and counts the rejection); the connection should then be closed.
  // Per-address shares here and in admit() go by rate_key(): an IPv6 /64 is
  // one address.
  std::optional<PendingSlot> try_pending(const boost::asio::ip::address& peer);
  // At the upgrade: false if a cap refuses it (and counts the rejection).
  bool admit(const std::string& ip);
  void release(const std::string& ip);
  void track(Outbound& connection) { connections_.insert(&connection); }
  void untrack(Outbound& connection) { connections_.erase(&connection); }
  const std::unordered_set<Outbound*>& connections() const { return connections_; }

  // Per-device message rate (kept across reconnects, so a reconnect does not refill it).
  bool send_allowed(const std::string& device_id);

  // Per-address limit on pairing-code requests and redemptions.
  bool pairing_attempt_allowed(const std::string& ip);

  // Proxies whose X-Forwarded-For names the client (config trusted_proxies).
  const std::vector<AddressRange>& trusted_proxies() const { return trusted_proxies_; }
  // Whether /metrics is served to `client` (config metrics_allow; empty: to
  // everyone). Through a proxy whose header named nobody, the client is unknown.
  bool metrics_allowed(const Client& client) const {
    return metrics_allow_.empty() || (!client.unresolved && in_any(metrics_allow_, client.address));
  }

  bool shutting_down() const { return shutting_down_; }
  void set_shutting_down() { shutting_down_ = true; }

 private:
  friend class PendingSlot;
  void release_pending(const std::string& ip);

  Config config_;
  std::vector<AddressRange> trusted_proxies_, metrics_allow_;
  Metrics metrics_;
  std::string server_id_;
  std::unique_ptr<CommitQueue> storage_;
  Rendezvous rendezvous_;
  std::unordered_map<std::string, DeviceSession*> online_;
  std::unordered_map<std::string, uint32_t> per_ip_;
  uint32_t total_connections_ = 0;
  std::unordered_map<std::string, uint32_t> pending_per_ip_;
  uint32_t pending_ = 0;
  std::unordered_set<Outbound*> connections_;
  std::unordered_map<std::string, TokenBucket> pairing_buckets_;
  std::unordered_map<std::string, TokenBucket> send_buckets_;
  bool shutting_down_ = false;
};

}  // namespace mend::server
