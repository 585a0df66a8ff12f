// graft rewrite: user-written pattern rules (surgeon/rule_text.h, docs/rewrite-rules.md)
// applied to a fixpoint; reports how often each rule fired.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "importer/onnx_model.h"
#include "surgeon/error.h"
#include "surgeon/rule_text.h"
#include "tools/commands.h"

namespace graft::tools {
namespace {

struct RewriteFlags {
  std::string model, output, rules;
  size_t max_iterations = 100;
  bool keep_unused = false;
  bool dry_run = false;
  bool json = false;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) throw Error("cannot read rules file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string plural(size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

nlohmann::json report_json(const RuleSet& set, const RuleSetReport& r) {
  nlohmann::json rules = nlohmann::json::array();
  for (size_t i = 0; i < r.rules.size(); ++i) {
    const RuleCount& c = r.rules[i];
    nlohmann::json j = {
        {"name", c.name}, {"origin", set.rules[i].origin}, {"fired", c.fired}, {"declined", c.declined}};
    if (!c.first_decline.empty()) j["first_decline"] = c.first_decline;
    rules.push_back(j);
  }
  return {{"rules", rules},
          {"total", r.total()},
          {"sweeps", r.iterations},
          {"fixpoint", r.reached_fixpoint},
          {"opsets_added", r.opsets_added},
          {"cleanup", {{"nodes", r.cleanup.nodes}, {"initializers", r.cleanup.initializers}}}};
}

void print_text(const RuleSetReport& r) {
  size_t width = 0;
  for (const RuleCount& c : r.rules) width = std::max(width, c.name.size());
  for (const RuleCount& c : r.rules) {
    std::printf("  %-*s  %s", int(width), c.name.c_str(), plural(c.fired, "rewrite").c_str());
    if (c.declined) std::printf(", %s declined (%s)", plural(c.declined, "match").c_str(), c.first_decline.c_str());
    std::printf("\n");
  }
  std::printf("%s in all, fixpoint after %s\n", plural(r.total(), "rewrite").c_str(),
              plural(r.iterations, "sweep").c_str());
  for (const std::string& d : r.opsets_added) std::printf("imported opset %s version 1 for the new ops\n", d.c_str());
  if (r.cleanup.changed()) {
    std::printf("cleanup removed %s and %s left unused\n", plural(r.cleanup.nodes, "node").c_str(),
                plural(r.cleanup.initializers, "initializer").c_str());
  }
}

}  // namespace

Run add_rewrite_command(CLI::App& app) {
  auto flags = std::make_shared<RewriteFlags>();
  CLI::App* cmd = app.add_subcommand(
      "rewrite",
      "Apply pattern rules written in a small text format until none fires any more, and say how often\n"
      "each rule fired. A rule names a pattern of ops and what replaces each match:\n\n"
      "  # Sigmoid gating its input -> one custom op, and back\n"
      "  rule fuse_swish: x -> Sigmoid(x) as s; Mul(x, s) as y => com.example.Swish(x) -> y\n"
      "  rule expand_swish: com.example.Swish(x) as y => Sigmoid(x) as s; Mul(x, s) -> y\n"
      "  # attributes matched ([group=1]) and copied (c.*: all of them)\n"
      "  rule conv_relu: Relu(Conv(x, const w, b?) [group=1] as c) => com.example.ConvRelu(x, w, b) [c.*]\n\n"
      "docs/rewrite-rules.md describes the format. A match whose rewrite would break the graph (an\n"
      "intermediate read elsewhere, a cycle) is left alone and counted as declined. The output is written\n"
      "only when the rules reached a fixpoint and the graph checks out.\n\n"
      "Examples:\n"
      "  graft rewrite model.onnx -o out.onnx --rules rules.txt\n"
      "  graft rewrite model.onnx -o out.onnx --rules rules.txt --json\n"
      "  graft rewrite model.onnx --rules rules.txt --dry-run");
  cmd->add_option("model", flags->model, "ONNX model file")->required()->check(existing_file_check);
  cmd->add_option("-o,--output", flags->output, "Where to write the rewritten model");
  cmd->add_option("--rules", flags->rules, "The rules file")->required()->check(existing_file_check);
  cmd->add_option("--max-iterations", flags->max_iterations,
                  "Sweeps over a graph before giving up on a fixpoint (default 100)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--keep-unused", flags->keep_unused,
                "Keep nodes and initializers the rewrites left unused (by default they are removed)");
  cmd->add_flag("--dry-run", flags->dry_run, "Rewrite and report, but write nothing");
  cmd->add_flag("--json", flags->json, "Print the report as JSON");
  return [flags] {
    if (flags->output.empty() && !flags->dry_run) throw Error("rewrite needs -o OUTPUT (or --dry-run)");
    RuleSet rules = parse_rules(read_file(flags->rules), flags->rules);
    Model model = importer::load_model(flags->model);
    RuleSetReport report =
        apply_rule_set(model, rules, {.max_iterations = flags->max_iterations, .cleanup = !flags->keep_unused});
    if (!report.reached_fixpoint) {
      std::string fired;
      for (const RuleCount& c : report.rules) {
        if (c.fired) fired += (fired.empty() ? "" : ", ") + c.name + " " + std::to_string(c.fired);
      }
      throw Error("the rules in " + flags->rules + " did not reach a fixpoint in " +
                  std::to_string(flags->max_iterations) + " sweeps (fired: " + fired +
                  "); do some rules undo what others do?");
    }
    try {
      model.graph->check();
    } catch (const Error& e) {
      throw Error(std::string("the rewritten graph is broken: ") + e.what());
    }
    if (!flags->dry_run) importer::save_model(model, flags->output);
    if (flags->json) {
      nlohmann::json j = report_json(rules, report);
      j["output"] = flags->dry_run ? nlohmann::json(nullptr) : nlohmann::json(flags->output);
      std::printf("%s\n", j.dump(2).c_str());
      return 0;
    }
    std::printf("rules from %s:\n", flags->rules.c_str());
    print_text(report);
    if (flags->dry_run) {
      std::printf("dry run: nothing written\n");
    } else {
      std::printf("wrote %s\n", flags->output.c_str());
    }
    return 0;
  };
}

}  // namespace graft::tools
