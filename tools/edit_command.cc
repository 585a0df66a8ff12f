// graft edit: graph surgery from the shell. Flags for common edits and --script files in the
// edit language (surgeon/edit_script.h, docs/edit-language.md), applied in the order given,
// all or nothing: the output is written only when every edit succeeded.
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "importer/onnx_model.h"
#include "surgeon/edit_script.h"
#include "surgeon/error.h"
#include "tools/commands.h"
#include "tools/io_types.h"

namespace graft::tools {
namespace {

struct EditFlags {
  std::string model, output;
  std::vector<std::string> scripts;
  bool dry_run = false;
  bool json = false;
};

std::string read_script(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) throw Error("cannot read edit script " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The edits of every flag and script, in command-line order.
std::vector<Edit> collect_edits(CLI::App& cmd, const std::map<const CLI::Option*, std::string>& verb_of,
                                const CLI::Option* script_option) {
  std::vector<Edit> edits;
  std::map<const CLI::Option*, size_t> used;
  for (const CLI::Option* opt : cmd.parse_order()) {
    if (opt != script_option && !verb_of.count(opt)) continue;
    const std::string& value = opt->results().at(used[opt]++);
    std::vector<Edit> more = opt == script_option
                                 ? parse_edit_script(read_script(value), value)
                                 : edits_from_flag(verb_of.at(opt), verb_of.at(opt) == "cleanup" ? "" : value);
    edits.insert(edits.end(), more.begin(), more.end());
  }
  return edits;
}

std::string help_text() {
  std::string s =
      "Edit a model: rename, remove and rewire nodes, set attributes, input shapes and types, the batch\n"
      "dim, graph outputs and opsets. Flags and --script files apply in the order given, all or nothing:\n"
      "on any error nothing is written, and the error names the edit (and the script line).\n"
      "Graph outputs left without a type get the one shape inference finds.\n\n"
      "Examples:\n"
      "  graft edit model.onnx -o out.onnx --rename-node conv1=stem_conv --remove-node Identity_7\n"
      "  graft edit model.onnx -o out.onnx --set-attr Conv_3.strides=[2,2] --set-attr Resize_1.mode=linear\n"
      "  graft edit model.onnx -o out.onnx --set-input-shape x:1x3xHxW --set-input-dtype x:float16\n"
      "  graft edit model.onnx -o out.onnx --set-batch N --set-opset com.example:1\n"
      "  graft edit model.onnx -o out.onnx --set-outputs logits,feats --cleanup\n"
      "  graft edit model.onnx -o out.onnx --script edits.txt --json\n"
      "  graft edit model.onnx --script edits.txt --dry-run\n\n"
      "An edit script holds one edit per line (# comments), with the verbs of the flags:\n"
      "  rename-node conv1 stem_conv\n"
      "  set-attr Conv_3 strides [2,2]\n"
      "  remove-node Identity_7\n"
      "  set-input-shape x [batch, 3, 224, 224]\n\n"
      "Script verbs (docs/edit-language.md has the details):\n";
  for (const EditVerb& v : edit_verbs()) {
    std::string head = "  " + v.verb + (v.usage.empty() ? "" : " " + v.usage);
    if (head.size() < 38) head.resize(38, ' ');
    s += head + " " + v.description + "\n";
  }
  return s;
}

}  // namespace

Run add_edit_command(CLI::App& app) {
  auto flags = std::make_shared<EditFlags>();
  CLI::App* cmd = app.add_subcommand("edit", help_text());
  cmd->add_option("model", flags->model, "ONNX model file")->required()->check(existing_file_check);
  cmd->add_option("-o,--output", flags->output, "Where to write the edited model");
  CLI::Option* script =
      cmd->add_option("--script", flags->scripts, "Apply the edits in this file (one per line); repeatable")
          ->allow_extra_args(false)
          ->check(existing_file_check);
  auto verb_of = std::make_shared<std::map<const CLI::Option*, std::string>>();
  auto sinks = std::make_shared<std::vector<std::vector<std::string>>>(edit_verbs().size());
  for (size_t i = 0; i < edit_verbs().size(); ++i) {
    const EditVerb& v = edit_verbs()[i];
    CLI::Option* opt = v.flag_usage.empty()
                           ? cmd->add_flag("--" + v.verb, v.description)
                           : cmd->add_option("--" + v.verb, (*sinks)[i], v.description + "; repeatable")
                                 ->type_name(v.flag_usage)
                                 ->allow_extra_args(false);
    (*verb_of)[opt] = v.verb;
  }
  cmd->add_flag("--dry-run", flags->dry_run, "Apply the edits and report them, but write nothing");
  cmd->add_flag("--json", flags->json, "Print the applied edits as JSON");
  return [flags, cmd, script, verb_of, sinks] {
    std::vector<Edit> edits = collect_edits(*cmd, *verb_of, script);
    if (edits.empty())
      throw Error("no edits given: use flags like --rename-node a=b, or --script edits.txt (see --help)");
    if (flags->output.empty() && !flags->dry_run) throw Error("edit needs -o OUTPUT (or --dry-run)");
    Model model = importer::load_model(flags->model);
    std::vector<EditResult> results;
    Model edited = apply_edits(model, edits, &results);
    IoTyping typing = type_missing_io(edited, edited);
    if (!flags->dry_run) importer::save_model(edited, flags->output);
    if (flags->json) {
      nlohmann::json list = nlohmann::json::array();
      for (const EditResult& r : results) list.push_back({{"origin", r.origin}, {"edit", r.edit}, {"done", r.done}});
      nlohmann::json j = {{"edits", list},
                          {"typed_by_inference", typing.typed},
                          {"untyped", typing.untyped},
                          {"output", flags->dry_run ? nlohmann::json(nullptr) : nlohmann::json(flags->output)}};
      std::printf("%s\n", j.dump(2).c_str());
      return 0;
    }
    std::printf("%zu edit%s:\n", results.size(), results.size() == 1 ? "" : "s");
    for (const EditResult& r : results) std::printf("  %-22s %s\n", r.origin.c_str(), r.done.c_str());
    for (const std::string& t : typing.typed) std::printf("typed by shape inference: %s\n", t.c_str());
    for (const std::string& t : typing.untyped)
      std::printf("warning: %s has no type (shape inference does not know it)\n", t.c_str());
    if (flags->dry_run) {
      std::printf("dry run: nothing written\n");
    } else {
      std::printf("wrote %s\n", flags->output.c_str());
    }
    return 0;
  };
}

}  // namespace graft::tools
