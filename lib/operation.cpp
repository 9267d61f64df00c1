#include "kpg/operation.hpp"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>

#include "lib/api_guard.hpp"
#include "lib/config_choice.hpp"
#include "lib/data_dirs.hpp"
#include "lib/device_session.hpp"
#include "lib/launcher_state.hpp"
#include "lib/problem.hpp"
#include "runtime/compiler.hpp"
#include "runtime/cubin_cache.hpp"
#include "tuner/config.hpp"
#include "tuner/tune_plan.hpp"
#include "tuner/tuner.hpp"
#include "tuner/tuning_cache.hpp"
#include "tuner/workload.hpp"

namespace kpg {
namespace {

ConfigSource public_source(ChoiceSource s) {
  switch (s) {
    case ChoiceSource::tuned_now: return ConfigSource::tuned_now;
    case ChoiceSource::cache: return ConfigSource::tuning_cache;
    case ChoiceSource::nearest_shape: return ConfigSource::nearest_tuned_shape;
    case ChoiceSource::config_default: return ConfigSource::config_default;
  }
  return ConfigSource::config_default;
}

ConfigChoice public_choice(const Candidate& c, ConfigSource source, std::string detail) {
  return ConfigChoice{c.id(), c.variant, source, std::move(detail), c.params};
}

// "fused" (or nothing) is the op's variant of that name, else its first.
const VariantSpec& pick_variant(const OpConfig& config, const std::string& name) {
  if (const VariantSpec* v = config.find_variant(name.empty() ? "fused" : name)) return *v;
  if ((name.empty() || name == "fused") && !config.variants.empty()) return config.variants.front();
  std::string known;
  for (const auto& v : config.variants) known += (known.empty() ? "" : ", ") + v.name;
  throw InputError(config.file.string() + ": no variant '" + name + "' (variants: " + known + ")");
}

std::vector<std::string> buffer_names(const OpConfig& config, BufferSpec::Role role) {
  std::vector<std::string> out;
  for (const auto& b : config.buffers)
    if (b.role == role) out.push_back(b.name);
  return out;
}

}  // namespace

const char* to_string(ConfigSource source) {
  switch (source) {
    case ConfigSource::tuned_now: return "tuned now";
    case ConfigSource::tuning_cache: return "tuning cache";
    case ConfigSource::nearest_tuned_shape: return "nearest tuned shape";
    case ConfigSource::config_default: return "config default";
    case ConfigSource::given: return "given";
  }
  return "?";
}

struct Operation::State {
  OperationOptions options;
  std::filesystem::path kernels_dir, cache_dir;
  OpConfig config;
  const VariantSpec* variant = nullptr;  // in config

  std::mutex mutex;  // guards what follows
  // Opened on the first call that needs the GPU.
  const Gpu* gpu = nullptr;
  std::unique_ptr<CubinCache> cubins;
  std::unique_ptr<Compiler> compiler;
  std::unique_ptr<TuningCache> tuning;
  std::unique_ptr<Tuner> tuner;
  // Per shape (Shape::to_string()): the configuration chosen on first use.
  std::map<std::string, std::pair<Candidate, ConfigChoice>> chosen;
  // Per shape and candidate id; never removed while the Operation lives (callers keep references).
  std::map<std::string, std::unique_ptr<Launcher>> launchers;

  const Gpu& device() {
    if (!gpu) {
      const Gpu& g = shared_gpu(options.device);
      make_current(g);
      cubins = std::make_unique<CubinCache>(cache_dir);
      compiler = std::make_unique<Compiler>(cubins.get());
      tuning = std::make_unique<TuningCache>(cache_dir);
      tuner = std::make_unique<Tuner>(g, *compiler, *tuning, kernels_dir);
      gpu = &g;
    }
    make_current(*gpu);
    return *gpu;
  }

  TuneResult tune(const Shape& shape, size_t budget) {
    const Gpu& g = device();
    Workload workload(config, shape, g.limits());
    TuneOptions tune_options;
    tune_options.progress = false;
    if (budget > 0) tune_options.budget = budget;
    bool prepared = false;
    tune_options.prepare = [&](Workload& w) {
      if (prepared) return;
      prepared = true;
      w.randomize(std::random_device{}());
      tuner->ensure_reference(config, w);
    };
    TuneResult result = tuner->tune(config, *variant, workload, tune_options);
    chosen[shape.to_string()] = {result.chosen, public_choice(result.chosen, public_source(result.source),
                                                              result.source_detail)};
    return result;
  }

  const std::pair<Candidate, ConfigChoice>& choose(const Shape& shape) {
    const std::string key = shape.to_string();
    if (const auto it = chosen.find(key); it != chosen.end()) return it->second;
    const Gpu& g = device();
    const auto pick = choose_config(config, *variant, shape, g.limits(), *tuning,
                                    tuner->cache_key(config, *variant, shape));
    if (!pick)
      throw InputError(config.op + "/" + variant->name + ": no configuration passes the constraints at " + key +
                       " on " + g.props().name + ": " +
                       describe_pruning(TunePlan(config, *variant, shape, g.limits()).pruned()));
    if (options.tune_on_first_use && pick->source != ChoiceSource::cache) {
      tune(shape, options.tune_budget);
      return chosen.at(key);
    }
    return chosen[key] = {pick->candidate, public_choice(pick->candidate, public_source(pick->source), pick->detail)};
  }

  std::pair<Candidate, ConfigChoice> resolve(const Shape& shape, const std::string& config_id) {
    if (config_id.empty()) return choose(shape);
    const Candidate c = candidate_from_id(config, *variant, config_id, shape, device().limits());
    return {c, public_choice(c, ConfigSource::given, "")};
  }
};

Operation::Operation(std::unique_ptr<State> state) : state_(std::move(state)) {}
Operation::~Operation() = default;
Operation::Operation(Operation&&) noexcept = default;
Operation& Operation::operator=(Operation&&) noexcept = default;

Operation Operation::open(const std::string& name_or_yaml, const OperationOptions& options) {
  return api_guard([&] {
    auto s = std::make_unique<State>();
    s->options = options;
    s->kernels_dir = library_kernels_dir(options.kernels_dir);
    s->cache_dir = library_cache_dir(options.cache_dir);
    s->config = load_config(resolve_op_config(name_or_yaml, library_configs_dir(options.configs_dir)), s->kernels_dir);
    s->variant = &pick_variant(s->config, options.variant);
    return Operation(std::move(s));
  });
}

const std::string& Operation::name() const { return state_->config.op; }
const std::string& Operation::variant() const { return state_->variant->name; }

std::vector<std::string> Operation::variants() const {
  std::vector<std::string> out;
  for (const auto& v : state_->config.variants) out.push_back(v.name);
  return out;
}

std::vector<std::string> Operation::dims() const { return state_->config.dims; }
std::vector<std::string> Operation::flags() const { return state_->config.flags; }

std::vector<std::string> Operation::dtypes() const {
  std::vector<std::string> out;
  for (const DType t : state_->config.dtypes) out.emplace_back(dtype_name(t));
  return out;
}

std::vector<std::string> Operation::inputs() const { return buffer_names(state_->config, BufferSpec::input); }
std::vector<std::string> Operation::outputs() const { return buffer_names(state_->config, BufferSpec::output); }

std::vector<std::string> Operation::scalar_names() const {
  std::vector<std::string> out;
  for (const auto& [name, value] : state_->config.scalars) out.push_back(name);
  return out;
}

Problem Operation::problem_for(const std::vector<std::vector<int64_t>>& input_dims, const std::string& dtype,
                               const std::map<std::string, int64_t>& given) const {
  return api_guard([&] { return kpg::problem_for(state_->config, input_dims, dtype, given); });
}

std::vector<BufferInfo> Operation::buffers(const Problem& problem) const {
  return api_guard([&] { return buffer_infos(state_->config, to_shape(state_->config, problem)); });
}

int64_t Operation::bytes(const Problem& problem) const {
  return api_guard([&] { return min_bytes(state_->config, to_shape(state_->config, problem)); });
}

std::optional<double> Operation::flops(const Problem& problem) const {
  return api_guard([&] { return kpg::flops(state_->config, to_shape(state_->config, problem)); });
}

ConfigChoice Operation::config(const Problem& problem) {
  return api_guard([&] {
    const Shape shape = to_shape(state_->config, problem);
    const std::lock_guard lock(state_->mutex);
    return state_->choose(shape).second;
  });
}

Launcher& Operation::prepare(const Problem& problem, const std::string& config_id) {
  return api_guard([&]() -> Launcher& {
    State& s = *state_;
    const Shape shape = to_shape(s.config, problem);
    const std::lock_guard lock(s.mutex);
    const Gpu& gpu = s.device();  // opens the compiler and tuner on first use
    const auto [candidate, choice] = s.resolve(shape, config_id);
    auto& launcher = s.launchers[shape.to_string() + "|" + candidate.id()];
    if (!launcher)
      launcher = std::make_unique<Launcher>(
          make_launcher_state(s.config, gpu, *s.compiler, *s.tuner, shape, candidate, choice));
    return *launcher;
  });
}

void Operation::launch(const Problem& problem, const std::map<std::string, CUdeviceptr>& buffers, CUstream stream,
                       const std::map<std::string, double>& scalars) {
  Launcher& launcher = prepare(problem);
  api_guard([&] {
    std::vector<CUdeviceptr> pointers;
    for (const auto& b : launcher.io()) {
      const auto it = buffers.find(b.name);
      if (it == buffers.end()) throw InputError(name() + ": no pointer given for buffer '" + b.name + "'");
      pointers.push_back(it->second);
    }
    for (const auto& [given, pointer] : buffers)
      if (std::none_of(launcher.io().begin(), launcher.io().end(), [&](const BufferInfo& b) { return b.name == given; }))
        throw InputError(name() + ": no input or output buffer named '" + given + "'");
    std::vector<double> values;
    for (const auto& [scalar, value] : launcher.scalars()) {
      const auto it = scalars.find(scalar);
      values.push_back(it == scalars.end() ? value : it->second);
    }
    for (const auto& [given, value] : scalars)
      if (std::none_of(launcher.scalars().begin(), launcher.scalars().end(),
                       [&](const auto& s) { return s.first == given; }))
        throw InputError(name() + ": no scalar named '" + given + "'");
    launcher.launch(pointers.data(), pointers.size(), stream, values.data());
  });
}

VerifyResult Operation::verify(const Problem& problem, uint64_t seed, const std::string& config_id) {
  return api_guard([&] {
    State& s = *state_;
    const Shape shape = to_shape(s.config, problem);
    const std::lock_guard lock(s.mutex);
    const Gpu& gpu = s.device();
    const auto [candidate, choice] = s.resolve(shape, config_id);
    Workload workload(s.config, shape, gpu.limits());
    workload.randomize(seed ? seed : std::random_device{}());
    s.tuner->ensure_reference(s.config, workload);
    const BoundCandidate bound = s.tuner->bind(s.config, *s.variant, candidate, workload);
    const CheckReport report = s.tuner->verify(bound, workload);
    return VerifyResult{report.ok, choice, report.describe()};
  });
}

TuneSummary Operation::tune(const Problem& problem, size_t budget) {
  return api_guard([&] {
    State& s = *state_;
    const Shape shape = to_shape(s.config, problem);
    const std::lock_guard lock(s.mutex);
    const TuneResult r = s.tune(shape, budget);
    TuneSummary out;
    if (r.best) out.best = TuneSummary::Best{r.best->candidate_id, r.best->median_ms, r.best->min_ms,
                                             r.best->spread_pct, r.best->reps};
    out.chosen = s.chosen.at(shape.to_string()).second;
    out.candidates = r.candidates;
    out.timed = r.timed;
    out.failed = r.failed;
    return out;
  });
}

}  // namespace kpg
