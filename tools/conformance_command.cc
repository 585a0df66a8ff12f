// graft conformance: run ONNX backend test cases on the CPU engine.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "engine/conformance.h"
#include "surgeon/error.h"
#include "tools/commands.h"
#include "tools/engine_flags.h"

namespace graft::tools {
namespace {

struct ConformanceFlags {
  std::string dir;
  std::string filter;
  std::string markdown;
  bool json = false;
  bool quiet = false;
  std::string backend = "cpu";
  engine::Tolerance tol;
};

void write_markdown(const std::string& path, const std::vector<engine::CaseResult>& results, const std::string& summary) {
  std::ofstream out(path);
  if (!out) throw Error(path + ": cannot write");
  out << "| case | status | max abs err | max rel err | detail |\n|---|---|---:|---:|---|\n";
  for (const auto& r : results) {
    std::string detail = r.detail.substr(0, 300);
    for (char& c : detail) c = c == '|' ? '/' : c == '\n' ? ' ' : c;
    char nums[64];
    std::snprintf(nums, sizeof nums, "%.3g | %.3g", r.max_abs, r.max_rel);
    out << "| " << r.name << " | " << engine::status_name(r.status) << " | " << nums << " | " << detail << " |\n";
  }
  out << "\n" << summary << "\n";
}

}  // namespace

Run add_conformance_command(CLI::App& app) {
  auto flags = std::make_shared<ConformanceFlags>();
  CLI::App* cmd = app.add_subcommand(
      "conformance",
      "Run ONNX backend test cases (model.onnx + test_data_set_*) on the CPU or GPU engine and compare\n"
      "with the expected outputs (rtol 1e-3, atol 1e-7 unless given).\n\n"
      "Examples:\n"
      "  graft conformance /usr/share/libonnx-testdata/data\n"
      "  graft conformance /usr/share/libonnx-testdata/data/node --filter 'test_conv.*'\n"
      "  graft conformance DIR --json > results.json\n"
      "  graft conformance DIR --backend cuda --markdown gpu.md");
  cmd->add_option("dir", flags->dir, "Folder searched recursively for test cases")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--filter", flags->filter, "Only cases whose folder name matches this regular expression");
  cmd->add_option("--backend", flags->backend, "cpu (default) or cuda: the GPU engine, built per case in FP32");
  cmd->add_option("--rtol", flags->tol.rtol, "Relative tolerance (default 1e-3)");
  cmd->add_option("--atol", flags->tol.atol, "Absolute tolerance (default 1e-7)");
  cmd->add_option("--markdown", flags->markdown, "Also write the table as Markdown to this file");
  cmd->add_flag("--json", flags->json, "Print JSON instead of one row per case");
  cmd->add_flag("-q,--quiet", flags->quiet, "Print only failures and the summary");
  return [flags] {
    std::vector<std::string> cases = engine::find_cases(flags->dir);
    if (!flags->filter.empty()) {
      std::regex re;
      try {
        re = std::regex(flags->filter);
      } catch (const std::regex_error& e) {
        throw Error("--filter '" + flags->filter + "' is not a valid regular expression: " + e.what());
      }
      std::erase_if(cases, [&](const std::string& c) {
        return !std::regex_match(c.substr(c.find_last_of('/') + 1), re);
      });
    }
    std::vector<engine::CaseResult> results;
    size_t passed = 0, failed = 0, skipped = 0;
    for (const std::string& c : cases) {
      engine::CaseResult r = engine::run_case(c, flags->tol, device_of(flags->backend, "--backend"));
      if (r.status == engine::CaseResult::Status::kPass) ++passed;
      if (r.status == engine::CaseResult::Status::kUnsupported) ++skipped;
      if (r.status == engine::CaseResult::Status::kFail || r.status == engine::CaseResult::Status::kError) ++failed;
      const bool show = !flags->json && (!flags->quiet || r.status != engine::CaseResult::Status::kPass);
      if (show) {
        std::printf("%-60s %-11s abs %-9.3g rel %-9.3g %s\n", r.name.c_str(), engine::status_name(r.status).c_str(),
                    r.max_abs, r.max_rel, r.detail.substr(0, 400).c_str());
        std::fflush(stdout);
      }
      results.push_back(std::move(r));
    }
    const std::string summary = std::to_string(passed) + " passed, " + std::to_string(failed) + " failed, " +
                                std::to_string(skipped) + " skipped";
    if (flags->json) {
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& r : results) {
        rows.push_back({{"case", r.name}, {"status", engine::status_name(r.status)}, {"max_abs", r.max_abs},
                        {"max_rel", r.max_rel}, {"detail", r.detail}, {"seconds", r.seconds}});
      }
      nlohmann::json j = {{"cases", rows}, {"passed", passed}, {"failed", failed}, {"skipped", skipped}};
      std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      std::printf("%s\n", summary.c_str());
    }
    if (!flags->markdown.empty()) write_markdown(flags->markdown, results, summary);
    return failed == 0 ? 0 : 1;
  };
}

}  // namespace graft::tools
