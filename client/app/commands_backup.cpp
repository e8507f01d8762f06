// mend backup | restore

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "exit_codes.h"
#include "json.h"
#include "mend/client/backup.h"
#include "mend/client/error.h"
#include "mend/common/hex.h"
#include "mend/common/wall_clock.h"

namespace mend::app {

namespace {

using client::Errc;
using client::Error;

client::BackupContents contents_of(const client::Keystore& ks) {
  const client::PairRecord& p = *ks.pair();
  client::BackupContents c;
  c.pair_id = p.pair_id;
  c.device_id = ks.identity().device_id();
  c.partner_device_id = p.partner_device_id;
  c.partner_identity_key = p.partner_identity_key;
  c.pair_root_key = p.pair_root_key.clone();
  for (const auto& [epoch, key] : p.epoch_keys) c.epoch_keys.emplace(epoch, key.clone());
  c.current_epoch = p.current_epoch;
  c.server_id = p.server_id;
  c.created_at_ms = unix_ms();
  c.former_devices = p.former_devices;
  return c;
}

void run_backup(AppContext& ctx) {
  client::Keystore ks = ctx.open_keystore();
  if (!ks.pair()) throw Error(Errc::kNotPaired, "only a paired device has history keys to back up");
  // Argon2id first, so that no connection idles while it runs.
  const client::RecoveryCode code = client::RecoveryCode::generate();
  const client::BackupKeys keys = client::derive_backup_keys(code);
  const std::string blob = client::seal_backup(contents_of(ks), keys);
  auto session = ctx.connect(ks);
  const client::BackupStoredEvent stored = session->put_backup(keys.backup_id, blob);
  session->close();
  const std::string text = code.text();
  if (ctx.json())
    ctx.emit_json(JsonObject()
                      .add("recovery_code", text)
                      .add("stored_at_ms", stored.stored_at_ms)
                      .add("epochs", static_cast<uint64_t>(ks.pair()->epoch_keys.size()))
                      .str());
  ctx.say("Your recovery code (shown only this once; it replaces any earlier code):\n\n  " + text +
          "\n\nWrite it down and keep it somewhere safe. With it, a new device can read this "
          "pair's whole history (`mend restore`). Anyone with the code and access to the "
          "server could too. Keys made later (`mend rotate`) are learnt again from the "
          "history on restore; run `mend backup` again if your partner changes devices.");
}

// --code, else $MEND_RECOVERY_CODE, else one line from the terminal.
std::string recovery_text(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("MEND_RECOVERY_CODE"); env != nullptr && *env != '\0')
    return env;
  if (!interactive())
    throw UsageError("no recovery code: pass --code, set MEND_RECOVERY_CODE, or run in a terminal");
  std::cerr << "Recovery code (18 words): " << std::flush;
  std::string line;
  std::getline(std::cin, line);
  return line;
}

void run_restore(AppContext& ctx, const std::string& code_flag) {
  std::string typed = recovery_text(code_flag);
  // The checksum catches a typo here, before anything goes to the network.
  const client::RecoveryCode code = client::RecoveryCode::parse(typed);
  wipe(typed);
  client::Keystore ks = ctx.open_keystore();
  if (ks.pair())
    throw Error(Errc::kAlreadyPaired,
                "this device already has a partner; restore on a new device (`mend init`)");
  const client::BackupKeys keys = client::derive_backup_keys(code);
  auto session = ctx.connect(ks);
  const client::BackupEvent fetched = session->fetch_backup(keys.backup_id);
  session->close();
  const client::BackupContents contents = client::open_backup(fetched.blob, keys);
  ks.set_restored_backup(client::serialize_backup_contents(contents));
  ks.set_server_url(ctx.server_url(&ks).text());
  ks.save();
  if (ctx.json())
    ctx.emit_json(JsonObject()
                      .add("restored", true)
                      .add("pair_id", to_hex(contents.pair_id))
                      .add("epochs", static_cast<uint64_t>(contents.epoch_keys.size()))
                      .add("backed_up_at_ms", contents.created_at_ms)
                      .str());
  ctx.say("Restored " + std::to_string(contents.epoch_keys.size()) +
          " history key(s). Now your partner runs `mend pair --replace` on their device and you "
          "run `mend join CODE` here with the code it shows; then compare the words as usual.");
}

}  // namespace

void add_backup_commands(CLI::App& root, AppContext& ctx, int& exit_code) {
  auto* backup = root.add_subcommand(
      "backup", "store the history keys on the server under a new recovery code, shown once");
  backup->callback([&ctx] { run_backup(ctx); });

  auto* restore = root.add_subcommand(
      "restore", "on a new device: fetch and open the key backup with the recovery code");
  auto code = std::make_shared<std::string>();
  restore->add_option("--code", *code,
                      "the 18 recovery words (default: $MEND_RECOVERY_CODE, else asked in the "
                      "terminal); three letters of each word are enough");
  restore->callback([&ctx, code] { run_restore(ctx, *code); });
  (void)exit_code;
}

}  // namespace mend::app
