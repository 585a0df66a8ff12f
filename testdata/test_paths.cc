#include "testdata/test_paths.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace graft::testing {

std::string conformance_dir() {
  const char* env = std::getenv("GRAFT_ONNX_TESTDATA");
  return env ? env : "/usr/share/libonnx-testdata/data";
}

std::string shared_models_dir() {
  if (const char* env = std::getenv("GRAFT_SHARED_DIR")) return std::string(env) + "/models";
  // testdata/BUILD is a runfile symlink into the checkout; the checkout's parent holds shared/.
  std::error_code ec;
  fs::path real = fs::canonical("testdata/BUILD", ec);
  if (ec) return "../shared/models";
  return (real.parent_path().parent_path().parent_path() / "shared" / "models").string();
}

std::vector<std::string> find_files(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const std::string p = it->path().string();
    if (it->is_regular_file() && p.size() >= suffix.size() && p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string make_temp_dir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(tmp ? tmp : "/tmp") / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

}  // namespace graft::testing
