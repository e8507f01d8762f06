#pragma once

// Each file registers its subcommands on the root CLI11 app. A command's callback
// throws client::Error or UsageError on failure (main() maps them to exit codes)
// and sets `exit_code` itself only for outcomes that are not exceptions (for
// example messages rejected during a sync).

#include <CLI/CLI.hpp>

#include "app_context.h"

namespace mend::app {

void add_device_commands(CLI::App& root, AppContext& ctx, int& exit_code);   // init status verify
void add_pairing_commands(CLI::App& root, AppContext& ctx, int& exit_code);  // pair join unpair
void add_message_commands(CLI::App& root, AppContext& ctx, int& exit_code);  // send log listen rotate
void add_backup_commands(CLI::App& root, AppContext& ctx, int& exit_code);   // backup restore

}  // namespace mend::app
