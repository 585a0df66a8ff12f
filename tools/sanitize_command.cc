// graft sanitize: shape inference, constant folding and cleanup passes to a fixpoint; says
// what each pass did and what still stands in the way, and writes the model atomically.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "folding/sanitize.h"
#include "importer/onnx_model.h"
#include "surgeon/error.h"
#include "tools/commands.h"
#include "tools/format.h"

namespace graft::tools {
namespace {

struct SanitizeFlags {
  std::string model, output, input_shapes, passes, enable;
  int64_t batch = 0;
  uint64_t fold_size_limit = 16ull << 20;
  size_t max_rounds = 8;
  bool list_passes = false;
  bool swap_plugins = false;
  bool json = false;
};

std::vector<std::string> split_names(const std::string& s) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = std::min(s.find(',', start), s.size());
    if (end > start) names.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return names;
}

folding::SanitizeOptions options_of(const SanitizeFlags& f) {
  folding::SanitizeOptions o;
  o.passes.shapes.input_shapes = folding::parse_input_shapes(f.input_shapes);
  if (f.batch > 0) o.passes.shapes.batch = f.batch;
  o.passes.fold_size_limit = f.fold_size_limit;
  o.pass_names = split_names(f.passes);
  if (!f.enable.empty()) {
    if (o.pass_names.empty()) o.pass_names = folding::default_pipeline();
    for (const std::string& name : split_names(f.enable)) o.pass_names.insert(o.pass_names.end() - 1, name);
  }
  if (f.swap_plugins) {
    if (o.pass_names.empty()) o.pass_names = folding::default_pipeline();
    o.pass_names.insert(o.pass_names.begin(), "swap-plugins");
  }
  for (const std::string& name : o.pass_names) folding::make_pass(name);  // unknown names fail before any work
  o.max_rounds = f.max_rounds;
  return o;
}

int list_passes(bool json) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& p : folding::all_passes()) {
    if (json) j.push_back({{"name", p->name()}, {"description", p->description()}, {"opt_in", p->opt_in()}});
    else std::printf("%-34s %s%s\n", p->name().c_str(), p->description().c_str(), p->opt_in() ? " (opt-in)" : "");
  }
  if (json) std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

nlohmann::json report_json(const folding::SanitizeReport& r) {
  nlohmann::json passes = nlohmann::json::array();
  for (const auto& p : r.passes.passes) {
    passes.push_back({{"name", p.name}, {"runs", p.runs}, {"changes", p.changes}, {"notes", p.notes}});
  }
  return {{"nodes_before", r.nodes_before},
          {"nodes_after", r.nodes_after},
          {"ops_before", r.ops_before},
          {"ops_after", r.ops_after},
          {"rounds", r.passes.rounds},
          {"fixpoint", r.passes.reached_fixpoint},
          {"passes", passes},
          {"shape_warnings", r.passes.shapes.warnings},
          {"ops_without_shape_function", r.passes.shapes.ops_without_shape_fn},
          {"unknown_shapes", r.unknown_shapes},
          {"ops_without_kernel", r.ops_without_kernel}};
}

void print_list(const char* title, const std::vector<std::string>& items, size_t limit = 10) {
  if (items.empty()) return;
  std::printf("%s (%zu):\n", title, items.size());
  for (size_t i = 0; i < items.size() && i < limit; ++i) std::printf("  %s\n", items[i].c_str());
  if (items.size() > limit) std::printf("  ... and %zu more\n", items.size() - limit);
}

constexpr size_t kNotesShown = 5;

void print_text(const folding::SanitizeReport& r) {
  std::printf("nodes before: %zu (%s)\n", r.nodes_before, histogram_text(r.ops_before).c_str());
  std::printf("nodes after:  %zu (%s)\n", r.nodes_after, histogram_text(r.ops_after).c_str());
  std::printf("passes (%zu round%s%s):\n", r.passes.rounds, r.passes.rounds == 1 ? "" : "s",
              r.passes.reached_fixpoint ? ", fixpoint reached" : ", round limit reached");
  for (const auto& p : r.passes.passes) {
    std::printf("  %-34s %zu change%s\n", p.name.c_str(), p.changes, p.changes == 1 ? "" : "s");
    for (size_t i = 0; i < p.notes.size() && i < kNotesShown; ++i) std::printf("      %s\n", p.notes[i].c_str());
    if (p.notes.size() > kNotesShown) std::printf("      ... and %zu more (--json lists all)\n", p.notes.size() - kNotesShown);
  }
  print_list("shape warnings", r.passes.shapes.warnings);
  if (!r.passes.shapes.ops_without_shape_fn.empty()) {
    std::printf("ops without a shape function: %s\n", histogram_text(r.passes.shapes.ops_without_shape_fn).c_str());
  }
  print_list("tensors without a static shape", r.unknown_shapes);
  if (!r.ops_without_kernel.empty()) {
    std::printf("ops no engine kernel runs: %s\n", histogram_text(r.ops_without_kernel).c_str());
  }
}

}  // namespace

Run add_sanitize_command(CLI::App& app) {
  auto flags = std::make_shared<SanitizeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "sanitize",
      "Infer shapes, fold constant subgraphs into initializers and clean the graph up, so that\n"
      "engines accept it (e.g. Resize scales computed from Concat/Cast/Unsqueeze of constants).\n"
      "Prints nodes before/after by op, what each pass changed and what still stands in the way.\n"
      "The output is written only when everything succeeded.\n\n"
      "Examples:\n"
      "  graft sanitize model.onnx -o clean.onnx\n"
      "  graft sanitize model.onnx -o clean.onnx --input-shapes x:1x3x224x224\n"
      "  graft sanitize bert.onnx -o clean.onnx --input-shapes 'ids:[batch,seq]' --json\n"
      "  graft sanitize model.onnx -o clean.onnx --passes fold-constants,eliminate-dead-nodes\n"
      "  graft sanitize bert.onnx -o clean.onnx --enable fuse-layernorm,fuse-gelu\n"
      "  graft sanitize --list-passes");
  cmd->add_option("model", flags->model, "ONNX model file")->check(existing_file_check);
  cmd->add_option("-o,--output", flags->output, "Where to write the sanitized model");
  cmd->add_option("--input-shapes", flags->input_shapes,
                  "Fix or name input dims: x:1x3x224x224,mask:batchx128 (or x:[batch,3,h,w])");
  cmd->add_option("--batch", flags->batch, "Set dim 0 of every input to N")->check(CLI::PositiveNumber);
  cmd->add_option("--fold-size-limit", flags->fold_size_limit,
                  "Do not fold a node into a constant larger than this many bytes when it is larger than "
                  "its inputs (default 16 MiB)");
  cmd->add_option("--passes", flags->passes, "Comma-separated passes to run, in order (default: the standard pipeline)");
  cmd->add_option("--enable", flags->enable,
                  "Also run these opt-in passes, before the final dead-node removal (e.g. fuse-layernorm,fuse-gelu)");
  cmd->add_option("--max-rounds", flags->max_rounds, "Stop after this many rounds of passes (default 8)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--list-passes", flags->list_passes, "List the passes and exit");
  cmd->add_flag("--swap-plugins", flags->swap_plugins,
                "First rewrite nodes mapped by --plugin-map into their plugin's op, reporting each");
  cmd->add_flag("--json", flags->json, "Print the report as JSON");
  return [flags] {
    if (flags->list_passes) return list_passes(flags->json);
    if (flags->model.empty() || flags->output.empty()) throw Error("sanitize needs a model and -o OUTPUT (see --help)");
    folding::SanitizeOptions options = options_of(*flags);
    Model model = importer::load_model(flags->model);
    folding::SanitizeReport report = folding::sanitize(model, options);
    importer::save_model(model, flags->output);
    if (flags->json) {
      nlohmann::json j = report_json(report);
      j["output"] = flags->output;
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      print_text(report);
      std::printf("wrote %s\n", flags->output.c_str());
    }
    return 0;
  };
}

}  // namespace graft::tools
