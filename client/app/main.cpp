// mend: the partners' command-line app (README.md, "Using mend").

#include <CLI/CLI.hpp>
#include <iostream>

#include "app_context.h"
#include "commands.h"
#include "exit_codes.h"
#include "json.h"
#include "mend/client/error.h"

namespace {

int report(const mend::app::AppContext& ctx, int exit_code, std::string_view name,
           const std::string& message) {
  std::cerr << "mend: " << message << std::endl;
  if (ctx.json())
    ctx.emit_json(mend::app::JsonObject()
                      .add_raw("error", mend::app::JsonObject()
                                            .add("code", name)
                                            .add("exit", static_cast<uint64_t>(exit_code))
                                            .add("message", message)
                                            .str())
                      .str());
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mend::app;
  CLI::App root{"mend: end-to-end encrypted conversations for two partners", "mend"};
  root.require_subcommand(1);
  GlobalOptions options;
  root.add_option("--server", options.server,
                  "relay URL, ws://HOST:PORT/v1 or wss://... (default: $MEND_SERVER, then the "
                  "one last used, then ws://127.0.0.1:8470/v1)");
  root.add_option("--keystore", options.keystore,
                  "keystore file (default: $MEND_KEYSTORE, then $XDG_DATA_HOME/mend/keystore)");
  root.add_option("--passphrase-fd", options.passphrase_fd,
                  "read the passphrase from this file descriptor (one line); otherwise "
                  "$MEND_PASSPHRASE, otherwise the terminal without echo");
  root.add_flag("--json", options.json, "machine-readable output on stdout");
  root.add_option("--ca-file", options.ca_file, "extra trusted CA certificates (PEM) for wss://");
  root.footer(
      "Exit codes: 0 ok, 1 failure, 2 usage, 3 wrong passphrase, 4 keystore problem, "
      "5 server problem, 6 not paired / already paired / pair ended, 7 pairing failed, "
      "8 security alert (partner key or server changed), 9 tampering detected, 10 timeout.");
  root.fallthrough();

  AppContext ctx(options);
  int exit_code = kOk;
  add_device_commands(root, ctx, exit_code);
  add_pairing_commands(root, ctx, exit_code);
  add_message_commands(root, ctx, exit_code);
  add_backup_commands(root, ctx, exit_code);

  try {
    root.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return root.exit(e);
  } catch (const CLI::ParseError& e) {
    root.exit(e);
    return kUsage;
  } catch (const UsageError& e) {
    return report(ctx, kUsage, "usage", e.what());
  } catch (const mend::client::Error& e) {
    return report(ctx, exit_code_for(e.code()), error_name(e.code()), e.what());
  } catch (const std::exception& e) {
    return report(ctx, kFailure, "failure", e.what());
  }
  return exit_code;
}
