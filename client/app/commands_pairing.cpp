// mend pair | join CODE | unpair

#include <unistd.h>

#include <iostream>

#include "commands.h"
#include "exit_codes.h"
#include "json.h"
#include "mend/client/conversation.h"
#include "mend/client/error.h"
#include "mend/client/pairing_flow.h"
#include "mend/client/pairing_link.h"
#include "mend/client/safety_number.h"
#include "mend/client/sas.h"
#include "mend/common/hex.h"
#include "terminal_qr.h"

namespace mend::app {

namespace {

using client::Errc;
using client::Error;

struct PairingFlags {
  std::string confirm_sas;  // the words (or digits) the user read on the partner's screen
  int timeout_s = 600;
  bool replace = false;    // `mend pair --replace`
  bool in_person = false;  // `mend pair --in-person`
};

constexpr auto kHistorySyncTimeout = std::chrono::seconds(60);

// Lower case, single spaces, no leading or trailing space.
std::string normalise(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == ',';
    if (space) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

client::PairingCallbacks callbacks(AppContext& ctx, const PairingFlags& flags,
                                   const client::PairingOptions& options) {
  client::PairingCallbacks cb;
  cb.on_code = [&ctx, &options](const std::string& code, uint64_t expires_at_ms) {
    const bool in_person = !options.in_person_secret.empty();
    const std::string link =
        in_person ? client::pairing_link(code, options.in_person_secret) : std::string();
    if (ctx.json()) {
      JsonObject o;
      o.add("event", "code").add("code", code).add("expires_at_ms", expires_at_ms);
      if (in_person) o.add("link", link);
      ctx.emit_json(o.str());
    }
    // The QR code carries the same code (or link), for a partner app with a camera.
    if (!ctx.json() && ::isatty(STDOUT_FILENO) == 1) ctx.say(terminal_qr(in_person ? link : code));
    if (in_person)
      ctx.say(
          "In-person pairing. Show this only to your partner; on their device run:\n  mend "
          "join " +
          link +
          "\n(or scan the QR code). No words to compare: whoever reads the link can pair with "
          "this device.\nWaiting for your partner (valid for 10 minutes)...");
    else
      ctx.say("Pairing code: " + code + "\nOn your partner's device run:  mend join " + code +
              "\nWaiting for your partner (the code is valid for 10 minutes)...");
    if (options.replace_partner)
      ctx.say(
          "Whoever joins with this code takes your partner's place on the server at once "
          "(their current device is signed out of the pair), and can read nothing until "
          "the words match. Give it only to your partner's new device.");
  };
  cb.confirm_sas = [&ctx, &flags](const client::PairingOutcome& o) {
    const std::string words = client::join_words(o.sas_words);
    if (ctx.json())
      ctx.emit_json(
          JsonObject().add("event", "sas").add("words", words).add("digits", o.sas_digits).str());
    ctx.say("Compare these words with your partner's screen (by voice or in person):\n  " + words +
            "\n  (or the digits " + o.sas_digits + ")");
    if (!flags.confirm_sas.empty()) {
      // "-": the partner's words arrive on standard input once ours are shown (scripts
      // that relay what the other device printed).
      std::string line = flags.confirm_sas;
      if (line == "-" && !std::getline(std::cin, line)) line.clear();
      const std::string given = normalise(line);
      const bool match = given == words || given == o.sas_digits;
      if (!match)
        ctx.say("The words given with --confirm-sas (" + given +
                ") are not the words this device shows.");
      return match;
    }
    if (!interactive()) return false;  // checked before pairing started
    std::cerr << "Do they match exactly? Type yes or no: " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    return normalise(answer) == "yes" || normalise(answer) == "y";
  };
  return cb;
}

void finish(AppContext& ctx, client::Keystore& ks, bool replaced) {
  const std::string number = client::couple_safety_number(ks.identity().signing_public_key(),
                                                          ks.pair()->partner_identity_key);
  if (ctx.json())
    ctx.emit_json(JsonObject()
                      .add("event", "paired")
                      .add("partner_device_id", to_hex(ks.pair()->partner_device_id))
                      .add("safety_number", number)
                      .add("replacement", replaced)
                      .str());
  if (!replaced) {
    ctx.say("Paired. Couple safety number (see it again with `mend verify`):\n  " + number);
    return;
  }
  ctx.say(
      "The pair now continues on a new device, with its history.\nThe couple safety "
      "number changed, because a device changed. Compare it with your partner again "
      "(`mend verify` shows it):\n  " +
      number +
      "\nMessages from now on use a new history key that the replaced device never had. "
      "Backups made before name the old device: run `mend backup` again on both devices.");
}

// The pair's history, fetched and checked: the remaining partner's before it hands the
// pair over (its unsent messages first, so that nothing under an old key is left to
// send, and every key the lost device announced is then held), the new device's right
// after (so that its history is complete at once). Returns the messages held.
size_t sync_history(client::Keystore& ks, client::Session& session, AppContext& ctx) {
  auto history = ctx.open_history(ks);
  client::Conversation conv(ks, *history);
  conv.flush(session);
  const client::SyncReport r = conv.sync(session, kHistorySyncTimeout);
  for (const client::Problem& p : r.problems)
    ctx.say("warning: message " + std::to_string(p.sequence) + " was rejected (" + p.kind +
            "): " + p.detail);
  return history->messages().size();
}

void run_pairing(AppContext& ctx, const PairingFlags& flags, const std::string* code_or_link) {
  client::PairingOptions options;
  options.partner_timeout = std::chrono::seconds(flags.timeout_s);
  options.replace_partner = flags.replace;
  std::string code = code_or_link ? *code_or_link : std::string();
  if (code_or_link != nullptr) {
    if (auto link = client::parse_pairing_link(*code_or_link)) {
      code = link->code;
      options.in_person_secret = std::move(link->secret);
    }
  } else if (flags.in_person) {
    options.in_person_secret = SecretBytes::random(client::kInPersonSecretBytes);
  }
  if (flags.confirm_sas.empty() && options.in_person_secret.empty() && !interactive())
    throw UsageError(
        "pairing needs a person to compare words: run in a terminal, or pass the words shown "
        "on the partner's device with --confirm-sas \"word word word word word\" (or pair in "
        "person: `mend pair --in-person`)");
  client::Keystore ks = ctx.open_keystore();
  if (flags.replace && !ks.pair())
    throw Error(Errc::kNotPaired,
                "`--replace` moves an existing pair to your partner's new device; this device "
                "has no partner yet (run `mend pair` without it)");
  if (!flags.replace && ks.pair())
    throw Error(Errc::kAlreadyPaired,
                "this device already has a partner; `mend unpair` first (or, if your partner "
                "lost their device, `mend pair --replace`)");
  auto session = ctx.connect(ks);
  const auto cb = callbacks(ctx, flags, options);
  const bool had_backup = !ks.restored_backup().empty();
  if (flags.replace) {
    ctx.say("Fetching the pair's history first, so that no key of the old device is missed...");
    sync_history(ks, *session, ctx);
    // The leaving device's chain as held here closes it on both devices.
    options.former_chain = ctx.open_history(ks)->chain_head(ks.pair()->partner_device_id);
  }
  if (code_or_link == nullptr)
    client::pair_as_initiator(*session, ks, cb, options);
  else
    client::pair_as_joiner(*session, ks, code, cb, options);
  const bool replaced = flags.replace || (had_backup && ks.restored_backup().empty());
  ks.set_server_url(ctx.server_url(&ks).text());
  ks.save();
  finish(ctx, ks, replaced);
  if (replaced && !flags.replace) {
    ctx.say("Fetching the pair's history...");
    try {
      const size_t held = sync_history(ks, *session, ctx);
      if (ctx.json())
        ctx.emit_json(JsonObject()
                          .add("event", "history")
                          .add("messages", static_cast<uint64_t>(held))
                          .str());
      ctx.say(std::to_string(held) + " message(s) of the pair's history are on this device.");
    } catch (const Error& e) {
      ctx.say(std::string("warning: the history could not be fetched now (") + e.what() +
              "); `mend log` fetches it.");
    }
  }
  session->close();
}

void run_unpair(AppContext& ctx, bool wipe) {
  client::Keystore ks = ctx.open_keystore();
  auto session = ctx.connect(ks);
  const bool on_server = !session->authenticated().pair_id.empty();
  if (!on_server && !ks.pair() && ks.pending_pairing().empty())
    throw Error(Errc::kNotPaired, "there is no partner to leave");
  // A pair the relay holds is ended there first: if that fails, nothing changes here.
  if (on_server) session->unpair();
  session->close();
  if (wipe && ks.pair()) ctx.open_history(ks)->wipe_pair();
  ks.clear_pair();
  ks.clear_pending_pairing();
  ks.save();
  if (ctx.json())
    ctx.emit_json(JsonObject().add("unpaired", true).add("history_wiped", wipe).str());
  ctx.say(std::string("Unpaired. The server has deleted the pair and everything stored for it.\n") +
          (wipe ? "This device's copy of the history is deleted too.\n"
                : "This device keeps its copy of the history (use --wipe to delete it).\n") +
          "What your partner's device already holds cannot be recalled.");
}

}  // namespace

void add_pairing_commands(CLI::App& root, AppContext& ctx, int& exit_code) {
  auto flags = std::make_shared<PairingFlags>();
  auto add_flags = [flags](CLI::App* c) {
    c->add_option("--confirm-sas", flags->confirm_sas,
                  "the five words (or fifteen digits) shown on the partner's device, or - to "
                  "read them from standard input once this device's words are shown; pairing "
                  "stops if they differ (default: ask yes/no in the terminal)");
    c->add_option("--timeout", flags->timeout_s, "seconds to wait for the partner (default 600)");
  };
  auto* pair = root.add_subcommand("pair", "start pairing: print a code for the partner and wait");
  add_flags(pair);
  pair->add_flag("--replace", flags->replace,
                 "your partner lost their device: the code moves your pair, with its history, "
                 "to the device that joins with it (which first runs `mend restore`)");
  pair->add_flag("--in-person", flags->in_person,
                 "show a link and QR code with a secret instead of a code: the partner joins "
                 "with it and no words need comparing (show it only to your partner)");
  pair->callback([&ctx, flags] { run_pairing(ctx, *flags, nullptr); });

  auto* join = root.add_subcommand("join", "join the partner's pairing with their code");
  auto code = std::make_shared<std::string>();
  join->add_option("CODE", *code,
                   "the code shown by `mend pair` on the partner's device, or the whole "
                   "mend-pair: link of `mend pair --in-person`")
      ->required();
  add_flags(join);
  join->callback([&ctx, flags, code] { run_pairing(ctx, *flags, code.get()); });

  auto* unpair = root.add_subcommand(
      "unpair", "end the pair alone: the server deletes it and its history at once");
  auto wipe = std::make_shared<bool>(false);
  unpair->add_flag("--wipe", *wipe, "also delete this device's copy of the history");
  unpair->callback([&ctx, wipe] { run_unpair(ctx, *wipe); });
  (void)exit_code;
}

}  // namespace mend::app
