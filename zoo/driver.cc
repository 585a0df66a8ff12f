#include "zoo/driver.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <cmath>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "engine/gpu_backend.h"
#include "surgeon/error.h"

namespace graft::zoo {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string errno_text() { return std::strerror(errno); }

// A job slot's live state, in memory shared with its worker: the stage the current model
// is in and what is known of it so far, for the record of a crash or timeout.
struct alignas(64) SlotState {
  std::atomic<int> stage{0};
  size_t nodes_before = 0, nodes_after = 0;
  uint64_t plan_bytes = 0;
  double sanitize_s = 0, build_s = 0;
};

std::vector<int> usable_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
  }
  return cpus;
}

// Each slot's CPUs: the usable CPUs split into `jobs` contiguous shares (one CPU each, in
// turn, when there are more jobs than CPUs), so the workers' thread pools do not fight.
std::vector<std::vector<int>> slot_cpus(int jobs) {
  const std::vector<int> cpus = usable_cpus();
  std::vector<std::vector<int>> slots(jobs);
  if (cpus.empty()) return slots;
  const size_t n = cpus.size();
  for (int k = 0; k < jobs; ++k) {
    if (static_cast<size_t>(jobs) >= n) {
      slots[k] = {cpus[k % n]};
    } else {
      for (size_t i = k * n / jobs; i < (k + 1) * n / jobs; ++i) slots[k].push_back(cpus[i]);
    }
  }
  return slots;
}

void write_text_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw Error(path + ": cannot write: " + errno_text());
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error(path + ": cannot write: " + errno_text());
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app);
  out << line << "\n";
}

bool read_result(const std::string& path, ModelResult& r) {
  std::ifstream in(path);
  if (!in) return false;
  try {
    r = result_from_json(nlohmann::json::parse(in));
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += n;
  }
  return true;
}

// What a worker needs: the models, where they go, the settings.
struct WorkerContext {
  const std::vector<std::string>* paths;    // full paths of the models
  const std::vector<ModelResult>* stubs;    // model, id, settings_key of each
  std::string out_dir;
  const Settings* settings;
};

// A worker process: reads model indices ("17\n") from `in`, converts each model into
// OUTDIR/<id>/ (log.txt as its stdout and stderr, result.json), answers "17\n" on `out`.
// Exits at the end of its input, or after a model that ran out of memory (its heap is
// then suspect). Never returns.
[[noreturn]] void worker_main(const WorkerContext& ctx, int in, int out, const std::vector<int>& cpus,
                              SlotState* slot, const sigset_t& old_mask) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // the driver gone: no orphans
  signal(SIGPIPE, SIG_DFL);
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  if (!cpus.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : cpus) CPU_SET(c, &set);
    sched_setaffinity(0, sizeof set, &set);
  }
  const Settings& settings = *ctx.settings;
  if (settings.memory_limit_mib > 0) {
    const rlim_t bytes = static_cast<rlim_t>(settings.memory_limit_mib) << 20;
    const struct rlimit lim = {bytes, bytes};
    setrlimit(RLIMIT_DATA, &lim);
  }
  std::string pending;
  char buf[256];
  for (;;) {
    size_t eol;
    while ((eol = pending.find('\n')) == std::string::npos) {
      const ssize_t n = ::read(in, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) _exit(0);
      pending.append(buf, n);
    }
    const size_t i = std::stoul(pending.substr(0, eol));
    pending.erase(0, eol + 1);
    const auto t0 = Clock::now();
    const ModelResult& stub = (*ctx.stubs)[i];
    const std::string dir = ctx.out_dir + "/" + stub.id;
    if (::mkdir(dir.c_str(), 0777) != 0 && errno == EEXIST) {  // no stale plan or log from an earlier run
      std::error_code ec;
      fs::remove_all(dir, ec);
      ::mkdir(dir.c_str(), 0777);
    }
    std::fflush(stdout);
    std::fflush(stderr);
    const int fd = ::open((dir + "/log.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    slot->nodes_before = slot->nodes_after = 0;
    slot->plan_bytes = 0;
    slot->sanitize_s = slot->build_s = 0;
    slot->stage.store(0);
    bool recorded = true;
    Status status = Status::kFailed;
    double bookkeeping = since(t0);
    try {
      ModelResult r = convert_one((*ctx.paths)[i], dir, settings,
                                  [slot](const ModelResult& p) {
                                    slot->nodes_before = p.nodes_before;
                                    slot->nodes_after = p.nodes_after;
                                    slot->plan_bytes = p.plan_bytes;
                                    slot->sanitize_s = p.sanitize_s;
                                    slot->build_s = p.build_s;
                                    slot->stage.store(static_cast<int>(p.stage), std::memory_order_relaxed);
                                  },
                                  stderr);
      r.model = stub.model;
      r.id = stub.id;
      r.settings_key = stub.settings_key;
      status = r.status;
      const auto t2 = Clock::now();
      write_text_atomically(dir + "/result.json",
                            to_json(r).dump(1, ' ', false, nlohmann::json::error_handler_t::replace));
      bookkeeping += since(t2);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "graft zoo: cannot record the result: %s\n", e.what());
      recorded = false;
    }
    std::fflush(stdout);
    std::fflush(stderr);
    // "17 0.000123": the model and the seconds spent on its folder, log and result.json.
    if (!write_all(out, std::to_string(i) + " " + std::to_string(bookkeeping) + (recorded ? "\n" : " unrecorded\n"))) {
      _exit(3);
    }
    if (status == Status::kOutOfMemory) _exit(0);
  }
}

// Whether a cuda device is there, asked in a child so that the driver never initializes
// CUDA (a CUDA context does not survive fork). Empty when there is one, else why not.
std::string probe_gpu() {
  int fds[2];
  if (pipe(fds) != 0) return "cannot ask: " + errno_text();
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string why;
    const engine::GpuBackend* gpu = engine::gpu_backend();
    if (!gpu) {
      why = "this graft was built without CUDA";
    } else if (gpu->target(&why).compute_capability == 0) {
      why = "no CUDA device: " + why;
    }
    if (!why.empty() && ::write(fds[1], why.data(), why.size()) < 0) _exit(2);
    _exit(0);
  }
  ::close(fds[1]);
  std::string why;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) why.append(buf, n);
  ::close(fds[0]);
  int status = 0;
  if (pid > 0) waitpid(pid, &status, 0);
  if (pid < 0) return "cannot ask: " + errno_text();
  if (!WIFEXITED(status)) return "asking for a CUDA device crashed the process";
  return why;
}

std::string now_text() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::localtime(&t));
  return buf;
}

std::string model_label(const std::string& rel) {
  // A test case's folder says more than its "model.onnx".
  const fs::path p(rel);
  if (p.filename() == "model.onnx" && p.has_parent_path()) return p.parent_path().string();
  return rel;
}

class Progress {
 public:
  Progress(bool enabled, size_t total) : enabled_(enabled), tty_(isatty(STDERR_FILENO)), total_(total) {}

  void update(size_t done, size_t ok, size_t failed, const std::vector<std::string>& running, double elapsed,
              size_t done_now, size_t left, bool force = false) {
    if (!enabled_) return;
    const auto now = Clock::now();
    const double interval = tty_ ? 0.1 : 10;
    if (!force && std::chrono::duration<double>(now - last_).count() < interval) return;
    last_ = now;
    std::string line = "[" + std::to_string(done) + "/" + std::to_string(total_) + "] " + std::to_string(ok) +
                       " ok, " + std::to_string(failed) + " failed";
    if (!running.empty()) {
      line += " | " + running.front();
      if (running.size() > 1) line += " (+" + std::to_string(running.size() - 1) + ")";
    }
    line += " | " + duration_text(elapsed);
    if (done_now > 0 && left > 0) line += ", ETA " + duration_text(elapsed / done_now * left);
    if (tty_) {
      struct winsize ws;
      const size_t width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10 ? ws.ws_col - 1 : 119;
      if (line.size() > width) line = line.substr(0, width);
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
    } else {
      std::fprintf(stderr, "graft zoo: %s\n", line.c_str());
    }
    std::fflush(stderr);
    shown_ = true;
  }

  void finish() {
    if (enabled_ && tty_ && shown_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool enabled_, tty_;
  size_t total_;
  bool shown_ = false;
  Clock::time_point last_ = Clock::now();
};

}  // namespace

namespace {

using FolderId = std::pair<dev_t, ino_t>;

struct Walk {
  std::set<FolderId> skipped, seen;  // seen: a symbolic link back up the tree is entered once
  std::vector<FoundModel> models;
  std::string root;  // absolute, with a final '/'

  static std::string stamp_of(const std::string& path, const struct stat& st) {
    return path + ":" + std::to_string(st.st_size) + ":" +
           std::to_string(static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
  }

  // `fd`: the open folder at `rel` ("" for the root, else "a/b/").
  void folder(int fd, const std::string& rel) {
    DIR* d = fdopendir(fd);
    if (!d) {
      ::close(fd);
      return;
    }
    std::vector<size_t> here;  // models found in this folder
    while (const struct dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      unsigned char type = e->d_type;
      struct stat st;
      bool have_stat = false;
      if (type == DT_LNK || type == DT_UNKNOWN) {  // follow links; ask for what readdir did not say
        if (fstatat(dirfd(d), e->d_name, &st, 0) != 0) continue;
        have_stat = true;
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
      }
      if (type == DT_REG) {
        if (name.size() <= 5 || name.compare(name.size() - 5, 5, ".onnx") != 0) continue;
        if (!have_stat && fstatat(dirfd(d), e->d_name, &st, 0) != 0) continue;
        here.push_back(models.size());
        models.push_back({rel + name, static_cast<uint64_t>(st.st_size), stamp_of(root + rel + name, st)});
        continue;
      }
      if (type != DT_DIR || name.rfind("test_data_set_", 0) == 0) continue;  // ONNX test data: no models
      if (!have_stat && fstatat(dirfd(d), e->d_name, &st, 0) != 0) continue;
      const FolderId id{st.st_dev, st.st_ino};
      if (skipped.count(id) || !seen.insert(id).second) continue;
      const int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (sub >= 0) folder(sub, rel + name + "/");
    }
    // As model_stamp(): the test data's first input is part of what a model is.
    struct stat st;
    if (!here.empty() && fstatat(dirfd(d), "test_data_set_0/input_0.pb", &st, 0) == 0) {
      const std::string data = stamp_of(root + rel + "test_data_set_0/input_0.pb", st);
      for (size_t m : here) models[m].stamp += ";data=" + data;
    }
    closedir(d);
  }
};

}  // namespace

std::vector<FoundModel> find_models(const std::string& dir, const std::vector<std::string>& skip) {
  Walk walk;
  struct stat st;
  for (const std::string& s : skip) {
    if (::stat(s.c_str(), &st) == 0) walk.skipped.insert({st.st_dev, st.st_ino});
  }
  if (::stat(dir.c_str(), &st) == 0) walk.seen.insert({st.st_dev, st.st_ino});
  std::error_code ec;
  walk.root = fs::absolute(dir, ec).lexically_normal().string();
  if (walk.root.empty() || walk.root.back() != '/') walk.root += '/';
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) walk.folder(fd, "");
  std::sort(walk.models.begin(), walk.models.end(),
            [](const FoundModel& a, const FoundModel& b) { return a.path < b.path; });
  return walk.models;
}

std::vector<std::string> model_ids(const std::vector<std::string>& relative_paths) {
  std::vector<std::string> ids;
  std::map<std::string, int> used;
  for (const std::string& rel : relative_paths) {
    fs::path p(rel);
    p.replace_extension();
    if (p.filename() == "model" && p.has_parent_path()) p = p.parent_path();
    std::string id;
    for (char c : p.generic_string()) {
      if (c == '/') {
        id += "__";
      } else {
        id += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : '_';
      }
    }
    if (id.empty() || id == "." || id == "..") id = "_";
    const int n = ++used[id];
    if (n > 1) id += "~" + std::to_string(n);
    ids.push_back(id);
  }
  return ids;
}

int default_jobs(engine::Device device) {
  if (device == engine::Device::kCuda) return 1;
  return std::max<int>(1, static_cast<int>(usable_cpus().size()));
}

uint64_t default_memory_limit_mib(int jobs, engine::Device device) {
  if (device == engine::Device::kCuda) return 0;
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return 0;
  const uint64_t mib = static_cast<uint64_t>(pages) * page / (1 << 20);
  return std::max<uint64_t>(2048, mib * 9 / 10 / std::max(1, jobs));
}

ZooRun run_zoo(const DriverOptions& o) {
  const auto start = Clock::now();
  ZooRun run;
  run.dir = o.dir;
  run.out_dir = o.out_dir;
  run.settings = o.settings;
  run.started = now_text();
  if (!fs::is_directory(o.dir)) throw Error(o.dir + ": no such folder");
  std::regex filter;
  if (!o.filter.empty()) {
    try {
      filter = std::regex(o.filter);
    } catch (const std::regex_error& e) {
      throw Error("--filter '" + o.filter + "' is not a valid regular expression: " + e.what());
    }
  }
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec || !fs::is_directory(o.out_dir)) {
    throw Error(o.out_dir + ": cannot create the output folder" + (ec ? ": " + ec.message() : ""));
  }
  struct stat in_st, out_st;
  if (::stat(o.dir.c_str(), &in_st) == 0 && ::stat(o.out_dir.c_str(), &out_st) == 0 && in_st.st_dev == out_st.st_dev &&
      in_st.st_ino == out_st.st_ino) {
    throw Error(o.out_dir + ": is the models' folder itself; give another folder (inside it is fine)");
  }
  {
    const std::string probe = o.out_dir + "/.graft-zoo-write-test";
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(o.out_dir + ": cannot write: " + errno_text());
    ::close(fd);
    ::unlink(probe.c_str());
  }
  std::vector<FoundModel> found = find_models(o.dir, {o.out_dir});
  if (!o.filter.empty()) {
    std::erase_if(found, [&](const FoundModel& m) { return !std::regex_search(m.path, filter); });
  }
  if (found.empty()) {
    throw Error("no .onnx models under " + o.dir + (o.filter.empty() ? "" : " match --filter '" + o.filter + "'"));
  }
  if (o.settings.device == engine::Device::kCuda) {
    const std::string why = probe_gpu();
    if (!why.empty()) throw Error("--device cuda: " + why + "; use --device cpu");
  }
  std::vector<std::string> models;
  for (const FoundModel& m : found) models.push_back(m.path);
  const std::vector<std::string> ids = model_ids(models);

  // Results by model; resumed ones filled in now.
  std::vector<ModelResult> results(models.size());
  std::vector<bool> done(models.size(), false);
  std::vector<size_t> todo;
  for (size_t i = 0; i < models.size(); ++i) {
    ModelResult& r = results[i];
    r.model = models[i];
    r.id = ids[i];
    r.settings_key = settings_key(o.settings, found[i].stamp);
    ModelResult old;
    if (o.resume && read_result(o.out_dir + "/" + r.id + "/result.json", old) && old.settings_key == r.settings_key &&
        old.model == r.model) {
      // Limits are not in the key: a model that hit one is tried again under a larger one.
      const bool more_time = old.status == Status::kTimedOut && o.settings.timeout_s > old.timeout_s;
      const bool more_memory = old.status == Status::kOutOfMemory &&
                               (o.settings.memory_limit_mib == 0 ||
                                (old.memory_limit_mib != 0 && o.settings.memory_limit_mib > old.memory_limit_mib));
      if (!more_time && !more_memory) {
        old.resumed = true;
        r = std::move(old);
        done[i] = true;
        ++run.resumed;
        continue;
      }
    }
    todo.push_back(i);
  }
  // Largest files first: the long conversions start early and the slots finish together.
  std::stable_sort(todo.begin(), todo.end(), [&](size_t a, size_t b) { return found[a].bytes > found[b].bytes; });

  const int asked = o.jobs > 0 ? o.jobs : default_jobs(o.settings.device);
  const int jobs = std::max<int>(1, std::min<int>(asked, static_cast<int>(std::max<size_t>(todo.size(), 1))));
  run.jobs = jobs;
  const std::vector<std::vector<int>> cpus = slot_cpus(jobs);
  run.discovery_s = since(start);

  void* shared = mmap(nullptr, sizeof(SlotState) * jobs, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) throw Error("cannot map memory for the job slots: " + errno_text());
  SlotState* slots = new (shared) SlotState[jobs];

  // Ctrl-C and SIGTERM arrive through a signalfd: the driver kills its workers and writes
  // the reports of the models done. SIGPIPE (a worker that died) becomes an EPIPE.
  sigset_t stop_set, old_mask;
  sigemptyset(&stop_set);
  sigaddset(&stop_set, SIGINT);
  sigaddset(&stop_set, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop_set, &old_mask);
  const int sfd = signalfd(-1, &stop_set, SFD_CLOEXEC | SFD_NONBLOCK);
  struct sigaction ignore = {}, old_pipe = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old_pipe);

  std::vector<std::string> paths;
  for (const std::string& m : models) paths.push_back((fs::path(o.dir) / m).string());
  const std::vector<ModelResult> stubs = results;
  const WorkerContext ctx{&paths, &stubs, o.out_dir, &o.settings};
  const size_t per_process = std::max(1, o.models_per_process);

  // A worker is sent up to kInFlight models ahead, so it never waits for the driver to
  // read an answer; it converts them in order. The first unanswered one is the one it is on:
  // it started when the previous answer came (or when it was sent to an idle worker).
  constexpr size_t kInFlight = 4;
  struct Worker {
    pid_t pid = 0;
    int to = -1, from = -1;
    size_t served = 0;            // models answered
    std::deque<size_t> inflight;  // sent, not answered; front: the current model
    bool front_first = false;     // the current model is the worker's first
    Clock::time_point started, deadline;  // of the current model
    bool killed = false;          // at the time limit
    std::string pending;
  };
  std::vector<Worker> workers(jobs);
  std::vector<pid_t> retired;  // told to exit, to reap
  std::deque<size_t> queue(todo.begin(), todo.end());
  std::deque<size_t> fresh_queue;  // failed after other models: tried again first in a new worker
  std::set<size_t> retried;
  size_t finished_now = 0, ok = 0, failed = 0;
  for (size_t i = 0; i < models.size(); ++i) {
    if (done[i]) (is_ok(results[i].status) ? ok : failed)++;
  }
  Progress progress(o.progress, models.size());
  const auto loop_start = Clock::now();
  bool interrupted = false;
  const auto timeout = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(o.settings.timeout_s > 0 ? o.settings.timeout_s : 1e9));

  auto spawn = [&](int k) {
    const auto t = Clock::now();
    int to[2], from[2];
    if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0) throw Error("cannot make a pipe: " + errno_text());
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0) throw Error("cannot start a worker process: " + errno_text());
    if (pid == 0) {
      // Only this worker's ends: another worker's pipe held open here would hide its death.
      for (const Worker& w : workers) {
        if (w.to >= 0) ::close(w.to);
        if (w.from >= 0) ::close(w.from);
      }
      if (sfd >= 0) ::close(sfd);
      ::close(to[1]);
      ::close(from[0]);
      worker_main(ctx, to[0], from[1], cpus[k], &slots[k], old_mask);
    }
    ::close(to[0]);
    ::close(from[1]);
    setpgid(pid, pid);  // also done by the worker: whichever runs first
    workers[k] = Worker{};
    workers[k].pid = pid;
    workers[k].to = to[1];
    workers[k].from = from[0];
    ++run.processes;
    run.process_start_s += since(t);
  };
  // Closing its input ends a worker once it has answered what it was sent.
  auto retire = [&](Worker& w) {
    ::close(w.to);
    ::close(w.from);
    retired.push_back(w.pid);
    w = Worker{};
  };
  auto reap_retired = [&](bool wait) {
    std::erase_if(retired, [&](pid_t pid) { return waitpid(pid, nullptr, wait ? 0 : WNOHANG) != 0; });
  };
  // Models sent but not to be answered go back to the front of the queue, in order: all of
  // them, or those after the current one.
  auto give_back = [&](Worker& w, bool but_current) {
    for (size_t n = w.inflight.size(); n > (but_current ? 1 : 0); --n) queue.push_front(w.inflight[n - 1]);
    w.inflight.erase(w.inflight.begin() + (but_current && !w.inflight.empty() ? 1 : 0), w.inflight.end());
  };
  auto record = [&](size_t i, ModelResult r) {
    run.conversion_s += r.seconds;
    results[i] = std::move(r);
    done[i] = true;
    ++finished_now;
    (is_ok(results[i].status) ? ok : failed)++;
  };
  auto next_current = [&](Worker& w) {
    w.started = Clock::now();
    w.deadline = w.started + timeout;
    w.front_first = w.served == 0;
    w.killed = false;
  };

  // An answer: the model's result.json.
  auto answered = [&](Worker& w, size_t i, bool recorded) {
    if (w.inflight.empty() || w.inflight.front() != i) throw Error("a worker answered out of order");
    run.worker_s += since(w.started);
    const bool first = w.front_first;
    ++w.served;
    w.inflight.pop_front();
    if (!w.inflight.empty()) next_current(w);
    ModelResult r = stubs[i];
    const std::string dir = o.out_dir + "/" + r.id;
    if (!recorded || !read_result(dir + "/result.json", r)) {
      r = stubs[i];
      r.status = Status::kFailed;
      r.detail = "the worker could not record the result (see log.txt)";
      r.seconds = since(w.started);
    }
    if (r.status == Status::kOutOfMemory) {
      give_back(w, false);  // it exits after an out-of-memory: its heap is suspect
      retire(w);
      if (!first && !retried.count(i)) {
        retried.insert(i);
        fresh_queue.push_back(i);
        return;
      }
      if (retried.count(i)) append_line(dir + "/log.txt", "(also after other models in another process)");
    }
    record(i, std::move(r));
  };

  // A worker is gone: the model it was on crashed, hung or ran out of memory.
  auto died = [&](Worker& w, int status) {
    const int k = static_cast<int>(&w - workers.data());
    const bool busy = !w.inflight.empty();
    const size_t i = busy ? w.inflight.front() : 0;
    const bool first = w.front_first, killed = w.killed;
    const double seconds = since(w.started);
    if (busy) give_back(w, true);
    ::close(w.to);
    ::close(w.from);
    w = Worker{};
    if (!busy) return;  // between models
    run.worker_s += seconds;
    if (interrupted && !killed) {  // killed on Ctrl-C: no result
      queue.push_front(i);
      return;
    }
    const SlotState& slot = slots[k];
    ModelResult r = stubs[i];
    r.stage = static_cast<Stage>(slot.stage.load());
    r.nodes_before = slot.nodes_before;
    r.nodes_after = slot.nodes_after;
    r.plan_bytes = slot.plan_bytes;
    r.sanitize_s = slot.sanitize_s;
    r.build_s = slot.build_s;
    r.seconds = seconds;
    r.timeout_s = o.settings.timeout_s;
    r.memory_limit_mib = o.settings.memory_limit_mib;
    const std::string stage = stage_name(r.stage);
    if (killed) {
      r.status = Status::kTimedOut;
      r.detail = "no result after " + duration_text(o.settings.timeout_s) + " (killed during " + stage + ")";
    } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      r.status = Status::kOutOfMemory;
      r.detail = "killed by SIGKILL during " + stage + " (the kernel's out-of-memory killer?)";
    } else if (WIFSIGNALED(status)) {
      r.status = Status::kCrashed;
      r.signal = WTERMSIG(status);
      const char* abbrev = sigabbrev_np(r.signal);
      r.detail = (abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(r.signal)) + " during " + stage;
    } else {
      r.status = Status::kCrashed;
      r.detail = "the process exited (code " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                 ") during " + stage;
    }
    const std::string dir = o.out_dir + "/" + r.id;
    if (!killed && !first && !retried.count(i)) {
      // Earlier models ran in that process: see whether this one fails on its own.
      retried.insert(i);  // its folder starts again from nothing
      fresh_queue.push_back(i);
      return;
    }
    append_line(dir + "/log.txt", std::string(status_name(r.status)) + ": " + r.detail + " (seen by the driver" +
                                      (retried.count(i) ? "; also after other models in another process)" : ")"));
    try {
      write_text_atomically(dir + "/result.json", to_json(r).dump(1));
    } catch (const Error&) {
      // The report still has it; only --resume will not.
    }
    record(i, std::move(r));
  };

  auto show = [&](bool force) {
    std::vector<std::string> names;
    for (const Worker& w : workers) {
      if (!w.inflight.empty()) names.push_back(model_label(models[w.inflight.front()]));
    }
    progress.update(run.resumed + finished_now, ok, failed, names, since(loop_start), finished_now,
                    todo.size() - finished_now, force);
  };

  // Sends model i; false when the worker turned out dead (the model then stays queued).
  auto send = [&](Worker& w, size_t i) {
    if (!write_all(w.to, std::to_string(i) + "\n")) return false;
    w.inflight.push_back(i);
    if (w.inflight.size() == 1) next_current(w);
    return true;
  };

  std::vector<struct pollfd> fds;
  std::vector<int> fd_worker;
  while (!interrupted) {
    // Hand out models: a retry only as the first model of a new worker, none past
    // models_per_process, up to kInFlight ahead.
    for (int k = 0; k < jobs; ++k) {
      Worker& w = workers[k];
      if (!fresh_queue.empty() && w.inflight.empty()) {
        if (w.pid) retire(w);
        spawn(k);
        const size_t i = fresh_queue.front();
        fresh_queue.pop_front();
        slots[k].stage.store(static_cast<int>(Stage::kImport));
        if (!send(w, i)) fresh_queue.push_front(i);
      }
      if (w.pid && w.inflight.empty() && (queue.empty() || w.served >= per_process)) retire(w);
      while (!queue.empty() && w.inflight.size() < kInFlight && (!w.pid || w.served + w.inflight.size() < per_process)) {
        if (!w.pid) spawn(k);
        const size_t i = queue.front();
        queue.pop_front();
        if (w.inflight.empty()) slots[k].stage.store(static_cast<int>(Stage::kImport));
        if (!send(w, i)) {
          queue.push_front(i);
          break;  // its death shows on its pipe
        }
      }
    }
    fds.clear();
    fd_worker.clear();
    auto wake = Clock::now() + std::chrono::milliseconds(isatty(STDERR_FILENO) ? 100 : 1000);
    for (int k = 0; k < jobs; ++k) {
      const Worker& w = workers[k];
      if (!w.pid) continue;
      fds.push_back({w.from, POLLIN, 0});
      fd_worker.push_back(k);
      if (!w.inflight.empty() && !w.killed) wake = std::min(wake, w.deadline);
    }
    if (fds.empty()) break;  // nothing left
    if (sfd >= 0) fds.push_back({sfd, POLLIN, 0});
    const double wait_ms = std::max(0.0, std::chrono::duration<double, std::milli>(wake - Clock::now()).count());
    const int n = poll(fds.data(), fds.size(), static_cast<int>(std::ceil(wait_ms)));
    if (n < 0 && errno != EINTR) throw Error("poll: " + errno_text());
    if (sfd >= 0 && n > 0 && (fds.back().revents & POLLIN)) {
      struct signalfd_siginfo info;
      while (::read(sfd, &info, sizeof info) > 0) {
      }
      interrupted = true;
      break;
    }
    for (size_t f = 0; n > 0 && f < fd_worker.size(); ++f) {
      if (!fds[f].revents) continue;
      Worker& w = workers[fd_worker[f]];
      char buf[512];
      const ssize_t got = ::read(w.from, buf, sizeof buf);
      if (got > 0) {
        w.pending.append(buf, got);
        for (size_t eol; w.pid && (eol = w.pending.find('\n')) != std::string::npos;) {
          const std::string line = w.pending.substr(0, eol);
          w.pending.erase(0, eol + 1);
          const size_t space = line.find(' ');
          if (space != std::string::npos) run.worker_bookkeeping_s += std::atof(line.c_str() + space + 1);
          answered(w, std::stoul(line), line.find("unrecorded") == std::string::npos);
        }
      } else if (got == 0 || errno != EINTR) {
        int status = 0;
        waitpid(w.pid, &status, 0);
        died(w, status);
      }
    }
    const auto now = Clock::now();
    for (Worker& w : workers) {
      if (!w.inflight.empty() && !w.killed && now >= w.deadline) {
        kill(-w.pid, SIGKILL);
        kill(w.pid, SIGKILL);  // in case it had not yet made its own group
        w.killed = true;
      }
    }
    reap_retired(false);
    show(false);
  }
  for (Worker& w : workers) {  // after Ctrl-C: the models in progress are not done
    if (!w.pid) continue;
    kill(-w.pid, SIGKILL);
    kill(w.pid, SIGKILL);
    int status = 0;
    waitpid(w.pid, &status, 0);
    died(w, status);
  }
  // Workers told to go exit in a few milliseconds (their address space torn down): a
  // thread collects them, off the driver's path. It runs after the last fork of this run.
  reap_retired(false);
  if (!retired.empty()) {
    std::thread([pids = std::move(retired)] {
      for (pid_t pid : pids) waitpid(pid, nullptr, 0);
    }).detach();
  }
  show(true);
  progress.finish();
  sigaction(SIGPIPE, &old_pipe, nullptr);
  if (sfd >= 0) ::close(sfd);
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  munmap(shared, sizeof(SlotState) * jobs);

  run.interrupted = interrupted;
  for (size_t i = 0; i < models.size(); ++i) {
    if (done[i]) {
      if (!results[i].resumed) ++run.converted_now;
      run.results.push_back(std::move(results[i]));
    }
  }
  run.wall_s = since(start);
  return run;
}

}  // namespace graft::zoo
