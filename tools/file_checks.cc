#include <sys/stat.h>

#include "tools/commands.h"

namespace graft::tools {

std::string existing_file_check(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "no such file: " + path;
  if (!S_ISREG(st.st_mode)) return "not a regular file: " + path;
  return "";
}

}  // namespace graft::tools
