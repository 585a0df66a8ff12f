#include "surgeon/bytes.h"

#include <cstring>

namespace graft {

Bytes Bytes::adopt(std::string&& s) {
  auto owner = std::make_shared<const std::string>(std::move(s));
  return Bytes(owner, reinterpret_cast<const uint8_t*>(owner->data()), owner->size());
}

Bytes Bytes::copy_of(const void* data, size_t size) {
  return adopt(std::string(static_cast<const char*>(data), size));
}

}  // namespace graft
