#include <algorithm>
#include <set>

#include "lib/api_guard.hpp"
#include "lib/device_session.hpp"
#include "lib/launcher_state.hpp"
#include "lib/problem.hpp"
#include "runtime/error.hpp"

namespace kpg {

Launcher::State::~State() {
  if (!gpu) return;
  try {
    make_current(*gpu);
  } catch (...) {
    // The driver is gone (process exit): the members' own destructors report what fails.
  }
}

std::unique_ptr<Launcher::State> make_launcher_state(const OpConfig& config, const Gpu& gpu,
                                                     const Compiler& compiler, const Tuner& tuner,
                                                     const Shape& shape, const Candidate& candidate,
                                                     ConfigChoice choice) {
  make_current(gpu);
  const SpaceSpec& space = config.space_of(candidate.variant, candidate.space_index);
  auto s = std::make_unique<Launcher::State>();
  s->gpu = &gpu;
  s->problem = to_problem(shape);
  s->choice = std::move(choice);
  s->io = io_infos(config, shape);
  const Scope scope = make_scope(shape, candidate.params, gpu.limits());
  for (const auto& [name, expr] : config.scalars) s->scalars.emplace_back(name, expr.eval(scope));

  const CompiledKernel compiled = compiler.compile_file(space.source, tuner.compile_options(config, candidate, shape));
  s->module = Module::load(compiled.image);

  LaunchBinding binding;
  for (const auto& b : s->io) binding.buffers[b.name] = 0;  // each launch sets them
  for (const auto& [name, value] : s->scalars) binding.scalars[name] = value;
  std::set<std::string> used;
  for (const auto& launch : space.launches)
    for (const auto& arg : launch.args)
      if (arg.names_buffer()) used.insert(arg.name);
  for (const auto& spec : config.buffers) {
    if (spec.role != BufferSpec::scratch || !used.count(spec.name)) continue;
    DeviceBuffer buffer(static_cast<size_t>(buffer_info(spec, shape, gpu.limits()).bytes()));
    buffer.fill_bytes(0, gpu.stream());
    binding.buffers[spec.name] = buffer.ptr();
    s->scratch.push_back(std::move(buffer));
  }
  gpu.synchronize();  // the zeroes land before any launch, whatever stream it is on

  s->plan.emplace(space, candidate, shape, binding, gpu.limits(), s->module);
  if (const auto why = s->plan->resource_problem(gpu.props()))
    throw Error(config.op + "/" + candidate.variant + " " + candidate.id() + " cannot run on " + gpu.props().name +
                ": " + *why);
  for (const auto& arg : s->plan->named_args()) {
    if (arg.scalar) {
      const auto it = std::find_if(s->scalars.begin(), s->scalars.end(), [&](const auto& v) { return v.first == arg.name; });
      s->sources.emplace_back(Launcher::State::From::scalar, static_cast<size_t>(it - s->scalars.begin()));
      continue;
    }
    const auto it = std::find_if(s->io.begin(), s->io.end(), [&](const BufferInfo& b) { return b.name == arg.name; });
    s->sources.emplace_back(it == s->io.end() ? Launcher::State::From::scratch : Launcher::State::From::io,
                            static_cast<size_t>(it - s->io.begin()));
  }
  return s;
}

Launcher::Launcher(std::unique_ptr<State> state) : state_(std::move(state)) {}
Launcher::~Launcher() = default;

const Problem& Launcher::problem() const { return state_->problem; }
const ConfigChoice& Launcher::config() const { return state_->choice; }
const std::vector<BufferInfo>& Launcher::io() const { return state_->io; }
const std::vector<std::pair<std::string, double>>& Launcher::scalars() const { return state_->scalars; }
std::string Launcher::describe() const { return state_->plan->describe(); }

void Launcher::launch(const CUdeviceptr* pointers, size_t count, CUstream stream, const double* scalar_values) {
  api_guard([&] {
    State& s = *state_;
    if (count != s.io.size())
      throw InputError("launch takes " + std::to_string(s.io.size()) + " pointers (inputs then outputs), got " +
                       std::to_string(count));
    for (size_t i = 0; i < count; ++i) {
      if (pointers[i] == 0) throw InputError("buffer '" + s.io[i].name + "': null device pointer");
      if (pointers[i] % 16 != 0)
        throw InputError("buffer '" + s.io[i].name + "': device pointer " + std::to_string(pointers[i]) +
                         " is not 16-byte aligned (kpg's kernels use 16-byte accesses)");
    }
    const std::lock_guard lock(s.mutex);
    make_current(*s.gpu);
    for (size_t k = 0; k < s.sources.size(); ++k) {
      const auto [from, index] = s.sources[k];
      if (from == State::From::io)
        s.plan->set_pointer(k, pointers[index]);
      else if (from == State::From::scalar)
        s.plan->set_scalar(k, scalar_values ? scalar_values[index] : s.scalars[index].second);
    }
    s.plan->launch(stream);
  });
}

}  // namespace kpg
