#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace mend::server {

// One-time rendezvous codes such as "42-amber-lantern": they only bring two
// devices together; the clients authenticate each other afterwards (SAS).
// Codes live in memory on the network thread: a restart forgets them, and the
// initiator simply asks for a new one.
class Rendezvous {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Rendezvous(std::chrono::seconds validity = std::chrono::minutes(10))
      : validity_(validity) {}

  // A code that replaces a device of an existing pair instead of making a new
  // pair: the initiator's pair and the partner device it replaces.
  struct Replacement {
    std::string pair_id;
    std::string old_device_id;
    bool operator==(const Replacement&) const = default;
  };

  struct Issued {
    std::string code;
    Clock::time_point expires_at;
  };
  // A new code for `device_id`; any earlier unredeemed code of that device is withdrawn.
  Issued issue(const std::string& device_id, const std::string& public_key,
               Clock::time_point now = Clock::now(),
               std::optional<Replacement> replacement = std::nullopt);

  enum class Outcome { ok, not_found, expired, used, own_code };
  struct Redemption {
    Outcome outcome = Outcome::not_found;
    std::string initiator_device_id;
    std::string initiator_public_key;
    std::optional<Replacement> replacement;
  };
  // Marks the code used on success. Normalises case and spaces.
  Redemption redeem(const std::string& code, const std::string& redeemer_device_id,
                    Clock::time_point now = Clock::now());
  // Makes a used code redeemable again (pair creation failed after redeem()).
  void release(const std::string& code);
  // Withdraws the device's unredeemed code, if any (its pair was made, changed or
  // ended: a code issued before must not act on the new state).
  void withdraw(const std::string& device_id);

  // Drops codes expired for longer than an hour (used ones are kept that long so
  // a late second redemption says "used", not "not found").
  void prune(Clock::time_point now = Clock::now());
  size_t size() const { return codes_.size(); }

  static std::string normalise(const std::string& code);

 private:
  struct Entry {
    std::string device_id;
    std::string public_key;
    Clock::time_point expires_at;
    bool used = false;
    std::optional<Replacement> replacement;
  };
  std::string fresh_code() const;
  std::chrono::seconds validity_;
  std::unordered_map<std::string, Entry> codes_;
  std::unordered_map<std::string, std::string> code_of_device_;
};

}  // namespace mend::server
