#include "tuner/npy.hpp"

#include <string>

#include "runtime/output_file.hpp"

namespace kpg {

void write_npy(const std::filesystem::path& file, const HostTensor& tensor) {
  std::string shape = "(";
  for (auto d : tensor.shape) shape += std::to_string(d) + ",";
  shape += ")";
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');

  std::string bytes("\x93NUMPY\x01\x00", 8);
  const auto len = static_cast<uint16_t>(header.size());
  bytes.push_back(static_cast<char>(len & 0xff));
  bytes.push_back(static_cast<char>(len >> 8));
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(tensor.values.data()), tensor.values.size() * sizeof(double));
  write_output_file(file, bytes);  // whole or not at all; a FIFO or folder there is refused
}

}  // namespace kpg
