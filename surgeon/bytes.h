#pragma once
// An immutable byte range with shared ownership of whatever holds it (a string that
// protobuf parsed, a memory-mapped weights file, ...). Copying a Bytes never copies data.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace graft {

class Bytes {
 public:
  Bytes() = default;
  Bytes(std::shared_ptr<const void> owner, const uint8_t* data, size_t size)
      : owner_(std::move(owner)), data_(data), size_(size) {}
  // Takes over a string without copying its contents.
  static Bytes adopt(std::string&& s);
  static Bytes copy_of(const void* data, size_t size);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  Bytes slice(size_t offset, size_t size) const { return Bytes(owner_, data_ + offset, size); }
  bool operator==(const Bytes& o) const { return view() == o.view(); }

 private:
  std::shared_ptr<const void> owner_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace graft
