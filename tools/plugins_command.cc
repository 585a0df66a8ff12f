// graft plugins list: the plugins this graft knows, built-in and loaded with --plugins.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "plugins/registry.h"
#include "tools/commands.h"

namespace graft::tools {
namespace {

struct PluginsFlags {
  std::string action;
  bool json = false;
};

std::string fields_text(const plugins::PluginCreator& c) {
  std::string s;
  for (const plugins::FieldSpec& f : c.field_specs()) {
    s += (s.empty() ? "" : ", ") + f.name + ":" + attr_type_name(f.type);
    if (f.default_value) s += "=" + f.default_value->value_str();
  }
  return s;
}

int list_plugins(bool json) {
  const std::vector<plugins::Registered> all = plugins::Registry::global().list();
  if (json) {
    nlohmann::json j = nlohmann::json::array();
    for (const plugins::Registered& r : all) {
      nlohmann::json fields = nlohmann::json::array();
      for (const plugins::FieldSpec& f : r.creator->field_specs()) {
        fields.push_back({{"name", f.name}, {"type", attr_type_name(f.type)}, {"required", !f.default_value}});
      }
      j.push_back({{"namespace", r.id.ns}, {"name", r.id.name}, {"version", r.id.version}, {"library", r.library},
                   {"description", r.creator->description()}, {"fields", fields}});
    }
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("%zu plugin(s):\n", all.size());
  for (const plugins::Registered& r : all) {
    std::printf("  %-34s %s\n", r.id.str().c_str(), r.library.c_str());
    std::printf("      %s\n", r.creator->description().c_str());
    std::printf("      fields: %s\n", fields_text(*r.creator).c_str());
  }
  return 0;
}

}  // namespace

Run add_plugins_command(CLI::App& app) {
  auto flags = std::make_shared<PluginsFlags>();
  CLI::App* cmd = app.add_subcommand("plugins", "List the plugins: built-in ones and those of --plugins libraries");
  cmd->footer("Example:\n  graft plugins list --plugins libacme_plugins.so --json");
  cmd->add_option("action", flags->action, "list")->required()->check(CLI::IsMember({"list"}));
  cmd->add_flag("--json", flags->json, "Print as JSON");
  return [flags] { return list_plugins(flags->json); };
}

}  // namespace graft::tools
