#pragma once
// graft's one exception type. Messages name the file, node, tensor or flag at fault
// and, where it helps, what the user can do.
#include <stdexcept>
#include <string>

namespace graft {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace graft
