// mend init | status | verify

#include <sstream>

#include "commands.h"
#include "exit_codes.h"
#include "json.h"
#include "mend/client/conversation.h"
#include "mend/client/error.h"
#include "mend/client/history_store.h"
#include "mend/client/safety_number.h"
#include "mend/common/hex.h"

namespace mend::app {

namespace {

using client::Errc;
using client::Error;

void run_init(AppContext& ctx, const std::string& cost) {
  client::PwhashLimits limits;
  if (cost == "moderate")
    limits = client::PwhashLimits::moderate();
  else if (cost == "interactive")
    limits = client::PwhashLimits::interactive();
  else
    throw UsageError("--kdf-cost must be moderate or interactive");
  const auto path = ctx.keystore_path();
  if (std::filesystem::exists(path))
    throw Error(Errc::kKeystoreExists, path.string() + " (nothing was changed)");
  client::Keystore ks = client::Keystore::create(path, ctx.passphrase(true), limits);
  const std::string id = to_hex(ks.identity().device_id());
  if (ctx.json())
    ctx.emit_json(JsonObject().add("device_id", id).add("keystore", path.string()).str());
  ctx.say("Created a new device identity in " + path.string() + "\nDevice id: " + id +
          "\nThe passphrase cannot be recovered: without it this keystore cannot be opened.");
}

std::string safety_number_of(const client::Keystore& ks) {
  return client::couple_safety_number(ks.identity().signing_public_key(),
                                      ks.pair()->partner_identity_key);
}

void run_verify(AppContext& ctx) {
  client::Keystore ks = ctx.open_keystore();
  if (!ks.pair()) throw Error(Errc::kNotPaired, "there is no partner to verify");
  const std::string number = safety_number_of(ks);
  if (ctx.json())
    ctx.emit_json(JsonObject()
                      .add("safety_number", number)
                      .add("partner_device_id", to_hex(ks.pair()->partner_device_id))
                      .add("paired_at_ms", ks.pair()->paired_at_ms)
                      .str());
  ctx.say("Couple safety number:\n  " + number +
          "\nCompare it with the number on your partner's device, in person or by voice. If the "
          "numbers differ, someone may be impersonating one of you: unpair.");
}

void run_status(AppContext& ctx, bool offline) {
  client::Keystore ks = ctx.open_keystore();
  JsonObject j;
  std::ostringstream text;
  j.add("device_id", to_hex(ks.identity().device_id()));
  j.add("keystore", ks.path().string());
  j.add("paired", ks.pair().has_value());
  j.add("pairing_in_progress", !ks.pending_pairing().empty());
  j.add("restored_backup", !ks.restored_backup().empty());
  text << "Device id:  " << to_hex(ks.identity().device_id())
       << "\nKeystore:   " << ks.path().string() << "\n";
  size_t pending = 0;
  size_t problems = 0;
  if (ks.pair()) {
    auto history = ctx.open_history(ks);
    client::HistoryStore& store = *history;
    pending = store.pending_outgoing().size();
    problems = store.problems().size();
    j.add("partner_device_id", to_hex(ks.pair()->partner_device_id));
    j.add("epoch", static_cast<uint64_t>(ks.pair()->current_epoch));
    j.add("former_devices", static_cast<uint64_t>(ks.pair()->former_devices.size()));
    j.add("messages", static_cast<uint64_t>(store.messages().size()));
    j.add("unsent", static_cast<uint64_t>(pending));
    j.add("problems", static_cast<uint64_t>(problems));
    text << "Partner:    " << to_hex(ks.pair()->partner_device_id) << " (verified)\n"
         << "Messages:   " << store.messages().size() << " held here, " << pending
         << " not yet sent\n";
    if (problems > 0)
      text << "WARNING:    " << problems
           << " received message(s) were rejected as tampered; see `mend log`\n";
  } else {
    text << "Partner:    none" << (ks.pending_pairing().empty() ? "" : " (pairing in progress)")
         << "\n";
    if (!ks.restored_backup().empty())
      text << "Restored:   history keys from a backup, waiting for the partner to re-pair\n";
  }
  const client::ServerUrl url = ctx.server_url(&ks);
  j.add("server", url.text());
  text << "Server:     " << url.text();
  if (!offline) {
    auto session = ctx.connect(ks);
    j.add("server_reachable", true);
    j.add("partner_online", session->partner_online());
    text << " (reachable)\nPartner is " << (session->partner_online() ? "online" : "offline");
    if (ks.pair()) {
      auto history = ctx.open_history(ks);
      client::Conversation(ks, *history).check_relay(*session);  // throws on a changed key
    }
    session->close();
  }
  if (ctx.json()) ctx.emit_json(j.str());
  ctx.say(text.str());
}

}  // namespace

void add_device_commands(CLI::App& root, AppContext& ctx, int& exit_code) {
  auto* init = root.add_subcommand("init", "create this device's identity and keystore");
  auto cost = std::make_shared<std::string>("moderate");
  init->add_option("--kdf-cost", *cost,
                   "Argon2id cost of the passphrase: moderate (256 MiB, default) or "
                   "interactive (64 MiB, for tests and small devices)");
  init->callback([&ctx, cost] { run_init(ctx, *cost); });

  auto* status = root.add_subcommand("status", "show this device, its partner and the server");
  auto offline = std::make_shared<bool>(false);
  status->add_flag("--offline", *offline, "do not contact the server");
  status->callback([&ctx, offline] { run_status(ctx, *offline); });

  auto* verify = root.add_subcommand("verify", "show the couple safety number to compare");
  verify->callback([&ctx] { run_verify(ctx); });
  (void)exit_code;
}

}  // namespace mend::app
