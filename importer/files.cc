#include "importer/files.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "surgeon/error.h"

namespace graft::importer {
namespace {

struct Mapping {
  void* addr = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (addr) munmap(addr, size);
  }
};

std::string errno_text() { return std::strerror(errno); }

}  // namespace

Bytes map_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open: " + errno_text());
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    throw Error(path + ": not a regular file");
  }
  auto mapping = std::make_shared<Mapping>();
  mapping->size = static_cast<size_t>(st.st_size);
  if (mapping->size > 0) {
    void* addr = mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      close(fd);
      throw Error(path + ": cannot map: " + errno_text());
    }
    mapping->addr = addr;
  }
  close(fd);
  return Bytes(mapping, static_cast<const uint8_t*>(mapping->addr), mapping->size);
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  static std::atomic<int> counter{0};
  tmp_path_ = path_ + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  file_ = std::fopen(tmp_path_.c_str(), "wb");
  if (!file_) throw Error(path_ + ": cannot write: " + errno_text());
}

AtomicFile::~AtomicFile() {
  if (file_) std::fclose(file_);
  if (!committed_) std::remove(tmp_path_.c_str());
}

void AtomicFile::write(const void* data, size_t size) {
  if (size && std::fwrite(data, 1, size, file_) != size) {
    throw Error(path_ + ": write failed: " + errno_text());
  }
  size_ += size;
}

void AtomicFile::pad_to(uint64_t offset) {
  static const std::vector<char> zeros(4096, 0);
  while (size_ < offset) write(zeros.data(), std::min<uint64_t>(zeros.size(), offset - size_));
}

int AtomicFile::fd() const { return fileno(file_); }

void AtomicFile::commit() {
  bool ok = std::fflush(file_) == 0;
  ok = std::fclose(file_) == 0 && ok;
  file_ = nullptr;
  if (!ok) throw Error(path_ + ": write failed: " + errno_text());
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    throw Error(path_ + ": cannot move the finished file into place: " + errno_text());
  }
  committed_ = true;
}

std::string dirname_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

bool is_safe_location(const std::string& location) {
  if (location.empty() || location.front() == '/') return false;
  size_t start = 0;
  while (start <= location.size()) {
    size_t end = std::min(location.find('/', start), location.size());
    if (location.compare(start, end - start, "..") == 0 && end - start == 2) return false;
    start = end + 1;
  }
  return true;
}

}  // namespace graft::importer
