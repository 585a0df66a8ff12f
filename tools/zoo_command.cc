// graft zoo: convert every model under a folder, each in its own process, and write one
// report (report.md / report.json / report.html) that says what to fix first.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine/random_inputs.h"
#include "surgeon/error.h"
#include "tools/commands.h"
#include "tools/engine_flags.h"
#include "zoo/driver.h"
#include "zoo/report.h"

namespace graft::tools {
namespace {

struct ZooFlags {
  std::string dir, output;
  std::string device = "cpu";
  bool fp16 = false;
  int jobs = 0;
  double timeout = 600;
  int64_t memory_limit = -1;  // MiB; -1: the default
  bool resume = false;
  int models_per_process = 1000;
  std::string filter;
  std::string input_shapes;
  bool quiet = false;
  bool json = false;
};

std::vector<std::string> option_values(CLI::App* cmd, const std::string& name) {
  const CLI::Option* opt = cmd->get_option_no_throw(name);
  if (!opt || opt->count() == 0) return {};
  return opt->as<std::vector<std::string>>();
}

void print_text(const zoo::ZooRun& run) {
  size_t ok = 0;
  for (const zoo::ModelResult& r : run.results) ok += zoo::is_ok(r.status);
  std::printf("graft zoo: %zu of %zu models converted (%s%s), %d job%s, %.1f s (conversions %.1f s, driver overhead "
              "%.1f%%)%s\n",
              ok, run.results.size(), engine::device_name(run.settings.device),
              run.settings.device == engine::Device::kCuda && run.settings.fp16 ? ", fp16" : "", run.jobs,
              run.jobs == 1 ? "" : "s", run.wall_s, run.conversion_s, run.driver_overhead() * 100,
              run.resumed ? (", " + std::to_string(run.resumed) + " resumed").c_str() : "");
  for (const auto& [name, n] : zoo::status_counts(run.results)) {
    if (n) std::printf("  %-22s %6zu\n", name.c_str(), n);
  }
  const std::vector<zoo::Cause> causes = zoo::summarize_causes(run.results, run.settings.device);
  size_t shown = 0;
  for (const zoo::Cause& c : causes) {
    if (!c.problem) continue;
    if (shown++ == 0) std::printf("what to fix first:\n");
    if (shown > 12) {
      std::printf("  ... (report.md lists all)\n");
      break;
    }
    std::printf("  %s\n", c.text.c_str());
  }
  std::printf("reports: %s/report.md, report.json, report.html\n", run.out_dir.c_str());
}

}  // namespace

Run add_zoo_command(CLI::App& app) {
  auto flags = std::make_shared<ZooFlags>();
  CLI::App* cmd = app.add_subcommand(
      "zoo",
      "Convert every .onnx model under DIR (external data included) and check it: import, sanitize\n"
      "(shape inference, plugin swap, folding), build a plan, run it on the model's own\n"
      "test_data_set_0 inputs or on seeded random ones (symbolic dims 1), and compare with the CPU\n"
      "engine running the original model (fp32: rtol 1e-4, atol 1e-5; fp16: 2e-2). Each model runs in\n"
      "a worker process with a time and a memory limit: a crash, hang or out-of-memory ends only that\n"
      "process, is recorded, and the batch goes on. OUTDIR/<model>/ gets sanitized.onnx, model.plan, log.txt and\n"
      "result.json; OUTDIR gets report.md, report.json and report.html (one file, works offline),\n"
      "with a summary by cause: what to fix first. Exit status 0 when the reports are written,\n"
      "whatever the models did; 130 when interrupted (the reports then hold the models done).\n\n"
      "Examples:\n"
      "  graft zoo models/ -o zoo-out                     every model, one job per CPU\n"
      "  graft zoo models/ -o zoo-out --jobs 4 --timeout 120 --memory-limit 8192\n"
      "  graft zoo models/ -o zoo-out --resume            skip models already done with these settings\n"
      "  graft zoo models/ -o zoo-out --filter 'resnet|bert' --jobs 1\n"
      "  graft zoo models/ -o zoo-out --input-shapes x:1x3x224x224,input_ids:1x128\n"
      "  graft zoo models/ -o zoo-out --plugins libacme_plugins.so --plugin-map DeformConv=graft::DeformConv2d\n"
      "  graft zoo models/ -o zoo-gpu --device cuda --fp16\n"
      "  graft zoo /usr/share/libonnx-testdata/data -o conformance-zoo --json");
  cmd->add_option("dir", flags->dir, "Folder searched (recursively) for .onnx models")->required();
  cmd->add_option("-o,--output", flags->output, "Folder for the reports and a folder per model")->required();
  cmd->add_option("--device", flags->device, "cpu (default) or cuda");
  cmd->add_flag("--fp16", flags->fp16, "cuda: FP16 layers where they have an FP16 implementation");
  cmd->add_option("--jobs", flags->jobs, "Models converted at a time (default: one per CPU; 1 on cuda)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--timeout", flags->timeout, "Seconds a model may take before it is killed (default 600)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--memory-limit", flags->memory_limit,
                  "MiB of memory per model (RLIMIT_DATA; default: 90% of RAM / jobs, at least 2048, none on "
                  "cuda; 0: none)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--models-per-process", flags->models_per_process,
                  "Models a worker process converts before a new one takes over (default 1000; 1: a new "
                  "process for every model)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--resume", flags->resume, "Skip models whose OUTDIR/<model>/result.json has the same settings");
  cmd->add_option("--input-shapes", flags->input_shapes,
                  "Dims of random inputs by name, for every model that has such an input: "
                  "x:1x3x224x224,ids:1x128 (other dims of 1 stay)");
  cmd->add_option("--filter", flags->filter, "Only models whose path under DIR matches this regular expression");
  cmd->add_flag("-q,--quiet", flags->quiet, "No progress line on stderr");
  cmd->add_flag("--json", flags->json, "Print report.json's summary (without the per-model list) as JSON");
  return [flags, cmd] {
    zoo::DriverOptions o;
    o.dir = flags->dir;
    o.out_dir = flags->output;
    o.settings.device = device_of(flags->device, "--device");
    if (flags->fp16 && o.settings.device != engine::Device::kCuda) throw Error("--fp16 needs --device cuda");
    o.settings.fp16 = flags->fp16;
    o.settings.tool_version = kGraftVersion;
    o.settings.timeout_s = flags->timeout;
    engine::parse_input_shapes(flags->input_shapes);  // a bad spec fails before any work
    o.settings.input_shapes = flags->input_shapes;
    o.settings.plugin_libraries = option_values(cmd, "--plugins");
    o.settings.plugin_mappings = option_values(cmd, "--plugin-map");
    for (std::string& lib : o.settings.plugin_libraries) lib = std::filesystem::absolute(lib).string();
    o.jobs = flags->jobs;
    const int jobs = flags->jobs > 0 ? flags->jobs : zoo::default_jobs(o.settings.device);
    o.settings.memory_limit_mib = flags->memory_limit >= 0 ? static_cast<uint64_t>(flags->memory_limit)
                                                           : zoo::default_memory_limit_mib(jobs, o.settings.device);
    o.resume = flags->resume;
    o.models_per_process = flags->models_per_process;
    o.filter = flags->filter;
    o.progress = !flags->quiet;
    zoo::ZooRun run = zoo::run_zoo(o);
    zoo::write_reports(run);
    if (flags->json) {
      nlohmann::json j = zoo::report_json(run);
      j.erase("models");
      j["reports"] = {run.out_dir + "/report.md", run.out_dir + "/report.json", run.out_dir + "/report.html"};
      std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      print_text(run);
    }
    return run.interrupted ? 130 : 0;
  };
}

}  // namespace graft::tools
