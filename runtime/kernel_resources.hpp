#pragma once
// What one compiled kernel needs: what the compiler's ptxas report (runtime/compiler.hpp)
// and a cubin's ELF sections (runtime/cubin_elf.hpp) both describe.

#include <string>

namespace kpg {

// From the ptxas -v report or, when the log lacks it, from the cubin itself. `kernel` is
// the symbol (mangled for C++ kernels). -1 means unknown (the cubin does not record
// spills); format_resource() (runtime/compiler.hpp) prints it as "?".
struct KernelResources {
  static constexpr int kUnknown = -1;
  std::string kernel;
  int registers = kUnknown;
  int stack_bytes = kUnknown;
  int spill_store_bytes = kUnknown;
  int spill_load_bytes = kUnknown;
  int shared_bytes = kUnknown;  // static shared memory
  int barriers = kUnknown;
  bool from_cubin = false;  // true: read from the ELF sections, not from the ptxas report
};

}  // namespace kpg
