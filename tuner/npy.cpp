#include "tuner/npy.hpp"

#include <fstream>
#include <string>

#include "runtime/error.hpp"

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

  const auto tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write " + tmp);
    out.write("\x93NUMPY\x01\x00", 8);
    const auto len = static_cast<uint16_t>(header.size());
    const char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
    out.write(len_bytes, 2);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(reinterpret_cast<const char*>(tensor.values.data()),
              static_cast<std::streamsize>(tensor.values.size() * sizeof(double)));
    if (!out) throw Error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, file);
}

}  // namespace kpg
