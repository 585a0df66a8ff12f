#pragma once
// --plugins and --plugin-map, which every subcommand takes: libraries to load and op
// mappings to apply before the subcommand runs.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace graft::tools {

struct PluginFlags {
  std::vector<std::string> libraries;  // repeatable, or comma-separated
  std::vector<std::string> mappings;   // Op=namespace::Name[:version]
};

void add_plugin_flags(CLI::App& cmd, PluginFlags& flags);
// Loads the libraries and applies the mappings; throws an Error naming the library.
void apply_plugin_flags(const PluginFlags& flags);

}  // namespace graft::tools
