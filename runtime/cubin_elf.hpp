#pragma once
// Kernel names and resources read from a cubin's ELF sections. The ptxas report in NVRTC's
// log is the richer source (it has spills), but it can be missing: NVRTC 12.9+ may hand back
// a cubin from its own cache without running ptxas, and a compile without -v has none.
// A cubin always names its kernels, so the report falls back to what it records.
//
// Layout used (checked on CUDA 13.0 cubins for sm_75, sm_80, sm_90, sm_90a, sm_100):
//  - every kernel is an STT_FUNC symbol in section `.text.<name>` with a `.nv.info.<name>`
//    attribute section (device functions have no such section);
//  - `.nv.info` holds per-symbol attributes: EIATTR_REGCOUNT (0x2f) and EIATTR_FRAME_SIZE
//    (0x11), each {u32 symbol index, u32 value};
//  - `.nv.info.<name>` holds attribute 0x4c, the barrier count (absent: none);
//  - `.nv.info.<name>` holds one EIATTR_KPARAM_INFO (0x17) per kernel parameter: {u32 0,
//    u16 ordinal, u16 offset, u32 flags}, the parameter's size in bytes in flags bits 18..31;
//  - `.nv.shared.<name>` (NOBITS) is the static shared memory; on targets with a
//    `.nv.shared.reserved.*` section (sm_90+) it includes the 1 KiB the system reserves per block.

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "runtime/kernel_resources.hpp"

namespace kpg {

// One entry per kernel, in symbol-table order. Spill sizes are not in the ELF: they stay -1
// (unknown), as does any number a section does not record. An image that is not a 64-bit
// little-endian ELF (e.g. PTX) gives an empty list; a truncated or inconsistent ELF throws Error.
std::vector<KernelResources> read_cubin_resources(const std::vector<char>& cubin);

// The kernels (entry points) an image defines, by symbol name: a cubin's as above, PTX's
// from its `.entry` directives. What a launch may name; throws Error as above.
std::vector<std::string> image_kernels(const std::vector<char>& image, bool is_ptx);

// Each kernel's parameter sizes in bytes, in parameter order, for the kernels whose cubin
// records them (a kernel without parameters records none and is left out). Empty for an
// image that is not a cubin; a truncated or inconsistent ELF throws Error.
std::map<std::string, std::vector<size_t>> cubin_parameter_sizes(const std::vector<char>& cubin);

}  // namespace kpg
