#include "tutorials/fusion_study.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <random>

#include "lib/front_door.hpp"
#include "lib/problem.hpp"
#include "runtime/error.hpp"

namespace kpg {

const VariantMeasurement& FusionMeasurement::get(std::string_view name) const {
  for (const auto& v : variants)
    if (v.variant == name) return v;
  throw Error("no measurement of variant '" + std::string(name) + "'");
}

bool FusionMeasurement::all_correct() const {
  return std::all_of(variants.begin(), variants.end(), [](const auto& v) { return v.check.ok; });
}

FusionStudy::FusionStudy(const TutorialSession& session, const OpConfig& config, TuneOptions options)
    : gpu_(session.gpu),
      tuner_(session.tuner),
      operation_dirs_(session.operation_dirs),
      config_(config),
      options_(options) {}

Operation open_operation(const OpConfig& config, const std::string& variant, OperationOptions dirs) {
  dirs.variant = variant;
  return with_internal_errors([&] { return Operation::open(config.file.string(), dirs); });
}

int64_t counted_kernel_bytes(const OpConfig& config, const VariantSpec& variant, const Candidate& chosen,
                             const Workload& workload) {
  int64_t bytes = 0;
  for (const auto& launch : variant.spaces.at(chosen.space_index).launches)
    for (const auto& arg : launch.args)
      if (arg.names_buffer()) bytes += static_cast<int64_t>(workload.buffer(arg.name).bytes());
  (void)config;
  return bytes;
}

FusionMeasurement FusionStudy::measure(const Shape& shape, const std::vector<std::string>& variants,
                                       const ExtraCheck& extra, double flops,
                                       const ExtraMeasure& extra_measure) const {
  FusionMeasurement m;
  m.shape = shape;
  m.flops = flops;
  Workload workload(config_, shape, gpu_.limits());
  workload.randomize(options_.seed ? options_.seed : std::random_device{}());
  tuner_.ensure_reference(config_, workload);
  m.min_bytes = workload.min_bytes();

  for (const auto& spec : config_.buffers) {
    if (spec.role == BufferSpec::input) m.read_bytes += static_cast<int64_t>(workload.buffer(spec.name).bytes());
    if (spec.role == BufferSpec::output) m.write_bytes += static_cast<int64_t>(workload.buffer(spec.name).bytes());
  }

  const TimingSettings settings = this->settings();
  m.copy = time_copy(m.read_bytes, m.write_bytes);
  for (const auto& name : variants) {
    const VariantSpec* variant = config_.find_variant(name);
    if (!variant) throw Error(config_.op + ": config has no variant '" + name + "'");
    const TuneResult tuned = tuner_.tune(config_, *variant, workload, options_);
    VariantMeasurement v;
    v.variant = name;
    v.config = tuned.chosen.id();
    v.choice_source = std::string(to_string(tuned.source));
    Operation operation = open_operation(config_, name, operation_dirs_);
    Launcher& launcher =
        with_internal_errors([&]() -> Launcher& { return operation.prepare(to_problem(shape), v.config); });
    const LaunchFn launch = workload_launch(launcher, workload);
    v.launches = launcher.describe();
    v.kernel_launches = static_cast<int>(variant->spaces.at(tuned.chosen.space_index).launches.size());
    v.check = tuner_.verify(launch, workload);
    if (v.check.ok && extra) {
      const std::string problem = extra(workload);
      if (!problem.empty()) {
        v.check.ok = false;
        v.check.outputs.push_back(OutputCheck{"extra", false, 0, 1, 0, 0, -1, 0, 0});
        spdlog::error("{} {} at {}: {}", config_.op, name, shape.to_string(), problem);
      }
    }
    v.bytes_counted = counted_kernel_bytes(config_, *variant, tuned.chosen, workload);
    if (v.check.ok) {  // a wrong kernel gets no speed reported
      v.timing = gpu_.timer().time(launch, settings, gpu_.stream());
      v.gbs = static_cast<double>(m.min_bytes) / (v.timing.median_ms * 1e6);
      if (flops > 0) v.tflops = flops / (v.timing.median_ms * 1e9);
      if (extra_measure) extra_measure(v, launch);
    } else {
      spdlog::error("{} {} at {} is wrong: {}", config_.op, name, shape.to_string(), v.check.describe());
    }
    m.variants.push_back(std::move(v));
  }
  // The copy again after the variants, the faster of the two the ceiling: timed again in the
  // same run, a copy's median moves by as much as a kernel at copy speed differs from it, and
  // that drift must not read as a kernel faster than its copy.
  const CopyTiming again = time_copy(m.read_bytes, m.write_bytes);
  if (again.timing.median_ms < m.copy.timing.median_ms) m.copy = again;
  return m;
}

TimingSettings FusionStudy::settings() const { return config_.timing.twice_the_reps(); }

CopyTiming FusionStudy::time_copy(int64_t read_bytes, int64_t write_bytes) const {
  return time_same_bytes_copy(gpu_.timer(), read_bytes, write_bytes, settings(), gpu_.stream());
}

std::string copy_percent_cell(double percent) {
  if (percent > 100.0) return fmt::format("DEFECT {:.1f}", percent);
  return fmt::format("{:.1f}", percent);
}

bool warn_if_above_copy(const std::string& what, double percent) {
  if (!(percent > 100.0)) return false;
  const std::string line = fmt::format(
      "WARNING: measurement defect: {} at {:.1f} % of a copy of the same bytes.\n"
      "  No kernel moves bytes faster than a copy of them timed the same way: this figure is wrong,\n"
      "  not fast; do not publish it.",
      what, percent);
  std::cout << line << "\n";
  return true;
}

}  // namespace kpg
