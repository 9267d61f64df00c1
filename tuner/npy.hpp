#pragma once
// Minimal NumPy .npy writer (format 1.0, little-endian float64), so results can be
// checked in NumPy or PyTorch: np.load("y.out.npy").

#include <filesystem>

#include "tuner/references.hpp"

namespace kpg {

void write_npy(const std::filesystem::path& file, const HostTensor& tensor);

}  // namespace kpg
