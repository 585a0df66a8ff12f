// graft diff: what differs between two models (surgeon/diff.h). Exit status as diff(1):
// 0 when equal, 1 when different, 2 on trouble (an unreadable model, a bad flag).
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "importer/onnx_model.h"
#include "surgeon/diff.h"
#include "surgeon/error.h"
#include "tools/commands.h"

namespace graft::tools {
namespace {

struct DiffFlags {
  std::string a, b;
  double tolerance = 0;
  bool no_value_info = false;
  bool doc_strings = false;
  bool json = false;
};

nlohmann::json difference_json(const Difference& d) {
  nlohmann::json fields = nlohmann::json::array();
  for (const FieldChange& f : d.fields)
    fields.push_back({{"field", f.field}, {"before", f.before}, {"after", f.after}});
  nlohmann::json j = {{"kind", d.kind}, {"change", change_name(d.change)}, {"name", d.name}};
  if (!d.where.empty()) j["where"] = d.where;
  if (!d.detail.empty()) j["detail"] = d.detail;
  if (!fields.empty()) j["fields"] = fields;
  if (d.max_abs_diff) j["max_abs_diff"] = *d.max_abs_diff;
  return j;
}

// "2 nodes changed, 1 node removed, 1 output added"
std::string summary(const ModelDiff& diff) {
  std::map<std::pair<std::string, std::string>, size_t> counts;
  std::vector<std::pair<std::string, std::string>> order;
  for (const Difference& d : diff.differences) {
    auto key = std::make_pair(d.kind, change_name(d.change));
    if (counts[key]++ == 0) order.push_back(key);
  }
  std::string s;
  for (const auto& key : order) {
    size_t n = counts[key];
    std::string kind = key.first == "metadata" || key.first == "model" || key.first == "graph"
                           ? key.first
                           : key.first + (n == 1 ? "" : "s");
    s += (s.empty() ? "" : ", ") + std::to_string(n) + " " + kind + " " + key.second;
  }
  return s;
}

}  // namespace

Run add_diff_command(CLI::App& app) {
  auto flags = std::make_shared<DiffFlags>();
  CLI::App* cmd = app.add_subcommand(
      "diff",
      "Show what differs between two models: nodes (matched by name, else by their output names) with\n"
      "their op, inputs, outputs and attributes; initializers (dtype, dims, largest value difference);\n"
      "graph inputs and outputs and their types; declared intermediate types; opsets; metadata;\n"
      "subgraphs. Node order does not count. Exit status as diff(1): 0 equal, 1 different, 2 trouble.\n"
      "Lines start with '+' (only in the second model), '-' (only in the first) or '~' (changed).\n\n"
      "Examples:\n"
      "  graft diff model.onnx edited.onnx\n"
      "  graft diff model.onnx sanitized.onnx --no-value-info\n"
      "  graft diff fp32.onnx requantized.onnx --tolerance 1e-3 --json\n"
      "  graft diff a.onnx b.onnx > /dev/null && echo same");
  // Files are checked when loaded, so that a missing one exits with 2 like any other trouble.
  cmd->add_option("a", flags->a, "The first model")->required();
  cmd->add_option("b", flags->b, "The second model")->required();
  cmd->add_option("--tolerance", flags->tolerance,
                  "Initializer values that differ by at most this much count as equal (default 0)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-value-info", flags->no_value_info,
                "Leave out declared types of intermediate tensors (value_info), e.g. after shape inference");
  cmd->add_flag("--doc-strings", flags->doc_strings, "Also compare doc strings");
  cmd->add_flag("--json", flags->json, "Print the differences as JSON");
  return [flags] {
    ModelDiff diff;
    try {
      Model a = importer::load_model(flags->a);
      Model b = importer::load_model(flags->b);
      diff = diff_models(a, b,
                         {.value_info = !flags->no_value_info,
                          .tolerance = flags->tolerance,
                          .compare_doc_strings = flags->doc_strings});
    } catch (const Error& e) {
      std::fprintf(stderr, "graft diff: error: %s\n", e.what());
      return 2;
    }
    if (flags->json) {
      nlohmann::json list = nlohmann::json::array();
      for (const Difference& d : diff.differences) list.push_back(difference_json(d));
      nlohmann::json j = {{"a", flags->a},           {"b", flags->b},           {"equal", diff.equal()},
                          {"nodes_a", diff.nodes_a}, {"nodes_b", diff.nodes_b}, {"nodes_matched", diff.nodes_matched},
                          {"differences", list}};
      std::printf("%s\n", j.dump(2).c_str());
      return diff.equal() ? 0 : 1;
    }
    std::printf("--- %s (%zu nodes)\n+++ %s (%zu nodes)\n", flags->a.c_str(), diff.nodes_a, flags->b.c_str(),
                diff.nodes_b);
    for (const Difference& d : diff.differences) std::printf("%s\n", describe(d).c_str());
    if (diff.equal()) {
      std::printf("no differences\n");
      return 0;
    }
    std::printf("%zu difference%s: %s\n", diff.differences.size(), diff.differences.size() == 1 ? "" : "s",
                summary(diff).c_str());
    return 1;
  };
}

}  // namespace graft::tools
