#pragma once
// File access for models: read-only memory maps, and output files that appear only
// complete (written to a temporary name, renamed into place on commit).
#include <cstdio>
#include <memory>
#include <string>

#include "surgeon/bytes.h"

namespace graft::importer {

// Maps `path` read-only; the mapping lives as long as any Bytes taken from it.
// Throws an Error naming the file if it cannot be opened.
Bytes map_file(const std::string& path);

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // opens "<path>.tmp-<pid>-<n>" for writing
  ~AtomicFile();                          // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t size);
  void pad_to(uint64_t offset);  // zero bytes up to `offset`
  uint64_t size() const { return size_; }
  int fd() const;
  void commit();  // flushes, closes and renames into place
  const std::string& path() const { return path_; }

 private:
  std::string path_, tmp_path_;
  FILE* file_ = nullptr;
  uint64_t size_ = 0;
  bool committed_ = false;
};

std::string dirname_of(const std::string& path);  // "" for a bare file name
std::string join_path(const std::string& dir, const std::string& name);
// Whether an external data location stays inside the model's folder: relative, non-empty,
// no ".." path component ("w..bin" is fine, "../w.bin" and "a/../../w" are not).
bool is_safe_location(const std::string& location);

}  // namespace graft::importer
