#pragma once
// Number and list formatting shared by the subcommands' text output.
#include <cstdint>
#include <map>
#include <string>

namespace graft::tools {

std::string with_commas(uint64_t n);   // 25557032 -> "25,557,032"
std::string human_bytes(uint64_t n);   // 102228128 -> "97.5 MiB"
// "Conv 53, Relu 49, Add 16" — most frequent first, ties by name.
std::string histogram_text(const std::map<std::string, size_t>& counts);

}  // namespace graft::tools
