// mend send TEXT | log | listen | rotate

#include <ctime>
#include <iostream>
#include <thread>

#include "commands.h"
#include "exit_codes.h"
#include "json.h"
#include "mend/client/conversation.h"
#include "mend/client/error.h"

namespace mend::app {

namespace {

using client::Errc;
using client::Error;

constexpr auto kSyncTimeout = std::chrono::seconds(20);

bool connectivity(Errc c) {
  return c == Errc::kServerUnreachable || c == Errc::kConnectionLost || c == Errc::kTimeout;
}

std::string problem_json(const client::Problem& p) {
  return JsonObject()
      .add("kind", p.kind)
      .add("sequence", p.sequence)
      .add("detail", p.detail)
      .add("at_ms", p.at_ms)
      .str();
}

// Sends what waits in the outbox and receives what the partner sent. A dropped or
// refused connection is tried again, twice, after 0.5 s and 1 s: the outbox resends
// the same envelopes (same client message ids), so nothing is stored twice.
// Throws on the last connection failure and on security failures.
client::SyncReport exchange(AppContext& ctx, client::Keystore& ks, client::Conversation& conv,
                            size_t& sent) {
  constexpr int kAttempts = 3;
  auto backoff = std::chrono::milliseconds(500);
  for (int attempt = 1;; ++attempt) {
    try {
      auto session = ctx.connect(ks);
      conv.check_relay(*session);
      sent = conv.flush(*session);
      client::SyncReport report = conv.sync(*session, kSyncTimeout);
      session->close();
      return report;
    } catch (const Error& e) {
      const bool retry = e.code() == Errc::kServerUnreachable || e.code() == Errc::kConnectionLost;
      if (!retry || attempt == kAttempts) throw;
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
  }
}

int report_problems(AppContext& ctx, const client::SyncReport& r) {
  for (const auto& p : r.problems)
    std::cerr << "mend: WARNING: rejected a message from the server (sequence " << p.sequence
              << "): " << p.kind << ": " << p.detail << std::endl;
  if (r.pair_ended) {
    ctx.say(r.device_replaced
                ? "Your partner moved the pair to a new device of yours (`mend pair --replace`): "
                  "this device is out of it. Run `mend unpair` to clear it here."
                : "Your partner ended the pair. Run `mend unpair` to clear it on this device.");
    return kPairState;
  }
  return r.problems.empty() ? kOk : kTampering;
}

void run_send(AppContext& ctx, const std::string& text, int& exit_code) {
  if (text.empty()) throw UsageError("nothing to send");
  client::Keystore ks = ctx.open_keystore();
  auto history = ctx.open_history(ks);
  client::Conversation conv(ks, *history);
  // A script that retries the same text after a failure must not send it twice:
  // an identical message still waiting in the outbox is sent instead of a new one.
  bool queued = false;
  for (const auto& m : history->messages())
    if (m.from_me && m.state == client::StoredMessage::State::kPending && m.text == text)
      queued = true;
  if (!queued) conv.compose(text);
  size_t sent = 0;
  client::SyncReport report;
  try {
    report = exchange(ctx, ks, conv, sent);
  } catch (const Error& e) {
    if (connectivity(e.code()))
      ctx.say(
          "The message is kept on this device and goes out with the next `mend send` or "
          "`mend log` (running this same command again does not send it twice).");
    throw;
  }
  if (ctx.json())
    ctx.emit_json(JsonObject()
                      .add("sent", static_cast<uint64_t>(sent))
                      .add("received", static_cast<uint64_t>(report.received))
                      .add("problems", static_cast<uint64_t>(report.problems.size()))
                      .str());
  ctx.say("Sent." + (report.received > 0 ? " " + std::to_string(report.received) +
                                               " new message(s) from your partner: see `mend log`."
                                         : std::string()));
  exit_code = report_problems(ctx, report);
}

std::string clock_time(uint64_t ms) {
  if (ms == 0) return "                ";
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

void run_log(AppContext& ctx, bool offline, int& exit_code) {
  client::Keystore ks = ctx.open_keystore();
  auto history = ctx.open_history(ks);
  client::Conversation conv(ks, *history);
  bool synced = false;
  client::SyncReport report;
  if (!offline) {
    try {
      size_t sent = 0;
      report = exchange(ctx, ks, conv, sent);
      synced = true;
    } catch (const Error& e) {
      if (!connectivity(e.code())) throw;
      std::cerr << "mend: " << e.what() << "\nmend: showing the history held on this device."
                << std::endl;
    }
  }
  const auto messages = history->messages();
  const auto problems = history->problems();
  if (ctx.json()) {
    JsonArray list;
    for (const auto& m : messages) {
      if (m.kind == client::StoredMessage::Kind::kKeyUpdate) continue;  // not a message
      const char* state = m.state == client::StoredMessage::State::kPending   ? "pending"
                          : m.state == client::StoredMessage::State::kDeleted ? "deleted"
                                                                              : "stored";
      list.add_raw(JsonObject()
                       .add("sequence", m.sequence)
                       .add("from", m.from_me ? "me" : "partner")
                       .add("text", m.text)
                       .add("state", state)
                       .add("stored_at_ms", m.stored_at_ms)
                       .str());
    }
    JsonArray probs;
    for (const auto& p : problems) probs.add_raw(problem_json(p));
    ctx.emit_json(JsonObject()
                      .add("synced", synced)
                      .add_raw("messages", list.str())
                      .add_raw("problems", probs.str())
                      .str());
  } else {
    for (const auto& m : messages) {
      std::string line =
          clock_time(m.stored_at_ms) + "  " + (m.from_me ? "me     " : "partner") + "  ";
      if (m.kind == client::StoredMessage::Kind::kKeyUpdate)
        line += "-- " + m.text + " --";
      else if (m.state == client::StoredMessage::State::kDeleted)
        line += "(deleted)";
      else
        line += m.text;
      if (m.state == client::StoredMessage::State::kPending) line += "  (not sent yet)";
      ctx.say(line);
    }
    if (messages.empty()) ctx.say("(no messages yet)");
    if (!problems.empty())
      ctx.say("WARNING: " + std::to_string(problems.size()) +
              " received message(s) were rejected because they failed a check (tampering by the "
              "server, or a broken partner app). Details with --json.");
  }
  exit_code = report_problems(ctx, report);
}

// Prints what arrives while connected, one line (or JSON object) per event.
void run_listen(AppContext& ctx, int seconds, int& exit_code) {
  if (seconds <= 0) throw UsageError("--for must be a positive number of seconds");
  client::Keystore ks = ctx.open_keystore();
  auto history = ctx.open_history(ks);
  client::Conversation conv(ks, *history);
  auto session = ctx.connect(ks);
  conv.check_relay(*session);
  conv.flush(*session);
  client::Conversation::LiveCallbacks cb;
  cb.on_message = [&ctx](const client::ReceivedMessage& m) {
    if (m.key_update) return;
    if (ctx.json())
      ctx.emit_json(JsonObject()
                        .add("event", "message")
                        .add("sequence", m.sequence)
                        .add("ephemeral", m.sequence == 0)
                        .add("text", m.text)
                        .str());
    else
      ctx.say(clock_time(m.stored_at_ms) + "  partner  " + m.text);
  };
  cb.on_problem = [&ctx](const client::Problem& p) {
    if (ctx.json())
      ctx.emit_json(JsonObject().add("event", "problem").add_raw("problem", problem_json(p)).str());
  };
  cb.on_presence = [&ctx](bool online) {
    if (ctx.json())
      ctx.emit_json(JsonObject().add("event", "presence").add("partner_online", online).str());
    else
      ctx.say(online ? "(your partner is online)" : "(your partner went offline)");
  };
  if (ctx.json())
    ctx.emit_json(JsonObject()
                      .add("event", "listening")
                      .add("partner_online", session->partner_online())
                      .str());
  else
    ctx.say(std::string("Listening for ") + std::to_string(seconds) + " s; your partner is " +
            (session->partner_online() ? "online." : "offline."));
  const client::SyncReport report = conv.listen(*session, std::chrono::seconds(seconds), cb);
  session->close();
  exit_code = report_problems(ctx, report);
}

void run_rotate(AppContext& ctx, int& exit_code) {
  client::Keystore ks = ctx.open_keystore();
  auto history = ctx.open_history(ks);
  client::Conversation conv(ks, *history);
  {
    // Refuse before making a key if the relay's view is wrong (changed partner key).
    auto session = ctx.connect(ks);
    conv.check_relay(*session);
    session->close();
  }
  const uint32_t epoch = conv.rotate_epoch();
  size_t sent = 0;
  const client::SyncReport report = exchange(ctx, ks, conv, sent);
  if (ctx.json()) ctx.emit_json(JsonObject().add("epoch", static_cast<uint64_t>(epoch)).str());
  ctx.say("New history key: epoch " + std::to_string(epoch) +
          ". Messages from now on use it; your partner's device receives it with the next "
          "messages it fetches.");
  exit_code = report_problems(ctx, report);
}

}  // namespace

void add_message_commands(CLI::App& root, AppContext& ctx, int& exit_code) {
  auto* send = root.add_subcommand("send", "send a message to the partner (and receive theirs)");
  auto text = std::make_shared<std::string>();
  send->add_option("TEXT", *text, "the message")->required();
  send->callback([&ctx, text, &exit_code] { run_send(ctx, *text, exit_code); });

  auto* log = root.add_subcommand("log", "receive new messages, then show the history");
  auto offline = std::make_shared<bool>(false);
  log->add_flag("--offline", *offline, "only show what this device holds");
  log->callback([&ctx, offline, &exit_code] { run_log(ctx, *offline, exit_code); });

  auto* listen = root.add_subcommand(
      "listen", "stay connected and print the partner's messages as they arrive");
  auto seconds = std::make_shared<int>(60);
  listen->add_option("--for", *seconds, "seconds to listen (default 60)");
  listen->callback([&ctx, seconds, &exit_code] { run_listen(ctx, *seconds, exit_code); });

  auto* rotate = root.add_subcommand(
      "rotate", "start a new history key epoch (sent to the partner inside the pair)");
  rotate->callback([&ctx, &exit_code] { run_rotate(ctx, exit_code); });
}

}  // namespace mend::app
