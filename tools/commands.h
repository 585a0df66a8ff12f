#pragma once
// Each `graft` subcommand registers its flags and its run function on the CLI11 app.
#include <CLI/CLI.hpp>
#include <functional>

namespace graft::tools {

// A subcommand's body; runs after flags parsed. Returns the process exit code.
using Run = std::function<int()>;

Run add_inspect_command(CLI::App& app);
Run add_convert_command(CLI::App& app);
Run add_conformance_command(CLI::App& app);
Run add_run_command(CLI::App& app);
Run add_build_command(CLI::App& app);
Run add_sanitize_command(CLI::App& app);
Run add_plugins_command(CLI::App& app);
Run add_edit_command(CLI::App& app);
Run add_rewrite_command(CLI::App& app);
Run add_extract_command(CLI::App& app);
Run add_diff_command(CLI::App& app);
Run add_zoo_command(CLI::App& app);

// Checks that a file named by a flag exists before any work starts.
std::string existing_file_check(const std::string& path);

}  // namespace graft::tools
