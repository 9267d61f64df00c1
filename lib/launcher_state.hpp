#pragma once
// What a Launcher holds: one configuration of an op compiled, loaded and planned at one
// shape, the op's scratch buffers that its launches use, and where each of its named
// arguments takes its value from at launch time.

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kpg/operation.hpp"
#include "runtime/buffer.hpp"
#include "runtime/compiler.hpp"
#include "runtime/module.hpp"
#include "tuner/config.hpp"
#include "tuner/gpu.hpp"
#include "tuner/launch_plan.hpp"
#include "tuner/space.hpp"
#include "tuner/tuner.hpp"

namespace kpg {

struct Launcher::State {
  const Gpu* gpu = nullptr;
  Problem problem;
  ConfigChoice choice;
  std::vector<BufferInfo> io;
  std::vector<std::pair<std::string, double>> scalars;
  Module module;
  std::vector<DeviceBuffer> scratch;  // zeroed once; kernels leave them zeroed
  std::optional<LaunchPlan> plan;     // borrows module's functions: declared after it
  // Per named argument of the plan (LaunchPlan::named_args): a launch pointer (io index), a
  // launch scalar (scalars index), or a scratch pointer set once.
  enum class From { io, scalar, scratch };
  std::vector<std::pair<From, size_t>> sources;
  std::mutex mutex;  // one launch at a time rewrites the argument slots

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  // Frees the scratch and unloads the module in the context they were made in.
  ~State();
};

// Compiles `candidate` (through the compiler's cubin cache), loads it, allocates and zeroes
// the scratch buffers its launches name, and plans it at `shape`. Throws Error when the
// compiled kernels cannot run on the device (LaunchPlan::resource_problem).
std::unique_ptr<Launcher::State> make_launcher_state(const OpConfig& config, const Gpu& gpu,
                                                     const Compiler& compiler, const Tuner& tuner,
                                                     const Shape& shape, const Candidate& candidate,
                                                     ConfigChoice choice);

}  // namespace kpg
