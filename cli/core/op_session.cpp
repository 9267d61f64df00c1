#include "cli/core/op_session.hpp"

#include "cli/core/flag_checks.hpp"
#include "runtime/error.hpp"

namespace kpg {

void add_selection_options(CLI::App* cmd, OpSelection& selection) {
  cmd->add_option("--shape", selection.shapes, "Problem shape K=V,... e.g. M=4096,N=781,dtype=f16 (repeatable)");
  cmd->add_option("--variant", selection.variants, "Only this variant (repeatable; default: all)");
  cmd->add_option("--seed", selection.seed, "Seed of the random inputs (default: fresh each run)")->check(whole_number());
}

std::vector<const VariantSpec*> select_variants(const OpConfig& config, const std::vector<std::string>& names) {
  std::vector<const VariantSpec*> out;
  if (names.empty()) {
    for (const auto& v : config.variants) out.push_back(&v);
    return out;
  }
  for (const auto& name : names) {
    const VariantSpec* v = config.find_variant(name);
    if (!v) {
      std::string known;
      for (const auto& k : config.variants) known += (known.empty() ? "" : ", ") + k.name;
      throw InputError(config.file.string() + ": no variant '" + name + "' (variants: " + known + ")");
    }
    out.push_back(v);
  }
  return out;
}

OpSession::OpSession(const CliContext& ctx, const std::string& op_or_file, int device)
    : kernels_dir_(ctx.kernels_dir()),
      config_(load_config(resolve_op_config(op_or_file, ctx.configs_dir()), kernels_dir_)),
      cubin_cache_(ctx.cache_dir()),
      compiler_(&cubin_cache_),
      tuning_cache_(ctx.tuning_cache_dir()),
      device_(device) {}

const Gpu& OpSession::gpu() const {
  if (!gpu_) gpu_ = std::make_unique<Gpu>(device_);
  return *gpu_;
}

const Tuner& OpSession::tuner() const {
  if (!tuner_) tuner_ = std::make_unique<Tuner>(gpu(), compiler_, tuning_cache_, kernels_dir_);
  return *tuner_;
}

std::vector<Shape> OpSession::shapes(const OpSelection& selection) const {
  if (selection.shapes.empty()) return config_.shapes;
  std::vector<Shape> shapes;
  for (const auto& text : selection.shapes) shapes.push_back(parse_shape(text, config_));
  return shapes;
}

std::vector<const VariantSpec*> OpSession::variants(const OpSelection& selection) const {
  return select_variants(config_, selection.variants);
}

}  // namespace kpg
