// graft: one binary, one subcommand per job. Subcommands parse flags, call the library,
// print. Errors become one line on stderr and a non-zero exit.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>

#include "surgeon/error.h"
#include "tools/commands.h"
#include "tools/plugin_flags.h"

namespace {

constexpr const char* kDescription =
    "graft: ONNX graph surgery, model conversion and inference engines.\n\n"
    "Examples:\n"
    "  graft inspect model.onnx                 summary: inputs, outputs, ops, parameters\n"
    "  graft inspect model.onnx --nodes --json  every node, as JSON\n"
    "  graft convert model.onnx -o out.onnx --external-data out.weights\n"
    "  graft conformance /usr/share/libonnx-testdata/data\n"
    "  graft run model.onnx --inputs inputs.npz --save-outputs out/\n"
    "  graft build model.onnx -o model.plan --fp16 --shapes x:8x3x224x224\n"
    "  graft run model.plan --iterations 100 --cuda-graph --compare-to cpu\n"
    "  graft plugins list --plugins libacme_plugins.so\n"
    "  graft edit model.onnx -o out.onnx --rename-node conv1=stem --script edits.txt\n"
    "  graft rewrite model.onnx -o out.onnx --rules rules.txt\n"
    "  graft extract model.onnx -o sub.onnx --inputs a,b --outputs c\n"
    "  graft diff model.onnx edited.onnx\n"
    "  graft zoo models/ -o zoo-out --jobs 4      convert a folder of models, one report\n";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(kDescription, "graft");
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for all subcommands");
  std::map<CLI::App*, graft::tools::Run> commands;
  auto add = [&](graft::tools::Run (*make)(CLI::App&)) {
    const size_t before = app.get_subcommands({}).size();
    graft::tools::Run run = make(app);
    commands[app.get_subcommands({})[before]] = std::move(run);
  };
  add(graft::tools::add_inspect_command);
  add(graft::tools::add_convert_command);
  add(graft::tools::add_conformance_command);
  add(graft::tools::add_build_command);
  add(graft::tools::add_run_command);
  add(graft::tools::add_sanitize_command);
  add(graft::tools::add_edit_command);
  add(graft::tools::add_rewrite_command);
  add(graft::tools::add_extract_command);
  add(graft::tools::add_diff_command);
  add(graft::tools::add_plugins_command);
  add(graft::tools::add_zoo_command);
  graft::tools::PluginFlags plugin_flags;
  for (CLI::App* sub : app.get_subcommands({})) graft::tools::add_plugin_flags(*sub, plugin_flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& [sub, run] : commands) {
    if (!sub->parsed()) continue;
    try {
      graft::tools::apply_plugin_flags(plugin_flags);
      return run();
    } catch (const graft::Error& e) {
      std::fprintf(stderr, "graft %s: error: %s\n", sub->get_name().c_str(), e.what());
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "graft %s: internal error: %s\n", sub->get_name().c_str(), e.what());
      return 2;
    }
  }
  return 1;
}
