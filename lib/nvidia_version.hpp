#pragma once
// The NVIDIA driver's version, as /proc/driver/nvidia/version states it.

#include <string>

namespace kpg {

// "580.95.05" from the text of /proc/driver/nvidia/version ("NVRM version: NVIDIA UNIX
// x86_64 Kernel Module  580.95.05  ..." or "... Open Kernel Module for x86_64  580.95.05 ...");
// "" when the text has no such line.
std::string parse_nvidia_driver_version(const std::string& proc_text);

// The running driver's version, or "" when the file is not there (no driver, not Linux).
std::string nvidia_driver_version();

}  // namespace kpg
