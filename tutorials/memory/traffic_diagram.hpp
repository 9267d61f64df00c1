#pragma once
// The lesson's picture: what each kernel reads from device memory into the SMs and writes
// back, as arrows whose length follows the counted bytes, variant by variant, then the
// totals side by side. Drawn from VariantTraffic, so it changes when a config changes.

#include <cstdint>
#include <string>
#include <vector>

#include "tutorials/memory/byte_count.hpp"

namespace kpg::memory {

// Arrow body length for `bytes` when `largest` bytes get `width` characters: at least 1
// for any non-zero transfer, proportional otherwise (rounded).
int arrow_length(int64_t bytes, int64_t largest, int width);

// Multi-line ASCII diagram. Every arrow of every variant shares one scale (the largest
// single buffer transfer gets `arrow_width` characters), so variants compare by eye.
std::string render_traffic_diagram(const std::string& title, const std::vector<VariantTraffic>& variants,
                                   int arrow_width = 40);

}  // namespace kpg::memory
