#pragma once
// Where tests find their models: testdata/ (Bazel data deps, relative to the runfiles
// root), the ONNX conformance suite (Debian's libonnx-testdata) and ../shared/models.
#include <string>
#include <vector>

namespace graft::testing {

// /usr/share/libonnx-testdata/data, or $GRAFT_ONNX_TESTDATA.
std::string conformance_dir();
// The real models beside the repository: $GRAFT_SHARED_DIR/models, else ../shared/models
// found from the real location of this checkout.
std::string shared_models_dir();
// Every file under `dir` (recursively) whose name ends with `suffix`, sorted.
std::vector<std::string> find_files(const std::string& dir, const std::string& suffix);
// A fresh empty directory under $TEST_TMPDIR.
std::string make_temp_dir(const std::string& name);

}  // namespace graft::testing
