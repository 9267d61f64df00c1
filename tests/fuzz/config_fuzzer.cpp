// libFuzzer target for the op-config loader: any bytes go through load_config_text.
// A ConfigError (an InputError) is the expected answer to bad input; any other exception,
// a crash, a sanitizer report or a hang is a finding.

#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <string>

#include "tuner/config.hpp"

namespace {

// Next to the real kernels, so that seeds from configs/ resolve their `source`.
const std::filesystem::path kKernelsDir = KPG_FUZZ_KERNELS_DIR;
const std::filesystem::path kName = kKernelsDir / "fuzz-input.yaml";

// Exercises what callers do with a loaded config beyond validation.
void use(const kpg::OpConfig& config) {
  for (const auto& buffer : config.buffers)
    for (const auto& e : buffer.shape) (void)e.to_string();
  for (const auto& variant : config.variants)
    for (const auto& space : variant.spaces) {
      for (const auto& define : space.defines) (void)define.second.to_string();
      for (const auto& launch : space.launches)
        for (const auto& arg : launch.args)
          if (arg.tensor_map_spec)
            for (const auto& e : arg.tensor_map_spec->box) (void)e.to_string();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    use(kpg::load_config_text(text, kName, kKernelsDir));
  } catch (const kpg::InputError&) {
    // Rejected with a message: the intended outcome for bad input.
  }
  // Anything else propagates: libFuzzer reports an uncaught exception as a crash.
  return 0;
}
