#include "cli/watch/compile_round.hpp"

#include "cli/core/diagnostics.hpp"
#include "runtime/error.hpp"
#include "tuner/compile_all.hpp"
#include "tuner/compile_pool.hpp"
#include "tuner/gpu.hpp"
#include "tuner/tuner.hpp"

namespace kpg {
namespace {

std::vector<std::string> launched_kernels(const SpaceSpec& space) {
  std::vector<std::string> names;
  for (const auto& launch : space.launches) names.push_back(launch.kernel);
  return names;
}

void compile_variant(const OpConfig& config, const Shape& shape, const VariantSpec& variant,
                     const WatchSettings& settings, const Compiler& compiler, VariantHistory& history,
                     RoundOutcome& outcome, std::ostream& out) {
  const DeviceLimits limits = h100_limits();
  // The variant's default where it passes, else its first valid configuration (as the tuner picks).
  const auto chosen = default_candidate(config, variant, shape, limits);
  if (!chosen) {
    PruneReport pruned;
    enumerate(config, variant, shape, limits, &pruned);
    out << variant.name << "  no configuration passes the constraints at " << shape.to_string() << ": "
        << describe_pruning(pruned) << "\n";
    ++outcome.input_errors;
    return;
  }
  const std::string label = variant_label(variant.name, chosen->space_name);
  const SpaceSpec& space = variant.spaces.at(chosen->space_index);
  const CompileOptions options =
      candidate_compile_options(config, *chosen, shape, limits, settings.arch, settings.kernels_dir);
  try {
    const CompiledKernel kernel = compiler.compile_file(space.source, options);
    const auto missing = missing_kernels(space, kernel, space.source);
    if (!missing.empty()) {
      out << label << "  error: the kernel a launch names is not in the compiled source\n";
      for (const auto& line : missing) out << "    " << line << "\n";
      ++outcome.input_errors;
      return;
    }
    out << label << "  " << compile_change(history.compile_ms, kernel) << "\n"
        << "    " << params_of(chosen->id()) << " (config default), " << options.arch << ": "
        << resource_summary(kernel.resources, launched_kernels(space)) << "\n";
    for (const auto& w : ptxas_performance_warnings(kernel.log)) out << "    ptxas: performance loss: " << w << "\n";
    history.compile_ms = kernel.compile_ms;
    ++outcome.ok;
  } catch (const CompileError& e) {
    out << label << "  COMPILE ERROR (" << params_of(chosen->id()) << ")\n";
    print_compile_error(out, e);
    ++outcome.compile_errors;
  }
}

}  // namespace

void compile_round(const OpConfig& config, const Shape& shape, const std::vector<const VariantSpec*>& variants,
                   const WatchSettings& settings, const Compiler& compiler, RoundHistory& history,
                   RoundOutcome& outcome, std::ostream& out) {
  for (const VariantSpec* variant : variants) {
    if (settings.stop_requested && settings.stop_requested()) return;
    try {
      compile_variant(config, shape, *variant, settings, compiler, history[variant->name], outcome, out);
    } catch (const Error& e) {  // a define that does not evaluate, an unreadable source or header
      out << variant->name << "  error: " << e.what() << "\n";
      ++(dynamic_cast<const InputError*>(&e) ? outcome.input_errors : outcome.other_errors);
    }
    out.flush();
  }
}

}  // namespace kpg
