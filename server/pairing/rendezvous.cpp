#include "pairing/rendezvous.h"

#include <sodium.h>

#include <cctype>

#include "mend/common/sodium_init.h"
#include "pairing/words.h"

namespace mend::server {

std::string Rendezvous::normalise(const std::string& code) {
  std::string out;
  out.reserve(code.size());
  for (char c : code) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

std::string Rendezvous::fresh_code() const {
  ensure_sodium();
  // 1..99, then two words of 256: about 22.6 bits. Guessing is bounded by the
  // 10-minute validity and the per-address attempt limit; and a wrong partner
  // is caught by the SAS comparison anyway.
  for (;;) {
    const uint32_t number = 1 + randombytes_uniform(99);
    const auto& words = pairing_words();
    std::string code = std::to_string(number) + "-" +
                       std::string(words[randombytes_uniform(words.size())]) + "-" +
                       std::string(words[randombytes_uniform(words.size())]);
    if (!codes_.contains(code)) return code;
  }
}

Rendezvous::Issued Rendezvous::issue(const std::string& device_id, const std::string& public_key,
                                     Clock::time_point now,
                                     std::optional<Replacement> replacement) {
  if (auto old = code_of_device_.find(device_id); old != code_of_device_.end()) {
    if (auto it = codes_.find(old->second); it != codes_.end() && !it->second.used)
      codes_.erase(it);
  }
  Issued issued{fresh_code(), now + validity_};
  codes_[issued.code] = Entry{device_id, public_key, issued.expires_at, false,
                              std::move(replacement)};
  code_of_device_[device_id] = issued.code;
  return issued;
}

Rendezvous::Redemption Rendezvous::redeem(const std::string& raw, const std::string& redeemer,
                                          Clock::time_point now) {
  Redemption r;
  auto it = codes_.find(normalise(raw));
  if (it == codes_.end()) return r;
  Entry& e = it->second;
  if (e.device_id == redeemer)
    r.outcome = Outcome::own_code;
  else if (e.used)
    r.outcome = Outcome::used;
  else if (now >= e.expires_at)
    r.outcome = Outcome::expired;
  else {
    e.used = true;
    r.outcome = Outcome::ok;
    r.initiator_device_id = e.device_id;
    r.initiator_public_key = e.public_key;
    r.replacement = e.replacement;
  }
  return r;
}

void Rendezvous::release(const std::string& code) {
  if (auto it = codes_.find(normalise(code)); it != codes_.end()) it->second.used = false;
}

void Rendezvous::withdraw(const std::string& device_id) {
  auto d = code_of_device_.find(device_id);
  if (d == code_of_device_.end()) return;
  if (auto it = codes_.find(d->second); it != codes_.end() && !it->second.used) codes_.erase(it);
  code_of_device_.erase(d);
}

void Rendezvous::prune(Clock::time_point now) {
  for (auto it = codes_.begin(); it != codes_.end();) {
    if (now >= it->second.expires_at + std::chrono::hours(1)) {
      if (auto d = code_of_device_.find(it->second.device_id);
          d != code_of_device_.end() && d->second == it->first)
        code_of_device_.erase(d);
      it = codes_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace mend::server
