#include "tools/plugin_flags.h"

#include "plugins/loader.h"

namespace graft::tools {

void add_plugin_flags(CLI::App& cmd, PluginFlags& flags) {
  cmd.add_option("--plugins", flags.libraries, "Plugin libraries (.so) to load, comma-separated or repeated")
      ->delimiter(',');
  cmd.add_option("--plugin-map", flags.mappings,
                 "Run an op through a plugin: Op=namespace::Name[:version] (e.g. DeformConv=graft::DeformConv2d); "
                 "repeatable");
}

void apply_plugin_flags(const PluginFlags& flags) { plugins::load_plugins_and_mappings(flags.libraries, flags.mappings); }

}  // namespace graft::tools
