#pragma once
// Shapes written on a command line: "1x3x224x224", "batchx128", "[batch, seq*2, 768]"
// ("?" is an unknown dim, "" a scalar), and lists of them per tensor name:
// "x:1x3x224x224,mask:batchx128". The bracket form lets symbol names contain 'x'.
#include <string>
#include <utility>
#include <vector>

#include "surgeon/type.h"

namespace graft {

// Throws an Error naming `text` when a dim is empty or a number is negative or too large.
Shape parse_shape_text(const std::string& text);

// Name -> shape, in the order written. Names may contain ':' (the last ':' outside brackets
// separates the shape). Throws an Error naming the bad item, or a name given twice.
std::vector<std::pair<std::string, Shape>> parse_named_shapes(const std::string& spec);

}  // namespace graft
